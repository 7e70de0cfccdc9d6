"""The audit trail: who changed which file, approved which revision, sent which letter, when.

Kept in ``.lettersmith/audit.sqlite`` (readable by its owner only): one row per change made
through a ``Project`` save (the file, workspace-relative, and a unified diff of its text), per
approval and per send. A union's server is shared by its secretary, its board and its clubs;
the trail is how they see afterwards who did what.

**Never a change without its row.** A row is written as ``pending`` *before* the file is
written (or the approval recorded, or the first message sent), and marked ``done`` after. If
the row cannot be written, the change is refused and nothing is touched: a file changed and
not audited is worse than a save refused. If the change fails, its pending row is taken out
again, unless the change says it landed all the same (a later step failed after the file was
in place: the row is marked done) or cannot tell (it stays pending); a send that stopped
half-way keeps its row, marked ``stopped``. A crash between the file and the mark leaves
``pending``: shown as "not confirmed", so a reader knows the change may or may not have
landed.

Each call opens its own connection (SQLite serialises writers, WAL lets readers go on), so the
web app's threads may record at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from lettersmith.errors import LettersmithError
from lettersmith.load.tables import neutralised
from lettersmith.roles import role_word
from lettersmith.translate import _

AUDIT_FILE = "audit.sqlite"
MAX_DIFF = 20_000  # characters of a diff kept: a statement's change fits, a whole register not
Kind = Literal["change", "approval", "send"]
State = Literal["pending", "done", "stopped"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,            -- ISO 8601, UTC, to the second
    account   TEXT NOT NULL,            -- '' for the workspace's own computer (no account)
    role      TEXT NOT NULL,            -- '' likewise
    kind      TEXT NOT NULL,            -- change, approval, send
    file      TEXT NOT NULL DEFAULT '', -- workspace-relative, for a change
    letter    TEXT NOT NULL DEFAULT '', -- for an approval or a send
    club      TEXT NOT NULL DEFAULT '', -- the club a change, approval or send is about
    revision  TEXT NOT NULL DEFAULT '',
    note      TEXT NOT NULL DEFAULT '', -- an approval's note; a change's summary (binary file)
    counts    TEXT NOT NULL DEFAULT '{}', -- a send's outcome, JSON: {"sent": 3, ...}
    diff      TEXT NOT NULL DEFAULT '',
    state     TEXT NOT NULL             -- pending, done, stopped
)
"""
_COLUMNS = "id, at, account, role, kind, file, letter, club, revision, note, counts, diff, state"
_ready: set[Path] = set()  # trail files this process has turned to WAL
_ready_lock = threading.Lock()
CSV_HEADER = (
    "time_utc", "account", "role", "kind", "file", "letter", "club", "revision", "note",
    "counts", "state", "diff",
)  # fmt: skip


@dataclass(frozen=True)
class AuditEntry:
    """One row of the trail, as ``Project.audit`` returns it (newest first)."""

    id: int
    at: str  # ISO 8601, UTC ("2026-12-03T13:40:05+00:00")
    account: str  # the account's name; "" for the workspace's own computer (no account)
    role: str  # the account's role ("board", "club:bergen"); "" without an account
    kind: Kind  # "change" (a file saved), "approval", "send"
    file: str  # a change's file, workspace-relative ("letters/x.yaml"); "" otherwise
    letter: str  # an approval's or a send's letter; "" for a change
    club: str | None  # the club it is about (a club's file, version, approval, send)
    revision: str  # an approval's or a send's revision (short code); ""
    note: str  # an approval's note; a change's summary when it has no text diff
    counts: Mapping[str, int]  # a send's outcome: {"sent": 3, "failed": 1, ...}
    diff: str  # a change's unified diff (bounded to MAX_DIFF characters)
    state: State  # "done"; "pending": not confirmed (a crash); "stopped": a send cut short

    @property
    def who(self) -> str:
        """The account and role in the reader's words ("kari (board member)", "berit (club
        bergen)"), or "this computer": the same on the letter's page and from the command."""
        if not self.account:
            return _("this computer")
        return _("{name} ({role})").format(name=self.account, role=role_word(self.role))

    @property
    def when(self) -> str:
        return self.at[:16].replace("T", " ") + " UTC"

    def describe(self) -> str:
        """What happened, in one line of words (without who and when)."""
        where = _(" (club {club})").format(club=self.club) if self.club else ""
        if self.kind == "change":
            text = _("changed {file}").format(file=self.file)
            if self.note:
                text += f": {self.note}"
        elif self.kind == "approval":
            text = _("approved {letter}{where}, revision {revision}").format(
                letter=self.letter, where=where, revision=self.revision
            )
            if self.note:
                text += f" ({self.note})"
        else:
            counted = ", ".join(f"{_(state)} {n}" for state, n in sorted(self.counts.items()))
            text = _("sent {letter}{where}, revision {revision}: {counts}").format(
                letter=self.letter, where=where, revision=self.revision, counts=counted or "0"
            )
        if self.state == "pending":
            text += " " + _("(not confirmed: it may not have happened)")
        elif self.state == "stopped":
            text += " " + _("(stopped before the end)")
        return text


