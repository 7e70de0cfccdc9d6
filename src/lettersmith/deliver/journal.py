"""The send journal: what was sent to whom, kept in .lettersmith/ where a rebuild never goes.

One row per (letter, club, recipient). A row is committed as ``sending`` before the
message data goes to the server and as ``sent`` once the server accepts it, so a crash
in between leaves ``sending`` behind: the next run turns it into ``unknown`` and never
sends it again on its own, because the ministry may well have it already.

The copy of each message in ``sent/`` is the journal's backup. Beside it, once the server has
answered the data, goes ``<copy>.outcome`` with that answer, so a journal rebuilt from the
copies knows which messages were accepted: a copy without one rebuilds as ``unknown``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filelock

from lettersmith.atomic import atomic_write
from lettersmith.deliver.message import Outgoing
from lettersmith.errors import DeliveryError, LettersmithError
from lettersmith.model import Workspace
from lettersmith.translate import N_, _

State = Literal["sending", "sent", "deferred", "failed", "unknown"]
# Notes lettersmith writes into the journal, in English (a record); shown translated.
INTERRUPTED = N_("interrupted while the message was being transmitted: check whether it arrived")
MARKED_ARRIVED = N_("outcome was unknown; a person confirmed it arrived (status --mark-arrived)")
OUTCOME_SUFFIX = ".outcome"
# Outcomes that are the server's final word on a message's data, kept beside its copy.
ANSWERED = ("sent", "deferred", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    letter          TEXT NOT NULL,
    club            TEXT NOT NULL,  -- '' for the organisation's own letters
    recipient       TEXT NOT NULL,
    address         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    attachment_hash TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempted_at    TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    reply           TEXT,
    copy            TEXT,           -- the message as transmitted, relative to .lettersmith/
    revision        TEXT NOT NULL DEFAULT '',  -- compose.resolve's hash of what was sent
    mailbox         TEXT NOT NULL DEFAULT '',  -- the address in its one comparable form
    letter_date     TEXT NOT NULL DEFAULT '',  -- the date printed on the letter, ISO
    PRIMARY KEY (letter, club, recipient)
)
"""
# Columns added after the first version, for journals written by it.
_ADDED_COLUMNS = ("revision", "mailbox", "letter_date")
# A message in one of these states reached, or may have reached, the recipient's mailbox.
REACHED = ("sent", "sending", "unknown")


@dataclass(frozen=True)
class Entry:
    letter: str
    club: str | None
    recipient: str
    address: str
    message_id: str
    attachment_hash: str
    state: State
    attempted_at: str
    updated_at: str
    reply: str | None
    copy: str | None
    revision: str = ""
    mailbox: str = ""
    letter_date: str = ""


class LocalWriteError(LettersmithError):
    """A file of the journal could not be written: the batch stops at once (not a retry)."""


