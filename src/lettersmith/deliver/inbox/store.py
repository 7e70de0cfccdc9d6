"""What came back, kept: the inbox's rows in the journal, and a copy of each matched message.

The rows live in the journal's own SQLite file (``.lettersmith/journal.sqlite``), in tables of
their own beside ``deliveries``, so one backup holds both:

- ``inbox``: one row per (message, letter, club, recipient) the message was matched to;
  a message is known by its Message-ID (its sha256 when it has none), so a message read
  again (the folder's UIDVALIDITY changed, a crash before the folder's place was saved) is
  never recorded twice.
- ``inbox_folders``: per account and folder, its UIDVALIDITY and the highest UID read.
- ``inbox_skipped``: messages read only in part (too large), so that a person can look at them.

Written as the send journal writes: the copy (``inbox/<name>.eml``) and its note
(``<name>.json``, the rows it gave) go to disk whole first, then the rows and the folder's
new place commit in one transaction. A crash in between leaves a copy without rows, which
the next run writes again under the same name, and ``lettersmith journal rebuild`` puts back
every row from the notes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Literal

import filelock

from lettersmith.atomic import atomic_write
from lettersmith.deliver.journal import LocalWriteError, connect_readonly
from lettersmith.errors import DeliveryError
from lettersmith.translate import _

EventKind = Literal["bounced", "received", "replied"]
INBOX_FOLDER = "inbox"  # under .lettersmith/
JOURNAL_FILE = "journal.sqlite"

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS inbox (
    message_key TEXT NOT NULL,   -- the message's Message-ID, or sha256:<hex> without one
    letter      TEXT NOT NULL,
    club        TEXT NOT NULL,   -- '' for the organisation's own letters
    recipient   TEXT NOT NULL,
    kind        TEXT NOT NULL,   -- bounced, received, replied
    permanent   INTEGER,  -- a bounce: 1 final (5.x.x), 0 still tried (4.x.x), NULL unknown
    status      TEXT NOT NULL DEFAULT '',    -- a bounce's status code, e.g. 5.1.1
    diagnostic  TEXT NOT NULL DEFAULT '',    -- the server's words
    case_number TEXT NOT NULL DEFAULT '',    -- a receipt's "Vår ref."
    sender      TEXT NOT NULL DEFAULT '',    -- who wrote (a reply's From)
    date        TEXT NOT NULL DEFAULT '',    -- the message's Date, ISO, UTC
    address     TEXT NOT NULL DEFAULT '',    -- the mailbox our letter went to, comparable form
    message_id  TEXT NOT NULL DEFAULT '',    -- the Message-ID of our letter it answers
    away        INTEGER NOT NULL DEFAULT 0,  -- received: an out-of-office reply
    reason      TEXT NOT NULL DEFAULT '',    -- classify's English phrase, translated when shown
    how         TEXT NOT NULL DEFAULT '',    -- how it was matched: in-reply-to, report, ...
    partial     INTEGER NOT NULL DEFAULT 0,  -- too large: the copy holds its first part only
    copy        TEXT NOT NULL,               -- relative to .lettersmith/
    read_at     TEXT NOT NULL,
    PRIMARY KEY (message_key, letter, club, recipient)
)""",
    """
CREATE TABLE IF NOT EXISTS inbox_folders (
    account     TEXT NOT NULL,   -- user@host:port
    folder      TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    read_at     TEXT NOT NULL,
    PRIMARY KEY (account, folder)
)""",
    """
CREATE TABLE IF NOT EXISTS inbox_skipped (
    account     TEXT NOT NULL,
    folder      TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    sender      TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    answers     TEXT NOT NULL DEFAULT '',    -- letter/recipient its header says it answers
    read_at     TEXT NOT NULL,
    PRIMARY KEY (account, folder, uidvalidity, uid)
)""",
    "CREATE INDEX IF NOT EXISTS inbox_by_letter ON inbox (letter, club, recipient)",
)