def club_of_file(rel: str) -> str | None:
    """The club a workspace file belongs to (``clubs/bergen.yaml``, ``clubs/bergen/...``)."""
    parts = rel.split("/")
    if parts[0] != "clubs" or len(parts) < 2:
        return None
    if len(parts) == 2:
        return parts[1][: -len(".yaml")] if parts[1].endswith(".yaml") else None
    return parts[1]


def text_diff(file: str, before: str, after: str) -> str:
    """The unified diff of a file's text, cut at ``MAX_DIFF`` characters with a line saying so."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{file}",
        tofile=f"b/{file}",
        n=2,
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    if len(text) <= MAX_DIFF:
        return text
    cut = text.rfind("\n", 0, MAX_DIFF) + 1
    rest = text[cut:].count("\n")
    return text[:cut] + _("… {count} more lines of the difference left out").format(count=rest)


@dataclass
class Pending:
    """A row written before its change: what to fill in once the change is done."""

    counts: dict[str, int] = field(default_factory=dict)
    file: str | None = None  # known only once written (an upload's name)
    diff: str | None = None
    note: str | None = None
    keep_if_stopped: bool = False  # a send: what went out before the stop did happen
    stopped: bool = False  # the change returned, cut short (a send whose server went away)
    # Whether the change is in place, asked when the body raised: a file written before a
    # later step failed keeps its row (done), never a change without one.
    landed: Callable[[], bool] | None = None


class AuditLog:
    """The workspace's trail in ``state_dir/audit.sqlite``."""

    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.path = state_dir / AUDIT_FILE

    # ------------------------------------------------------------------- writing

    @contextmanager
    def recording(
        self,
        who: tuple[str, str],
        kind: Kind,
        *,
        file: str = "",
        letter: str = "",
        club: str | None = None,
        revision: str = "",
        note: str = "",
        diff: str = "",
    ) -> Iterator[Pending]:
        """Write a pending row, run the change (the ``with`` body), then mark it done.

        Raises ``LettersmithError`` before the body when the trail cannot be written, so the
        change is refused. A body that raises takes its row out again (``keep_if_stopped``:
        marks it ``stopped`` instead).
        """
        if club is None and file:
            club = club_of_file(file)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._connection() as db:
            row = db.execute(
                "INSERT INTO audit (at, account, role, kind, file, letter, club, revision, "
                "note, diff, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                (at, *who, kind, file, letter, club or "", revision, note, diff),
            ).lastrowid
        pending = Pending()
        try:
            yield pending
        except BaseException:
            if pending.keep_if_stopped:
                self._settle(row, pending, "stopped")
            elif pending.landed is None:
                self._settle(row, pending, None)
            elif (landed := _landed(pending.landed)) is not None:
                self._settle(row, pending, "done" if landed else None)
            raise  # landed unknown: the row stays pending, "not confirmed"
        self._settle(row, pending, "stopped" if pending.stopped else "done")

    def _settle(self, row: int | None, pending: Pending, state: State | None) -> None:
        # After the change: a failure here leaves the row pending ("not confirmed"), which is
        # true, so it is not raised over the change's own outcome.
        try:
            with self._connection() as db:
                if state is None:
                    db.execute("DELETE FROM audit WHERE id = ?", (row,))
                    return
                club = club_of_file(pending.file) if pending.file else None
                db.execute(
                    "UPDATE audit SET state = ?, counts = ?, diff = coalesce(?, diff), "
                    "note = coalesce(?, note), file = coalesce(?, file), "
                    "club = coalesce(?, club) WHERE id = ?",
                    (state, json.dumps(pending.counts), pending.diff, pending.note,
                     pending.file, club, row),
                )  # fmt: skip
        except LettersmithError:
            pass

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # made private before SQLite opens it (and its WAL)
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            elif self.path.stat().st_mode & 0o077:  # put back by a copy with the umask's mode
                os.chmod(self.path, 0o600)
            with closing(sqlite3.connect(self.path, isolation_level=None, timeout=30)) as db:
                # Turning a new file to WAL takes it whole, and SQLite does not wait for that:
                # two threads doing it at once would see "locked". Once per file per process
                # (the mode stays in the file), the table made in the same step.
                with _ready_lock:
                    if self.path not in _ready:
                        db.execute("PRAGMA journal_mode=WAL")
                        db.execute(_SCHEMA)
                        _ready.add(self.path)
                db.execute("PRAGMA synchronous=FULL")
                db.execute(_SCHEMA)  # a file made again since (a restore): its table too
                yield db
        except (OSError, sqlite3.Error) as error:
            raise LettersmithError(
                _(
                    "{path}: the audit trail cannot be written ({error}); nothing was changed. "
                    "Check that the folder is writable"
                ).format(path=self.path, error=error)
            ) from None

    # ------------------------------------------------------------------- reading

    def entries(self, keep: Callable[[AuditEntry], bool] | None = None) -> tuple[AuditEntry, ...]:
        """Every row ``keep`` accepts, newest first. No trail yet: none."""
        if not self.path.exists():
            return ()
        try:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)) as db:
                rows = db.execute(
                    f"SELECT {_COLUMNS} FROM audit ORDER BY at DESC, id DESC"  # noqa: S608
                ).fetchall()
        except sqlite3.Error as error:
            raise LettersmithError(
                _("{path}: the audit trail cannot be read ({error})").format(
                    path=self.path, error=error
                )
            ) from None
        found = (_entry(row) for row in rows)
        return tuple(entry for entry in found if keep is None or keep(entry))


