"""A consistent copy of a workspace while it is in use: ``lettersmith backup DIR``.

What is copied: everything in the workspace folder that a person made or lettersmith keeps
(lettersmith.yaml, recipients.yaml, positions/, letters/, clubs/, templates/, assets/, the
attachments and certificates kept in it, a .git folder, notes) and ``.lettersmith/``. A file
the settings name outside the workspace (a certificate in /etc) is not: it is not the
workspace's to copy.
What is not: ``out/`` (``lettersmith build`` makes it again from the rest) and
``.lettersmith/outbox/`` (a running send's working copies of its attachments, removed when it
ends).

Every SQLite database in ``.lettersmith/`` -- the journal, and any other (accounts, an audit
trail), known by the first bytes of the file rather than by a list of names -- is copied
through SQLite's online backup API: one read transaction, so the copy is the database as it
stood at one instant, whatever the web app or a send commits meanwhile (the journal runs in
WAL mode, where a reader never stops a writer; no send lock is taken, so a backup never waits
for a send, nor a send for it). Its ``-wal``, ``-shm`` and ``-journal`` files are not copied:
what they held that was committed is in the copy.

The databases are copied first, the files after, listed afresh. A message sent while the
backup runs then has its copy in ``.lettersmith/sent/`` in the backup even where the journal's
snapshot missed it; a restored workspace knows it (``send`` and ``status`` ask for
``lettersmith journal rebuild``, which puts its row back) instead of sending it again.

The backup is written into a hidden folder beside DIR (``.DIR.XXXX.partial``) and renamed to
DIR at the end, so a backup that stops halfway leaves nothing that looks whole. A link is
copied as the link it is, never followed: a link out of the workspace is named in a warning,
since the backup does not hold what it points to.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from lettersmith.app.events import OnEvent, Progress, Warning, ignore
from lettersmith.errors import LettersmithError
from lettersmith.translate import _

STATE_DIR = ".lettersmith"
# Left out: what is made again (out/) or only lives while a send runs (the outbox).
LEFT_OUT = ("out", f"{STATE_DIR}/outbox")
SQLITE_HEADER = b"SQLite format 3\x00"
# The files beside a database that belong to it; the backup API copies what they hold.
SIDECARS = ("-wal", "-shm", "-journal")
STAGE = "backup"
BUSY_SECONDS = 30  # how long a database may be locked by another program before we give up

Kind = Literal["folder", "file", "link", "database"]


class BackupError(LettersmithError):
    """A backup refused before it began, or stopped; nothing is left in DIR."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup copied: ``files`` (links included) and ``databases`` (paths relative to
    the workspace, ``.lettersmith/journal.sqlite``), ``size`` in bytes in all."""

    root: Path
    directory: Path
    files: int
    databases: tuple[str, ...]
    links: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class _Item:
    path: PurePosixPath  # relative to the workspace
    kind: Kind


def backup(root: Path, directory: Path, *, on_event: OnEvent = ignore) -> BackupResult:
    """Copy the workspace at ``root`` into ``directory`` (new or empty); see the module."""
    root = Path(os.path.realpath(root))
    target = _target(root, Path(directory))
    first = list(_survey(root, ignore))
    staging = _staging(target)
    copying = _Copying(root, staging, on_event, total=sum(item.kind != "folder" for item in first))
    try:
        # The databases, each at one instant; then the files as they are after that, listed
        # afresh, so that every copy of a message the journal's snapshot names is among them.
        databases = [item for item in first if item.kind == "database"]
        for item in databases:
            copying.copy(item)
        copied = set(databases)
        rest = [item for item in _survey(root, on_event) if item not in copied]
        copying.total = len(databases) + sum(item.kind != "folder" for item in rest)
        for item in rest:
            copying.copy(item)
        _finish(staging, target)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise _stopped(error, staging, target) from None
        raise
    with suppress(OSError):  # the backup is whole and named; this only hastens the disk
        _sync_folder(target.parent)
    items = databases + rest
    return BackupResult(
        root=root,
        directory=target,
        files=sum(item.kind in ("file", "link") for item in items),
        databases=tuple(sorted(str(item.path) for item in items if item.kind == "database")),
        links=tuple(str(item.path) for item in items if item.kind == "link"),
        size=copying.size,
    )


# --------------------------------------------------------------------------- where it goes


def _target(root: Path, directory: Path) -> Path:
    """DIR as a real path, once it is known to be a place a backup may go; refused otherwise,
    before anything is written."""
    target = Path(os.path.realpath(directory))
    if target == root or root in target.parents:
        raise BackupError(
            _(
                "{directory}: is inside the workspace {root}; a backup goes outside it (on "
                "another disk, at best), e.g. lettersmith backup /var/backups/union-2026-12-03"
            ).format(directory=directory, root=root)
        )
    if target.is_file() or (target.exists() and not target.is_dir()):
        raise BackupError(
            _("{directory}: is a file; give a new folder for the backup").format(
                directory=directory
            )
        )
    if target.is_dir():
        try:
            names = os.listdir(target)
        except OSError as error:
            raise _unwritable(directory, error) from None
        if names:
            raise BackupError(
                _(
                    "{directory}: is not empty; a backup goes into a new or empty folder, so "
                    "that two backups never mix: give a new name (the date in it, for instance)"
                ).format(directory=directory)
            )
        if target.stat().st_dev != target.parent.stat().st_dev:
            raise BackupError(
                _(
                    "{directory}: is a disk of its own (a mount point); the backup is written "
                    "beside the folder and renamed, which cannot cross disks: give a new "
                    "folder inside it, e.g. {example}"
                ).format(directory=directory, example=Path(directory) / "union-backup")
            )
    existing = next(folder for folder in target.parents if folder.exists())
    if not existing.is_dir():
        raise _unwritable(directory, OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise _unwritable(directory, OSError(errno.EACCES, os.strerror(errno.EACCES)))
    return target


def _staging(target: Path) -> Path:
    """The hidden folder beside ``target`` the backup is written into (readable only by its
    owner, as the journal's copies of messages are private)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(
            tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
        )
    except OSError as error:
        raise _unwritable(target, error) from None


