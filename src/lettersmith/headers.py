"""What may not go into a mail header or a file name: shared by the loader, which refuses it
in the user's files, and delivery, which refuses it again in every message it makes."""

from __future__ import annotations

import re

from lettersmith.translate import _

# Encoded words (RFC 2047: =?charset?q?...?=) would be decoded by a mail reader, and by some
# Python versions while writing the header, into line breaks and headers of the attacker's.
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bBqQ]\?[^?]*\?=|=\?.*\?=")
# Characters that reorder what is shown (RLO and friends): a name or file name that reads
# differently from what it is.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def header_problem(value: str) -> str | None:
    """Why ``value`` may not go into a mail header or a file name, or None."""
    if _ENCODED_WORD.search(value):
        return _("contains '=?...?=', which mail programs read as encoded text; remove it")
    return bidi_problem(value)


def bidi_problem(value: str) -> str | None:
    bidi = sorted({f"U+{ord(char):04X}" for char in value if char in BIDI_CONTROLS})
    if bidi:
        return _(
            "contains the direction control character {characters}, which makes text "
            "show in another order than it is written; remove it"
        ).format(characters=", ".join(bidi))
    return None
