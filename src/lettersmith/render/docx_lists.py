"""The built-in reference's lists: bullets and numbers in the house font, at the PDF's indents.

python-docx's starting document numbers its list styles with Symbol-font bullets at Word 97's
indents (a quarter of an inch and more). Here each list style gets a numbering of its own
(Word's way: one level, linked to the style), drawn as the PDF draws a list: the text 6 mm
in per level (``ul, ol { padding-left: 6mm }``), the marker right-aligned just before it, in
the text font (its rFonts set for every script, so no theme font is chosen), and 1 mm between
items (``li > p``), which Word's ``contextualSpacing`` would otherwise swallow.

A nested bullet is a dash: IBM Plex has no white bullet (the PDF borrows one from another
font).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.oxml.text.parfmt import CT_PPr
    from docx.oxml.xmlchemy import BaseOxmlElement

    from lettersmith.render.style import HouseStyle

LIST_INDENT = 6.0  # mm per level, as letter.css's padding-left
MARKER_GAP = 1.0  # mm between a marker's right edge and the text: a space, as in the PDF
BULLETS = ("•", "–", "•")  # levels 1, 2, 3
LEVELS = 3  # List Bullet, List Bullet 2, List Bullet 3; the same for List Number


def style_id(kind: str, level: int) -> str:
    """Word's id of ``List Bullet 2`` and the like (``level`` from 0)."""
    return kind.replace(" ", "") + (str(level + 1) if level else "")


def number_lists(doc: DocumentObject, house: HouseStyle) -> None:
    """Replace the numbering definitions with ours and link the list styles to them."""
    numbering = doc.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    abstracts, nums = [], []
    number = 0
    for kind in ("List Bullet", "List Number"):
        for level in range(LEVELS):
            number += 1
            abstracts.append(_abstract(number, kind, level, house.text_font.name))
            nums.append(parse_xml(
                f'<w:num {nsdecls("w")} w:numId="{number}">'
                f'<w:abstractNumId w:val="{number}"/></w:num>'
            ))  # fmt: skip
            _link_style(doc, style_id(kind, level), number)
    for element in abstracts + nums:  # the schema puts every abstractNum before the nums
        numbering.append(element)
    _continue_lists(doc)


def _abstract(number: int, kind: str, level: int, font: str) -> BaseOxmlElement:
    """One list style's numbering: a marker right-aligned ``MARKER_GAP`` before the text."""
    text_at = Mm(LIST_INDENT * (level + 1))
    marker_end = Mm(LIST_INDENT * (level + 1) - MARKER_GAP)
    if kind == "List Bullet":
        form, text = "bullet", BULLETS[level]
    else:
        form, text = "decimal", "%1."
    return parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}">'
        f'<w:nsid w:val="{0x4C530000 + number:08X}"/>'
        '<w:multiLevelType w:val="singleLevel"/>'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/>'
        f'<w:numFmt w:val="{form}"/><w:pStyle w:val="{style_id(kind, level)}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="right"/>'
        f'<w:pPr><w:tabs><w:tab w:val="num" w:pos="{text_at.twips}"/></w:tabs>'
        f'<w:ind w:left="{text_at.twips}" w:hanging="{text_at.twips - marker_end.twips}"/>'
        "</w:pPr>"
        f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}" w:eastAsia="{font}"'
        ' w:hint="default"/></w:rPr>'
        "</w:lvl></w:abstractNum>"
    )


def _link_style(doc: DocumentObject, style: str, num_id: int) -> None:
    """The style numbered by ``num_id``, its indents the numbering's."""
    element = doc.styles.element.get_by_id(style)
    ppr = element.get_or_add_pPr()
    ppr._remove_numPr()
    ppr._remove_ind()
    num_pr = ppr.get_or_add_numPr()
    num_pr.get_or_add_numId().val = num_id
    _no_contextual_spacing(ppr)


def _continue_lists(doc: DocumentObject) -> None:
    """A list item's second paragraph lines up with the item's text."""
    for level in range(LEVELS):
        element = doc.styles.element.get_by_id(style_id("List Continue", level))
        ppr = element.get_or_add_pPr()
        ppr._remove_ind()
        ppr.get_or_add_ind().set(qn("w:left"), str(Mm(LIST_INDENT * (level + 1)).twips))
        _no_contextual_spacing(ppr)


def _no_contextual_spacing(ppr: CT_PPr) -> None:
    """Space after each item even between items of one style (Word's List Paragraph drops it)."""
    for old in ppr.findall(qn("w:contextualSpacing")):
        ppr.remove(old)
