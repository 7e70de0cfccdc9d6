"""Messages built from a composed letter: headers, parts, attachments, refusals."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy

import pytest

from factories import make_letter
from lettersmith.deliver.message import Envelope, RefusedHeader, build_message, mailbox
from lettersmith.model import Addressee, MailSettings

SETTINGS = MailSettings(
    sender="SI Norge <post@example.org>", reply_to="post@example.org", bcc="arkiv@example.org"
)
NOW = dt.datetime(2024, 12, 10, 9, 30, tzinfo=dt.UTC)
# make_letter's PDF as the message names it: date, organisation, subject.
PDF_NAME = (
    "2024-12-10 Soroptimist International Norgesunionen - "
    "Tiden er inne for å få en handlingsplan mot menneskehandel.pdf"
)


@pytest.fixture
def pdf(tmp_path):
    path = tmp_path / "out" / "menneskehandel-2024.pdf"
    path.parent.mkdir()
    path.write_bytes(b"%PDF-1.7\nletter bytes\n%%EOF\n")
    return path


def build(letter, pdf, index=0, settings=SETTINGS, now=NOW):
    return build_message(
        letter, letter.addressees[index], Envelope.from_settings(settings), pdf, now=now
    )


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def test_headers_parts_and_attachment(tmp_path, pdf):
    letter = make_letter(tmp_path, subject="Handlingsplan mot menneskehandel – nå")
    out = build(letter, pdf)
    msg = parse(out.data)

    assert msg["From"] == "SI Norge <post@example.org>"
    assert msg["To"] == "Jonas Gahr Støre <postmottak@smk.dep.no>"
    assert msg["Reply-To"] == "post@example.org"
    assert msg["Subject"] == "Handlingsplan mot menneskehandel – nå"
    assert msg["Date"].datetime == NOW
    assert msg["Bcc"] is None  # the archive copy goes in the envelope only
    assert msg["Content-Language"] == "nb"  # kept, though setting the body clears Content-*
    assert out.rcpt_to == ("postmottak@smk.dep.no", "arkiv@example.org")
    assert out.mail_from == "post@example.org"
    assert out.message_id == msg["Message-ID"]
    assert out.message_id.endswith("@example.org>")
    # Non-ASCII is encoded on the wire, never raw 8-bit in headers.
    head = out.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert all(len(line) <= 998 for line in out.data.split(b"\r\n"))

    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Vedlagt følger en uttalelse." in text
    assert "<p>Vedlagt følger en uttalelse.</p>" in html
    attachments = list(msg.iter_attachments())
    name = "2024-12-10 Soroptimist International Norgesunionen - Handlingsplan mot menneskehandel – nå.pdf"  # noqa: E501
    assert [a.get_filename() for a in attachments] == [name]
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_content() == pdf.read_bytes()


def test_extra_attachments_follow_the_pdf(tmp_path, pdf):
    extra = tmp_path / "assets" / "vedlegg ø.pdf"
    extra.parent.mkdir()
    extra.write_bytes(b"%PDF-1.7\nextra\n")
    out = build(make_letter(tmp_path, attachments=(extra,)), pdf)
    attachments = list(parse(out.data).iter_attachments())
    assert [a.get_filename() for a in attachments] == [PDF_NAME, "vedlegg ø.pdf"]
    assert attachments[1].get_content() == extra.read_bytes()
    assert out.attachments == f"{PDF_NAME}, vedlegg ø.pdf"


def test_message_id_is_stable_and_follows_letter_club_recipient_and_attachment(tmp_path, pdf):
    letter = make_letter(tmp_path)
    first = build(letter, pdf)
    again = build(letter, pdf, now=NOW + dt.timedelta(days=1))
    assert again.message_id == first.message_id
    assert build(letter, pdf, index=1).message_id != first.message_id
    club = dataclasses.replace(letter, club_id="bergen")
    assert build(club, pdf).message_id != first.message_id
    pdf.write_bytes(b"%PDF-1.7\nchanged\n")
    changed = build(letter, pdf)
    assert changed.message_id != first.message_id
    assert changed.attachment_hash != first.attachment_hash


def test_international_domain_goes_out_as_idna(tmp_path, pdf):
    letter = make_letter(
        tmp_path,
        addressees=(Addressee("kommune", ("Ordfører",), "post@bø.kommune.no", "Ordfører"),),
    )
    out = build(letter, pdf)
    assert out.address == "post@xn--b-5ga.kommune.no"
    assert out.rcpt_to[0] == "post@xn--b-5ga.kommune.no"
    assert parse(out.data)["To"].addresses[0].domain == "xn--b-5ga.kommune.no"


@pytest.mark.parametrize(
    "value",
    [
        "Doe, John <j@x.no>",
        "a@x.no(<b@y.no>",
        "a@x.no, b@y.no",
        "Bob <a@x.no> trailing",
        "not an address",
        "a@x.no\r\nBcc: victim@y.no",
        "",
    ],
)
def test_anything_but_exactly_one_mailbox_is_refused(value):
    with pytest.raises(RefusedHeader, match="exactly one address|line break|not a valid"):
        mailbox(value, "mail.from")


def test_refusals_name_the_field(tmp_path, pdf):
    bad_subject = make_letter(tmp_path, subject="Hei\r\nBcc: spy@evil.example.org")
    with pytest.raises(RefusedHeader, match=r"^subject: .* contains a line break"):
        build(bad_subject, pdf)
    injected_name = make_letter(
        tmp_path, addressees=(Addressee("smk", ("x",), "a@smk.dep.no", "Name\nBcc: spy@x.no"),)
    )
    with pytest.raises(RefusedHeader, match="line break"):
        build(injected_name, pdf)
    two = make_letter(tmp_path, addressees=(Addressee("jd", ("x",), "Doe, John <j@jd.no>", ""),))
    with pytest.raises(
        RefusedHeader, match=r"^recipient jd: 'Doe, John <j@jd.no>' must hold exactly"
    ):
        build(two, pdf)
    with pytest.raises(RefusedHeader, match=r"^mail.bcc: "):
        Envelope.from_settings(dataclasses.replace(SETTINGS, bcc="a@x.no, b@y.no"))


@pytest.mark.parametrize("which", ["the pdf", "an attachment"])
def test_a_file_changed_after_the_message_was_planned_is_never_sent(tmp_path, pdf, which):
    """Same size, same time: the bytes are checked against the hash fixed when planned."""
    import os

    from lettersmith.errors import DeliveryError

    extra = tmp_path / "assets" / "vedlegg.pdf"
    extra.parent.mkdir()
    extra.write_bytes(b"%PDF-1.7\nextra\n")
    out = build(make_letter(tmp_path, attachments=(extra,)), pdf)
    path = pdf if which == "the pdf" else extra
    info = path.stat()
    data = path.read_bytes()
    path.write_bytes(data[:-6] + b"XXXXXX")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(DeliveryError, match=r"changed since the send was planned \(sha256 "):
        out.made()
