"""How the letter is set, read back from the PDF as a reader's eye meets it: hyphenation and
the right edge, the page header, page numbers, the about paragraph, the reference block."""

from __future__ import annotations

import pytest

from factories import make_letter, para
from lettersmith.app.project import Project
from lettersmith.errors import RenderError
from lettersmith.render.locked import check_pdf
from lettersmith.render.pdf import render_pdf
from lines import MM, between, body_size, pdf_lines, rag
from readback import HYPHENATION
from workspaces import copy_example, write_files

MEASURE = 145.0  # mm: the body's width (render/style.py, 210 - 25 - 40)
LEFT = 25.0
LEADING = 16 / MM

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
