"""Files that appear whole or not at all, and files' contents hashed once per version."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp makes files only their owner can read; a letter should be as readable as any file.
_MODE = 0o666 & ~_umask()


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


def content_hash(path: Path, info: os.stat_result) -> str:
    """The sha256 of a file's contents, read once per version of it (its size and time in
    ``info``): a build of 1,000 letters shows the same logo 1,000 times. Raises OSError."""
    return _content_hash(path, info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=4096)
def _content_hash(path: Path, _mtime_ns: int, _size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
