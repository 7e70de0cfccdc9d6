"""Signed letters (PAdES, pyHanko) and `lettersmith verify`, with throw-away certificates."""

from __future__ import annotations

import datetime as dt
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import BytesIO
from pathlib import Path

import pikepdf
import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

from certs import PASSWORD, Issued, issue, make_ca, write_p12
from lettersmith import Project
from lettersmith.cli import main
from readback import pdf_text
from workspaces import copy_example

LETTER = "menneskehandel-2024"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


def pdf_of(root: Path, club: str | None = None) -> Path:
    base = root / "out" / "clubs" / club if club else root / "out"
    return base / LETTER / f"{LETTER}.pdf"


def sign_with(root: Path, p12: str, extra: str = "") -> None:
    with (root / "lettersmith.yaml").open("a", encoding="utf-8") as file:
        file.write(f"\nsigning:\n  certificate: {p12}\n  reason: Vedtatt av styret\n{extra}")


@pytest.fixture(scope="module")
def ca(tmp_path_factory) -> tuple[Issued, Path]:
    authority = make_ca("Lettersmith Test Root")
    return authority, authority.pem(tmp_path_factory.mktemp("ca") / "ca.pem")


@pytest.fixture
def signed(tmp_path, ca, monkeypatch) -> Path:
    """The example workspace with a signing certificate issued by ``ca``."""
    root = copy_example(tmp_path / "ws")
    write_p12(root / "certs" / "union.p12", issue(ca[0], "Karin Dahlberg Pettersen"), ca[0])
    sign_with(root, "certs/union.p12")
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    return root


