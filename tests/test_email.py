"""The email as its reader sees it: greeting, cover note, closing, the PDF's name, the ids."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import re
from email.header import decode_header, make_header

import pytest

from factories import make_letter, para
from lettersmith.compose.i18n import phrases
from lettersmith.compose.markdown import parse as markdown
from lettersmith.compose.revision import what_leaves
from lettersmith.deliver.message import Envelope, RefusedHeader, build_message
from lettersmith.model import Addressee, MailSettings, Sender

NOW = dt.datetime(2024, 12, 10, 9, 30, tzinfo=dt.UTC)
SMK = Addressee(
    "smk",
    ("Statsminister Jonas Gahr Støre", "postmottak@smk.dep.no"),
    "postmottak@smk.dep.no",
    "Jonas Gahr Støre",
    title="Statsminister",
    name="Jonas Gahr Støre",
)
HOD = Addressee(
    "hod",
    ("Helse- og omsorgsdepartementet", "postmottak@hod.dep.no"),
    "postmottak@hod.dep.no",
    "Helse- og omsorgsdepartementet",
    organisation="Helse- og omsorgsdepartementet",
)
NOTE = "Vedlagt følger en uttalelse.\n\nVi ber om at den journalføres."


@pytest.fixture
def pdf(tmp_path):
    path = tmp_path / "out" / "menneskehandel-2024.pdf"
    path.parent.mkdir()
    path.write_bytes(b"%PDF-1.7\nletter bytes\n%%EOF\n")
    return path


def message(letter, pdf, addressee=SMK, settings=None, **options):
    settings = settings or MailSettings(sender="SI Norge <post@example.org>")
    out = build_message(
        letter, addressee, Envelope.from_settings(settings), pdf, now=NOW, **options
    )
    return out, email.message_from_bytes(out.data, policy=email.policy.default)


def bodies(msg) -> tuple[str, str]:
    """The plain text, and the HTML's words with tags and line breaks made plain."""
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    html = re.sub(r"<br ?/?>\n?", "\n", html)
    html = re.sub(r"</p>\n?<p>", "\n\n", html)
    words = re.sub(r"<[^>]+>", "", html.split("<body>")[1]).strip()
    return text.strip(), words


# --------------------------------------------------------------------------- correspondence


def test_the_email_greets_gives_the_note_and_signs_off_in_bokmaal(tmp_path, pdf):
    letter = make_letter(
        tmp_path,
        addressees=(SMK,),
        sender=Sender("Soroptimist International Norgesunionen", email="post@example.org"),
        cover_note=markdown(NOTE),
    )
    _, msg = message(letter, pdf)
    text, html = bodies(msg)

    assert text == (
        "Til statsminister Jonas Gahr Støre\n\n"
        "Vedlagt følger en uttalelse.\n\n"
        "Vi ber om at den journalføres.\n\n"
        "Vennlig hilsen\n"
        "Karin Dahlberg Pettersen\n"
        "Unionspresident\n"
        "Soroptimist International Norgesunionen\n\n"
        "Svar kan sendes til post@example.org."
    )
    assert html == text  # one composed text, two parts


def test_reply_to_is_how_to_answer_and_a_salutation_wins(tmp_path, pdf):
    own = dataclasses.replace(SMK, salutation="Til statsministeren")
    letter = make_letter(tmp_path, addressees=(own,))
    settings = MailSettings(sender="SI Norge <post@example.org>", reply_to="svar@example.org")
    text, _ = bodies(message(letter, pdf, own, settings)[1])
    assert text.startswith("Til statsministeren\n\n")
    assert text.endswith("\n\nSvar kan sendes til svar@example.org.")


@pytest.mark.parametrize(
    ("language", "addressee", "greeting", "closing", "answer"),
    [
        ("nn", HOD, "Til Helse- og omsorgsdepartementet", "Venleg helsing",
         "Svar kan sendast til post@example.org."),
        ("en", SMK, "Dear Statsminister Jonas Gahr Støre,", "Kind regards",
         "Please send your reply to post@example.org."),
        ("nb", Addressee("x", ("post@x.no",), "post@x.no", ""), "Hei,", "Vennlig hilsen",
         "Svar kan sendes til post@example.org."),
    ],
)  # fmt: skip
def test_greeting_and_closing_follow_the_letters_language(
    tmp_path, pdf, language, addressee, greeting, closing, answer
):
    letter = make_letter(tmp_path, addressees=(addressee,), language=language, closing=closing)
    text, html = bodies(message(letter, pdf, addressee)[1])
    assert text.split("\n\n")[0] == greeting
    assert f"\n\n{closing}\nKarin Dahlberg Pettersen\n" in text
    assert text.endswith(answer)
    assert html == text


