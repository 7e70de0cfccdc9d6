"""The common YAML slips, reported by `check` on the line where they are, in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from workspaces import copy_example


def check(root: Path) -> list[str]:
    result = CliRunner().invoke(main, ["-w", str(root), "check"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return [line for line in result.output.splitlines() if line.startswith(("lettersmith", "rec"))]


def slip(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def ws(tmp_path) -> Path:
    return copy_example(tmp_path / "ws")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (  # a missing colon inside a mapping
            "  email: post@example.org\n  website",
            "  email post@example.org\n  website",
            "lettersmith.yaml:12: a colon is missing after 'email'; "
            "write 'email: post@example.org'",
        ),
        (  # a missing colon before a mapping of fields
            "signatories:\n",
            "signatories\n",
            "lettersmith.yaml:23: a colon is missing after 'signatories'; write 'signatories:'",
        ),
        (  # a missing colon on a top-level field
            "language: nb\n",
            "language nb\n",
            "lettersmith.yaml:17: a colon is missing after 'language'; write 'language: nb'",
        ),
        (  # no space after the colon
            "    title: Unionspresident\n",
            "    title:Unionspresident\n",
            "lettersmith.yaml:26: a space is missing after the colon; "
            "write 'title: Unionspresident'",
        ),
        (  # an unclosed quote
            'from: "SI Norge <post@example.org>"',
            'from: "SI Norge <post@example.org>',
            "lettersmith.yaml:30: the quote \" before 'SI Norge <post@example.org>' is never "
            'closed; end the text with " on the same line',
        ),
        (  # a field indented one space too deep
            "    title: Unionspresident\n",
            "     title: Unionspresident\n",
            "lettersmith.yaml:26: this line is indented 5 spaces, the fields above it 4 or 2 or "
            "0; a field starts in the same column as the others of its entry: indent it as one "
            "of them",
        ),
        (  # a field indented one space too little
            "    title: Unionspresident\n",
            "   title: Unionspresident\n",
            "lettersmith.yaml:26: this line is indented 3 spaces, the fields above it 4 or 2 or "
            "0; a field starts in the same column as the others of its entry: indent it as one "
            "of them",
        ),
    ],
)
def test_a_slip_in_the_settings_is_named_on_its_line(ws, old, new, message):
    slip(ws, "lettersmith.yaml", old, new)
    assert check(ws) == [message]


def test_a_list_item_without_a_dash(ws):
    slip(
        ws,
        "recipients.yaml",
        "  tags: [regjeringen]\n\nhod:",
        "  tags:\n    - regjeringen\n    - departement\n    styret\n\nhod:",
    )
    assert check(ws) == [
        "recipients.yaml:16: 'styret' is in a list but does not start with '- '; "
        "write '- styret' like the items above"
    ]


def test_a_slip_in_a_positions_front_matter_counts_the_files_lines(ws):
    slip(ws, "positions/menneskehandel-2024.md", "adopted_by: Repr", "adopted_by:Repr")
    result = CliRunner().invoke(main, ["-w", str(ws), "check"])
    assert result.exit_code == 1
    assert (
        "positions/menneskehandel-2024.md:3: a space is missing after the colon; "
        "write 'adopted_by: Representantskapsmøtet'"
    ) in result.output


def test_a_colon_inside_a_value_is_still_said_as_before(ws):
    slip(ws, "letters/menneskehandel-2024.yaml", "place: Halden", "place: Halden: by")
    result = CliRunner().invoke(main, ["-w", str(ws), "check"])
    assert "letters/menneskehandel-2024.yaml:6: a ': ' inside a value; put the value in quotes" in (
        result.output
    )


def test_the_slips_are_said_in_bokmaal_and_nynorsk():
    from lettersmith.load.yamlfile import parse_yaml
    from lettersmith.translate import use_language

    said = {}
    for language in ("nb", "nn"):
        problems: list = []
        with use_language(language):
            parse_yaml("a:\n  b: 1\n  c:2\n  d: 3\n", "x.yaml", problems)
        said[language] = [str(problem) for problem in problems]
    assert said == {
        "nb": ["x.yaml:3: det mangler et mellomrom etter kolonet; skriv 'c: 2'"],
        "nn": ["x.yaml:3: det manglar eit mellomrom etter kolonet; skriv 'c: 2'"],
    }


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("menneskehandel-2024.md", "leave out .md; write position: menneskehandel-2024"),
        (
            "positions/menneskehandel-2024.md",
            "leave out positions/ and .md; write position: menneskehandel-2024",
        ),
        ("menneskehandel-2042", "no positions/menneskehandel-2042.md; did you mean "
         "'menneskehandel-2024'?"),
    ],
)  # fmt: skip
def test_a_position_named_as_its_file_is_answered_with_its_id(ws, written, message):
    slip(
        ws,
        "letters/menneskehandel-2024.yaml",
        "position: menneskehandel-2024",
        f"position: {written}",
    )
    result = CliRunner().invoke(main, ["-w", str(ws), "check"])
    assert result.exit_code == 1
    assert f"letters/menneskehandel-2024.yaml:2: position: {message}" in result.output


def test_a_recipient_id_with_a_typo_is_answered_with_the_nearest(ws):
    slip(ws, "letters/menneskehandel-2024.yaml", "to: [smk, hod, jd]", "to: [smk, hdo, jd]")
    result = CliRunner().invoke(main, ["-w", str(ws), "check"])
    assert result.exit_code == 1
    assert "no recipient 'hdo'; did you mean 'hod'?" in result.output
