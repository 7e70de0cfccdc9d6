"""How the letter is set, read back from the PDF as a reader's eye meets it: hyphenation and
the right edge, the page header, page numbers, the about paragraph, the reference block."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pikepdf
import pyphen
import pytest
from click.testing import CliRunner

from factories import make_letter, para
from lettersmith.app.project import Project
from lettersmith.cli import main
from lettersmith.compose import i18n
from lettersmith.errors import LettersmithError, RenderError
from lettersmith.model import Addressee, Sender
from lettersmith.render.docx import render_docx
from lettersmith.render.locked import check_pdf
from lettersmith.render.pdf import render_pdf
from lines import MM, Line, between, body_size, marked_texts, pdf_lines, rag
from readback import HYPHENATION
from workspaces import REPO, copy_example, many_recipients, write_files

MEASURE = 145.0  # mm: the body's width (render/style.py, 210 - 25 - 40)
LEFT = 25.0
LEADING = 16 / MM

# One recipient, as "Deres ref." is printed for.
ADDRESSEE = (
    Addressee(
        "smk",
        ("Statsminister Jonas Gahr Støre", "postmottak@smk.dep.no"),
        "postmottak@smk.dep.no",
        "Jonas Gahr Støre",
    ),
)

# A paragraph of long Norwegian words, to be hyphenated in any language's patterns.
LONG = (
    "Koordineringsenhetene forplikter opptrappingsplanene samfunnsproblemene "
    "menneskehandelsarbeidet. Menneskehandel er et stort nasjonalt og internasjonalt "
    "samfunnsproblem som krever koordineringsenheter, opptrappingsplaner og forpliktende "
    "handlingsplaner. "
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> bytes:
    """The example's letter (the reference letter), as built."""
    root = copy_example(tmp_path_factory.mktemp("example"))
    mailing = Project.open(root).mailing("menneskehandel-2024")
    return render_pdf(mailing.letters[0])


def hyphenated(data: bytes) -> list[str]:
    return [line.text for line in pdf_lines(data) if line.text.endswith(HYPHENATION)]


# --------------------------------------------------------------------------- hyphenation


def test_the_reference_letters_right_edge_is_calm(reference):
    """Before hyphenation the shortest full line of a paragraph was 109 mm of 145."""
    lines = between(pdf_lines(reference), "Tiden er inne", "Vennlig hilsen")
    shares = rag(lines, LEFT, MEASURE, LEADING)
    assert len(shares) >= 10
    assert min(shares) >= 0.88, [round(share * MEASURE) for share in shares]


def test_running_text_is_hyphenated_but_names_title_and_address_are_not(reference):
    broken = hyphenated(reference)
    assert broken, "no word of the reference letter is hyphenated"
    lines = pdf_lines(reference)
    body = body_size(lines)
    for line in lines:
        if line.text.endswith(HYPHENATION):
            assert abs(line.size - body) < 0.2 or line.size < body, line  # body or about text
    title = [line for line in lines if line.text.startswith("Tiden er inne")]
    assert title[0].text == "Tiden er inne for å få en handlingsplan mot menneskehandel"
    names = ("Karin Dahlberg Pettersen", "Unionspresident", "Halden, 10.12.2024")
    for name in names:
        assert any(line.text == name for line in lines), name


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_letters_language_finds_its_own_hyphenation_patterns(language):
    """WeasyPrint looks the element's lang up with pyphen.language_fallback: "nb" and "nn" must
    find pyphen's bokmål and nynorsk patterns, not nothing (no hyphenation) or one another's."""
    assert pyphen.language_fallback(language) == language
    patterns = {name: pyphen.Pyphen(lang=name) for name in ("nb", "nn")}
    if language != "en":
        assert patterns[language].inserted("menneskehandel") == "men-neske-han-del"


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_bokmal_and_nynorsk_letters_are_hyphenated_in_their_language(tmp_path, language):
    letter = make_letter(tmp_path, language=language, body=(para(LONG * 3),))
    data = render_pdf(letter)
    assert hyphenated(data)
    check_pdf(data, letter, "letter.html.j2")  # a reader reads the broken words whole


