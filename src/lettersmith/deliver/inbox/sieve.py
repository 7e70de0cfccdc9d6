"""Which messages could answer one of ours at all, told from a glance at each: its header and
its MIME structure, before its body is fetched or parsed.

A mailbox of 10,000 messages is nearly all newsletters and other correspondence, some with
large attachments; fetching and reading each whole costs time and bandwidth. ``match`` finds
one of ours only through

1. one of our Message-IDs in ``In-Reply-To`` or ``References`` (the header);
2. a delivery report's quoted original (its Message-ID or X-Lettersmith headers): only in a
   message with a ``message/delivery-status`` part, or from a bounce sender
   (MAILER-DAEMON, postmaster, the null Return-Path);
3. the sender's domain being one we sent to (then the subject decides).

So a message is fetched and read fully when its header holds one of our Message-IDs or an
X-Lettersmith header, when its From is at one of our recipients' domains (or cannot be read
cheaply: not ASCII, an encoded word, none), when it comes from a bounce sender, or when its
structure has a delivery-status part anywhere. Anything else cannot match and is counted as
unmatched without being fetched. The test only ever lets more through than ``match`` takes
(tests/test_inbox_sieve.py on the corpus; tests/test_inbox.py through a real server), never
fewer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lettersmith.deliver.inbox.incoming import MAIL_SYSTEMS
from lettersmith.deliver.inbox.match import Sent
from lettersmith.deliver.journal import connect_readonly

# Anything shaped like the inside of a Message-ID or an address: local part @ domain.
_ID_LIKE = re.compile(rb"[^\s<>\"'(),;:\[\]\\]{1,250}@[A-Za-z0-9.\-\[\]:]{1,253}")
_FROM = re.compile(rb"^from:(.*)$", re.IGNORECASE | re.MULTILINE)
_ADDRESS_DOMAIN = re.compile(rb"@([A-Za-z0-9.\-]+)")
_BOUNCE_SENDERS = tuple(name.encode() for name in MAIL_SYSTEMS)


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

    def may_answer(self, header: bytes, structure: bytes = b"") -> bool:
        """False only for a message ``match`` cannot take for one of ours. ``header``: the
        message's header (or the whole message); ``structure``: its MIME structure as IMAP's
        BODYSTRUCTURE gives it (content types, in any case)."""
        if not self.ids and not self.domains:
            return False  # nothing sent yet: nothing can answer it
        end = header.find(b"\r\n\r\n")
        if end < 0:
            end = header.find(b"\n\n")
        head = (header if end < 0 else header[:end]).lower()
        if b"delivery-status" in structure.lower() or b"delivery-status" in head:
            return True  # a report, wherever its part is: its original decides
        if b"x-lettersmith-" in head:
            return True
        if self.ids and any(token in self.ids for token in _ID_LIKE.findall(head)):
            return True
        unfolded = re.sub(rb"\r?\n[ \t]+", b" ", head)
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