def _landed(landed: Callable[[], bool]) -> bool | None:
    try:
        return landed()
    except Exception:  # cannot tell
        return None


def _entry(row: Sequence[object]) -> AuditEntry:
    rid, at, account, role, kind, file, letter, club, revision, note, counts, diff, state = row
    return AuditEntry(
        id=int(str(rid)),
        at=str(at),
        account=str(account),
        role=str(role),
        kind=str(kind),  # type: ignore[arg-type]  # written only by ``recording``
        file=str(file),
        letter=str(letter),
        club=str(club) or None,
        revision=str(revision),
        note=str(note),
        counts=json.loads(str(counts) or "{}"),
        diff=str(diff),
        state=str(state),  # type: ignore[arg-type]
    )


def letter_files(root: Path, letter: str) -> frozenset[str]:
    """The files a letter is made of, as its file names them now: the letter's own, its
    position's and its attachments' (workspace-relative)."""
    from lettersmith.app import sources

    rel = sources.path_of("letter", letter)
    fields = sources.yaml_fields(sources.read(root, rel).text)
    files = {rel}
    position = fields.get("position")
    if isinstance(position, str) and position:
        files.add(f"positions/{position}.md")
    attachments = fields.get("attachments")
    for item in attachments if isinstance(attachments, list) else [attachments]:
        if isinstance(item, str) and item:
            files.add(item.removeprefix("./"))
    return frozenset(files)


def selection(
    root: Path, letter: str | None, club: str | None, confined_to: str | None
) -> Callable[[AuditEntry], bool]:
    """Which entries ``Project.audit(letter, club=club)`` shows.

    No letter: everything (with ``club``: everything about that club). A letter: the changes
    to its files (``letter_files``) and its approvals and sends; the union's version, or with
    ``club`` that club's version, its files included. ``confined_to``: a club account's
    club, which sees only its own club's entries and the changes to the union's positions and
    letters.
    """
    files = letter_files(root, letter) if letter else frozenset()

    def visible(entry: AuditEntry) -> bool:
        if confined_to is None or entry.club == confined_to:
            return True
        return entry.kind == "change" and entry.file.startswith(("positions/", "letters/"))

    def asked(entry: AuditEntry) -> bool:
        if letter is None:
            return club is None or entry.club == club
        if entry.kind != "change":
            return entry.letter == letter and entry.club == club
        return entry.file in files or (club is not None and entry.club == club)

    return lambda entry: visible(entry) and asked(entry)


def export_rows(entries: Sequence[AuditEntry]) -> list[list[str]]:
    """The header and one row per entry, as text cells (a table writer neutralises them)."""
    rows = [list(CSV_HEADER)]
    for entry in entries:
        record = _record(entry)
        rows.append([_cell(record[name]) for name in CSV_HEADER])
    return rows


def write_stream(
    entries: Sequence[AuditEntry], stream: IO[str], format: Literal["csv", "json"] = "csv"
) -> None:
    """The entries as CSV (``;`` between cells, as the register's export) or a JSON list."""
    if format == "json":
        json.dump([_record(entry) for entry in entries], stream, ensure_ascii=False, indent=2)
        stream.write("\n")
        return
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerows([[neutralised(cell) for cell in row] for row in export_rows(entries)])


def _cell(value: object) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict) else str(value)


def _record(entry: AuditEntry) -> dict[str, object]:
    return {
        "time_utc": entry.at,
        "account": entry.account,
        "role": entry.role,
        "kind": entry.kind,
        "file": entry.file,
        "letter": entry.letter,
        "club": entry.club or "",
        "revision": entry.revision,
        "note": entry.note,
        "counts": dict(entry.counts),
        "state": entry.state,
        "diff": entry.diff,
    }