def test_a_hyphen_is_never_left_with_fewer_than_three_letters(tmp_path):
    letter = make_letter(tmp_path, body=tuple(para(LONG * 2) for _ in range(3)))
    data = render_pdf(letter)
    lines = pdf_lines(data)
    for index, line in enumerate(lines):
        if line.text.endswith(HYPHENATION):
            before = line.text.split()[-1].rstrip(HYPHENATION)
            after = lines[index + 1].text.split()[0]
            assert len(before.strip("«(")) >= 3 and len(after.rstrip(".,;:»)")) >= 3, line.text


def test_a_word_hyphenated_across_a_page_break_still_reads_as_adopted(tmp_path):
    """The page's last line ends "forplik-", the next page's first starts "tende", and the
    page header comes between them in the text: the statement check reads one word."""
    body = tuple(para(LONG * 3) for _ in range(7)) + (para(LONG * 2),)
    letter = make_letter(tmp_path, body=body)
    data = render_pdf(letter)
    lines = [line for line in pdf_lines(data) if line.left < LEFT + 1]
    last_on_page_1 = [line for line in lines if line.page == 1][-1]
    assert last_on_page_1.text.endswith(HYPHENATION), "the layout changed: find another body"
    check_pdf(data, letter, "letter.html.j2")


def test_a_broken_words_rest_is_read_even_where_a_page_footer_may_show_the_same_word(tmp_path):
    """The rest of "bekym-ring" is also a word of the sender's address, which a page's footer
    may show: on the line below, it is read as the word's rest, not as the footer's."""
    text = (
        "Soroptimist International Norgesunionen (SI Norge) ser med stor bekymring på den "
        "omfattende menneskehandelen som foregår både i Norge og internasjonalt."
    )
    sender = Sender(name="Soroptimist International Norgesunionen", address=("ring", "1751 Halden"))
    letter = make_letter(tmp_path, sender=sender, body=(para(text),))
    data = render_pdf(letter)
    assert any(line.endswith(f"bekym{HYPHENATION}") for line in hyphenated(data))
    check_pdf(data, letter, "letter.html.j2")


def test_a_hyphenate_character_cannot_slip_words_into_the_statement(tmp_path):
    """A template's stylesheet may set the character drawn at a break; words in it are read."""
    css = (
        "{% extends 'builtin/letter.html.j2' %}{% block style %}{{ super() }}"
        'main p { hyphenate-character: " ikke\\2010"; }{% endblock %}'
    )
    folder = write_files(tmp_path / "templates", {"letter.html.j2": css})
    letter = make_letter(tmp_path, body=(para(LONG * 3),), template_dirs=(folder,))
    data = render_pdf(letter)
    assert any("ikke" in line for line in hyphenated(data))
    with pytest.raises(RenderError, match="word for word"):
        check_pdf(data, letter, "templates/letter.html.j2")


def test_a_three_page_letters_right_edge_is_calm(tmp_path):
    body = tuple(para(LONG * 2) for _ in range(12))
    letter = make_letter(tmp_path, body=body)
    data = render_pdf(letter)
    lines = pdf_lines(data)
    assert max(line.page for line in lines) >= 3
    shares = rag(between(lines, "Tiden er inne", "Vennlig hilsen"), LEFT, MEASURE, LEADING)
    assert min(shares) >= 0.88, [round(share * MEASURE) for share in shares]


# --------------------------------------------------------------------------- the page header


LONG_NAME = "Soroptimist International Norgesunionen, Region Nord-Norge og Svalbard"


def header_lines(data: bytes, page: int) -> list[Line]:
    """The lines above the body on a later page: its header."""
    return [line for line in pdf_lines(data) if line.page == page and line.top < 20]


def test_the_later_pages_header_is_one_line_with_the_short_name_where_the_name_is_long(
    tmp_path,
):
    sender = Sender(name=LONG_NAME, short_name="SI Nord-Norge")
    letter = make_letter(tmp_path, sender=sender, body=tuple(para(LONG * 2) for _ in range(8)))
    data = render_pdf(letter)
    pages = max(line.page for line in pdf_lines(data))
    assert pages >= 2
    for page in range(2, pages + 1):
        header = header_lines(data, page)
        assert [line.text for line in header] == [
            f"SI Nord-Norge Halden, 10.12.2024 Side {page} av {pages}"
        ]
    check_pdf(data, letter, "letter.html.j2")  # the short name is allowed furniture


