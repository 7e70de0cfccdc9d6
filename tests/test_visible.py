"""The statement as a reader sees it: a template that keeps the adopted words but changes how
they read (white or tiny text, a box laid over them, words between them, another introduction,
a Word style that hides them) fails the build, naming the file to change.

Each attack is tried on a club's templates and, for a few, on the union's own workspace
``templates/`` (which is trusted, and checked all the same). The good inputs beside them show
what a template may still do.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml import parse_xml
from docx.shared import Pt, RGBColor

from lettersmith.cli import main
from lettersmith.render.docx_reference import BUILTIN_REFERENCE
from readback import docx_text, pdf_text
from workspaces import copy_example

LETTER = "menneskehandel-2024"
CLUB_OUT = Path("out/clubs/bergen") / LETTER
UNION_OUT = Path("out") / LETTER
EXTENDS = '{% extends "builtin/letter.html.j2" %}'
READABLE = "the statement must be readable as adopted"
NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f'xmlns:w="{NS}"'


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args])


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "ws")
    (root / "templates").mkdir(exist_ok=True)  # the union's own overrides, trusted
    return root


def with_css(css: str, blocks: str = "") -> str:
    return EXTENDS + "{% block style %}{{ super() }}\n" + css + "\n{% endblock %}" + blocks


def laid_over(html: str) -> str:
    """A template that adds ``html`` to the letterhead, on page 1 (a club may change it)."""
    return EXTENDS + "{% block letterhead %}{{ super() }}" + html + "{% endblock %}"


def assert_refused(result, *parts: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for part in parts:
        assert part in result.output, result.output
    return result.output


# --------------------------------------------------------------------------- the PDF

# (what the attack does, the template, words the message must have)
PDF_ATTACKS = [
    ("white text", with_css(".body p:nth-child(2) { color: white }"), "contrast"),
    ("near-white text", with_css(".body { color: #f2f2f2 }"), "contrast"),
    ("transparent text", with_css(".body p:nth-child(2) { color: rgba(0,0,0,.05) }"), "contrast"),
    ("dark box behind", with_css(".body p:nth-child(2) { background: #222 }"), "contrast"),
    ("1 pt text", with_css(".body p:nth-child(2) { font-size: 1pt }"), "8 pt"),
    ("6 pt title", with_css(".title { font-size: 6pt }"), "8 pt"),
    (
        "a white box laid over",
        laid_over(
            '<div style="position: absolute; top: 105mm; left: 0; width: 170mm; '
            'height: 40mm; background: white">Vi tar avstand fra dette.</div>'
        ),
        "covered",
    ),
    (
        "three thin white veils laid over",
        laid_over(
            '<div style="position: absolute; top: 105mm; left: 0; width: 170mm; '
            'height: 40mm; background: white; opacity: .45"></div>' * 3
        ),
        "contrast",
    ),
    (
        "a changed copy in white above",
        EXTENDS + '{% block content %}<div style="color: white">Tiden er ikke inne for en '
        "handlingsplan mot menneskehandel</div>{{ letter.statement }}{% endblock %}",
        "cannot see them",
    ),
    (
        "a tiny note after",
        EXTENDS + "{% block content %}{{ letter.statement }}"
        '<p style="font-size: 1pt">Styret trekker denne uttalelsen.</p>{% endblock %}',
        "cannot see them",
    ),
    (
        "words laid over",
        laid_over(
            '<div style="position: absolute; top: 112mm; left: 0; width: 170mm">'
            "IKKE IKKE IKKE IKKE IKKE</div>"
        ),
        "covered",
    ),
    (
        "words after a forced page break",
        with_css(
            '.body p:nth-child(3)::before { content: "Vi er uenige i det følgende."; '
            "display: block; break-before: page }"
        ),
        "'Vi er uenige i det følgende.'",
    ),
    ("no introduction", with_css(".intro { display: none }"), "introduction"),
    (
        "another introduction",
        with_css(
            ".intro { display: none } .statement::before { display: block; content: "
            '"Styret i Bergen vedtok 1. mai 2025 følgende uttalelse:" }'
        ),
        "introduction",
    ),
    ("words after the introduction", with_css('.intro::after { content: " Men nei." }'), "Men"),
    ("words before the title", with_css('.title::before { content: "Ikke: " }'), "'Ikke:'"),
    ("transparent colour", with_css(".body p:nth-child(2) { color: transparent }"), "not painted"),
    (
        "a page head with other words where the statement breaks",
        with_css(
            ".body p:nth-child(3) { break-before: page } "
            '@page { @top-center { content: "Styret er uenig" } }'
        ),
        "'Styret er uenig' come between them (page 2",
    ),
    (
        "a paragraph pulled over the one before",
        with_css(".body p:nth-child(3) { margin-top: -12mm }"),
        "drawn over each other",
    ),
]


@pytest.mark.parametrize(
    ("template", "words"), [a[1:] for a in PDF_ATTACKS], ids=[a[0] for a in PDF_ATTACKS]
)
def test_a_club_template_that_changes_how_the_statement_reads_fails(ws, template, words):
    path = ws / "clubs" / "bergen" / "templates" / "letter.html.j2"
    path.write_text(template, encoding="utf-8")
    assert_refused(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        f"clubs/bergen/templates/letter.html.j2: {READABLE}: ",
        words,
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()


UNION_KINDS = {"white text", "a white box laid over", "another introduction", "1 pt text"}
UNION_ATTACKS = [attack for attack in PDF_ATTACKS if attack[0] in UNION_KINDS]


@pytest.mark.parametrize(
    ("template", "words"), [a[1:] for a in UNION_ATTACKS], ids=[a[0] for a in UNION_ATTACKS]
)
def test_the_unions_own_template_is_checked_too(ws, template, words):
    (ws / "templates" / "letter.html.j2").write_text(template, encoding="utf-8")
    assert_refused(
        run(ws, "build", LETTER, "--format", "pdf"),
        f"templates/letter.html.j2: {READABLE}: ",
        words,
    )
    assert not (ws / UNION_OUT / f"{LETTER}.pdf").exists()


def test_a_stylesheet_is_named_when_it_is_what_changed(ws: Path) -> None:
    builtin = (BUILTIN_REFERENCE.parent / "letter.css").read_text(encoding="utf-8")
    (ws / "templates" / "letter.css").write_text(builtin + "\n.title { color: #fff }\n")
    output = assert_refused(
        run(ws, "build", LETTER, "--format", "pdf"),
        f"templates/letter.css: {READABLE}: ",
        "page 1",
    )
    assert "white" in output


def test_a_template_that_only_changes_what_is_around_the_statement_builds(ws: Path) -> None:
    """Colours, sizes and boxes around the statement, and the club's own paragraphs: fine."""
    (ws / "clubs" / "bergen" / "templates" / "letter.html.j2").write_text(
        with_css(
            ".letterhead-name { color: #005a9c } .about { font-size: 7pt } "
            ".body { color: #333 } .statement { background: #fffbe6 }",
            '{% block letterhead %}<div style="background: #005a9c; color: white; '
            'padding: 2mm">Soroptimist International Bergen</div>{% endblock %}',
        ),
        encoding="utf-8",
    )
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf")
    assert result.exit_code == 0, result.output
    text = pdf_text(ws / CLUB_OUT / f"{LETTER}.pdf")
    assert "Tiden er inne for å få en handlingsplan" in text
    assert "Soroptimist International Norgesunionen vedtok" in text


