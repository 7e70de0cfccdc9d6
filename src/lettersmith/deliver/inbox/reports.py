"""Delivery status reports (RFC 3464) and the original message a bounce quotes.

A report says per recipient what happened (``Action``, ``Status`` such as 5.1.1, the remote
server's ``Diagnostic-Code``) and quotes the message it is about (``message/rfc822`` or
``text/rfc822-headers``): its Message-ID and our X-Lettersmith headers tell whose it is. A
bounce without a report (Exim's and qmail's plain text) quotes it in its words instead.
"""

from __future__ import annotations

import binascii
import quopri
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses

from lettersmith.deliver.inbox.values import (
    ADDRESS,
    clean,
    first_id,
    header_text,
    normal_address,
    part_text,
    raw_value,
)
from lettersmith.deliver.message import TRACE_HEADERS
from lettersmith.translate import N_

MAX_BLOCKS = 200  # blocks of a report's fields looked at

_CONTINUED = re.compile(r"\s\d{3}[- ]\d\.\d{1,3}\.\d{1,3}(?=\s)")
_REPLY_START = re.compile(r"\d{3}-\d\.")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


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


def read_report(
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
    original = quoted_original(parts)
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
        for block in payload[:MAX_BLOCKS]:
            if isinstance(block, Message):
                fields: dict[str, str] = {}
                for key in block:
                    fields.setdefault(key.lower(), header_text(block, key))
                blocks.append(fields)
        if any(blocks):
            return blocks
    return parse_fields(_encoded_body(part)[: 64 * 1024].decode("utf-8", "replace"))


def _encoded_body(part: Message) -> bytes:
    """A message/* part's body as sent, decoded from base64 or quoted-printable: the parser
    reads any message/* body as a message, which an encoded report (RFC 6533 allows base64)
    is not."""
    payload = part.get_payload()
    try:
        if isinstance(payload, list):
            text = "".join(inner.as_string() for inner in payload if isinstance(inner, Message))
        else:
            text = str(payload)
        data = text[: 256 * 1024].encode("utf-8", "surrogateescape")
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if encoding == "base64":
            return binascii.a2b_base64(data)
        if encoding == "quoted-printable":
            return quopri.decodestring(data)
        return data
    except (binascii.Error, ValueError, TypeError, LookupError):
        return b""


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
    found = ADDRESS.search(_after_type(value))
    return normal_address(found.group(0)) if found else ""


def quoted_original(parts: list[Message]) -> Original | None:
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


# Where Exim, qmail, Sendmail and others start the copy of the message below their words.
_COPY_MARKERS = (
    "below this line is a copy of the message",
    "this is a copy of the message",
    "original message follows",
    "undelivered message headers",
    "headers of the original message",
)  # fmt: skip
_HEADER_START = ("return-path:", "received:", "message-id:", "x-lettersmith-")


def words_and_original(text: str) -> tuple[str, Original | None]:
    """A bounce without a report: its own words, and the headers of the copy below them.

    The copy starts after a line naming it ("--- Below this line is a copy of the message.")
    or, without one, at the first line that opens a header block (``Return-Path:``,
    ``Received:``, ``Message-ID:``)."""
    lines = text[: 256 * 1024].splitlines()
    start = None
    for number, line in enumerate(lines[:2000]):
        lowered = line.strip().lower()
        if any(marker in lowered for marker in _COPY_MARKERS):
            start = number + 1
            break
        if number and lowered.startswith(_HEADER_START):
            start = number
            break
    if start is None:
        return text, None
    while start < len(lines) and not lines[start].strip():
        start += 1
    quoted = "\n".join(lines[start:])
    headers = HeaderParser(policy=policy.compat32).parsestr(quoted)
    original = _original_of(headers) if len(headers) else None
    return "\n".join(lines[:start]), original


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
        message_id=first_id(raw_value(headers, "Message-ID") or ""),
        subject=header_text(headers, "Subject"),
        to=to,
        trace=trace,
    )


def failed_addresses(report: DeliveryReport | None, words: str, listed: str) -> tuple[str, ...]:
    """The addresses a bounce says failed: a report's recipients (not those delivered), or
    those its words and ``X-Failed-Recipients`` (``listed``) name."""
    if report is not None:
        found = [
            address
            for r in report.recipients
            if r.action != "delivered"
            for address in (r.final_recipient, r.original_recipient)
            if address
        ]
    else:
        found = [normal_address(a) for a in ADDRESS.findall(listed + " " + words[:20_000])]
    return tuple(dict.fromkeys(a.lower() for a in found if a))[:50]


def failure_codes(text: str) -> Iterator[str]:
    """Enhanced status codes of failures (``5.1.1``, ``4.4.1``) written in a text, in order
    (for bounces that say so only in words)."""
    for found in _STATUS.finditer(text):
        if found.group(1) != "2":
            yield ".".join(found.groups())
