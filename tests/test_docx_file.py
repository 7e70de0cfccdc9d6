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
    from lettersmith.render.style import HouseStyle

    data = render_docx(make_letter(tmp_path, language=language))
    settings = part(data, "word/settings.xml")
    assert settings.find(f"{W}autoHyphenation") is not None
    limit = settings.find(f"{W}consecutiveHyphenLimit").get(f"{W}val")
    zone = int(settings.find(f"{W}hyphenationZone").get(f"{W}val"))
    assert int(limit) == HouseStyle().hyphen_limit == 2
    assert abs(zone / 1440 * 25.4 - HouseStyle().hyphenation_zone) < 0.1  # twips to mm
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