def _finish(staging: Path, target: Path) -> None:
    """Make the copy durable, then give it its name in one step."""
    if hasattr(os, "sync"):
        os.sync()
    if os.name == "nt" and target.is_dir():  # Windows renames onto no folder, empty or not
        target.rmdir()
    os.replace(staging, target)  # onto an empty folder; one filled meanwhile is an error


def _sync_folder(folder: Path) -> None:
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- what is copied


def _survey(root: Path, on_event: OnEvent) -> Iterator[_Item]:
    """Every folder, file, link and database to copy, a folder before what it holds."""
    folders = [PurePosixPath()]
    while folders:
        folder = folders.pop()
        try:
            entries = sorted(os.scandir(root / folder), key=lambda entry: entry.name)
        except FileNotFoundError:  # deleted since it was listed
            continue
        in_state = folder.parts[:1] == (STATE_DIR,)
        databases = {
            entry.name
            for entry in entries
            if in_state and entry.is_file(follow_symlinks=False) and _is_database(entry.path)
        }
        subfolders = []
        for entry in entries:
            path = folder / entry.name
            if str(path) in LEFT_OUT or _sidecar(entry.name, databases):
                continue
            if entry.is_symlink():
                _warn_if_outside(root, path, on_event)
                yield _Item(path, "link")
            elif entry.is_dir(follow_symlinks=False):
                yield _Item(path, "folder")
                subfolders.append(path)
            elif entry.is_file(follow_symlinks=False):
                yield _Item(path, "database" if entry.name in databases else "file")
            else:
                on_event(
                    Warning(
                        _(
                            "{path}: warning: not a file, folder or link (a pipe or a "
                            "device); left out of the backup"
                        ).format(path=path)
                    )
                )
        folders.extend(reversed(subfolders))


def _is_database(path: str) -> bool:
    try:
        with open(path, "rb") as file:
            return file.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def _sidecar(name: str, databases: set[str]) -> bool:
    return any(name.endswith(end) and name[: -len(end)] in databases for end in SIDECARS)


def _warn_if_outside(root: Path, path: PurePosixPath, on_event: OnEvent) -> None:
    real = Path(os.path.realpath(root / path))
    if real == root or root in real.parents:
        return
    on_event(
        Warning(
            _(
                "{path}: warning: a link to {target}, outside the workspace; the backup holds "
                "the link, not what it points to: copy that yourself, or put the file itself "
                "in the workspace"
            ).format(path=path, target=os.readlink(root / path))
        )
    )


