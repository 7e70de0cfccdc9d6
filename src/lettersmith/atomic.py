"""Files that appear whole or not at all, files' contents hashed once per version, and out/
written only through folder handles (``OutDir``)."""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from lettersmith.translate import _


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes files only their owner can read; a letter should be as readable as any file.
_MODE = 0o666 & ~_umask()
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def atomic_write(path: Path, data: bytes | str, *, durable: bool = True) -> Path:
    """Write ``data`` beside ``path`` and rename it into place, so no reader sees half a file.

    ``durable``: on disk before the rename (fsync), so a crash cannot leave an empty file in
    its place. Only for a file whose loss costs nothing, such as a note that lets a later
    run skip work, may it be False: an fsync per file is most of the cost of a small file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
                os.fchmod(handle.fileno(), _MODE)
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def file_version(info: os.stat_result) -> tuple[int, ...]:
    """A file's version: its identity, size, modification time and change time. A file
    rewritten with its size and modification time put back (``touch -r``, os.utime) still
    has a new change time, which no one can set."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def content_hash(path: Path, info: os.stat_result) -> str:
    """The sha256 of a file's contents, read once per version of it (``info``, see
    ``file_version``): a build of 1,000 letters shows the same logo 1,000 times. Raises
    OSError.

    The modification time can be put back (``touch -r``, ``cp -p``), the change time cannot,
    and a process kept open (the web app) would otherwise take other bytes for the approved
    ones. A file changed within the last two seconds is read afresh: another write in the same
    tick of the clock leaves all of its version as it was."""
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < _RACY_NS:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return _content_hash(path, file_version(info))


_RACY_NS = 2 * 10**9


@functools.lru_cache(maxsize=4096)
def _content_hash(path: Path, _version: tuple[int, ...]) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- out/, by handles

_FOLDER_FLAGS = (
    os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | _CLOEXEC
)
# Linux and macOS open, make, rename and delete relative to a folder handle; elsewhere
# (Windows) out/ is checked by its path and written by name, as before.
HANDLES = {
    os.open,
    os.mkdir,
    os.rename,
    os.unlink,
    os.rmdir,
    os.stat,
} <= os.supports_dir_fd and bool(
    hasattr(os, "O_NOFOLLOW")
    and os.listdir in os.supports_fd
    and shutil.rmtree.avoids_symlink_attacks  # it deletes by folder handles too
)


