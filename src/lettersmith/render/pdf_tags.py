"""Two things WeasyPrint's tagged PDF leaves out, added where it builds them.

- The running header and footer (the page's margin boxes: the organisation, place and date,
  "Side 2 av 3") are page furniture: a screen reader should not read them between two
  sentences of the statement. WeasyPrint tags their text as marked content that no structure
  element holds (its issue #1836: "no easy way" to make them artifacts); here they are drawn
  inside an ``/Artifact`` sequence and given no tag at all, as PDF/UA asks.
- An element with a ``lang`` of its own (the adopted statement in bokmål inside a nynorsk
  letter) gives its structure element a ``/Lang``, so that a screen reader speaks it in its
  language; WeasyPrint writes only the document's.

Both wrap private functions of WeasyPrint (``draw.draw_stacking_context``,
``pdf.stream.Stream.marked``, ``pdf.tags._build_box_tree``), checked for when installed: a
WeasyPrint without them gets its own tagging, unchanged, and the tests that read the tags fail.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from typing import Any

_FURNITURE = contextvars.ContextVar("furniture", default=False)  # drawing a margin box


def install() -> bool:
    """Wrap WeasyPrint's drawing and tagging once; False when its internals are not there."""
    try:
        import pydyf
        from weasyprint import draw
        from weasyprint.formatting_structure import boxes
        from weasyprint.pdf import stream, tags
    except ImportError:  # pragma: no cover -- WeasyPrint is a dependency
        return False
    wanted = (
        callable(getattr(draw, "draw_stacking_context", None))
        and callable(getattr(stream.Stream, "marked", None))
        and callable(getattr(stream.Stream, "artifact", None))
        and callable(getattr(tags, "_build_box_tree", None))
    )
    if not wanted:
        return False
    if getattr(draw.draw_stacking_context, "_lettersmith", False):
        return True
    draw.draw_stacking_context = _artifact_margins(draw.draw_stacking_context, boxes.MarginBox)
    stream.Stream.marked = _untagged_in_margins(stream.Stream.marked)
    tags._build_box_tree = _tagged(tags._build_box_tree, boxes.MarginBox, pydyf)
    return True


def _artifact_margins(original: Callable[..., Any], margin: type) -> Callable[..., Any]:
    @functools.wraps(original)
    def draw_stacking_context(stream: Any, context: Any) -> Any:
        if not isinstance(context.box, margin) or _FURNITURE.get():
            return original(stream, context)
        token = _FURNITURE.set(True)
        try:
            with stream.artifact():
                return original(stream, context)
        finally:
            _FURNITURE.reset(token)

    draw_stacking_context._lettersmith = True  # type: ignore[attr-defined]
    return draw_stacking_context


def _untagged_in_margins(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    @contextlib.contextmanager
    def marked(self: Any, box: Any, tag: str) -> Iterator[None]:
        if _FURNITURE.get():
            yield  # inside the margin's /Artifact: no marked content, no tag
            return
        with original(self, box, tag):
            yield

    return marked


def _tagged(original: Callable[..., Any], margin: type, pydyf: Any) -> Callable[..., Any]:
    @functools.wraps(original)
    def build_box_tree(box: Any, parent: Any, *args: Any) -> Iterator[Any]:
        if isinstance(box, margin):
            return  # drawn as an artifact: nothing of it is in the structure tree
        element = getattr(box, "element", None)
        lang = None
        if element is not None and getattr(box, "element_tag", None) not in ("html", "body"):
            lang = element.get("lang")
        for built in original(box, parent, *args):
            if lang and "Lang" not in built:
                built["Lang"] = pydyf.String(lang)
            yield built

    return build_box_tree
