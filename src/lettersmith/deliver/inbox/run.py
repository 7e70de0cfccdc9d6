"""One run of ``lettersmith inbox``: the folder's new messages read, matched, classified, kept.

From where the last run stopped (the folder's UIDVALIDITY and highest UID read, in the
journal) to what has arrived since, oldest first, in batches: a glance at each message (its
size, structure and header) tells whether it can answer one of ours at all (``sieve``); only
those are fetched whole and read (``incoming``), matched to a message of ours (``match``:
never a guess) and classified (``classify``); a match is kept (a copy and a row, ``store``),
anything else is counted and forgotten. After each batch its rows and the folder's new
place commit together, so a run stopped anywhere (a crash, a limit, Ctrl-C) goes on from
there the next time, recording nothing twice.

Bounded: at most ``Limits.messages`` messages and ``Limits.seconds`` per run (the result says
when more are waiting), and of a message larger than ``Limits.message_bytes`` only the first
``Limits.part_bytes`` are fetched (a reply's text and a report come before the attachments):
it is recorded from those if it answers one of ours, its copy marked as partial, and listed
for a person to open in full.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from lettersmith.addresses import mailbox_key
from lettersmith.deliver.inbox.classify import Kind, Verdict, classify
from lettersmith.deliver.inbox.imap import Folder, Limits, open_folder
from lettersmith.deliver.inbox.incoming import Incoming, read_message
from lettersmith.deliver.inbox.match import JournalView, Match, Sent, SentList, match
from lettersmith.deliver.inbox.sent import JournalSent
from lettersmith.deliver.inbox.sieve import Sieve
from lettersmith.deliver.inbox.store import (
    Event,
    EventKind,
    InboxStore,
    Place,
    Skipped,
    copy_name,
    message_key,
)
from lettersmith.deliver.journal import Journal
from lettersmith.deliver.rebuild import refuse_lost_journal
from lettersmith.model import ImapSettings
from lettersmith.translate import N_

TOO_LARGE = N_("too large to read whole; only its first part was read")


@dataclass
class Outcome:
    """What one run read and what it made of it."""

    read: int = 0  # new messages looked at (most only glanced at: their header)
    events: list[Event] = field(default_factory=list)  # recorded now
    unmatched: int = 0  # answering none of our letters: not kept
    unrelated: int = 0  # matched, but a mailing list, a newsletter or spam: not kept
    already: int = 0  # recorded by an earlier run (read again after a renumbering)
    skipped: list[Skipped] = field(default_factory=list)
    waiting: int = 0  # new messages left for the next run (a limit was reached)
    renumbered: bool = False  # the folder's UIDVALIDITY changed: read again from the start
    folder: str = ""
    account: str = ""


Progress = Callable[[int, int], None]
EVENT_KINDS: dict[Kind, EventKind] = {
    Kind.BOUNCED: "bounced",
    Kind.RECEIVED: "received",
    Kind.REPLIED: "replied",
}


def read_inbox(
    imap: ImapSettings,
    state_dir: Path,
    *,
    since: dt.date | None = None,
    limits: Limits | None = None,
    on_progress: Progress | None = None,
    sent: Sequence[Sent] | None = None,
) -> Outcome:
    """Read what arrived in ``imap.folder`` since the last run into the journal at ``state_dir``.

    ``sent``: our messages to match against (default: every message the journal holds).
    """
    limits = limits or Limits()
    started = time.monotonic()
    # Matched against a journal that lost rows, a reply would be forgotten for good.
    refuse_lost_journal(state_dir)
    account = f"{imap.username}@{imap.host}:{imap.port}"
    outcome = Outcome(folder=imap.folder, account=account)
    with ExitStack() as stack:
        store = stack.enter_context(InboxStore.open(state_dir))
        folder = stack.enter_context(open_folder(imap, limits=limits))
        place = store.place(account, imap.folder)
        last = 0
        if place is not None and place.uidvalidity == folder.uidvalidity:
            last = place.last_uid
        outcome.renumbered = place is not None and place.uidvalidity != folder.uidvalidity
        new = folder.uids_after(last, since)
        todo = new[: limits.messages]
        outcome.waiting = len(new) - len(todo)
        if sent is not None:
            journal: JournalView = SentList(sent)
            sieve = Sieve.of(sent)
        else:
            journal = JournalSent(stack.enter_context(Journal.open_readonly(state_dir)))
            sieve = Sieve.of_journal(state_dir)
        seen: set[str] = set()
        done = 0
        if on_progress:
            on_progress(0, len(todo))
        for start in range(0, len(todo), limits.batch):
            batch = todo[start : start + limits.batch]
            events, skipped = _read_batch(
                folder, batch, limits, store, (journal, sieve), seen, outcome
            )
            store.commit(
                account, imap.folder, Place(folder.uidvalidity, batch[-1]), events, skipped
            )
            outcome.events += events
            outcome.skipped += skipped
            done += len(batch)
            if on_progress:
                on_progress(done, len(todo))
            if time.monotonic() - started > limits.seconds and done < len(todo):
                outcome.waiting += len(todo) - done
                break
        if not todo and (place is None or outcome.renumbered):
            store.commit(account, imap.folder, Place(folder.uidvalidity, last), ())
    return outcome


def _read_batch(
    folder: Folder,
    batch: Sequence[int],
    limits: Limits,
    store: InboxStore,
    ours: tuple[JournalView, Sieve],
    seen: set[str],
    outcome: Outcome,
) -> tuple[list[Event], list[Skipped]]:
    """One batch: a glance at every message (size, structure, header), then only those that
    may answer one of ours fetched: whole, or a too large one's first part (and named)."""
    journal, sieve = ours
    glances = folder.glance(batch)
    outcome.read += len(glances)
    candidates = [g for g in glances.values() if sieve.may_answer(g.header, g.structure)]
    outcome.unmatched += len(glances) - len(candidates)  # cannot answer any of ours
    large = {g.uid: g for g in candidates if g.size > limits.message_bytes and g.uid is not None}
    small = [g.uid for g in candidates if g.uid is not None and g.uid not in large]
    fetched = folder.fetch(small) if small else {}
    if large:
        fetched |= folder.fetch(list(large), first=limits.part_bytes)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    read = [(uid, raw, read_message(raw)) for uid, raw in sorted(fetched.items())]
    known = store.known([message_key(incoming.message_id, raw) for _, raw, incoming in read])
    events: list[Event] = []
    answers: dict[int, str] = {}
    for uid, raw, incoming in read:
        key = message_key(incoming.message_id, raw)
        if key in known or key in seen:
            outcome.already += 1
            continue
        seen.add(key)
        found = match(incoming, journal)
        if found is None:
            outcome.unmatched += 1
            continue
        answers[uid] = f"{found.sent.letter} -> {found.sent.recipient}"
        verdict = classify(incoming, address=found.sent.address)
        if verdict.kind is Kind.UNRELATED:
            outcome.unrelated += 1
            continue
        event = _event(incoming, raw, key, found, verdict, now, partial=uid in large)
        store.keep(raw, [event])
        events.append(event)
    skipped = [
        Skipped(uid, g.size, TOO_LARGE, *_sender_subject(g.header), answers.get(uid, ""))
        for uid, g in large.items()
    ]
    return events, skipped


def _event(
    incoming: Incoming,
    raw: bytes,
    key: str,
    found: Match,
    verdict: Verdict,
    now: str,
    *,
    partial: bool = False,
) -> Event:
    sent = found.sent
    sender = incoming.sender
    if incoming.sender_name and sender:
        sender = f"{incoming.sender_name} <{sender}>"
    date = incoming.date.astimezone(dt.UTC).isoformat(timespec="seconds") if incoming.date else now
    return Event(
        message_key=key,
        letter=sent.letter,
        club=sent.club,
        recipient=sent.recipient,
        kind=EVENT_KINDS[verdict.kind],
        copy=copy_name(raw),
        read_at=now,
        permanent=verdict.permanent if verdict.kind is Kind.BOUNCED else None,
        status=verdict.status,
        diagnostic=verdict.diagnostic,
        case_number=verdict.case_number,
        sender=sender,
        date=date,
        address=mailbox_key(sent.address),
        message_id=sent.message_id,
        away=verdict.away,
        reason=verdict.reason,
        how=found.how,
        partial=partial,
    )


def _sender_subject(header: bytes) -> tuple[str, str]:
    incoming = read_message(header)
    return incoming.sender, incoming.subject
