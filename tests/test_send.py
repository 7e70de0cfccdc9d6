"""Delivery to a real SMTP server (aiosmtpd on 127.0.0.1), with the journal, through faults.

Every fault test ends with a second run against a healthy server and then asserts the
promise: each recipient got exactly one message, or is ``unknown`` and got at most one.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from email.policy import default

import pytest
from click.testing import CliRunner

import conftest
from conftest import SMTP_PASSWORD, SMTP_USER, point_mail_at
from factories import make_letter
from lettersmith.cli import main
from lettersmith.deliver import send
from lettersmith.deliver import smtp as deliver
from lettersmith.deliver.journal import Journal
from lettersmith.deliver.message import Envelope, build_message
from lettersmith.deliver.smtp import Session, check_settings
from lettersmith.errors import DeliveryError
from lettersmith.model import Addressee, MailSettings, Rate, SmtpSettings
from readback import pdf_text
from workspaces import copy_example

LETTER = "menneskehandel-2024"
EXAMPLE_RECIPIENTS = {
    "smk": "postmottak@smk.dep.no",
    "hod": "postmottak@hod.dep.no",
    "jd": "postmottak@jd.dep.no",
}
ENVELOPE = Envelope.from_settings(MailSettings(sender="SI Norge <post@example.org>"))
ADDRESSEES = tuple(
    Addressee(rid, (rid,), f"postmottak@{rid}.dep.no", f"Minister {rid.upper()}")
    for rid in ("smk", "hod", "jd")
)


class Batch:
    """Three messages of the reference letter, planned against the journal like a real run."""

    def __init__(self, root, server):
        self.root = root
        self.server = server
        self.pdf = root / "out" / "menneskehandel-2024" / "menneskehandel-2024.pdf"
        self.pdf.parent.mkdir(parents=True)
        self.pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n")
        self.sleeps: list[float] = []

    def plan(self, journal, resend=False, only=None):
        letter = make_letter(self.root, addressees=ADDRESSEES)
        planned = []
        for addressee in letter.addressees:
            if only and addressee.id not in only:
                continue
            out = build_message(letter, addressee, ENVELOPE, self.pdf)
            planned.append(send.decide(out, journal.get(out.letter_id, None, addressee.id), resend))
        return planned

    def run(self, resend=False, only=None, **session_options):
        """One `send` run: lock, recover, plan, deliver; the results and the final journal rows."""
        smtp = SmtpSettings(self.server.host, self.server.port, "none")
        with Journal.open(self.root / ".lettersmith") as journal:
            journal.lock()
            journal.recover()
            planned = self.plan(journal, resend, only)
            options = {"retry_delays": (1.0, 2.0), "sleep": self.sleeps.append, **session_options}
            with Session(smtp, **options) as session:
                results = list(send.deliver(planned, journal, session))
            rows = {e.recipient: e for e in journal.entries("menneskehandel-2024", None)}
        return planned, results, rows

    def assert_each_exactly_once_or_unknown(self, rows):
        for addressee in ADDRESSEES:
            got = len(self.server.handler.to(addressee.email))
            if rows[addressee.id].state == "unknown":
                assert got <= 1, addressee.id
            else:
                assert (rows[addressee.id].state, got) == ("sent", 1), addressee.id


@pytest.fixture
def batch(tmp_path, smtp_server):
    return Batch(tmp_path, smtp_server)


def states(results):
    return {r.planned.out.recipient_id: r.outcome.state for r in results}


def test_happy_path_then_a_second_run_sends_nothing(batch, smtp_server):
    planned, results, rows = batch.run()
    assert states(results) == {"smk": "sent", "hod": "sent", "jd": "sent"}
    assert [m.message["To"] for m in smtp_server.handler.received] == [
        "Minister SMK <postmottak@smk.dep.no>",
        "Minister HOD <postmottak@hod.dep.no>",
        "Minister JD <postmottak@jd.dep.no>",
    ]
    first = smtp_server.handler.received[0].message
    assert first["Subject"] == "Tiden er inne for å få en handlingsplan mot menneskehandel"
    (attachment,) = first.iter_attachments()
    assert attachment.get_content() == batch.pdf.read_bytes()
    assert "Vedlagt følger en uttalelse." in first.get_body(("plain",)).get_content()
    for rid, row in rows.items():
        assert row.state == "sent" and row.reply.startswith("250")
        copy = batch.root / ".lettersmith" / row.copy
        assert copy.read_bytes() == next(p.out.data for p in planned if p.out.recipient_id == rid)

    planned, results, _ = batch.run()
    assert results == []
    sent_at = rows["smk"].updated_at.replace("T", " ")[:16]
    assert planned[0].note == f"already sent {sent_at}"
    assert not any(p.send for p in planned)
    assert len(smtp_server.handler.received) == 3


def test_a_451_is_retried_with_backoff(batch, smtp_server):
    smtp_server.handler.reply_451_on.add(3)
    _, results, rows = batch.run()
    assert states(results) == {"smk": "sent", "hod": "sent", "jd": "sent"}
    assert batch.sleeps == [1.0]
    batch.assert_each_exactly_once_or_unknown(rows)


def test_a_lasting_451_is_deferred_and_sent_by_the_next_run(batch, smtp_server):
    smtp_server.handler.reply_451_on.update({3, 4, 5})
    _, results, rows = batch.run()
    assert states(results) == {"smk": "sent", "hod": "sent", "jd": "deferred"}
    assert batch.sleeps == [1.0, 2.0]  # bounded: two retries, then deferred
    assert rows["jd"].reply == "451 4.3.0 Try again later"

    smtp_server.handler.healthy()
    _, results, rows = batch.run()
    assert states(results) == {"jd": "sent"}
    batch.assert_each_exactly_once_or_unknown(rows)


def test_a_server_that_keeps_answering_421_stops_the_batch(batch, smtp_server):
    """421 is the server shutting down: waiting out every retry for every message would take
    minutes per recipient (hours for a long list) and deliver nothing."""
    smtp_server.handler.mail_reply = "421 4.3.2 Service shutting down"
    smtp = SmtpSettings(smtp_server.host, smtp_server.port, "none")
    results = []
    with Journal.open(batch.root / ".lettersmith") as journal:
        planned = batch.plan(journal)
        stopped = pytest.raises(DeliveryError, match="421 4.3.2 Service shutting down")
        session = Session(smtp, retry_delays=(1.0, 2.0), sleep=batch.sleeps.append)
        with stopped, session:
            results.extend(send.deliver(planned, journal, session))
        assert states(results) == {"smk": "deferred"}
        assert batch.sleeps == [1.0, 2.0]
        assert smtp_server.handler.mail_count == 3  # smk three times; hod and jd never tried
        hints = send.Report(planned, results).hints("lettersmith send x")
        assert hints == ["Not delivered yet: hod, jd, smk. To continue: lettersmith send x"]

    smtp_server.handler.healthy()
    _, results, rows = batch.run()
    assert states(results) == {"smk": "sent", "hod": "sent", "jd": "sent"}
    batch.assert_each_exactly_once_or_unknown(rows)


def test_a_550_fails_one_recipient_and_the_batch_goes_on(batch, smtp_server):
    smtp_server.handler.refuse.add("postmottak@hod.dep.no")
    _, results, rows = batch.run()
    assert states(results) == {"smk": "sent", "hod": "failed", "jd": "sent"}
    assert rows["hod"].reply == "550 5.1.1 No such mailbox here"

    smtp_server.handler.healthy()
    _, results, rows = batch.run()
    assert states(results) == {"hod": "sent"}
    batch.assert_each_exactly_once_or_unknown(rows)


def test_a_closed_connection_is_reopened(batch, smtp_server):
    smtp_server.handler.close_after = 2
    _, results, rows = batch.run()
    assert states(results) == {"smk": "sent", "hod": "sent", "jd": "sent"}
    smtp_server.handler.healthy()
    batch.run()
    batch.assert_each_exactly_once_or_unknown(rows)


def test_a_drop_after_the_final_dot_is_unknown_and_never_resent_on_its_own(batch, smtp_server):
    smtp_server.handler.drop_on.add(2)
    _, results, rows = batch.run()
    assert states(results) == {"smk": "sent", "hod": "unknown", "jd": "sent"}
    assert "may have arrived" in rows["hod"].reply

    smtp_server.handler.healthy()
    planned, results, rows = batch.run()
    assert results == []
    assert [p.note for p in planned if p.out.recipient_id == "hod"] == [
        "unknown: check whether it arrived, then --resend --to hod"
    ]
    batch.assert_each_exactly_once_or_unknown(rows)
    assert len(smtp_server.handler.to("postmottak@hod.dep.no")) == 1  # the server had kept it

    # A person checked and says it did not arrive: only then is it sent again.
    _, results, rows = batch.run(resend=True, only={"hod"})
    assert states(results) == {"hod": "sent"}
    assert len(smtp_server.handler.to("postmottak@hod.dep.no")) == 2


def test_a_server_gone_for_good_stops_the_batch_and_the_next_run_continues(batch, smtp_server):
    smtp = SmtpSettings(smtp_server.host, smtp_server.port, "none")
    results = []
    with Journal.open(batch.root / ".lettersmith") as journal:
        planned = batch.plan(journal)
        gone = pytest.raises(DeliveryError, match="cannot connect to the mail server")
        with gone, Session(smtp, sleep=batch.sleeps.append) as session:
            for result in send.deliver(planned, journal, session):
                results.append(result)
                if len(results) == 2:
                    smtp_server.stop()
        report = send.Report(planned, results)
        assert states(results) == {"smk": "sent", "hod": "sent", "jd": "deferred"}
        assert report.hints("lettersmith send x") == [
            "Not delivered yet: jd. To continue: lettersmith send x"
        ]

    smtp_server.start()
    _, results, rows = batch.run()
    assert states(results) == {"jd": "sent"}
    batch.assert_each_exactly_once_or_unknown(rows)


def test_a_changed_letter_is_reported_and_resent_only_with_resend(batch, smtp_server):
    batch.run()
    batch.pdf.write_bytes(b"%PDF-1.7\ncorrected\n%%EOF\n")
    planned, results, _ = batch.run()
    assert results == []
    assert all("changed since sent" in p.note and not p.send for p in planned)
    hints = send.Report(planned, results).hints("lettersmith send menneskehandel-2024")
    assert hints == [
        "Changed since sent: smk, hod, jd. To send the new version: lettersmith send "
        "menneskehandel-2024 --resend --to smk --to hod --to jd"
    ]
    _, results, rows = batch.run(resend=True, only={"smk"})
    assert states(results) == {"smk": "sent"}
    first, second = smtp_server.handler.to("postmottak@smk.dep.no")
    (attachment,) = second.message.iter_attachments()
    assert attachment.get_content() == b"%PDF-1.7\ncorrected\n%%EOF\n"
    assert second.message["Message-ID"] != first.message["Message-ID"]
    assert rows["smk"].message_id == second.message["Message-ID"]


def test_rate_limit_waits_for_the_window(batch, smtp_server):
    clock = [100.0]

    def sleep(seconds):
        batch.sleeps.append(seconds)
        clock[0] += seconds

    _, results, _ = batch.run(rate=Rate(2, 60.0), sleep=sleep, clock=lambda: clock[0])
    assert states(results) == {"smk": "sent", "hod": "sent", "jd": "sent"}
    assert batch.sleeps == [60.0]


def test_starttls_not_offered_sends_nothing(batch, smtp_server):
    smtp = SmtpSettings(smtp_server.host, smtp_server.port, "starttls")
    refused = r"127\.0\.0\.1:\d+: the server does not offer STARTTLS.*nothing was sent"
    with pytest.raises(DeliveryError, match=refused), Session(smtp):
        pass
    assert smtp_server.handler.mail_count == 0


def test_plain_smtp_only_to_this_machine(monkeypatch):
    with pytest.raises(
        DeliveryError, match="allowed only to this machine.*not to smtp.example.org"
    ):
        check_settings(SmtpSettings("smtp.example.org", 25, "none"))
    assert check_settings(SmtpSettings("localhost", 25, "none")).host == "localhost"
    assert check_settings(SmtpSettings("::1", 25, "none")).host == "::1"
    monkeypatch.delenv("LETTERSMITH_SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError, match="LETTERSMITH_SMTP_PASSWORD is not set"):
        check_settings(SmtpSettings("smtp.example.org", 587, "starttls", "post@example.org"))


# --------------------------------------------------------------------------- the command


def cli(root, *args, input=None):
    return CliRunner().invoke(main, ["-w", str(root), *args], input=input, env={"COLUMNS": "250"})


def journal_rows(root, club=None):
    with Journal.open(root / ".lettersmith") as journal:
        return {e.recipient: e for e in journal.entries(LETTER, club)}


def assert_promise_kept(root, server):
    """Each recipient got exactly one message, or is `unknown` and got at most one."""
    rows = journal_rows(root)
    for rid, address in EXAMPLE_RECIPIENTS.items():
        got = len(server.handler.to(address))
        if rows[rid].state == "unknown":
            assert got <= 1, rid
        else:
            assert (rows[rid].state, got) == ("sent", 1), rid


def test_dry_run_writes_the_messages_and_sends_nothing(mail_workspace, smtp_server):
    result = cli(mail_workspace, "send", LETTER, "--dry-run")
    assert result.exit_code == 0, result.output
    folder = mail_workspace / "out" / LETTER / "mail"
    assert sorted(p.name for p in folder.iterdir()) == ["hod.eml", "jd.eml", "smk.eml"]
    pdf = (mail_workspace / "out" / LETTER / f"{LETTER}.pdf").read_bytes()
    for rid, address in EXAMPLE_RECIPIENTS.items():
        msg = email.message_from_bytes((folder / f"{rid}.eml").read_bytes(), policy=default)
        assert msg["To"].addresses[0].addr_spec == address
        assert msg["From"] == "SI Norge <post@example.org>"
        assert msg["Subject"] == "Tiden er inne for å få en handlingsplan mot menneskehandel"
        assert "journalføres" in msg.get_body(("plain",)).get_content()
        (attachment,) = msg.iter_attachments()
        assert attachment.get_content() == pdf
    assert f"wrote out/{LETTER}/mail/smk.eml" in result.output
    assert smtp_server.handler.mail_count == 0
    assert journal_rows(mail_workspace) == {}

    # After a real send, a dry run shows that nothing would go out.
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    again = cli(mail_workspace, "send", LETTER, "--dry-run")
    assert "Dry run: 0 message(s) written, nothing sent." in again.output
    assert list(folder.iterdir()) == []


def test_send_delivers_once_and_a_second_run_sends_nothing(mail_workspace, smtp_server):
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    pdf = (mail_workspace / "out" / LETTER / f"{LETTER}.pdf").read_bytes()
    for address in EXAMPLE_RECIPIENTS.values():
        (received,) = smtp_server.handler.to(address)
        assert received.rcpt_tos == [address, "arkiv@example.org"]
        assert received.message["To"].addresses[0].addr_spec == address
        (attachment,) = received.message.iter_attachments()
        assert attachment.get_content() == pdf

    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0, again.output
    assert "Nothing to send." in again.output
    assert "skip: already sent" in again.output
    assert len(smtp_server.handler.received) == 3

    # out/ is disposable: the journal is not in it.
    shutil.rmtree(mail_workspace / "out")
    third = cli(mail_workspace, "send", LETTER, "--yes")
    assert third.exit_code == 0, third.output
    assert third.output.count("skip: already sent") == 3  # the rebuilt PDF is the same
    assert len(smtp_server.handler.received) == 3

    status = cli(mail_workspace, "status", LETTER)
    assert status.exit_code == 0, status.output
    rows = journal_rows(mail_workspace)
    for rid in EXAMPLE_RECIPIENTS:
        line = next(line for line in status.output.splitlines() if f" {rid} " in line)
        assert " sent " in line and rows[rid].message_id in line and "250" in line


def test_a_club_sends_its_own_version_journalled_apart(mail_workspace, smtp_server):
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    dry = cli(mail_workspace, "send", LETTER, "--club", "bergen", "--dry-run")
    assert dry.exit_code == 0, dry.output
    folder = mail_workspace / "out" / "clubs" / "bergen" / LETTER / "mail"
    assert sorted(p.name for p in folder.iterdir()) == [
        "hod.eml",
        "jd.eml",
        "ordforer-bergen.eml",
        "smk.eml",
    ]

    result = cli(mail_workspace, "send", LETTER, "--club", "bergen", "--yes")
    assert result.exit_code == 0, result.output
    club_pdf = (mail_workspace / "out" / "clubs" / "bergen" / LETTER / f"{LETTER}.pdf").read_bytes()
    (mayor,) = smtp_server.handler.to("postmottak@bergen.kommune.no")
    (attachment,) = mayor.message.iter_attachments()
    assert attachment.get_content() == club_pdf
    assert len(smtp_server.handler.to("postmottak@smk.dep.no")) == 2  # the union's and the club's
    assert set(journal_rows(mail_workspace, "bergen")) == {"ordforer-bergen", "smk", "hod", "jd"}
    assert set(journal_rows(mail_workspace)) == {"smk", "hod", "jd"}
    status = cli(mail_workspace, "status", LETTER, "--club", "bergen")
    assert "(club bergen)" in status.output
    assert " sent " in next(
        line for line in status.output.splitlines() if "ordforer-bergen" in line
    )


def test_send_asks_first(mail_workspace, smtp_server):
    result = cli(mail_workspace, "send", LETTER, input="n\n")
    # No is an answer, not a failure: nothing sent, exit 0.
    assert result.exit_code == 0
    assert "Send 3 message(s) by email now? [y/N]" in result.output
    assert result.output.rstrip().endswith("Nothing sent.")
    assert smtp_server.handler.mail_count == 0
    assert journal_rows(mail_workspace) == {}


def test_cli_550_then_healthy_run(mail_workspace, smtp_server):
    smtp_server.handler.refuse.add("postmottak@hod.dep.no")
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 1
    assert "550 5.1.1 No such mailbox here" in result.output
    assert (
        f"Refused by the server: hod (see the reply above). Correct the address if it is "
        f"wrong, then: lettersmith -w {mail_workspace} send {LETTER}" in result.output
    )
    status = cli(mail_workspace, "status", LETTER).output
    assert "failed" in next(line for line in status.splitlines() if " hod " in line)

    smtp_server.handler.healthy()
    second = cli(mail_workspace, "send", LETTER, "--yes")
    assert second.exit_code == 0, second.output
    assert_promise_kept(mail_workspace, smtp_server)


def test_cli_drop_after_the_dot_is_reported_unknown(mail_workspace, smtp_server):
    smtp_server.handler.drop_on.add(2)
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 1
    assert (
        "hod: unknown whether it arrived. Check with the recipient (a copy is under "
        f".lettersmith/sent/); if it did: lettersmith -w {mail_workspace} status {LETTER} "
        "--mark-arrived hod; only if it did not arrive: "
        f"lettersmith -w {mail_workspace} send {LETTER} --resend --to hod"
    ) in result.output

    smtp_server.handler.healthy()
    second = cli(mail_workspace, "send", LETTER, "--yes")
    assert second.exit_code == 1  # still not known to be delivered
    assert "Nothing to send." in second.output
    assert_promise_kept(mail_workspace, smtp_server)
    status = cli(mail_workspace, "status", LETTER).output
    assert "unknown" in next(line for line in status.splitlines() if " hod " in line)


def test_an_unknown_message_a_person_found_arrived_is_marked_sent(mail_workspace, smtp_server):
    smtp_server.handler.drop_on.add(2)
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 1
    smtp_server.handler.healthy()

    refused = cli(mail_workspace, "status", LETTER, "--mark-arrived", "smk")
    assert refused.exit_code == 1
    assert "smk: its state is sent; only a message whose outcome is unknown" in refused.output

    marked = cli(mail_workspace, "status", LETTER, "--mark-arrived", "hod")
    assert marked.exit_code == 0, marked.output
    assert journal_rows(mail_workspace)["hod"].state == "sent"
    assert "a person confirmed it arrived" in journal_rows(mail_workspace)["hod"].reply
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0
    assert "Nothing to send." in again.output
    assert len(smtp_server.handler.to("postmottak@hod.dep.no")) <= 1


def test_cli_451_retried(mail_workspace, smtp_server, monkeypatch):
    monkeypatch.setattr(deliver, "RETRY_DELAYS", (0.0,))
    smtp_server.handler.reply_451_on.update({3, 4})
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 1
    assert f"Not delivered yet: jd. To continue: lettersmith -w {mail_workspace} send" in (
        result.output
    )
    smtp_server.handler.healthy()
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    assert_promise_kept(mail_workspace, smtp_server)


def test_a_second_concurrent_send_refuses_to_start(mail_workspace, smtp_server):
    with Journal.open(mail_workspace / ".lettersmith") as running:
        running.lock()
        result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 1
    assert "another `lettersmith send` is running on this workspace" in result.output
    assert smtp_server.handler.mail_count == 0


def test_bad_addresses_and_headers_are_refused_before_connecting(mail_workspace, smtp_server):
    recipients = mail_workspace / "recipients.yaml"
    text = recipients.read_text(encoding="utf-8")
    recipients.write_text(
        text.replace("office: no/hod\n", 'office: no/hod\n  email: "Doe, John <j@hod.dep.no>"\n'),
        encoding="utf-8",
    )
    letter = mail_workspace / "letters" / f"{LETTER}.yaml"
    letter.write_text(
        letter.read_text(encoding="utf-8") + 'subject: "Hei\\r\\nBcc: spy@evil.example.org"\n',
        encoding="utf-8",
    )
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 1
    assert "Doe, John <j@hod.dep.no>" in result.output
    assert "line break" in result.output
    assert "Traceback" not in result.output
    assert smtp_server.handler.mail_count == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_password_comes_from_the_environment_and_is_never_shown(
    tmp_path, smtp_auth_server, monkeypatch
):
    root = point_mail_at(copy_example(tmp_path / "ws"), smtp_auth_server, SMTP_USER)
    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", "wrong-password")
    refused = cli(root, "send", LETTER, "--yes")
    assert refused.exit_code == 1
    assert "refused the login for 'post@example.org'" in refused.output
    assert "wrong-password" not in refused.output

    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", SMTP_PASSWORD)
    result = cli(root, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    assert len(smtp_auth_server.handler.received) == 3
    assert smtp_auth_server.logins[-1] == (SMTP_USER, SMTP_PASSWORD)
    assert SMTP_PASSWORD not in result.output
    for path in root.rglob("*"):
        if path.is_file():
            assert SMTP_PASSWORD.encode() not in path.read_bytes(), path


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_password_with_norwegian_letters_logs_in(tmp_path, smtp_auth_server, monkeypatch):
    password = "blåbærsyltetøy-42"
    monkeypatch.setattr(conftest, "SMTP_PASSWORD", password)  # what the server accepts
    root = point_mail_at(copy_example(tmp_path / "ws"), smtp_auth_server, SMTP_USER)
    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", "blåbær-feil")
    refused = cli(root, "send", LETTER, "--yes")
    assert refused.exit_code == 1
    assert "refused the login for 'post@example.org'" in refused.output
    assert "Traceback" not in refused.output and "blåbær-feil" not in refused.output

    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", password)
    result = cli(root, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    assert smtp_auth_server.logins[-1] == (SMTP_USER, password)
    assert len(smtp_auth_server.handler.received) == 3
    assert password not in result.output


# --------------------------------------------------------------------------- SIGKILL


@pytest.mark.parametrize(
    "command, number",
    [("MAIL", 1), ("MAIL", 2), ("DATA", 2), ("MAIL", 3), ("DATA", 3)],
    ids=["before-first", "before-second", "second-transmitted", "after-second", "last-transmitted"],
)
def test_sigkill_during_a_batch_then_run_again(
    mail_workspace, smtp_server, send_killed_in, command, number
):
    send_killed_in(mail_workspace, smtp_server, LETTER, command, number)

    second = cli(mail_workspace, "send", LETTER, "--yes")
    assert_promise_kept(mail_workspace, smtp_server)
    rows = journal_rows(mail_workspace)
    unknown = [rid for rid, row in rows.items() if row.state == "unknown"]
    assert unknown == (["smk", "hod", "jd"][number - 1 : number] if command == "DATA" else [])
    assert second.exit_code == (1 if unknown else 0), second.output
    status = cli(mail_workspace, "status", LETTER).output
    for rid, row in rows.items():
        assert f" {row.state} " in next(line for line in status.splitlines() if f" {rid} " in line)


def test_ctrl_c_while_the_server_holds_a_message_reports_it_unknown(mail_workspace, smtp_server):
    """Ctrl-C after hod's data went out: the hints must not offer hod as simply 'not delivered'."""
    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 2)] = release
    process = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(mail_workspace), "send", LETTER, "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "250"},
    )
    try:
        assert smtp_server.handler.paused.wait(timeout=120), process.communicate()[0]
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    finally:
        release.set()
    assert process.returncode == 1, output
    assert "Traceback" not in output
    assert "hod: unknown whether it arrived" in output
    assert f"Not delivered yet: jd. To continue: lettersmith -w {mail_workspace} send" in output
    assert re.search(r"(?m)^ +hod +postmottak@hod\.dep\.no +unknown ", output), output
    assert journal_rows(mail_workspace)["hod"].state == "unknown"


