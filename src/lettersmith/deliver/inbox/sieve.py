"""Which messages could answer one of ours at all: a cheap test before the full reading.

Reading a message properly (``incoming.read_message``: every header decoded, the MIME tree
walked) costs milliseconds; a mailbox of 10,000 messages is nearly all newsletters and other
correspondence. ``match`` finds one of ours only through

1. one of our Message-IDs in ``In-Reply-To``, ``References`` or a report's quoted original;
2. our ``X-Lettersmith-*`` headers in a report's quoted original;
3. the sender's domain being one we sent to (then the subject decides);

and a delivery report or a bounce is recognised by its sender or its ``multipart/report``.
So a message is read fully when its bytes hold one of our Message-IDs or an X-Lettersmith
header, when its From is at one of our recipients' domains (or cannot be read cheaply: not
ASCII, not found), or when it looks like a report or bounce. Everything else cannot match and
is counted as unmatched without being parsed. The test only ever lets more through than
``match`` takes (tests/test_inbox_sieve.py holds it to that on the corpus), never fewer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lettersmith.deliver.inbox.match import Sent
from lettersmith.deliver.journal import connect_readonly

# Anything shaped like the inside of a Message-ID or an address: local part @ domain.
_ID_LIKE = re.compile(rb"[^\s<>\"'(),;:\[\]\\]{1,250}@[A-Za-z0-9.\-\[\]:]{1,253}")
_FROM = re.compile(rb"^from:(.*)$", re.IGNORECASE | re.MULTILINE)
_ADDRESS_DOMAIN = re.compile(rb"@([A-Za-z0-9.\-]+)")
_BOUNCE_SENDERS = (b"mailer-daemon", b"postmaster", b"mail-daemon", b"microsoftexchange")


@dataclass(frozen=True)
class Sieve:
    ids: frozenset[bytes]  # our Message-IDs without brackets, lower-case
    domains: frozenset[bytes]  # our recipients' domains, lower-case

    @classmethod
    def of(cls, sent: Iterable[Sent]) -> Sieve:
        return cls.of_messages((item.message_id, item.address) for item in sent)

    @classmethod
    def of_journal(cls, state_dir: Path) -> Sieve:
        """Every message the send journal at ``state_dir`` holds (none: an empty sieve)."""
        path = state_dir / "journal.sqlite"
        if not path.is_file():
            return cls(frozenset(), frozenset())
        db = connect_readonly(path)
        try:
            rows = db.execute("SELECT message_id, address FROM deliveries").fetchall()
        finally:
            db.close()
        return cls.of_messages(rows)

    @classmethod
    def of_messages(cls, messages: Iterable[tuple[str, str]]) -> Sieve:
        """From (Message-ID, address) pairs."""
        ids, domains = set(), set()
        for message_id, address in messages:
            if message_id:
                ids.add(message_id.strip().strip("<>").lower().encode("ascii", "replace"))
            domain = address.rpartition("@")[2].lower().rstrip(".")
            if domain:
                domains.add(domain.encode("ascii", "replace"))
        return cls(frozenset(ids), frozenset(domains))

    def may_answer(self, raw: bytes) -> bool:
        """False only for a message ``match`` cannot take for one of ours."""
        if not self.ids and not self.domains:
            return False  # nothing sent yet: nothing can answer it
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            end = raw.find(b"\n\n")
        header = raw if end < 0 else raw[:end]
        lowered = raw.lower()
        if b"x-lettersmith-" in lowered or b"multipart/report" in lowered:
            return True
        if self.ids and any(token in self.ids for token in _ID_LIKE.findall(lowered)):
            return True
        unfolded = re.sub(rb"\r?\n[ \t]+", b" ", header.lower())
        sender = _FROM.search(unfolded)
        if sender is None or not sender[1].isascii() or b"=?" in sender[1]:
            return True  # no From to read cheaply: the full reading decides
        if any(name in sender[1] for name in _BOUNCE_SENDERS):
            return True
        returned = re.search(rb"^return-path:(.*)$", unfolded, re.MULTILINE)
        if returned is not None and b"@" not in returned[1]:
            return True  # the null sender of a bounce
        domains = {d.rstrip(b".") for d in _ADDRESS_DOMAIN.findall(sender[1])}
        return not domains or bool(domains & self.domains)
