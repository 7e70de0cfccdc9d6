"""Where a club's files may come from, and how large they may be: decided here, once.

A club's files are written by people the organisation does not control. Every file read on a
club's behalf (a template, an include, an image, a stylesheet, the reference DOCX, an
attachment) is resolved to its real path -- symlinks followed -- and read only when that path
lies inside one of the folders the club may use, and only when it is no larger than its limit.

A hard link has no real path elsewhere to resolve: ``clubs/bergen/assets/x.pdf`` may be a
second name of the union's settings or of any file on the disk. So a file under ``clubs/``
with more than one name is refused, judged on the file actually opened (``fstat`` of the
open descriptor, opened without following a last-moment symlink), never on a look before.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from lettersmith.errors import LettersmithError
from lettersmith.translate import _

# Limits no real letter comes near; the README lists them (section "Limits").
MAX_CLUB_YAML = 1_000_000  # bytes: a club's clubs/<club>.yaml
MAX_TEMPLATE = 256_000  # bytes: one template file (letter.html.j2, letter.css, an include)
MAX_ASSET = 10_000_000  # bytes: one image, font or stylesheet a letter shows
MAX_REFERENCE_DOCX = 10_000_000  # bytes: a letter.docx as stored
MAX_REFERENCE_UNPACKED = 50_000_000  # bytes: a letter.docx unpacked (all its parts)
MAX_ATTACHMENT = 20_000_000  # bytes: one attached file
# A club's render runs in a worker process held to these.
RENDER_SECONDS = 60  # wall-clock seconds for one club letter (template, layout, file)
RENDER_MEMORY = 2_000_000_000  # bytes of address space for the worker
MAX_PAGES = 50  # pages in one letter
MAX_OUT_FILE = 100_000_000  # bytes: one file of out/ served back (a review's page, a PDF)

PACKAGE_DATA = Path(__file__).resolve().parent / "data"

# What no club file may ever be or reach, even inside an allowed folder.
PRIVATE_NAMES = (".lettersmith", "out", "lettersmith.yaml")


class OutsideError(LettersmithError):
    """A file that resolves outside the folders it may come from."""


class RefusedFileError(LettersmithError):
    """A file refused before it is read."""


class TooLargeError(RefusedFileError):
    """A file past its size limit, refused before it is read."""


class LinkedFileError(RefusedFileError):
    """A club's file with more than one name (a hard link), or not a plain file."""


def club_folders(root: Path, club: str | None) -> tuple[Path, ...]:
    """The real folders a letter may read from: the club's own, the workspace's templates/
    and assets/ (and for the union's own letters, the whole workspace), and the package data."""
    root = root.resolve()
    if club is None:
        return (root, PACKAGE_DATA)
    own = club_folder(root, club)
    return (*((own,) if own else ()), root / "templates", root / "assets", PACKAGE_DATA)


def club_folder(root: Path, club: str) -> Path | None:
    """``clubs/<club>/``, or None when it is a link to any other folder (then the club has no
    folder of its own: a link to ``/`` would open every file, one to ``clubs/oslo`` Oslo's)."""
    folder = root / "clubs" / club
    real = Path(os.path.realpath(folder))
    clubs = Path(os.path.realpath(root / "clubs"))
    return folder if real == clubs / club else None


def real_subfolder(folder: Path, parent: Path) -> bool:
    """Whether ``folder`` is a folder really inside ``parent`` (not a link out of it)."""
    real = Path(os.path.realpath(folder))
    return folder.is_dir() and real.is_relative_to(Path(os.path.realpath(parent)))


def is_private(path: Path, root: Path) -> bool:
    """Whether ``path`` (real) is the journal, out/ or the settings file of workspace ``root``."""
    root = root.resolve()
    if not path.is_relative_to(root):
        return False
    parts = path.relative_to(root).parts
    return bool(parts) and parts[0] in PRIVATE_NAMES


def confined(path: Path, folders: Iterable[Path], root: Path) -> Path | None:
    """``path`` resolved (symlinks too), or None when it lies outside every one of ``folders``
    or is one of the workspace's private files."""
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return None
    if is_private(real, root):
        return None
    for folder in folders:
        try:
            base = Path(os.path.realpath(folder))
        except (OSError, ValueError):
            continue
        if real == base or real.is_relative_to(base):
            return real
    return None


def check_size(path: Path, limit: int, shown: str, what: str, *, root: Path | None = None) -> int:
    """The size of ``path``; a ``TooLargeError`` naming ``shown`` when it passes ``limit``.

    With the workspace ``root``: a club's file (under ``clubs/``) that is a hard link is a
    ``LinkedFileError`` (told early here, for ``check``; ``read_limited`` decides when reading).
    """
    info = path.stat()
    if root is not None:
        _refuse_linked(info, Path(os.path.realpath(path)), root, shown, what)
    return check_measured(info.st_size, limit, shown, what)


def check_measured(size: int, limit: int, shown: str, what: str) -> int:
    """``size`` (bytes measured by the caller), or a ``TooLargeError`` naming ``shown``."""
    if size > limit:
        measured = _mb(size) if _mb(size) != _mb(limit) else f"{size:,} bytes"
        raise TooLargeError(
            _(
                "{shown}: the {what} is {measured}, more than the limit of {mb}; make it smaller"
            ).format(shown=shown, what=_(what), measured=measured, mb=_mb(limit))
        )
    return size


