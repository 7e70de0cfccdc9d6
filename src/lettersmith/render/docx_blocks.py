"""Body blocks (paragraphs, headings, lists) and their spans as Word paragraphs and runs."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.styles import BabelFish
from docx.text.paragraph import Paragraph as DocxParagraph

from lettersmith.compose.markdown import link_allowed  # the PDF's rule: no javascript:, file:
from lettersmith.model import Block, Heading, ListBlock, Paragraph, Span
from lettersmith.render import docx_reference as ref

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.oxml.styles import CT_Styles
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.text.run import Run

MAX_LIST_DEPTH = 3  # Word's built-in list styles go three levels deep
MAX_HEADING_LEVEL = 3  # the reference styles Heading 1-3 for letters


def heading_style(level: int) -> str:
    return f"Heading {min(max(level, 1), MAX_HEADING_LEVEL)}"


def list_style(kind: str, depth: int) -> str:
    """``List Bullet``, ``List Number 2``, ``List Continue 3`` ... for a 0-based depth."""
    level = min(depth, MAX_LIST_DEPTH - 1)
    return kind if level == 0 else f"{kind} {level + 1}"


def styles_used(blocks: Iterable[Block], depth: int = 0) -> set[str]:
    """Every style name writing ``blocks`` needs, to report all missing ones at once."""
    names: set[str] = set()
    for block in blocks:
        if isinstance(block, Heading):
            names.add(heading_style(block.level))
        elif isinstance(block, ListBlock):
            names.add(list_style("List Number" if block.ordered else "List Bullet", depth))
            for item in block.items:
                if sum(isinstance(b, Paragraph) for b in item) > 1:
                    names.add(list_style("List Continue", depth))
                names |= styles_used([b for b in item if isinstance(b, ListBlock)], depth + 1)
        else:
            names.add(ref.BODY)
    if any(span.href for span in _all_spans(blocks)):
        names.add(ref.HYPERLINK)
    if any(span.code for span in _all_spans(blocks)):
        names.add(ref.CODE)
    return names


def _all_spans(blocks: Iterable[Block]) -> Iterable[Span]:
    for block in blocks:
        if isinstance(block, ListBlock):
            for item in block.items:
                yield from _all_spans(item)
        else:
            yield from block.spans


@functools.lru_cache(maxsize=8)
def _style_ids(styles_element: CT_Styles) -> dict[str, str]:
    # Word stores some built-in names in lowercase ("heading 1"); BabelFish gives the UI name.
    return {
        BabelFish.internal2ui(style.name_val): style.styleId
        for style in styles_element.style_lst
        if style.name_val and style.styleId
    }


def has_style(doc: DocumentObject, name: str) -> bool:
    """Whether ``add_paragraph`` finds the style; ``name in doc.styles`` alone scans every style."""
    return name in _style_ids(doc.styles.element) or name in doc.styles


def add_paragraph(doc: DocumentObject, style: str, text: str = "") -> DocxParagraph:
    """``doc.add_paragraph`` with the style set by its id: python-docx's lookup by name scans
    every style for each paragraph, which took a third of a letter's time."""
    paragraph = doc.add_paragraph(text)
    style_id = _style_ids(doc.styles.element).get(style)
    if style_id is None:  # python-docx's own, slower lookup knows more aliases
        paragraph.style = style
    else:
        paragraph._p.style = style_id
    return paragraph


def write_blocks(doc: DocumentObject, blocks: Iterable[Block]) -> list[DocxParagraph]:
    """Append ``blocks`` to the document body; return the paragraphs written, in order."""
    written: list[DocxParagraph] = []
    previous: DocxParagraph | None = None
    for block in blocks:
        if isinstance(block, ListBlock):
            if previous is not None:
                previous.paragraph_format.keep_with_next = True  # no lead-in left alone
            written += _write_list(doc, block, depth=0)
        else:
            style = heading_style(block.level) if isinstance(block, Heading) else ref.BODY
            paragraph = add_paragraph(doc, style)
            add_spans(paragraph, block.spans)
            written.append(paragraph)
        previous = written[-1] if written else None
    return written


def _write_list(doc: DocumentObject, block: ListBlock, depth: int) -> list[DocxParagraph]:
    style = list_style("List Number" if block.ordered else "List Bullet", depth)
    # Each numbered list restarts at its own start, instead of continuing the previous one.
    num_id = _restarted_numbering(doc, style, block.start) if block.ordered else None
    written: list[DocxParagraph] = []
    for number, item in enumerate(block.items, start=block.start):
        first = True
        for child in item:
            if isinstance(child, ListBlock):
                written += _write_list(doc, child, depth + 1)
                continue
            item_style = style if first else list_style("List Continue", depth)
            paragraph = add_paragraph(doc, item_style)
            if first and block.ordered:
                if num_id is None:  # a reference whose List Number style has no numbering
                    paragraph.add_run(f"{number}. ")
                else:
                    _set_numbering(paragraph, num_id)
            add_spans(paragraph, child.spans)
            written.append(paragraph)
            first = False
    return written


def _style_numbering(doc: DocumentObject, style_name: str) -> tuple[str, str] | None:
    """The (numId, ilvl) a list style numbers with, following its ``basedOn`` chain."""
    style = doc.styles[style_name]
    while style is not None:
        num_pr = style.element.find(qn("w:pPr") + "/" + qn("w:numPr"))
        if num_pr is not None:
            num_id = num_pr.find(qn("w:numId"))
            ilvl = num_pr.find(qn("w:ilvl"))
            if num_id is not None:
                return num_id.get(qn("w:val")), "0" if ilvl is None else ilvl.get(qn("w:val"))
        style = style.base_style
    return None


def _restarted_numbering(
    doc: DocumentObject, style_name: str, start: int
) -> tuple[int, str] | None:
    found = _style_numbering(doc, style_name)
    if found is None:
        return None
    num_id, ilvl = found
    numbering = doc.part.numbering_part.element
    matches = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')
    if not matches:
        return None
    num = numbering.add_num(int(matches[0]))
    num.add_lvlOverride(ilvl=int(ilvl)).add_startOverride(start)
    return num.numId, ilvl


def _set_numbering(paragraph: DocxParagraph, numbering: tuple[int, str]) -> None:
    num_id, ilvl = numbering
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = int(ilvl)
    num_pr.get_or_add_numId().val = num_id


def add_spans(paragraph: DocxParagraph, spans: Iterable[Span]) -> None:
    """Append spans as runs: bold, italic, code, hyperlinks, and ``\\n`` as a line break."""
    for span in spans:
        if span.href and link_allowed(span.href):
            _add_hyperlink(paragraph, span)
        else:
            _add_run(paragraph, span)


def _add_run(paragraph: DocxParagraph, span: Span, parent: BaseOxmlElement | None = None) -> Run:
    run = paragraph.add_run()
    if parent is not None:  # move the run into a hyperlink
        parent.append(run._r)
    for index, piece in enumerate(span.text.split("\n")):
        if index:
            run.add_break()
        if piece:
            run.add_text(piece)
    run.bold = span.bold or None
    run.italic = span.italic or None
    if span.code:
        run.style = ref.CODE
    return run


def _add_hyperlink(paragraph: DocxParagraph, span: Span) -> None:
    assert span.href is not None  # add_spans links only spans that have one
    rel_id = paragraph.part.relate_to(span.href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    hyperlink = OxmlElement("w:hyperlink")
    hyperlink.set(qn("r:id"), rel_id)
    paragraph._p.append(hyperlink)
    run = _add_run(paragraph, span, parent=hyperlink)
    if not span.code:
        run.style = ref.HYPERLINK