@pytest.fixture
def built(signed) -> Path:
    result = run(signed, "build", LETTER, "--format", "pdf", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return pdf_of(signed)


def test_a_signed_letter_verifies_as_intact_and_trusted(built, ca):
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert "signed by" in line and "Karin Dahlberg Pettersen" in line
    assert "; intact; trusted; PDF/A-3b" in line


def test_signing_keeps_pdfa_tags_and_text(built):
    with pikepdf.open(built) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
        assert "/OutputIntents" in pdf.Root and "/StructTreeRoot" in pdf.Root
        assert pdf.Root.MarkInfo.Marked
        # PDF/A wants the document information and the XMP packet to agree.
        assert str(pdf.docinfo["/Producer"]) == meta.get("pdf:Producer")
        field = pdf.Root.AcroForm.Fields[0]
        assert field.FT == "/Sig" and field.V.SubFilter == "/ETSI.CAdES.detached"
        assert str(field.V.Reason) == "Vedtatt av styret"
    # An incremental update: the unsigned file is still there, byte for byte, at the start.
    data = built.read_bytes()
    assert data.count(b"%%EOF") >= 2
    assert "Tiden er inne for å få en handlingsplan mot menneskehandel" in pdf_text(built)


def test_a_changed_byte_is_reported_as_modified(built, ca):
    data = bytearray(built.read_bytes())
    # One byte in the middle of the largest stream (an embedded font): the file still parses.
    spans = [
        (m.end(), data.index(b"endstream", m.end()))
        for m in re.finditer(rb"(?<!end)stream\r?\n", data)
    ]
    start, end = max(spans, key=lambda span: span[1] - span[0])
    data[(start + end) // 2] ^= 0x01
    built.write_bytes(bytes(data))
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 1
    assert "modified" in result.output


def test_another_authority_is_untrusted(built, tmp_path):
    other = make_ca("Someone Else").pem(tmp_path / "other.pem")
    result = run(built.parent, "verify", str(built), "--trust", str(other))
    assert result.exit_code == 1
    assert f"{built}: untrusted:" in result.output
    assert "intact" in result.output  # intact, only not trusted


def test_an_unsigned_pdf_is_a_problem(tmp_path, ca):
    root = copy_example(tmp_path / "ws")
    assert run(root, "build", LETTER, "--format", "pdf", "--jobs", "1").exit_code == 0
    result = run(root, "verify", str(pdf_of(root)), "--trust", str(ca[1]))
    assert result.exit_code == 1
    assert f"{pdf_of(root)}: is not signed" in result.output


def test_signing_is_in_the_fingerprint(tmp_path, ca, monkeypatch):
    root = copy_example(tmp_path / "ws")
    assert run(root, "build", LETTER, "--format", "pdf", "--jobs", "1").exit_code == 0
    write_p12(root / "certs" / "union.p12", issue(ca[0], "Karin Dahlberg Pettersen"), ca[0])
    sign_with(root, "certs/union.p12")
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    result = run(root, "build", LETTER, "--format", "pdf", "--jobs", "1")
    assert "1 written, 0 up to date." in result.output
    assert run(root, "verify", str(pdf_of(root)), "--trust", str(ca[1])).exit_code == 0


def test_check_names_a_wrong_password_and_never_prints_it(signed, monkeypatch):
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", "feil-passord-123")
    result = run(signed, "check")
    assert result.exit_code == 1
    assert "certs/union.p12: cannot be opened with the password in LETTERSMITH_SIGN_PASSWORD" in (
        result.output
    )
    assert "feil-passord-123" not in result.output and PASSWORD not in result.output
    build = run(signed, "build", LETTER, "--format", "pdf")
    assert build.exit_code == 1 and "certs/union.p12: cannot be opened" in build.output
    assert not pdf_of(signed).exists()


def test_check_asks_for_a_missing_password(signed, monkeypatch):
    monkeypatch.delenv("LETTERSMITH_SIGN_PASSWORD")
    result = run(signed, "check")
    assert result.exit_code == 1
    assert "certs/union.p12: the signing certificate needs its password; set" in result.output


def test_check_names_a_missing_certificate(tmp_path, monkeypatch):
    root = copy_example(tmp_path / "ws")
    sign_with(root, "certs/missing.p12")
    result = run(root, "check")
    assert result.exit_code == 1
    assert "signing.certificate: no file certs/missing.p12" in result.output
    assert result.output.startswith("lettersmith.yaml:")


def test_check_refuses_a_password_in_the_file(tmp_path):
    root = copy_example(tmp_path / "ws")
    sign_with(root, "certs/x.p12", "  password: abc\n")
    result = run(root, "check")
    assert result.exit_code == 1
    assert "signing.password: never write the password in a file" in result.output


def test_check_names_an_expired_certificate(tmp_path, ca, monkeypatch):
    root = copy_example(tmp_path / "ws")
    old = issue(ca[0], "Karin Dahlberg Pettersen", start_days=-40, days=10)
    write_p12(root / "certs" / "union.p12", old, ca[0])
    sign_with(root, "certs/union.p12")
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    result = run(root, "check")
    assert result.exit_code == 1
    expired = (dt.datetime.now(dt.UTC) - dt.timedelta(days=30)).strftime("%Y-%m-%d")
    assert (
        f"certs/union.p12: the certificate of Karin Dahlberg Pettersen expired on "
        f"{expired}" in result.output
    )


def test_a_club_never_signs_with_the_unions_key(signed, ca):
    assert run(signed, "build", LETTER, "--club", "bergen", "--format", "pdf").exit_code == 0
    result = run(signed, "verify", str(pdf_of(signed, "bergen")), "--trust", str(ca[1]))
    assert result.exit_code == 1 and "is not signed" in result.output


def test_a_club_signs_with_its_own_key(signed, ca):
    club_dir = signed / "clubs" / "bergen"
    write_p12(club_dir / "certs" / "bergen.p12", issue(ca[0], "SI Bergen"), ca[0])
    with (signed / "clubs" / "bergen.yaml").open("a", encoding="utf-8") as file:
        file.write("\nsigning:\n  certificate: certs/bergen.p12\n")
    assert run(signed, "build", LETTER, "--club", "bergen", "--format", "pdf").exit_code == 0
    result = run(signed, "verify", str(pdf_of(signed, "bergen")), "--trust", str(ca[1]))
    assert result.exit_code == 0, result.output
    assert "SI Bergen" in result.output and "Karin" not in result.output


def test_a_club_cannot_point_at_the_unions_certificate_or_a_time_stamper(signed):
    with (signed / "clubs" / "bergen.yaml").open("a", encoding="utf-8") as file:
        file.write(
            "\nsigning:\n  certificate: ../../certs/union.p12\n"
            "  timestamp_url: http://127.0.0.1:9/\n"
        )
    result = run(signed, "check")
    assert result.exit_code == 1
    assert "signing.certificate: '../../certs/union.p12' is outside" in result.output
    assert "signing.timestamp_url: a club's settings may not make lettersmith reach" in (
        result.output
    )


# --------------------------------------------------------------------------- time stamps


def _asn1_key(issued: Issued) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        issued.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def time_stamper(ca):
    """pyHanko's test time-stamper, served over HTTP on 127.0.0.1 like a real RFC 3161 server."""
    import asyncio

    tsa = issue(ca[0], "Test TSA", time_stamping=True)
    dummy = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=_asn1_key(tsa),
    )
    requests: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(body)
            reply = asyncio.run(dummy.async_request_tsa_response(tsp.TimeStampReq.load(body)))
            data = reply.dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", requests
    server.shutdown()
    server.server_close()


def test_a_time_stamp_makes_the_signature_b_t(tmp_path, ca, monkeypatch, time_stamper):
    url, requests = time_stamper
    root = copy_example(tmp_path / "ws")
    write_p12(root / "certs" / "union.p12", issue(ca[0], "Karin Dahlberg Pettersen"), ca[0])
    sign_with(root, "certs/union.p12", f"  timestamp_url: {url}\n")
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    result = run(root, "build", LETTER, "--format", "pdf", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert requests  # the letter went to the time-stamper on 127.0.0.1
    result = run(root, "verify", str(pdf_of(root)), "--trust", str(ca[1]))
    assert result.exit_code == 0, result.output
    assert "(time-stamped); intact; trusted" in result.output


def test_a_silent_time_stamper_is_a_clean_error(tmp_path, ca, monkeypatch):
    root = copy_example(tmp_path / "ws")
    write_p12(root / "certs" / "union.p12", issue(ca[0], "Karin Dahlberg Pettersen"), ca[0])
    dead = "http://127.0.0.1:9/"  # the discard port: nothing answers
    sign_with(root, "certs/union.p12", f"  timestamp_url: {dead}\n")
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    result = run(root, "build", LETTER, "--format", "pdf", "--jobs", "1")
    assert result.exit_code == 1
    assert f"{dead}: the time-stamp server did not answer" in result.output
    assert not pdf_of(root).exists()


def test_verify_names_a_file_that_is_not_a_pdf(tmp_path, ca):
    junk = tmp_path / "x.pdf"
    junk.write_bytes(b"not a pdf at all")
    result = CliRunner().invoke(main, ["verify", str(junk), "--trust", str(ca[1])])
    assert result.exit_code == 1
    assert f"{junk}: modified or damaged: it cannot be read as a PDF" in result.output


def test_the_key_is_loaded_once_for_a_batch(signed, monkeypatch):
    from lettersmith.render import sign

    opened = []
    original = sign._open

    def counting(*args):
        opened.append(args[2])
        return original(*args)

    monkeypatch.setattr(sign, "_open", counting)
    sign._loaded.clear()
    letter = signed / "letters" / f"{LETTER}.yaml"
    letter.write_text(letter.read_text(encoding="utf-8").replace("mode: joint", "mode: each"))
    result = run(signed, "build", LETTER, "--format", "pdf", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "3 written" in result.output
    assert opened == ["certs/union.p12"]


# --------------------------------------------------------------------------- every signature


def _sign_again(pdf: Path, p12: Path, field: str) -> None:
    """Another signature on the file as it is, appended the way any PDF tool would."""
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load_pkcs12(p12, passphrase=PASSWORD.encode())
    writer = IncrementalPdfFileWriter(BytesIO(pdf.read_bytes()))
    signed = signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field), signer=signer)
    pdf.write_bytes(signed.getvalue())


def _change_the_text(pdf: Path, words: str) -> None:
    """New words on the first page, as an incremental update after the union's signature."""
    from io import BytesIO

    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf.read_bytes()))
    font = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Font"),
            generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
            generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica"),
        }
    )
    content = f"BT /Endret 14 Tf 72 60 Td ({words}) Tj ET".encode()
    stream = writer.add_object(generic.StreamObject(stream_data=content))
    resources = generic.DictionaryObject(
        {
            generic.NameObject("/Font"): generic.DictionaryObject(
                {generic.NameObject("/Endret"): writer.add_object(font)}
            )
        }
    )
    writer.add_stream_to_page(0, stream, resources=resources)
    out = BytesIO()
    writer.write(out)
    pdf.write_bytes(out.getvalue())