class Journal:
    """The journal of one workspace; use ``Journal.open(state_dir)`` and close it after."""

    def __init__(self, state_dir: Path, connection: sqlite3.Connection, readonly: bool = False):
        self.state_dir = state_dir
        self.readonly = readonly
        self._db = connection
        self._lock: filelock.BaseFileLock | None = None
        # The copy written for each message whose data is out now, until its outcome is known.
        self._in_flight: dict[tuple[str, str, str], str] = {}

    @classmethod
    def open(cls, state_dir: Path) -> Journal:
        path = state_dir / "journal.sqlite"
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LocalWriteError(
                _(
                    "{state_dir}: cannot be made: {strerror}; check that you may write to "
                    "the workspace folder"
                ).format(state_dir=state_dir, strerror=error.strerror)
            ) from None
        with _usable(path):
            db = sqlite3.connect(path, isolation_level=None, timeout=30)
            try:
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute(_SCHEMA)
                # `lettersmith inbox` looks messages up by the Message-ID they answer.
                db.execute(
                    "CREATE INDEX IF NOT EXISTS deliveries_message_id ON deliveries (message_id)"
                )
                have = {row[1] for row in db.execute("PRAGMA table_info(deliveries)")}
                for column in _ADDED_COLUMNS:
                    if column not in have:
                        db.execute(
                            f"ALTER TABLE deliveries ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
                        )
            except sqlite3.Error:
                db.close()
                raise
        return cls(state_dir, db)

    @classmethod
    def open_readonly(cls, state_dir: Path) -> Journal:
        """The journal for reading only (``status``, a dry run): it writes nothing, so it works
        on a read-only copy of a workspace; no journal yet reads as nothing sent."""
        path = state_dir / "journal.sqlite"
        with _usable(path):
            db = connect_readonly(path) if path.is_file() else _empty()
            have = {row[1] for row in db.execute("PRAGMA table_info(deliveries)")}
            if not have.issuperset(_ADDED_COLUMNS):  # a journal from an older version:
                memory = sqlite3.connect(":memory:", isolation_level=None)  # add them in memory
                db.backup(memory)
                db.close()
                db = memory
                for column in sorted(set(_ADDED_COLUMNS) - have):
                    db.execute(
                        f"ALTER TABLE deliveries ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
                    )
            db.row_factory = sqlite3.Row
        return cls(state_dir, db, readonly=True)

    def close(self) -> None:
        self.unlock()
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- one sender at a time

    def lock(self) -> None:
        """Claim the workspace for one ``send``; a second one refuses to start.

        An OS file lock (``filelock``: flock on Linux and macOS, msvcrt on Windows), so a run
        killed by SIGKILL releases it with its process.
        """
        path = self.state_dir / "send.lock"
        lock = filelock.FileLock(path, timeout=0, is_singleton=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise DeliveryError(
                _(
                    "{path}: another `lettersmith send` is running on this workspace; wait "
                    "for it to finish, then run this command again"
                ).format(path=path)
            ) from None
        except OSError as error:
            raise LocalWriteError(
                _("{path}: cannot be written: {strerror}").format(
                    path=path, strerror=error.strerror
                )
            ) from None
        self._lock = lock

    def sending_elsewhere(self) -> bool:
        """Whether a ``send`` holds this workspace now; asked without writing anything."""
        return self._lock is None and send_running(self.state_dir)

    def try_lock(self) -> bool:
        try:
            self.lock()
        except DeliveryError:
            return False
        return True

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def recover(self) -> list[Entry]:
        """Turn rows a crashed run left ``sending`` into ``unknown``; only call under the lock."""
        assert self._lock is not None, "recover() needs the send lock"
        stale = self._select("state = 'sending'", ())
        with self._transaction():
            for entry in stale:
                # The server answered but the run died before the journal heard: its note says.
                answer = read_outcome(self.state_dir, entry.copy) if entry.copy else None
                state, reply = answer or ("unknown", INTERRUPTED)
                self._db.execute(
                    "UPDATE deliveries SET state = ?, reply = ?, updated_at = ? "
                    "WHERE letter = ? AND club = ? AND recipient = ? AND state = 'sending'",
                    (state, reply, _now(), entry.letter, entry.club or "", entry.recipient),
                )
        return stale

    # ----------------------------------------------------------------- reading

    def get(self, letter: str, club: str | None, recipient: str) -> Entry | None:
        found = self._select(
            "letter = ? AND club = ? AND recipient = ?", (letter, club or "", recipient)
        )
        return found[0] if found else None

    def entries(self, letter: str, club: str | None) -> list[Entry]:
        return self._select("letter = ? AND club = ? ORDER BY rowid", (letter, club or ""))

    def reached(self, letter: str, club: str | None, mailbox: str) -> Entry | None:
        """A message of this mailing that reached (or may have reached) ``mailbox``, any id."""
        found = self._select(
            "letter = ? AND club = ? AND mailbox = ? AND state IN ('sent', 'sending', 'unknown') "
            "ORDER BY attempted_at",
            (letter, club or "", mailbox),
        )
        return found[0] if found else None

    def with_message_id(self, message_id: str) -> Entry | None:
        """The row whose message carried ``message_id`` (angle brackets included), if any."""
        found = self._select("message_id = ? ORDER BY rowid LIMIT 1", (message_id,))
        return found[0] if found else None

    def to_domain(self, domain: str) -> list[Entry]:
        """The rows of messages sent to an address at ``domain`` (any case), oldest first."""
        escaped = domain.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return self._select(
            "lower(address) LIKE ? ESCAPE '\\' ORDER BY attempted_at, rowid", ("%@" + escaped,)
        )

    def is_empty(self) -> bool:
        with _usable(self.state_dir / "journal.sqlite"):
            return self._db.execute("SELECT 1 FROM deliveries LIMIT 1").fetchone() is None

    # ----------------------------------------------------------------- writing

    def record_sending(self, out: Outgoing) -> None:
        """Keep a copy of the message, then commit its row as ``sending`` (durably)."""
        now = _now()
        # To the microsecond: a resend in the same second must not overwrite the first copy.
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%f+0000")
        folder = Path("sent") / (f"clubs/{out.club_id}" if out.club_id else "") / out.letter_id
        copy = folder / f"{out.recipient_id}-{stamp}.eml"
        try:
            atomic_write(self.state_dir / copy, out.data)
        except OSError as error:  # not a lost connection: stop the batch, nothing was sent
            raise LocalWriteError(
                _(
                    "{path}: cannot be written: {strerror}; the message to {address} was "
                    "not sent. Free some space or fix the permission, then run the same "
                    "command again"
                ).format(
                    path=self.state_dir / copy,
                    strerror=error.strerror or error,
                    address=out.address,
                )
            ) from None
        self._upsert(out, "sending", None, copy.as_posix(), now)
        self._in_flight[_key(out)] = copy.as_posix()

    def record_outcome(self, out: Outgoing, state: State, reply: str) -> None:
        """The server's answer; a recipient refused before DATA gets its row here.

        The answer to a message's data is first written beside its copy (durably), so the
        copies alone can tell later what the server accepted.
        """
        copy = self._in_flight.pop(_key(out), None)
        failure = None
        if copy is not None and state in ANSWERED:
            try:
                write_outcome(self.state_dir, copy, state, reply)
            except OSError as error:
                failure = error
        self._upsert(out, state, reply, None, _now())
        if failure is not None:  # the row is right; its backup is not: stop the batch here
            path = self.state_dir / (copy or "")
            raise LocalWriteError(
                _(
                    "{path}: cannot be written: {strerror}; the message to {address} "
                    "was sent and recorded. Free some space or fix the permission, then run "
                    "the same command again"
                ).format(
                    path=path.with_name(path.name + OUTCOME_SUFFIX),
                    strerror=failure.strerror or failure,
                    address=out.address,
                )
            )

    def mark_arrived(self, letter: str, club: str | None, recipient: str) -> bool:
        """A person confirmed an ``unknown`` message arrived: record it ``sent``.

        Returns False, changing nothing, when the row is not ``unknown``.
        """
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE deliveries SET state = 'sent', reply = ?, updated_at = ? "
                "WHERE letter = ? AND club = ? AND recipient = ? AND state = 'unknown'",
                (MARKED_ARRIVED, _now(), letter, club or "", recipient),
            )
        entry = self.get(letter, club, recipient)
        if cursor.rowcount == 1 and entry is not None and entry.copy:
            # So that a rebuilt journal remembers it too; without the note: `unknown` again.
            with contextlib.suppress(OSError):
                write_outcome(self.state_dir, entry.copy, "sent", MARKED_ARRIVED)
        return cursor.rowcount == 1

    def _upsert(
        self, out: Outgoing, state: State, reply: str | None, copy: str | None, now: str
    ) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO deliveries (letter, club, recipient, address, message_id, "
                "attachment_hash, state, attempted_at, updated_at, reply, copy, revision, "
                "mailbox, letter_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (letter, club, recipient) DO UPDATE SET address = excluded.address, "
                "revision = excluded.revision, mailbox = excluded.mailbox, "
                "letter_date = excluded.letter_date, "
                "message_id = excluded.message_id, attachment_hash = excluded.attachment_hash, "
                "state = excluded.state, updated_at = excluded.updated_at, "
                "reply = excluded.reply, "
                "attempted_at = IIF(excluded.state = 'sending', excluded.attempted_at, "
                "attempted_at), "
                "copy = COALESCE(excluded.copy, IIF(excluded.state = 'sending', NULL, copy))",
                (
                    out.letter_id,
                    out.club_id or "",
                    out.recipient_id,
                    out.address,
                    out.message_id,
                    out.attachment_hash,
                    state,
                    now,
                    now,
                    reply,
                    copy,
                    out.revision,
                    out.mailbox,
                    out.letter_date,
                ),
            )

    def restore(self, entry: Entry) -> bool:
        """Put back a row rebuilt from a copy, unless the journal has one for that key as new
        as the copy (a journal restored from an older backup has an older one)."""
        with self._transaction():
            row = self._db.execute(
                "SELECT copy FROM deliveries WHERE letter = ? AND club = ? AND recipient = ?",
                (entry.letter, entry.club or "", entry.recipient),
            ).fetchone()
            if row is not None:
                if copy_stamp(row["copy"]) >= copy_stamp(entry.copy):
                    return False
                self._db.execute(
                    "DELETE FROM deliveries WHERE letter = ? AND club = ? AND recipient = ?",
                    (entry.letter, entry.club or "", entry.recipient),
                )
            cursor = self._db.execute(
                "INSERT INTO deliveries (letter, club, recipient, address, message_id, "
                "attachment_hash, state, attempted_at, updated_at, reply, copy, revision, "
                "mailbox, letter_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.letter,
                    entry.club or "",
                    entry.recipient,
                    entry.address,
                    entry.message_id,
                    entry.attachment_hash,
                    entry.state,
                    entry.attempted_at,
                    entry.updated_at,
                    entry.reply,
                    entry.copy,
                    entry.revision,
                    entry.mailbox,
                    entry.letter_date,
                ),
            )
        return cursor.rowcount == 1

    # ----------------------------------------------------------------- helpers

    def _select(self, where: str, args: tuple[str, ...]) -> list[Entry]:
        with _usable(self.state_dir / "journal.sqlite"):
            rows = self._db.execute(f"SELECT * FROM deliveries WHERE {where}", args).fetchall()
        return [Entry(**{**dict(row), "club": row["club"] or None}) for row in rows]

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with _usable(self.state_dir / "journal.sqlite"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")


def send_running(state_dir: Path) -> bool:
    """Whether a ``send`` holds the workspace of ``state_dir`` now; asked writing nothing."""
    path = state_dir / "send.lock"
    if not path.exists():
        return False
    lock = filelock.FileLock(path, timeout=0, is_singleton=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        return True
    except OSError:  # cannot open it (a read-only copy): no send can be running there
        return False
    lock.release()
    return False


def copy_stamp(copy: str | None) -> str:
    """The time in a copy's name (``sent/<letter>/<recipient>-<stamp>.eml``); '' for none.

    Written in UTC, so later copies compare greater as text (older versions of lettersmith
    wrote whole seconds, ``20241210T140300+0000``, which sorts before any fraction of it).
    """
    if not copy:
        return ""
    name = copy.rsplit("/", 1)[-1].removesuffix(".eml")
    return name.rsplit("-", 1)[-1] if "-" in name else ""


def write_outcome(state_dir: Path, copy: str, state: State, reply: str) -> None:
    """Keep the server's answer to a message beside its copy; raises OSError."""
    note = {"state": state, "reply": reply, "at": _now()}
    # Not flushed to the disk at once (the next message waits for nothing): a note lost with
    # the power only makes a rebuilt row `unknown`, never wrong; a crashed process loses none.
    text = json.dumps(note, ensure_ascii=False)
    atomic_write(state_dir / (copy + OUTCOME_SUFFIX), text, durable=False)


def read_outcome(state_dir: Path, copy: str) -> tuple[State, str] | None:
    """The answer kept beside a copy, or None when none is (or it cannot be read)."""
    try:
        note = json.loads((state_dir / (copy + OUTCOME_SUFFIX)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("state") not in ANSWERED:
        return None
    return note["state"], str(note.get("reply", ""))


def _key(out: Outgoing) -> tuple[str, str, str]:
    return (out.letter_id, out.club_id or "", out.recipient_id)


def connect_readonly(path: Path) -> sqlite3.Connection:
    """The journal opened for reading only.

    Read-only mode still lets SQLite coordinate with a running ``send`` (it may add its
    ``-shm`` file beside the journal; the journal itself is never written). Where even that
    cannot be made (a read-only copy of a workspace), the journal and its write-ahead log are
    copied to a temporary folder and read there, so rows not yet moved from the log count too.
    """
    db = None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        _check_readable(db)
        return db
    except sqlite3.OperationalError as error:
        if db is not None:
            db.close()
        if "no such table" in str(error):
            return _empty()
    with tempfile.TemporaryDirectory(prefix="lettersmith-journal-") as folder:
        for suffix in ("", "-wal"):
            source = path.with_name(path.name + suffix)
            if source.is_file():
                shutil.copyfile(source, Path(folder) / source.name)
        copy = sqlite3.connect(Path(folder) / path.name, isolation_level=None)
        try:
            _check_readable(copy)
        except sqlite3.OperationalError as error:
            copy.close()
            if "no such table" in str(error):
                return _empty()
            raise
        memory = sqlite3.connect(":memory:", isolation_level=None)
        copy.backup(memory)
        copy.close()
        return memory


def _check_readable(db: sqlite3.Connection) -> None:
    db.execute("SELECT count(*) FROM deliveries").fetchone()


def _empty() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute(_SCHEMA)
    return db


@contextmanager
def _usable(path: Path) -> Iterator[None]:
    """A journal that cannot be read or written (damaged, disk full) stops with a clear message."""
    try:
        yield
    except sqlite3.Error as error:
        if "readonly" in str(error) or "read-only" in str(error):
            raise LocalWriteError(
                _(
                    "{path}: cannot be written ({error}); check that you may write to "
                    "{parent}/ and that the disk is not full"
                ).format(path=path, error=error, parent=path.parent)
            ) from None
        raise DeliveryError(
            _(
                "{path}: the send journal cannot be used ({error}). It is what keeps a "
                "ministry from getting a letter twice, so nothing is sent without it: if "
                "the file is damaged, restore it from a backup, or from the copies of "
                "the sent messages with `lettersmith journal rebuild` (it keeps the "
                "damaged file); do not delete it"
            ).format(path=path, error=error)
        ) from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def first_sent_date(ws: Workspace, letter: str, club: str | None) -> dt.date | None:
    """The date printed on the first message of a mailing that reached a mailbox, if any.

    Read-only: building or previewing never creates or changes the journal.
    """
    path = ws.state_dir / "journal.sqlite"
    if not path.is_file():
        return None
    with _usable(path):
        db = connect_readonly(path)
        try:
            have = {row[1] for row in db.execute("PRAGMA table_info(deliveries)")}
            if "letter_date" not in have:
                return None
            row = db.execute(
                "SELECT letter_date FROM deliveries WHERE letter = ? AND club = ? "
                "AND letter_date != '' AND state IN ('sent', 'sending', 'unknown') "
                "ORDER BY attempted_at, rowid LIMIT 1",
                (letter, club or ""),
            ).fetchone()
        finally:
            db.close()
    return dt.date.fromisoformat(row[0]) if row else None
