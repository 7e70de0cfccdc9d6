"""Which message of ours an incoming one answers: by its ids, never by a guess.

In this order, the first that finds one of ours wins:

1. ``In-Reply-To``: the message the writer answered.
2. ``References``, nearest first: a reply in a thread that began with our letter.
   An id there that is not ours (another organisation's message) is simply not ours.
3. A delivery report's (or a bounce's) quoted original: its Message-ID, else its
   X-Lettersmith headers (letter, club, recipient); a report that quotes none of ours is not
   ours, whatever its subject. A report or bounce about another address than the one we sent
   to (the archive copy's, say) is not about our recipient: no match.
4. The sender's domain *and* the subject, both: the domain of the address we sent to equals
   the sender's, and the incoming subject contains ours. More than one letter fits: no match.

What matches nothing is left alone. An automatic receipt from another domain than our
recipient's does not match by step 4, so a forged ``Auto-Submitted`` from a stranger is
never taken for the ministry's receipt.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from lettersmith.deliver.inbox.incoming import Incoming
from lettersmith.deliver.inbox.values import clean
from lettersmith.translate import N_, _

How = Literal["in-reply-to", "references", "report", "trace", "domain and subject"]
MIN_SUBJECT = 6  # characters a subject needs to be told apart from others at all


@dataclass(frozen=True)
class Sent:
    """A message of ours, as the journal knows it."""

    letter: str
    club: str | None
    recipient: str
    address: str  # as sent: IDNA domain
    message_id: str  # with angle brackets
    subject: str = ""  # the subject as sent ('' when unknown: then step 4 never matches it)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower().rstrip(".")


class JournalView(Protocol):
    """What ``match`` asks of the journal (a dict-backed one for tests, SQLite for real)."""

    def by_message_id(self, message_id: str) -> Sent | None:
        """Our message with this Message-ID (angle brackets included), if any."""
        ...

    def by_trace(self, letter: str, club: str | None, recipient: str) -> Sent | None:
        """The latest message of this letter (and club) to this recipient, if any."""
        ...

    def by_domain(self, domain: str) -> Sequence[Sent]:
        """Our messages to addresses at ``domain`` (lower-case, IDNA), with their subjects."""
        ...


_HOW = {
    "in-reply-to": N_("by In-Reply-To"),
    "references": N_("by References"),
    "report": N_("by the delivery report"),
    "trace": N_("by the X-Lettersmith headers"),
    "domain and subject": N_("by the sender's domain and the subject"),
}


@dataclass(frozen=True)
class Match:
    sent: Sent
    how: How

    def describe(self) -> str:
        """How it was matched, in the current language ("by In-Reply-To")."""
        return _(_HOW[self.how])


class SentList:
    """A ``JournalView`` over a list of ``Sent`` (tests; a journal read into memory), indexed
    once so that a run over thousands of messages does not scan it for each."""

    def __init__(self, sent: Iterable[Sent]):
        self.sent = list(sent)
        self._ids: dict[str, Sent] = {}
        self._traces: dict[tuple[str, str, str], Sent] = {}
        self._domains: dict[str, list[Sent]] = {}
        for item in self.sent:
            self._ids.setdefault(item.message_id, item)
            self._traces[(item.letter, item.club or "", item.recipient)] = item  # the latest
            self._domains.setdefault(item.domain, []).append(item)

    def by_message_id(self, message_id: str) -> Sent | None:
        return self._ids.get(message_id)

    def by_trace(self, letter: str, club: str | None, recipient: str) -> Sent | None:
        return self._traces.get((letter, club or "", recipient))

    def by_domain(self, domain: str) -> Sequence[Sent]:
        return self._domains.get(domain, [])


def match(incoming: Incoming, journal: JournalView) -> Match | None:
    """The message of ours ``incoming`` answers, or None."""
    found = _by_ids(incoming, journal)
    quoting = incoming.from_mail_system and incoming.original is not None
    if found is None and (incoming.report is not None or quoting):
        # A report is about the message it quotes, whoever sends it: never about the subject.
        found = _by_original(incoming, journal)
    elif found is None:
        found = _by_domain_and_subject(incoming, journal)
    about = incoming.failed
    if found is not None and about and found.sent.address.lower() not in about:
        return None  # the report is about another address (the archive copy): not our recipient
    return found


def _by_ids(incoming: Incoming, journal: JournalView) -> Match | None:
    for message_id in incoming.in_reply_to:
        if found := journal.by_message_id(message_id):
            return Match(found, "in-reply-to")
    for message_id in reversed(incoming.references):
        if found := journal.by_message_id(message_id):
            return Match(found, "references")
    return None


def _by_original(incoming: Incoming, journal: JournalView) -> Match | None:
    original = incoming.original
    if original is None:
        return None
    found: Sent | None = None
    how: How = "report"
    if original.message_id:
        found = journal.by_message_id(original.message_id)
    if found is None and original.traced("letter") and original.traced("recipient"):
        found = journal.by_trace(
            original.traced("letter"), original.traced("club") or None, original.traced("recipient")
        )
        how = "trace"
    return Match(found, how) if found is not None else None


def _by_domain_and_subject(incoming: Incoming, journal: JournalView) -> Match | None:
    domain = incoming.sender_domain
    subject = _comparable(incoming.subject)
    if not domain or not subject:
        return None
    fitting = [
        s
        for s in journal.by_domain(domain)
        if len(ours := _comparable(s.subject)) >= MIN_SUBJECT and ours in subject
    ]
    if not fitting:
        return None
    longest = max(len(_comparable(s.subject)) for s in fitting)
    fitting = [s for s in fitting if len(_comparable(s.subject)) == longest]
    if len(fitting) > 1:  # several of ours to that domain: the sender's own address may decide
        fitting = [s for s in fitting if s.address.lower() == incoming.sender.lower()]
    return Match(fitting[0], "domain and subject") if len(fitting) == 1 else None


def _comparable(subject: str) -> str:
    """A subject as compared: one form of each letter (a Mac writes "æ" as two code points),
    no case, single spaces."""
    return unicodedata.normalize("NFC", clean(subject)).casefold()
