"""Ties that keep a number with its word: no line ever ends between "14." and "september",
"§" and "257", or inside "NOU 2024: 4". Applied once, when the letter is composed, so the
PDF, the DOCX and the email break the same words together."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from lettersmith.model import Block, ListBlock, Span

NBSP = "\u00a0"
_MONTHS = (
    "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember|"
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_TIES = (
    # "14. september", "14 September": the day with its month.
    (re.compile(rf"\b(\d{{1,2}}\.?) +(?=(?:{_MONTHS})\b)"), rf"\1{NBSP}"),
    # "§ 257", "§§ 3-1": the sign with its number.
    (re.compile(r"(§+) +(?=\d)"), rf"\1{NBSP}"),
    # "NOU 2024: 4", "Prop. 1 S", "Meld. St. 12": a document series with its numbers.
    (
        re.compile(r"\b(NOU|Prop\.|Meld\. St\.|St\.meld\.) +(\d{4}) *: *(\d+)"),
        rf"\1{NBSP}\2:{NBSP}\3",
    ),
    (re.compile(r"\b(Prop\.|Meld\. St\.|St\.meld\.|nr\.) +(?=\d)"), rf"\1{NBSP}"),
)


def tie(text: str) -> str:
    """``text`` with no-break spaces where a line must not break."""
    for pattern, replacement in _TIES:
        text = pattern.sub(replacement, text)
    return text


def tie_blocks(blocks: Sequence[Block]) -> tuple[Block, ...]:
    """The blocks with every span tied; code is kept exactly as written."""
    return tuple(_tie_block(block) for block in blocks)


def _tie_block(block: Block) -> Block:
    if isinstance(block, ListBlock):
        items = tuple(tie_blocks(item) for item in block.items)
        return dataclasses.replace(block, items=items)
    return dataclasses.replace(block, spans=tuple(_tie_span(span) for span in block.spans))


def _tie_span(span: Span) -> Span:
    return span if span.code else dataclasses.replace(span, text=tie(span.text))