@pytest.fixture
def second_key(ca, tmp_path) -> Path:
    """A key of someone else whom the same authority vouches for (so --trust covers it)."""
    return write_p12(tmp_path / "other.p12", issue(ca[0], "Ola Nordmann"), ca[0])


def test_a_changed_letter_signed_again_by_another_trusted_key_is_a_problem(built, ca, second_key):
    _change_the_text(built, "Vi trekker uttalelsen")
    _sign_again(built, second_key, "Ola")
    assert "Vi trekker uttalelsen" in pdf_text(built)  # what a reader now sees
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 1, result.output
    assert f"{built}: modified after " in result.output
    assert (
        "Karin Dahlberg Pettersen signed it: the file was changed after that signature (its "
        "content was changed, not only signatures added)" in result.output
    )
    assert "2 signatures" in result.output

    from lettersmith.render import verify as verifying

    verdict = verifying.verify(built, verifying.trust_context([ca[1]]))
    assert not verdict.ok and not verdict.intact
    union, other = verdict.signatures
    assert "Karin Dahlberg Pettersen" in union.signer and not union.covers_file
    assert union.intact and union.trusted  # its own bytes still match: the file grew after it
    assert "Ola Nordmann" in other.signer and other.covers_file and other.trusted


def test_a_second_signature_without_a_change_keeps_the_letter_intact(built, ca, second_key):
    _sign_again(built, second_key, "Ola")
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 0, result.output
    assert "signed by" in result.output and "Karin Dahlberg Pettersen" in result.output
    assert "; intact; trusted; PDF/A-3b; 2 signatures" in result.output

    from lettersmith.render import verify as verifying

    verdict = verifying.verify(built, verifying.trust_context([ca[1]]))
    assert verdict.ok
    assert [s.covers_file for s in verdict.signatures] == [True, True]
    assert ["Karin" in s.signer for s in verdict.signatures] == [True, False]
    assert all(s.intact and s.trusted and s.signed_at for s in verdict.signatures)