def test_ctrl_c_while_waiting_to_retry_a_451_leaves_it_to_the_next_run(mail_workspace, smtp_server):
    """The server said 451 to hod: it does not have the message, so it is not `unknown`."""
    smtp_server.handler.reply_451_on.add(2)
    process = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(mail_workspace), "send", LETTER, "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while smtp_server.handler.data_count < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the 451 has been answered; the client waits 5 s before trying again
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 1, output
    assert "Not delivered yet: jd, hod." in output
    assert "unknown" not in output
    assert journal_rows(mail_workspace)["hod"].state == "deferred"

    smtp_server.handler.healthy()
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    assert_promise_kept(mail_workspace, smtp_server)


# --------------------------------------------------------------------------- TLS


def test_tls_certificate_is_verified(tls_server):
    smtp = SmtpSettings(tls_server.host, tls_server.port, tls_server.security)
    untrusted = "certificate cannot be trusted.*nothing was sent"
    with pytest.raises(DeliveryError, match=untrusted), Session(smtp):
        pass
    # Trusted, but issued for 127.0.0.1, not for the name we connect to.
    trusted = ssl.create_default_context(cafile=str(tls_server.cafile))
    other_name = SmtpSettings("localhost", tls_server.port, tls_server.security)
    mismatch = "certificate cannot be trusted.*[Hh]ostname"
    with pytest.raises(DeliveryError, match=mismatch), Session(other_name, tls_context=trusted):
        pass
    assert tls_server.handler.mail_count == 0


