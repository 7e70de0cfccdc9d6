"""Reading what comes back into the mailbox: what each message is and which letter it answers.

The corpus under tests/data/inbox/ is written by hand in the shapes real servers and archives
send (Postfix, Exchange/Microsoft 365, Gmail, a ministry's archive, a county's in nynorsk, an
MP's out-of-office, replies by people); each file is checked for what a secretary reads in
``status``: the kind, the status code and the server's words, the case number, the recipient.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import lettersmith.deliver.inbox
from lettersmith.deliver.inbox import (
    Kind,
    Sent,
    SentList,
    classify,
    kind_label,
    match,
    read_message,
)
from lettersmith.translate import LOCALE_DIR as LOCALE
from lettersmith.translate import use_language

CORPUS = Path(__file__).parent / "data" / "inbox"
VOLD = "Innspill: Handlingsplan mot vold i nære relasjoner"
SKOLE = "Høringssvar: Forskrift til ny opplæringslov"


def sent(recipient: str, address: str, hex_id: str, subject: str = VOLD) -> Sent:
    letter = "vold-2025" if subject == VOLD else "skole-2025"
    return Sent(letter, None, recipient, address, f"<{hex_id}@eksempelforeningen.no>", subject)


# The journal of Eksempelforeningen after sending two letters (as the sent copies say).
SENT = [
    sent("jd", "postmottak@jd.dep.no", "5c1e0a7b9d3f42e6a8b0c4d2e6f81a37"),
    sent("bfd", "postmottak@bfd.dep.no", "8a2f6c4e1b9d47a3b5e0f2c8d6a41b92"),
    sent("hod", "postmottak@hod.dep.no", "b47d2e9a0c6f4183a5d7e9b1c3f05d64"),
    sent("kd", "postmottak@kd.dep.no", "e91c5a3f7b2d4e08b6a4c2f0d8e6b3c5"),
    sent("kari-nordmann", "kari.nordmann@stortinget.no", "2d8b6f0e4a1c49d7b3e5a7c9f1d26e80"),
    sent("vestland", "postmottak@vestland.no", "f03a7c5e9b1d4f26a8c0e2b4d6f8a1c3"),
    sent("ola-politiker", "ola.politiker@gmail.com", "4e6a8c0b2d5f47e9a1c3e5b7d9f0a2b4"),
    sent("nfd-radgiver", "radgiver.hansen@nfd.dep.no", "7b9d1f3a5c7e49b2a4d6f8b0c2e4a6d8"),
    sent("kvinnenettverket", "leder@kvinnenettverket.no", "c5e7a9b1d3f54c8ea0b2d4f6a8c0e2f4"),
    sent("kvinnherad", "postmottak@kvinnherad.kommune.no", "0a2c4e6b8d1f43a5b7c9e1d3f5a7b9c1"),
    sent("bergen", "postmottak@bergen.kommune.no", "9f1b3d5a7c9e4b2d8f0a2c4e6b8d0f1a"),
    sent("mette-politiker", "mette.politiker@gmail.com", "3c5e7a9b1d2f4e6a8c0b2d4f6a8c0e1f"),
    sent("statsforvalteren", "sfvlpost@statsforvalteren.no", "6b8d0f2a4c6e48a1b3d5f7a9c1e3b5d7"),
    sent("kd", "postmottak@kd.dep.no", "1d3f5b7a9c2e4d6f8a0b2c4d6e8f0a1b", SKOLE),
]
JOURNAL = SentList(SENT)

# file: (kind, permanent, status, words in the diagnostic, case number, recipient, matched how)
EXPECTED = {
    "bounce-postfix-user-unknown.eml": (
        Kind.BOUNCED, True, "5.1.1", "User unknown in virtual mailbox table", "",
        "kvinnenettverket", "report",
    ),
    "bounce-exchange-recipient-not-found.eml": (
        Kind.BOUNCED, True, "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound", "",
        "nfd-radgiver", "in-reply-to",
    ),
    "bounce-gmail-address-not-found.eml": (
        Kind.BOUNCED, True, "5.1.1",
        "550 5.1.1 The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or unnecessary spaces.",
        "", "ola-politiker", "in-reply-to",
    ),
    "bounce-exim-in-words.eml": (
        Kind.BOUNCED, True, "5.1.1", "User unknown in local recipient table", "",
        "statsforvalteren", "report",
    ),
    "delay-postfix-4.4.1.eml": (
        Kind.BOUNCED, False, "4.4.1", "Connection timed out", "", "kvinnherad", "report",
    ),
    "malformed-report.eml": (Kind.BOUNCED, None, "", "", "", "kvinnherad", "report"),
    "receipt-bokmal-ministry.eml": (
        Kind.RECEIVED, None, "", "", "24/1234", "jd", "domain and subject",
    ),
    "receipt-nynorsk-county.eml": (
        Kind.RECEIVED, None, "", "", "2024/5678", "vestland", "in-reply-to",
    ),
    "receipt-html-only.eml": (Kind.RECEIVED, None, "", "", "25/00871-2", "hod", "in-reply-to"),
    "out-of-office.eml": (Kind.RECEIVED, None, "", "", "", "kari-nordmann", "in-reply-to"),
    "out-of-office-gmail.eml": (
        Kind.RECEIVED, None, "", "", "", "mette-politiker", "in-reply-to",
    ),
    "reply-plain.eml": (Kind.REPLIED, None, "", "", "", "bfd", "in-reply-to"),
    "reply-html-only-top-posted.eml": (
        Kind.REPLIED, None, "", "", "24/3321", "kd", "in-reply-to",
    ),
    "reply-forwarded.eml": (Kind.REPLIED, None, "", "", "25/00871-2", "hod", "references"),
    "reply-top-posted-kommune.eml": (Kind.REPLIED, None, "", "", "", "bergen", "in-reply-to"),
    "reply-latin1-no-ids.eml": (Kind.REPLIED, None, "", "", "", "kd", "domain and subject"),
    # Not ours: classified for what they are, matched to nothing.
    "newsletter.eml": (Kind.UNRELATED, None, "", "", "", None, None),
    "spam.eml": (Kind.UNRELATED, None, "", "", "", None, None),
    "references-other-org.eml": (Kind.REPLIED, None, "", "", "", None, None),
    "forged-auto-submitted.eml": (Kind.RECEIVED, None, "", "", "99/9999", None, None),
    "dsn-not-ours.eml": (Kind.BOUNCED, True, "5.1.1", "User unknown", "", None, None),
    "bounce-archive-copy.eml": (Kind.BOUNCED, True, "5.2.2", "over quota", "", None, None),
    "header-injection.eml": (Kind.RECEIVED, None, "", "", "24/1234", "jd", "in-reply-to"),
}  # fmt: skip


def test_every_file_of_the_corpus_is_checked() -> None:
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_message_is_read_as_a_secretary_would(name: str) -> None:
    kind, permanent, status, diagnostic, case, recipient, how = EXPECTED[name]
    incoming = read_message((CORPUS / name).read_bytes())
    found = match(incoming, JOURNAL)
    verdict = classify(incoming, address=found.sent.address if found else "")

    assert verdict.kind is kind
    assert verdict.permanent is permanent
    assert verdict.status == status
    assert diagnostic in verdict.diagnostic
    assert verdict.case_number == case
    assert (found.sent.recipient if found else None) == recipient
    assert (found.how if found else None) == how


def test_a_bounce_names_the_address_and_says_why_in_one_line() -> None:
    incoming = read_message((CORPUS / "bounce-postfix-user-unknown.eml").read_bytes())
    verdict = classify(incoming)
    assert verdict.address == "leder@kvinnenettverket.no"
    assert verdict.describe() == (
        "bounced permanently (5.1.1: 550 5.1.1 <leder@kvinnenettverket.no>: Recipient address "
        "rejected: User unknown in virtual mailbox table)"
    )
    assert incoming.original is not None
    assert incoming.original.traced("letter") == "vold-2025"
    assert incoming.original.subject == VOLD


def test_a_delay_is_temporary_and_says_the_server_keeps_trying() -> None:
    verdict = classify(read_message((CORPUS / "delay-postfix-4.4.1.eml").read_bytes()))
    assert verdict.describe().startswith("delivery delayed, the server keeps trying (4.4.1: ")


@pytest.mark.parametrize("name", ["out-of-office.eml", "out-of-office-gmail.eml"])
def test_an_out_of_office_reply_is_received_and_away_without_a_case_number(name: str) -> None:
    # Exchange's (Auto-Submitted: auto-generated) and Gmail's (auto-replied, Precedence: bulk).
    verdict = classify(read_message((CORPUS / name).read_bytes()))
    assert (verdict.kind, verdict.away, verdict.automatic) == (Kind.RECEIVED, True, True)
    assert verdict.describe() == "received (out-of-office reply)"


def test_a_receipt_gives_its_case_number_not_the_reference_it_quotes_back() -> None:
    # "Deres ref.: 2026/17" is our own reference echoed; "Vår ref.: 24/1234" is theirs.
    incoming = read_message((CORPUS / "receipt-bokmal-ministry.eml").read_bytes())
    assert incoming.case_number == "24/1234"
    assert classify(incoming).describe() == "received, case number 24/1234"


def test_a_reply_has_its_sender_date_and_the_text_the_person_wrote() -> None:
    incoming = read_message((CORPUS / "reply-html-only-top-posted.eml").read_bytes())
    assert incoming.sender == "saksbehandler.lund@kd.dep.no"
    assert incoming.sender_name == "Lund Sølvi"
    assert incoming.date is not None and incoming.date.isoformat() == "2026-11-26T08:15:03+00:00"
    assert "Kunnskapsdepartementet takker for innspillet" in incoming.text
    assert "«trygg voksen»" in incoming.text
    assert "alert" not in incoming.text and "MsoNormal" not in incoming.text


def test_words_quoted_from_someone_else_do_not_make_a_reply_a_receipt() -> None:
    # The forwarded note below the reply says "Vi har mottatt ...": the person's text does not.
    incoming = read_message((CORPUS / "reply-forwarded.eml").read_bytes())
    assert "Vi har mottatt vedlagte brev" in incoming.text
    assert classify(incoming).kind is Kind.REPLIED


def test_what_a_person_reads_is_in_bokmal_and_nynorsk() -> None:
    incoming = read_message((CORPUS / "receipt-nynorsk-county.eml").read_bytes())
    bounce = read_message((CORPUS / "delay-postfix-4.4.1.eml").read_bytes())
    reply = read_message((CORPUS / "reply-plain.eml").read_bytes())
    with use_language("nb"):
        assert classify(incoming).describe() == "mottatt, saksnummer 2024/5678"
        assert classify(bounce).describe().startswith("forsinket, e-posttjeneren prøver fortsatt")
        assert classify(reply).describe(reply.sender, reply.date) == (
            "besvart av ingrid.berg@bfd.dep.no, den 2026-12-02"
        )
        assert kind_label(Kind.BOUNCED) == "kom i retur"
    with use_language("nn"):
        assert classify(incoming).describe() == "motteke, saksnummer 2024/5678"
        assert kind_label(Kind.REPLIED) == "har svart"


def test_every_message_of_the_inbox_has_its_translations_with_the_same_placeholders() -> None:
    package = Path(lettersmith.deliver.inbox.__file__).parent
    marked = {
        message
        for _, _, message, *_ in extract_from_dir(
            package, method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
        )
    }
    assert len(marked) > 20
    for language in ("nb", "nn"):
        # The package's catalogues: inbox.po (reading, classifying) and inbox_imap.po (the
        # IMAP reader and the journal's rows), read together as translate.py does.
        path = LOCALE / language / "LC_MESSAGES" / "inbox*.po"
        catalogue = {}
        for part in sorted(path.parent.glob(path.name)):
            with part.open("rb") as po:
                for m in read_po(po):
                    if m.id and m.id not in catalogue:
                        catalogue[m.id] = m.string
        for message in marked:
            assert catalogue.get(message), f"{path}: no translation for {message!r}"
            placeholders = set(re.findall(r"\{\w+\}", message))
            assert set(re.findall(r"\{\w+\}", catalogue[message])) == placeholders


def test_our_own_reference_quoted_back_in_a_reply_is_not_their_case_number() -> None:
    raw = (
        "From: Kari Rådgiver <kari@kd.dep.no>\r\n"
        f"In-Reply-To: {SENT[3].message_id}\r\nSubject: SV: {VOLD}\r\n\r\n"
        "Takk for brevet, vi ser på det.\r\n\r\n"
        "> Vår ref.: 2026/17\r\n> Med vennlig hilsen\r\n> Eksempelforeningen\r\n"
    ).encode()
    incoming = read_message(raw)
    assert incoming.case_number == ""
    assert classify(incoming).describe(incoming.sender) == "replied by kari@kd.dep.no"


def report(*blocks: str) -> bytes:
    """A delivery status report with these per-recipient blocks."""
    return (
        "From: MAILER-DAEMON@mail.example.org\r\nSubject: Delivery report\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.example.org\r\n\r\n" + "\r\n".join(blocks) + "\r\n--r--\r\n"
    ).encode()


def test_a_report_about_several_recipients_is_read_for_the_one_we_sent_to() -> None:
    raw = report(
        "Final-Recipient: rfc822; arkiv@example.org\r\nAction: delayed\r\nStatus: 4.2.2\r\n",
        "Final-Recipient: rfc822; Postmottak@KD.dep.no\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n",
    )
    incoming = read_message(raw)
    assert incoming.failed == ("arkiv@example.org", "postmottak@kd.dep.no")
    ours = classify(incoming, address="postmottak@kd.dep.no")
    assert (ours.permanent, ours.status, ours.diagnostic) == (
        True,
        "5.1.1",
        "550 5.1.1 no such user",
    )
    assert classify(incoming).status == "4.2.2"  # without an address: the first that failed


def test_a_report_block_without_action_or_status_is_passed_over_for_one_that_failed() -> None:
    raw = report(
        "Final-Recipient: rfc822; a@example.org\r\n",
        "Final-Recipient: rfc822; b@example.org\r\nAction: failed\r\nStatus: 5.2.1\r\n",
    )
    verdict = classify(read_message(raw))
    assert (verdict.kind, verdict.status, verdict.address) == (
        Kind.BOUNCED,
        "5.2.1",
        "b@example.org",
    )


def test_a_report_that_the_message_was_delivered_is_a_receipt_from_the_server() -> None:
    raw = report("Final-Recipient: rfc822; a@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n")
    verdict = classify(read_message(raw))
    assert (verdict.kind, verdict.permanent) == (Kind.RECEIVED, None)
    assert verdict.reason == "the recipient's server reports the message delivered"


@pytest.mark.parametrize(
    ("text", "case"),
    [
        ("Vår ref.: 24/1234", "24/1234"),
        ("Vår ref: 24/1234-3", "24/1234-3"),
        ("VÅR REF.: 24/1234", "24/1234"),
        ("Vår referanse: 2024/1234", "2024/1234"),
        ("Saken har Saksnummer 2024/1234.", "2024/1234"),
        ("Saksnr.: 24/12", "24/12"),
        ("Sak nr. 24/1234", "24/1234"),
        ("Arkivsaksnr.: 24/01234", "24/01234"),
        ("Vår ref. 24/1234 - 5", "24/1234-5"),
        ("Vår dato: 17.11.2026\nVår ref.: 24/1234\nDeres ref.: 2026/17", "24/1234"),
        ("Our ref.: 24/1234", "24/1234"),
        ("Deres ref.: 24/1234", ""),  # the sender's own reference, echoed
        ("Vår ref.: ABC-12", ""),
        ("Ring oss 24/7 på 22 24 90 90", ""),
        ("Vår ref.:" + " " * 100 + "24/1234", ""),  # too far from its label to be its number
    ],
)
def test_the_case_number_is_the_archives_own_reference(text: str, case: str) -> None:
    raw = f"From: postmottak@kd.dep.no\r\nSubject: Kvittering\r\n\r\n{text}\r\n".encode()
    assert read_message(raw).case_number == case


def test_a_utf8_report_rfc_6533_is_read_even_base64_encoded() -> None:
    fields = (
        "Reporting-MTA: dns; mail.example.org\r\n\r\n"
        "Final-Recipient: utf-8; kari.nordmann@bærum.kommune.no\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 Mottakeren finnes ikke\r\n"
    )
    raw = (
        "From: postmaster@example.org\r\nSubject: Ikke levert\r\n"
        'Content-Type: multipart/report; report-type=global-delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIkke levert.\r\n"
        "--r\r\nContent-Type: message/global-delivery-status\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(fields.encode()).decode().replace("\n", "\r\n")
        + "--r--\r\n"
    ).encode()
    verdict = classify(read_message(raw))
    assert (verdict.kind, verdict.status) == (Kind.BOUNCED, "5.1.1")
    assert verdict.address == "kari.nordmann@xn--brum-voa.kommune.no"
    assert verdict.diagnostic == "550 5.1.1 Mottakeren finnes ikke"


@pytest.mark.parametrize(
    ("subject", "body", "kind"),
    [
        ("Kvittering", "Din e-post er mottatt og registrert.", Kind.RECEIVED),
        ("Bekreftelse på mottatt e-post", "Takk. Saken er journalført.", Kind.RECEIVED),
        ("Stadfesting på motteke e-post", "E-posten din er motteken.", Kind.RECEIVED),
        ("SV: Innspill", "Vi har mottatt brevet. Vår ref.: 24/1234", Kind.RECEIVED),
        ("SV: Innspill", "Takk for innspillet, vi kommer tilbake til saken.", Kind.REPLIED),
        # A person's long answer that mentions the letter arrived is still an answer.
        ("SV: Innspill", "Brevet er mottatt. " + "Vi har vurdert forslagene. " * 60, Kind.REPLIED),
    ],
)
def test_an_archives_receipt_in_words_without_any_header_saying_so(
    subject: str, body: str, kind: Kind
) -> None:
    raw = f"From: postmottak@kd.dep.no\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()
    assert classify(read_message(raw)).kind is kind


@pytest.mark.parametrize(
    ("status", "bad"),
    [("5.1.1", True), ("5.1.10", True), ("5.2.1", True), ("5.2.2", False), ("5.7.1", False),
     ("4.4.1", False)],
)  # fmt: skip
def test_only_an_addressing_failure_blames_the_address(status: str, bad: bool) -> None:
    action = "delayed" if status[0] == "4" else "failed"
    raw = report(
        f"Final-Recipient: rfc822; a@example.org\r\nAction: {action}\r\nStatus: {status}\r\n"
    )
    assert classify(read_message(raw)).bad_address is bad
