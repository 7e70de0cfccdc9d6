"""The Word file a secretary opens and edits: its size and embedded fonts, its properties, the
settings Word reads on open (current mode, hyphenation, fields), its styles and languages.
Read back as Word reads it: the package's parts, their XML, the font programs inside."""

from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
from fontTools.ttLib import TTFont
from lxml import etree

from factories import make_letter, para
from lettersmith.compose.resolve import resolve
from lettersmith.load.workspace import load
from lettersmith.model import Heading, ListBlock, Paragraph, Span
from lettersmith.render.docx import render_docx
from lettersmith.render.docx_fonts import obfuscate
from lettersmith.render.pdf import render_pdf
from parity import LETTER
from workspaces import copy_example

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
LATIN_1 = "".join(map(chr, range(0xA1, 0x100))).replace("\xad", "")  # not the soft hyphen
LATIN_EXTENDED_A = "".join(map(chr, range(0x100, 0x180)))
PUNCTUATION = "–—‘’‚“”„…•‰‹›€−\u2009\u202f"


def part(data: bytes, name: str) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return etree.fromstring(package.read(name))


def embedded_fonts(data: bytes) -> dict[tuple[str, str], TTFont]:
    """(family, embed kind) -> the font program Word reads, de-obfuscated with its key."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        table = etree.fromstring(package.read("word/fontTable.xml"))
        rels = etree.fromstring(package.read("word/_rels/fontTable.xml.rels"))
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        found = {}
        for font in table.iter(f"{W}font"):
            for embed in font:
                kind = etree.QName(embed).localname
                if kind.startswith("embed"):
                    blob = package.read("word/" + targets[embed.get(f"{R}id")])
                    program = obfuscate(blob, embed.get(f"{W}fontKey"))  # XOR twice: the font
                    found[(font.get(f"{W}name"), kind)] = TTFont(io.BytesIO(program))
    return found


def bold_italic_letter(tmp_path, *, text: str = "svært viktig"):
    letter = make_letter(tmp_path)
    emphasis = Paragraph((Span("Dette er "), Span(text, bold=True, italic=True), Span(".")))
    return dataclasses.replace(letter, body=(*letter.body, emphasis))


# --------------------------------------------------------------------------- size and fonts


RICH = """
## Hva vi ber om

Vi ber om **tre ting**, og *særlig* om den første, ***nå***:

1. en handlingsplan med konkrete tiltak;
2. bedre varsling.

