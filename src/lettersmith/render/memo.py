"""Knowing, without reading the workspace, that a build has nothing to do.

A build with nothing changed still has to load the register, compose every letter and hash
it to find that out: about a second for 1,000 letters. Like ``make``, lettersmith instead
remembers, after a build that made everything it was asked for, what it was asked and what
it saw:

- the command (letters, club, formats, --to, the overrides, the PDF variant),
- today's date (a letter without a date is dated today),
- lettersmith's version and code,
- every input of the workspace -- lettersmith.yaml, recipients.yaml, positions/, letters/,
  clubs/, templates/, assets/ and every file the settings name by path (a certificate in
  certs/, an attachment kept elsewhere) -- by name, size, times (the change time too, which
  no program can set back) and inode, and where a link points; and the send journal (a sent
  letter keeps the date of its first send),
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
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from lettersmith import __version__
from lettersmith.atomic import OutDir
from lettersmith.errors import LettersmithError

MEMO = ".build-memo.json"
KEPT = 8  # the last few different commands are remembered
# What a build reads; nothing else in the workspace (a .venv, .git, notes) is looked at.
INPUT_FILES = ("lettersmith.yaml", "recipients.yaml")
INPUT_FOLDERS = ("positions", "letters", "clubs", "templates", "assets")
# In .lettersmith/, only the journal says anything about a letter (the date of a first send).
JOURNAL = ("journal.sqlite", "journal.sqlite-wal")
# A path written in a settings file: `certificate: certs/union.p12`, `- docs/vedlegg.pdf`.
NAMED_PATH = re.compile(r"[\w.~/\\-]+\.[A-Za-z0-9]{1,8}\b")


def inputs_key(root: Path, command: Mapping[str, object], code: str) -> str:
    """A hash of everything a build of ``command`` depends on.

    ``command`` is what decides the outputs (letters, club, formats, --to, overrides, PDF
    variant): not how the build runs (--force, --jobs, -v), so that any of those builds leaves
    a record the next one can use.
    """
    digest = hashlib.sha256()
    head = {"version": __version__, "code": code, "today": dt.date.today().isoformat()}
    digest.update(json.dumps([head, command], sort_keys=True, default=str).encode())
    for line in _files(root):
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _files(root: Path) -> Iterable[str]:
    """A line per input file and folder (see the module's docstring)."""
    named: set[Path] = set()
    for name in INPUT_FILES:
        yield _identity(root / name, root)
    for top in INPUT_FOLDERS:
        yield _identity(root / top, root)
        for folder, dirs, files in os.walk(root / top):
            dirs.sort()
            for name in sorted(files) + dirs:
                path = Path(folder, name)
                yield _identity(path, root)
                if name.endswith((".yaml", ".yml")) and top in ("letters", "clubs"):
                    named.update(_named_paths(path, root))
    named.update(_named_paths(root / "lettersmith.yaml", root))
    for path in sorted(named):
        yield "named\0" + _identity(path, root)
    for name in JOURNAL:
        yield _identity(root / ".lettersmith" / name, root)


def _named_paths(settings: Path, root: Path) -> set[Path]:
    """Every file a settings file may name by path, relative to the workspace or to a club's
    folder; a word that only looks like a path (an email's domain) names a missing file, which
    costs nothing."""
    try:
        text = settings.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    bases = (root, root / "clubs" / settings.stem) if settings.parent.name == "clubs" else (root,)
    found = set()
    for word in {*NAMED_PATH.findall(text), *_values(text)}:
        for base in bases:
            path = Path(os.path.normpath(base / word))
            if not path.is_relative_to(root / "out"):
                found.add(path)
    return found


def _values(text: str) -> Iterable[str]:
    """Every value of the text that ends like a file name, whole: a quoted or plain path with
    spaces (``certificate: "certs/union 2025.p12"``), which NAMED_PATH sees only in part."""
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*", "", line)  # a comment
        for piece in re.split(r"[\[\]{},]|:\s|^\s*-\s", line):
            value = piece.strip().strip("\"'").strip()
            if FILE_NAME.fullmatch(value):
                yield value


# A value that may be a file's path: anything ending in a short extension.
FILE_NAME = re.compile(r"[^\x00-\x1f]+\.[A-Za-z0-9]{1,8}")


def _identity(path: Path, root: Path) -> str:
    name = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
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
