"""One message from the mailbox, read into plain facts: who, when, about what, answering what.

Anyone can send us anything, so reading never raises and never trusts: the bytes are cut at
``max_bytes`` before parsing (a 40 MB attachment costs nothing), every header value is cleaned of
line breaks and control characters before it can be stored or shown (a decoded encoded word may
hold a CR/LF), the text is bounded, and a message the parser chokes on comes back with
``problem`` set instead of a traceback. Attachments are never decoded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime

from lettersmith.deliver.inbox import text as plain
from lettersmith.deliver.inbox.receipts import case_number
from lettersmith.deliver.inbox.reports import (
    DeliveryReport,
    Original,
    RecipientReport,
    failed_addresses,
    failure_codes,
    read_report,
    words_and_original,
)
from lettersmith.deliver.inbox.values import (
    ADDRESS,
    MAX_IDS,
    MAX_RAW_HEADER,
    MAX_TEXT,
    clean,
    first_id,
    header_text,
    keyword,
    message_ids,
    normal_address,
    part_text,
    raw_value,
)
from lettersmith.translate import N_

__all__ = [  # what the rest of the package reads from here
    "MAX_BYTES", "MAX_TEXT", "DeliveryReport", "Incoming", "Original", "RecipientReport",
    "clean", "failure_codes", "header_text", "read_message",
]  # fmt: skip

MAX_BYTES = 2 * 1024 * 1024  # of a message read at all: a report's original fits, a PDF need not
MAX_PARTS = 200  # MIME parts looked at: a message of a million empty parts is not walked

_BRACKETED = re.compile(r"<([^<>\s@]{1,64}@[^<>\s@]{1,253})>")


@dataclass(frozen=True)
class Incoming:
    """One message from the mailbox, cleaned: every str here is one line, bounded, safe to show.

    ``problem``: why the message could not be read fully (an English sentence marked for the
    catalogue; show it with ``_()``), or None.
    """

    message_id: str = ""  # with its angle brackets, as the journal keeps ours
    sender: str = ""  # the From address (domain lower-case, IDNA), '' when none is readable
    sender_name: str = ""
    date: dt.datetime | None = None  # aware; None when missing or unreadable
    subject: str = ""
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # oldest first, as written
    auto_submitted: str = ""  # RFC 3834 keyword, lower-case: auto-replied, auto-generated, no
    return_path: str | None = None  # '' for the null sender <> (bounces); None when absent
    report: DeliveryReport | None = None
    # The addresses a report or a bounce says failed (lower-case), to check whose it is.
    failed: tuple[str, ...] = ()
    original: Original | None = None  # the quoted original of a report or bounce
    text: str = ""  # the plain text (from text/plain, else from the HTML), bounded
    case_number: str = ""  # the archive's case number the text gives ("24/1234"), if any
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # the rest, cleaned
    size: int = 0  # bytes of the message as fetched
    truncated: bool = False  # cut at max_bytes
    problem: str | None = None

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]

    @property
    def from_mail_system(self) -> bool:
        """Sent by a mail server itself (MAILER-DAEMON, postmaster, the null sender ``<>``)."""
        return _mail_system(self.sender, self.return_path)

    def header(self, name: str) -> str:
        """A header's cleaned value ('' when absent); for the few classify looks at."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), "")


# The senders of bounces: Postfix, Sendmail and Exim, Gmail, Exchange's own mailbox.
MAIL_SYSTEMS = ("mailer-daemon", "postmaster", "mail-daemon", "microsoftexchange")

# Headers kept in ``Incoming.headers``: those ``classify`` reads (lists, spam, autoresponders,
# Exim's list of failed addresses).
KEPT_HEADERS = (
    "precedence", "list-id", "list-unsubscribe", "x-autoreply", "x-autorespond", "x-spam-flag",
    "x-failed-recipients",
)  # fmt: skip


def read_message(raw: bytes, *, max_bytes: int = MAX_BYTES) -> Incoming:
    """The message in ``raw`` (its first ``max_bytes`` bytes, its first MAX_PARTS parts),
    read; never raises.

    The structure is parsed with the ``compat32`` policy, which leaves header values as they
    are: ``policy.default`` parses every part's Content-Type as it goes, some milliseconds each,
    so a 2 MB message of 40,000 empty parts took half a minute. Each value read is then decoded
    by ``policy.default``'s header parser, at most MAX_RAW_HEADER characters of it.
    """
    size = len(raw)
    data = _cut(bytes(raw[:max_bytes]))
    truncated = len(data) < size
    try:
        msg = message_from_bytes(data, policy=policy.compat32)
        return _read(msg, size, truncated)
    except Exception:  # the standard library raises assorted errors on hostile input
        return _headers_only(data, size, truncated)


