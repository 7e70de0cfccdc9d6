"""Files that arrive by upload: a letter's attachment (kept in assets/) and a spreadsheet to
import (kept privately until it is imported, then deleted).

An upload is untrusted: its size is bounded before anything is written, its name is made
safe (no folder, no control character, no dot first), and an attachment never replaces
another file silently: the same bytes reuse the file, other bytes get a new name
(``vedlegg-2.pdf``). A spreadsheet is only ever read by the import (``load.tables``, which
refuses a zip bomb by its own bounds).
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lettersmith.atomic import atomic_write
from lettersmith.confine import MAX_ATTACHMENT
from lettersmith.errors import LettersmithError
from lettersmith.load import tables
from lettersmith.translate import _

ASSETS = "assets"
ATTACHMENT_SUFFIXES = (".pdf", ".odt", ".docx", ".xlsx", ".ods", ".txt", ".png", ".jpg", ".jpeg")
SPREADSHEET_SUFFIXES = (".xlsx", ".csv")
MAX_SPREADSHEET = tables.MAX_CSV  # the import reads no larger file; told before it is kept
KEPT_SECONDS = 3600  # an upload not imported within an hour is forgotten
TOKEN = re.compile(r"[0-9a-f]{32}")


def safe_name(name: str, suffixes: tuple[str, ...]) -> str:
    """The last part of an uploaded file's name, reduced to letters, digits, '-', '_' and one
    '.' before a known suffix; refused when nothing of it is left or the suffix is unknown."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base).strip()
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in suffixes:
        raise LettersmithError(
            _("{name}: this kind of file is not taken; send one of: {kinds}").format(
                name=base[:80] or "?", kinds=", ".join(suffixes)
            )
        )
    stem = re.sub(r"[^\w-]+", "-", stem).strip("-_")[:80]
    if not stem:
        stem = "vedlegg"
    return stem + suffix


def _bounded(name: str, data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise LettersmithError(
            _("{name}: the file is {size} MB, more than the limit of {limit} MB").format(
                name=name, size=round(len(data) / 1e6, 1), limit=limit // 1_000_000
            )
        )


def save_attachment(root: Path, name: str, data: bytes) -> str:
    """Keep an uploaded attachment in assets/; its workspace-relative path (``assets/x.pdf``)."""
    safe = safe_name(name, ATTACHMENT_SUFFIXES)
    _bounded(safe, data, MAX_ATTACHMENT)
    folder = root / ASSETS
    if folder.is_symlink():
        raise LettersmithError(_("assets/: is a link; attachments are kept only in the folder"))
    folder.mkdir(exist_ok=True)
    stem, suffix = safe.rsplit(".", 1)
    for number in range(1, 1000):
        candidate = f"{stem}.{suffix}" if number == 1 else f"{stem}-{number}.{suffix}"
        target = folder / candidate
        if target.exists() or target.is_symlink():
            if not target.is_symlink() and target.is_file() and target.read_bytes() == data:
                return f"{ASSETS}/{candidate}"  # this very file is there already
            continue
        temporary = atomic_write(folder / f".{candidate}.{secrets.token_hex(6)}.upload", data)
        try:
            os.link(temporary, target)  # refused when another upload took the name meanwhile
        except FileExistsError:
            continue
        finally:
            temporary.unlink(missing_ok=True)
        return f"{ASSETS}/{candidate}"
    raise LettersmithError(_("{name}: too many files of that name in assets/").format(name=safe))


# --------------------------------------------------------------------------- spreadsheets


@dataclass(frozen=True)
class Upload:
    """A spreadsheet kept privately until it is imported; ``token`` finds it again."""

    token: str
    name: str
    path: Path

    def shown(self, text: str) -> str:
        """A message about the kept file, naming the file the person sent instead."""
        return text.replace(str(self.path), self.name)


_lock = threading.Lock()
_folder: Path | None = None


def _private_folder() -> Path:
    """A folder only this user can read (mkdtemp: 0700), removed when the process ends."""
    global _folder
    with _lock:
        if _folder is None or not _folder.is_dir():
            _folder = Path(tempfile.mkdtemp(prefix="lettersmith-uploads-"))
            atexit.register(shutil.rmtree, _folder, True)
        return _folder


def keep_spreadsheet(name: str, data: bytes) -> Upload:
    """Keep an uploaded spreadsheet for the import (bounded in size, named safely)."""
    safe = safe_name(name, SPREADSHEET_SUFFIXES)
    _bounded(safe, data, MAX_SPREADSHEET)
    folder = _private_folder()
    _forget_old(folder)
    token = secrets.token_hex(16)
    path = folder / token / safe
    path.parent.mkdir(mode=0o700)
    atomic_write(path, data, durable=False)
    return Upload(token, safe, path)


def kept_spreadsheet(token: str) -> Upload:
    """The spreadsheet kept under ``token``, or an error saying to send it again."""
    folder = _private_folder()
    found = (
        list((folder / token).iterdir())
        if TOKEN.fullmatch(token or "") and (folder / token).is_dir()
        else []
    )
    if len(found) != 1:
        raise LettersmithError(_("the uploaded file is no longer kept; send it again"))
    return Upload(token, found[0].name, found[0])


def forget_spreadsheet(upload: Upload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)


def _forget_old(folder: Path) -> None:
    limit = time.time() - KEPT_SECONDS
    for kept in folder.iterdir():
        try:
            if kept.stat().st_mtime < limit:
                shutil.rmtree(kept, ignore_errors=True)
        except OSError:
            continue