def test_tls_delivers_when_the_certificate_is_trusted(tls_server, tmp_path):
    trusted = ssl.create_default_context(cafile=str(tls_server.cafile))
    batch = Batch(tmp_path, tls_server)
    with Journal.open(tmp_path / ".lettersmith") as journal:
        planned = batch.plan(journal)
        smtp = SmtpSettings(tls_server.host, tls_server.port, tls_server.security)
        with Session(smtp, tls_context=trusted) as session:
            results = list(send.deliver(planned, journal, session))
    assert states(results) == {"smk": "sent", "hod": "sent", "jd": "sent"}
    assert len(tls_server.handler.received) == 3


def test_to_in_joint_mode_sends_the_joint_letter_unchanged(mail_workspace, smtp_server):
    """--to picks whose message goes out; it does not re-address the joint letter to them."""
    first = cli(mail_workspace, "send", LETTER, "--to", "hod", "--yes")
    assert first.exit_code == 0, first.output
    rest = cli(mail_workspace, "send", LETTER, "--yes")
    assert rest.exit_code == 0, rest.output
    assert "changed" not in rest.output
    assert_promise_kept(mail_workspace, smtp_server)
    path = mail_workspace / "out" / LETTER / f"{LETTER}.pdf"
    assert "Emilie Enger Mehl" in pdf_text(path)  # out/ still holds the letter to all three
    pdf = path.read_bytes()
    for address in EXAMPLE_RECIPIENTS.values():
        (received,) = smtp_server.handler.to(address)
        (attachment,) = received.message.iter_attachments()
        assert attachment.get_content() == pdf


