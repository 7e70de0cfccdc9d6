"""What a stranger can send to the organisation's mailbox: reading it never raises, never
reads more than it must, never lets a line break through, and never attributes it to a letter
it does not answer.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lettersmith.addresses import LINE_BREAKS
from lettersmith.deliver.inbox import (
    MAX_TEXT,
    Incoming,
    Kind,
    Sent,
    SentList,
    classify,
    match,
    read_message,
)
from lettersmith.headers import BIDI_CONTROLS

CORPUS = Path(__file__).parent / "data" / "inbox"
OURS = Sent(
    "vold-2025",
    None,
    "jd",
    "postmottak@jd.dep.no",
    "<5c1e0a7b9d3f42e6a8b0c4d2e6f81a37@eksempelforeningen.no>",
    "Innspill: Handlingsplan mot vold i nære relasjoner",
)
JOURNAL = SentList([OURS])


def strings_of(incoming: Incoming) -> list[str]:
    """Every text a message gives that may be stored in the journal or shown on one line."""
    found = [
        incoming.message_id, incoming.sender, incoming.sender_name, incoming.subject,
        incoming.auto_submitted, incoming.case_number, incoming.return_path or "",
        *incoming.in_reply_to, *incoming.references, *(v for _, v in incoming.headers),
    ]  # fmt: skip
    if incoming.report:
        for report in incoming.report.recipients:
            found += [str(value) for value in dataclasses.astuple(report)]
    if incoming.original:
        found += [incoming.original.message_id, incoming.original.subject, *incoming.original.to]
        found += [value for _, value in incoming.original.trace]
    return found


def assert_safe(value: str) -> None:
    """One line, no control character (C0, DEL, C1), lone surrogate or direction control."""
    assert not any(char in value for char in LINE_BREAKS + "\t\x00"), repr(value)
    assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in value), repr(value)
    assert not any(char in BIDI_CONTROLS for char in value), repr(value)


def assert_one_line(incoming: Incoming) -> None:
    for value in strings_of(incoming):
        assert_safe(value)


def message(*headers: str, body: str = "Hei.\r\n") -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8", "surrogateescape")


# ----------------------------------------------------------------------------- header injection


def test_a_bounce_in_words_cannot_put_a_terminal_escape_into_status() -> None:
    raw = message(
        "From: MAILER-DAEMON@x.example.org",
        "Return-Path: <>",
        body="550 5.1.1 \x1b[2J\x1b]0;owned\x07 user unknown\u202e\r\n",
    )
    verdict = classify(read_message(raw))
    assert verdict.status == "5.1.1"
    assert verdict.diagnostic == "550 5.1.1 [2J ]0;owned user unknown"


def test_line_breaks_decoded_from_encoded_words_never_get_through() -> None:
    incoming = read_message((CORPUS / "header-injection.eml").read_bytes())
    assert_one_line(incoming)
    assert incoming.sender == "postmottak@jd.dep.no"  # not the attacker's Bcc address
    assert incoming.sender_name == "Postmottak Bcc: angriper@example.com"
    assert incoming.subject == (
        "SV: Innspill: Handlingsplan mot vold i nære relasjoner X-Injected: yes second line"
    )
    assert incoming.auto_submitted == "auto-replied"
    assert incoming.header("x-injected") == "" and incoming.header("x-evil") == ""


def test_a_from_whose_name_looks_like_an_address_is_read_by_its_angle_brackets() -> None:
    raw = message('From: "postmottak@jd.dep.no" <lure@example.com>', "Subject: x")
    assert read_message(raw).sender == "lure@example.com"


# ----------------------------------------------------------------------------- charsets


def test_subjects_in_any_charset_or_none_are_read() -> None:
    cases = {
        "=?iso-8859-1?q?H=F8ring?=": "Høring",
        "=?windows-1252?q?=ABH=F8ring=BB?=": "«Høring»",
        "=?utf-8?b?SMO4cmluZw==?=": "Høring",
        "=?utf-8?q?H=C3=B8ring?= =?utf-8?q?_om_skole?=": "Høring om skole",
    }
    for encoded, decoded in cases.items():
        assert read_message(message("From: a@b.no", f"Subject: {encoded}")).subject == decoded
    latin1 = b"From: a@b.no\r\nSubject: H\xf8ring om \xe6rlighet\r\n\r\nx"
    assert read_message(latin1).subject == "Høring om ærlighet"
    utf8 = "From: a@b.no\r\nSubject: Høring\r\n\r\nx".encode()
    assert read_message(utf8).subject == "Høring"


def test_an_unknown_charset_or_a_broken_encoded_word_reads_as_something_and_never_raises() -> None:
    for subject in ("=?x-unknown?q?H=F8ring?=", "=?utf-8?b?!!!notbase64?=", "=?utf-8?q?=ZZ?="):
        incoming = read_message(message("From: a@b.no", f"Subject: {subject}"))
        assert incoming.problem is None
        assert incoming.subject  # whatever it is, on one line
        assert_one_line(incoming)
    body = message(
        "From: a@b.no", "Content-Type: text/plain; charset=x-klingon", body="H\udcf8ring\r\n"
    )
    assert read_message(body).text.strip() == "Høring"  # undeclared bytes read as Windows-1252


# ----------------------------------------------------------------------------- malformed reports


def test_a_report_without_a_status_is_a_bounce_of_unknown_kind_that_says_so() -> None:
    incoming = read_message((CORPUS / "malformed-report.eml").read_bytes())
    assert incoming.problem == "the delivery report gives no status code for the recipient"
    verdict = classify(incoming)
    assert (verdict.kind, verdict.permanent, verdict.status) == (Kind.BOUNCED, None, "")
    assert verdict.describe() == (
        "bounced (a delivery report that could not be read; open the copy to see it)"
    )


def test_a_report_with_action_failed_but_no_status_is_permanent() -> None:
    raw = (CORPUS / "bounce-postfix-user-unknown.eml").read_bytes().replace(b"Status: 5.1.1\n", b"")
    verdict = classify(read_message(raw))
    assert (verdict.kind, verdict.permanent, verdict.status) == (Kind.BOUNCED, True, "")
    assert "User unknown" in verdict.diagnostic


def test_garbage_mime_never_raises() -> None:
    garbage = [
        b"",
        b"\x00\xff" * 1000,
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=a\r\n\r\n"
        b"--a\r\nContent-Type: message/delivery-status\r\nContent-Transfer-Encoding: base64\r\n"
        b"\r\n!!!!\r\n--a\r\nContent-Type: message/rfc822\r\n\r\n\r\n--a--",
        b"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n" * 50,
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        + b"--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" * 5000,
        b"From: " + b"<" * 100_000 + b"\r\nReferences: " + b"<a@b> " * 100_000 + b"\r\n\r\n",
        b"Subject: =?utf-8?q?" + b"=C3" * 50_000 + b"?=\r\n\r\n",
        b"Content-Type: text/html\r\n\r\n" + b"<" * 1_000_000,
        b"Content-Type: text/html\r\n\r\n<!--" + b"<script>" * 100_000,
        b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
        + b"".join(b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i, i + 1)
                   for i in range(3000)),
    ]  # fmt: skip
    for raw in garbage:
        incoming = read_message(raw)
        assert_one_line(incoming)
        assert len(incoming.references) <= 100 and len(incoming.subject) <= 998
        classify(incoming)
        assert match(incoming, JOURNAL) is None


# ----------------------------------------------------------------------------- size bounds


def test_a_message_of_forty_thousand_parts_is_read_as_its_first_few_hundred() -> None:
    part = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    raw = b"From: a@b.no\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" + part * 40_000
    incoming = read_message(raw)
    assert incoming.truncated and incoming.size == len(raw)
    assert incoming.text == "x" and incoming.sender == "a@b.no"


def test_a_huge_attachment_is_not_read_past_max_bytes() -> None:
    head = (
        "From: Postmottak <postmottak@jd.dep.no>\r\n"
        f"In-Reply-To: {OURS.message_id}\r\n"
        "Subject: SV: Innspill\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTakk for brevet.\r\n"
        "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="svar.pdf"\r\n\r\n'
    ).encode()
    raw = head + b"QUFBQUFB\r\n" * 5_000_000 + b"--b--\r\n"  # 50 MB
    incoming = read_message(raw, max_bytes=1024 * 1024)
    assert incoming.truncated and incoming.size == len(raw)
    assert incoming.text.strip() == "Takk for brevet."
    found = match(incoming, JOURNAL)
    assert found is not None and found.sent == OURS
    assert classify(incoming).kind is Kind.REPLIED


def test_a_5_mb_body_is_read_bounded_whatever_it_holds() -> None:
    """Bodies built to make patterns backtrack: the text kept is bounded and the case number
    pattern finds the real one after the bait."""
    five_mb = 5 * 1024 * 1024
    bodies = [
        "Vår ref" + " " * five_mb,
        "Vår ref.: 24/" + "1" * five_mb,
        ("vår ref. " * (five_mb // 9)),
        "Saksnummer " * (five_mb // 11),
        "5.1." * (five_mb // 4),
        "> " * five_mb,
        "a@" * (five_mb // 2),
    ]
    for body in bodies:
        raw = message("From: a@b.no", "Subject: x", body=body)
        incoming = read_message(raw, max_bytes=len(raw))
        assert not incoming.truncated
        assert len(incoming.text) <= MAX_TEXT
        classify(incoming)
    html = "<p>" + "<b>x</b>" * (five_mb // 8) + "</p>"
    raw = message("From: a@b.no", "Content-Type: text/html", body=html)
    assert len(read_message(raw, max_bytes=len(raw)).text) <= MAX_TEXT


# ----------------------------------------------------------------------------- misattribution


def test_in_reply_to_wins_over_references_and_the_nearest_reference_over_older_ones() -> None:
    other = Sent("skole", None, "jd", "postmottak@jd.dep.no", "<old@eksempelforeningen.no>", "x")
    journal = SentList([OURS, other])
    raw = message(
        "From: x@jd.dep.no",
        f"In-Reply-To: {OURS.message_id}",
        f"References: {OURS.message_id} {other.message_id}",
    )
    found = match(read_message(raw), journal)
    assert found is not None and (found.sent, found.how) == (OURS, "in-reply-to")
    raw = message(
        "From: x@jd.dep.no",
        "In-Reply-To: <theirs@jd.dep.no>",
        f"References: {other.message_id} {OURS.message_id} <theirs@jd.dep.no>",
    )
    found = match(read_message(raw), journal)
    assert found is not None and (found.sent, found.how) == (OURS, "references")


def test_someone_elses_message_id_in_references_is_not_ours() -> None:
    raw = message(
        "From: leder@naboforeningen.no",
        "References: <20261120093011.1234@naboforeningen.no>",
        "Subject: Re: Felles innspill",
    )
    assert match(read_message(raw), JOURNAL) is None


def test_a_forged_receipt_from_another_domain_is_never_taken_for_the_ministrys() -> None:
    incoming = read_message((CORPUS / "forged-auto-submitted.eml").read_bytes())
    assert classify(incoming).kind is Kind.RECEIVED  # it says it is one ...
    assert match(incoming, JOURNAL) is None  # ... but not from the ministry we wrote to
    # The same receipt from the ministry's own domain is the ministry's.
    genuine = (
        (CORPUS / "forged-auto-submitted.eml")
        .read_bytes()
        .replace(b"noreply@kvittering-tjeneste.example.com", b"noreply@jd.dep.no")
    )
    found = match(read_message(genuine), JOURNAL)
    assert found is not None and found.how == "domain and subject"


def test_the_domain_alone_or_the_subject_alone_is_not_enough() -> None:
    same_domain = message("From: postmottak@jd.dep.no", "Subject: Nytt fra departementet")
    assert match(read_message(same_domain), JOURNAL) is None
    same_subject = message("From: x@annet.no", f"Subject: SV: {OURS.subject}")
    assert match(read_message(same_subject), JOURNAL) is None


def test_two_letters_that_fit_equally_match_neither() -> None:
    twin = dataclasses.replace(OURS, recipient="jd-2", address="statsraad@jd.dep.no",
                               message_id="<twin@eksempelforeningen.no>")  # fmt: skip
    journal = SentList([OURS, twin])
    raw = message("From: radgiver@jd.dep.no", f"Subject: SV: {OURS.subject}")
    assert match(read_message(raw), journal) is None
    # The sender's own address decides between them.
    raw = message("From: statsraad@jd.dep.no", f"Subject: SV: {OURS.subject}")
    found = match(read_message(raw), journal)
    assert found is not None and found.sent == twin


def test_a_report_on_a_message_that_is_not_ours_matches_nothing() -> None:
    incoming = read_message((CORPUS / "dsn-not-ours.eml").read_bytes())
    # Its subject is one of ours and it comes from our own server: still not ours.
    journal = SentList([dataclasses.replace(OURS, address="styret@kd.dep.no")])
    assert match(incoming, journal) is None


def test_a_report_naming_our_letter_by_its_trace_headers_matches_when_the_id_changed() -> None:
    raw = (CORPUS / "bounce-postfix-user-unknown.eml").read_bytes()
    raw = raw.replace(b"c5e7a9b1d3f54c8ea0b2d4f6a8c0e2f4", b"00000000000000000000000000000000")
    ours = Sent("vold-2025", None, "kvinnenettverket", "leder@kvinnenettverket.no",
                "<c5e7a9b1d3f54c8ea0b2d4f6a8c0e2f4@eksempelforeningen.no>", "x")  # fmt: skip
    found = match(read_message(raw), SentList([ours]))
    assert found is not None and (found.sent, found.how) == (ours, "trace")
    # A report about another address than the one in the journal is not about that recipient.
    moved = dataclasses.replace(ours, address="ny.leder@kvinnenettverket.no")
    assert match(read_message(raw), SentList([moved])) is None


# ----------------------------------------------------------------------------- anything at all

HEADER_NAMES = st.sampled_from(
    ["From", "Subject", "In-Reply-To", "References", "Auto-Submitted", "Content-Type",
     "Message-ID", "Date", "Return-Path", "Precedence", "List-Id", "X-Spam-Flag",
     "Content-Transfer-Encoding", "MIME-Version", "X-Failed-Recipients"]
)  # fmt: skip
HEADER_VALUES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        ["multipart/report; report-type=delivery-status; boundary=b", "message/rfc822",
         "message/delivery-status", "text/html", "base64", "quoted-printable",
         "=?utf-8?q?a=0D=0Ab?=", "<5c1e0a7b9d3f42e6a8b0c4d2e6f81a37@eksempelforeningen.no>",
         "auto-replied", "MAILER-DAEMON@x", "<>", "=?x?b?@@?="]
    ),
)  # fmt: skip
MESSAGES = st.one_of(
    st.binary(max_size=2000),
    st.builds(
        lambda headers, body: (
            "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n" + body
        ).encode("utf-8", "surrogatepass"),
        st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=12),
        st.one_of(
            st.text(max_size=500),
            st.sampled_from(
                ["--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n"
                 "Status: 5.1.1\r\n\r\nFinal-Recipient: rfc822; a@b\r\n--b--",
                 "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <x@y>\r\n--b"]
            ),
        ),
    ),
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
def test_any_bytes_read_classify_and_match_without_raising(raw: bytes) -> None:
    incoming = read_message(raw)
    assert_one_line(incoming)
    verdict = classify(incoming)
    assert verdict.kind in Kind
    for value in (verdict.status, verdict.diagnostic, verdict.address, verdict.case_number,
                  verdict.describe(incoming.sender, incoming.date)):  # fmt: skip
        assert_safe(value)
    found = match(incoming, JOURNAL)
    assert found is None or found.sent == OURS


def test_a_bounce_in_words_about_the_archive_copy_is_not_a_bounce_for_the_recipient() -> None:
    raw = (CORPUS / "bounce-exim-in-words.eml").read_bytes()
    words, copy = raw.split(b"------ This is a copy", 1)
    words = words.replace(b"sfvlpost@statsforvalteren.no", b"arkiv@eksempelforeningen.no")
    ours = Sent("vold-2025", None, "statsforvalteren", "sfvlpost@statsforvalteren.no",
                "<6b8d0f2a4c6e48a1b3d5f7a9c1e3b5d7@eksempelforeningen.no>", "x")  # fmt: skip
    assert match(read_message(raw), SentList([ours])) is not None
    incoming = read_message(words + b"------ This is a copy" + copy)
    assert incoming.failed == ("arkiv@eksempelforeningen.no",)
    assert match(incoming, SentList([ours])) is None


def test_a_bounce_in_words_without_a_copy_matches_only_by_the_recipients_domain_and_subject() -> (
    None
):
    words = (
        "From: Mail Delivery System <MAILER-DAEMON@jd.dep.no>\r\n"
        "Subject: Undeliverable: {subject}\r\n\r\n"
        "Delivery to postmottak@jd.dep.no failed: 552 5.2.2 Mailbox full\r\n"
    )
    found = match(read_message(words.format(subject=OURS.subject).encode()), JOURNAL)
    assert found is not None and found.how == "domain and subject"
    assert match(read_message(words.format(subject="Styremøte").encode()), JOURNAL) is None
    ours_server = words.replace("MAILER-DAEMON@jd.dep.no", "MAILER-DAEMON@eksempelforeningen.no")
    assert match(read_message(ours_server.format(subject=OURS.subject).encode()), JOURNAL) is None


def test_a_subject_written_in_decomposed_letters_or_another_case_still_matches() -> None:
    ours = dataclasses.replace(OURS, subject="Høring på nytt: Forskrift om åpningstider")
    decomposed = unicodedata.normalize("NFD", f"SV: {ours.subject}".upper())
    assert decomposed != f"SV: {ours.subject}".upper()  # Å written as A and a ring
    raw = message("From: postmottak@jd.dep.no", f"Subject: {decomposed}")
    found = match(read_message(raw), SentList([ours]))
    assert found is not None and found.sent == ours


def test_a_direction_control_in_a_subject_or_name_is_removed() -> None:
    raw = message(
        "From: =?utf-8?q?Postmottak_=E2=80=AEDJ?= <postmottak@jd.dep.no>",
        "Subject: =?utf-8?q?Vedtak=E2=80=AEfdp.exe?=",
    )
    incoming = read_message(raw)
    assert (incoming.sender_name, incoming.subject) == ("Postmottak DJ", "Vedtak fdp.exe")
