"""The files a person edits, read and saved for a face that cannot open an editor (the web app).

A save is a normal edit of ``positions/``, ``letters/``, ``recipients.yaml`` or ``clubs/``:
only the fields named change, the comments and layout stay (``yamledit``). Three things
protect the person's files:

- **No silent overwrite.** Every read gives the file's version (the sha256 of its bytes);
  a save names the version it started from, and if the file on disk is another one the save
  is refused with an ``EditConflict`` that carries both texts, so the person can choose.
- **Nothing that breaks ``check``.** The workspace is loaded as ``check`` loads it, with the
  new text in place of the file (``load.pending``) and nothing written; a save that adds a
  problem, or leaves one in the saved file, is refused with every problem (``FILE:LINE``).
- **Whole or not at all.** The file is written beside and renamed into place.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from lettersmith.app import yamledit
from lettersmith.app.yamledit import Value
from lettersmith.atomic import atomic_write
from lettersmith.errors import LettersmithError, Problem, WorkspaceError
from lettersmith.load import clubs, pending, workspace
from lettersmith.load.entries import LETTER_FIELDS, RECIPIENT_FIELDS, RECIPIENTS_FILE
from lettersmith.load.yamlfile import Map, Node, Scalar, Seq, is_id, parse_yaml
from lettersmith.translate import _

FOLDERS = {
    "position": ("positions", ".md"),
    "letter": ("letters", ".yaml"),
    "club": ("clubs", ".yaml"),
}
POSITION_FIELDS = workspace.POSITION_FIELDS
CLUB_FIELDS = clubs.CLUB_FIELDS
MAX_TEXT = 1_000_000  # characters: a statement is a few thousand; a club's file has its limit
FENCE = "---"

# The audit trail's record of a save: given the file as it was and the new text.
Recorder = Callable[["SourceFile", str], AbstractContextManager[object]]

_saving = threading.Lock()  # one save at a time in this process: check and write as one step


@dataclass(frozen=True)
class SourceFile:
    """A file's text as it is on disk, and its version (empty when there is no such file)."""

    rel: str
    text: str
    version: str

    @property
    def exists(self) -> bool:
        return bool(self.version)


class BadId(LettersmithError):
    """An id that cannot name a file: refused before it becomes a path."""


class EditConflict(LettersmithError):
    """The file changed on disk since the person opened it: both versions, to choose from."""

    def __init__(self, source: SourceFile, mine: str, expected: str):
        self.rel = source.rel
        self.mine = mine  # the text the save would have written
        self.theirs = source.text  # the text on disk now ("" when it was deleted)
        self.expected = expected
        self.current = source.version
        super().__init__(
            _(
                "{file}: the file was changed by someone else since you opened it; "
                "nothing was saved: compare the two versions and choose"
            ).format(file=source.rel)
        )


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked_id(value: str) -> str:
    """``value`` when it is an id (lowercase letters, digits and '-'), else ``BadId``."""
    if not isinstance(value, str) or not is_id(value):
        raise BadId(
            _(
                "'{id}' is not a valid id; use lowercase letters, digits and '-', "
                "starting with a letter or digit"
            ).format(id=str(value)[:80])
        )
    return value


def path_of(kind: str, item: str | None = None) -> str:
    """The workspace-relative file of a position, letter or club (its id checked), or of the
    register (``recipients``)."""
    if kind == "recipients":
        return RECIPIENTS_FILE
    if kind not in FOLDERS:
        raise LettersmithError(f"unknown kind of file: {kind}")
    folder, suffix = FOLDERS[kind]
    return f"{folder}/{checked_id(item or '')}{suffix}"


def new(rel: str) -> SourceFile:
    """A file not yet made: empty."""
    return SourceFile(rel, "", "")


def read(root: Path, rel: str) -> SourceFile:
    """The file ``rel`` as it is now (an empty text and version when it does not exist)."""
    path = root / rel
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return SourceFile(rel, "", "")
    except OSError as error:
        raise LettersmithError(
            _("{file}: cannot be read: {reason}").format(file=rel, reason=error.strerror)
        ) from None
    try:
        return SourceFile(rel, data.decode("utf-8-sig"), version_of(data))
    except UnicodeDecodeError:
        raise LettersmithError(
            _("{file}: is not UTF-8 text; save it as UTF-8").format(file=rel)
        ) from None


def save(
    root: Path, rel: str, text: str, expected: str | None, record: Recorder | None = None
) -> SourceFile:
    """Write ``text`` as the file ``rel`` if it is still at version ``expected`` (None: a new
    file, refused if one exists) and the workspace passes the load checks with it.

    ``record(before, after)``: the audit trail's record of the change, entered once the
    checks pass and left once the file is in place (``app/audit.py``)."""
    if len(text) > MAX_TEXT:
        raise LettersmithError(
            _("{file}: the text is longer than {limit:,} characters; shorten it").format(
                file=rel, limit=MAX_TEXT
            )
        )
    with _saving:
        current = read(root, rel)
        if expected is None and current.exists:
            raise LettersmithError(_("{file}: already exists; choose another id").format(file=rel))
        if expected is not None and current.version != expected:
            raise EditConflict(current, text, expected)
        problems = problems_with(root, {rel: text})
        if problems:
            raise WorkspaceError(problems)
        # Checked again last: an editor that saved the file while it was being checked.
        if (again := read(root, rel)).version != current.version:
            raise EditConflict(again, text, expected or "")
        data = text.encode("utf-8")
        with record(current, text) if record else nullcontext():
            atomic_write(root / rel, data)
    return SourceFile(rel, text, version_of(data))


