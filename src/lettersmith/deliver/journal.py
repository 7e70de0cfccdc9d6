"""The send journal: what was sent to whom, kept in .lettersmith/ where a rebuild never goes.

One row per (letter, club, recipient). A row is committed as ``sending`` before the
message data goes to the server and as ``sent`` once the server accepts it, so a crash
in between leaves ``sending`` behind: the next run turns it into ``unknown`` and never
sends it again on its own, because the ministry may well have it already.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lettersmith.atomic import atomic_write
from lettersmith.deliver.message import Outgoing
from lettersmith.errors import DeliveryError

State = Literal["sending", "sent", "deferred", "failed", "unknown"]
INTERRUPTED = "interrupted while the message was being transmitted: check whether it arrived"
MARKED_ARRIVED = "outcome was unknown; a person confirmed it arrived (status --mark-arrived)"

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
    PRIMARY KEY (letter, club, recipient)
)
"""


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


class Journal:
    """The journal of one workspace; use ``Journal.open(state_dir)`` and close it after."""

    def __init__(self, state_dir: Path, connection: sqlite3.Connection):
        self.state_dir = state_dir
        self._db = connection
        self._lock_fd: int | None = None

    @classmethod
    def open(cls, state_dir: Path) -> Journal:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / "journal.sqlite"
        with _usable(path):
            db = sqlite3.connect(path, isolation_level=None, timeout=30)
            try:
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute(_SCHEMA)
            except sqlite3.Error:
                db.close()
                raise
        return cls(state_dir, db)

    def close(self) -> None:
        self.unlock()
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- one sender at a time

    def lock(self) -> None:
        """Claim the workspace for one ``send``; a second one refuses to start.

        An OS file lock, so a run killed by SIGKILL releases it with its process.
        """
        fd = os.open(self.state_dir / "send.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DeliveryError(
                f"{self.state_dir / 'send.lock'}: another `lettersmith send` is running on this "
                "workspace; wait for it to finish, then run this command again"
            ) from None
        self._lock_fd = fd

    def try_lock(self) -> bool:
        try:
            self.lock()
        except DeliveryError:
            return False
        return True

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    def recover(self) -> list[Entry]:
        """Turn rows a crashed run left ``sending`` into ``unknown``; only call under the lock."""
        assert self._lock_fd is not None, "recover() needs the send lock"
        stale = self._select("state = 'sending'", ())
        with self._transaction():
            self._db.execute(
                "UPDATE deliveries SET state = 'unknown', reply = ?, updated_at = ? "
                "WHERE state = 'sending'",
                (INTERRUPTED, _now()),
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

    # ----------------------------------------------------------------- writing

    def record_sending(self, out: Outgoing) -> None:
        """Keep a copy of the message, then commit its row as ``sending`` (durably)."""
        now = _now()
        stamp = now.replace(":", "").replace("-", "")
        folder = Path("sent") / (f"clubs/{out.club_id}" if out.club_id else "") / out.letter_id
        copy = folder / f"{out.recipient_id}-{stamp}.eml"
        atomic_write(self.state_dir / copy, out.data)
        self._upsert(out, "sending", None, str(copy), now)

    def record_outcome(self, out: Outgoing, state: State, reply: str) -> None:
        """The server's answer; a recipient refused before DATA gets its row here."""
        self._upsert(out, state, reply, None, _now())

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
        return cursor.rowcount == 1

    def _upsert(
        self, out: Outgoing, state: State, reply: str | None, copy: str | None, now: str
    ) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (letter, club, recipient) DO UPDATE SET address = excluded.address, "
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
                ),
            )

    # ----------------------------------------------------------------- helpers

    def _select(self, where: str, args: tuple) -> list[Entry]:
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


@contextmanager
def _usable(path: Path) -> Iterator[None]:
    """A journal that cannot be read or written (damaged, disk full) stops with a clear message."""
    try:
        yield
    except sqlite3.Error as error:
        raise DeliveryError(
            f"{path}: the send journal cannot be used ({error}). It is what keeps a ministry from "
            "getting a letter twice, so nothing is sent without it: if the file is damaged, "
            "restore it from a backup; do not delete it"
        ) from None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
