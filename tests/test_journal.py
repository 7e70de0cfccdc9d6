"""The send journal: durable states, the crash rule, one sender at a time."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.deliver.journal import INTERRUPTED, Journal
from lettersmith.deliver.message import Outgoing
from lettersmith.errors import DeliveryError
from workspaces import copy_example

LETTER = "menneskehandel-2024"


def outgoing(recipient="smk", club=None, data=b"From: a\r\n\r\nbody\r\n"):
    address = f"postmottak@{recipient}.dep.no"
    return Outgoing(
        letter_id="menneskehandel-2024",
        club_id=club,
        recipient_id=recipient,
        address=address,
        message_id=f"<{recipient}@example.org>",
        attachment_hash="abc",
        attachments="menneskehandel-2024.pdf",
        size=len(data),
        mail_from="post@example.org",
        rcpt_to=(address,),
        make=lambda: data,
    )


def record(journal, recipient="smk", club=None, data=b"From: a\r\n\r\nbody\r\n"):
    journal.record_sending(outgoing(recipient, club, data))


def test_rows_are_durable_and_keep_a_copy_of_the_message(tmp_path):
    state = tmp_path / ".lettersmith"
    with Journal.open(state) as journal:
        record(journal, data=b"exact bytes\r\n")
        record(journal, recipient="hod", club="bergen")
        journal.record_outcome(outgoing(), "sent", "250 Queued")
        journal.record_outcome(outgoing("jd"), "failed", "550 No such mailbox")

    db = sqlite3.connect(state / "journal.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with Journal.open(state) as journal:
        entry = journal.get("menneskehandel-2024", None, "smk")
        assert (entry.state, entry.reply, entry.club) == ("sent", "250 Queued", None)
        assert (state / entry.copy).read_bytes() == b"exact bytes\r\n"
        assert entry.copy.startswith("sent/menneskehandel-2024/smk-")
        refused = journal.get("menneskehandel-2024", None, "jd")
        assert (refused.state, refused.reply, refused.copy) == (
            "failed",
            "550 No such mailbox",
            None,
        )
        assert journal.entries("menneskehandel-2024", None) == [entry, refused]
        club_entry = journal.get("menneskehandel-2024", "bergen", "hod")
        assert club_entry.state == "sending"
        assert club_entry.copy.startswith("sent/clubs/bergen/menneskehandel-2024/hod-")


def test_a_crashed_sending_row_becomes_unknown_only_under_the_lock(tmp_path):
    with Journal.open(tmp_path) as journal:
        record(journal)
    with Journal.open(tmp_path) as journal:
        with pytest.raises(AssertionError):
            journal.recover()
        journal.lock()
        assert [e.recipient for e in journal.recover()] == ["smk"]
        entry = journal.get("menneskehandel-2024", None, "smk")
        assert (entry.state, entry.reply) == ("unknown", INTERRUPTED)
        assert journal.recover() == []


def test_a_second_sender_is_refused_until_the_first_is_done(tmp_path):
    first = Journal.open(tmp_path)
    second = Journal.open(tmp_path)
    first.lock()
    with pytest.raises(DeliveryError, match="another `lettersmith send` is running"):
        second.lock()
    assert not second.try_lock()
    first.close()
    second.lock()
    second.close()


def test_a_damaged_journal_is_a_clear_error_not_a_traceback(tmp_path):
    root = copy_example(tmp_path / "ws")
    (root / ".lettersmith").mkdir()
    damaged = root / ".lettersmith" / "journal.sqlite"
    damaged.write_bytes(b"not a database, perhaps a sync conflict\n" * 100)
    with pytest.raises(DeliveryError, match="journal.sqlite: the send journal cannot be used"):
        Journal.open(root / ".lettersmith")
    for command in (["status", LETTER], ["send", LETTER, "--dry-run"]):
        result = CliRunner().invoke(main, ["-w", str(root), *command])
        assert result.exit_code == 1, result.output
        assert "the send journal cannot be used (file is not a database)" in result.output
        assert "do not delete it" in result.output
    assert damaged.read_bytes().startswith(b"not a database")  # left for the user to restore


# ------------------------------------------------------------------ never wrong by omission

MINISTRIES = ("smk", "hod", "jd")


def cli(root, *args):
    return CliRunner().invoke(main, ["-w", str(root), *args], env={"COLUMNS": "250"})


def journal_rows(root):
    with Journal.open(root / ".lettersmith") as journal:
        return {entry.recipient: entry for entry in journal.entries(LETTER, None)}


def lose_journal(root):
    for name in ("journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm"):
        (root / ".lettersmith" / name).unlink(missing_ok=True)


def backup_journal(root, to):
    """A copy of the journal as a backup program would take it (the log folded in)."""
    with sqlite3.connect(root / ".lettersmith" / "journal.sqlite") as source:
        target = sqlite3.connect(to)
        source.backup(target)
        target.close()


def restore_journal(root, backup):
    lose_journal(root)
    (root / ".lettersmith" / "journal.sqlite").write_bytes(backup.read_bytes())


def assert_rebuilt_hod_unknown_and_never_resent(root, smtp_server):
    rebuilt = cli(root, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    rows = journal_rows(root)
    assert rows["smk"].state == "sent"
    assert rows["hod"].state == "unknown", "its copy was written, the server never said 250"
    assert "check whether it arrived" in rows["hod"].reply
    status = cli(root, "status", LETTER)
    assert status.exit_code == 0, status.output
    hod_line = next(line for line in status.output.splitlines() if " hod " in line)
    assert " unknown " in hod_line
    received = len(smtp_server.handler.to("postmottak@hod.dep.no"))
    again = cli(root, "send", LETTER, "--yes")
    assert again.exit_code == 1, again.output
    assert "hod: unknown whether it arrived" in again.output
    assert len(smtp_server.handler.to("postmottak@hod.dep.no")) == received
    for rid in ("smk", "jd"):
        assert len(smtp_server.handler.to(f"postmottak@{rid}.dep.no")) == 1


def test_a_rebuilt_row_whose_acceptance_is_unrecorded_is_unknown(mail_workspace, smtp_server):
    """The server dropped the connection after hod's data, before its 250: fate unknown."""
    smtp_server.handler.drop_on.add(2)
    first = cli(mail_workspace, "send", LETTER, "--yes")
    assert first.exit_code == 1, first.output
    assert journal_rows(mail_workspace)["hod"].state == "unknown"
    lose_journal(mail_workspace)
    smtp_server.handler.healthy()
    assert_rebuilt_hod_unknown_and_never_resent(mail_workspace, smtp_server)