def problems_with(root: Path, files: Mapping[str, str]) -> list[Problem]:
    """The problems the workspace would have with ``files`` changed that it has not now, and
    every problem left in those files: what a save of them must fix first."""
    before = set(_problems(root, {}))
    return [p for p in _problems(root, files) if p not in before or p.file in files]


def _problems(root: Path, files: Mapping[str, str]) -> list[Problem]:
    with pending.pending(files):
        try:
            workspace.load(root)
        except WorkspaceError as error:
            return error.problems
    return []


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class PositionText:
    """A position file split as a person edits it: the front matter's fields and the body."""

    fields: dict[str, str]
    body: str


def split_position(text: str) -> PositionText:
    """The fields and the body of a position's text (what cannot be split: all body)."""
    lines = text.replace("\r\n", "\n").split("\n")
    close = _closing_fence(lines)
    if close is None:
        return PositionText({}, text)
    node = parse_yaml("\n".join(lines[1:close]), "", [], first_line=2)
    fields = plain(node) if isinstance(node, Map) else {}
    return PositionText(
        {k: v for k, v in fields.items() if isinstance(v, str)} if isinstance(fields, dict) else {},
        "\n".join(lines[close + 1 :]).strip("\n"),
    )


def position_text(old: SourceFile, fields: Mapping[str, Value], body: str) -> str:
    """A position's new text: ``old``'s front matter with ``fields`` changed (its comments
    kept), then ``body``."""
    lines = old.text.replace("\r\n", "\n").split("\n")
    close = _closing_fence(lines)
    front = "\n".join(lines[1:close]) + "\n" if close is not None else ""
    front = yamledit.edit_mapping(front, fields, POSITION_FIELDS, file=old.rel)
    body = body.replace("\r\n", "\n").strip("\n")
    text = f"{FENCE}\n{front.replace(chr(13), '')}{FENCE}\n{body}\n"
    return text.replace("\n", "\r\n") if "\r\n" in old.text else text  # Windows line ends kept


def _closing_fence(lines: Sequence[str]) -> int | None:
    if not lines or lines[0].strip() != FENCE:
        return None
    return next((i for i in range(1, len(lines)) if lines[i].strip() == FENCE), None)


# --------------------------------------------------------------------------- YAML files


def yaml_fields(text: str) -> dict[str, object]:
    """A YAML file's fields as plain texts, lists and mappings, read as lettersmith reads them
    (every value the text typed); {} when it is not a mapping."""
    node = parse_yaml(text, "", []) if text.strip() else None
    fields = plain(node) if isinstance(node, Map) else {}
    return fields if isinstance(fields, dict) else {}


def plain(node: Node) -> object:
    """A node as plain Python: a text, a list, a mapping."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Seq):
        return [plain(item) for item in node.items]
    return {key: plain(value) for key, (_line, value) in node.entries.items()}


def letter_text(old: SourceFile, fields: Mapping[str, Value]) -> str:
    return yamledit.edit_mapping(old.text, fields, LETTER_FIELDS, file=old.rel)


def recipient_text(old: SourceFile, recipient: str, fields: Mapping[str, Value]) -> str:
    at = (checked_id(recipient),)
    return yamledit.edit_mapping(old.text, fields, RECIPIENT_FIELDS, at=at, file=old.rel)


def club_text(old: SourceFile, fields: Mapping[str, Value]) -> str:
    return yamledit.edit_mapping(old.text, fields, CLUB_FIELDS, file=old.rel)


# --------------------------------------------------------------------------- offices


def office_entries(register: Mapping[str, object], offices: Sequence[str]) -> dict[str, str]:
    """For each built-in office (``no/hod``), the register's id of the entry that names it:
    one already there, or a new one named after the office (``hod``; ``hod-2`` when taken)."""
    from lettersmith.load.offices import get

    chosen: dict[str, str] = {}
    taken = set(register)
    for office_id in offices:
        get(office_id)  # an unknown office: the engine's own words
        existing = next(
            (
                key
                for key, entry in register.items()
                if isinstance(entry, dict) and entry.get("office") == office_id
            ),
            None,
        )
        if existing is None:
            base = office_id.rsplit("/", 1)[-1]
            existing, number = base, 1
            while existing in taken:
                number += 1
                existing = f"{base}-{number}"
            taken.add(existing)
        chosen[office_id] = existing
    return chosen


def problems_in(root: Path, rel: str) -> list[Problem]:
    """The problems ``check``'s loading finds in the file ``rel`` now."""
    return [p for p in _problems(root, {}) if p.file == rel]