@pytest.mark.parametrize(
    "sign_off",
    ["Vennlig hilsen\nKari Nordmann", "Med vennlig hilsen,", "Venleg helsing frå Kari", "Mvh"],
)
def test_a_note_that_signs_off_itself_is_not_signed_twice(tmp_path, pdf, sign_off):
    letter = make_letter(tmp_path, cover_note=markdown(f"{NOTE}\n\n{sign_off}"))
    text, _ = bodies(message(letter, pdf, SMK)[1])
    assert text.count("hilsen") + text.count("helsing") + text.count("Mvh") == 1
    assert "Vi ber om at den journalføres.\n\nVennlig hilsen\nKarin Dahlberg" in text


def test_a_note_that_mentions_a_greeting_in_passing_is_kept(tmp_path, pdf):
    last = "Hilsen fra alle medlemmene våre i hele landet, som står bak uttalelsen og ber om svar."
    letter = make_letter(tmp_path, cover_note=(para("Vedlagt."), para(last)))
    text, _ = bodies(message(letter, pdf, SMK)[1])
    assert last in text


def test_the_default_cover_note_is_not_signed_twice(tmp_path, pdf):
    from lettersmith.compose.i18n import default_cover_note

    note = default_cover_note("SI Norge", "En sak", "nb")
    letter = make_letter(tmp_path, cover_note=markdown(note))
    text, _ = bodies(message(letter, pdf, SMK)[1])
    assert text.count("Vennlig hilsen") == 1
    assert "Vedlagt følger et brev fra SI Norge: «En sak».\n\nVennlig hilsen" in text


# --------------------------------------------------------------------------- the PDF's name


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Handlingsplan mot menneskehandel",
         "2024-12-10 Soroptimist International Norgesunionen - Handlingsplan mot menneskehandel"),
        ('NOU 2024: 4 «Voldtekt» / "svar?" <nå> * a|b\\c',
         "2024-12-10 Soroptimist International Norgesunionen - NOU 2024 - 4 «Voldtekt» - svar"
         " nå a b c"),
        ("Tiden er inne", "2024-12-10 Soroptimist International Norgesunionen - Tiden er inne"),
    ],
)  # fmt: skip
def test_the_pdf_is_named_for_an_archive_in_safe_characters(tmp_path, pdf, subject, name):
    letter = make_letter(tmp_path, subject=subject)
    out, msg = message(letter, pdf)
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == f"{name}.pdf"
    assert out.attachments == f"{name}.pdf"


def test_the_name_is_nfc_bounded_and_encoded_by_rfc_2231(tmp_path, pdf):
    decomposed = "Bla\u030aba\u0308r og o\u0308l " + "veldig lang tittel " * 12
    letter = make_letter(tmp_path, subject=decomposed.strip(), date=dt.date(2025, 1, 2))
    out, msg = message(letter, pdf)
    (attachment,) = msg.iter_attachments()
    name = attachment.get_filename()
    assert name.startswith("2025-01-02 Soroptimist International Norgesunionen - Blåbär og öl ")
    assert set(name[:-4].split(" - ")[1].split()) <= {
        "Blåbär",
        "og",
        "öl",
        "veldig",
        "lang",
        "tittel",
    }  # cut at a word
    assert len(name) <= 120
    head = out.data.split(b"\r\n\r\n--")[0]
    disposition = re.search(rb"Content-Disposition: attachment;(.*?)\r\n(?=\S)", out.data, re.S)
    assert disposition and b"filename*" in disposition.group(1)  # RFC 2231, not raw UTF-8
    assert out.data.split(b"Content-Disposition")[1].split(b"\r\n\r\n")[0].isascii()
    assert head.isascii()


def test_a_short_name_is_used_where_one_is_declared(tmp_path, pdf):
    @dataclasses.dataclass(frozen=True)
    class Short(Sender):
        short_name: str | None = None

    sender = Short("Soroptimist International Norgesunionen", short_name="SI Norgesunionen")
    letter = make_letter(tmp_path, sender=sender, subject="Handlingsplan mot menneskehandel")
    (attachment,) = message(letter, pdf)[1].iter_attachments()
    assert attachment.get_filename() == (
        "2024-12-10 SI Norgesunionen - Handlingsplan mot menneskehandel.pdf"
    )


# --------------------------------------------------------------------------- Message-ID


def test_the_message_id_is_in_the_senders_domain_and_unique(tmp_path, pdf):
    letter = make_letter(tmp_path, addressees=(SMK, HOD))
    settings = MailSettings(sender="SI Bergen <post@si-bergen.no>")
    ids = [message(letter, pdf, a, settings)[1]["Message-ID"] for a in (SMK, HOD)]
    assert all(re.fullmatch(r"<[0-9a-f]{32}@si-bergen\.no>", i) for i in ids)
    assert len(set(ids)) == 2
    idna = MailSettings(sender="Blåbær <post@blåbær.no>")
    domain = "blåbær.no".encode("idna").decode()
    assert message(letter, pdf, SMK, idna)[1]["Message-ID"].endswith(f"@{domain}>")