def test_each_mode_attaches_each_recipients_own_letter(mail_workspace, smtp_server):
    letter = mail_workspace / "letters" / f"{LETTER}.yaml"
    letter.write_text(
        letter.read_text(encoding="utf-8").replace("mode: joint", "mode: each"), encoding="utf-8"
    )
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    for rid, address in EXAMPLE_RECIPIENTS.items():
        (received,) = smtp_server.handler.to(address)
        (attachment,) = received.message.iter_attachments()
        # Named for the reader's archive, the same in either mode.
        assert attachment.get_filename() == (
            "2024-12-10 Soroptimist International Norgesunionen - "
            "Tiden er inne for å få en handlingsplan mot menneskehandel.pdf"
        )
        own = (mail_workspace / "out" / LETTER / f"{rid}.pdf").read_bytes()
        assert attachment.get_content() == own


def test_status_of_a_letter_never_sent_lists_each_recipient_and_address(mail_workspace):
    result = cli(mail_workspace, "status", LETTER)
    assert result.exit_code == 0
    for rid, address in EXAMPLE_RECIPIENTS.items():
        row = next(line for line in result.output.splitlines() if f" {rid} " in line)
        assert address in row and "not sent" in row


# --------------------------------------------------------------------------- what is attached


def _attached_pdfs(server) -> list[bytes]:
    return [
        part.get_content()
        for received in server.handler.received
        for part in received.message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "attached.pdf"
    path.write_bytes(data)
    return pdf_text(path)


def test_a_pdf_changed_in_out_after_the_build_is_not_attached(
    mail_workspace, smtp_server, tmp_path
):
    """Its size and time put back, the build's records say it is up to date: send must not
    believe them, since what it attaches is what the board approved."""
    assert cli(mail_workspace, "build", LETTER, "--format", "pdf").exit_code == 0
    pdf = mail_workspace / "out" / LETTER / f"{LETTER}.pdf"
    built, info = pdf.read_bytes(), pdf.stat()
    tampered = built[:200] + b"X" * 16 + built[216:]
    assert len(tampered) == len(built) and tampered != built
    pdf.write_bytes(tampered)
    os.utime(pdf, ns=(info.st_atime_ns, info.st_mtime_ns))

    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    attached = _attached_pdfs(smtp_server)
    assert len(attached) == 3 and all(data != tampered for data in attached)
    assert len(set(attached)) == 1
    assert "10.12.2024" in _pdf_text(attached[0], tmp_path)


def _send_in_background(root):
    return subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(root), "send", LETTER, "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "250"},
    )


