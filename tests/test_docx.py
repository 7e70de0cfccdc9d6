"""The DOCX letter, read back with python-docx (and, where installed, laid out by LibreOffice)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
from pathlib import Path

import docx
import pikepdf
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm
from PIL import Image
from pypdf import PdfReader

import parity
from factories import BODY_LINES, make_letter, para
from lettersmith.errors import RenderError
from lettersmith.model import Addressee, ListBlock, Sender, Signature, Span
from lettersmith.render import docx_reference as ref
from lettersmith.render.docx import render_docx
from lettersmith.render.pdf import render_pdf
from lettersmith.render.style import HouseStyle
from readback import in_order, normalise

EMU_PER_TWIP = 635
PT_PER_MM = 72 / 25.4
A4_HEIGHT_PT = 297 * PT_PER_MM


# --------------------------------------------------------------------------- helpers


def paragraph_text(p) -> str:
    """The text a reader sees in one paragraph: runs, hyperlinks, fields, breaks and tabs."""
    parts = []
    for node in p.iter(qn("w:t"), qn("w:br"), qn("w:cr"), qn("w:tab")):
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.getparent().tag == qn("w:r"):  # not a tab stop definition
            parts.append("\t" if node.tag == qn("w:tab") else "\n")
    return "".join(parts)


def reading_order(data: bytes) -> list[str]:
    """Visible text in reading order: page 1's header, then the body's paragraphs and
    tables (frames are body paragraphs, so the address field comes in its place)."""
    document = docx.Document(io.BytesIO(data))
    texts = []
    roots = [document.sections[0].first_page_header._element, document.element.body]
    for root in roots:
        texts += [paragraph_text(p) for p in root.iter(qn("w:p"))]
    return [t for t in texts if t.strip()]


def letter_lines(letter) -> list[str]:
    """Every line of the letter as a reader expects it, in order."""
    lines = [letter.sender.name, letter.return_address]
    lines += [line for a in letter.addressees for line in a.lines]
    lines += [letter.date_line, letter.intro, letter.title]
    lines += [
        *BODY_LINES,
        letter.closing,
        letter.signature.name,
        letter.signature.title,
        letter.sender.name,
        letter.about,
    ]
    return lines


def png(path: Path, size=(300, 80)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (10, 79, 156)).save(path)
    return path


def styled(document, text: str):
    return next(p for p in document.paragraphs if p.text == text)


def frame(paragraph) -> dict[str, str]:
    element = paragraph._p.find(qn("w:pPr") + "/" + qn("w:framePr"))
    assert element is not None, f"no frame on {paragraph.text!r}"
    return {key.split("}")[1]: value for key, value in element.attrib.items()}


@pytest.fixture
def letter(tmp_path):
    return make_letter(
        tmp_path,
        sender=Sender(
            "Soroptimist International Norgesunionen",
            ("Postboks 1", "1751 Halden"),
            logo=png(tmp_path / "assets" / "logo.png"),
        ),
        signature=Signature(
            "Karin Dahlberg Pettersen",
            "Unionspresident",
            png(tmp_path / "assets" / "signature.png", (200, 60)),
        ),
    )


def many_addressees(count: int) -> tuple[Addressee, ...]:
    return tuple(
        Addressee(f"r{n}", (f"Ordfører nummer {n}", f"post{n}@kommune.no"), f"post{n}@k.no", "")
        for n in range(count)
    )


# --------------------------------------------------------------------------- content


def test_every_line_of_the_letter_in_order(letter):
    text = normalise("\n".join(reading_order(render_docx(letter))))
    assert in_order(text, letter_lines(letter)) == []


def test_text_is_as_typed_and_runs_keep_their_style(letter):
    document = docx.Document(io.BytesIO(render_docx(letter)))
    paragraph = next(p for p in document.paragraphs if "straks" in p.text)
    assert " & <straks>, se " in paragraph.text
    runs = {run.text: run for run in paragraph.runs}
    assert runs["handles"].bold and not runs["handles"].italic
    assert runs["nå"].italic and not runs["nå"].bold
    (link,) = paragraph.hyperlinks
    assert (link.text, link.address) == ("lovdata", "https://lovdata.no")


def test_hard_breaks_and_code_spans(tmp_path):
    body = (para("x"),)
    body = (dataclasses.replace(body[0], spans=(Span("a"), Span("\n"), Span("b", code=True))),)
    document = docx.Document(io.BytesIO(render_docx(make_letter(tmp_path, body=body))))
    paragraph = styled(document, "a\nb")
    assert paragraph.runs[-1].style.name == ref.CODE


def test_lists_use_word_list_styles_and_restart_numbering(tmp_path):
    nested = ListBlock(False, ((para("Ytre"), ListBlock(False, ((para("Indre"),),))),))
    body = (
        ListBlock(True, ((para("Ett"),), (para("To"),))),
        para("Mellom"),
        ListBlock(True, ((para("Tre"),),), start=3),
        nested,
    )
    document = docx.Document(io.BytesIO(render_docx(make_letter(tmp_path, body=body))))
    assert styled(document, "Ett").style.name == "List Number"
    assert styled(document, "Ytre").style.name == "List Bullet"
    assert styled(document, "Indre").style.name == "List Bullet 2"

    def numbering(text):
        num_id = styled(document, text)._p.pPr.numPr.numId.val
        numbering = document.part.numbering_part.element
        (start,) = numbering.xpath(f'./w:num[@w:numId="{num_id}"]//w:startOverride/@w:val')
        return num_id, int(start)

    assert numbering("Ett")[0] == numbering("To")[0]
    assert numbering("Ett")[1] == 1
    assert numbering("Tre")[0] != numbering("Ett")[0]  # a new list, not a continuation
    assert numbering("Tre")[1] == 3


def test_named_styles(letter):
    document = docx.Document(io.BytesIO(render_docx(letter)))
    names = {style.name for style in document.styles}
    for name in ("Letter Address", "Letter Title", "Closing", "Signature", "Letter Date", "About"):
        assert name in names
    assert styled(document, letter.title).style.name == "Letter Title"
    assert styled(document, letter.closing).style.name == "Closing"
    assert styled(document, letter.signature.name).style.name == "Signature"
    assert styled(document, letter.addressees[0].lines[0]).style.name == "Letter Address"
    assert styled(document, "Tiltak").style.name == "Heading 2"


def test_salutation_and_a_clubs_paragraphs_in_their_place(tmp_path):
    letter = make_letter(tmp_path, salutation="Til statsministeren", appended=(para("I Bergen"),))
    texts = reading_order(render_docx(letter))
    order = [letter.title, "Til statsministeren", "Ett", "I Bergen", letter.closing]
    assert in_order(normalise("\n".join(texts)), order) == []


# --------------------------------------------------------------------------- layout


def test_address_field_sits_in_the_window(letter):
    document = docx.Document(io.BytesIO(render_docx(letter)))
    mm = 1440 / 25.4  # twips
    field = [document.paragraphs[0]] + [
        styled(document, t) for a in letter.addressees for t in a.lines
    ]
    frames = [frame(p) for p in field]
    assert all(f == frames[0] for f in frames), "sender line and addressees share one frame"
    window = frames[0]
    assert (window["hAnchor"], window["vAnchor"]) == ("page", "page")
    # The window is 20-105 mm across, 45-90 mm down; the text starts on the body's left edge
    # (25 mm), the return line at the window's top.
    assert round(int(window["x"]) / mm) == 25
    assert round(int(window["y"]) / mm) == 45
    assert round(int(window["w"]) / mm) == 80
    assert round(int(window["h"]) / mm) == 45
    assert document.paragraphs[0].style.name == "Letter Sender"

    date = frame(styled(document, letter.date_line))
    assert date["xAlign"] == "right"
    assert round((int(date["y"]) + int(date["h"])) / mm) == 90  # level with the field's last line


def test_many_addressees_show_see_list_and_follow_the_signature(tmp_path):
    letter = make_letter(tmp_path, addressees=many_addressees(8))
    document = docx.Document(io.BytesIO(render_docx(letter)))
    in_frame = [
        p.text for p in document.paragraphs if p._p.find(f".//{qn('w:framePr')}") is not None
    ]
    assert in_frame[1:] == ["Se adresseliste", letter.date_line]
    texts = normalise("\n".join(reading_order(render_docx(letter))))
    names = [line for a in letter.addressees for line in a.lines]
    order = ["Se adresseliste", letter.closing, letter.signature.name, "Adresseliste", *names]
    assert in_order(texts, [*order, letter.about]) == []
    assert styled(document, "Adresseliste").style.name == "Address List Heading"


def test_headers_letterhead_on_page_one_page_numbers_after(letter):
    document = docx.Document(io.BytesIO(render_docx(letter)))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    first = section.first_page_header._element
    assert letter.sender.name in "".join(first.itertext())
    assert first.xpath(".//pic:pic"), "the PNG logo is in page 1's header"
    later = section.header._element
    fields = [f.get(qn("w:instr")).strip() for f in later.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]
    text = "".join(paragraph_text(p) for p in later.iter(qn("w:p")))
    # The PDF's page header: organisation, place and date, page number.
    assert text.split("\t") == [letter.sender.name, "Halden, 10.12.2024", "Side 1 av 1"]
    assert "{" not in text


def test_svg_logo_is_left_out_and_the_name_stays(tmp_path):
    svg = tmp_path / "assets" / "logo.svg"
    svg.parent.mkdir()
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    letter = make_letter(tmp_path, sender=Sender("SI Norge", logo=svg))
    header = docx.Document(io.BytesIO(render_docx(letter))).sections[0].first_page_header
    assert not header._element.xpath(".//pic:pic")
    assert "SI Norge" in "".join(header._element.itertext())
    png(svg.with_suffix(".png"))  # a PNG beside the SVG is used instead
    header = docx.Document(io.BytesIO(render_docx(letter))).sections[0].first_page_header
    assert header._element.xpath(".//pic:pic")


def test_images_outside_the_workspace_are_refused(tmp_path):
    outside = png(tmp_path / "elsewhere" / "sig.png")
    letter = make_letter(tmp_path / "ws", signature=Signature("K", image=outside))
    with pytest.raises(RenderError, match="inside the workspace"):
        render_docx(letter)


# --------------------------------------------------------------------------- document


def test_core_properties_and_language(letter):
    document = docx.Document(io.BytesIO(render_docx(letter)))
    props = document.core_properties
    assert props.title == letter.title
    assert props.author == letter.sender.name
    assert props.language == "nb-NO"
    assert props.created.date() == dt.date(2024, 12, 10)
    lang = document.styles.element.find(f".//{qn('w:rPrDefault')}//{qn('w:lang')}")
    assert lang.get(qn("w:val")) == "nb-NO"
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_same_letter_same_bytes(letter):
    assert render_docx(letter) == render_docx(letter)


def test_a_secretarys_reference_document_is_honoured(tmp_path, letter):
    reference = docx.Document(str(ref.BUILTIN_REFERENCE))
    reference.styles["Normal"].font.name = "Georgia"
    header = reference.sections[0].first_page_header
    header.add_paragraph("Stiftet 1921 · {organisation}")
    club_templates = tmp_path / "clubs" / "bergen" / "templates"
    club_templates.mkdir(parents=True)
    reference.save(str(club_templates / "letter.docx"))
    letter = dataclasses.replace(letter, template_dirs=(club_templates, tmp_path / "templates"))

    document = docx.Document(io.BytesIO(render_docx(letter)))
    assert document.styles["Normal"].font.name == "Georgia"
    header_text = "".join(document.sections[0].first_page_header._element.itertext())
    assert f"Stiftet 1921 · {letter.sender.name}" in header_text
    assert "The renderer replaces this body" not in "\n".join(reading_order(render_docx(letter)))


def test_a_reference_without_the_letter_styles_is_refused_with_the_fix(tmp_path, letter):
    (tmp_path / "templates").mkdir()
    docx.Document().save(str(tmp_path / "templates" / "letter.docx"))
    letter = dataclasses.replace(letter, template_dirs=(tmp_path / "templates",))
    with pytest.raises(RenderError) as caught:
        render_docx(letter)
    message = str(caught.value)
    assert message.startswith("templates/letter.docx: the Word styles ")
    assert "'Letter Address'" in message and "docx_reference" in message


def test_a_reference_that_is_not_a_word_file_is_refused(tmp_path, letter):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "letter.docx").write_text("not a zip")
    letter = dataclasses.replace(letter, template_dirs=(tmp_path / "templates",))
    with pytest.raises(RenderError, match=r"^templates/letter.docx: not a Word document"):
        render_docx(letter)


# --------------------------------------------------------------------------- LibreOffice

needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)",
)


def soffice_pdf(data: bytes, folder: Path) -> PdfReader:
    return PdfReader(io.BytesIO(parity.soffice_pdf(data, folder)))


def placed_lines(reader: PdfReader) -> list[tuple[int, float, float, str]]:
    """Text lines as (page, mm from top, mm from left, text), in reading order."""
    fragments = []
    for number, page in enumerate(reader.pages, start=1):

        def visit(text, cm, tm, font, size, number=number):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                fragments.append((number, (A4_HEIGHT_PT - y) / PT_PER_MM, x / PT_PER_MM, text))

        page.extract_text(visitor_text=visit)
    lines: list[list] = []
    for fragment in sorted(fragments, key=lambda f: (f[0], round(f[1]), f[2])):
        last = lines[-1] if lines else None
        if last and last[0] == fragment[0] and abs(last[1] - fragment[1]) < 1:
            last[3] += " " + fragment[3]
        else:
            lines.append(list(fragment))
    return [tuple(line) for line in lines]


@needs_soffice
def test_libreoffice_lays_out_the_same_text_in_the_same_order(tmp_path, letter):
    lines = placed_lines(soffice_pdf(render_docx(letter), tmp_path))
    text = normalise(" ".join(line[3] for line in lines)).replace(" ,", ",").replace(" .", ".")
    # Runs of one line come out as separate fragments; compare without the joins' spaces, and
    # without hyphens (LibreOffice breaks words at the line's end, as the settings ask).
    squeeze = "".join(text.split()).replace("-", "")
    expected = ["".join(line.split()).replace("-", "") for line in letter_lines(letter)]
    assert in_order(squeeze, expected) == []

    addressee = next(line for line in lines if line[3].startswith("Statsminister"))
    assert addressee[0] == 1
    assert 45 <= addressee[1] <= 90 and 20 <= addressee[2] <= 105, "inside the window"
    intro = next(
        line
        for line in lines
        if line[3].startswith("Soroptimist International Norgesunionen vedtok")
    )
    assert intro[1] > 90, "the body starts below the address field"


@needs_soffice
def test_libreoffice_numbers_later_pages(tmp_path, letter):
    long_body = tuple(para(f"Avsnitt {n}. " + "Tekst som fyller siden. " * 30) for n in range(12))
    reader = soffice_pdf(render_docx(dataclasses.replace(letter, body=long_body)), tmp_path)
    pages = len(reader.pages)
    assert pages >= 2
    second = normalise(reader.pages[1].extract_text())
    assert f"Side 2 av {pages}" in second
    assert "10.12.2024" in second
    assert f"Side 1 av {pages}" in normalise(reader.pages[0].extract_text())  # at its foot


def test_only_web_and_mail_links_become_hyperlinks(tmp_path):
    spans = (
        Span("trygg", href="https://example.org"),
        Span(" "),
        Span("farlig", href="file:///etc/passwd"),
    )
    letter = make_letter(tmp_path, body=(dataclasses.replace(para(""), spans=spans),))
    paragraph = styled(docx.Document(io.BytesIO(render_docx(letter))), "trygg farlig")
    assert [link.address for link in paragraph.hyperlinks] == ["https://example.org"]


def test_a_wide_logo_is_scaled_into_the_letterhead(tmp_path):
    logo = png(tmp_path / "assets" / "wide.png", (2000, 100))
    letter = make_letter(tmp_path, sender=Sender("SI Norge", logo=logo))
    header = docx.Document(io.BytesIO(render_docx(letter))).sections[0].first_page_header
    (extent,) = header._element.xpath(".//wp:extent")
    width = Mm(HouseStyle().logo_width)  # as wide as the PDF's logo may be
    assert int(extent.get("cx")) == width
    assert int(extent.get("cy")) == width // 20


def test_a_missing_signature_image_is_named(tmp_path):
    letter = make_letter(tmp_path, signature=Signature("K", image=tmp_path / "assets" / "s.png"))
    with pytest.raises(RenderError, match=r"^assets/s.png: the signature image is missing"):
        render_docx(letter)


# --------------------------------------------------------------------------- fonts


def embedded_fonts(data: bytes) -> dict[tuple[str, str], bytes]:
    """(family, embed kind) -> the de-obfuscated font program, read back from the DOCX."""
    import zipfile

    from lxml import etree

    from lettersmith.render.docx_fonts import obfuscate

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    r = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        table = etree.fromstring(package.read("word/fontTable.xml"))
        rels = etree.fromstring(package.read("word/_rels/fontTable.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        found = {}
        for font in table.iter(f"{w}font"):
            for embed in font:
                kind = etree.QName(embed).localname
                if kind.startswith("embed"):
                    blob = package.read("word/" + targets[embed.get(f"{r}id")])
                    # XOR with the same key twice gives the font back.
                    found[(font.get(f"{w}name"), kind)] = obfuscate(blob, embed.get(f"{w}fontKey"))
        settings = package.read("word/settings.xml")
    assert b"embedTrueTypeFonts" in settings
    return found


def test_the_docx_names_the_house_fonts_it_embeds(letter):
    # Which faces and which letters go in: test_docx_file.py.
    data = render_docx(letter)
    assert {family for family, _ in embedded_fonts(data)} == {"IBM Plex Serif", "IBM Plex Sans"}
    document = docx.Document(io.BytesIO(data))
    assert document.styles["Normal"].font.name == "IBM Plex Serif"
    assert document.styles["Letter Title"].font.name == "IBM Plex Sans"


def test_an_organisation_font_replaces_the_house_fonts_in_both_files(tmp_path, letter):
    from lettersmith.render.style import FONT_DIR

    own = tmp_path / "assets" / "own.ttf"
    own.parent.mkdir(exist_ok=True)
    shutil.copyfile(FONT_DIR / "IBMPlexSans-Regular.ttf", own)
    letter = dataclasses.replace(letter, sender=dataclasses.replace(letter.sender, font=own))
    assert set(embedded_fonts(render_docx(letter))) == {("IBM Plex Sans", "embedRegular")}
    pdf = pikepdf.open(io.BytesIO(render_pdf(letter)))
    names = {str(font.BaseFont) for page in pdf.pages for font in page.Resources.Font.values()}
    assert names and all("IBMPlexSans" in name.replace("-", "") for name in names), names


def test_the_letterhead_colour_comes_from_the_organisation(letter):
    coloured = dataclasses.replace(
        letter, sender=dataclasses.replace(letter.sender, colour="#7a1f3d")
    )
    for data, expected in ((render_docx(letter), "3C3C3C"), (render_docx(coloured), "7A1F3D")):
        style = docx.Document(io.BytesIO(data)).styles["Letterhead"]
        assert str(style.font.color.rgb) == expected


@needs_soffice
def test_libreoffice_sets_headings_and_list_markers_in_the_house_fonts(tmp_path, letter):
    """Word and LibreOffice take a theme font over a named one: the headings were set in the
    theme's, the bullets in Symbol."""
    fonts: dict[str, set[str]] = {}

    def visit(text, cm, tm, font, size):
        if font and text.strip():
            fonts.setdefault(text.strip(), set()).add(str(font.get("/BaseFont", "")))

    for page in soffice_pdf(render_docx(letter), tmp_path).pages:
        page.extract_text(visitor_text=visit)
    assert all("IBMPlexSans-Bold" in name for name in fonts["Tiltak"]), fonts["Tiltak"]
    markers = {name for text, names in fonts.items() if text.startswith("•") for name in names}
    assert markers and all("IBMPlexSerif" in name for name in markers), markers


