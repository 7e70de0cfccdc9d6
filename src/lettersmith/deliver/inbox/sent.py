"""The send journal as ``match`` asks it: our messages by Message-ID, by trace, by domain.

The journal's rows know the letter, club, recipient, address and Message-ID; the subject is
read from the copy of the message each row keeps under ``.lettersmith/sent/`` (its headers
only, once per copy), so the journal's schema needs no new column for it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from lettersmith.deliver.inbox.match import Sent
from lettersmith.deliver.inbox.values import header_text
from lettersmith.deliver.journal import Entry, Journal

HEADERS_READ = 64 * 1024  # bytes of a copy read for its subject: the headers come first


class JournalSent:
    """A ``JournalView`` over an open ``Journal`` (read-only use)."""

    def __init__(self, journal: Journal):
        self.journal = journal

    def by_message_id(self, message_id: str) -> Sent | None:
        entry = self.journal.with_message_id(message_id)
        return self._sent(entry) if entry else None

    def by_trace(self, letter: str, club: str | None, recipient: str) -> Sent | None:
        entry = self.journal.get(letter, club, recipient)
        return self._sent(entry) if entry else None

    def by_domain(self, domain: str) -> Sequence[Sent]:
        return [self._sent(entry) for entry in self.journal.to_domain(domain)]

    def _sent(self, entry: Entry) -> Sent:
        return Sent(
            letter=entry.letter,
            club=entry.club,
            recipient=entry.recipient,
            address=entry.address,
            message_id=entry.message_id,
            subject=copy_subject(self.journal.state_dir, entry.copy) if entry.copy else "",
        )


@functools.lru_cache(maxsize=4096)
def copy_subject(state_dir: Path, copy: str) -> str:
    """The Subject of a kept copy, decoded; '' when it cannot be read or lies outside."""
    path = state_dir / copy
    try:
        if not path.resolve().is_relative_to(state_dir.resolve()):
            return ""
        with path.open("rb") as file:
            head = file.read(HEADERS_READ)
    except OSError:
        return ""
    return header_text(BytesHeaderParser(policy=policy.compat32).parsebytes(head), "Subject")