def test_a_running_footer_with_the_clubs_address_builds(ws: Path) -> None:
    """The statement breaks across pages 1 and 2: a footer of the club's own details may
    come between its words, as lettersmith's own running header does."""
    (ws / "clubs" / "bergen" / "templates" / "letter.html.j2").write_text(
        with_css('@page { @bottom-center { content: "Postboks 123 · 5804 Bergen" } }'),
        encoding="utf-8",
    )
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf")
    assert result.exit_code == 0, result.output
    assert "5804 Bergen" in pdf_text(ws / CLUB_OUT / f"{LETTER}.pdf")


def test_a_running_footer_with_other_words_fails(ws: Path) -> None:
    (ws / "clubs" / "bergen" / "templates" / "letter.html.j2").write_text(
        with_css('@page { @bottom-center { content: "Styret er uenig" } }'),
        encoding="utf-8",
    )
    assert_refused(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        f"{READABLE}: the PDF of {LETTER} does not show the adopted title and body word for "
        "word: the words 'Styret er uenig' come between them (page 1",
    )


# --------------------------------------------------------------------------- the DOCX


def _rpr(style, name: str, attributes: str) -> None:
    style.element.get_or_add_rPr().append(parse_xml(f"<w:{name} {W} {attributes}/>"))


def white_body(doc) -> None:
    doc.styles["Body Text"].font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)