def line_extents(pdf: bytes) -> list[tuple[int, float, float, float, str]]:
    """Each text line as (page, its baseline in mm from the top, left and right edge in mm,
    text); a hyphen LibreOffice adds at a line's end is "-" here."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(pdf)
    found: dict[tuple[int, int], list[tuple[float, float, str]]] = {}
    x, y = ctypes.c_double(), ctypes.c_double()
    try:
        for number in range(len(document)):
            page = document[number]
            text, height = page.get_textpage(), page.get_height()
            for index in range(text.count_chars()):
                char = text.get_text_range(index, 1).replace("\ufffe", "-")  # a line-end hyphen
                if char in "\r\n":
                    continue
                left, _bottom, right, _top = text.get_charbox(index)
                raw.FPDFText_GetCharOrigin(text.raw, index, x, y)
                row = round((height - y.value) / PT_PER_MM * 2)  # half-millimetre rows
                found.setdefault((number + 1, row), []).append((left, right, char))
    finally:
        document.close()
    return [
        (page, row / 2, min(c[0] for c in chars) / PT_PER_MM,
         max(c[1] for c in chars) / PT_PER_MM, "".join(c[2] for c in sorted(chars)).strip())
        for (page, row), chars in sorted(found.items())
        if "".join(c[2] for c in chars).strip()
    ]  # fmt: skip


@needs_soffice
@pytest.mark.skipif(
    not Path("/usr/share/hyphen/hyph_nb_NO.dic").exists(),
    reason="LibreOffice's Norwegian hyphenation patterns are not installed (hyphen-no)",
)
def test_libreoffice_hyphenates_the_statement_but_not_names_or_the_title(tmp_path):
    """The example letter, laid out by LibreOffice: words broken at the line's end, so that
    every line but a paragraph's last fills at least 80% of the 145 mm measure (without
    hyphenation the shortest filled 68%); never the title, the introduction (kept whole as in
    the PDF), an address or a name."""
    from lettersmith.compose.resolve import resolve
    from lettersmith.load.workspace import load
    from workspaces import copy_example

    letter = resolve(load(copy_example(tmp_path / "ws")), parity.LETTER).letters[0]
    lines = line_extents(parity.soffice_pdf(render_docx(letter), tmp_path / "lo"))
    assert sum(text.endswith("-") for *_, text in lines) >= 3
    unbroken = [letter.title, letter.signature.name, *(a.lines[0] for a in letter.addressees)]
    for *_, text in lines:
        assert not (text.endswith("-") and any(text in name for name in unbroken)), text
    signature = (letter.closing, letter.signature.name, letter.signature.title)
    body = [
        line
        for line in lines
        if abs(line[2] - 25) < 1 and line[1] > (95 if line[0] == 1 else 25)
        and line[4] not in signature and line[4] not in letter.intro
    ]  # fmt: skip
    measure = 210 - 25 - 40
    for this, after in zip(body, body[1:], strict=False):
        if this[0] == after[0] and 5 < after[1] - this[1] < 6.2:  # the paragraph goes on
            assert this[3] - this[2] > 0.8 * measure, this


@needs_soffice
def test_libreoffice_numbers_both_pages_of_the_example_letter(tmp_path):
    """What a secretary who opens the Word letter in LibreOffice sees: "Side 1 av 2" at page
    1's foot and "Side 2 av 2" in page 2's header (an IF field printed "212" there)."""
    from lettersmith.compose.resolve import resolve
    from lettersmith.load.workspace import load
    from workspaces import copy_example

    letter = resolve(load(copy_example(tmp_path / "ws")), parity.LETTER).letters[0]
    reader = soffice_pdf(render_docx(letter), tmp_path / "lo")
    pages = [normalise(page.extract_text()) for page in reader.pages]
    assert len(pages) == 2
    assert "Side 1 av 2" in pages[0] and "212" not in pages[0]
    assert "Side 2 av 2" in pages[1]