def test_a_name_that_fits_is_printed_whole_in_the_header(reference):
    assert [line.text for line in header_lines(reference, 2)] == [
        "Soroptimist International Norgesunionen Halden, 10.12.2024 Side 2 av 2"
    ]


def test_the_header_and_page_numbers_are_artifacts_a_screen_reader_skips(reference):
    pages = marked_texts(reference)
    furniture = [
        " ".join("".join(text for text, marks in page if "Artifact" in marks).split())
        for page in pages
    ]
    assert furniture == [
        "Side 1 av 2",
        "Soroptimist International Norgesunionen Halden, 10.12.2024 Side 2 av 2",
    ]
    # Everything else is tagged content, read in order.
    for page in pages:
        for text, marks in page:
            assert marks in (("Artifact",), ("Span",)), (text, marks)


# --------------------------------------------------------------------------- page numbers


def test_every_page_of_a_longer_letter_is_numbered_and_page_1_at_its_foot(reference):
    lines = pdf_lines(reference)
    first = [line for line in lines if line.page == 1]
    assert first[-1].text == "Side 1 av 2"
    assert first[-1].top > 297 - 22  # in the bottom margin
    assert abs(first[-1].right - (210 - 40)) < 1  # on the body's right edge
    assert any(line.text.endswith("Side 2 av 2") for line in lines if line.page == 2)


def test_a_one_page_letter_has_no_page_number(tmp_path):
    data = render_pdf(make_letter(tmp_path))
    lines = pdf_lines(data)
    assert {line.page for line in lines} == {1}
    assert not [line for line in lines if "Side" in line.text]
    assert not [text for text, marks in marked_texts(data)[0] if "Artifact" in marks]


def docx_part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name).decode("utf-8")


