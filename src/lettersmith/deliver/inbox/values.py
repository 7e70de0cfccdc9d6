"""Header values and text parts of a stranger's message, decoded and made safe to keep.

Every value leaves here on one line (no CR, LF or other line break, no control or direction
character), bounded, decoded whatever its charset: what the journal stores and ``status``
shows can never start a new header, row or line.
"""

from __future__ import annotations

import contextlib
import re
from email import policy
from email.header import decode_header, make_header
from email.message import Message

from lettersmith.addresses import LINE_BREAKS
from lettersmith.headers import BIDI_CONTROLS

MAX_TEXT = 100_000  # characters of a message's text kept: a receipt or a reply is far shorter
MAX_HEADER = 998  # characters of one header value kept (RFC 5322's line limit)
MAX_IDS = 100  # Message-IDs kept from References
MAX_RAW_HEADER = 16 * 1024  # characters of one header value decoded at all

_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")
ADDRESS = re.compile(r"[^\s<>@\"',;:()\[\]]{1,64}@[\w.\-]{1,253}")  # the domain may be IDN
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes the parser kept as surrogates
# Made spaces: line breaks, control characters (C0, DEL, C1), direction controls, and the lone
# surrogates undecodable bytes become.
_BLANKED = {
    code: " "
    for code in (
        *range(32), *range(127, 160), *range(0xD800, 0xE000),
        *map(ord, LINE_BREAKS), *map(ord, BIDI_CONTROLS),
    )
}  # fmt: skip


def clean(value: str, limit: int = MAX_HEADER) -> str:
    """One line, no control or direction characters, at most ``limit`` characters.

    What a decoded header or a report's field may hold is never trusted: a CR/LF in it would
    start a new header, a new table row or a new line of the journal.
    """
    return " ".join(value[: limit * 4].translate(_BLANKED).split())[:limit]


def header_text(msg: Message, name: str) -> str:
    """A header's value decoded (RFC 2047, any charset, 8-bit bytes too) and cleaned; '' if
    absent. Only the first occurrence counts."""
    raw = raw_value(msg, name)
    if raw is None:
        return ""
    raw = raw[:MAX_RAW_HEADER]
    if undecoded(raw):
        return clean(decode_raw(raw))
    if "=?" not in raw:  # nothing to decode (most values): unfolded and cleaned as it is
        return clean(raw)
    try:
        text = str(policy.default.header_factory(name, raw))
    except Exception:  # e.g. an address whose decoded name holds a CR/LF: read it raw
        text = decode_raw(raw)
    return clean(text)


def undecoded(value: str) -> bool:
    """Whether ``value`` holds bytes the parser could not decode (8-bit, no charset)."""
    return not value.isascii() and _UNDECODED.search(value) is not None


def raw_value(msg: Message, name: str) -> str | None:
    lower = name.lower()
    try:
        for key, value in msg.raw_items():
            if key.lower() == lower:
                return str(value)
    except Exception:
        return None
    return None


def decode_raw(value: str) -> str:
    """A raw header value: its encoded words decoded, undeclared 8-bit bytes read as UTF-8 or,
    failing that, Windows-1252 (what Norwegian mail without a charset usually is)."""
    if undecoded(value):
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("cp1252", "replace")
    try:
        return str(make_header(decode_header(value)))
    except Exception:
        return value


def keyword(value: str) -> str:
    """The keyword of a structured field (``auto-replied; owner-email=...``), lower-case."""
    words = value.replace(";", " ").split(None, 1)
    return words[0].lower()[:40] if words else ""


def message_ids(value: str) -> list[str]:
    """The ``<id>`` tokens of a raw Message-ID, In-Reply-To or References value (ASCII by
    definition: a token with anything else, a line break included, is no id)."""
    return [
        f"<{found}>"
        for found in _MESSAGE_ID.findall(value[:MAX_RAW_HEADER])
        if found.isascii() and found.isprintable()
    ]


def first_id(value: str) -> str:
    found = message_ids(value)
    return found[0] if found else ""


def normal_address(address: str) -> str:
    """``local@domain`` with the domain lower-case and in IDNA form, to compare with the journal."""
    local, _, domain = clean(address, 320).strip("<> ").rpartition("@")
    domain = domain.lower().rstrip(".")
    with contextlib.suppress(UnicodeError, ValueError):
        domain = domain.encode("idna").decode("ascii")
    return f"{local}@{domain}" if local else ""


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