def test_a_send_killed_mid_message_then_a_lost_journal_rebuilds_it_unknown(
    mail_workspace, smtp_server, send_killed_in
):
    send_killed_in(mail_workspace, smtp_server, LETTER, "DATA", 2)  # hod's message may have arrived
    assert list((mail_workspace / ".lettersmith" / "sent").rglob("hod-*.eml"))
    lose_journal(mail_workspace)
    assert_rebuilt_hod_unknown_and_never_resent(mail_workspace, smtp_server)


def test_a_journal_restored_from_an_older_backup_is_refused_until_rebuilt(
    mail_workspace, smtp_server, tmp_path
):
    assert cli(mail_workspace, "send", LETTER, "--yes", "--to", "smk").exit_code == 0
    backup = tmp_path / "backup.sqlite"
    backup_journal(mail_workspace, backup)
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    assert len(smtp_server.handler.received) == 3
    restore_journal(mail_workspace, backup)

    for command in (["send", LETTER, "--yes"], ["send", LETTER, "--dry-run"], ["status", LETTER]):
        refused = cli(mail_workspace, *command)
        assert refused.exit_code == 1, (command, refused.output)
        assert "lettersmith journal rebuild" in refused.output, refused.output
        assert "2 copies" in refused.output, refused.output
    assert len(smtp_server.handler.received) == 3

    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2 row(s) restored, 1 already in the journal." in rebuilt.output
    assert {rid: row.state for rid, row in journal_rows(mail_workspace).items()} == {
        "smk": "sent",
        "hod": "sent",
        "jd": "sent",
    }
    nothing = cli(mail_workspace, "send", LETTER, "--yes")
    assert nothing.exit_code == 0, nothing.output
    assert "Nothing to send." in nothing.output
    assert len(smtp_server.handler.received) == 3


