"""Headers and footers of a built DOCX: nothing in them may lie over the statement.

Word lays a header's or footer's ordinary lines in its own space at the top or bottom of the
page, pushing the body down if it must; only a floating thing can lie over the body: a text
box or shape (DrawingML ``wp:anchor``, VML with ``position:absolute``), a framed paragraph
(``w:framePr``) or a floating table (``w:tblpPr``). Each is placed as Word would place it
(relative to the page, the margin or the header's paragraph) and refused if it crosses the
page's body: below the address window on page 1, below the top margin on the others. One
whose place cannot be told (aligned, or VML) is refused too. A picture or a pale shape behind
the text hides nothing and is let be; a shape of another fill there is refused with them.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from lettersmith.model import ComposedLetter
from lettersmith.render.style import house_style
from lettersmith.render.visible_docx import NS, REL, Package, W, number, plain, twips
from lettersmith.translate import N_, _

_W = f"{{{W}}}"
EMU_PER_TWIP = 635


def floating_over_body(package: Package, letter: ComposedLetter) -> list[str]:
    """A text box, frame, shape or floating table in a header or footer that lies over the
    page's body, where the statement is."""
    section = package.document.find("w:body/w:sectPr", NS)
    size = section.find("w:pgSz", NS) if section is not None else None
    margins = section.find("w:pgMar", NS) if section is not None else None
    height = twips(size, "h", 16838)
    width = twips(size, "w", 11906)
    top, bottom = twips(margins, "top", 1440), twips(margins, "bottom", 1440)
    left, right = twips(margins, "left", 1440), twips(margins, "right", 1440)
    header_top = twips(margins, "header", 720)
    style = house_style(letter)
    first_top = max(top, round((style.window_top + style.window_height) / 25.4 * 1440))
    types = {}
    for reference in section.iterfind("w:headerReference", NS) if section is not None else []:
        types[reference.get(f"{{{NS['r']}}}id")] = reference.get(f"{_W}type", "default")
    rels = {rel.get("Id"): rel.get("Target", "") for rel in package.xml(
        "word/_rels/document.xml.rels").iter(REL)}  # fmt: skip
    first_parts = {"word/" + rels.get(rid, "").removeprefix("word/")
                   for rid, kind in types.items() if kind == "first"}  # fmt: skip
    problems: list[str] = []
    for kind, name, root in package.parts(("header", "footer")):
        area_top = first_top if name in first_parts else top
        body = (left, area_top, width - right, height - bottom)
        for what, box, text in _floating(root, (width, height, top, left, header_top)):
            if box is None or _crosses(box, body):
                words = f" ('{text}')" if text else ""
                message = (
                    _(
                        "the header ({name}) holds {what}{words} that lies over the statement, "
                        "where the page's body is; keep it in the header's own space"
                    )
                    if kind == "header"
                    else _(
                        "the footer ({name}) holds {what}{words} that lies over the statement, "
                        "where the page's body is; keep it in the footer's own space"
                    )
                )
                problems.append(
                    message.format(name=name.removeprefix("word/"), what=_(what), words=words)
                )
    return problems[:3]


Box = tuple[float, float, float, float]  # left, top, right, bottom, in twips from the page's top


def _crosses(box: Box, body: Box) -> bool:
    return box[0] < body[2] and box[2] > body[0] and box[1] < body[3] and box[3] > body[1]


def _floating(
    root: etree._Element, page: tuple[int, int, int, int, int]
) -> Iterator[tuple[str, Box | None, str]]:
    """Each floating thing in a part: what it is, its box (None if it cannot be told), its text."""
    width, height, top, left, header_top = page
    for anchor in root.iter(f"{{{NS['wp']}}}anchor"):
        if (
            anchor.get("behindDoc") in ("1", "true")
            and anchor.find(".//w:txbxContent", NS) is None
            and not _dark_fill(anchor)
        ):
            continue  # a picture or a pale shape behind the text hides nothing
        extent = anchor.find("wp:extent", NS)
        cx = number(extent, "cx", 0, "") / EMU_PER_TWIP
        cy = number(extent, "cy", 0, "") / EMU_PER_TWIP
        x = _anchor_offset(anchor.find("wp:positionH", NS), width, left, header_top)
        y = _anchor_offset(anchor.find("wp:positionV", NS), height, top, header_top)
        box = (x, y, x + cx, y + cy) if x is not None and y is not None else None
        yield N_("a text box or shape"), box, plain(anchor)
    for paragraph in root.iter(f"{_W}p"):
        frame = paragraph.find("w:pPr/w:framePr", NS)
        if frame is None:
            continue
        anchor = frame.get(f"{_W}vAnchor")
        y = twips(frame, "y", 0) + (
            0 if anchor == "page" else top if anchor == "margin" else header_top
        )
        x = twips(frame, "x", 0) + (0 if frame.get(f"{_W}hAnchor") == "page" else left)
        h = twips(frame, "h", 0) or 300
        w = twips(frame, "w", 0) or width
        yield N_("a frame"), (x, y, x + w, y + h), plain(paragraph)
    for place in root.iter(f"{_W}tblpPr"):
        table = place.getparent().getparent()
        anchor = place.get(f"{_W}vertAnchor")
        y = twips(place, "tblpY", 0) + (
            0 if anchor == "page" else top if anchor == "margin" else header_top
        )
        x = twips(place, "tblpX", 0) + (0 if place.get(f"{_W}horzAnchor") == "page" else left)
        rows = table.findall("w:tr", NS)
        h = sum(twips(row.find("w:trPr/w:trHeight", NS), "val", 300) for row in rows)
        w = sum(twips(column, "w", 0) for column in table.iterfind("w:tblGrid/w:gridCol", NS))
        yield N_("a floating table"), (x, y, x + (w or width), y + h), plain(table)
    for shape in root.iter(f"{{{NS['v']}}}*"):  # a rect, a roundrect, an oval, a group...
        fallback = any(etree.QName(up).localname == "Fallback" for up in shape.iterancestors())
        if "absolute" in (shape.get("style") or "") and not fallback:
            yield N_("a shape"), None, plain(shape)  # VML: Word's older drawings; where, untold


PALE = 0xE0  # a shape behind the text whose fill has every channel at least this is a tint


def _dark_fill(anchor: etree._Element) -> bool:
    """Whether a shape behind the text is filled with a colour that is not a pale tint: the
    statement's words would be drawn on it, not on the page."""
    for fill in anchor.iterfind(".//a:solidFill", NS):
        for colour in fill:
            value = colour.get("val", "") if etree.QName(colour).localname == "srgbClr" else ""
            try:
                channels = [int(value[i : i + 2], 16) for i in (0, 2, 4)]
            except ValueError:
                return True  # a scheme or system colour: which, untold here
            if min(channels) < PALE:
                return True
    return False


def _anchor_offset(
    position: etree._Element | None, extent: int, margin: int, header_top: int
) -> float | None:
    if position is None:
        return None
    offset = position.find("wp:posOffset", NS)
    if offset is None or not (offset.text or "").strip().lstrip("-").isdigit():
        return None  # aligned ("center"): it could be anywhere
    value = int(offset.text or "0") / EMU_PER_TWIP
    relative = position.get("relativeFrom", "")
    if relative == "page" or relative == "topMargin" or relative == "leftMargin":
        return value
    if relative in ("margin", "column", "character", "insideMargin"):
        return margin + value
    if relative in ("paragraph", "line"):
        return header_top + value
    return None
