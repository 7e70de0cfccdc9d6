"""``lettersmith inbox``: a letter sent to a real SMTP server (aiosmtpd), then bounces, receipts
and replies to it in a real IMAP folder (Dovecot), read into the journal; ``status`` tells the
story per recipient, and the server's mailbox is left exactly as it was."""

from __future__ import annotations

import email
import sqlite3
from email.policy import default

import pytest
from click.testing import CliRunner

from conftest import point_imap_at
from dovecot import PASSWORD
from lettersmith.app.project import Project
from lettersmith.cli import main
from lettersmith.deliver.inbox import classify, match, read_message
from lettersmith.deliver.inbox.imap import Limits
from lettersmith.deliver.inbox.run import read_inbox
from lettersmith.model import ImapSettings
from test_inbox_classify import CORPUS, JOURNAL, SENT

LETTER = "menneskehandel-2024"
SUBJECT = "Tiden er inne for å få en handlingsplan mot menneskehandel"


def cli(root, *args):
    return CliRunner().invoke(main, ["-w", str(root), *args], env={"COLUMNS": "400"})


@pytest.fixture
def sent(mail_workspace, smtp_server, dovecot, monkeypatch):
    """The example letter sent to its three ministries; mail.imap points at ``dovecot``.
    Returns (workspace, {recipient id: Message-ID of what it was sent})."""
    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", PASSWORD)
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    ids = {}
    for received in smtp_server.handler.received:
        message = received.message
        ids[message["X-Lettersmith-Recipient"]] = message["Message-ID"]
    assert set(ids) == {"smk", "hod", "jd"}
    return point_imap_at(mail_workspace, dovecot), ids


def bounce(message_id: str, to: str, status: str = "5.1.1") -> bytes:
    """A Postfix delivery status notification (RFC 3464) about our message to ``to``."""
    return f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: post@example.org
Subject: Undelivered Mail Returned to Sender
Date: Thu, 03 Dec 2026 10:05:00 +0100
Message-ID: <20261203090500.A1@mx.example.org>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.
<{to}>: host mx.dep.no said: 550 {status} <{to}>: Recipient address rejected: User unknown

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {to}
Original-Recipient: rfc822;{to}
Action: failed
Status: {status}
Remote-MTA: dns; mx.dep.no
Diagnostic-Code: smtp; 550 {status} <{to}>: Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

From: SI Norge <post@example.org>
To: {to}
Subject: {SUBJECT}
Message-ID: {message_id}

--B--
""".replace("\n", "\r\n").encode()


def receipt(message_id: str, case: str = "24/1234") -> bytes:
    """An archive's automatic receipt in bokmål, with its case number."""
    return f"""\
From: Postmottak SMK <postmottak@smk.dep.no>
To: SI Norge <post@example.org>
Subject: Kvittering for mottatt henvendelse: {SUBJECT}
Date: Thu, 03 Dec 2026 11:00:00 +0100
Message-ID: <kvittering-1@smk.dep.no>
In-Reply-To: {message_id}
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

Vi har mottatt din henvendelse, og den vil bli journalført.
Vår ref.: {case}

Med hilsen
Statsministerens kontor
""".replace("\n", "\r\n").encode()


def reply(message_id: str) -> bytes:
    """A political adviser's answer, top-posted, days later."""
    return f"""\
From: Kari Rådgiver <kari.radgiver@jd.dep.no>
To: SI Norge <post@example.org>
Subject: SV: {SUBJECT}
Date: Mon, 07 Dec 2026 14:30:00 +0100
Message-ID: <svar-1@jd.dep.no>
In-Reply-To: {message_id}
References: {message_id}
Content-Type: text/plain; charset=utf-8

Takk for brevet. Statsråden vil gjerne møte dere i januar.

Kari
""".replace("\n", "\r\n").encode()


def unrelated(number: int) -> bytes:
    return f"""\
From: Nyhetsbrev <nyheter@example.com>
To: post@example.org
Subject: Ukens nyheter {number}
Date: Thu, 03 Dec 2026 12:00:00 +0100
Message-ID: <nyhet-{number}@example.com>
List-Id: <nyheter.example.com>
Content-Type: text/plain

Nyheter.
""".replace("\n", "\r\n").encode()


def stranger(number: int) -> bytes:
    """A reply to someone else's message: not ours, never guessed."""
    return f"""\
From: Ola <ola@example.net>
To: post@example.org
Subject: Re: Dugnad
Date: Thu, 03 Dec 2026 13:00:00 +0100
Message-ID: <annen-{number}@example.net>
In-Reply-To: <noe-annet@example.net>
Content-Type: text/plain

Ja, jeg kommer.
""".replace("\n", "\r\n").encode()


