"""One message from the mailbox, read into plain facts: who, when, about what, answering what.

Anyone can send us anything, so reading never raises and never trusts: the bytes are cut at
``max_bytes`` before parsing (a 40 MB attachment costs nothing), every header value is cleaned of
line breaks and control characters before it can be stored or shown (a decoded encoded word may
hold a CR/LF), the text is bounded, and a message the parser chokes on comes back with
``problem`` set instead of a traceback. Attachments are never decoded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime

from lettersmith.addresses import LINE_BREAKS
from lettersmith.deliver.inbox import text as plain
from lettersmith.deliver.inbox.receipts import case_number
from lettersmith.deliver.message import TRACE_HEADERS
from lettersmith.headers import BIDI_CONTROLS
from lettersmith.translate import N_

MAX_BYTES = 2 * 1024 * 1024  # of a message read at all: a report's original fits, a PDF need not
MAX_TEXT = 100_000  # characters of its text kept: a receipt or a reply is far shorter
MAX_HEADER = 998  # characters of one header value kept (RFC 5322's line limit)
MAX_PARTS = 200  # MIME parts looked at: a message of a million empty parts is not walked
MAX_IDS = 100  # Message-IDs kept from References
MAX_RAW_HEADER = 16 * 1024  # characters of one header value decoded at all

_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
_ADDRESS = re.compile(r"[^\s<>@\"',;:()\[\]]{1,64}@[A-Za-z0-9.\-]{1,253}")
_BRACKETED = re.compile(r"<([^<>\s@]{1,64}@[^<>\s@]{1,253})>")
_CONTINUED = re.compile(r"\s\d{3}[- ]\d\.\d{1,3}\.\d{1,3}(?=\s)")
_REPLY_START = re.compile(r"\d{3}-\d\.")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_UNSAFE = frozenset(LINE_BREAKS) | BIDI_CONTROLS | {"\t", "\x00"}


@dataclass(frozen=True)
class RecipientReport:
    """One recipient's block of a delivery status report (RFC 3464 section 2.3)."""

    final_recipient: str  # the address the report is about, e.g. postmottak@kd.dep.no
    action: str  # failed, delayed, delivered, relayed, expanded ('' when missing)
    status: str  # e.g. "5.1.1" ('' when missing or unreadable)
    diagnostic: str = ""  # the remote server's words, e.g. "550 5.1.1 User unknown"
    original_recipient: str = ""
    remote_mta: str = ""

    @property
    def permanent(self) -> bool | None:
        """5.x.x (or Action: failed) is final, 4.x.x (or Action: delayed) is not; else unknown."""
        if self.status[:1] == "5":
            return True
        if self.status[:1] == "4":
            return False
        return {"failed": True, "delayed": False}.get(self.action)


@dataclass(frozen=True)
class Original:
    """The headers of the message a report or bounce is about (the part quoting it)."""

    message_id: str = ""
    subject: str = ""
    to: tuple[str, ...] = ()
    # Our X-Lettersmith-* headers by TRACE_HEADERS key (letter, club, recipient, ...).
    trace: tuple[tuple[str, str], ...] = ()

    def traced(self, key: str) -> str:
        return next((value for name, value in self.trace if name == key), "")


