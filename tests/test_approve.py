"""`lettersmith approve` and `approval: required`: send only what the board approved."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith.cli import main

LETTER = "menneskehandel-2024"
POSITION = Path("positions") / "menneskehandel-2024.md"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


def change_one_word(root: Path) -> None:
    path = root / POSITION
    text = path.read_text(encoding="utf-8")
    assert "stort nasjonalt" in text
    path.write_text(text.replace("stort nasjonalt", "svært nasjonalt", 1), encoding="utf-8")


def test_send_needs_an_approval_of_the_current_revision(required, smtp_server):
    refused = run(required, "send", LETTER, "--yes")
    assert refused.exit_code == 1
    assert "lettersmith.yaml: approval: required, and no one has approved" in refused.output
    assert f"lettersmith review {LETTER}" in refused.output
    assert smtp_server.handler.received == []

    dry = run(required, "send", LETTER, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert (required / "out" / LETTER / "mail" / "smk.eml").is_file()

    approved = run(required, "approve", LETTER, "--by", "Karin Dahlberg Pettersen", "--note", "AU")
    assert approved.exit_code == 0, approved.output
    assert "approved by Karin Dahlberg Pettersen on " in approved.output

    sent = run(required, "send", LETTER, "--yes")
    assert sent.exit_code == 0, sent.output
    assert len(smtp_server.handler.received) == 3

    change_one_word(required)
    again = run(required, "send", LETTER, "--yes", "--resend")
    assert again.exit_code == 1
    assert "the letter has changed since it was approved: revision " in again.output
    assert "approved by Karin Dahlberg Pettersen on " in again.output
    assert (
        "  the letter's text: ...Menneskehandel er et [-stort-]{+svært+} nasjonalt og "
        "internasjonalt...\nNothing was sent." in again.output
    )
    assert len(smtp_server.handler.received) == 3

    status = run(required, "status", LETTER)
    assert "NOT approved." in status.output and "Changed since the last approval:" in status.output

    assert run(required, "approve", LETTER, "--by", "Styret").exit_code == 0
    resent = run(required, "send", LETTER, "--yes", "--resend")
    assert resent.exit_code == 0, resent.output
    assert len(smtp_server.handler.received) == 6
    status = run(required, "status", LETTER)
    assert "approved." in status.output and "approved by Styret on " in status.output


def test_the_same_letter_keeps_its_revision(required):
    first = run(required, "approve", LETTER, "--by", "A").output
    second = run(required, "approve", LETTER, "--by", "B").output
    revision = first.split("revision ")[1].split()[0]
    assert len(revision) == 10 and f"revision {revision} approved by B" in second


def test_without_approval_required_send_does_not_ask(mail_workspace, smtp_server):
    result = run(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    assert len(smtp_server.handler.received) == 3


def test_a_club_inherits_approval_and_cannot_turn_it_off(required, smtp_server):
    refused = run(required, "send", LETTER, "--club", "bergen", "--yes")
    assert refused.exit_code == 1
    assert "no one has approved" in refused.output
    assert f"lettersmith review {LETTER} --club bergen" in refused.output
    assert run(required, "approve", LETTER, "--by", "Karin").exit_code == 0  # the union's only
    assert run(required, "send", LETTER, "--club", "bergen", "--yes").exit_code == 1

    with (required / "clubs" / "bergen.yaml").open("a", encoding="utf-8") as file:
        file.write("\napproval: optional\n")
    check = run(required, "check")
    assert check.exit_code == 1
    assert "approval: the union's lettersmith.yaml says approval: required, and a club" in (
        check.output
    )


def test_a_club_may_ask_for_approval_itself(mail_workspace):
    with (mail_workspace / "clubs" / "bergen.yaml").open("a", encoding="utf-8") as file:
        file.write("\napproval: required\n")
    refused = run(mail_workspace, "send", LETTER, "--club", "bergen", "--yes")
    assert refused.exit_code == 1
    assert "clubs/bergen.yaml: approval: required, and no one has approved" in refused.output


def test_approve_needs_a_name(required):
    result = run(required, "approve", LETTER, "--by", "   ")
    assert result.exit_code == 1
    assert "approve: --by needs the name of the person who approves" in result.output


# --------------------------------------------------------------------------- what leaves

FONTS = Path(__file__).parents[1] / "src" / "lettersmith" / "data" / "fonts"


def _replace(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, (name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _attach(root: Path) -> None:
    (root / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4\nfirst\n%%EOF\n")
    with (root / "letters" / f"{LETTER}.yaml").open("a", encoding="utf-8") as file:
        file.write("attachments: [assets/vedlegg.pdf]\n")


def _club_css(root: Path) -> None:
    folder = root / "clubs" / "bergen" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "letter.css").write_text(".letterhead { color: #222 }\n", encoding="utf-8")


def _with_font(root: Path) -> None:
    (root / "assets" / "font.ttf").write_bytes((FONTS / "IBMPlexSans-Regular.ttf").read_bytes())
    _replace(
        root,
        "lettersmith.yaml",
        '  colour: "#0a4f9c"',
        '  colour: "#0a4f9c"\n  font: assets/font.ttf',
    )


def _config(old: str, new: str):
    return lambda root: _replace(root, "lettersmith.yaml", old, new)


def _bytes(name: str, source: Path | str):
    def write(root: Path) -> None:
        data = (root / source if isinstance(source, str) else source).read_bytes()
        (root / name).write_bytes(data)

    return write


def _new_attachment(root: Path) -> None:
    (root / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4\nsecond\n%%EOF\n")


def _new_club_css(root: Path) -> None:
    css = root / "clubs" / "bergen" / "templates" / "letter.css"
    css.write_text(".letterhead { color: #fff }\n", encoding="utf-8")


NO_BCC = _config("  bcc: arkiv@example.org\n", "")
ADD_BCC = _config("  reply_to:", "  bcc: kopi@example.net\n  reply_to:")
SERIF = FONTS / "IBMPlexSerif-Regular.ttf"

# (what, prepared before the approval, the change after it, the club, how status says it)
EVERYTHING_THAT_LEAVES = [
    ("a new bcc", None, _config("arkiv@example.org", "kopi@example.net"), None,
     "another Bcc: arkiv@example.org → kopi@example.net"),
    ("a bcc where there was none", NO_BCC, ADD_BCC, None, "Bcc added: kopi@example.net"),
    ("another sender", None, _config("<post@example.org>", "<styret@example.net>"), None,
     "another sender: SI Norge <post@example.org> → SI Norge <styret@example.net>"),
    ("another reply_to", None, _config("reply_to: post@", "reply_to: svar@"), None,
     "another Reply-To: post@example.org → svar@example.org"),
    ("another colour", None, _config('"#0a4f9c"', '"#9c0a0a"'), None, "colour #0a4f9c → #9c0a0a"),
    ("a font", None, _with_font, None, "font added: assets/font.ttf"),
    ("another font file", _with_font, _bytes("assets/font.ttf", SERIF), None,
     "font assets/font.ttf changed (sha256 "),
    ("the DOCX's PNG logo", None, _bytes("assets/logo.png", "assets/signature.png"), None,
     "DOCX logo assets/logo.png changed (sha256 "),
    ("an attachment's bytes", _attach, _new_attachment, None,
     "attachment vedlegg.pdf changed (sha256 "),
    ("the signature image", None, _bytes("assets/signature.png", "assets/logo.png"), None,
     "signature image assets/signature.png changed (sha256 "),
    ("a club's template", _club_css, _new_club_css, "bergen",
     "template clubs/bergen/templates/letter.css changed (sha256 "),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "prepare", "change", "club", "words"),
    EVERYTHING_THAT_LEAVES,
    ids=[case[0] for case in EVERYTHING_THAT_LEAVES],
)
def test_approval_covers_everything_that_leaves(
    required, smtp_server, what, prepare, change, club, words
):
    """Whatever a reader or the envelope gets, changed after the approval, needs a new one."""
    where = ["--club", club] if club else []
    if prepare:
        prepare(required)
    assert run(required, "approve", LETTER, *where, "--by", "Styret").exit_code == 0
    change(required)
    refused = run(required, "send", LETTER, *where, "--yes")
    assert refused.exit_code == 1, (what, refused.output)
    assert "the letter has changed since it was approved" in refused.output, what
    assert f"  {words}" in refused.output, refused.output
    assert smtp_server.handler.received == []
    status = run(required, "status", LETTER, *where)
    assert "NOT approved." in status.output, (what, status.output)
    assert f"    {words}" in status.output, status.output


def test_status_shows_an_approval_before_the_first_send(required):
    assert run(required, "approve", LETTER, "--by", "Styret").exit_code == 0
    status = run(required, "status", LETTER)
    assert status.exit_code == 0, status.output
    assert "approved." in status.output and "NOT approved" not in status.output
    assert "not approved" not in status.output
    assert "approved by Styret on " in status.output


def test_an_approval_of_before_the_envelope_counted_asks_again_and_says_why(required):
    """An approval recorded when the revision did not cover the envelope and the look (its
    snapshot has no sender) does not cover them: send asks for a new one, and says why."""
    import json
    import sqlite3

    assert run(required, "approve", LETTER, "--by", "Styret").exit_code == 0
    with sqlite3.connect(required / ".lettersmith" / "journal.sqlite") as db:
        (snapshot,) = db.execute("SELECT snapshot FROM approvals").fetchone()
        old = {k: v for k, v in json.loads(snapshot).items() if k not in ("from", "bcc")}
        db.execute("UPDATE approvals SET revision = ?, snapshot = ?", ("0" * 64, json.dumps(old)))
    refused = run(required, "send", LETTER, "--yes")
    assert refused.exit_code == 1
    assert "what an approval covers: now also the envelope and the look" in refused.output


def test_a_reference_added_after_the_approval_is_a_change_the_board_reads(required):
    """The case number goes into the email's Subject: the approval no longer holds, and
    status says what changed in the subject's words."""
    assert run(required, "approve", LETTER, "--by", "Styret").exit_code == 0
    letter = required / "letters" / f"{LETTER}.yaml"
    letter.write_text(letter.read_text(encoding="utf-8") + "reference: 2024/17\n", encoding="utf-8")
    status = run(required, "status", LETTER)
    assert "NOT approved." in status.output, status.output
    assert "the subject: " in status.output and "Vår ref. 2024/17" in status.output