class OutDir:
    """The workspace's out/ folder, written and cleaned only through folder handles.

    Checking a path and then writing to it leaves a window: a folder of out/ swapped for a
    link in between would make lettersmith write, or delete, files anywhere. So out/ is opened
    once without following a link, and each folder below it from the handle of its parent,
    again without following one; the file is written, renamed into place and deleted relative
    to the last handle. A link met on the way is refused (``OutsideError``), whenever it came.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.path = self.root / "out"

    def write(self, path: Path, data: bytes | str, *, durable: bool = True) -> Path:
        """``data`` as the file ``path`` (inside out/), whole or not at all; returns ``path``."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if not HANDLES:
            self._check(path)
            return atomic_write(path, payload, durable=durable)
        with self._folder(path.parent, create=True) as folder:
            tmp = f".{path.name}.{secrets.token_hex(6)}.part"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC
            fd = os.open(tmp, flags, 0o666, dir_fd=folder)  # the umask applies, as for any file
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                    handle.flush()
                    if durable:
                        os.fsync(handle.fileno())
                os.rename(tmp, path.name, src_dir_fd=folder, dst_dir_fd=folder)
            except BaseException:
                with suppress(OSError):
                    os.unlink(tmp, dir_fd=folder)
                raise
        return path

    def remove(self, path: Path) -> None:
        """Delete the file ``path`` inside out/, if it is there."""
        if not HANDLES:
            self._check(path)
            path.unlink(missing_ok=True)
            return
        with self._folder(path.parent, create=False) as folder:
            if folder >= 0:
                with suppress(FileNotFoundError):
                    os.unlink(path.name, dir_fd=folder)

    def remove_tree(self, path: Path) -> None:
        """Delete the folder ``path`` inside out/ and all in it, as far as it can be (a link is
        removed itself, never followed), if it is there."""
        if not HANDLES:
            self._check(path)
            shutil.rmtree(path, ignore_errors=True)
            return
        with self._folder(path.parent, create=False) as folder:
            if folder < 0:
                return
            try:
                info = os.stat(path.name, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                return
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path.name, ignore_errors=True, dir_fd=folder)
            else:
                os.unlink(path.name, dir_fd=folder)

    def rename(self, source: Path, target: Path) -> None:
        """Rename ``source`` to ``target``, both inside out/ (a folder replaces only an empty
        one)."""
        if not HANDLES:
            self._check(source)
            self._check(target)
            source.rename(target)
            return
        with (
            self._folder(source.parent, create=False) as old,
            self._folder(target.parent, create=True) as new,
        ):
            if old < 0:
                raise FileNotFoundError(2, _("No such file or directory"), str(source))
            os.rename(source.name, target.name, src_dir_fd=old, dst_dir_fd=new)

    def make_folder(self, path: Path) -> Path:
        """The folder ``path`` inside out/, made (with its parents) when missing."""
        if not HANDLES:
            self._check(path / "x")
            path.mkdir(parents=True, exist_ok=True)
            return path
        with self._folder(path, create=True):
            return path

    def names(self, folder: Path) -> list[str]:
        """The names in ``folder`` inside out/ (none when it is missing), sorted."""
        if not HANDLES:
            self._check(folder / "x")
            return sorted(os.listdir(folder)) if folder.is_dir() else []
        with self._folder(folder, create=False) as handle:
            return sorted(os.listdir(handle)) if handle >= 0 else []

    # ----------------------------------------------------------------- handles

    @contextmanager
    def _folder(self, folder: Path, *, create: bool) -> Iterator[int]:
        """A handle on ``folder`` reached from out/ without following a link; -1 when it is
        missing and not to be made."""
        parts = self._parts(folder)
        reached = self.path
        fd = self._step(None, str(self.path), reached, create)
        try:
            for part in parts:
                if fd < 0:
                    break
                reached = reached / part
                child = self._step(fd, part, reached, create)
                os.close(fd)
                fd = child
            yield fd
        finally:
            if fd >= 0:
                os.close(fd)

    def _step(self, parent: int | None, name: str, reached: Path, create: bool) -> int:
        """The handle of the folder ``name`` in the folder ``parent`` (None: out/ itself), made
        when missing and ``create``; -1 when it is missing (or not a folder) and not made."""
        for _attempt in range(2):
            try:
                return os.open(name, _FOLDER_FLAGS, dir_fd=parent)
            except FileNotFoundError:
                if not create:
                    return -1
                with suppress(FileExistsError):
                    os.mkdir(name, 0o777, dir_fd=parent)
            except OSError as error:
                if error.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise
                if reached.is_symlink():
                    raise self._link(reached) from None
                if not create:
                    return -1
                # A file where the folder goes: what making the folder would have said.
                raise FileExistsError(
                    errno.EEXIST, os.strerror(errno.EEXIST), str(reached)
                ) from None
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(reached))

    def _parts(self, folder: Path) -> tuple[str, ...]:
        try:
            parts = Path(folder).relative_to(self.path).parts
        except ValueError:
            raise self._outside(folder) from None
        if any(part in ("..", ".") for part in parts):
            raise self._outside(folder)
        return parts

    def _check(self, path: Path) -> None:
        from lettersmith.confine import inside_out

        self._parts(path.parent)
        inside_out(path, self.root)

    def _link(self, folder: Path) -> Exception:
        """A link met where a folder of out/ should be, named as the user would type it."""
        from lettersmith.confine import OutsideError

        shown = folder.relative_to(self.root) if folder.is_relative_to(self.root) else folder
        return OutsideError(
            _(
                "{shown}: is a link to {realpath}, outside the workspace's out/ folder; "
                "lettersmith writes and deletes only inside out/: remove the link (out/ "
                "is remade by build)"
            ).format(shown=shown, realpath=os.path.realpath(folder))
        )

    def _outside(self, path: Path) -> Exception:
        from lettersmith.confine import OutsideError

        return OutsideError(
            _("{path}: is not inside {folder}/; lettersmith writes only there").format(
                path=path, folder=self.path
            )
        )
