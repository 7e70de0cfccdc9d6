"""One mailing, sent for real: its date across days, one message per mailbox, a lost journal.

Against a real SMTP server (aiosmtpd on 127.0.0.1), through the command line.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.deliver.journal import Journal
from readback import pdf_text

LETTER = "menneskehandel-2024"
MINISTRIES = {
    "smk": "postmottak@smk.dep.no",
    "hod": "postmottak@hod.dep.no",
    "jd": "postmottak@jd.dep.no",
}


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], env={"COLUMNS": "250"})


def rows(root: Path, club: str | None = None):
    with Journal.open(root / ".lettersmith") as journal:
        return {entry.recipient: entry for entry in journal.entries(LETTER, club)}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def attached_pdf_text(received, tmp_path: Path) -> str:
    (attachment,) = received.message.iter_attachments()
    path = tmp_path / "attached.pdf"
    path.write_bytes(attachment.get_content())
    return pdf_text(path)


# --------------------------------------------------------------------------- the date


def test_a_letter_sent_over_two_days_carries_the_first_days_date(
    mail_workspace, smtp_server, tmp_path
):
    edit(mail_workspace / "letters" / f"{LETTER}.yaml", "date: 2024-12-10\n", "")
    with time_machine.travel("2025-03-03 10:00 +0000"):
        first = cli(mail_workspace, "send", LETTER, "--yes", "--to", "smk")
        assert first.exit_code == 0, first.output
    (smk,) = smtp_server.handler.to(MINISTRIES["smk"])
    assert "Halden, 03.03.2025" in attached_pdf_text(smk, tmp_path)

    with time_machine.travel("2025-03-04 09:00 +0000"):
        build = cli(mail_workspace, "build", LETTER, "--format", "pdf")
        assert build.exit_code == 0, build.output
        built = pdf_text(mail_workspace / "out" / LETTER / f"{LETTER}.pdf")
        assert "Halden, 03.03.2025" in built and "04.03.2025" not in built
        rest = cli(mail_workspace, "send", LETTER, "--yes")
        assert rest.exit_code == 0, rest.output
        assert "changed" not in rest.output
        again = cli(mail_workspace, "send", LETTER, "--yes")
        assert again.exit_code == 0 and "Nothing to send." in again.output
    for address in MINISTRIES.values():
        (received,) = smtp_server.handler.to(address)
        assert "Halden, 03.03.2025" in attached_pdf_text(received, tmp_path)
        assert received.message["X-Lettersmith-Date"] == "2025-03-03"
    assert {entry.letter_date for entry in rows(mail_workspace).values()} == {"2025-03-03"}

    # Setting another date in the letter file is a change, reported as one; nothing is sent.
    edit(
        mail_workspace / "letters" / f"{LETTER}.yaml",
        "place: Halden\n",
        "date: 2025-03-05\nplace: Halden\n",
    )
    with time_machine.travel("2025-03-06 09:00 +0000"):
        changed = cli(mail_workspace, "send", LETTER, "--yes")
    assert changed.output.count("changed since sent") == 3, changed.output
    assert len(smtp_server.handler.received) == 3


def test_a_new_renderer_making_other_pdf_bytes_is_not_a_change(
    mail_workspace, smtp_server, monkeypatch
):
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    from lettersmith.render import build

    real_render = build.render
    monkeypatch.setattr(build, "__version__", "99.0.0")  # the files are rebuilt...
    monkeypatch.setattr(  # ...by a renderer that writes other bytes
        build, "render", lambda *args, **kw: real_render(*args, **kw) + b"\n% another renderer\n"
    )
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0, again.output
    assert "changed" not in again.output and again.output.count("already sent") == 3
    pdf = (mail_workspace / "out" / LETTER / f"{LETTER}.pdf").read_bytes()
    assert pdf.endswith(b"% another renderer\n")
    assert len(smtp_server.handler.received) == 3


# --------------------------------------------------------------------------- one mailbox, once


SHARED = """
kd:
  title: Kunnskapsminister
  email: postmottak@kd.dep.no
kd-statsrad:
  title: Statsråd
  organisation: Kunnskapsdepartementet
  email: Postmottak@KD.dep.no
