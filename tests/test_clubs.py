"""Local clubs: the union's statement under a club's own name, the adopted text untouched."""

import io
import shutil
from pathlib import Path

import docx
import pikepdf
import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.compose.diff import DiffLine, letter_diff, word_diff
from lettersmith.compose.resolve import resolve
from lettersmith.load.workspace import load
from readback import docx_text, in_order, normalise, pdf_text
from workspaces import copy_example

LETTER = "menneskehandel-2024"
APPENDED = "Soroptimist International Bergen ber òg Bergen kommune"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args])


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_example(tmp_path_factory.mktemp("clubs"))
    result = run(root, "build", LETTER, "--club", "bergen")
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize("suffix", ["pdf", "docx"])
def test_the_club_letter_carries_the_clubs_name_place_signatory_and_paragraph(built, suffix):
    path = built / "out" / "clubs" / "bergen" / LETTER / f"{LETTER}.{suffix}"
    text = pdf_text(path) if suffix == "pdf" else docx_text(path)
    assert (
        in_order(
            text,
            [
                "Bergen, 10.12.2024",
                # the union adopted the statement; the club only sends it
                "Soroptimist International Norgesunionen vedtok på Representantskapsmøtet "
                "14. september 2024 følgjande fråsegn:",
                "Tiden er inne for å få en handlingsplan mot menneskehandel",
                "Menneskehandel er et stort nasjonalt og internasjonalt problem",
                "Det er behov for politisk vilje og handlingskraft",
                APPENDED,
                "Venleg helsing",
                "Ingrid Haugland",
                "Klubbpresident",
                "Soroptimist International Bergen",
            ],
        )
        == []
    )
    assert "Ordførar Marte Mjøs Persen" in text  # in the address field or the list after it
    assert "Karin Dahlberg Pettersen" not in text
    assert "Unionspresident" not in text


def test_the_union_letter_is_not_touched_by_the_club(built):
    assert not (built / "out" / LETTER).exists()
    result = run(built, "build", LETTER, "--format", "pdf")
    assert result.exit_code == 0
    text = pdf_text(built / "out" / LETTER / f"{LETTER}.pdf")
    assert APPENDED not in text
    assert "Karin Dahlberg Pettersen" in text


def test_the_clubs_logo_wins_over_the_unions(tmp_path):
    root = copy_example(tmp_path)
    ws = load(root)
    union = resolve(ws, LETTER).letters[0]
    club = resolve(ws, LETTER, club="bergen").letters[0]
    assert union.sender.logo == root / "assets" / "logo.svg"
    assert club.sender.logo == root / "clubs" / "bergen" / "assets" / "logo.svg"


@pytest.mark.parametrize(
    ("language", "closing", "intro_end"),
    [
        ("nb", "Vennlig hilsen", "følgende uttalelse:"),
        ("nn", "Venleg helsing", "følgjande fråsegn:"),
        ("en", "Kind regards", "on 14 September 2024:"),
    ],
)
def test_a_club_in_each_language(tmp_path, language, closing, intro_end):
    root = copy_example(tmp_path)
    club = root / "clubs" / "bergen.yaml"
    club.write_text(club.read_text().replace("language: nn", f"language: {language}"))
    result = run(root, "build", LETTER, "--club", "bergen", "--format", "pdf")
    assert result.exit_code == 0, result.output
    text = pdf_text(root / "out" / "clubs" / "bergen" / LETTER / f"{LETTER}.pdf")
    assert closing in text
    assert intro_end in text


def test_a_club_letterhead_template_extends_the_built_in_one(tmp_path):
    root = copy_example(tmp_path)
    templates = root / "clubs" / "bergen" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "letter.html.j2").write_text(
        '{% extends "builtin/letter.html.j2" %}\n'
        "{% block letterhead %}<header><p>Klubbens eige brevhovud</p></header>{% endblock %}\n"
    )
    result = run(root, "build", LETTER, "--club", "bergen", "--format", "pdf")
    assert result.exit_code == 0, result.output
    text = pdf_text(root / "out" / "clubs" / "bergen" / LETTER / f"{LETTER}.pdf")
    assert "Klubbens eige brevhovud" in text
    assert "Tiden er inne for å få en handlingsplan mot menneskehandel" in text
    union = run(root, "build", LETTER, "--format", "pdf")
    assert union.exit_code == 0
    assert "Klubbens eige brevhovud" not in pdf_text(root / "out" / LETTER / f"{LETTER}.pdf")