# --------------------------------------------------------------------------- copying


class _Copying:
    """Copies items into the staging folder one by one, counting them for the progress bar
    and their bytes for the summary."""

    def __init__(self, root: Path, staging: Path, on_event: OnEvent, total: int) -> None:
        self.root, self.staging, self.on_event = root, staging, on_event
        self.total = total  # what is left to copy is listed again after the databases
        self.done = self.size = 0
        on_event(Progress(STAGE, 0, total))

    def copy(self, item: _Item) -> None:
        source, target = self.root / item.path, self.staging / item.path
        if item.kind == "folder":
            target.mkdir(parents=True, exist_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if item.kind == "database":
                self.size += _copy_database(source, target, item.path, self.on_event)
            elif item.kind == "link":
                os.symlink(os.readlink(source), target)
            else:
                shutil.copy2(source, target, follow_symlinks=False)
                self.size += target.lstat().st_size
        except FileNotFoundError as error:
            if error.filename is not None and Path(error.filename) != source:
                raise
            # gone since it was listed (a file written beside and renamed into place)
        self.done += 1
        self.on_event(Progress(STAGE, self.done, max(self.total, self.done)))


def _copy_database(source: Path, target: Path, shown: PurePosixPath, on_event: OnEvent) -> int:
    """``source`` copied by SQLite's backup API as it stands at one instant; the bytes written.

    Opened read-only: a running send or web app goes on writing while it is read, and nothing
    of the source is changed (a read-only connection never checkpoints its write-ahead log).
    A damaged database cannot be read that way; it is copied byte for byte, with a warning.
    """
    try:
        db = sqlite3.connect(
            f"{source.as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS, isolation_level=None
        )
    except sqlite3.Error as error:
        raise _unreadable(shown, error) from None
    try:
        copy = sqlite3.connect(target, isolation_level=None)
        try:
            db.backup(copy)
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error) or "unable to open" in str(error):
            raise _unreadable(shown, error) from None
        verdict = str(error)
        _copy_damaged(source, target)
    except sqlite3.DatabaseError as error:  # malformed, not a database after all
        verdict = str(error)
        _copy_damaged(source, target)
    finally:
        db.close()
    if verdict != "ok":
        on_event(
            Warning(
                _(
                    "{path}: warning: the database is damaged ({verdict}); it was copied as it "
                    "is. For the journal, `lettersmith journal rebuild` restores it from the "
                    "copies of the sent messages in .lettersmith/sent/"
                ).format(path=shown, verdict=verdict)
            )
        )
    return sum(
        path.stat().st_size
        for path in (target, *(target.with_name(target.name + end) for end in SIDECARS))
        if path.exists()
    )


def _copy_damaged(source: Path, target: Path) -> None:
    """A database the backup API cannot read, copied with its sidecars as they are."""
    for end in ("", *SIDECARS):
        target.with_name(target.name + end).unlink(missing_ok=True)
        with_end = source.with_name(source.name + end)
        if with_end.is_file() and not with_end.is_symlink():
            shutil.copy2(with_end, target.with_name(target.name + end))


# --------------------------------------------------------------------------- messages


def _unwritable(directory: Path, error: OSError) -> BackupError:
    return BackupError(
        _("{directory}: cannot be written: {reason}; give a folder you may write to").format(
            directory=directory, reason=error.strerror or error
        )
    )


def _unreadable(path: PurePosixPath, error: sqlite3.Error) -> BackupError:
    return BackupError(
        _(
            "{path}: cannot be read for the backup ({error}); if another program holds it "
            "locked, try again in a minute; nothing was written"
        ).format(path=path, error=error)
    )


def _stopped(error: OSError, staging: Path, target: Path) -> BackupError:
    """A copy that failed: named by the workspace's file that could not be read, or by DIR
    when writing failed (a full disk), never by the hidden folder, which is gone."""
    where: str | Path = target
    if error.filename is not None and not Path(error.filename).is_relative_to(staging):
        where = error.filename
    return BackupError(
        _(
            "{where}: {reason}; the backup stopped and nothing was left in {directory}. Free "
            "some space or fix the permission, then run the same command again"
        ).format(where=where, reason=error.strerror or error, directory=target)
    )