def field_codes(xml: str) -> str:
    """The instructions of a part's complex fields, in order, as Word reads them."""
    return html.unescape("".join(re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", xml)))


def test_the_docx_numbers_page_1_with_fields_every_reader_counts(tmp_path):
    """Page 1's footer holds plain PAGE and NUMPAGES fields (no IF field: LibreOffice cannot
    work one out and printed its bare numbers, "212"), as the later pages' header does."""
    data = render_docx(make_letter(tmp_path))
    footers = [docx_part(data, name) for name in _parts(data, "word/footer")]
    assert any('w:instr=" PAGE "' in xml and 'w:instr=" NUMPAGES "' in xml for xml in footers)
    assert not any(" IF " in field_codes(xml) for xml in footers)
    later = [docx_part(data, name) for name in _parts(data, "word/header")]
    assert any('w:instr=" PAGE "' in xml and 'w:instr=" NUMPAGES "' in xml for xml in later)


def _parts(data: bytes, prefix: str) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return [name for name in package.namelist() if name.startswith(prefix)]


# --------------------------------------------------------------------------- about paragraph


def test_the_about_paragraph_is_set_at_a_readable_measure(reference):
    lines = pdf_lines(reference)
    about = [line for line in lines if line.page == 2 and line.size < body_size(lines) - 2]
    about = [line for line in about if line.top > 100]  # below the signature, not the header
    assert len(about) >= 5
    lengths = [len(line.text) for line in about[:-1]]
    assert min(lengths) >= 60 and max(lengths) <= 78, lengths


def test_the_letterhead_names_the_organisation_once(reference):
    """The logo's words were a second name in a system font; the emblem now has none."""
    first = [line.text for line in pdf_lines(reference) if line.page == 1 and line.top < 45]
    assert first.count("Soroptimist International Norgesunionen") == 1
    assert "Norgesunionen" not in first and "Soroptimist International" not in first


@pytest.mark.parametrize(
    "logo",
    [REPO / "assets" / "logo.svg", REPO / "clubs" / "bergen" / "assets" / "logo.svg",
     REPO / "src" / "lettersmith" / "data" / "init" / "assets" / "logo.svg"],
)  # fmt: skip
def test_the_example_logos_carry_no_text_in_a_system_font(logo):
    svg = logo.read_text(encoding="utf-8")
    assert "<text" not in svg and "font-family" not in svg
    assert "<path" in svg  # the initials, outlined in the house font


# --------------------------------------------------------------------------- reference block


def test_the_reference_block_stands_right_of_the_address_field_above_the_date(tmp_path):
    plain = pdf_lines(render_pdf(make_letter(tmp_path)))
    letter = make_letter(
        tmp_path, reference="2024/17", their_reference="24/1234", addressees=ADDRESSEE
    )
    data = render_pdf(letter)
    lines = pdf_lines(data)
    ours, theirs, date = (
        next(line for line in lines if line.text == text)
        for text in ("Vår ref.: 2024/17", "Deres ref.: 24/1234", "Halden, 10.12.2024")
    )
    assert ours.top < theirs.top < date.top
    assert abs(ours.right - date.right) < 0.5 and abs(theirs.right - date.right) < 0.5
    assert ours.left > 20 + 85  # right of the window
    assert ours.top > 45 and date.top < 45 + 45  # level with the window field
    # The date line and the address field stay where they were without a reference.
    before = next(line for line in plain if line.text == "Halden, 10.12.2024")
    assert abs(before.top - date.top) < 0.1
    window = [line for line in lines if line.text.startswith("Statsminister")]
    assert (
        abs(window[0].top - next(x for x in plain if x.text.startswith("Statsminister")).top) < 0.1
    )
    check_pdf(data, letter, "letter.html.j2")


@pytest.mark.parametrize(
    ("language", "ours", "theirs"),
    [("nb", "Vår ref.", "Deres ref."), ("nn", "Vår ref.", "Dykkar ref."),
     ("en", "Our ref.", "Your ref.")],
)  # fmt: skip
def test_the_reference_block_speaks_the_letters_language(tmp_path, language, ours, theirs):
    letter = make_letter(
        tmp_path,
        language=language,
        phrases=i18n.phrases(language),
        reference="2024/17",
        their_reference="24/1234",
        addressees=ADDRESSEE,
    )
    texts = [line.text for line in pdf_lines(render_pdf(letter))]
    assert f"{ours}: 2024/17" in texts and f"{theirs}: 24/1234" in texts
    docx = docx_part(render_docx(letter), "word/document.xml")
    assert f"{ours}: 2024/17" in docx and f"{theirs}: 24/1234" in docx


def test_a_letter_without_references_shows_no_block(reference):
    assert not [line for line in pdf_lines(reference) if "ref." in line.text]


def reference_workspace(tmp_path, mode: str, to: str) -> Project:
    root = copy_example(tmp_path)
    letter = root / "letters" / "menneskehandel-2024.yaml"
    text = letter.read_text(encoding="utf-8").replace("to: [smk, hod, jd]", f"to: {to}")
    text = text.replace("mode: joint", f"mode: {mode}\nreference: 2024/17")
    letter.write_text(text, encoding="utf-8")
    register = root / "recipients.yaml"
    text = register.read_text(encoding="utf-8")
    text = text.replace(
        "smk:\n  office: no/smk\n", "smk:\n  office: no/smk\n  their_reference: 24/1234\n"
    )
    register.write_text(text, encoding="utf-8")
    return Project.open(root)


def test_references_come_from_the_letter_file_and_the_register(tmp_path):
    letters = (
        reference_workspace(tmp_path, "each", "[smk, hod]").mailing("menneskehandel-2024").letters
    )
    assert [(x.stem, x.reference, x.their_reference) for x in letters] == [
        ("smk", "2024/17", "24/1234"),
        ("hod", "2024/17", None),
    ]


def test_a_joint_letter_to_several_has_no_their_reference(tmp_path):
    project = reference_workspace(tmp_path, "joint", "[smk, hod]")
    (letter,) = project.mailing("menneskehandel-2024").letters
    assert (letter.reference, letter.their_reference) == ("2024/17", None)
    alone = reference_workspace(tmp_path / "alone", "joint", "[smk]")
    assert alone.mailing("menneskehandel-2024").letters[0].their_reference == "24/1234"


# --------------------------------------------------------------------- the statement's language


def struct_langs(data: bytes) -> list[tuple[str, str]]:
    """The structure elements that carry a /Lang of their own, as (type, language)."""
    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        todo = list(pdf.Root.StructTreeRoot.K)
        while todo:
            element = todo.pop(0)
            if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") != "/StructElem":
                continue
            if "/Lang" in element:
                found.append((str(element.S), str(element.Lang)))
            kids = element.get("/K")
            todo.extend(kids if isinstance(kids, pikepdf.Array) else [kids])
        return found


def test_a_statement_in_another_language_is_tagged_with_its_own(tmp_path):
    letter = make_letter(tmp_path, language="nn", statement_language="nb")
    data = render_pdf(letter)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "nn"
    assert struct_langs(data) == [("/H1", "nb"), ("/Div", "nb")]
    check_pdf(data, letter, "letter.html.j2")


def test_a_statement_in_the_letters_language_has_no_language_of_its_own(reference):
    assert struct_langs(reference) == []


def test_a_nynorsk_clubs_letter_marks_the_unions_bokmal_statement(tmp_path):
    root = copy_example(tmp_path)
    (letter,) = Project.open(root).mailing("menneskehandel-2024", club="bergen").letters
    assert (letter.language, letter.statement_language) == ("nn", "nb")
    assert ("/H1", "nb") in struct_langs(render_pdf(letter))


def test_a_batch_with_some_their_references_gives_each_letter_its_own(tmp_path):
    """Letters with a "Deres ref." leave the batch path; the others are stamped as before."""
    root = many_recipients(tmp_path, 8, their_reference_every=4)
    result = CliRunner().invoke(main, ["-w", str(root), "build", "--format", "pdf"])
    assert result.exit_code == 0, result.output
    out = root / "out" / "menneskehandel-2024"
    for number in range(8):
        lines = [line.text for line in pdf_lines((out / f"r{number:05d}.pdf").read_bytes())]
        assert f"Ordfører Person Nummer {number}" in lines
        theirs = [line for line in lines if line.startswith("Deres ref.")]
        assert theirs == ([f"Deres ref.: 24/{number}"] if number % 4 == 0 else [])


def test_check_asks_for_a_short_name_where_the_name_is_too_long_for_the_header(tmp_path):
    root = copy_example(tmp_path)
    settings = root / "lettersmith.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("Norgesunionen\n", "Norgesunionen, Region Nord-Norge\n", 1))
    warnings = Project.open(root).check().warnings
    assert (
        "lettersmith.yaml: warning: the organisation's name has 58 characters, more than the "
        "header of pages 2 and on holds on one line; add organisation.short_name (at most 40 "
        "characters), e.g. short_name: SI Norgesunionen"
    ) in warnings
    settings.write_text(
        settings.read_text(encoding="utf-8").replace(
            "  about:", "  short_name: SI Nord-Norge\n  about:", 1
        )
    )
    assert not [w for w in Project.open(root).check().warnings if "short_name" in w]


def test_a_short_name_longer_than_the_header_holds_is_refused(tmp_path):
    root = copy_example(tmp_path)
    settings = root / "lettersmith.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("  about:", "  short_name: " + "x" * 41 + "\n  about:", 1))
    with pytest.raises(LettersmithError, match=r"lettersmith.yaml:4: organisation.short_name: "):
        Project.open(root).check()


def test_the_docx_hyphenates_running_text_and_keeps_names_and_titles_whole(tmp_path):
    data = render_docx(make_letter(tmp_path))
    settings = docx_part(data, "word/settings.xml")
    assert "<w:autoHyphenation/>" in settings
    assert re.search(r'<w:hyphenationZone w:val="\d+"/>', settings)
    styles = docx_part(data, "word/styles.xml")
    for style in ("LetterTitle", "LetterIntro", "Signature", "LetterAddress", "Heading1"):
        definition = re.search(rf'w:styleId="{style}".*?</w:style>', styles, re.S)
        assert definition and "<w:suppressAutoHyphens/>" in definition.group(0), style
    about = re.search(r'w:styleId="About".*?</w:style>', styles, re.S)
    assert about and "suppressAutoHyphens" not in about.group(0)