def test_diff_shows_exactly_the_clubs_changes(tmp_path):
    root = copy_example(tmp_path)
    result = run(root, "diff", LETTER, "--club", "bergen")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "organisation: Soroptimist International [-Norgesunionen-]{+Bergen+}"
    assert "place and date: [-Halden,-]{+Bergen,+} 10.12.2024" in lines
    assert (
        "introduction: Soroptimist International Norgesunionen vedtok på Representantskapsmøtet "
        "14.\xa0september 2024 [-følgende uttalelse:-]{+følgjande fråsegn:+}"
    ) in lines
    assert "language: [-nb (Vennlig hilsen)-]{+nn (Venleg helsing)+}" in lines
    assert any(line.startswith("signatory: [-Karin Dahlberg Pettersen") for line in lines)
    assert "addressee added: {+ordforer-bergen: Ordførar Marte Mjøs Persen, " in result.output
    assert "appended paragraph: {+" + APPENDED in result.output
    # The nynorsk club's own about paragraph, in its language, against the union's bokmål.
    assert any(
        line.startswith("about: Soroptimist International er [-en verdensomspennende-]")
        for line in lines
    )
    assert not any(line.startswith("addressee removed") for line in lines)
    assert "\x1b[" not in result.output  # piped: plain, no colour codes


def test_diff_of_a_club_that_changes_nothing_says_so(tmp_path):
    root = copy_example(tmp_path)
    (root / "clubs" / "bergen.yaml").write_text("name: Soroptimist International Norgesunionen\n")
    import shutil

    shutil.rmtree(root / "clubs" / "bergen")  # its own logo and template are changes too
    ws = load(root)
    lines = letter_diff(resolve(ws, LETTER), resolve(ws, LETTER, club="bergen"))
    assert [line.render(color=False) for line in lines] == [
        "no changes: the club sends the union's letter as it is"
    ]


def test_diff_colours_words_in_a_terminal():
    line = DiffLine("place and date", word_diff("Halden, 10.12.2024", "Bergen, 10.12.2024"))
    coloured = line.render(color=True)
    assert "\x1b[31;9mHalden,\x1b[0m" in coloured and "\x1b[32mBergen,\x1b[0m" in coloured
    assert normalise(line.render(color=False)) == (
        "place and date: [-Halden,-]{+Bergen,+} 10.12.2024"
    )


def test_diff_compares_every_letter_of_a_club_that_writes_one_each(tmp_path):
    root = copy_example(tmp_path)
    club = root / "clubs" / "bergen.yaml"
    text = club.read_text()
    text = text.replace("    tags: [lokalt]\n", "    tags: [lokalt]\n    language: en\n")
    text = text.replace("    place: Bergen\n", "    place: Bergen\n    mode: each\n")
    club.write_text(text)
    result = run(root, "diff", LETTER, "--club", "bergen")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "mode: [-joint-]{+each+}" in lines
    assert "language: [-nb (Vennlig hilsen)-]{+en (Kind regards) / nn (Venleg helsing)+}" in lines


# --------------------------------------------------------------------------- declarations

TAGLINE = "Ein klubb i Soroptimist International Norgesunionen"
CLUB_OUT = Path("out") / "clubs" / "bergen" / LETTER


def pdf_colours(path: Path) -> set[tuple[float, ...]]:
    """Every fill colour (rg) set on the PDF's first page, rounded to two decimals."""
    with pikepdf.open(path) as pdf:
        return {
            tuple(round(float(value), 2) for value in operands)
            for operands, operator in pikepdf.parse_content_stream(pdf.pages[0])
            if str(operator) == "rg"
        }


def rgb(colour: str) -> tuple[float, ...]:
    return tuple(round(int(colour[i : i + 2], 16) / 255, 2) for i in (1, 3, 5))


def test_the_clubs_declared_letterhead_reaches_pdf_and_docx(built):
    """Bergen's tagline and colour come from clubs/bergen.yaml, not from a template."""
    pdf = built / CLUB_OUT / f"{LETTER}.pdf"
    document = built / CLUB_OUT / f"{LETTER}.docx"
    letterhead = ["Soroptimist International Bergen", TAGLINE, "Postboks 123", "5804 Bergen"]
    assert in_order(pdf_text(pdf), letterhead) == []
    assert in_order(docx_text(document, headers=True), letterhead) == []
    assert rgb("#7a1f3d") in pdf_colours(pdf)
    styles = docx.Document(str(document)).styles
    assert str(styles["Letterhead"].font.color.rgb) == "7A1F3D"


def test_the_unions_letter_has_no_tagline_unless_it_declares_one(tmp_path):
    root = copy_example(tmp_path)
    assert run(root, "build", LETTER).exit_code == 0
    out = root / "out" / LETTER
    assert TAGLINE not in pdf_text(out / f"{LETTER}.pdf")
    assert rgb("#7a1f3d") not in pdf_colours(out / f"{LETTER}.pdf")
    profile = root / "lettersmith.yaml"
    profile.write_text(
        profile.read_text().replace("  address:", "  tagline: Stiftet 1930\n  address:", 1)
    )
    assert run(root, "build", LETTER).exit_code == 0
    assert "Soroptimist International Norgesunionen Stiftet 1930" in pdf_text(out / f"{LETTER}.pdf")
    assert "Stiftet 1930" in docx_text(out / f"{LETTER}.docx", headers=True)