def test_a_backup_older_than_a_resend_is_refused_and_rebuilt_to_the_resent_version(
    mail_workspace, smtp_server, tmp_path
):
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    backup = tmp_path / "backup.sqlite"
    backup_journal(mail_workspace, backup)
    letter = mail_workspace / "letters" / f"{LETTER}.yaml"
    letter.write_text(
        letter.read_text(encoding="utf-8").replace("date: 2024-12-10", "date: 2024-12-11"),
        encoding="utf-8",
    )
    resent = cli(mail_workspace, "send", LETTER, "--yes", "--resend", "--to", "smk")
    assert resent.exit_code == 0, resent.output
    assert len(smtp_server.handler.to("postmottak@smk.dep.no")) == 2
    new_revision = journal_rows(mail_workspace)["smk"].revision
    restore_journal(mail_workspace, backup)
    assert journal_rows(mail_workspace)["smk"].revision != new_revision

    refused = cli(mail_workspace, "send", LETTER, "--yes", "--to", "smk")
    assert refused.exit_code == 1, refused.output
    assert "lettersmith journal rebuild" in refused.output
    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "1 row(s) restored, 2 already in the journal." in rebuilt.output
    smk = journal_rows(mail_workspace)["smk"]
    assert (smk.state, smk.revision, smk.letter_date) == ("sent", new_revision, "2024-12-11")
    nothing = cli(mail_workspace, "send", LETTER, "--yes", "--to", "smk")
    assert "Nothing to send." in nothing.output, nothing.output
    assert len(smtp_server.handler.to("postmottak@smk.dep.no")) == 2


def test_the_servers_answer_kept_beside_the_copy_outlives_a_crash_before_the_journal_heard(
    tmp_path,
):
    """The run died after the server's 250 was written beside the copy, before the row said so."""
    from lettersmith.deliver.journal import read_outcome, write_outcome

    with Journal.open(tmp_path) as journal:
        record(journal)
        record(journal, recipient="hod")
        copy = journal.get(LETTER, None, "smk").copy
        write_outcome(tmp_path, copy, "sent", "250 2.0.0 Queued")
    with Journal.open(tmp_path) as journal:
        journal.lock()
        journal.recover()
        smk, hod = journal.get(LETTER, None, "smk"), journal.get(LETTER, None, "hod")
        assert (smk.state, smk.reply) == ("sent", "250 2.0.0 Queued")
        assert (hod.state, hod.reply) == ("unknown", INTERRUPTED)
        journal.record_sending(outgoing("jd"))
        journal.record_outcome(outgoing("jd"), "failed", "554 Rejected")
        assert read_outcome(tmp_path, journal.get(LETTER, None, "jd").copy) == (
            "failed",
            "554 Rejected",
        )


def test_a_message_marked_arrived_is_rebuilt_as_sent(mail_workspace, smtp_server):
    smtp_server.handler.drop_on.add(2)
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 1
    marked = cli(mail_workspace, "status", LETTER, "--mark-arrived", "hod")
    assert marked.exit_code == 0, marked.output
    lose_journal(mail_workspace)
    assert cli(mail_workspace, "journal", "rebuild").exit_code == 0
    assert {rid: row.state for rid, row in journal_rows(mail_workspace).items()} == {
        "smk": "sent",
        "hod": "sent",
        "jd": "sent",
    }


def older_journal_after_a_second_send(root, smtp_server, tmp_path):
    """smk sent, the journal backed up, hod and jd sent, the backup put back: it lacks two."""
    assert cli(root, "send", LETTER, "--yes", "--to", "smk").exit_code == 0
    backup = tmp_path / "backup.sqlite"
    backup_journal(root, backup)
    assert cli(root, "send", LETTER, "--yes").exit_code == 0
    assert len(smtp_server.handler.received) == 3
    restore_journal(root, backup)


