"""The built-in reference document for DOCX letters, and the names and measures it fixes.

Run ``python -m lettersmith.render.docx_reference [OUT]`` to (re)generate
``data/templates/letter.docx`` (or to write a copy at OUT for a secretary to edit in Word or
LibreOffice and put in the workspace's ``templates/``). The renderer clears the body of the
reference and writes the letter into it, so everything a secretary changes here -- fonts,
spacing, the letterhead in the page headers -- carries over without touching code.

The page headers hold placeholders that the renderer fills for each letter: ``{logo}``,
``{organisation}``, ``{date}`` and ``{page_number}`` ("Side 2 av 3", with live page fields).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, cast

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt, RGBColor
from lxml import etree
from lxml.builder import ElementMaker

from lettersmith.render.docx_lists import number_lists
from lettersmith.render.docx_settings import current_word_mode, hyphenate
from lettersmith.render.style import HouseStyle

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.oxml.text.parfmt import CT_PPr
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.styles.style import CharacterStyle, ParagraphStyle
    from docx.table import Table

BUILTIN_REFERENCE = resources.files("lettersmith") / "data" / "templates" / "letter.docx"
_DRAWING = "http://schemas.openxmlformats.org/drawingml/2006/main"
REFERENCE_NAME = "letter.docx"  # the name looked up in a workspace's or club's templates/

PLACEHOLDERS = (
    "logo", "organisation", "sender_details", "date", "page_number", "page_number_if_several",
)  # fmt: skip


# Style names a secretary sees in Word's style list.
SENDER_LINE = "Letter Sender"
ADDRESS = "Letter Address"
DATE = "Letter Date"
INTRO = "Letter Intro"
TITLE = "Letter Title"
SALUTATION = "Salutation"
BODY = "Body Text"
CLOSING = "Closing"
SIGNATURE = "Signature"
ADDRESS_LIST_HEADING = "Address List Heading"
ADDRESS_LIST = "Address List"
ABOUT = "About"
LETTERHEAD = "Letterhead"
LETTERHEAD_DETAILS = "Letterhead Details"
HEADER = "Header"
HYPERLINK = "Hyperlink"
CODE = "Code"

HEADINGS = ("Heading 1", "Heading 2", "Heading 3")
UNHYPHENATED = (
    SENDER_LINE, ADDRESS, DATE, INTRO, TITLE, SALUTATION, *HEADINGS, CLOSING, SIGNATURE,
    ADDRESS_LIST_HEADING, ADDRESS_LIST, LETTERHEAD, LETTERHEAD_DETAILS, HEADER,
)  # fmt: skip


# The order of a paragraph's properties (CT_PPr), which Word insists on.
PPR_ORDER = (
    "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
    "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
    "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap",
    "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def set_ppr(ppr: CT_PPr, tag: str, **values: str) -> BaseOxmlElement:
    """Put ``<tag w:key="value"...>`` in its place among the paragraph properties ``ppr``."""
    old = ppr.find(qn(tag))
    if old is not None:
        ppr.remove(old)
    element = OxmlElement(tag)
    for key, value in values.items():
        element.set(qn(f"w:{key}"), value)
    ppr.insert_element_before(element, *PPR_ORDER[PPR_ORDER.index(tag) + 1 :])
    return element


def build_reference(out: Path, style: HouseStyle | None = None) -> None:
    """Write the built-in reference document, in ``style`` (the house default), to ``out``."""
    reference_document(style or HouseStyle()).save(str(out))


def reference_document(style: HouseStyle) -> DocumentObject:
    """The built-in reference document as a python-docx Document, in ``style``."""
    doc = Document()
    _trim(doc)
    _page_setup(doc, style)
    _styles(doc, style)
    number_lists(doc, style)
    _house_fonts_only(doc, style)
    _headers(doc, style)
    body = doc.element.body
    for child in list(body):
        if child.tag != body.sectPr.tag:
            body.remove(child)
    doc.add_paragraph(
        "The renderer replaces this body with the letter; edit the styles and headers.",
        style=BODY,
    )
    current_word_mode(doc)
    hyphenate(doc)
    application_properties(doc)
    props = doc.core_properties
    props.author = props.last_modified_by = "lettersmith"
    props.comments = props.keywords = props.subject = ""
    props.title = "lettersmith letter"
    return doc


APPLICATION = "lettersmith"  # what Word's File > Info and a file browser show as the maker
_APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
E = ElementMaker(namespace=_APP, nsmap={None: _APP})
# Parts of python-docx's starting document that a letter does without: the Word 2010 copy of
# the styles (Word 2013 and later neither read nor write it), a bibliography's custom XML, and
# a thumbnail of a blank page that file browsers would show for every letter.
_UNUSED_PARTS = ("/stylesWithEffects", "/customXml", "/metadata/thumbnail")
# Table styles kept: the default one and the plain grid. Word and LibreOffice add any other
# built-in table style when a secretary picks it; their 170 definitions were 95% of styles.xml.
_TABLE_STYLES = ("TableNormal", "TableGrid")


def application_properties(doc: DocumentObject, company: str = "") -> None:
    """``docProps/app.xml``: made by lettersmith (python-docx's says "Microsoft Macintosh
    Word" 14), for ``company``, the organisation. Word counts pages and words itself when it
    opens the file; counts written here would be wrong until then."""
    package = doc.part.package
    found = [rel for rel in package.rels.values() if rel.reltype == RT.EXTENDED_PROPERTIES]
    properties = E.Properties(
        E.Application(APPLICATION),
        E.DocSecurity("0"),
        *([E.Company(company)] if company else []),
        E.LinksUpToDate("false"),
        E.SharedDoc("false"),
        E.HyperlinksChanged("false"),
    )
    blob = etree.tostring(properties, xml_declaration=True, encoding="UTF-8", standalone=True)
    if found:
        found[0].target_part._blob = blob
        return
    part = Part(PackURI("/docProps/app.xml"), CT.OFC_EXTENDED_PROPERTIES, blob, package)
    package.relate_to(part, RT.EXTENDED_PROPERTIES)


def _trim(doc: DocumentObject) -> None:
    for rels in (doc.part.package.rels, doc.part.rels):
        for rel_id, rel in list(rels.items()):
            if rel.reltype.endswith(_UNUSED_PARTS):
                del rels[rel_id]
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:type")) == "table" and style.get(qn("w:styleId")) not in _TABLE_STYLES:
            styles.remove(style)


def _page_setup(doc: DocumentObject, style: HouseStyle) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(style.margin_left), Mm(style.margin_right)
    section.top_margin, section.bottom_margin = Mm(style.page_top), Mm(style.margin_bottom)
    section.header_distance, section.footer_distance = Mm(style.header_top), Mm(10)
    section.different_first_page_header_footer = True


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _paragraph_style(
    doc: DocumentObject,
    name: str,
    base: str = "Normal",
    size: float | None = None,
    bold: bool = False,
    italic: bool = False,
) -> ParagraphStyle:
    styles = doc.styles
    style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base] if base else None
    style.quick_style = True
    if size:
        style.font.size = Pt(size)
    style.font.bold = bold or None
    style.font.italic = italic or None
    return cast("ParagraphStyle", style)  # python-docx's Styles lookups are untyped


def _lines(
    style: ParagraphStyle,
    height: float,
    *,
    before: float = 0,
    after: float = 0,
    unit: Callable[[float], Length] = Pt,
) -> None:
    """Exact line height (points) and space before and after (millimetres): measures that
    Word, LibreOffice and the PDF all apply the same way."""
    form = style.paragraph_format
    form.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    form.line_spacing = unit(height)
    form.space_before = Mm(before)
    form.space_after = Mm(after)


def _font(style: CharacterStyle, name: str) -> None:
    style.font.name = name
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:cs"), name)
    fonts.set(qn("w:eastAsia"), name)


def _styles(doc: DocumentObject, house: HouseStyle) -> None:
    styles = doc.styles
    text, display = house.text_font.name, house.display_font.name
    normal = styles["Normal"]
    _font(normal, text)
    normal.font.size = Pt(house.text_size)
    normal.font.color.rgb = _rgb(house.text_colour)
    _lines(normal, house.text_line)

    body = _paragraph_style(doc, BODY)
    _lines(body, house.text_line, after=house.paragraph_after)
    body.paragraph_format.widow_control = True

    sender = _paragraph_style(doc, SENDER_LINE, size=house.sender_size)
    _font(sender, display)
    # The return line fills the window's top: the addressees start right below it.
    _lines(sender, house.sender_height, unit=Mm)
    sender.font.color.rgb = _rgb(house.muted_colour)

    # The PDF's measures, so that the same addressees fill the field in both formats.
    address = _paragraph_style(doc, ADDRESS, size=house.address_size)
    _font(address, display)
    _lines(address, house.address_line)

    date = _paragraph_style(doc, DATE, size=house.address_size)
    _font(date, display)
    date.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _lines(date, house.address_line)

    intro = _paragraph_style(doc, INTRO)
    # The space above it is the window frame's (``vSpace``): LibreOffice shortens a space
    # before that follows a frame.
    _lines(intro, house.text_line, after=house.intro_after)
    title = _paragraph_style(doc, TITLE, size=house.title_size, bold=True)
    _font(title, display)
    _lines(title, house.title_line, after=house.title_after)
    title.paragraph_format.keep_with_next = True
    # Word's navigation pane and a PDF made from Word show paragraphs with an outline level:
    # the title at the top, the body's headings below it (the PDF's h1, and h2 to h4).
    set_ppr(title.element.get_or_add_pPr(), "w:outlineLvl", val="0")
    _lines(_paragraph_style(doc, SALUTATION), house.text_line, after=house.paragraph_after)

    for level in (1, 2, 3):
        heading = _paragraph_style(doc, f"Heading {level}", size=house.heading_size, bold=True)
        _font(heading, display)
        heading.font.color.rgb = _rgb(house.text_colour)
        _lines(heading, house.heading_line, before=house.heading_before, after=house.heading_after)
        heading.paragraph_format.keep_with_next = True
        set_ppr(heading.element.get_or_add_pPr(), "w:outlineLvl", val=str(level))
    for name in ("List Bullet", "List Number", "List Continue"):
        for suffix in ("", " 2", " 3"):
            _lines(styles[name + suffix], house.text_line, after=1)

    closing = _paragraph_style(doc, CLOSING)
    _lines(closing, house.text_line, before=house.closing_before)
    closing.paragraph_format.keep_with_next = True
    signature = _paragraph_style(doc, SIGNATURE)
    _lines(signature, house.text_line)
    signature.paragraph_format.keep_with_next = True

    list_heading = _paragraph_style(doc, ADDRESS_LIST_HEADING, bold=True)
    _font(list_heading, display)
    _lines(list_heading, house.heading_line, before=house.address_list_before, after=1)
    list_heading.paragraph_format.keep_with_next = True
    set_ppr(list_heading.element.get_or_add_pPr(), "w:outlineLvl", val="1")
    address_list = _paragraph_style(doc, ADDRESS_LIST)
    _lines(address_list, house.text_line, after=house.paragraph_after)
    address_list.paragraph_format.keep_together = True

    about = _paragraph_style(doc, ABOUT, size=house.about_size)
    _lines(about, house.about_line, before=house.about_before)
    about.paragraph_format.right_indent = Mm(house.text_width - house.about_width)  # ~70 a line
    about.font.color.rgb = _rgb(house.muted_colour)

    letterhead = _paragraph_style(doc, LETTERHEAD, size=house.name_size, bold=True)
    _font(letterhead, display)
    letterhead.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    letterhead.font.color.rgb = _rgb(house.colour)
    _lines(letterhead, house.name_line)
    details = _paragraph_style(doc, LETTERHEAD_DETAILS, size=house.details_size)
    _font(details, display)
    details.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    details.font.color.rgb = _rgb(house.muted_colour)
    _lines(details, house.details_line)
    header = _paragraph_style(doc, HEADER, size=house.header_size)
    _font(header, display)
    header.font.color.rgb = _rgb(house.muted_colour)
    _lines(header, house.header_line, after=1)

    # Names, addresses, titles and headings are not broken at a hyphen (the settings turn
    # automatic hyphenation on for the rest: docx_settings).
    for name in UNHYPHENATED:
        set_ppr(styles[name].element.get_or_add_pPr(), "w:suppressAutoHyphens")

    link = styles.add_style(HYPERLINK, WD_STYLE_TYPE.CHARACTER)
    link.font.underline = True
    styles.add_style(CODE, WD_STYLE_TYPE.CHARACTER).font.name = house.mono_font


def _house_fonts_only(doc: DocumentObject, house: HouseStyle) -> None:
    """Every style's font named, none left to the theme: in Word a theme font (``asciiTheme``)
    wins over a named one, which set the headings in Calibri Light whatever they named. The
    theme's own fonts become the house fonts too, for a style a secretary adds."""
    text, display = house.text_font.name, house.display_font.name
    for fonts in doc.styles.element.iter(qn("w:rFonts")):
        theme = fonts.get(qn("w:asciiTheme")) or fonts.get(qn("w:hAnsiTheme")) or ""
        for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attribute}"), None)
        if theme:
            name = display if theme.startswith("major") else text
            for attribute in ("ascii", "hAnsi", "cs", "eastAsia"):
                if fonts.get(qn(f"w:{attribute}")) is None:
                    fonts.set(qn(f"w:{attribute}"), name)
    for rel in doc.part.rels.values():
        if rel.reltype == RT.THEME and not rel.is_external:
            theme_part = rel.target_part
            root = etree.fromstring(theme_part.blob)
            for kind, name in (("majorFont", display), ("minorFont", text)):
                for latin in root.iter(f"{{{_DRAWING}}}{kind}"):
                    latin.find(f"{{{_DRAWING}}}latin").set("typeface", name)
            theme_part._blob = etree.tostring(
                root, xml_declaration=True, encoding="UTF-8", standalone=True
            )


