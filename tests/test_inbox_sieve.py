"""The sieve before the full reading lets through everything ``match`` could take, and little
else: every message of the corpus that matches passes it, in the line endings a server gives."""

from __future__ import annotations

import email
import re
from email.policy import compat32

import pytest

from lettersmith.deliver.inbox import match, read_message
from lettersmith.deliver.inbox.sieve import Sieve
from test_inbox_classify import CORPUS, EXPECTED, JOURNAL, SENT

SIEVE = Sieve.of(SENT)


def crlf(raw: bytes) -> bytes:
    return re.sub(rb"\r?\n", b"\r\n", raw)


def glance(raw: bytes) -> tuple[bytes, bytes]:
    """What IMAP tells before the body: the header, and the content types of every part
    (as BODYSTRUCTURE lists them)."""
    message = email.message_from_bytes(raw, policy=compat32)
    header = raw[: raw.find(b"\n\n") + 1] if b"\n\n" in raw else raw
    return header, " ".join(part.get_content_type() for part in message.walk()).encode()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_whatever_match_takes_passes_the_sieve(name):
    raw = (CORPUS / name).read_bytes()
    for form in (raw, crlf(raw)):
        if match(read_message(form), JOURNAL) is not None:
            assert SIEVE.may_answer(*glance(form)), name


def test_a_report_inside_another_message_passes_by_its_structure():
    forwarded = (
        b"From: Ola <ola@example.net>\r\nSubject: Fwd\r\nContent-Type: multipart/mixed\r\n\r\n"
    )
    assert not SIEVE.may_answer(forwarded)
    assert SIEVE.may_answer(forwarded, b'("MESSAGE" "DELIVERY-STATUS" NIL NIL NIL "7BIT" 250)')


@pytest.mark.parametrize("name", ["newsletter.eml", "spam.eml"])
def test_mail_from_strangers_without_our_ids_is_not_read_further(name):
    assert not SIEVE.may_answer(*glance((CORPUS / name).read_bytes()))


def test_the_ways_a_message_can_be_ours_each_pass():
    ours = SENT[0]  # jd, postmottak@jd.dep.no
    stranger = b"From: Ola <ola@example.net>\r\nSubject: Hei\r\n\r\nHei.\r\n"
    assert not SIEVE.may_answer(stranger)
    ids = f"In-Reply-To: {ours.message_id.upper()}\r\n".encode()
    assert SIEVE.may_answer(ids + stranger)
    assert not SIEVE.may_answer(stranger.replace(b"Hei.", ours.message_id.encode()))  # body
    assert SIEVE.may_answer(stranger.replace(b"example.net", b"JD.dep.no"))
    assert SIEVE.may_answer(stranger.replace(b"ola@", b"MAILER-DAEMON@"))
    assert SIEVE.may_answer(b"Return-Path: <>\r\n" + stranger)
    assert SIEVE.may_answer(b"X-Lettersmith-Letter: vold-2025\r\n" + stranger)
    encoded = b"From: =?utf-8?b?b2xhQGpkLmRlcC5ubw==?=\r\n\r\nHei.\r\n"
    assert SIEVE.may_answer(encoded)  # an address hidden in an encoded word: read it fully
    assert SIEVE.may_answer(b"Subject: no sender\r\n\r\nHei.\r\n")


def test_nothing_sent_means_nothing_can_answer():
    empty = Sieve(frozenset(), frozenset())
    assert not empty.may_answer((CORPUS / "reply-plain.eml").read_bytes())