def test_a_preview_with_another_date_during_a_send_changes_nothing_it_sends(
    mail_workspace, smtp_server, tmp_path
):
    """A send that waits (a rate limit, a slow server) while someone previews the letter with
    another date: the recipients still to come get the letter that was planned."""
    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 2)] = release  # the first is sent, the third waits
    process = _send_in_background(mail_workspace)
    try:
        assert smtp_server.handler.paused.wait(timeout=120), process.communicate()[0]
        preview = cli(mail_workspace, "preview", LETTER, "--date", "2025-01-15")
        assert preview.exit_code == 0, preview.output
        pdf = mail_workspace / "out" / LETTER / f"{LETTER}.pdf"
        assert "15.01.2025" in pdf_text(pdf)  # the preview did rewrite out/
    finally:
        release.set()
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 0, output
    attached = _attached_pdfs(smtp_server)
    assert len(attached) == 3 and len(set(attached)) == 1, "every recipient gets the same letter"
    text = _pdf_text(attached[-1], tmp_path)
    assert "10.12.2024" in text and "15.01.2025" not in text
    assert {row.state for row in journal_rows(mail_workspace).values()} == {"sent"}
    outbox = mail_workspace / ".lettersmith" / "outbox"
    assert [path for path in outbox.rglob("*") if path.is_file()] == [], "its copies are gone"