@dataclass(frozen=True)
class DeliveryReport:
    """A delivery status notification: per-recipient outcomes, and which message it is about."""

    recipients: tuple[RecipientReport, ...]
    reporting_mta: str = ""
    standard: bool = True  # an RFC 3464 report; False: a bounce read from its words only


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
        local = self.sender.partition("@")[0].lower()
        return local.startswith(MAIL_SYSTEMS) or self.return_path == ""

    def header(self, name: str) -> str:
        """A header's cleaned value ('' when absent); for the few classify looks at."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), "")


# The senders of bounces: Postfix, Sendmail and Exim, Gmail, Exchange's own mailbox.
MAIL_SYSTEMS = ("mailer-daemon", "postmaster", "mail-daemon", "microsoftexchange")

# Headers kept in ``Incoming.headers`` for classification (lists, spam, auto-replies).
KEPT_HEADERS = (
    "precedence", "list-id", "list-unsubscribe", "x-autoreply", "x-autorespond",
    "x-auto-response-suppress", "x-spam-flag", "x-spam-status", "content-type",
    "x-failed-recipients", "x-ms-exchange-message-is-ndr", "reply-to", "to",
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
    report, original = _report(parts, problems)
    text = _text(parts)
    subject = header_text(msg, "Subject")
    return Incoming(
        message_id=_first_id(_raw_value(msg, "Message-ID") or ""),
        sender=_sender(msg)[0],
        sender_name=_sender(msg)[1],
        date=_date(header_text(msg, "Date")),
        subject=subject,
        in_reply_to=tuple(_ids(_raw_value(msg, "In-Reply-To") or ""))[:MAX_IDS],
        references=tuple(_ids((_raw_value(msg, "References") or "")[-MAX_RAW_HEADER:]))[-MAX_IDS:],
        auto_submitted=_keyword(header_text(msg, "Auto-Submitted")),
        return_path=_return_path(msg),
        report=report,
        original=original,
        text=text,
        case_number=case_number(subject, text),
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
            message_id=_first_id(_raw_value(msg, "Message-ID") or ""),
            sender=_sender(msg)[0],
            subject=header_text(msg, "Subject"),
            size=size,
            truncated=truncated,
            problem=problem,
        )
    except Exception:
        return Incoming(size=size, truncated=truncated, problem=problem)


# ----------------------------------------------------------------------------- headers


def clean(value: str, limit: int = MAX_HEADER) -> str:
    """One line, no control or direction characters, at most ``limit`` characters.

    What a decoded header or a report's field may hold is never trusted: a CR/LF in it would
    start a new header, a new table row or a new line of the journal.
    """
    value = value[: limit * 4]
    value = "".join(" " if char in _UNSAFE or _control(char) else char for char in value)
    return " ".join(value.split())[:limit]


def _control(char: str) -> bool:
    code = ord(char)
    return code < 32 or 127 <= code < 160 or 0xD800 <= code < 0xE000


def header_text(msg: Message, name: str) -> str:
    """A header's value decoded (RFC 2047, any charset, 8-bit bytes too) and cleaned; '' if
    absent. Only the first occurrence counts."""
    raw = _raw_value(msg, name)
    if raw is None:
        return ""
    raw = raw[:MAX_RAW_HEADER]
    text: str | None = None
    if not _undecoded(raw):
        try:
            text = str(policy.default.header_factory(name, raw))
        except Exception:  # e.g. an address whose decoded name holds a CR/LF: read it raw
            text = None
    return clean(_decode_raw(raw) if text is None else text)


def _undecoded(value: str) -> bool:
    """Whether ``value`` holds bytes the parser could not decode (8-bit, no charset)."""
    return any(0xDC80 <= ord(char) <= 0xDCFF for char in value)


def _raw_value(msg: Message, name: str) -> str | None:
    lower = name.lower()
    try:
        for key, value in msg.raw_items():
            if key.lower() == lower:
                return str(value)
    except Exception:
        return None
    return None


def _decode_raw(value: str) -> str:
    """A raw header value: its encoded words decoded, undeclared 8-bit bytes read as UTF-8 or,
    failing that, Windows-1252 (what Norwegian mail without a charset usually is)."""
    if _undecoded(value):
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("cp1252", "replace")
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def _keyword(value: str) -> str:
    """The keyword of a structured field (``auto-replied; owner-email=...``), lower-case."""
    words = value.replace(";", " ").split(None, 1)
    return words[0].lower()[:40] if words else ""


def _ids(value: str) -> list[str]:
    """The ``<id>`` tokens of a raw Message-ID, In-Reply-To or References value (ASCII by
    definition: a token with anything else, a line break included, is no id)."""
    return [
        f"<{found}>"
        for found in _MESSAGE_ID.findall(value[:MAX_RAW_HEADER])
        if found.isascii() and found.isprintable()
    ]


def _first_id(value: str) -> str:
    found = _ids(value)
    return found[0] if found else ""


def _sender(msg: Message) -> tuple[str, str]:
    """The From address and name. Read from the cleaned text, the address in angle brackets
    first: a name that decoded into two lines ("Postmottak\\r\\nBcc: x@y") cannot pass for it."""
    value = header_text(msg, "From")
    bracketed = _BRACKETED.findall(value)
    if bracketed:
        name = value[: value.rfind("<")].strip().strip('"').strip()
        return normal_address(bracketed[-1]), clean(name, 200)
    found = _ADDRESS.search(value)
    return (normal_address(found.group(0)), "") if found else ("", "")


def normal_address(address: str) -> str:
    """``local@domain`` with the domain lower-case and in IDNA form, to compare with the journal."""
    local, _, domain = clean(address, 320).strip("<> ").rpartition("@")
    domain = domain.lower().rstrip(".")
    with contextlib.suppress(UnicodeError, ValueError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}" if local else ""


def _return_path(msg: Message) -> str | None:
    value = header_text(msg, "Return-Path")
    if not value and "Return-Path" not in msg:
        return None
    found = _ADDRESS.search(value)
    return normal_address(found.group(0)) if found else ""


def _date(value: str) -> dt.datetime | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
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


def part_text(part: Message, limit: int = MAX_TEXT * 4) -> str:
    """A text part's content decoded by its charset (bounded; a wrong charset never raises)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    data = data[:limit]
    charset = "utf-8"
    with contextlib.suppress(Exception):
        charset = part.get_content_charset() or "utf-8"
    for attempt in (charset, "utf-8"):
        try:
            return data.decode(attempt)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("cp1252", "replace")