# Open the very file checked: no symlink swapped in last (O_NOFOLLOW), no hanging on a pipe.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def read_limited(
    path: Path, limit: int, shown: str, what: str, *, root: Path | None = None
) -> bytes:
    """The bytes of ``path``, read only when it is no larger than ``limit``.

    Links the caller has allowed are resolved once, and the real file is opened without
    following a link, so what is checked below is the file read. Read in one go up to
    ``limit + 1`` bytes, so a file that grows after the size check (or a device such as
    /proc/self/environ that reports no size) is still refused. With the workspace ``root``, a
    club's file (under ``clubs/``) is refused when it has more than one name (a hard link).
    """
    real = Path(os.path.realpath(path))
    fd = os.open(real, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if root is not None:
            _refuse_linked(info, real, root, shown, what)
        check_measured(info.st_size, limit, shown, what)
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TooLargeError(
            _("{shown}: the {what} is more than the limit of {mb}; make it smaller").format(
                shown=shown, what=_(what), mb=_mb(limit)
            )
        )
    return data


def is_club_file(real: Path, root: Path) -> bool:
    """Whether the real path ``real`` is a file under the workspace's clubs/ folder."""
    # clubs/ may itself be a link (to a shared folder): its files are the clubs' all the same.
    clubs = (Path(os.path.realpath(root)) / "clubs", Path(os.path.realpath(root / "clubs")))
    return any(real.is_relative_to(folder) for folder in clubs)


def _refuse_linked(info: os.stat_result, real: Path, root: Path, shown: str, what: str) -> None:
    """A club's file that is not one plain file of its own, as ``LinkedFileError``."""
    if not is_club_file(real, root):
        return  # the union's own files and lettersmith's: theirs to arrange
    if not stat.S_ISREG(info.st_mode):
        raise LinkedFileError(
            _(
                "{shown}: refused: the {what} is not a plain file (a pipe or a device); "
                "put the file itself there"
            ).format(shown=shown, what=_(what))
        )
    if info.st_nlink > 1:
        raise LinkedFileError(
            _(
                "{shown}: refused: the {what} is a hard link (one file with {st_nlink} "
                "names), so it may be a file outside the club's folder, such as the "
                "union's settings; copy the file instead of linking it (cp, not ln)"
            ).format(shown=shown, what=_(what), st_nlink=info.st_nlink)
        )


def shown_path(path: Path, root: Path) -> str:
    """A path as the user would type it from the workspace root."""
    try:
        return str(path.relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _mb(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.0f} kB"


def names(folders: Sequence[Path], root: Path) -> str:
    """The folders as a message names them: ``clubs/bergen/, templates/, assets/``."""
    shown = []
    for folder in folders:
        real = Path(os.path.realpath(folder))
        if real == PACKAGE_DATA:
            continue  # lettersmith's own files: not where a user puts anything
        shown.append("the workspace" if real == root.resolve() else f"{shown_path(real, root)}/")
    return ", ".join(shown)


def inside_out(path: Path, root: Path) -> Path:
    """``path``, when its folder really is inside the workspace's own out/ folder.

    A link in out/ to a folder elsewhere (out/<letter> -> /home/someone) would make a build
    write there and a dry run delete there: refused, naming the link.
    """
    root = Path(os.path.realpath(root))
    out = root / "out"
    real_out = Path(os.path.realpath(out))
    real = Path(os.path.realpath(path.parent))
    if not real_out.is_relative_to(root) or not (real == real_out or real.is_relative_to(real_out)):
        link = _first_link(path.parent, out) or out
        raise OutsideError(
            _(
                "{shown_path}: is a link to {realpath}, outside the workspace's out/ "
                "folder; lettersmith writes and deletes only inside out/: remove the "
                "link (out/ is remade by build)"
            ).format(shown_path=shown_path(Path(link), root), realpath=os.path.realpath(link))
        )
    return path


def read_out_file(path: Path, root: Path, limit: int = MAX_OUT_FILE) -> bytes:
    """The bytes of a file lettersmith made in out/ (a review's picture, a letter's PDF), to
    show it: read only when its folder really is inside out/ (``inside_out``) and it is one
    plain file of its own there, judged on the file opened (without following a link put in
    its place since it was made), so a link to /etc/passwd planted in out/ is never read."""
    inside_out(path, root)
    shown = shown_path(path, root)
    refused = LinkedFileError(
        _(
            "{path}: refused: it is not the file lettersmith made there (a link, or not a plain "
            "file); build the letter again"
        ).format(path=shown)
    )
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:  # ELOOP: a symbolic link in the file's place
        raise refused from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
            raise refused
        check_measured(info.st_size, limit, shown, "file")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TooLargeError(f"{shown}: the file is more than the limit of {_mb(limit)}")
    return data


def _first_link(folder: Path, out: Path) -> Path | None:
    """The first symbolic link on the way from out/ down to ``folder``, if any."""
    candidates = [out]
    if folder.is_relative_to(out):
        current = out
        for part in folder.relative_to(out).parts:
            current = current / part
            candidates.append(current)
    return next((c for c in candidates if c.is_symlink()), None)
