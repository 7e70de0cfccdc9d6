"""Markdown (a position's body, a club's appended paragraphs, a cover note) into blocks.

Every renderer takes these blocks, never the Markdown, so the PDF, the DOCX and the email
cannot disagree about the text. Raw HTML is not interpreted: it stays text, as typed.
Images are never fetched: their alt text stands in their place.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from lettersmith.compose.typography import tie_blocks
from lettersmith.model import Block, Heading, ListBlock, Paragraph, Span

_PARSER = MarkdownIt("commonmark", {"html": False, "typographer": False})
# Links keep their target only for these schemes; anything else is printed as plain text.
LINK_SCHEMES = ("http", "https", "mailto")


def link_allowed(href: str | None) -> bool:
    """Whether a link may keep its target (no ``javascript:``, ``file:``, relative paths)."""
    return bool(href) and urlsplit(href or "").scheme.lower() in LINK_SCHEMES


@lru_cache(maxsize=256)
def parse(text: str | None) -> tuple[Block, ...]:
    """The blocks of a Markdown text; an empty or missing text gives no blocks.

    Cached: in ``each`` mode every recipient's letter has the same body, and blocks are
    immutable, so one parse serves the whole batch.
    """
    if not text or not text.strip():
        return ()
    tokens = _PARSER.parse(text)
    blocks, _ = _blocks(tokens, 0, closing=None)
    return tie_blocks(blocks)


def plain_text(blocks: Sequence[Block]) -> str:
    """The blocks as plain text: paragraphs apart, list items marked, for a text/plain part."""
    return "\n\n".join(_plain_block(block, indent="") for block in blocks)


def _plain_block(block: Block, indent: str) -> str:
    if isinstance(block, Paragraph | Heading):
        text = "".join(
            span.text + (f" <{span.href}>" if _shows_href(span) else "") for span in block.spans
        )
        return indent + text.replace("\n", "\n" + indent)
    items = []
    for number, item in enumerate(block.items, start=block.start):
        marker = f"{number}. " if block.ordered else "- "
        inner = "\n".join(_plain_block(child, indent + " " * len(marker)) for child in item)
        items.append(indent + marker + inner[len(indent) + len(marker) :])
    return "\n".join(items)


def _shows_href(span: Span) -> bool:
    return bool(span.href) and span.href not in (span.text, f"mailto:{span.text}")


def _blocks(tokens: list[Token], i: int, closing: str | None) -> tuple[list[Block], int]:
    """Blocks from ``tokens[i:]`` up to a ``closing`` token; also the index after it."""
    blocks: list[Block] = []
    while i < len(tokens):
        token = tokens[i]
        if token.type == closing:
            return blocks, i + 1
        if token.type == "paragraph_open":
            blocks.append(Paragraph(_spans(tokens[i + 1].children or [])))
            i += 3
        elif token.type == "heading_open":
            level = int(token.tag[1])
            blocks.append(Heading(level, _spans(tokens[i + 1].children or [])))
            i += 3
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            block, i = _list(tokens, i)
            blocks.append(block)
        elif token.type == "blockquote_open":
            inner, i = _blocks(tokens, i + 1, closing="blockquote_close")
            blocks.extend(inner)
        elif token.type in ("fence", "code_block"):
            blocks.append(Paragraph((Span(token.content.rstrip("\n"), code=True),)))
            i += 1
        else:  # hr and anything else without text
            i += 1
    return blocks, i


def _list(tokens: list[Token], i: int) -> tuple[ListBlock, int]:
    opening = tokens[i]
    ordered = opening.type == "ordered_list_open"
    closing = "ordered_list_close" if ordered else "bullet_list_close"
    start = int(opening.attrGet("start") or 1) if ordered else 1
    items: list[tuple[Block, ...]] = []
    i += 1
    while tokens[i].type != closing:
        # tokens[i] is list_item_open
        item, i = _blocks(tokens, i + 1, closing="list_item_close")
        items.append(tuple(item))
    return ListBlock(ordered=ordered, items=tuple(items), start=start), i + 1


def _spans(children: list[Token]) -> tuple[Span, ...]:
    spans: list[Span] = []
    bold = italic = 0
    href: str | None = None
    for child in children:
        kind = child.type
        if kind == "text":
            spans.append(Span(child.content, bold=bold > 0, italic=italic > 0, href=href))
        elif kind == "code_inline":
            spans.append(
                Span(child.content, bold=bold > 0, italic=italic > 0, code=True, href=href)
            )
        elif kind == "softbreak":
            spans.append(Span(" ", bold=bold > 0, italic=italic > 0, href=href))
        elif kind == "hardbreak":
            spans.append(Span("\n"))
        elif kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            target = str(child.attrGet("href") or "")
            href = target if link_allowed(target) else None
        elif kind == "link_close":
            href = None
        elif kind == "image":
            spans.append(Span(child.content, bold=bold > 0, italic=italic > 0))
    return _merge(spans)


def _merge(spans: list[Span]) -> tuple[Span, ...]:
    """Join neighbouring spans of the same style, so renderers see whole runs."""
    merged: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        last = merged[-1] if merged else None
        if last and span.text != "\n" and last.text != "\n" and _same_style(last, span):
            merged[-1] = Span(last.text + span.text, last.bold, last.italic, last.code, last.href)
        else:
            merged.append(span)
    return tuple(merged)


def _same_style(a: Span, b: Span) -> bool:
    return (a.bold, a.italic, a.code, a.href) == (b.bold, b.italic, b.code, b.href)
