"""The journal's backup: the copies of sent messages in .lettersmith/sent/.

The journal is the truth about who has a letter; the copies are its backup. A journal that
is missing, empty or unreadable while copies exist is never taken as "nothing sent", nor is
one that lacks a copy's message (a journal put back from an older backup): ``send``,
a dry run and ``status`` refuse, and ``lettersmith journal rebuild`` restores the rows from
the copies' own headers (``X-Lettersmith-*``, written by ``deliver.message``) and the
server's answer kept beside each copy (``<copy>.outcome``). A copy without an answer is a
message whose fate is unknown: its row is ``unknown``, never ``sent``. What came back
(``lettersmith inbox``) is restored from the notes beside its copies in .lettersmith/inbox/.
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
from lettersmith.deliver.inbox.store import InboxStore, notes
from lettersmith.deliver.journal import (
    Entry,
    Journal,
    State,
    connect_readonly,
    copy_stamp,
    read_outcome,
    send_running,
)
from lettersmith.deliver.message import TRACE_HEADERS
from lettersmith.errors import DeliveryError
from lettersmith.translate import N_, _, ngettext

JOURNAL_FILE = "journal.sqlite"
REBUILD_COMMAND = "lettersmith journal rebuild"
# Written into the journal in English (a record, whoever reads it); the status table shows
# them translated.
RESTORED = N_("restored by `lettersmith journal rebuild` from the copy of the message")
UNCONFIRMED = N_(
    "restored by `lettersmith journal rebuild` from the copy of the message; nothing records "
    "that the server accepted it (a crash or a lost connection while it was transmitted): "
    "check whether it arrived"
)
Key = tuple[str, str, str]  # (letter, club or '', recipient), as the journal keys its rows


@dataclass(frozen=True)
class Rebuilt:
    restored: list[Entry]  # rows put back
    kept: int  # copies whose row the journal already had
    skipped: list[str]  # copies that could not be read, with the reason
    moved_aside: Path | None  # the unreadable journal, kept beside under another name
    inbox_restored: int = 0  # inbox rows put back from the notes in .lettersmith/inbox/


def copies(state_dir: Path) -> list[Path]:
    """The copies of messages handed to a mail server, oldest first by name."""
    folder = state_dir / "sent"
    if not folder.is_dir():
        return []
    return sorted(folder.rglob("*.eml"))


def refuse_lost_journal(state_dir: Path, *, locked: bool = False) -> None:
    """Stop when copies exist that the journal does not know (missing, empty, damaged, or put
    back from an older backup).

    Runs before every send, dry run and status, and again once a send holds the send lock
    (``locked``: a send running at the first look may have ended since). It reads no copy but
    those the journal lacks: the newest copy of each recipient is known by its name alone,
    and the journal answers in one query.
    """
    count, newest = _copies_by_key(state_dir)
    if not count:
        return
    path = state_dir / JOURNAL_FILE
    problem = _("is missing") if not path.is_file() else _unreadable(path)
    if problem is None:
        running = not locked and send_running(state_dir)
        unknown = _unrecorded(path, newest)
        if running:  # its message in flight has its copy a moment before its row, no answer
            unknown = [copy for copy in unknown if read_outcome(state_dir, copy) is not None]
        if not unknown:
            return
        sent = state_dir / "sent"
        raise DeliveryError(
            ngettext(
                "{path}: the send journal lacks {count} copy of messages in {sent}/ (such "
                "as {example}); it may have been put back from an older backup. Sending now "
                "could send those letters a second time, so nothing was sent. Bring the "
                "journal up to date from the copies with `{command}`, then run this "
                "command again",
                "{path}: the send journal lacks {count} copies of messages in {sent}/ (such "
                "as {example}); it may have been put back from an older backup. Sending now "
                "could send those letters a second time, so nothing was sent. Bring the "
                "journal up to date from the copies with `{command}`, then run this "
                "command again",
                len(unknown),
            ).format(
                path=path,
                count=len(unknown),
                sent=sent,
                example=sent.parent / unknown[0],
                command=REBUILD_COMMAND,
            )
        )
    raise DeliveryError(
        ngettext(
            "{path}: the send journal {problem}, but {sent}/ holds {count} copy of "
            "messages already sent. Sending now could send those letters a second time, so "
            "nothing was sent. Restore the journal from the copies with `{command}`, then "
            "run this command again",
            "{path}: the send journal {problem}, but {sent}/ holds {count} copies of "
            "messages already sent. Sending now could send those letters a second time, so "
            "nothing was sent. Restore the journal from the copies with `{command}`, then "
            "run this command again",
            count,
        ).format(
            path=path,
            problem=problem,
            sent=state_dir / "sent",
            count=count,
            command=REBUILD_COMMAND,
        )
    )


def _copies_by_key(state_dir: Path) -> tuple[int, dict[Key, str]]:
    """How many copies there are, and the newest copy of each recipient (relative to
    ``state_dir``), known from where ``Journal.record_sending`` puts them:
    ``sent/<letter>/<recipient>-<time>.eml`` or ``sent/clubs/<club>/<letter>/...``."""
    count = 0
    newest: dict[Key, str] = {}
    for folder, _folders, files in os.walk(state_dir / "sent"):
        parts = Path(folder).relative_to(state_dir).parts[1:]
        where: tuple[str, str] | None = None  # (letter, club or '')
        if len(parts) == 1:
            where = (parts[0], "")
        elif len(parts) == 3 and parts[0] == "clubs":
            where = (parts[2], parts[1])
        for name in files:
            if not name.endswith(".eml"):
                continue
            count += 1
            if where is None or "-" not in name:
                continue  # not where lettersmith writes: read by a rebuild, not compared
            key = (*where, name.rsplit("-", 1)[0])
            copy = "/".join(("sent", *parts, name))
            if copy_stamp(copy) > copy_stamp(newest.get(key)):
                newest[key] = copy
    return count, newest


def _unrecorded(path: Path, newest: dict[Key, str]) -> list[str]:
    """The copies newer than what the journal records of their recipient."""
    db = connect_readonly(path)
    try:
        rows = db.execute("SELECT letter, club, recipient, copy FROM deliveries").fetchall()
    finally:
        db.close()
    recorded = {(letter, club, recipient): copy for letter, club, recipient, copy in rows}
    return sorted(
        copy for key, copy in newest.items() if copy_stamp(recorded.get(key)) < copy_stamp(copy)
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
        return _("cannot be read ({error})").format(error=error)
    return None


def rebuild(state_dir: Path) -> Rebuilt:
    """Put back the journal row of every recipient whose newest copy the journal lacks; keep
    every row that is as new as the copies.

    A journal that cannot be opened is renamed ``journal.sqlite.damaged-<time>`` first (it
    is kept, not deleted). A restored row takes the server's answer kept beside the copy
    (``sent``, or ``deferred``/``failed``: sent again by the next run). A copy without one
    was written before its message went out, and nothing says the server took it: its row
    is ``unknown``, which ``send`` never sends again on its own and ``status`` shows. A row a
    crashed send left ``sending`` is settled the same way.
    """
    if send_running(state_dir):  # it has the journal open: nothing is moved under it
        raise DeliveryError(
            _(
                "{lock}: another `lettersmith send` is running on this workspace; wait "
                "for it to finish, then run `{command}` again"
            ).format(lock=state_dir / "send.lock", command=REBUILD_COMMAND)
        )
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
        # A row a crashed send left `sending` (the journal kept, the run gone): as the next
        # send would record it, from the answer kept beside its copy, else `unknown`.
        journal.recover()
    inbox_restored = 0
    with InboxStore.open(state_dir) as store:
        for _note, events_or_reason in notes(state_dir):
            if isinstance(events_or_reason, str):
                skipped.append(events_or_reason)
            else:
                inbox_restored += store.restore(events_or_reason)
    return Rebuilt(restored, kept, skipped, moved, inbox_restored)


def _entries(state_dir: Path) -> Iterator[Entry | str]:
    """A journal row for the newest copy of each recipient; or why a copy cannot give one."""
    newest_first = sorted(copies(state_dir), key=lambda p: p.name.rsplit("-", 1)[-1], reverse=True)
    seen: set[Key] = set()
    for copy in newest_first:
        shown = copy.relative_to(state_dir)
        try:
            message = message_from_bytes(copy.read_bytes(), policy=policy.SMTP)
        except (OSError, ValueError) as error:
            yield _("{shown}: cannot be read ({error})").format(shown=shown, error=error)
            continue
        trace = {key: str(message.get(header, "")).strip() for key, header in TRACE_HEADERS.items()}
        if not trace["revision"] and len(trace["shown_revision"]) == 64:
            trace["revision"] = trace["shown_revision"]  # a copy from before the header split
        to = message.get("To")
        address = to.addresses[0].addr_spec if to is not None and to.addresses else ""
        message_id = str(message.get("Message-ID", "")).strip()
        if not (trace["letter"] and trace["recipient"] and address and message_id):
            yield (
                _(
                    "{shown}: has no X-Lettersmith-Letter/-Recipient, To or Message-ID "
                    "header (written by an older lettersmith?); its row cannot be restored"
                ).format(shown=shown)
            )
            continue
        try:
            sent_at = parsedate_to_datetime(str(message.get("Date", "")))
        except (TypeError, ValueError):
            sent_at = dt.datetime.fromtimestamp(copy.stat().st_mtime, dt.UTC)
        when = sent_at.astimezone(dt.UTC).isoformat(timespec="seconds")
        key = (trace["letter"], trace["club"], trace["recipient"])
        if key in seen:
            continue  # an earlier attempt; the newest one decides
        seen.add(key)
        answer = read_outcome(state_dir, shown.as_posix())
        state: State = answer[0] if answer else "unknown"
        reply = f"{RESTORED}; the server had answered: {answer[1]}" if answer else UNCONFIRMED
        yield Entry(
            letter=trace["letter"],
            club=trace["club"] or None,
            recipient=trace["recipient"],
            address=address,
            message_id=message_id,
            attachment_hash="",
            state=state,
            attempted_at=when,
            updated_at=when,
            reply=reply,
            copy=shown.as_posix(),
            revision=trace["revision"],
            mailbox=mailbox_key(address),
            letter_date=trace["letter_date"],
        )