# ----------------------------------------------------------------------------- reports


def _report(
    parts: list[Message], problems: list[str]
) -> tuple[DeliveryReport | None, Original | None]:
    status_part = next(
        (
            p
            for p in parts
            if p.get_content_type() in ("message/delivery-status", "message/global-delivery-status")
        ),
        None,
    )
    original = _original(parts)
    if status_part is None:
        return None, original
    blocks = _status_blocks(status_part)
    recipients = tuple(
        _recipient(block) for block in blocks[1:] if "final-recipient" in block or "action" in block
    )
    reporting = _after_type(blocks[0].get("reporting-mta", "")) if blocks else ""
    if not recipients or not any(r.status for r in recipients):
        problems.append(N_("the delivery report gives no status code for the recipient"))
    return DeliveryReport(recipients=recipients, reporting_mta=reporting), original


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """A delivery-status body as its blocks of fields (the first is the per-message one)."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the standard library parsed the blocks already
        blocks = []
        for block in payload[:MAX_PARTS]:
            if isinstance(block, Message):
                fields: dict[str, str] = {}
                for key in block:
                    fields.setdefault(key.lower(), header_text(block, key))
                blocks.append(fields)
        if any(blocks):
            return blocks
    return parse_fields(part_text(part, 64 * 1024))


def parse_fields(text: str) -> list[dict[str, str]]:
    """``Name: value`` blocks separated by blank lines (continuation lines joined), cleaned."""
    blocks: list[dict[str, str]] = [{}]
    last = ""
    for line in text.splitlines()[:2000]:
        if not line.strip():
            if blocks[-1]:
                blocks.append({})
            last = ""
        elif line[:1] in " \t" and last:
            blocks[-1][last] = clean(blocks[-1][last] + " " + line)
        elif ":" in line:
            name, _, value = line.partition(":")
            last = name.strip().lower()
            blocks[-1].setdefault(last, clean(value))
    return [block for block in blocks if block]


def _recipient(block: dict[str, str]) -> RecipientReport:
    status = _STATUS.search(block.get("status", ""))
    return RecipientReport(
        final_recipient=_report_address(block.get("final-recipient", "")),
        action=block.get("action", "").split()[0].lower()[:20] if block.get("action") else "",
        status=".".join(status.groups()) if status else "",
        diagnostic=_one_reply(_after_type(block.get("diagnostic-code", ""))),
        original_recipient=_report_address(block.get("original-recipient", "")),
        remote_mta=_after_type(block.get("remote-mta", "")),
    )


def _one_reply(diagnostic: str) -> str:
    """A multi-line SMTP reply as one: ``550-5.1.1 a 550-5.1.1 b`` -> ``550 5.1.1 a b``."""
    joined = _CONTINUED.sub("", diagnostic)
    return joined[:3] + " " + joined[4:] if _REPLY_START.match(joined) else joined


def _after_type(value: str) -> str:
    """``smtp; 550 5.1.1 ...`` -> ``550 5.1.1 ...`` (the address or diagnostic type dropped)."""
    kind, semicolon, rest = value.partition(";")
    return clean(rest if semicolon and len(kind) < 20 else value)


def _report_address(value: str) -> str:
    found = _ADDRESS.search(_after_type(value))
    return normal_address(found.group(0)) if found else ""


def _original(parts: list[Message]) -> Original | None:
    """The headers of the first quoted message (message/rfc822 or text/rfc822-headers)."""
    for part in parts:
        kind = part.get_content_type()
        headers: Message | None = None
        if kind in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                headers = payload[0]
            elif isinstance(payload, str):
                headers = HeaderParser(policy=policy.compat32).parsestr(payload[: 256 * 1024])
        elif kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            headers = HeaderParser(policy=policy.compat32).parsestr(part_text(part, 256 * 1024))
        if headers is not None:
            return _original_of(headers)
    return None


def _original_of(headers: Message) -> Original:
    trace = tuple(
        (key, value) for key, name in TRACE_HEADERS.items() if (value := header_text(headers, name))
    )
    try:
        to = tuple(
            normal_address(address)
            for _, address in getaddresses([header_text(headers, "To")])
            if "@" in address
        )[:20]
    except Exception:
        to = ()
    return Original(
        message_id=_first_id(_raw_value(headers, "Message-ID") or ""),
        subject=header_text(headers, "Subject"),
        to=to,
        trace=trace,
    )


def failure_codes(text: str) -> Iterator[str]:
    """Enhanced status codes of failures (``5.1.1``, ``4.4.1``) written in a text, in order
    (for bounces that say so only in words)."""
    for found in _STATUS.finditer(text):
        if found.group(1) != "2":
            yield ".".join(found.groups())