bo:
  organisation: Bø kommune
  email: post@bø.kommune.no
bo-ordforer:
  title: Ordfører i Bø
  email: post@XN--B-5GA.kommune.no
"""


def test_two_ids_with_one_mailbox_get_one_message(mail_workspace, smtp_server):
    with (mail_workspace / "recipients.yaml").open("a", encoding="utf-8") as register:
        register.write(SHARED)
    edit(
        mail_workspace / "letters" / f"{LETTER}.yaml",
        "to: [smk, hod, jd]",
        "to: [smk, kd, kd-statsrad, bo, bo-ordforer]",
    )
    check = cli(mail_workspace, "check")
    assert check.exit_code == 0, check.output
    assert "kd, kd-statsrad share the mailbox postmottak@kd.dep.no" in check.output
    assert "bo, bo-ordforer share the mailbox" in check.output

    sent = cli(mail_workspace, "send", LETTER, "--yes")
    assert sent.exit_code == 0, sent.output
    addresses = [m.rcpt_tos[0].lower() for m in smtp_server.handler.received]
    assert sorted(addresses) == [
        "post@xn--b-5ga.kommune.no",
        "postmottak@kd.dep.no",
        "postmottak@smk.dep.no",
    ]
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0 and "Nothing to send." in again.output
    assert len(smtp_server.handler.received) == 3
    status = cli(mail_workspace, "status", LETTER)
    line = next(line for line in status.output.splitlines() if " kd-statsrad " in line)
    assert " sent " in line


def test_a_recipient_renamed_after_sending_is_already_sent(mail_workspace, smtp_server):
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    edit(mail_workspace / "recipients.yaml", "smk:\n", "statsministeren:\n")
    edit(
        mail_workspace / "letters" / f"{LETTER}.yaml",
        "to: [smk, hod, jd]",
        "to: [statsministeren, hod, jd]",
    )
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0, again.output
    assert "Nothing to send." in again.output
    assert "as smk" in again.output
    assert len(smtp_server.handler.to(MINISTRIES["smk"])) == 1


# --------------------------------------------------------------------------- a lost journal


def _lose(root: Path, how: str) -> None:
    state = root / ".lettersmith"
    if how == "emptied":
        with sqlite3.connect(state / "journal.sqlite") as db:
            db.execute("DELETE FROM deliveries")
        return
    for name in ("journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm"):
        (state / name).unlink(missing_ok=True)
    if how == "damaged":
        (state / "journal.sqlite").write_bytes(b"this is not a database" * 100)


@pytest.mark.parametrize("how", ["deleted", "emptied", "damaged"])
def test_a_lost_journal_stops_send_until_it_is_rebuilt_from_the_copies(
    mail_workspace, smtp_server, how
):
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    before = rows(mail_workspace)
    _lose(mail_workspace, how)

    refused = cli(mail_workspace, "send", LETTER, "--yes")
    assert refused.exit_code == 1
    assert "lettersmith journal rebuild" in refused.output
    assert "3 copies" in refused.output
    dry = cli(mail_workspace, "send", LETTER, "--dry-run")
    assert dry.exit_code == 1, "a dry run would show everyone as new"
    status = cli(mail_workspace, "status", LETTER)
    assert status.exit_code == 1 and "journal rebuild" in status.output, "not 'not sent'"
    assert len(smtp_server.handler.received) == 3

    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "3 row(s) restored" in rebuilt.output
    if how == "damaged":
        assert list((mail_workspace / ".lettersmith").glob("journal.sqlite.damaged-*"))
    after = rows(mail_workspace)
    for rid, address in MINISTRIES.items():
        assert after[rid].state == "sent"
        assert after[rid].address == address
        assert after[rid].message_id == before[rid].message_id
        assert after[rid].revision == before[rid].revision
        assert after[rid].letter_date == "2024-12-10"

    nothing = cli(mail_workspace, "send", LETTER, "--yes")
    assert nothing.exit_code == 0, nothing.output
    assert "Nothing to send." in nothing.output
    assert len(smtp_server.handler.received) == 3
    twice = cli(mail_workspace, "journal", "rebuild")
    assert "0 row(s) restored, 3 already in the journal." in twice.output
