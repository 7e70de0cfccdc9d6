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


@pytest.fixture
def required(mail_workspace) -> Path:
    with (mail_workspace / "lettersmith.yaml").open("a", encoding="utf-8") as file:
        file.write("\napproval: required\n")
    return mail_workspace


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
