"""After sending: what comes back into the mailbox, read, classified and matched to the journal.

Three steps, each its own module, each safe on any bytes a stranger can send:

- ``incoming.read_message(raw)``: the bytes of one message into an ``Incoming`` (headers
  cleaned of line breaks, the delivery report if it is one, the plain text, bounded); never
  raises, a message it cannot read has ``problem`` set. ``values`` makes header values safe,
  ``reports`` reads delivery reports and the copy a bounce quotes, ``text`` turns HTML into
  text, ``receipts`` knows the words of receipts and out-of-office replies.
- ``classify.classify(incoming)``: a ``Verdict`` whose ``kind`` is bounced, received, replied or
  unrelated, with the status code and diagnostic of a bounce and the case number of a receipt.
- ``match.match(incoming, journal)``: the journal row the message answers, or None; never a
  guess. ``JournalSent(journal)`` is the view over the send journal; ``SentList`` one over a
  list (tests).

Reading the server (IMAP) and writing the journal's rows live beside these, in their own
modules; nothing here opens a connection or writes a file.
"""

from lettersmith.deliver.inbox.classify import Kind, Verdict, classify, kind_label
from lettersmith.deliver.inbox.incoming import (
    MAX_BYTES,
    MAX_TEXT,
    DeliveryReport,
    Incoming,
    RecipientReport,
    read_message,
)
from lettersmith.deliver.inbox.match import JournalView, Match, Sent, SentList, match
from lettersmith.deliver.inbox.sent import JournalSent

__all__ = [
    "MAX_BYTES",
    "MAX_TEXT",
    "DeliveryReport",
    "Incoming",
    "JournalSent",
    "JournalView",
    "Kind",
    "Match",
    "RecipientReport",
    "Sent",
    "SentList",
    "Verdict",
    "classify",
    "kind_label",
    "match",
    "read_message",
]
