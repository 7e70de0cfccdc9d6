"""The composed letter as a PDF, through WeasyPrint: archival (PDF/A) and tagged by default.

WeasyPrint may read only files inside the workspace and the package's own data: a letter or a
club's template that points anywhere else (``http://...``, ``file:///etc/passwd``, ``../``)
stops the build with a ``RenderError`` naming the URL.
"""

from __future__ import annotations

import functools
import io
import logging
import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from lettersmith.confine import (
    MAX_ASSET,
    MAX_PAGES,
    RefusedFileError,
    club_folders,
    confined,
    read_limited,
)
from lettersmith.errors import RenderError, relative
from lettersmith.model import DEFAULT_PDF_VARIANT, ComposedLetter
from lettersmith.render import pdf_tags
from lettersmith.render.html import letter_html
from lettersmith.translate import N_, _

if TYPE_CHECKING:
    from weasyprint.document import Document

# WeasyPrint reports unsupported CSS and similar at WARNING; a refused URL is our error instead.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
pdf_tags.install()  # the page header as an artifact, a statement's own language as /Lang

# Boxes of elements with this class are left out of a letter of one page (letter.html.j2's
# "Side 1 av 2" on page 1): how many pages there are is known only once it is laid out.
SEVERAL_PAGES = "several-pages"


class _Refused(FatalURLFetchingError):  # type: ignore[misc]  # WeasyPrint is untyped
    """Raised inside WeasyPrint; a BaseException, so that WeasyPrint does not swallow it."""


class WorkspaceFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint is untyped
    """Serves ``file:`` URLs under the allowed folders (and inline ``data:``); refuses the rest."""

    def __init__(self, allowed: tuple[Path, ...], root: Path | None = None):
        super().__init__(fail_on_errors=True)
        self.allowed = tuple(folder.resolve() for folder in allowed)
        self.root = (root or self.allowed[0]).resolve()
        self.refused: list[str] = []  # kept too, for refusals that WeasyPrint catches (in SVG)

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":  # inline, reads nothing
            response = super().fetch(url, headers)
            inline = response.read()
            self._check_font(_("a font given inline (data:)"), inline)
            return URLFetcherResponse(url, inline, response.headers)
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            self._refuse(url, _("only files inside the workspace may be used"))
        written = Path(url2pathname(parts.path))
        path = confined(written, self.allowed, self.root)
        if path is None:
            self._refuse(url, _("the file is outside the folders a letter may use"))
        if not path.is_file():
            self._refuse(url, _("no such file"))
        try:
            data = read_limited(path, MAX_ASSET, str(url), N_("file"), root=self.root)
        except RefusedFileError as error:
            self._refuse(url, str(error).removeprefix(f"{url}: "))
        except OSError as error:
            self._refuse(url, _("cannot be read: {strerror}").format(strerror=error.strerror))
        self._check_font(relative(path, self.root), data)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, data, {"Content-Type": content_type})

    def _check_font(self, name: str, data: bytes) -> None:
        """A stylesheet's font must draw its letters: else the words are in the PDF's text
        while the page shows gaps, and the read-back of the statement would pass."""
        if data[:4] in _FONT_MAGIC:
            reason = _unreadable_font(data)
            if reason:
                self._refuse(name, _("cannot use this font: {reason}").format(reason=reason))

    def _refuse(self, url: str, reason: str) -> NoReturn:
        message = _("{url}: refused: {reason}").format(url=url, reason=reason)
        self.refused.append(message)
        raise _Refused(message)


_FONT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"wOFF", b"wOF2")


@functools.lru_cache(maxsize=32)
def _unreadable_font(data: bytes) -> str | None:
    """Why a font's letters cannot be read (``load.images.unreadable_letters``); keyed by
    its contents, so that the house fonts are read once."""
    from fontTools.ttLib import TTFont, TTLibError  # noqa: PLC0415 -- only for a font

    from lettersmith.load.images import unreadable_letters  # noqa: PLC0415

    try:
        with TTFont(io.BytesIO(data), lazy=True) as font:
            return unreadable_letters(font)
    except (OSError, TTLibError, KeyError, AssertionError, ValueError):
        return None  # not a font fontTools reads: WeasyPrint tells, or draws another


def render_pdf(letter: ComposedLetter, *, variant: str | None = DEFAULT_PDF_VARIANT) -> bytes:
    """The letter as PDF bytes; ``variant`` is a WeasyPrint PDF variant, None for plain PDF."""
    return render_document(letter, variant)[1]


def render_document(
    letter: ComposedLetter, variant: str | None = DEFAULT_PDF_VARIANT
) -> tuple[Document, bytes]:
    """The laid-out WeasyPrint document and its PDF bytes (see ``render_pdf``)."""
    html = letter_html(letter)
    root = letter.root.resolve()
    fetcher = WorkspaceFetcher(club_folders(root, letter.club_id), root)
    # presentational_hints: honour HTML attributes such as <ol start="5">.
    options = {"pdf_variant": variant, "pdf_tags": True, "presentational_hints": True}
    try:
        document = HTML(string=html, base_url=root.as_uri() + "/", url_fetcher=fetcher)
        rendered = document.render(**options)
        if len(rendered.pages) == 1:
            _leave_out_page_count(rendered)
        if len(rendered.pages) > MAX_PAGES:
            raise RenderError(
                _(
                    "{name}: the letter has {count} pages, more than the limit of "
                    "{pages}; check the template for a loop that repeats text"
                ).format(name=_name(letter), count=len(rendered.pages), pages=MAX_PAGES)
            )
        pdf = rendered.write_pdf(**options)
    except _Refused as refused:
        raise RenderError(f"{_name(letter)}: {refused}") from None
    except FatalURLFetchingError as error:  # a fetch that failed for another reason
        cause = error.__cause__ or error
        raise RenderError(f"{_name(letter)}: {error}: {cause}") from None
    if fetcher.refused:
        raise RenderError(f"{_name(letter)}: {fetcher.refused[0]}")
    return rendered, pdf


def _leave_out_page_count(rendered: Document) -> None:
    """Take the boxes of ``SEVERAL_PAGES`` elements out of the laid-out pages (a page number
    on a letter of one page says nothing); cheaper than laying the letter out again."""

    def prune(box: Any) -> None:
        children = getattr(box, "children", None)
        if not isinstance(children, list | tuple):
            return
        kept = [child for child in children if not _several_pages(child)]
        box.children = type(children)(kept)
        for child in kept:
            prune(child)

    for page in rendered.pages:
        prune(page._page_box)


def _several_pages(box: Any) -> bool:
    element = getattr(box, "element", None)
    if element is None or getattr(box, "element_tag", None) is None:
        return False
    return SEVERAL_PAGES in (element.get("class") or "").split()


def _name(letter: ComposedLetter) -> str:
    return f"{letter.letter_id} ({letter.stem})" if letter.stem != letter.letter_id else letter.stem