def near_white_normal(doc) -> None:
    """Body Text has no colour of its own: it takes Normal's, through basedOn."""
    doc.styles["Normal"].font.color.rgb = RGBColor(0xF4, 0xF4, 0xF4)


def white_defaults(doc) -> None:
    """No style says a colour: the document's defaults do."""
    for style in doc.styles:
        color = style.element.rPr.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}color"
        ) if style.element.rPr is not None else None  # fmt: skip
        if color is not None:
            color.getparent().remove(color)
    defaults = doc.styles.element.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}docDefaults"
    )
    rpr = defaults.find(".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rPr")
    rpr.append(parse_xml(f'<w:color {W} w:val="FFFFFF"/>'))


def tiny_intro(doc) -> None:
    doc.styles["Letter Intro"].font.size = Pt(1)


def theme_white_title(doc) -> None:
    _rpr(doc.styles["Letter Title"], "color", 'w:val="000000" w:themeColor="background1"')


def dark_shading(doc) -> None:
    ppr = doc.styles["Body Text"].element.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:shd {W} w:val="clear" w:color="auto" w:fill="111111"/>'))


def black_highlight(doc) -> None:
    _rpr(doc.styles["Body Text"], "highlight", 'w:val="black"')


def framed_body(doc) -> None:
    ppr = doc.styles["Body Text"].element.get_or_add_pPr()
    ppr.insert(
        0,
        parse_xml(
            f'<w:framePr {W} w:w="9000" w:h="300" w:hRule="exact" w:hAnchor="page" '
            'w:vAnchor="page" w:x="1400" w:y="9000"/>'
        ),
    )


def numbered_words(doc) -> None:
    """Body Text numbered with a label that is words: 'IKKE 1.' before each paragraph."""
    numbering = doc.part.numbering_part.element
    abstract = numbering.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}abstractNum"
    )
    abstract_id = abstract.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}abstractNumId"
    )
    lvl_text = abstract.find(
        ".//{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lvlText"
    )
    lvl_text.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val", "IKKE %1.")
    numbering.append(
        parse_xml(f'<w:num {W} w:numId="99"><w:abstractNumId w:val="{abstract_id}"/></w:num>')
    )
    ppr = doc.styles["Body Text"].element.get_or_add_pPr()
    ppr.insert(0, parse_xml(f'<w:numPr {W}><w:ilvl w:val="0"/><w:numId w:val="99"/></w:numPr>'))


def frame_in_header(doc) -> None:
    """A framed paragraph in the first page's header, placed at 120 mm: over the statement."""
    header = doc.sections[0].first_page_header._element
    header.append(
        parse_xml(
            f'<w:p {W}><w:pPr><w:framePr w:w="9000" w:h="1200" w:hAnchor="page" '
            'w:vAnchor="page" w:x="1400" w:y="6800"/></w:pPr>'
            "<w:r><w:t>Bergen-klubben er uenig.</w:t></w:r></w:p>"
        )
    )


TEXT_BOX = """<w:p {ns} xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><w:r><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" behindDoc="0"
 locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="page"><wp:posOffset>900000</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="page"><wp:posOffset>{y}</wp:posOffset></wp:positionV>
<wp:extent cx="5400000" cy="400000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>
<wp:docPr id="77" name="Tekstboks"/><a:graphic><a:graphicData
 uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>
<wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="5400000" cy="400000"/>
</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="FFFFFF"/>
</a:solidFill></wps:spPr><wps:txbx><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>
</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>
</w:drawing></w:r></w:p>"""


def text_box_over_body(doc) -> None:
    header = doc.sections[0].header._element  # pages 2+
    header.append(parse_xml(TEXT_BOX.format(ns=W, y=40 * 36000, text="Vi er uenige.")))


def exact_one_point_lines(doc) -> None:
    ppr = doc.styles["Body Text"].element.get_or_add_pPr()
    ppr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}spacing").attrib.update(
        {f"{{{NS}}}line": "20", f"{{{NS}}}lineRule": "exact"}
    )


def letters_pushed_together(doc) -> None:
    _rpr(doc.styles["Body Text"], "spacing", 'w:val="-200"')


