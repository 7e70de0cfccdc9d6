"""What a DOCX letter shows: every character in it, and the font faces its runs are set in.

The embedded fonts hold only these (``docx_fonts``): a face no run uses adds nothing a reader
sees. A run's face is found as Word finds it, from the document's defaults through the
paragraph's style and its ``basedOn`` chain, the run's character style and the run's own
properties; a style set twice along the way is taken as the last one says (the toggle
arithmetic of ECMA-376 17.7.3 matters only for styles that set bold on bold, which the
built-in reference, the only one whose fonts are embedded, does not).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docx.oxml.ns import qn

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from lxml import etree


@dataclass(frozen=True)
class RunFace:
    """The font a run is set in (None: the theme's or the application's) and its style."""

    font: str | None
    bold: bool
    italic: bool


@dataclass
class _Properties:
    font: str | None = None
    bold: bool = False
    italic: bool = False

    def apply(self, rpr: etree._Element | None) -> None:
        if rpr is None:
            return
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is not None:
            named = fonts.get(qn("w:ascii")) or fonts.get(qn("w:hAnsi")) or self.font
            themed = fonts.get(qn("w:asciiTheme")) or fonts.get(qn("w:hAnsiTheme"))
            self.font = None if themed else named  # a theme font wins over a named one
        for tag, name in (("w:b", "bold"), ("w:i", "italic")):
            found = rpr.find(qn(tag))
            if found is not None:
                setattr(self, name, found.get(qn("w:val"), "true") not in ("0", "false", "off"))

    def face(self) -> RunFace:
        return RunFace(self.font, self.bold, self.italic)


def text_parts(doc: DocumentObject) -> list[etree._Element]:
    """The root elements of the body and of every header and footer (the parts with text)."""
    roots = [doc.element.body]
    for rel in doc.part.rels.values():
        if rel.is_external:
            continue
        element = getattr(rel.target_part, "_element", None)
        if element is not None and _localname(element) in ("hdr", "ftr"):
            roots.append(element)
    return roots


def _localname(element: etree._Element) -> str:
    return str(element.tag).rpartition("}")[2]


def characters(doc: DocumentObject) -> set[str]:
    """Every character the document shows: its text, its field results and list markers."""
    found: set[str] = set()
    for root in text_parts(doc):
        for node in root.iter(qn("w:t")):
            found.update(node.text or "")
    numbering = _numbering(doc)
    if numbering is not None:
        for text in numbering.iter(qn("w:lvlText")):
            marker = text.get(qn("w:val"), "")
            found.update(c for c in marker if c != "%" and not c.isdigit())
    return found


def faces(doc: DocumentObject) -> set[RunFace]:
    """Every (font, bold, italic) a run or a list marker of the document is set in."""
    styles = _styles_by_id(doc)
    defaults = doc.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    default_paragraph = next(
        (
            style_id
            for style_id, style in styles.items()
            if style.get(qn("w:type")) == "paragraph"
            and style.get(qn("w:default")) in ("1", "true")
        ),
        None,
    )
    levels = _level_properties(doc)
    found: set[RunFace] = set()
    for root in text_parts(doc):
        for paragraph in root.iter(qn("w:p")):
            ppr = paragraph.find(qn("w:pPr"))
            style_id = _val(ppr, "w:pStyle") or default_paragraph
            base = _Properties()
            base.apply(defaults)
            for rpr in _style_chain(styles, style_id):
                base.apply(rpr)
            marker = _numbering_of(paragraph, styles, style_id)
            if marker in levels:
                shown = _Properties(base.font, base.bold, base.italic)
                shown.apply(levels[marker])
                found.add(shown.face())
            for run in _runs(paragraph):
                props = _Properties(base.font, base.bold, base.italic)
                rpr = run.find(qn("w:rPr"))
                for style_rpr in _style_chain(styles, _val(rpr, "w:rStyle")):
                    props.apply(style_rpr)
                props.apply(rpr)
                if any((node.text or "").strip() for node in run.iter(qn("w:t"))):
                    found.add(props.face())
    return found


def _runs(paragraph: etree._Element) -> Iterator[etree._Element]:
    """The paragraph's own runs, inside hyperlinks and simple fields too, not a nested
    paragraph's (a text box's)."""
    for run in paragraph.iter(qn("w:r")):
        owner = run.getparent()
        while owner is not None and owner.tag != qn("w:p"):
            owner = owner.getparent()
        if owner is paragraph:
            yield run


def _val(ppr_or_rpr: etree._Element | None, tag: str) -> str | None:
    if ppr_or_rpr is None:
        return None
    found = ppr_or_rpr.find(qn(tag))
    return None if found is None else found.get(qn("w:val"))


def _styles_by_id(doc: DocumentObject) -> dict[str, etree._Element]:
    return {
        style.get(qn("w:styleId"), ""): style for style in doc.styles.element.iter(qn("w:style"))
    }


def _style_chain(styles: dict[str, etree._Element], style_id: str | None) -> list[etree._Element]:
    """The run properties of ``style_id`` and the styles it is based on, the base first."""
    chain: list[etree._Element] = []
    seen: set[str] = set()
    while style_id and style_id in styles and style_id not in seen:
        seen.add(style_id)
        style = styles[style_id]
        rpr = style.find(qn("w:rPr"))
        if rpr is not None:
            chain.append(rpr)
        style_id = _val(style, "w:basedOn")
    return chain[::-1]


def _numbering(doc: DocumentObject) -> etree._Element | None:
    try:
        return doc.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return None


def _level_properties(doc: DocumentObject) -> dict[tuple[str, str], etree._Element | None]:
    """(numId, ilvl) -> the run properties of that list level's marker."""
    numbering = _numbering(doc)
    if numbering is None:
        return {}
    abstract = {
        node.get(qn("w:abstractNumId")): node for node in numbering.iter(qn("w:abstractNum"))
    }
    levels: dict[tuple[str, str], etree._Element | None] = {}
    for num in numbering.iter(qn("w:num")):
        definition = abstract.get(_val(num, "w:abstractNumId"))
        for lvl in [] if definition is None else definition.iter(qn("w:lvl")):
            key = (num.get(qn("w:numId"), ""), lvl.get(qn("w:ilvl"), "0"))
            levels[key] = lvl.find(qn("w:rPr"))
    return levels


def _numbering_of(
    paragraph: etree._Element, styles: dict[str, etree._Element], style_id: str | None
) -> tuple[str, str] | None:
    """The (numId, ilvl) the paragraph is numbered with: its own, else its style chain's."""
    holders: Iterable[etree._Element | None] = [paragraph.find(qn("w:pPr"))]
    seen: set[str] = set()
    while style_id and style_id in styles and style_id not in seen:
        seen.add(style_id)
        holders = [*holders, styles[style_id].find(qn("w:pPr"))]
        style_id = _val(styles[style_id], "w:basedOn")
    num_id = level = None
    for ppr in holders:
        num_pr = None if ppr is None else ppr.find(qn("w:numPr"))
        if num_pr is not None:
            num_id = num_id or _val(num_pr, "w:numId")
            level = level or _val(num_pr, "w:ilvl")
    if num_id is None or num_id == "0":
        return None
    return num_id, level or "0"
