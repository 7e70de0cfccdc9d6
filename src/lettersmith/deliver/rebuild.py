"""The journal's backup: the copies of sent messages in .lettersmith/sent/.

The journal is the truth about who has a letter; the copies are its backup. A journal that
is missing, empty or unreadable while copies exist is never taken as "nothing sent":
``send`` refuses, and ``lettersmith journal rebuild`` restores the rows from the copies'
own headers (``X-Lettersmith-*``, written by ``deliver.message``).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from lettersmith.addresses import mailbox_key
from lettersmith.deliver.journal import Entry, Journal, connect_readonly
from lettersmith.deliver.message import TRACE_HEADERS
from lettersmith.errors import DeliveryError

JOURNAL_FILE = "journal.sqlite"
REBUILD_COMMAND = "lettersmith journal rebuild"
RESTORED = "restored by `lettersmith journal rebuild` from the copy of the message"


@dataclass(frozen=True)
class Rebuilt:
    restored: list[Entry]  # rows put back
    kept: int  # copies whose row the journal already had
    skipped: list[str]  # copies that could not be read, with the reason
    moved_aside: Path | None  # the unreadable journal, kept beside under another name


def copies(state_dir: Path) -> list[Path]:
    """The copies of messages handed to a mail server, oldest first by name."""
    folder = state_dir / "sent"
    if not folder.is_dir():
        return []
    return sorted(folder.rglob("*.eml"))


def refuse_lost_journal(state_dir: Path) -> None:
    """Stop when copies exist but the journal does not know them (missing, empty, damaged)."""
    found = copies(state_dir)
    if not found:
        return
    path = state_dir / JOURNAL_FILE
    problem = "is missing" if not path.is_file() else _unreadable(path)
    if problem is None:
        return
    raise DeliveryError(
        f"{path}: the send journal {problem}, but {state_dir / 'sent'}/ holds "
        f"{len(found)} cop{'y' if len(found) == 1 else 'ies'} of messages already sent. "
        "Sending now could send those letters a second time, so nothing was sent. "
        f"Restore the journal from the copies with `{REBUILD_COMMAND}`, then run this "
        "command again"
    )


def _unreadable(path: Path) -> str | None:
    """Why the journal at ``path`` cannot be trusted, or None when it can."""
    try:
        db = connect_readonly(path)  # also on a read-only copy of a workspace
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "deliveries" not in tables:
                return "is empty"
            if db.execute("SELECT 1 FROM deliveries LIMIT 1").fetchone() is None:
                return "is empty"
        finally:
            db.close()
    except sqlite3.Error as error:
        return f"cannot be read ({error})"
    return None


def rebuild(state_dir: Path) -> Rebuilt:
    """Put back the journal rows of every copy the journal lacks; keep every row it has.

    A journal that cannot be opened is renamed ``journal.sqlite.damaged-<time>`` first (it
    is kept, not deleted). A restored row is ``sent``: the copy was made just before its
    message went to the server, and a ministry's second copy costs more than a missing
    one, which ``status`` and the recipient can still tell.
    """
    moved = None
    path = state_dir / JOURNAL_FILE
    problem = _unreadable(path) if path.is_file() else None
    if problem is not None and problem != "is empty":
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        moved = path.with_name(f"{JOURNAL_FILE}.damaged-{stamp}")
        os.replace(path, moved)
        for suffix in ("-wal", "-shm"):
            side = path.with_name(JOURNAL_FILE + suffix)
            if side.exists():
                os.replace(side, moved.with_name(moved.name + suffix))
    restored: list[Entry] = []
    skipped: list[str] = []
    kept = 0
    with Journal.open(state_dir) as journal:
        journal.lock()
        for entry_or_reason in _entries(state_dir):
            if isinstance(entry_or_reason, str):
                skipped.append(entry_or_reason)
            elif journal.restore(entry_or_reason):
                restored.append(entry_or_reason)
            else:
                kept += 1
    return Rebuilt(restored, kept, skipped, moved)


def _entries(state_dir: Path) -> Iterator[Entry | str]:
    """A journal row for each copy, the newest copy of a recipient first; or why not."""
    newest_first = sorted(copies(state_dir), key=lambda p: p.name.rsplit("-", 1)[-1], reverse=True)
    for copy in newest_first:
        shown = copy.relative_to(state_dir)
        try:
            message = message_from_bytes(copy.read_bytes(), policy=policy.SMTP)
        except (OSError, ValueError) as error:
            yield f"{shown}: cannot be read ({error})"
            continue
        trace = {key: str(message.get(header, "")).strip() for key, header in TRACE_HEADERS.items()}
        to = message.get("To")
        address = to.addresses[0].addr_spec if to is not None and to.addresses else ""
        message_id = str(message.get("Message-ID", "")).strip()
        if not (trace["letter"] and trace["recipient"] and address and message_id):
            yield (
                f"{shown}: has no X-Lettersmith-Letter/-Recipient, To or Message-ID header "
                "(written by an older lettersmith?); its row cannot be restored"
            )
            continue
        try:
            sent_at = parsedate_to_datetime(str(message.get("Date", "")))
        except (TypeError, ValueError):
            sent_at = dt.datetime.fromtimestamp(copy.stat().st_mtime, dt.UTC)
        when = sent_at.astimezone(dt.UTC).isoformat(timespec="seconds")
        yield Entry(
            letter=trace["letter"],
            club=trace["club"] or None,
            recipient=trace["recipient"],
            address=address,
            message_id=message_id,
            attachment_hash="",
            state="sent",
            attempted_at=when,
            updated_at=when,
            reply=RESTORED,
            copy=str(shown),
            revision=trace["revision"],
            mailbox=mailbox_key(address),
            letter_date=trace["letter_date"],
        )
