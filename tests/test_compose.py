"""Composition: the words of the letter, in the letter's language, before any layout."""

import datetime as dt

import pytest

from lettersmith.compose.letter import return_address
from lettersmith.compose.resolve import resolve
from lettersmith.errors import WorkspaceError
from lettersmith.load.workspace import load
from lettersmith.model import Heading, ListBlock, Paragraph
from workspaces import minimal


def test_each_mode_makes_one_letter_per_recipient_naming_only_that_recipient(tmp_path):
    ws = load(minimal(tmp_path))
    letters = resolve(ws, "brev").letters
    assert [letter.stem for letter in letters] == ["a", "b", "c"]
    assert [letter.addressees[0].lines for letter in letters] == [
        ("Kunnskapsminister Anne Alfa", "postmottak@a.example.no"),
        ("Helseminister Bjørn Beta", "postmottak@b.example.no"),
        ("Casa kommune", "post@c.example.no"),
    ]
    assert all(len(letter.addressees) == 1 for letter in letters)


def test_joint_mode_addresses_everyone_in_one_letter(tmp_path):
    brev = "position: sak\nto: [a, b]\nmode: joint\nsignatory: leder\n"
    ws = load(minimal(tmp_path, {"letters/brev.yaml": brev}))
    [letter] = resolve(ws, "brev", today=dt.date(2025, 1, 2)).letters
    assert letter.stem == "brev"
    assert [a.id for a in letter.addressees] == ["a", "b"]
    assert letter.date_line == "Oslo, 02.01.2025"


def test_to_selector_narrows_the_recipients_and_refuses_one_that_matches_none(tmp_path):
    ws = load(minimal(tmp_path))
    assert resolve(ws, "brev", selectors=["tag:dep"]).selected == ("a", "b")
    brev = "position: sak\nto: [a]\nsignatory: leder\n"
    ws = load(minimal(tmp_path / "other", {"letters/brev.yaml": brev}))
    with pytest.raises(WorkspaceError, match="matches none of its recipients"):
        resolve(ws, "brev", selectors=["b"])


@pytest.mark.parametrize(
    ("language", "closing", "date_line", "intro"),
    [
        # A no-break space ties the day to its month: "1. mars" never splits over two lines.
        ("nb", "Vennlig hilsen", "Oslo, 10.03.2025", "vedtok på Årsmøtet 1.\xa0mars 2025 følgende"),
        (
            "nn",
            "Venleg helsing",
            "Oslo, 10.03.2025",
            "vedtok på Årsmøtet 1.\xa0mars 2025 følgjande",
        ),
        ("en", "Kind regards", "Oslo, 10 March 2025", "at Årsmøtet on 1\xa0March 2025:"),
    ],
)
def test_fixed_phrases_and_dates_follow_the_language(tmp_path, language, closing, date_line, intro):
    root = minimal(tmp_path)
    text = (root / "lettersmith.yaml").read_text().replace("language: nb", f"language: {language}")
    (root / "lettersmith.yaml").write_text(text)
    ws = load(root)
    letter = resolve(ws, "brev").letters[0]
    assert letter.closing == closing
    assert letter.date_line == date_line
    assert intro in letter.intro
    assert letter.intro.startswith("Testforeningen ")


def test_a_recipients_language_wins_in_each_mode(tmp_path):
    register = (minimal(tmp_path) / "recipients.yaml").read_text()
    register = register.replace("  tags: [dep]\nb:", "  tags: [dep]\n  language: en\nb:", 1)
    (tmp_path / "recipients.yaml").write_text(register)
    ws = load(tmp_path)
    closings = [letter.closing for letter in resolve(ws, "brev").letters]
    assert closings == ["Kind regards", "Vennlig hilsen", "Vennlig hilsen"]


def test_body_markdown_becomes_blocks(tmp_path):
    body = "---\ntitle: T\nadopted_by: Årsmøtet\nadopted_on: 2025-03-01\n---\n"
    body += "Første & <andre> *kursiv*\n\n## Tiltak\n\n- en\n- to\n"
    ws = load(minimal(tmp_path, {"positions/sak.md": body}))
    blocks = resolve(ws, "brev").letters[0].body
    assert [type(block) for block in blocks] == [Paragraph, Heading, ListBlock]
    assert blocks[0].spans[0].text == "Første & <andre> "
    assert blocks[0].spans[1].italic


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "Vedlagt følger et brev fra Testforeningen: «En viktig sak»."),
        ("nn", "Vedlagt følgjer eit brev frå Testforeningen: «En viktig sak»."),
        ("en", "Please find attached a letter from Testforeningen: “En viktig sak”."),
    ],
)
def test_a_letter_without_cover_note_gets_one_in_its_language(tmp_path, language, expected):
    root = minimal(tmp_path)
    text = (root / "lettersmith.yaml").read_text().replace("language: nb", f"language: {language}")
    (root / "lettersmith.yaml").write_text(text)
    ws = load(root)
    note = resolve(ws, "brev").letters[0].cover_note
    assert [block.spans[0].text for block in note] == [expected]  # the email adds the closing


def test_the_return_address_is_shortened_to_fit_the_line_above_the_window():
    assert return_address(
        "SI Bergen", ("c/o Kari Nordmann", "Kong Oscars gate 1", "5017 Bergen")
    ) == ("SI Bergen, c/o Kari Nordmann, Kong Oscars gate 1, 5017 Bergen")
    name = "Soroptimist International Nordre Follo"
    assert return_address(name, ("c/o Kari Nordmann Hansen", "Storgata 1", "1400 Ski")) == (
        f"{name}, 1400 Ski"  # the middle lines go first
    )
    long_name = "Soroptimist International Norgesunionen, Klubben i Nordre Follo"
    assert return_address(long_name, ("Storgata 1", "1400 Ski")) == long_name


@pytest.mark.parametrize(
    ("typed", "tied"),
    [
        ("vedtatt 14. september 2024", "vedtatt 14.\xa0september 2024"),
        ("Straffeloven § 257 og §§ 3-1", "Straffeloven §\xa0257 og §§\xa03-1"),
        ("lanserte NOU 2024: 4 i mars", "lanserte NOU\xa02024:\xa04 i mars"),
        ("on 8 March 2024", "on 8\xa0March 2024"),
        ("i 2024 mai vi", "i 2024 mai vi"),  # a year is not a day
    ],
)
def test_numbers_are_tied_to_their_words_in_the_body(typed, tied):
    from lettersmith.compose.markdown import parse, plain_text

    assert plain_text(parse(typed)) == tied
    assert plain_text(parse(f"`{typed}`")) == typed  # code is kept as written