- Kvinner og jenter er mest utsatt.
"""


def test_the_docx_is_about_three_times_the_pdf(tmp_path):
    """The example's letter (330 kB as DOCX before its fonts were cut down to what it uses,
    against 35 kB as PDF), and the same with every face of the fonts in use (headings, bold,
    italic, both): each face holds some 360 letters to edit in, about 15 kB."""
    root = copy_example(tmp_path / "ws")
    reference = resolve(load(root), LETTER).letters[0]
    position = root / "positions" / f"{LETTER}.md"
    position.write_text(position.read_text(encoding="utf-8") + RICH, encoding="utf-8")
    rich = resolve(load(root), LETTER).letters[0]
    for letter, most in ((reference, 3.0), (rich, 3.4)):
        docx, pdf = render_docx(letter), render_pdf(letter)
        assert len(docx) <= most * len(pdf), (len(docx), len(pdf))
    assert len(embedded_fonts(render_docx(reference))) == 3  # text, address, title
    assert len(embedded_fonts(render_docx(rich))) == 6


def test_only_the_faces_the_letter_is_set_in_are_embedded(tmp_path):
    letter = make_letter(tmp_path)  # bold and italic words in the body, none both
    regular = {
        ("IBM Plex Serif", "embedRegular"),  # the text
        ("IBM Plex Serif", "embedBold"),
        ("IBM Plex Serif", "embedItalic"),
        ("IBM Plex Sans", "embedRegular"),  # the address field, the letterhead's details
        ("IBM Plex Sans", "embedBold"),  # the title, headings, the letterhead's name
    }
    assert set(embedded_fonts(render_docx(letter))) == regular
    with_both = embedded_fonts(render_docx(bold_italic_letter(tmp_path)))
    assert set(with_both) == regular | {("IBM Plex Serif", "embedBoldItalic")}
    plain = dataclasses.replace(letter, body=(para("Bare vanlig tekst."),))
    assert ("IBM Plex Serif", "embedItalic") not in embedded_fonts(render_docx(plain))


def test_the_fonts_hold_what_a_secretary_types_and_what_the_letter_shows(tmp_path):
    # Vietnamese ạ and Greek Ω are beyond Latin Extended-A: in the fonts as the letter has them.
    letter = bold_italic_letter(tmp_path, text="Čáhcesuolu, Hạ Long, 5 Ω")
    fonts = embedded_fonts(render_docx(letter))
    for (family, kind), program in fonts.items():
        cmap = program.getBestCmap()
        assert program["name"].getBestFamilyName() == family
        missing = [c for c in LATIN_1 + LATIN_EXTENDED_A + PUNCTUATION if ord(c) not in cmap]
        assert missing == [], (family, kind)
        assert ord("Ж") not in cmap  # in the font, but neither in the letter nor in Norwegian
        assert program["OS/2"].fsType == 0  # installable: Word lets the secretary edit in it
    serif = fonts[("IBM Plex Serif", "embedBoldItalic")].getBestCmap()
    assert ord("ạ") in serif and ord("Ω") in serif


def test_the_fonts_are_cut_down_and_word_keeps_them_whole_on_save(tmp_path):
    data = render_docx(make_letter(tmp_path))
    for program in embedded_fonts(data).values():
        assert len(program.getGlyphOrder()) < 450
        assert not {"GPOS", "GSUB", "fpgm", "prep"} & set(program.keys())  # no unread tables
    settings = part(data, "word/settings.xml")
    assert settings.find(f"{W}embedTrueTypeFonts") is not None
    # Not cut down again to the characters in use when Word saves; not marked as cut down.
    assert settings.find(f"{W}saveSubsetFonts") is None
    assert not part(data, "word/fontTable.xml").xpath("//w:*[@w:subsetted]", namespaces=NS)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
    for unused in ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/item1.xml"):
        assert unused not in names


NS = {"w": W[1:-1]}


@pytest.mark.parametrize("count", [1, 3])
def test_the_same_letter_gives_the_same_bytes(tmp_path, count):
    letters = [bold_italic_letter(tmp_path) for _ in range(count)]
    assert len({render_docx(letter) for letter in letters}) == 1


def test_a_heading_only_letter_embeds_no_serif_bold(tmp_path):
    letter = make_letter(tmp_path, body=(Heading(2, (Span("Tiltak"),)), para("Tekst.")))
    assert ("IBM Plex Serif", "embedBold") not in embedded_fonts(render_docx(letter))


def test_a_list_marker_is_in_the_fonts(tmp_path):
    body = (ListBlock(False, ((para("Første"),), (para("Andre"),))),)
    fonts = embedded_fonts(render_docx(make_letter(tmp_path, body=body)))
    assert ord("•") in fonts[("IBM Plex Serif", "embedRegular")].getBestCmap()


# --------------------------------------------------------------------------- properties


CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"
APP = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"


def test_the_properties_name_lettersmith_the_title_the_organisation_and_the_language(tmp_path):
    letter = make_letter(tmp_path, language="nn")
    data = render_docx(letter)
    app = part(data, "docProps/app.xml")
    assert app.findtext(f"{APP}Application") == "lettersmith"
    assert app.findtext(f"{APP}Company") == letter.sender.name
    assert "Word" not in etree.tostring(app, encoding="unicode")  # no borrowed maker, version
    assert app.find(f"{APP}Template") is None and app.find(f"{APP}Words") is None
    core = part(data, "docProps/core.xml")
    assert core.findtext(f"{DC}title") == letter.title
    assert core.findtext(f"{DC}creator") == letter.sender.name
    assert core.findtext(f"{CP}lastModifiedBy") == letter.sender.name
    assert core.findtext(f"{DC}language") == "nn-NO"
    for stamp in (f"{DCTERMS}created", f"{DCTERMS}modified"):
        assert core.findtext(stamp) == "2024-12-10T12:00:00Z"  # the letter's date, not today's
    assert core.find(f"{CP}keywords") is None  # nothing empty left behind


# --------------------------------------------------------------------------- settings


def test_word_opens_it_in_current_mode_without_a_question(tmp_path):
    settings = part(render_docx(make_letter(tmp_path)), "word/settings.xml")
    modes = settings.xpath(
        "w:compat/w:compatSetting[@w:name='compatibilityMode']/@w:val", namespaces=NS
    )
    assert modes == ["15"]
    assert settings.find(f"{W}compat/{W}useFELayout") is None
    # Page numbers are worked out on layout; updateFields would ask on every opening.
    assert settings.find(f"{W}updateFields") is None
    assert settings.find(f"{W}rsids") is None and settings.find(f"{W}proofState") is None


def test_settings_stay_in_the_order_word_requires(tmp_path):
    from lettersmith.render.docx_settings import _ORDER

    settings = part(render_docx(make_letter(tmp_path)), "word/settings.xml")
    names = [etree.QName(child).localname for child in settings]
    known = [name for name in names if name in _ORDER]
    assert known == sorted(known, key=_ORDER.index)
    assert names.index("themeFontLang") > names.index("mathPr")


@pytest.mark.parametrize(
    ("language", "tag", "decimal"), [("nb", "nb-NO", ","), ("en", "en-GB", ".")]
)
def test_hyphenation_is_on_bounded_and_in_the_letters_language(tmp_path, language, tag, decimal):
    data = render_docx(make_letter(tmp_path, language=language))
    settings = part(data, "word/settings.xml")
    assert settings.find(f"{W}autoHyphenation") is not None
    limit = settings.find(f"{W}consecutiveHyphenLimit").get(f"{W}val")
    zone = int(settings.find(f"{W}hyphenationZone").get(f"{W}val"))
    assert int(limit) == 2
    assert zone == 360  # Word's quarter inch: where LibreOffice breaks at the PDF's words
    assert settings.find(f"{W}themeFontLang").get(f"{W}val") == tag
    assert settings.find(f"{W}decimalSymbol").get(f"{W}val") == decimal
    styles = part(data, "word/styles.xml")
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert default.get(f"{W}val") == tag

    def hyphenated(name: str) -> bool:
        (style,) = styles.xpath(f"w:style[w:name/@w:val='{name}']", namespaces=NS)
        return style.find(f"{W}pPr/{W}suppressAutoHyphens") is None

    assert hyphenated("Body Text") and hyphenated("Normal")
    assert not any(map(hyphenated, ("Letter Address", "Letter Title", "Signature", "heading 2")))


# --------------------------------------------------------------------------- styles


def rich_letter(tmp_path):
    """A letter with a heading, a subheading, bold, a numbered and a nested bullet list."""
    body = (
        para("Innledning."),
        Heading(1, (Span("Hva vi ber om"),)),
        Heading(2, (Span("Først"),)),
        ListBlock(True, ((para("Ett"),), (para("To"),))),
        ListBlock(False, ((para("Ytre"), ListBlock(False, ((para("Indre"),),))),)),
    )
    return make_letter(tmp_path, body=body)


def style_of(styles: etree._Element, name: str) -> etree._Element:
    (style,) = styles.xpath(f"w:style[w:name/@w:val='{name}']", namespaces=NS)
    return style


def outline_level(styles: etree._Element, name: str) -> str | None:
    found = style_of(styles, name).find(f"{W}pPr/{W}outlineLvl")
    return None if found is None else found.get(f"{W}val")


def test_the_navigation_pane_shows_the_title_over_the_headings(tmp_path):
    data = render_docx(rich_letter(tmp_path))
    styles = part(data, "word/styles.xml")
    # The PDF's h1 (the title), h2 and h3 (the body's headings of level 1 and 2).
    assert outline_level(styles, "Letter Title") == "0"
    assert outline_level(styles, "heading 1") == "1"
    assert outline_level(styles, "heading 2") == "2"
    body = part(data, "word/document.xml")
    used = body.xpath("//w:p/w:pPr/w:pStyle/@w:val", namespaces=NS)
    assert {"LetterTitle", "Heading1", "Heading2"} <= set(used)


def test_no_style_or_list_falls_back_to_a_theme_font(tmp_path):
    import docx

    from lettersmith.render.docx_usage import faces

    data = render_docx(rich_letter(tmp_path))
    for name in ("word/styles.xml", "word/numbering.xml"):
        xml = etree.tostring(part(data, name), encoding="unicode")
        assert "Theme=" not in xml and "cstheme" not in xml, name  # a theme font wins in Word
        assert "Symbol" not in xml and "Calibri" not in xml, name
    theme = etree.tostring(part(data, "word/theme/theme1.xml"), encoding="unicode")
    assert 'typeface="IBM Plex Sans"' in theme and 'typeface="IBM Plex Serif"' in theme
    # Every run and every list marker is set in a house font.
    used = faces(docx.Document(io.BytesIO(data)))
    assert {face.font for face in used} == {"IBM Plex Serif", "IBM Plex Sans"}
    heading = next(face for face in used if face.font == "IBM Plex Sans" and face.bold)
    assert heading


def test_lists_are_indented_as_in_the_pdf_with_markers_in_the_text_font(tmp_path):
    from lettersmith.render.style import HouseStyle

    data = render_docx(rich_letter(tmp_path))
    numbering = part(data, "word/numbering.xml")
    styles = part(data, "word/styles.xml")
    twips_per_mm = 1440 / 25.4
    for kind, markers in (("List Bullet", ["•", "–", "•"]), ("List Number", ["%1."] * 3)):
        for level, marker in enumerate(markers):
            name = kind if level == 0 else f"{kind} {level + 1}"
            style = style_of(styles, name)
            assert style.find(f"{W}pPr/{W}contextualSpacing") is None  # 1 mm between items
            (num_id,) = style.xpath("w:pPr/w:numPr/w:numId/@w:val", namespaces=NS)
            (abstract,) = numbering.xpath(
                f"w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val", namespaces=NS
            )
            (lvl,) = numbering.xpath(
                f"w:abstractNum[@w:abstractNumId='{abstract}']/w:lvl", namespaces=NS
            )
            assert lvl.find(f"{W}lvlText").get(f"{W}val") == marker
            left = int(lvl.find(f"{W}pPr/{W}ind").get(f"{W}left")) / twips_per_mm
            assert abs(left - 6 * (level + 1)) < 0.1  # letter.css: padding-left 6mm a level
            fonts = lvl.find(f"{W}rPr/{W}rFonts")
            for script in ("ascii", "hAnsi", "cs", "eastAsia"):
                assert fonts.get(f"{W}{script}") == HouseStyle().text_font.name


def test_every_drawing_has_its_own_id(tmp_path):
    from lettersmith.model import Sender, Signature
    from test_docx import png

    letter = make_letter(
        tmp_path,
        sender=Sender("Foreningen", logo=png(tmp_path / "assets" / "logo.png")),
        signature=Signature("Kari", image=png(tmp_path / "assets" / "sign.png", (200, 60))),
    )
    data = render_docx(letter)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = [n for n in package.namelist() if n.startswith("word/") and n.endswith(".xml")]
    ids = [
        drawing_id
        for name in names
        for drawing_id in part(data, name).xpath(
            "//wp:docPr/@id",
            namespaces={
                "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
            },
        )
    ]
    assert len(ids) == 2 and len(set(ids)) == 2  # the logo in the header, the signature


# --------------------------------------------------------------------------- languages


def test_a_statement_in_another_language_is_tagged_with_its_own(tmp_path):
    letter = make_letter(tmp_path, language="nn", statement_language="nb")
    data = render_docx(letter)
    styles = part(data, "word/styles.xml")
    default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert default.get(f"{W}val") == "nn-NO"  # the letter's: introduction, closing, about
    body = part(data, "word/document.xml")

    def languages(text: str) -> set[str | None]:
        runs = body.xpath(f"//w:r[w:t[contains(., '{text}')]]", namespaces=NS)
        assert runs, text
        return {run.xpath("string(w:rPr/w:lang/@w:val)", namespaces=NS) or None for run in runs}

    assert languages(letter.title[:20]) == {"nb-NO"}
    assert languages("internasjonalt problem") == {"nb-NO"}
    assert languages("Første punkt") == {"nb-NO"}  # a list item of the statement
    assert languages("handles") == {"nb-NO"}  # bold words
    assert languages("lovdata") == {"nb-NO"}  # a link
    assert languages("vedtok på") == {None}
    assert languages(letter.closing) == {None}
    same = render_docx(make_letter(tmp_path, language="nn"))
    assert b'w:lang w:val="nb-NO"' not in zipfile.ZipFile(io.BytesIO(same)).read(
        "word/document.xml"
    )


def test_compose_names_the_statements_language_only_where_it_differs(tmp_path):
    root = copy_example(tmp_path / "ws")
    union = resolve(load(root), LETTER).letters[0]
    club = resolve(load(root), LETTER, club="bergen").letters[0]
    assert (union.language, union.statement_language) == ("nb", None)
    assert (club.language, club.statement_language) == ("nn", "nb")