def _cut(data: bytes) -> bytes:
    """``data`` ended before the part past MAX_PARTS (counted by Content-Type fields and by
    lines that may be boundaries), so that no message costs more than that many parts."""
    lowered = data.lower()
    end = len(data)
    for marker, allowed in ((b"content-type:", MAX_PARTS * 2), (b"\n--", MAX_PARTS * 10)):
        position = -1
        for _ in range(allowed):
            position = lowered.find(marker, position + 1)
            if position < 0:
                break
        if position >= 0:
            end = min(end, position)
    return data[:end]


def _read(msg: Message, size: int, truncated: bool) -> Incoming:
    problems: list[str] = []
    parts = list(_parts(msg))
    report, original = read_report(parts, problems)
    text = _text(parts)
    subject = header_text(msg, "Subject")
    sender, sender_name = _sender(msg)
    return_path = _return_path(msg)
    listed = header_text(msg, "X-Failed-Recipients")
    failed: tuple[str, ...] = ()
    if report is not None:
        failed = failed_addresses(report, "", "")
    elif listed or _mail_system(sender, return_path):  # a bounce in words: Exim, qmail
        words, inline = words_and_original(text)
        original = original or inline
        failed = failed_addresses(None, words, listed)
    return Incoming(
        message_id=first_id(raw_value(msg, "Message-ID") or ""),
        sender=sender,
        sender_name=sender_name,
        date=_date(header_text(msg, "Date")),
        subject=subject,
        in_reply_to=tuple(message_ids(raw_value(msg, "In-Reply-To") or ""))[:MAX_IDS],
        references=tuple(message_ids((raw_value(msg, "References") or "")[-MAX_RAW_HEADER:]))[
            -MAX_IDS:
        ],
        auto_submitted=keyword(header_text(msg, "Auto-Submitted")),
        return_path=return_path,
        report=report,
        original=original,
        failed=failed,
        text=text,
        case_number=case_number(subject, plain.unquoted(text), plain.unquoted(text, whole=True)),
        headers=tuple((name, header_text(msg, name)) for name in KEPT_HEADERS if name in msg),
        size=size,
        truncated=truncated,
        problem=problems[0] if problems else None,
    )


def _headers_only(data: bytes, size: int, truncated: bool) -> Incoming:
    """What can be read of a message whose body the parser cannot take: its headers, if any."""
    problem = N_("the message could not be read as email (its structure is damaged)")
    try:
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(data)
        return Incoming(
            message_id=first_id(raw_value(msg, "Message-ID") or ""),
            sender=_sender(msg)[0],
            subject=header_text(msg, "Subject"),
            size=size,
            truncated=truncated,
            problem=problem,
        )
    except Exception:
        return Incoming(size=size, truncated=truncated, problem=problem)


# ----------------------------------------------------------------------------- headers


def _mail_system(sender: str, return_path: str | None) -> bool:
    return sender.partition("@")[0].lower().startswith(MAIL_SYSTEMS) or return_path == ""


def _sender(msg: Message) -> tuple[str, str]:
    """The From address and name. Read from the cleaned text, the address in angle brackets
    first: a name that decoded into two lines ("Postmottak\\r\\nBcc: x@y") cannot pass for it."""
    value = header_text(msg, "From")
    bracketed = _BRACKETED.findall(value)
    if bracketed:
        name = value[: value.rfind("<")].strip().strip('"').strip()
        return normal_address(bracketed[-1]), clean(name, 200)
    found = ADDRESS.search(value)
    return (normal_address(found.group(0)), "") if found else ("", "")


def _return_path(msg: Message) -> str | None:
    value = header_text(msg, "Return-Path")
    if not value and "Return-Path" not in msg:
        return None
    found = ADDRESS.search(value)
    return normal_address(found.group(0)) if found else ""


def _date(value: str) -> dt.datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


# ----------------------------------------------------------------------------- body


def _parts(msg: Message) -> Iterator[Message]:
    """The message's parts, depth first, not into attached messages, at most MAX_PARTS."""
    stack, seen = [msg], 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        yield part
        if part.get_content_maintype() == "multipart":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(reversed([c for c in children if isinstance(c, Message)]))


def _text(parts: list[Message]) -> str:
    """The first plain-text body, else the first HTML one turned into text; never attachments."""
    for wanted in ("plain", "html"):
        for part in parts:
            if part.get_content_type() == f"text/{wanted}" and not _attachment(part):
                body = part_text(part)
                return (
                    plain.from_html(body, MAX_TEXT)
                    if wanted == "html"
                    else plain.bounded(body, MAX_TEXT)
                )
    return ""


def _attachment(part: Message) -> bool:
    try:
        return (part.get_content_disposition() or "") == "attachment"
    except Exception:
        return False