def test_a_second_signature_by_an_untrusted_key_is_named(built, ca, tmp_path):
    stranger = make_ca("Someone Else")
    p12 = write_p12(tmp_path / "stranger.p12", issue(stranger, "Mallory"), stranger)
    _sign_again(built, p12, "Mallory")
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 1, result.output
    assert "Common Name: Mallory does not chain to a trusted root" in result.output


def test_a_club_certificate_hard_linked_to_the_unions_is_refused(signed, ca):
    import os

    certs = signed / "clubs" / "bergen" / "certs"
    certs.mkdir()
    os.link(signed / "certs" / "union.p12", certs / "bergen.p12")
    with (signed / "clubs" / "bergen.yaml").open("a", encoding="utf-8") as file:
        file.write("\nsigning:\n  certificate: certs/bergen.p12\n")
    result = run(signed, "build", LETTER, "--club", "bergen", "--format", "pdf")
    assert result.exit_code == 1, result.output
    assert "clubs/bergen/certs/bergen.p12: refused" in result.output
    assert "hard link" in result.output
    assert not pdf_of(signed, "bergen").exists()


# --------------------------------------------------------------------------- variants (class 7)


def _verify(pdf: Path, ca_pem: Path):
    (verdict,) = Project.open(pdf.parents[2]).verify([pdf], [ca_pem])
    return verdict


def test_a_page_changed_after_signing_with_no_second_signature_exits_1(built, ca):
    _change_the_text(built, "Vi trekker uttalelsen")
    assert "Vi trekker uttalelsen" in pdf_text(built)
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 1, result.output
    assert "its content was changed, not only signatures added" in result.output
    verdict = _verify(built, ca[1])
    assert not verdict.ok and not verdict.intact
    assert [s.covers_file for s in verdict.signatures] == [False]


def _annotate(pdf: Path, words: str) -> None:
    """A free-text note with new words laid over the first page, after the signature."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(BytesIO(pdf.read_bytes()))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    note = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
            generic.NameObject("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (60, 400, 500, 460)]
            ),
            generic.NameObject("/Contents"): generic.TextStringObject(words),
            generic.NameObject("/DA"): generic.TextStringObject("/Helv 14 Tf 0 g"),
        }
    )
    ref = writer.add_object(note)
    annots = page.get("/Annots")
    if annots is None:
        page[generic.NameObject("/Annots")] = generic.ArrayObject([ref])
    else:
        annots.get_object().append(ref)
        if isinstance(annots, generic.IndirectObject):
            writer.mark_update(annots)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    pdf.write_bytes(out.getvalue())


def test_a_note_laid_over_the_page_after_signing_exits_1(built, ca):
    _annotate(built, "Vi trekker uttalelsen")
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 1, result.output
    assert "modified after" in result.output
    assert not _verify(built, ca[1]).ok


def _sign_visibly(pdf: Path, p12: Path, words: str) -> None:
    """A second signature with a visible box whose appearance shows ``words``."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    signer = signers.SimpleSigner.load_pkcs12(p12, passphrase=PASSWORD.encode())
    writer = IncrementalPdfFileWriter(BytesIO(pdf.read_bytes()))
    spec = fields.SigFieldSpec("Synlig", on_page=0, box=(60, 400, 540, 470))
    style = TextStampStyle(stamp_text=words, border_width=0)
    pdf_signer = signers.PdfSigner(
        signers.PdfSignatureMetadata(field_name="Synlig"),
        signer=signer,
        stamp_style=style,
        new_field_spec=spec,
    )
    out = pdf_signer.sign_pdf(writer)
    pdf.write_bytes(out.getvalue())