def test_a_clubs_declared_font_and_logo_reach_pdf_and_docx(tmp_path):
    from lettersmith.render.style import FONT_DIR

    root = copy_example(tmp_path)
    assets = root / "clubs" / "bergen" / "assets"
    shutil.copyfile(FONT_DIR / "IBMPlexSans-Regular.ttf", assets / "eigen.ttf")
    (assets / "eigen.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="0" y="30" '
        'font-size="20">KLUBBMERKE</text></svg>'
    )
    png = (assets / "logo.png").read_bytes()
    shutil.copyfile(assets / "logo.png", assets / "eigen.png")
    club = root / "clubs" / "bergen.yaml"
    club.write_text(
        club.read_text().replace(
            "organisation:\n", "organisation:\n  font: assets/eigen.ttf\n  logo: assets/eigen.svg\n"
        )
    )
    result = run(root, "build", LETTER, "--club", "bergen")
    assert result.exit_code == 0, result.output
    pdf_path = root / CLUB_OUT / f"{LETTER}.pdf"
    assert pdf_text(pdf_path).startswith("KLUBBMERKE")
    with pikepdf.open(pdf_path) as pdf:
        fonts = {str(f.BaseFont) for page in pdf.pages for f in page.Resources.Font.values()}
    # the club's font sets the letter; DejaVu is only the logo's own words
    assert any("IBMPlexSans" in name.replace("-", "") for name in fonts), fonts
    assert not any("Serif" in name for name in fonts), fonts
    document = docx.Document(str(root / CLUB_OUT / f"{LETTER}.docx"))
    assert document.styles["Normal"].font.name == "IBM Plex Sans"
    pictures = [part.blob for part in document.part.package.parts if "image" in part.content_type]
    assert png in pictures


# --------------------------------------------------------------------------- trusted clubs


def untrust(root: Path) -> None:
    profile = root / "lettersmith.yaml"
    lines = profile.read_text().splitlines(keepends=True)
    profile.write_text("".join(line for line in lines if not line.startswith("trusted_clubs:")))


@pytest.mark.parametrize("name", ["letter.html.j2", "letter.css", "letter.docx"])
def test_an_untrusted_clubs_templates_are_refused_at_check_and_build(tmp_path, name):
    root = copy_example(tmp_path)
    untrust(root)
    templates = root / "clubs" / "bergen" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / name).write_text('{% extends "builtin/letter.html.j2" %}\n')
    refused = (
        f"clubs/bergen/templates/{name}: only a club the union trusts may use its own "
        "templates; add bergen to trusted_clubs: in lettersmith.yaml, or remove the folder and "
        "use organisation: fields (colour, font, logo, tagline)"
    )
    for command in (["check"], ["build", LETTER, "--club", "bergen"]):
        result = run(root, *command)
        assert result.exit_code == 1, result.output
        assert refused in result.output
        assert "Traceback" not in result.output
    assert not (root / "out" / "clubs").exists()
    union = run(root, "build", LETTER, "--format", "pdf")
    assert union.exit_code == 0, union.output
    assert "club 'bergen' is left out" in union.output
    (templates / name).unlink()
    assert run(root, "check").exit_code == 0


def test_a_trusted_clubs_letter_docx_is_used(tmp_path):
    from lettersmith.render import docx_reference

    root = copy_example(tmp_path)
    reference = docx.Document(str(docx_reference.BUILTIN_REFERENCE))
    reference.styles["Normal"].font.name = "Georgia"
    templates = root / "clubs" / "bergen" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    reference.save(str(templates / "letter.docx"))
    result = run(root, "build", LETTER, "--club", "bergen", "--format", "docx")
    assert result.exit_code == 0, result.output
    data = (root / CLUB_OUT / f"{LETTER}.docx").read_bytes()
    assert docx.Document(io.BytesIO(data)).styles["Normal"].font.name == "Georgia"


def test_a_changed_tagline_is_a_new_revision_and_shows_in_the_diff(tmp_path):
    """What the board approved covers the letterhead the club declares."""
    root = copy_example(tmp_path)
    before = resolve(load(root), LETTER, club="bergen").revision
    club = root / "clubs" / "bergen.yaml"
    club.write_text(club.read_text().replace(TAGLINE, "Ein klubb på Vestlandet"))
    after = resolve(load(root), LETTER, club="bergen")
    assert after.revision != before
    result = run(root, "diff", LETTER, "--club", "bergen")
    assert "tagline: {+Ein klubb på Vestlandet+}" in result.output.splitlines()