@dataclass(frozen=True)
class Event:
    """One recipient's news from one message: the row ``inbox`` keeps."""

    message_key: str
    letter: str
    club: str | None
    recipient: str
    kind: EventKind
    copy: str
    read_at: str
    permanent: bool | None = None  # bounced: final (5.x.x), or not (4.x.x); None unknown
    status: str = ""
    diagnostic: str = ""
    case_number: str = ""
    sender: str = ""
    date: str = ""
    address: str = ""
    message_id: str = ""
    away: bool = False
    reason: str = ""
    how: str = ""
    partial: bool = False  # too large: the copy holds the message's first part only


@dataclass(frozen=True)
class Place:
    """Where the last run stopped in a folder."""

    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class Skipped:
    uid: int
    size: int
    reason: str
    sender: str = ""
    subject: str = ""
    answers: str = ""  # "LETTER -> RECIPIENT" when its header matches one of our messages


def message_key(message_id: str, raw: bytes) -> str:
    """How a message is known: its Message-ID, else the hash of its bytes."""
    cleaned = message_id.strip()
    return cleaned if cleaned else "sha256:" + hashlib.sha256(raw).hexdigest()


def copy_name(raw: bytes) -> str:
    """A copy's path under .lettersmith/: ``inbox/<first 32 hex of sha256>.eml``."""
    return f"{INBOX_FOLDER}/{hashlib.sha256(raw).hexdigest()[:32]}.eml"


