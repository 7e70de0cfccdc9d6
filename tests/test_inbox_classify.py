"""Reading what comes back into the mailbox: what each message is and which letter it answers.

The corpus under tests/data/inbox/ is written by hand in the shapes real servers and archives
send; each file is checked for what a secretary would read in ``status``.
"""

from __future__ import annotations

from lettersmith.deliver.inbox import Kind, Sent, SentList, classify, match, read_message

OURS = Sent(
    letter="skole-2025",
    club=None,
    recipient="kd",
    address="postmottak@kd.dep.no",
    message_id="<3f2a9c0e5b7d41e8a6c2f0b9d8e7a615@forbundet.no>",
    subject="Høringsinnspill om skolefritidsordningen",
)
JOURNAL = SentList([OURS])


def test_a_receipt_in_words_gives_its_case_number_and_matches_by_in_reply_to() -> None:
    raw = (
        "From: Postmottak KD <postmottak@kd.dep.no>\r\n"
        f"In-Reply-To: {OURS.message_id}\r\n"
        "Subject: Kvittering\r\n\r\n"
        "Vi har mottatt din henvendelse.\r\nVår ref.: 24/1234\r\n"
    ).encode()
    incoming = read_message(raw)
    verdict = classify(incoming)
    assert verdict.kind is Kind.RECEIVED
    assert verdict.case_number == "24/1234"
    found = match(incoming, JOURNAL)
    assert found is not None and found.sent == OURS and found.how == "in-reply-to"