def indented_off_the_page(doc) -> None:
    ppr = doc.styles["Letter Title"].element.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:ind {W} w:left="-20000"/>'))


def transparent_letters(doc) -> None:
    doc.styles["Body Text"].element.get_or_add_rPr().append(
        parse_xml(
            '<w14:textFill xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml">'
            "<w14:noFill/></w14:textFill>"
        )
    )


def engraved_letters(doc) -> None:
    _rpr(doc.styles["Body Text"], "imprint", "")


def table_over_body(doc) -> None:
    """A table in the first page's header, floated down to 150 mm."""
    header = doc.sections[0].first_page_header._element
    header.insert(
        0,
        parse_xml(
            f'<w:tbl {W}><w:tblPr><w:tblpPr w:vertAnchor="page" w:horzAnchor="page" '
            'w:tblpX="1400" w:tblpY="8500"/><w:tblW w:w="9000" w:type="dxa"/></w:tblPr>'
            '<w:tblGrid><w:gridCol w:w="9000"/></w:tblGrid><w:tr><w:tc><w:p><w:r>'
            "<w:t>Ikke vedtatt.</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
        ),
    )


def superscript_body(doc) -> None:
    """8 pt, as superscript: Word draws it at two thirds of that."""
    doc.styles["Body Text"].font.size = Pt(8)
    _rpr(doc.styles["Body Text"], "vertAlign", 'w:val="superscript"')


def struck_body(doc) -> None:
    _rpr(doc.styles["Body Text"], "dstrike", "")


def fitted_body(doc) -> None:
    """Each run squeezed into 10 pt of width."""
    _rpr(doc.styles["Body Text"], "fitText", 'w:val="200" w:id="1"')


def solid_shading(doc) -> None:
    """A "solid" pattern shows its pattern colour (black), not its fill (white)."""
    ppr = doc.styles["Body Text"].element.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:shd {W} w:val="solid" w:color="000000" w:fill="FFFFFF"/>'))


SHAPE = """<w:p {ns} xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><w:r><w:drawing>
<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="2" behindDoc="1"
 locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="page"><wp:posOffset>0</wp:posOffset></wp:positionV>
<wp:extent cx="7560000" cy="10692000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>
<wp:docPr id="78" name="Flate"/><a:graphic><a:graphicData
 uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp>
<wps:cNvSpPr/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="7560000" cy="10692000"/>
</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:solidFill><a:srgbClr val="{fill}"/>
</a:solidFill></wps:spPr><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>
</w:drawing></w:r></w:p>"""


def dark_shape_behind(doc) -> None:
    """A page-sized black shape behind the text, from every later page's header."""
    doc.sections[0].header._element.append(parse_xml(SHAPE.format(ns=W, fill="111111")))


def vml_rounded_box(doc) -> None:
    """Word's older drawings: a rounded box with words, placed over the body."""
    doc.sections[0].first_page_header._element.append(
        parse_xml(
            f'<w:p {W} xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:pict><v:roundrect '
            'style="position:absolute;margin-left:0;margin-top:300pt;width:500pt;height:100pt" '
            'fillcolor="white"><v:textbox><w:txbxContent><w:p><w:r><w:t>IKKE VEDTATT</w:t></w:r>'
            "</w:p></w:txbxContent></v:textbox></v:roundrect></w:pict></w:r></w:p>"
        )
    )


def sideways_page(doc) -> None:
    doc.element.body.sectPr.append(parse_xml(f'<w:textDirection {W} w:val="tbRl"/>'))


def narrow_columns(doc) -> None:
    """Twelve columns with no gap: a strip of a word or less."""
    section = doc.element.body.sectPr
    for columns in section.findall(f"{{{NS}}}cols"):
        section.remove(columns)
    section.append(parse_xml(f'<w:cols {W} w:num="12" w:space="0"/>'))


def combined_letters(doc) -> None:
    _rpr(doc.styles["Body Text"], "eastAsianLayout", 'w:id="1" w:combine="1"')


def symbol_font(doc) -> None:
    doc.styles["Body Text"].font.name = "Wingdings"