def _bottom_rule(ppr: CT_PPr, colour: str) -> None:
    """A thin rule under the paragraph, as the PDF draws under the page header."""
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "3"), ("space", "3"), ("color", colour[1:])):
        bottom.set(qn(f"w:{key}"), value)
    set_ppr(ppr, "w:pBdr").append(bottom)


def _no_cell_margins(table: Table) -> None:
    """Cells without inner margins: the logo and the text start on the page's margins."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        node = OxmlElement(f"w:{side}")
        node.set(qn("w:w"), "0")
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    table._tbl.tblPr.append(margins)


def _headers(doc: DocumentObject, house: HouseStyle) -> None:
    section = doc.sections[0]
    page, left, right = section.page_width, section.left_margin, section.right_margin
    assert page is not None and left is not None and right is not None  # set by _page_setup
    text_width = Length(page - left - right)

    # Page 1: the letterhead, from the header's top to the window's. Its row has an exact
    # height so that the letter's text on page 1 starts below it whatever the logo's size.
    first = section.first_page_header
    first.is_linked_to_previous = False
    table = first.add_table(rows=1, cols=2, width=text_width)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _no_cell_margins(table)
    row = table.rows[0]
    height = house.window_top - house.header_top - 0.5  # the trailing paragraph's half point
    row.height, row.height_rule = Mm(height), WD_ROW_HEIGHT_RULE.EXACTLY
    logo_cell, name_cell = row.cells
    logo_cell.width = table.columns[0].width = Mm(house.logo_width)
    name_cell.width = table.columns[1].width = Length(text_width - Mm(house.logo_width))
    logo_cell.paragraphs[0].text = "{logo}"
    logo_cell.paragraphs[0].style = doc.styles[HEADER]
    logo_cell.paragraphs[0].paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    name_cell.paragraphs[0].text = "{organisation}"
    name_cell.paragraphs[0].style = doc.styles[LETTERHEAD]
    name_cell.add_paragraph("{sender_details}", style=doc.styles[LETTERHEAD_DETAILS])
    # A header must end with a paragraph; keep it one point high.
    trailing = first.paragraphs[0]
    trailing._p.getparent().append(trailing._p)
    trailing.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    trailing.paragraph_format.line_spacing = Pt(1)

    # Page 1's foot: "Side 1 av 3", only when there is more than one page (an IF field).
    first_footer = section.first_page_footer
    first_footer.is_linked_to_previous = False
    number = first_footer.paragraphs[0]
    number.text = "{page_number_if_several}"
    number.style = doc.styles[HEADER]
    number.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    # Pages 2+: one line with organisation, place and date, and "Side 2 av 3".
    later = section.header.paragraphs[0]
    later.text = "{organisation}\t{date}\t{page_number}"
    later.style = doc.styles[HEADER]
    _bottom_rule(later._p.get_or_add_pPr(), house.colour)
    tabs = later.paragraph_format.tab_stops
    tabs.add_tab_stop(text_width // 2, WD_TAB_ALIGNMENT.CENTER)
    tabs.add_tab_stop(text_width, WD_TAB_ALIGNMENT.RIGHT)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path(str(BUILTIN_REFERENCE))
    build_reference(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