class InboxStore:
    """The inbox's tables in the journal's file; ``InboxStore.open(state_dir)``, then close."""

    def __init__(self, state_dir: Path, db: sqlite3.Connection) -> None:
        self.state_dir = state_dir
        self._db = db
        self._lock: filelock.BaseFileLock | None = None

    @classmethod
    def open(cls, state_dir: Path) -> InboxStore:
        """For writing: holds ``inbox.lock``, so two readers of the mailbox never race."""
        path = state_dir / JOURNAL_FILE
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LocalWriteError(
                f"{state_dir}: cannot be made: {error.strerror}; check that you may write to "
                "the workspace folder"
            ) from None
        lock = filelock.FileLock(state_dir / "inbox.lock", timeout=0, is_singleton=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise DeliveryError(
                _(
                    "{path}: another `lettersmith inbox` is reading the mailbox for this "
                    "workspace; wait for it to finish, then run this command again"
                ).format(path=state_dir / "inbox.lock")
            ) from None
        try:
            with _usable(path):
                db = sqlite3.connect(path, isolation_level=None, timeout=30)
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                for statement in _SCHEMA:
                    db.execute(statement)
        except BaseException:
            lock.release()
            raise
        store = cls(state_dir, db)
        store._lock = lock
        return store

    @classmethod
    def open_readonly(cls, state_dir: Path) -> InboxStore:
        """For ``status`` and ``check``: writes nothing; no tables yet read as no news."""
        path = state_dir / JOURNAL_FILE
        with _usable(path):
            db = connect_readonly(path) if path.is_file() else sqlite3.connect(":memory:")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "inbox" not in tables:
                db.close()
                db = sqlite3.connect(":memory:", isolation_level=None)
                for statement in _SCHEMA:
                    db.execute(statement)
            db.row_factory = sqlite3.Row
        return cls(state_dir, db)

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> InboxStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- reading

    def place(self, account: str, folder: str) -> Place | None:
        with _usable(self.state_dir / JOURNAL_FILE):
            row = self._db.execute(
                "SELECT uidvalidity, last_uid FROM inbox_folders WHERE account = ? AND folder = ?",
                (account, folder),
            ).fetchone()
        return Place(row[0], row[1]) if row else None

    def known(self, keys: Sequence[str]) -> set[str]:
        """Which of these messages are recorded already."""
        found: set[str] = set()
        with _usable(self.state_dir / JOURNAL_FILE):
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT DISTINCT message_key FROM inbox WHERE message_key IN ({marks})", chunk
                )
                found.update(row[0] for row in rows)
        return found

    def events(
        self, letter: str | None = None, club: str | None = None, recipient: str | None = None
    ) -> list[Event]:
        """The recorded events, oldest first by the message's date (then as read)."""
        where, args = ["1 = 1"], []
        if letter is not None:
            where.append("letter = ? AND club = ?")
            args += [letter, club or ""]
        if recipient is not None:
            where.append("recipient = ?")
            args.append(recipient)
        with _usable(self.state_dir / JOURNAL_FILE):
            rows = self._db.execute(
                f"SELECT * FROM inbox WHERE {' AND '.join(where)} ORDER BY date, read_at, rowid",
                args,
            ).fetchall()
        return [_event(row) for row in rows]

    def permanent_bounces(self) -> list[Event]:
        with _usable(self.state_dir / JOURNAL_FILE):
            rows = self._db.execute(
                "SELECT * FROM inbox WHERE kind = 'bounced' AND permanent = 1 ORDER BY date, rowid"
            ).fetchall()
        return [_event(row) for row in rows]

    # ----------------------------------------------------------------- writing

    def keep(self, raw: bytes, events: Sequence[Event]) -> None:
        """The copy and its note, whole on disk before any row names them."""
        if not events:
            return
        copy = events[0].copy
        note = json.dumps([asdict(event) for event in events], ensure_ascii=False, indent=1)
        target = self.state_dir / copy
        try:
            atomic_write(target, raw)
            # Not flushed at once: the row is committed durably in the journal; a note lost
            # with the power only leaves that row out of a rebuild, never a wrong one in.
            atomic_write(target.with_suffix(".json"), note, durable=False)
        except OSError as error:
            raise LocalWriteError(
                f"{target}: cannot be written: {error.strerror or error}; free some space or "
                "fix the permission, then run `lettersmith inbox` again"
            ) from None

    def commit(
        self,
        account: str,
        folder: str,
        place: Place,
        events: Sequence[Event],
        skipped: Sequence[Skipped] = (),
    ) -> None:
        """The rows of a batch and the folder's new place, together or not at all."""
        now = _now()
        with self._transaction():
            for event in events:
                self._insert(event)
            for item in skipped:
                self._db.execute(
                    "INSERT OR IGNORE INTO inbox_skipped (account, folder, uidvalidity, uid, "
                    "size, reason, sender, subject, answers, read_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (account, folder, place.uidvalidity, item.uid, item.size, item.reason,
                     item.sender, item.subject, item.answers, now),
                )  # fmt: skip
            self._db.execute(
                "INSERT INTO inbox_folders (account, folder, uidvalidity, last_uid, read_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, folder) DO UPDATE SET "
                "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
                "read_at = excluded.read_at",
                (account, folder, place.uidvalidity, place.last_uid, now),
            )

    def restore(self, events: Sequence[Event]) -> int:
        """Rows put back from a copy's note (``journal rebuild``); those present are kept."""
        with self._transaction():
            return sum(self._insert(event) for event in events)

    def _insert(self, event: Event) -> int:
        row = asdict(event)
        row["club"] = event.club or ""
        row["permanent"] = None if event.permanent is None else int(event.permanent)
        row["away"] = int(event.away)
        row["partial"] = int(event.partial)
        names = ", ".join(row)
        marks = ", ".join("?" * len(row))
        cursor = self._db.execute(
            f"INSERT OR IGNORE INTO inbox ({names}) VALUES ({marks})", tuple(row.values())
        )
        return cursor.rowcount

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with _usable(self.state_dir / JOURNAL_FILE):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


def notes(state_dir: Path) -> Iterator[tuple[Path, list[Event] | str]]:
    """Each copy's note under .lettersmith/inbox/, read back as its events (or why not)."""
    folder = state_dir / INBOX_FOLDER
    if not folder.is_dir():
        return
    names = {f.name for f in fields(Event)}
    for path in sorted(folder.glob("*.json")):
        try:
            items = json.loads(path.read_text(encoding="utf-8"))
            events = [Event(**{k: v for k, v in item.items() if k in names}) for item in items]
        except (OSError, ValueError, TypeError, AttributeError) as error:
            yield path, f"{path.relative_to(state_dir)}: cannot be read ({error})"
            continue
        yield path, events


def _event(row: sqlite3.Row) -> Event:
    values = dict(row)
    values["club"] = values["club"] or None
    values["permanent"] = None if values["permanent"] is None else bool(values["permanent"])
    values["away"] = bool(values["away"])
    values["partial"] = bool(values["partial"])
    return Event(**values)


@contextmanager
def _usable(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        raise DeliveryError(
            _(
                "{path}: the journal cannot be used ({error}); restore it from a backup or run "
                "`lettersmith journal rebuild`"
            ).format(path=path, error=error)
        ) from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
