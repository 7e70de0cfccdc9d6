"""The send journal: durable states, the crash rule, one sender at a time."""

from __future__ import annotations

import sqlite3

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
