"""The catalogue of issue 20's messages (messages.po): every entry translated, placeholders kept."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from lettersmith.translate import LOCALE_DIR


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_message_is_translated_with_its_placeholders(language):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=language)
    messages = [message for message in catalogue if message.id]
    assert len(messages) > 20
    for message in messages:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), message.id
        for text in strings:
            assert set(re.findall(r"\{[^}]*\}", ids[-1])) == set(re.findall(r"\{[^}]*\}", text))