def test_a_send_that_starts_as_another_ends_still_checks_the_journal(
    mail_workspace, smtp_server, tmp_path, monkeypatch
):
    """The look at the journal found a send running (so it trusted it), and that send ended
    before this one took the lock: the journal is looked at again under the lock."""
    from lettersmith import Project
    from lettersmith.deliver import rebuild

    older_journal_after_a_second_send(mail_workspace, smtp_server, tmp_path)
    monkeypatch.setattr(rebuild, "send_running", lambda state_dir: True)  # then; not now
    with pytest.raises(DeliveryError, match="lettersmith journal rebuild"):
        Project.open(mail_workspace).send(LETTER)
    assert len(smtp_server.handler.received) == 3


def test_a_dry_run_or_status_while_a_send_runs_still_refuses_an_older_journal(
    mail_workspace, smtp_server, tmp_path
):
    import filelock

    from lettersmith import Project

    older_journal_after_a_second_send(mail_workspace, smtp_server, tmp_path)
    project = Project.open(mail_workspace)
    running = filelock.FileLock(mail_workspace / ".lettersmith" / "send.lock", timeout=0)
    with running:  # a send of another process holds the workspace meanwhile
        with pytest.raises(DeliveryError, match="lettersmith journal rebuild"):
            project.send(LETTER, dry_run=True)
        with pytest.raises(DeliveryError, match="lettersmith journal rebuild"):
            project.status(LETTER)
    assert not list((mail_workspace / "out" / LETTER / "mail").glob("*.eml"))


def test_a_dry_run_and_status_while_a_send_transmits_are_answered(mail_workspace, smtp_server):
    """The send holding hod's message in the middle of its data: the others may look."""
    from lettersmith import Project

    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 2)] = release
    results = []
    sender = threading.Thread(
        target=lambda: results.append(Project.open(mail_workspace).send(LETTER)), daemon=True
    )
    sender.start()
    try:
        assert smtp_server.handler.paused.wait(timeout=120)
        project = Project.open(mail_workspace)
        dry = project.send(LETTER, dry_run=True)
        states = {rid: row.state for rid, _, row in project.status(LETTER).rows if row}
    finally:
        release.set()
        sender.join(timeout=120)
    assert sorted(path.name for path in dry.written) == ["jd.eml"]  # hod: in flight
    assert states == {"smk": "sent", "hod": "sending"}
    assert results and not results[0].undelivered
    assert len(smtp_server.handler.received) == 3


def test_a_clubs_journal_row_deleted_is_refused_until_rebuilt(mail_workspace, smtp_server):
    """One row of a club's mailing gone (its copies are under sent/clubs/<club>/)."""
    club = ["--club", "bergen"]
    assert cli(mail_workspace, "send", LETTER, *club, "--yes").exit_code == 0
    assert len(smtp_server.handler.received) == 4
    with sqlite3.connect(mail_workspace / ".lettersmith" / "journal.sqlite") as db:
        db.execute("DELETE FROM deliveries WHERE club = 'bergen' AND recipient = 'hod'")
    db.close()
    for command in (["send", LETTER, *club, "--yes"], ["send", LETTER, "--yes"]):
        refused = cli(mail_workspace, *command)
        assert refused.exit_code == 1, refused.output
        assert "lacks 1 copy" in refused.output and "journal rebuild" in refused.output
    assert cli(mail_workspace, "journal", "rebuild").exit_code == 0
    with Journal.open(mail_workspace / ".lettersmith") as journal:
        assert journal.get(LETTER, "bergen", "hod").state == "sent"
    again = cli(mail_workspace, "send", LETTER, *club, "--yes")
    assert again.exit_code == 0 and "Nothing to send." in again.output, again.output
    assert len(smtp_server.handler.received) == 4


def test_a_copy_deleted_from_sent_changes_nothing_the_journal_knows(mail_workspace, smtp_server):
    """The journal is the truth and the copies its backup: a lost copy sends nothing again,
    and a rebuild keeps the row the journal has."""
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    (copy,) = (mail_workspace / ".lettersmith" / "sent").rglob("smk-*.eml")
    copy.unlink()
    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert {rid: row.state for rid, row in journal_rows(mail_workspace).items()} == {
        rid: "sent" for rid in MINISTRIES
    }
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0 and "Nothing to send." in again.output, again.output
    assert len(smtp_server.handler.received) == 3