def test_control_characters_never_reach_the_name(tmp_path):
    from lettersmith.compose.mailtext import attachment_name

    letter = make_letter(tmp_path, subject="Tab\tand\x07bell\u2028line\x00 ../../etc")
    assert attachment_name(letter) == (
        "2024-12-10 Soroptimist International Norgesunionen - Tab and bell line ..-..-etc.pdf"
    )


# --------------------------------------------------------------------------- one revision code


def test_one_revision_code_in_the_review_page_status_approve_and_the_email(mail_workspace):
    from click.testing import CliRunner

    from lettersmith.cli import main

    def run(*args):
        result = CliRunner().invoke(main, ["-w", str(mail_workspace), *args])
        assert result.exit_code == 0, result.output
        return result.output

    letter = "menneskehandel-2024"
    run("send", letter, "--dry-run")
    eml = mail_workspace / "out" / letter / "mail" / "smk.eml"
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    code = msg["X-Lettersmith-Revision"]
    assert re.fullmatch(r"[0-9a-f]{10}", code)
    assert f"Revision {code}: not approved." in run("status", letter)
    run("review", letter)
    page = (mail_workspace / "out" / letter / "review" / "index.html").read_text()
    assert f">{code}</span>" in page
    assert f"revision {code} approved by Kari" in run("approve", letter, "--by", "Kari")
    # The letter's whole hash stays in a header of its own, for `journal rebuild`.
    assert re.fullmatch(r"[0-9a-f]{64}", str(msg["X-Lettersmith-Letter-Revision"]).strip())


@pytest.mark.parametrize(
    ("title", "greeting"),
    [
        ("Justis – og beredskapsminister", "Til justis – og beredskapsminister Kari Nordmann"),
        ("NAV-direktør", "Til NAV-direktør Kari Nordmann"),
        (None, "Til Kari Nordmann"),
    ],
)
def test_an_office_is_written_as_inside_a_sentence_an_acronym_kept(title, greeting):
    from lettersmith.compose.mailtext import greeting as greet

    addressee = Addressee("x", ("x",), "x@x.no", "Kari Nordmann", title=title, name="Kari Nordmann")
    assert greet(addressee, "nb") == greeting


# ------------------------------------------------------------------ the subject references

SUBJECT = "Handlingsplan mot menneskehandel"


@pytest.mark.parametrize(
    ("language", "reference", "theirs", "subject"),
    [
        ("nb", None, None, SUBJECT),
        ("nb", "2024/17", None, f"{SUBJECT} – Vår ref. 2024/17"),
        ("nb", None, "24/1234", f"{SUBJECT} – Deres ref. 24/1234"),
        ("nb", "2024/17", "24/1234", f"{SUBJECT} – Vår ref. 2024/17 – Deres ref. 24/1234"),
        ("nn", "2024/17", "24/1234", f"{SUBJECT} – Vår ref. 2024/17 – Dykkar ref. 24/1234"),
        ("en", "2024/17", "24/1234", f"{SUBJECT} – Our ref. 2024/17 – Your ref. 24/1234"),
    ],
)  # fmt: skip
def test_the_subject_carries_the_references_a_registry_journals_by(
    tmp_path, pdf, language, reference, theirs, subject
):
    letter = make_letter(
        tmp_path,
        addressees=(SMK,),
        language=language,
        phrases=phrases(language),
        subject=SUBJECT,
        reference=reference,
        their_reference=theirs,
    )
    out, msg = message(letter, pdf)
    assert msg["Subject"] == subject
    raw = out.data.split(b"\r\n\r\n", 1)[0].decode("ascii")  # headers are 7-bit on the wire
    unfolded = re.sub(r"\r\n[ \t]+", " ", raw)
    (line,) = [h for h in unfolded.split("\r\n") if h.startswith("Subject:")]
    # Non-ASCII ("å", the dash) as RFC 2047 encoded words, which decode back to the subject.
    assert "=?utf-8?" in line.lower() or subject.isascii()
    decoded = str(make_header(decode_header(line.removeprefix("Subject: "))))
    assert decoded == subject


def test_a_reference_with_a_line_break_is_refused_not_sent(tmp_path, pdf):
    letter = make_letter(tmp_path, addressees=(SMK,), reference="2024/17\r\nBcc: x@evil.example")
    with pytest.raises(RefusedHeader, match="line break"):
        message(letter, pdf)


def test_a_changed_reference_changes_the_revision(tmp_path):
    letter = make_letter(tmp_path, addressees=(SMK,), reference="2024/17")
    revisions = {
        what_leaves(dataclasses.replace(letter, **change), "each", None).revision
        for change in (
            {},
            {"reference": "2024/18"},
            {"reference": None},
            {"their_reference": "24/1234"},
        )
    }
    assert len(revisions) == 4