def symbol_theme_font(doc) -> None:
    """The theme's body font made Webdings, and Body Text set in the theme's body font."""
    theme = next(p for p in doc.part.package.parts if "theme" in str(p.partname))
    theme._blob = re.sub(
        rb'(<a:minorFont>\s*<a:latin typeface=")[^"]*"', rb'\1Webdings"', theme.blob
    )
    _rpr(doc.styles["Body Text"], "rFonts", 'w:asciiTheme="minorHAnsi" w:hAnsiTheme="minorHAnsi"')


def multiple_lines_squeezed(doc) -> None:
    """Line spacing "multiple" at a tenth of a line."""
    spacing = doc.styles["Body Text"].element.get_or_add_pPr().find(f"{{{NS}}}spacing")
    spacing.attrib.update({f"{{{NS}}}line": "24", f"{{{NS}}}lineRule": "auto"})


def white_words_in_header(doc) -> None:
    """Other words, white on the page, in the first page's header: unseen, but in the text."""
    doc.sections[0].first_page_header._element.append(
        parse_xml(
            f'<w:p {W}><w:r><w:rPr><w:color w:val="FFFFFF"/></w:rPr>'
            "<w:t>Styret trekker denne uttalelsen.</w:t></w:r></w:p>"
        )
    )


DOCX_ATTACKS = [
    (white_body, "Body Text", "contrast"),
    (near_white_normal, "'Normal' (which", "contrast"),
    (white_defaults, "default text settings", "contrast"),
    (tiny_intro, "Letter Intro", "8 pt"),
    (theme_white_title, "Letter Title", "contrast"),
    (dark_shading, "Body Text", "contrast"),
    (black_highlight, "Body Text", "contrast"),
    (framed_body, "Body Text", "frame"),
    (numbered_words, "Body Text", "'IKKE'"),
    (frame_in_header, "header", "over the statement"),
    (text_box_over_body, "header", "over the statement"),
    (exact_one_point_lines, "Body Text", "over each other"),
    (letters_pushed_together, "Body Text", "into each other"),
    (indented_off_the_page, "Letter Title", "off the page"),
    (transparent_letters, "Body Text", "with nothing"),
    (engraved_letters, "Body Text", "engraved"),
    (table_over_body, "header", "'Ikke vedtatt.'"),
    (superscript_body, "Body Text", "5.3 pt"),
    (struck_body, "Body Text", "strikes the statement through"),
    (fitted_body, "Body Text", "fit text"),
    (solid_shading, "Body Text", "contrast"),
    (dark_shape_behind, "header", "over the statement"),
    (vml_rounded_box, "header", "'IKKE VEDTATT'"),
    (sideways_page, "section", "text direction"),
    (narrow_columns, "columns", "1.2 cm wide"),
    (combined_letters, "Body Text", "combine characters"),
    (symbol_font, "Body Text", "Wingdings, a font of symbols"),
    (symbol_theme_font, "Body Text", "Webdings, a font of symbols"),
    (multiple_lines_squeezed, "Body Text", "0.10 lines apart"),
    (white_words_in_header, "header", "words a reader cannot see"),
]


@pytest.mark.parametrize(
    ("change", "where", "words"), DOCX_ATTACKS, ids=[a[0].__name__ for a in DOCX_ATTACKS]
)
def test_a_club_letter_docx_that_changes_how_the_statement_reads_fails(ws, change, where, words):
    doc = Document(str(BUILTIN_REFERENCE))
    change(doc)
    doc.save(str(ws / "clubs" / "bergen" / "templates" / "letter.docx"))
    output = assert_refused(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "docx"),
        f"clubs/bergen/templates/letter.docx: {READABLE}: ",
        words,
    )
    assert where in output
    assert not (ws / CLUB_OUT / f"{LETTER}.docx").exists()


def test_the_unions_own_letter_docx_is_checked_too(ws: Path) -> None:
    doc = Document(str(BUILTIN_REFERENCE))
    white_body(doc)
    doc.save(str(ws / "templates" / "letter.docx"))
    assert_refused(
        run(ws, "build", LETTER, "--format", "docx"),
        f"templates/letter.docx: {READABLE}: ",
        "'Body Text'",
    )