CRASH_AT = """
import os, sys
from lettersmith.deliver import journal
where, root = sys.argv[1], sys.argv[2]
if where == "after the answer was kept":  # the 250 written beside the copy, the row not yet
    kept = journal.Journal._upsert
    def _upsert(self, out, state, *args):
        if state == "sent" and out.recipient_id == "hod":
            os._exit(9)
        return kept(self, out, state, *args)
    journal.Journal._upsert = _upsert
else:  # the 250 received, nothing written yet
    def write_outcome(state_dir, copy, state, reply):
        if "/hod-" in copy:
            os._exit(9)
    journal.write_outcome = write_outcome
from lettersmith.cli import main
main(["-w", root, "send", "menneskehandel-2024", "--yes"])
"""


@pytest.mark.parametrize(
    ("where", "state"),
    [("after the answer was kept", "sent"), ("before the answer was kept", "unknown")],
)
def test_a_crash_between_the_servers_250_and_the_journal_shows_what_is_known(
    mail_workspace, smtp_server, where, state
):
    """The process dies after the server accepted hod's message, before the journal row said
    so: status, a rebuild and the next send all agree on hod, and hod gets it once."""
    process = subprocess.run(
        [sys.executable, "-c", CRASH_AT, where, str(mail_workspace)],
        capture_output=True,
        timeout=300,
    )
    assert process.returncode == 9, process.stdout + process.stderr
    assert len(smtp_server.handler.to("postmottak@hod.dep.no")) == 1
    assert journal_rows(mail_workspace)["hod"].state == "sending"  # as the crash left it

    def hod_state():
        status = cli(mail_workspace, "status", LETTER)
        assert status.exit_code == 0, status.output
        return next(line for line in status.output.splitlines() if " hod " in line).split()

    assert state in hod_state()
    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert journal_rows(mail_workspace)["hod"].state == state
    assert state in hod_state()
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert len(smtp_server.handler.to("postmottak@hod.dep.no")) == 1, again.output
    assert journal_rows(mail_workspace)["hod"].state == state
    assert len(smtp_server.handler.to("postmottak@jd.dep.no")) == 1


def test_journal_rebuild_while_a_send_runs_touches_nothing(mail_workspace, smtp_server):
    """The running send has the journal open: a rebuild meanwhile refuses before it moves or
    writes anything, even when the journal looks unreadable to it."""
    import filelock

    from lettersmith import Project

    assert cli(mail_workspace, "send", LETTER, "--yes", "--to", "smk").exit_code == 0
    state = mail_workspace / ".lettersmith"
    journal_file = state / "journal.sqlite"
    journal_file.write_bytes(b"not a database, perhaps a sync conflict\n" * 100)
    with filelock.FileLock(state / "send.lock", timeout=0):  # a send of another process
        with pytest.raises(DeliveryError, match="another `lettersmith send` is running"):
            Project.open(mail_workspace).journal_rebuild()
        refused = cli(mail_workspace, "journal", "rebuild")
        assert refused.exit_code == 1, refused.output
    assert journal_file.read_bytes().startswith(b"not a database")
    assert sorted(path.name for path in state.glob("journal.sqlite*")) == ["journal.sqlite"]


def test_a_copy_from_before_the_revision_header_split_is_restored_with_its_revision(
    mail_workspace, smtp_server
):
    """Older copies carry the letter's whole hash in X-Lettersmith-Revision; rebuild reads it."""
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    revisions = {rid: row.revision for rid, row in journal_rows(mail_workspace).items()}
    for copy in (mail_workspace / ".lettersmith" / "sent").rglob("*.eml"):
        data = copy.read_bytes()
        head, body = data.split(b"\r\n\r\n", 1)
        lines = [
            line for line in head.split(b"\r\n") if not line.startswith(b"X-Lettersmith-Revision:")
        ]
        old = b"\r\n".join(lines).replace(
            b"X-Lettersmith-Letter-Revision:", b"X-Lettersmith-Revision:"
        )
        copy.write_bytes(old + b"\r\n\r\n" + body)
    lose_journal(mail_workspace)
    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert {rid: row.revision for rid, row in journal_rows(mail_workspace).items()} == revisions
    nothing = cli(mail_workspace, "send", LETTER, "--yes")
    assert "Nothing to send." in nothing.output, nothing.output
