"""One definition of what leaves: the revision, the approval's snapshot, the build's
fingerprint and the club diff all see the same letter, look and envelope."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.compose import revision
from lettersmith.compose.resolve import resolve
from lettersmith.load.workspace import load
from lettersmith.render import build
from workspaces import copy_example

LETTER = "menneskehandel-2024"


def _mailing(root: Path, club: str | None = None):
    return resolve(load(root), LETTER, club=club, sent_date=lambda *_: None)


def test_the_revision_is_the_hash_of_what_leaves(tmp_path):
    root = copy_example(tmp_path)
    mailing = _mailing(root)
    (letter,) = mailing.letters
    leaving = revision.what_leaves(letter, mailing.mode, mailing.workspace.mail)
    assert mailing.revision_for("smk") == leaving.revision
    assert leaving.envelope.bcc == "arkiv@example.org"
    assert leaving.look.colour == "#0a4f9c"
    assert leaving.look.logo is not None and leaving.look.logo.name == "assets/logo.svg"
    assert leaving.look.docx_logo is not None and leaving.look.docx_logo.name == "assets/logo.png"
    data = leaving.data()
    assert data["bcc"] == "arkiv@example.org" and data["colour"] == "#0a4f9c"


def test_without_a_look_or_an_envelope_the_revision_keeps_its_old_form(tmp_path):
    """Parts that are not set are left out: a letter without them keeps the revision that a
    journal or an approval recorded before they counted."""
    root = copy_example(tmp_path)
    mailing = _mailing(root)
    (letter,) = mailing.letters
    leaving = revision.what_leaves(letter, mailing.mode, None)
    data = leaving.data()
    for key in ("from", "reply_to", "bcc"):
        assert key not in data
    assert set(data) >= {"sender", "signature", "attachments", "templates", "body", "mode"}


def test_the_build_fingerprint_sees_the_font_and_the_docx_logo(tmp_path):
    """A file only the rendered letter shows, changed in place, makes the file again."""
    root = copy_example(tmp_path)
    fonts = Path(__file__).parents[1] / "src" / "lettersmith" / "data" / "fonts"
    (root / "assets" / "font.ttf").write_bytes((fonts / "IBMPlexSans-Regular.ttf").read_bytes())
    config = root / "lettersmith.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  logo:", "  font: assets/font.ttf\n  logo:"), encoding="utf-8")

    def fingerprints() -> tuple[str, str]:
        mailing = _mailing(root)
        (letter,) = mailing.letters
        ws = mailing.workspace
        return (
            build.job_for(ws, letter, "pdf").fingerprint,
            build.job_for(ws, letter, "docx").fingerprint,
        )

    before = fingerprints()
    font = root / "assets" / "font.ttf"
    font.write_bytes((fonts / "IBMPlexSerif-Regular.ttf").read_bytes())
    after_font = fingerprints()
    assert after_font[0] != before[0]
    (root / "assets" / "logo.png").write_bytes((root / "assets" / "signature.png").read_bytes())
    after_logo = fingerprints()
    assert after_logo[1] != after_font[1], "the DOCX shows the PNG logo"


def test_the_club_diff_says_the_look_in_words(tmp_path):
    root = copy_example(tmp_path)
    templates = root / "clubs" / "bergen" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (templates / "letter.css").write_text(".letterhead { color: #222 }\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(root), "diff", LETTER, "--club", "bergen"])
    lines = result.output.splitlines()
    assert "look: colour #0a4f9c → #7a1f3d" in lines, result.output
    assert "look: another logo: assets/logo.svg → clubs/bergen/assets/logo.svg" in lines
    assert "look: template added: clubs/bergen/templates/letter.css" in lines
    assert "look: signature image removed: assets/signature.png" in lines