def test_an_attachment_that_changes_during_the_send_stops_the_batch(mail_workspace, smtp_server):
    """The bytes the send planned are checked as each message is made: a copy changed under
    the send (its size and time put back) stops it before the next recipient, who stays not
    sent, and the message says what to do."""
    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 1)] = release
    process = _send_in_background(mail_workspace)
    try:
        assert smtp_server.handler.paused.wait(timeout=120), process.communicate()[0]
        # What the send took for attaching: wherever it keeps it, change every copy of the PDF.
        built = (mail_workspace / "out" / LETTER / f"{LETTER}.pdf").read_bytes()
        for path in mail_workspace.rglob("*"):
            if path.is_file() and path.read_bytes() == built:
                info = path.stat()
                path.write_bytes(built[:200] + b"X" * 16 + built[216:])
                os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    finally:
        release.set()
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 1, output
    assert f"{LETTER}.pdf changed since the send was planned (sha256 " in output
    assert "run the send again" in " ".join(output.split())
    assert len(smtp_server.handler.received) == 1
    rows = journal_rows(mail_workspace)
    assert rows["smk"].state == "sent" and "hod" not in rows and "jd" not in rows


def test_a_letter_sent_before_the_envelope_counted_is_not_changed(mail_workspace, smtp_server):
    """A journal row written when the revision did not yet cover the look and the envelope
    holds the letter's revision of then: the same letter is not reported as changed."""
    import sqlite3

    from lettersmith.compose import revision
    from lettersmith.compose.resolve import resolve
    from lettersmith.load.workspace import load

    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    mailing = resolve(load(mail_workspace), LETTER)
    (letter,) = mailing.letters
    then = revision.what_leaves(letter, mailing.mode, mailing.workspace.mail).legacy_revision
    assert then != mailing.revision_for("smk")
    with sqlite3.connect(mail_workspace / ".lettersmith" / "journal.sqlite") as db:
        db.execute("UPDATE deliveries SET revision = ?", (then,))

    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0, again.output
    assert again.output.count("skip: already sent") == 3, again.output
    assert len(smtp_server.handler.received) == 3


