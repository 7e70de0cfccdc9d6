"""Matching against the real send journal: messages built by lettersmith, recorded as a send
records them, and what comes back for them (a bounce quoting the sent copy, a receipt without
ids, a reply)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import sqlite3

import pytest

from factories import make_letter
from lettersmith.deliver.inbox import JournalSent, Kind, classify, match, read_message
from lettersmith.deliver.journal import Journal
from lettersmith.deliver.message import Envelope, build_message
from lettersmith.model import MailSettings

SETTINGS = MailSettings(sender="SI Norge <post@example.org>", bcc="arkiv@example.org")
NOW = dt.datetime(2024, 12, 10, 9, 30, tzinfo=dt.UTC)
SUBJECT = "Handlingsplan mot menneskehandel – nå"


@pytest.fixture
def journal(tmp_path):
    pdf = tmp_path / "out" / "menneskehandel-2024.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF-1.7\nletter bytes\n%%EOF\n")
    letter = make_letter(tmp_path, subject=SUBJECT)
    with Journal.open(tmp_path / ".lettersmith") as journal:
        for addressee in letter.addressees:  # smk and hod
            out = build_message(letter, addressee, Envelope.from_settings(SETTINGS), pdf, now=NOW)
            journal.record_sending(out)
            journal.record_outcome(out, "sent", "250 2.0.0 Ok: queued")
        yield journal


def sent_copy(journal: Journal, recipient: str) -> bytes:
    entry = journal.get("menneskehandel-2024", None, recipient)
    assert entry is not None and entry.copy is not None
    return (journal.state_dir / entry.copy).read_bytes()


def postfix_bounce(copy: bytes, address: str, status: str = "5.1.1") -> bytes:
    """A Postfix report quoting the headers of ``copy``, as Postfix does for a big message."""
    headers = copy.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return (
        "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\n"
        "To: post@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you ...\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} <{address}>: Recipient address rejected\r\n"
        f"\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\n{headers}\r\n--r--\r\n"
    ).encode()


def test_a_bounce_quoting_our_copy_matches_its_recipient(journal) -> None:
    copy = sent_copy(journal, "smk")
    incoming = read_message(postfix_bounce(copy, "postmottak@smk.dep.no"))
    found = match(incoming, JournalSent(journal))
    assert found is not None and (found.sent.recipient, found.how) == ("smk", "report")
    assert found.sent.subject == SUBJECT  # read back from the copy's encoded Subject
    verdict = classify(incoming, address=found.sent.address)
    assert (verdict.kind, verdict.permanent, verdict.status) == (Kind.BOUNCED, True, "5.1.1")


def test_a_bounce_of_the_archive_copy_is_not_a_bounce_for_the_recipient(journal) -> None:
    incoming = read_message(postfix_bounce(sent_copy(journal, "smk"), "arkiv@example.org"))
    assert match(incoming, JournalSent(journal)) is None


def test_a_bounce_quoting_only_our_trace_headers_matches_by_them(journal) -> None:
    copy = sent_copy(journal, "hod")
    message_id = email.message_from_bytes(copy, policy=email.policy.default)["Message-ID"]
    stripped = copy.replace(f"Message-ID: {message_id}\r\n".encode(), b"")
    found = match(
        read_message(postfix_bounce(stripped, "postmottak@hod.dep.no")), JournalSent(journal)
    )
    assert found is not None and (found.sent.recipient, found.how) == ("hod", "trace")


def test_a_receipt_without_ids_matches_by_domain_and_the_subject_of_the_copy(journal) -> None:
    raw = (
        "From: Postmottak HOD <postmottak@hod.dep.no>\r\nTo: post@example.org\r\n"
        "Subject: =?utf-8?q?Kvittering=3A_Handlingsplan_mot_menneskehandel_=E2=80=93_n=C3=A5?=\r\n"
        "\r\nVi har mottatt din henvendelse. Vår ref.: 24/1234\r\n"
    ).encode()
    incoming = read_message(raw)
    found = match(incoming, JournalSent(journal))
    assert found is not None and (found.sent.recipient, found.how) == ("hod", "domain and subject")
    assert classify(incoming).case_number == "24/1234"


def test_a_reply_matches_the_message_it_answers(journal) -> None:
    entry = journal.get("menneskehandel-2024", None, "smk")
    raw = (
        f"From: Radgiver <radgiver@smk.dep.no>\r\nIn-Reply-To: {entry.message_id}\r\n"
        f"Subject: SV: {SUBJECT}\r\n\r\nTakk for brevet.\r\n"
    ).encode()
    found = match(read_message(raw), JournalSent(journal))
    assert found is not None and (found.sent.recipient, found.how) == ("smk", "in-reply-to")


def test_a_domain_with_wildcards_finds_nothing(journal) -> None:
    assert [e.recipient for e in journal.to_domain("hod.dep.no")] == ["hod"]
    assert [e.recipient for e in journal.to_domain("HOD.dep.no")] == ["hod"]
    for pattern in ("%", "_od.dep.no", "%.dep.no", "\\"):
        assert journal.to_domain(pattern) == []


def test_the_journal_finds_a_message_id_by_its_index(journal) -> None:
    entry = journal.get("menneskehandel-2024", None, "hod")
    assert journal.with_message_id(entry.message_id) == entry
    assert journal.with_message_id("<not-ours@example.org>") is None
    db = sqlite3.connect(journal.state_dir / "journal.sqlite")
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM deliveries WHERE message_id = ?", ("x",)
    ).fetchall()
    db.close()
    assert "USING INDEX deliveries_message_id" in " ".join(str(row[-1]) for row in plan)
