"""The commands' tables at 80 columns: no line past the edge, no word, address or date broken."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from lettersmith.cli import main

TERMINAL = {"COLUMNS": "80", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}
LETTER = "menneskehandel-2024"


def run(root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["-w", str(root), *args], env=TERMINAL)
    assert result.exit_code == 0, result.output
    return re.sub(r"\x1b\[[0-9;]*m", "", result.output)


def assert_fits(output: str, whole: list[str]) -> None:
    # The table's lines (they start with a space); a message is one line on purpose, for the
    # terminal to wrap, and stays greppable as FILE:LINE: ...
    lines = [line for line in output.splitlines() if line.startswith(" ")]
    assert lines
    assert [line for line in lines if len(line) > 80] == []
    assert "…" not in output
    for token in whole:  # on one line, never split across two
        assert token in output, token


def test_send_plan_summary_and_status_fit(mail_workspace, smtp_server):
    plan = run(mail_workspace, "send", LETTER, "--dry-run")
    words = "2024-12-10 Soroptimist International Norgesunionen handlingsplan menneskehandel.pdf"
    assert_fits(plan, ["postmottak@smk.dep.no", "postmottak@hod.dep.no", *words.split()])
    sent = run(mail_workspace, "send", LETTER, "--yes")
    assert_fits(sent, ["postmottak@jd.dep.no", "2.0.0", "Queued"])
    status = run(mail_workspace, "status", LETTER)
    today = re.search(r"\d{4}-\d{2}-\d{2}", status)
    assert today, status
    assert_fits(status, ["postmottak@jd.dep.no", today.group(0), "sent", "Queued"])
    assert "Left out to fit the window: Message-ID." in status


def test_the_register_and_the_offices_fit(mail_workspace):
    listed = run(mail_workspace, "recipients")
    assert_fits(
        listed,
        ["postmottak@smk.dep.no", "2025-09-16", "beredskapsminister", "omsorgsminister", "Støre"],
    )
    offices = run(mail_workspace, "offices")
    assert_fits(offices, ["no/kd-forskning", "inkluderingsminister", "postmottak@smk.dep.no"])


def test_a_wide_window_shows_every_column(mail_workspace):
    result = CliRunner().invoke(
        main, ["-w", str(mail_workspace), "recipients"], env={**TERMINAL, "COLUMNS": "160"}
    )
    header = next(line for line in result.output.splitlines() if " title " in line)
    assert header.split() == ["id", "title", "name", "email", "tags", "verified", "from"]
    assert "Left out" not in result.output
