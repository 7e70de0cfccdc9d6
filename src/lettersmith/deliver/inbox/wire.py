"""How IMAP writes what we send it: a set of UIDs, and a folder's name (RFC 3501).

Kept apart from the session (``imap.py``): plain functions of text, tested on their own.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence


def uid_set(uids: Sequence[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` as IMAP writes it: ``1:3,7,9:10``."""
    ranges: list[str] = []
    ordered = sorted(set(uids))
    start = previous = ordered[0]
    for uid in [*ordered[1:], None]:
        if uid is not None and uid == previous + 1:
            previous = uid
            continue
        ranges.append(str(start) if start == previous else f"{start}:{previous}")
        if uid is not None:
            start = previous = uid
    return ",".join(ranges)


def quoted(folder: str) -> str:
    """A folder name as a quoted IMAP string, non-ASCII in modified UTF-7 (RFC 3501 5.1.3)."""
    name = encode_name(folder)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def encode_name(name: str) -> str:
    """``Sendte elementer`` stays, ``Utgående`` becomes ``Utg&AOU-ende``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append(
                "&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",") + "-"
            )
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode_name(name: str) -> str:
    def one(found: re.Match[str]) -> str:
        if not found[1]:
            return "&"
        text = found[1].replace(",", "/")
        return base64.b64decode(text + "=" * (-len(text) % 4)).decode("utf-16-be")

    return re.sub(r"&([^-]*)-", one, name)
