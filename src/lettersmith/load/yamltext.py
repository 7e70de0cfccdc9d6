"""YAML text that reads back as exactly what was meant, whatever the text holds.

:func:`yaml_scalar` is the one quoting rule for every value lettersmith writes into a user's
YAML file (an import's new recipients): a value is written plain only when no YAML reading
(ours, libyaml's, another program's YAML 1.1 or 1.2) could take it for anything else, and in
double quotes with escapes otherwise.
"""

from __future__ import annotations

import re
import unicodedata

from lettersmith.load.yamlfile import DATE_PATTERN

# Written as they are: words of letters and digits with the punctuation of names and
# addresses, none of which YAML reads as anything but text, in a block or in [a, b].
_PLAIN = re.compile(r"[^\W_](?:[\w'()/@&+.-]| (?! ))*")
# A letter's selector, as the README writes it (`to: [tag:regjeringen]`): a colon not followed
# by a space is text to every YAML reader, in a block or in [a, b].
_SELECTOR = re.compile(r"tag:[a-z0-9][a-z0-9-]*")
# Text that YAML 1.1 or 1.2 tools read as true/false/null or a number: quoted, so that no
# other program reads it as anything else either. Dates stay plain, as people write them.
_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf"})
_NUMBER = re.compile(r"[0-9][0-9a-zA-Z_.+-]*")
# Kept as they are inside "...": printable, no line break, no tab, no BOM, no quote, no \.
_UNSAFE = re.compile(
    r'[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029"\\]'
)


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar that every YAML reading gives back exactly: the one rule
    every value an import writes goes through (keys, fields, list items)."""
    if _SELECTOR.fullmatch(value):
        return value
    plain = _PLAIN.fullmatch(value) and not value.endswith(" ")
    if (
        plain
        and value.casefold() not in _WORDS
        and not (_NUMBER.fullmatch(value) and not DATE_PATTERN.fullmatch(value))
    ):
        return value
    return '"' + _UNSAFE.sub(_escape, value) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in '"\\':
        return "\\" + char
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def comment(text: str) -> str:
    """Text for a YAML comment: one line, whatever a file name holds."""
    return "".join("?" if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in text)


def value_text(value: str | list[str]) -> str:
    if isinstance(value, str):
        return yaml_scalar(value)
    return "[" + ", ".join(yaml_scalar(item) for item in value) + "]"