def test_a_letter_docx_with_its_own_look_and_a_box_in_the_header_builds(ws: Path) -> None:
    doc = Document(str(BUILTIN_REFERENCE))
    doc.styles["Body Text"].font.color.rgb = RGBColor(0x33, 0x33, 0x55)
    doc.styles["Letter Title"].font.size = Pt(16)
    doc.styles["About"].font.size = Pt(6)  # not the statement: the club's to choose
    header = doc.sections[0].first_page_header._element
    header.append(parse_xml(TEXT_BOX.format(ns=W, y=8 * 36000, text="Klubbens motto")))
    doc.save(str(ws / "clubs" / "bergen" / "templates" / "letter.docx"))
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "docx")
    assert result.exit_code == 0, result.output
    assert "Tiden er inne for å få en handlingsplan" in docx_text(ws / CLUB_OUT / f"{LETTER}.docx")


def test_a_pale_tint_behind_the_text_builds(ws: Path) -> None:
    """A shape behind the text in a pale colour (a tinted page) keeps the statement readable."""
    doc = Document(str(BUILTIN_REFERENCE))
    doc.sections[0].header._element.append(parse_xml(SHAPE.format(ns=W, fill="FFF8E6")))
    doc.save(str(ws / "clubs" / "bergen" / "templates" / "letter.docx"))
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "docx")
    assert result.exit_code == 0, result.output


def highlight_over_dark_shading(doc, style: str) -> None:
    """Black letters, highlighted yellow, on black character shading: Word and LibreOffice
    draw the highlight over the shading, so they read black on yellow."""
    _rpr(doc.styles[style], "color", 'w:val="000000"')
    _rpr(doc.styles[style], "highlight", 'w:val="yellow"')
    _rpr(doc.styles[style], "shd", 'w:val="clear" w:color="auto" w:fill="000000"')


@pytest.mark.parametrize("style", ["Body Text", "About"])
def test_a_highlight_is_judged_over_the_shading_in_the_statement_and_around_it(ws, style):
    """What is behind a word is decided once: the statement (Body Text) and the other words
    of the letter (About) are read against the same colour."""
    doc = Document(str(BUILTIN_REFERENCE))
    highlight_over_dark_shading(doc, style)
    doc.save(str(ws / "clubs" / "bergen" / "templates" / "letter.docx"))
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "docx")
    assert result.exit_code == 0, result.output


def test_a_copy_of_the_builtin_reference_is_untouched_by_the_check(ws: Path) -> None:
    """The built-in reference, saved as the union's: exactly what a secretary starts from."""
    doc = Document(str(BUILTIN_REFERENCE))
    doc.save(str(ws / "templates" / "letter.docx"))
    result = run(ws, "build", LETTER, "--format", "docx")
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- a club's font


def blank_font(path: Path) -> None:
    """The house sans with its "e" and "n" drawn as nothing: the text layer keeps the words."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    from lettersmith.render.style import FONT_DIR

    font = TTFont(str(FONT_DIR / "IBMPlexSans-Regular.ttf"))
    cmap = font.getBestCmap()
    for letter in "en":
        font["glyf"][cmap[ord(letter)]] = Glyph()
    font.save(str(path))


def test_a_club_font_that_draws_letters_blank_fails(ws: Path) -> None:
    """The text layer keeps the words, but a font whose "e" and "n" are empty shows gaps."""
    blank_font(ws / "clubs" / "bergen" / "assets" / "blank.ttf")
    club = ws / "clubs" / "bergen.yaml"
    club.write_text(
        club.read_text().replace("organisation:\n", "organisation:\n  font: assets/blank.ttf\n")
    )
    assert_refused(
        run(ws, "build", LETTER, "--club", "bergen"),
        "blank.ttf: cannot use this font: it draws the letters e n blank",
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()
    assert_refused(
        run(ws, "check"),
        "clubs/bergen/assets/blank.ttf: cannot read this font: it draws the letters e n blank",
    )


def test_a_stylesheet_font_that_draws_letters_blank_fails(ws: Path) -> None:
    """The same font loaded by a trusted club's stylesheet (@font-face), from its assets."""
    blank_font(ws / "clubs" / "bergen" / "assets" / "blank.ttf")
    (ws / "clubs" / "bergen" / "templates" / "letter.html.j2").write_text(
        with_css(
            '@font-face { font-family: Blank; src: url("clubs/bergen/assets/blank.ttf") } '
            ".statement { font-family: Blank }"
        ),
        encoding="utf-8",
    )
    assert_refused(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        "clubs/bergen/assets/blank.ttf: refused: cannot use this font: it draws the letters e n",
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()
