"""Knowing, without reading the workspace, that a build has nothing to do.

A build with nothing changed still has to load the register, compose every letter and hash
it to find that out: about a second for 1,000 letters. Like ``make``, lettersmith instead
remembers, after a build that made everything it was asked for, what it was asked and what
it saw:

- the command (letters, club, formats, --to, the overrides, the PDF variant),
- today's date (a letter without a date is dated today),
- lettersmith's version and code,
- every file in the workspace outside out/ -- its name, size, times (the change time too,
  which no program can set back) and inode, and where a link points -- and the send journal
  (a sent letter keeps the date of its first send),
- and every file the build made or found up to date, by size and modification time.

When all of that is as it was, the build is done: each file it lists is still there,
unchanged. Anything else -- one byte of one file, a file in out/ deleted or rebuilt by
another command, a new day, an upgrade -- and the build goes the whole way, which decides
file by file. The record is ``out/.build-memo.json``; losing it costs one ordinary build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path

from lettersmith import __version__
from lettersmith.atomic import OutDir
from lettersmith.errors import LettersmithError

MEMO = ".build-memo.json"
KEPT = 8  # the last few different commands are remembered
MAX_FILES = 20_000  # a workspace with more files than this is simply built the whole way
SKIPPED = frozenset({"out", ".git", ".lettersmith"})
# In .lettersmith/, only the journal says anything about a letter (the date of a first send).
JOURNAL = ("journal.sqlite", "journal.sqlite-wal")


def inputs_key(root: Path, command: dict[str, object], code: str) -> str | None:
    """A hash of everything a build of ``command`` depends on, or None when the workspace is
    too large to look through quickly."""
    digest = hashlib.sha256()
    head = {"version": __version__, "code": code, "today": dt.date.today().isoformat()}
    digest.update(json.dumps([head, command], sort_keys=True, default=str).encode())
    for count, line in enumerate(_files(root)):
        if count >= MAX_FILES:
            return None
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _files(root: Path) -> Iterable[str]:
    """A line per file and folder under ``root`` (out/ and the state folder left out)."""
    for folder, dirs, files in os.walk(root):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if d not in SKIPPED]
        dirs.sort()
        for name in sorted(files) + dirs:
            yield _identity(Path(folder, name), root)
    for name in JOURNAL:
        yield _identity(root / ".lettersmith" / name, root)


def _identity(path: Path, root: Path) -> str:
    name = path.relative_to(root).as_posix()
    try:
        info = path.lstat()
    except OSError:
        return f"{name}\0missing\n"
    line = f"{name}\0{_stat(info)}"
    if stat.S_ISLNK(info.st_mode):
        try:
            line += f"\0{os.readlink(path)}\0{_stat(path.stat())}"
        except OSError:
            line += "\0broken"
    return line + "\n"


def _stat(info: os.stat_result) -> str:
    return f"{info.st_mode}:{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def recall(out: Path, key: str) -> tuple[int, list[str]] | None:
    """(files, warnings) of the build remembered under ``key``, if every file it made is still
    there as it left it; else None."""
    entry = _load(out).get(key)
    if not isinstance(entry, dict):
        return None
    files, warnings = entry.get("files"), entry.get("warnings")
    if not isinstance(files, dict) or not isinstance(warnings, list):
        return None
    for name, seen in files.items():
        try:
            info = (out / name).stat()
        except OSError:
            return None
        if [info.st_size, info.st_mtime_ns] != seen:
            return None
    return len(files), [str(line) for line in warnings]


def remember(out: Path, key: str, made: Sequence[Path], warnings: Sequence[str]) -> None:
    """Note that the build under ``key`` left ``made`` (files in ``out``) as they are now."""
    files = {}
    for path in made:
        try:
            info = path.stat()
            files[path.relative_to(out).as_posix()] = [info.st_size, info.st_mtime_ns]
        except (OSError, ValueError):
            return  # a file outside out/ or gone already: nothing worth remembering
    memo = {k: v for k, v in _load(out).items() if k != key}
    memo[key] = {"files": files, "warnings": list(warnings)}
    kept = dict(list(memo.items())[-KEPT:])
    with suppress(OSError, LettersmithError):  # out/ made a link: no memo, never written there
        OutDir(out.parent).write(out / MEMO, json.dumps(kept), durable=False)


def forget(out: Path) -> None:
    with suppress(OSError, LettersmithError):
        OutDir(out.parent).remove(out / MEMO)


def _load(out: Path) -> dict[str, object]:
    try:
        memo = json.loads((out / MEMO).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return memo if isinstance(memo, dict) else {}