def test_a_pdf_rewritten_in_out_while_the_send_makes_it_is_not_attached(
    mail_workspace, smtp_server, monkeypatch, tmp_path
):
    """Between making the PDF and reading it for the outbox, another command (a preview with
    another date) writes out/: the send reads only what it made itself."""
    from lettersmith.render import build as building

    made = building.build
    pdf = mail_workspace / "out" / LETTER / f"{LETTER}.pdf"

    def build_then_someone_writes(*args, **kwargs):
        outcomes = made(*args, **kwargs)
        pdf.parent.mkdir(parents=True, exist_ok=True)
        pdf.write_bytes(b"%PDF-1.7\nsomeone else's letter\n%%EOF\n")
        return outcomes

    monkeypatch.setattr(building, "build", build_then_someone_writes)
    result = cli(mail_workspace, "send", LETTER, "--yes")
    assert result.exit_code == 0, result.output
    attached = _attached_pdfs(smtp_server)
    assert len(attached) == 3 and b"someone else's letter" not in attached[0]
    assert "10.12.2024" in _pdf_text(attached[0], tmp_path)


def test_copies_of_a_plan_that_was_only_looked_at_are_removed_by_the_next(mail_workspace):
    """The review page plans a send to show it: its copies go once its process has ended."""
    outbox = mail_workspace / ".lettersmith" / "outbox"
    gone = outbox / "999999999-0000"  # a process that is not running
    gone.mkdir(parents=True)
    (gone / "abc").write_bytes(b"a copy")
    dry = cli(mail_workspace, "send", LETTER, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert not gone.exists()
    assert [path for path in outbox.rglob("*") if path.is_file()] == []


def test_a_template_changed_and_put_back_while_the_send_makes_the_pdf_stops_it(
    mail_workspace, smtp_server, monkeypatch, tmp_path
):
    """While the send lays the letter out, its template says something else, and is put back
    (same words, size and time) before the send looks at its files again: what the PDF
    shows is not what was read, so nothing goes."""
    from lettersmith.render import build as building

    template = mail_workspace / "templates" / "letter.html.j2"
    template.parent.mkdir()
    text = (
        '{% extends "builtin/letter.html.j2" %}'
        "{% block letterhead %}{{ super() }}<p>Mal A</p>{% endblock %}"
    )
    template.write_text(text, encoding="utf-8")
    made = building.build

    def build_while_changed(*args, **kwargs):
        info = template.stat()
        template.write_text(text.replace("Mal A", "Mal B"), encoding="utf-8")
        try:
            return made(*args, **kwargs)
        finally:
            template.write_text(text, encoding="utf-8")
            os.utime(template, ns=(info.st_atime_ns, info.st_mtime_ns))

    monkeypatch.setattr(building, "build", build_while_changed)
    result = cli(mail_workspace, "send", LETTER, "--yes")
    attached = _attached_pdfs(smtp_server)
    assert all("Mal B" not in _pdf_text(data, tmp_path) for data in attached)
    assert result.exit_code == 1, result.output
    assert "changed while the send was being planned" in result.output
    assert smtp_server.handler.received == []