def test_a_visible_second_signature_that_lays_words_on_the_page_exits_1(built, ca, second_key):
    """Its appearance is drawn by the reader: a trusted second key's box saying "Vi trekker
    uttalelsen" over the statement is not what the union signed."""
    _sign_visibly(built, second_key, "Vi trekker uttalelsen")
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 1, result.output
    assert "signature 2 (" in result.output and "Ola Nordmann" in result.output
    assert "shows a box of its own on page 1" in result.output
    verdict = _verify(built, ca[1])
    assert not verdict.ok and not verdict.intact
    assert all(s.trusted for s in verdict.signatures)


def test_two_invisible_trusted_signatures_and_no_change_pass(built, ca, second_key):
    _sign_again(built, second_key, "Ola")
    verdict = _verify(built, ca[1])
    assert verdict.ok and verdict.intact and len(verdict.signatures) == 2


def test_a_second_invisible_signature_by_a_key_no_one_trusts_exits_1(built, ca, tmp_path):
    from certs import make_ca

    stranger = make_ca("Someone Else")
    p12 = write_p12(tmp_path / "mallory.p12", issue(stranger, "Mallory"), stranger)
    _sign_again(built, p12, "Mallory")
    verdict = _verify(built, ca[1])
    assert not verdict.ok and not verdict.trusted
    assert verdict.signatures[0].trusted and not verdict.signatures[1].trusted


def test_an_unsigned_file_is_a_clear_answer(tmp_path, ca):
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    Project.open(root).build(formats="pdf", jobs=1)
    pdf = root / "out" / "brev" / "a.pdf"
    result = run(root, "verify", str(pdf), "--trust", str(ca[1]))
    assert result.exit_code == 1
    assert f"{pdf}: is not signed" in result.output
    (verdict,) = Project.open(root).verify([pdf])
    assert verdict.problems == [f"{pdf}: is not signed"] and not verdict.signatures


def _time_stamp_document(pdf: Path, ca) -> None:
    """A document time stamp after the signatures, as archives add for long-term validation."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    tsa = issue(ca[0], "Test TSA", time_stamping=True)
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=_asn1_key(tsa),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf.read_bytes()))
    out = PdfTimeStamper(stamper).timestamp_pdf(writer, "sha256")
    pdf.write_bytes(out.getvalue())


def test_a_document_time_stamp_after_the_signature_keeps_it_intact(built, ca):
    _time_stamp_document(built, ca)
    verdict = _verify(built, ca[1])
    assert verdict.intact, verdict.problems
    assert verdict.signatures[0].covers_file
    result = run(built.parent, "verify", str(built), "--trust", str(ca[1]))
    assert result.exit_code == 0, result.output
    assert "2 signatures" in result.output


def test_a_document_time_stamp_after_a_change_does_not_hide_it(built, ca):
    _change_the_text(built, "Vi trekker uttalelsen")
    _time_stamp_document(built, ca)
    verdict = _verify(built, ca[1])
    assert not verdict.ok and not verdict.signatures[0].covers_file
    assert any("its content was changed" in problem for problem in verdict.problems)


def test_a_file_with_only_a_time_stamp_is_not_signed(tmp_path, ca):
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    Project.open(root).build(formats="pdf", jobs=1)
    pdf = root / "out" / "brev" / "a.pdf"
    _time_stamp_document(pdf, ca)
    (verdict,) = Project.open(root).verify([pdf], [ca[1]])
    assert verdict.problems == [f"{pdf}: is not signed (it holds only a time stamp)"]
