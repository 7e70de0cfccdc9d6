"""Files as a save would leave them, read in place of the disk while a save is checked.

The web app refuses a save that would make ``check`` fail. The only faithful way to know is
to read the workspace exactly as ``check`` reads it, with the new text in place of the file:
inside ``pending({"letters/x.yaml": text})`` every reader of the load stage sees ``text`` for
that file (and a new file among the folder's files), while nothing is written to the disk.
The same overlay lets a position's unsaved text be previewed as a letter.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from types import MappingProxyType

_NONE: Mapping[str, str] = MappingProxyType({})
_pending: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "lettersmith_pending_files", default=_NONE
)


@contextlib.contextmanager
def pending(files: Mapping[str, str]) -> Iterator[None]:
    """Read ``files`` (workspace-relative paths, ``/``-separated, to their new text) instead of
    the disk inside the block."""
    token = _pending.set(MappingProxyType(dict(files)))
    try:
        yield
    finally:
        _pending.reset(token)


def text(rel: str) -> str | None:
    """The pending text of the file ``rel``, or None when it is read from the disk."""
    return _pending.get().get(rel)


def names(folder: str) -> list[str]:
    """The names of pending files directly in ``folder`` (such as a new position's file)."""
    prefix = folder.rstrip("/") + "/"
    return [
        rel.removeprefix(prefix)
        for rel in _pending.get()
        if rel.startswith(prefix) and "/" not in rel.removeprefix(prefix)
    ]
