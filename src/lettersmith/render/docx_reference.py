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
from importlib import resources
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.shared import Mm, Pt, RGBColor

BUILTIN_REFERENCE = resources.files("lettersmith") / "data" / "templates" / "letter.docx"
REFERENCE_NAME = "letter.docx"  # the name looked up in a workspace's or club's templates/

# The window-envelope address field (DIN 5008 form B), measured from the page's top-left corner.
WINDOW_LEFT = Mm(20)
WINDOW_TOP = Mm(45)
WINDOW_WIDTH = Mm(85)
WINDOW_HEIGHT = Mm(45)
SENDER_HEIGHT = Mm(5)  # the sender line sits just above the field, as in the PDF
DATE_WIDTH = Mm(80)

PLACEHOLDERS = ("logo", "organisation", "date", "page_number")

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
HEADER = "Header"
HYPERLINK = "Hyperlink"
CODE = "Code"

FONT = "Arial"  # metric-compatible substitutes exist everywhere (Liberation Sans, Arimo)
MONO_FONT = "Courier New"


def build_reference(out: Path) -> None:
    """Write the built-in reference document to ``out``."""
    doc = Document()
    _page_setup(doc)
    _styles(doc)
    _headers(doc)
    body = doc.element.body
    for child in list(body):
        if child.tag != body.sectPr.tag:
            body.remove(child)
    doc.add_paragraph(
        "The renderer replaces this body with the letter; edit the styles and headers.",
        style=BODY,
    )
    props = doc.core_properties
    props.author = props.last_modified_by = "lettersmith"
    props.comments = props.keywords = props.subject = ""
    props.title = "lettersmith letter"
    doc.save(str(out))


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(20)
    section.top_margin, section.bottom_margin = Mm(25), Mm(20)
    section.header_distance, section.footer_distance = Mm(12), Mm(10)
    section.different_first_page_header_footer = True


def _paragraph_style(doc, name, base="Normal", size=None, bold=False, italic=False):
    styles = doc.styles
    style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base] if base else None
    style.quick_style = True
    if size:
        style.font.size = Pt(size)
    style.font.bold = bold or None
    style.font.italic = italic or None
    return style


def _styles(doc) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.15

    body = _paragraph_style(doc, BODY)
    body.paragraph_format.space_after = Pt(8)
    body.paragraph_format.widow_control = True

    sender = _paragraph_style(doc, SENDER_LINE, size=6.5)
    sender.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    sender.paragraph_format.line_spacing = SENDER_HEIGHT  # the address starts right below
    sender.font.color.rgb = RGBColor(0x55, 0x55, 0x55)

    # The PDF's measures, so that the same addressees fill the field in both formats.
    address = _paragraph_style(doc, ADDRESS, size=9.5)
    address.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    address.paragraph_format.line_spacing = Pt(12)

    date = _paragraph_style(doc, DATE, size=9.5)
    date.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    date.paragraph_format.line_spacing = Pt(12)

    intro = _paragraph_style(doc, INTRO)
    intro.paragraph_format.space_before = Pt(18)
    intro.paragraph_format.space_after = Pt(12)
    title = _paragraph_style(doc, TITLE, size=14, bold=True)
    title.paragraph_format.space_after = Pt(12)
    title.paragraph_format.keep_with_next = True
    _paragraph_style(doc, SALUTATION).paragraph_format.space_after = Pt(8)

    for level, size in ((1, 13), (2, 12), (3, 11)):
        heading = _paragraph_style(doc, f"Heading {level}", size=size, bold=True)
        heading.font.name = FONT
        heading.font.color.rgb = RGBColor(0, 0, 0)
        heading.paragraph_format.space_before = Pt(10)
        heading.paragraph_format.space_after = Pt(4)
        heading.paragraph_format.keep_with_next = True
    for name in ("List Bullet", "List Number", "List Continue"):
        for level in ("", " 2", " 3"):
            style = styles[name + level]
            style.paragraph_format.space_after = Pt(4)

    closing = _paragraph_style(doc, CLOSING)
    closing.paragraph_format.space_before = Pt(12)
    closing.paragraph_format.space_after = Pt(4)
    closing.paragraph_format.keep_with_next = True
    _paragraph_style(doc, SIGNATURE).paragraph_format.keep_with_next = True

    list_heading = _paragraph_style(doc, ADDRESS_LIST_HEADING, bold=True)
    list_heading.paragraph_format.space_before = Pt(18)
    list_heading.paragraph_format.space_after = Pt(4)
    list_heading.paragraph_format.keep_with_next = True
    address_list = _paragraph_style(doc, ADDRESS_LIST, size=10)
    address_list.paragraph_format.space_after = Pt(4)
    address_list.paragraph_format.keep_together = True

    about = _paragraph_style(doc, ABOUT, size=8.5)
    about.paragraph_format.space_before = Pt(24)
    about.font.color.rgb = RGBColor(0x44, 0x44, 0x44)

    letterhead = _paragraph_style(doc, LETTERHEAD, size=14, bold=True)
    letterhead.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    letterhead.font.color.rgb = RGBColor(0x0A, 0x4F, 0x9C)
    _paragraph_style(doc, HEADER, size=8.5)

    link = styles.add_style(HYPERLINK, WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    link.font.underline = True
    styles.add_style(CODE, WD_STYLE_TYPE.CHARACTER).font.name = MONO_FONT


def _headers(doc) -> None:
    section = doc.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin

    # Page 1: the letterhead. Its row has an exact height so that the body on page 1 starts
    # below ~43 mm whatever the logo's size: the address field at 45 mm then keeps every
    # line of flowing text below it.
    first = section.first_page_header
    first.is_linked_to_previous = False
    table = first.add_table(rows=1, cols=2, width=text_width)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    row = table.rows[0]
    row.height, row.height_rule = Mm(30), WD_ROW_HEIGHT_RULE.EXACTLY
    logo_cell, name_cell = row.cells
    logo_cell.width, name_cell.width = Mm(80), text_width - Mm(80)
    logo_cell.paragraphs[0].text = "{logo}"
    logo_cell.paragraphs[0].style = doc.styles[HEADER]
    name_cell.paragraphs[0].text = "{organisation}"
    name_cell.paragraphs[0].style = doc.styles[LETTERHEAD]
    # A header must end with a paragraph; keep it one point high.
    trailing = first.paragraphs[0]
    trailing._p.getparent().append(trailing._p)
    trailing.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    trailing.paragraph_format.line_spacing = Pt(1)

    # Pages 2+: one line with organisation, date and "Side 2 av 3".
    later = section.header.paragraphs[0]
    later.text = "{organisation}\t{date}\t{page_number}"
    later.style = doc.styles[HEADER]
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
