"""Every message the inbox's reading, status, check and send say about what came back is in
bokmål and nynorsk, with its placeholders kept (data/locale/*/LC_MESSAGES/inbox_imap.po)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

SRC = Path(__file__).resolve().parents[1] / "src" / "lettersmith"
LOCALE = SRC / "data" / "locale"
MODULES = [
    "deliver/inbox/imap.py", "deliver/inbox/store.py", "deliver/inbox/run.py",
    "deliver/inbox/news.py", "deliver/tables.py", "app/check.py", "deliver/send.py",
]  # fmt: skip
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def messages() -> list[str | tuple[str, ...]]:
    found = []
    for module in MODULES:
        for _, message, _, _ in extract_from_file("python", SRC / module, keywords=KEYWORDS):
            found.append(message)
    # The inbox command's own lines in cli.py (the rest of cli.py is other parts' catalogues).
    cli = (SRC / "cli.py").read_text(encoding="utf-8")
    first = cli[: cli.index("def inbox(")].count("\n") + 1
    last = cli[: cli.index("\n@main.command", cli.index("def inbox("))].count("\n") + 1
    for line, message, _, _ in extract_from_file("python", SRC / "cli.py", keywords=KEYWORDS):
        if first <= line <= last:
            found.append(message)
    return found


def catalogue(language: str) -> dict[str, object]:
    merged: dict[str, object] = {}
    for path in sorted((LOCALE / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as file:
            for message in read_po(file, locale=language):
                if message.id and message.string:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    merged.setdefault(key, message.string)
    return merged


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_inbox_message_is_translated_with_its_placeholders(language):
    translated = catalogue(language)
    missing, changed = [], []
    for message in messages():
        key = message[0] if isinstance(message, tuple) else message
        if key not in translated:
            missing.append(key)
            continue
        strings = translated[key]
        for text in strings if isinstance(strings, tuple) else (strings,):
            if sorted(re.findall(r"\{[^}]*\}", text)) != sorted(re.findall(r"\{[^}]*\}", key)):
                changed.append(key)
    assert missing == []
    assert changed == []