def from_corpus(name: str, replace: dict[str, str]) -> bytes:
    """A message of tests/data/inbox/ (real servers' and archives' shapes), re-aimed at what
    this test sent: its Message-IDs and addresses replaced."""
    raw = (CORPUS / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def status_line(output: str, rid: str) -> str:
    return next(line for line in output.splitlines() if f" {rid} " in line)


def test_bounces_receipts_and_replies_come_back_into_status(sent, dovecot, smtp_server):
    root, ids = sent
    dovecot.deliver(bounce(ids["hod"], "postmottak@hod.dep.no"))
    dovecot.deliver(receipt(ids["smk"]))
    dovecot.deliver(reply(ids["jd"]))
    dovecot.deliver(unrelated(1))
    dovecot.deliver(stranger(1))
    before = dovecot.flags()
    assert len(before) == 5

    result = cli(root, "inbox")
    assert result.exit_code == 0, result.output
    assert (
        "5 new messages read in INBOX: 1 bounced, 1 received, 1 replied; 2 answering none of "
        "your letters (left alone)." in result.output
    )
    assert PASSWORD not in result.output

    status = cli(root, "status", LETTER)
    assert status.exit_code == 0, status.output
    hod = status_line(status.output, "hod")
    assert "sent, then bounced" in hod
    assert "bounced permanently (5.1.1" in hod and "User unknown" in hod
    smk = status_line(status.output, "smk")
    assert "received, case number 24/1234" in smk
    jd = status_line(status.output, "jd")
    assert "replied by Kari Rådgiver <kari.radgiver@jd.dep.no>, on 2026-12-07" in jd

    # The server's mailbox is as it was: the same messages, UIDs and flags (nothing \Seen).
    assert dovecot.flags() == before
    assert all("\\Seen" not in flags for _, flags in before)

    # A copy of each matched message, none of the others.
    copies = sorted((root / ".lettersmith" / "inbox").glob("*.eml"))
    assert len(copies) == 3
    subjects = {email.message_from_bytes(p.read_bytes(), policy=default)["Subject"] for p in copies}
    assert "Undelivered Mail Returned to Sender" in subjects

    # A bounced recipient is not counted as reached.
    standing = Project(root).status(LETTER)
    assert standing.reached() == 2
    assert standing.inbox["hod"].bounced


def test_the_shapes_real_servers_send_tell_the_story_too(sent, dovecot):
    """An Exchange bounce, a county's receipt in nynorsk, an HTML-only top-posted reply and an
    out-of-office, as they come, answering the messages this test sent."""
    root, ids = sent
    dovecot.deliver(
        from_corpus(
            "bounce-exchange-recipient-not-found.eml",
            {"<7b9d1f3a5c7e49b2a4d6f8b0c2e4a6d8@eksempelforeningen.no>": ids["hod"],
             "radgiver.hansen@nfd.dep.no": "postmottak@hod.dep.no"},
        )
    )  # fmt: skip
    dovecot.deliver(
        from_corpus(
            "receipt-nynorsk-county.eml",
            {"<f03a7c5e9b1d4f26a8c0e2b4d6f8a1c3@eksempelforeningen.no>": ids["smk"]},
        )
    )
    dovecot.deliver(
        from_corpus(
            "reply-html-only-top-posted.eml",
            {"<e91c5a3f7b2d4e08b6a4c2f0d8e6b3c5@eksempelforeningen.no>": ids["jd"]},
        )
    )
    for name in ("newsletter.eml", "spam.eml", "references-other-org.eml", "dsn-not-ours.eml"):
        dovecot.deliver(from_corpus(name, {}))
    result = cli(root, "inbox", LETTER)
    assert result.exit_code == 0, result.output
    assert "7 new messages read in INBOX: 1 bounced, 1 received, 1 replied; 4 answering" in (
        result.output
    )
    status = cli(root, "status", LETTER)
    hod = status_line(status.output, "hod")
    assert "sent, then bounced" in hod and "5.1.10" in hod
    assert "received, case number 2024/5678" in status_line(status.output, "smk")
    jd = status_line(status.output, "jd")
    assert (
        "replied by Lund Sølvi <saksbehandler.lund@kd.dep.no>, on 2026-11-26, case number 24/3321"
        in jd
    )


def test_a_second_run_reads_nothing_twice_and_new_mail_is_read(sent, dovecot):
    root, ids = sent
    dovecot.deliver(receipt(ids["smk"]))
    first = cli(root, "inbox")
    assert "1 new message read in INBOX: 0 bounced, 1 received" in first.output
    again = cli(root, "inbox")
    assert again.exit_code == 0, again.output
    assert "0 new messages read in INBOX" in again.output
    dovecot.deliver(reply(ids["jd"]))
    third = cli(root, "inbox", LETTER)
    assert "1 new message read in INBOX: 0 bounced, 0 received, 1 replied" in third.output
    assert rows(root) == 2


def test_a_renumbered_folder_is_read_again_and_nothing_is_recorded_twice(sent, dovecot):
    root, ids = sent
    dovecot.deliver(receipt(ids["smk"]))
    dovecot.deliver(unrelated(1))
    assert cli(root, "inbox").exit_code == 0
    old = uidvalidity(root)
    dovecot.new_uidvalidity()
    dovecot.deliver(reply(ids["jd"]))
    result = cli(root, "inbox")
    assert result.exit_code == 0, result.output
    assert uidvalidity(root) != old
    assert "3 new messages read" in result.output
    assert "renumbered the folder" in result.output and "(1 known already)" in result.output
    assert rows(root) == 2


def with_attachment(message: bytes, size: int) -> bytes:
    """``message`` (a single text part) with an attachment of about ``size`` bytes after it."""
    head, _, body = message.partition(b"\r\n\r\n")
    head = head.replace(b"Content-Type: text/plain; charset=utf-8", b"MIME-Version: 1.0")
    head += b'\r\nContent-Type: multipart/mixed; boundary="B"'
    line = b"JVBERi0xLjcKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29kZT4+\r\n"
    return (
        head + b"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
        + b"\r\n--B\r\nContent-Type: application/pdf; name=vedlegg.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + line * (size // len(line))
        + b"--B--\r\n"
    )  # fmt: skip


def test_a_huge_answer_is_recorded_from_its_first_part_and_named(sent, dovecot):
    root, ids = sent
    dovecot.deliver(with_attachment(reply(ids["jd"]), 11 * 1024 * 1024))  # 11 MB: a scan
    dovecot.deliver(with_attachment(unrelated(1), 11 * 1024 * 1024))  # not ours: no matter
    result = cli(root, "inbox")
    assert result.exit_code == 0, result.output
    assert "2 new messages read in INBOX: 0 bounced, 0 received, 1 replied; 1 answering" in (
        result.output
    )
    assert (
        "Read in part, too large (11.0 MB): the message from kari.radgiver@jd.dep.no "
        f"“SV: {SUBJECT}” answers {LETTER} -> jd; it was recorded from its first part"
    ) in result.output
    assert "Ukens nyheter" not in result.output
    (copy,) = (root / ".lettersmith" / "inbox").glob("*.eml")
    assert copy.stat().st_size == 2 * 1024 * 1024  # the first part only, marked so
    (event,) = Project(root).status(LETTER).inbox["jd"].events
    assert event.partial and event.kind == "replied"
    status = cli(root, "status", LETTER)
    assert "replied by Kari Rådgiver" in status_line(status.output, "jd")


def test_a_too_large_message_that_may_be_ours_is_named_even_unmatched(sent, dovecot):
    root, ids = sent
    stranger_at_jd = stranger(1).replace(b"ola@example.net", b"ola@jd.dep.no")
    dovecot.deliver(with_attachment(stranger_at_jd, 4000))
    dovecot.deliver(receipt(ids["smk"]))
    result = Project(root).inbox(limits=Limits(message_bytes=3000, part_bytes=1000))
    assert result.count("received") == 1
    (skipped,) = result.skipped
    assert (skipped.sender, skipped.subject, skipped.answers) == ("ola@jd.dep.no", "Re: Dugnad", "")
    assert skipped.size > 4000


def test_a_run_stops_at_its_count_and_the_next_goes_on(sent, dovecot):
    root, ids = sent
    for number in range(5):
        dovecot.deliver(unrelated(number))
    dovecot.deliver(receipt(ids["smk"]))
    first = Project(root).inbox(limits=Limits(messages=4, batch=2))
    assert (first.read, first.waiting) == (4, 2)
    second = Project(root).inbox(limits=Limits(messages=4, batch=2))
    assert (second.read, second.waiting, second.count("received")) == (2, 0, 1)


def test_since_reads_only_recent_mail(sent, dovecot):
    root, ids = sent
    dovecot.deliver(receipt(ids["smk"]))
    result = cli(root, "inbox", "--since", "2099-01-01")
    assert "0 new messages read" in result.output
    bad = cli(root, "inbox", "--since", "3.12.2026")
    assert bad.exit_code == 2 and "write the date as YYYY-MM-DD" in bad.output


def test_a_wrong_password_is_a_clean_error(sent, monkeypatch):
    root, _ = sent
    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", "ikke-riktig-passord")
    result = cli(root, "inbox")
    assert result.exit_code == 1
    assert "the server refused the login for 'post@example.org'" in result.output
    assert "ikke-riktig-passord" not in result.output
    assert "Traceback" not in result.output


def test_check_warns_about_an_address_that_bounced_until_it_is_changed(sent, dovecot):
    root, ids = sent
    dovecot.deliver(bounce(ids["hod"], "postmottak@hod.dep.no"))
    assert cli(root, "inbox").exit_code == 0
    warned = cli(root, "check")
    assert warned.exit_code == 0, warned.output
    assert (
        "warning: hod: postmottak@hod.dep.no bounced permanently on 2026-12-03 (5.1.1"
        in warned.output
    )

    # Send refuses to count it as sent: the plan says why, and sends it again only to a
    # corrected address.
    plan = cli(root, "send", LETTER, "--dry-run")
    assert "bounced" in status_line(plan.output, "hod")
    recipients = root / "recipients.yaml"
    text = recipients.read_text(encoding="utf-8")
    recipients.write_text(
        text.replace(
            "hod:\n  office: no/hod\n", "hod:\n  office: no/hod\n  email: post@hod.dep.no\n"
        ),
        encoding="utf-8",
    )
    quiet = cli(root, "check")
    assert "bounced permanently" not in quiet.output
    again = cli(root, "send", LETTER, "--dry-run")
    assert "send: again" in status_line(again.output, "hod")


def test_journal_rebuild_restores_the_inbox_rows(sent, dovecot):
    root, ids = sent
    dovecot.deliver(receipt(ids["smk"]))
    dovecot.deliver(bounce(ids["hod"], "postmottak@hod.dep.no"))
    assert cli(root, "inbox").exit_code == 0
    journal = root / ".lettersmith" / "journal.sqlite"
    for suffix in ("", "-wal", "-shm"):
        journal.with_name(journal.name + suffix).unlink(missing_ok=True)
    rebuilt = cli(root, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "2 inbox row(s) restored" in rebuilt.output
    status = cli(root, "status", LETTER)
    assert "received, case number 24/1234" in status_line(status.output, "smk")
    # The folder's place was lost with the journal: read again, nothing recorded twice.
    again = cli(root, "inbox")
    assert "2 new messages read" in again.output and rows(root) == 2


def rows(root) -> int:
    with sqlite3.connect(root / ".lettersmith" / "journal.sqlite") as db:
        return db.execute("SELECT count(*) FROM inbox").fetchone()[0]


def uidvalidity(root) -> int:
    with sqlite3.connect(root / ".lettersmith" / "journal.sqlite") as db:
        return db.execute("SELECT uidvalidity FROM inbox_folders").fetchone()[0]


def test_the_corpus_read_over_imap_gives_what_each_message_says(dovecot, tmp_path, monkeypatch):
    """Every hand-written shape (Postfix, Exchange, Gmail, archives, people, forgeries) read
    through the server comes out as reading the file directly does; the rest is left alone."""
    from test_inbox_classify import CORPUS

    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", PASSWORD)
    expected = set()
    files = sorted(CORPUS.glob("*.eml"))
    for path in files:
        dovecot.deliver(path.read_bytes())
        incoming = read_message(path.read_bytes())
        found = match(incoming, JOURNAL)
        if found is None:
            continue
        verdict = classify(incoming, address=found.sent.address)
        if verdict.kind.value != "unrelated":
            expected.add((found.sent.recipient, verdict.kind.value, verdict.case_number))
    before = dovecot.flags()
    settings = ImapSettings("127.0.0.1", dovecot.port, dovecot.user, security="none")
    outcome = read_inbox(settings, tmp_path / ".lettersmith", sent=SENT)
    got = {(event.recipient, event.kind, event.case_number) for event in outcome.events}
    assert got == expected
    assert outcome.read == len(files)
    assert outcome.read == len(outcome.events) + outcome.unmatched + outcome.unrelated
    assert ("kvinnenettverket", "bounced", "") in got and (
        "vestland",
        "received",
        "2024/5678",
    ) in got
    assert dovecot.flags() == before
    again = read_inbox(settings, tmp_path / ".lettersmith", sent=SENT)
    assert (again.read, again.events) == (0, [])


def set_imap(root, block: str) -> None:
    config = root / "lettersmith.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("  rate:")
    config.write_text(text[:start] + block + text[start:], encoding="utf-8")


def test_without_mail_imap_the_command_says_what_to_add(mail_workspace):
    result = cli(mail_workspace, "inbox")
    assert result.exit_code == 1
    assert "lettersmith.yaml: mail.imap is missing; add host, username" in result.output
    assert "Traceback" not in result.output


def test_mail_imap_is_checked_like_mail_smtp(mail_workspace):
    set_imap(
        mail_workspace,
        "  imap:\n    host: imap.example.org\n    security: none\n    password: hemmelig\n"
        "    folder: INBOX\n",
    )
    result = cli(mail_workspace, "check")
    assert result.exit_code == 1
    lines = result.output
    text = (mail_workspace / "lettersmith.yaml").read_text(encoding="utf-8")
    at = text[: text.index("  imap:")].count("\n") + 1  # the line of imap:
    assert f"lettersmith.yaml:{at}: mail.imap.username: required field is missing" in lines
    assert (
        f"lettersmith.yaml:{at + 2}: mail.imap.security: 'none' sends the password unencrypted, "
        "so it is allowed only to this computer (localhost, 127.0.0.1, ::1), not to "
        "'imap.example.org'"
    ) in lines
    assert (
        f"lettersmith.yaml:{at + 3}: mail.imap.password: never write the password in a file; "
        "remove it and set the environment variable LETTERSMITH_IMAP_PASSWORD"
    ) in lines
    assert "hemmelig" not in lines


def test_an_unknown_host_is_a_clean_error(mail_workspace, monkeypatch):
    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", "x")
    set_imap(mail_workspace, "  imap:\n    host: imap.invalid\n    username: post@example.org\n")
    result = cli(mail_workspace, "inbox")
    assert result.exit_code == 1
    assert result.output.startswith(
        "imap.invalid:993: cannot connect to the mail server: there is no server named imap.invalid"
    )


def test_the_default_port_follows_security(mail_workspace):
    set_imap(
        mail_workspace,
        "  imap:\n    host: imap.example.org\n    security: starttls\n    username: u\n",
    )
    imap = Project(mail_workspace).workspace().mail.imap
    assert (imap.port, imap.security, imap.folder) == (143, "starttls", "INBOX")


def test_a_run_out_of_time_stops_between_batches_and_the_next_goes_on(sent, dovecot):
    root, ids = sent
    for number in range(3):
        dovecot.deliver(unrelated(number))
    dovecot.deliver(receipt(ids["smk"]))
    first = Project(root).inbox(limits=Limits(seconds=0, batch=2))
    assert (first.read, first.waiting) == (2, 2)
    second = Project(root).inbox()
    assert (second.read, second.waiting, second.count("received")) == (2, 0, 1)


def test_a_run_stopped_before_its_batch_was_recorded_loses_and_doubles_nothing(
    sent, dovecot, monkeypatch
):
    """Stopped after the copy was written but before the rows committed (Ctrl-C, a crash)."""
    from lettersmith.deliver.inbox.store import InboxStore

    root, ids = sent
    dovecot.deliver(receipt(ids["smk"]))
    dovecot.deliver(reply(ids["jd"]))
    commit = InboxStore.commit

    def stopped(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(InboxStore, "commit", stopped)
    with pytest.raises(KeyboardInterrupt):
        Project(root).inbox()
    assert len(list((root / ".lettersmith" / "inbox").glob("*.eml"))) == 2  # copies, no rows
    monkeypatch.setattr(InboxStore, "commit", commit)
    again = Project(root).inbox()
    assert (again.read, again.count("received"), again.count("replied")) == (2, 1, 1)
    assert rows(root) == 2
    assert len(list((root / ".lettersmith" / "inbox").glob("*.eml"))) == 2
    assert Project(root).inbox().read == 0


def test_a_bounce_that_does_not_blame_the_address_asks_for_no_correction(sent, dovecot):
    """Refused by a spam filter (5.7.1): not reached, but the register's address is right."""
    root, ids = sent
    dovecot.deliver(bounce(ids["hod"], "postmottak@hod.dep.no", status="5.7.1"))
    assert cli(root, "inbox").exit_code == 0
    assert "sent, then bounced" in status_line(cli(root, "status", LETTER).output, "hod")
    assert Project(root).status(LETTER).reached() == 2
    assert "bounced permanently" not in cli(root, "check").output
    plan = cli(root, "send", LETTER, "--dry-run")
    assert "once the cause is fixed, --resend --to hod" in status_line(plan.output, "hod")
    again = cli(root, "send", LETTER, "--dry-run", "--resend", "--to", "hod")
    assert "send: again (--resend; bounced: 5.7.1)" in status_line(again.output, "hod")
