"""PAdES signatures: the built PDF, signed with the organisation's PKCS#12 key (pyHanko).

Signing is a step after WeasyPrint has written the PDF: an incremental update appended to
the file, so the PDF/A identification, output intent and tags written before it are kept.
The key is read once per process (the parent loads it before the build's workers fork) and
its password comes only from ``LETTERSMITH_SIGN_PASSWORD``; it is never printed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from asn1crypto import tsp  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper

from lettersmith.confine import MAX_ASSET, RefusedFileError, read_limited
from lettersmith.errors import LettersmithError, relative
from lettersmith.model import SigningSettings
from lettersmith.translate import N_, _

PASSWORD_VARIABLE = "LETTERSMITH_SIGN_PASSWORD"
FIELD_NAME = "Signature"
SIGNATURE_MARGIN = 4096
TIMESTAMP_TIMEOUT = 20  # seconds for a time-stamp server's answer


class SigningError(LettersmithError):
    """A certificate that cannot be used, or a signature that cannot be made."""


@dataclass(frozen=True)
class LoadedKey:
    signer: signers.SimpleSigner
    subject: str
    not_after: dt.datetime
    reserve: int  # bytes for the signature without a time stamp: the certificates and a margin


_loaded: dict[tuple[Path, bytes], LoadedKey] = {}


def load_key(settings: SigningSettings, root: Path) -> LoadedKey:
    """The signer for ``settings``, read once per process; a SigningError names the file."""
    shown = relative(settings.certificate, root)
    try:  # a club's certificate hard-linked to the union's would sign with the union's key
        data = read_limited(
            settings.certificate, MAX_ASSET, shown, N_("signing certificate"), root=root
        )
    except RefusedFileError as error:
        raise SigningError(str(error)) from None
    except OSError as error:
        raise SigningError(
            _(
                "{shown}: the signing certificate cannot be read: {strerror}; check "
                "signing.certificate in lettersmith.yaml"
            ).format(shown=shown, strerror=error.strerror)
        ) from None
    password = os.environ.get(PASSWORD_VARIABLE)
    key = (settings.certificate, data + (password or "").encode())
    if key not in _loaded:
        _loaded[key] = _open(data, password, shown)
    loaded = _loaded[key]
    now = dt.datetime.now(dt.UTC)
    if loaded.not_after < now:
        raise SigningError(
            _(
                "{shown}: the certificate of {subject} expired on {not_after:%Y-%m-%d}; "
                "get a new one from your certificate provider"
            ).format(shown=shown, subject=loaded.subject, not_after=loaded.not_after)
        )
    return loaded


def _open(data: bytes, password: str | None, shown: str) -> LoadedKey:
    secret = password.encode() if password else None
    try:
        private_key, certificate, _chain = pkcs12.load_key_and_certificates(data, secret)
    except ValueError:
        if password is None:
            raise SigningError(
                _(
                    "{shown}: the signing certificate needs its password; set the "
                    "environment variable {variable} (it is never written in a file)"
                ).format(shown=shown, variable=PASSWORD_VARIABLE)
            ) from None
        raise SigningError(
            _(
                "{shown}: cannot be opened with the password in {variable}: the "
                "password is wrong, or the file is not a PKCS#12 (.p12/.pfx) certificate"
            ).format(shown=shown, variable=PASSWORD_VARIABLE)
        ) from None
    if private_key is None or certificate is None:
        raise SigningError(
            _(
                "{shown}: holds no private key and certificate; export the certificate "
                "with its private key as a .p12 file"
            ).format(shown=shown)
        )
    signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=secret)
    if certificate.not_valid_before_utc > dt.datetime.now(dt.UTC):
        raise SigningError(
            _(
                "{shown}: the certificate is valid only from "
                "{not_valid_before_utc:%Y-%m-%d}; sign after that day"
            ).format(shown=shown, not_valid_before_utc=certificate.not_valid_before_utc)
        )
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    subject = str(names[0].value) if names else certificate.subject.rfc4514_string()
    # Reserving the room for the signature saves pyHanko a trial signature per letter (about
    # 40 % of the time); the certificates go in whole, and the signature, its attributes and
    # the CMS structure around them need well under the margin.
    chain = [signer.signing_cert, *signer.cert_registry]
    reserve = 2 * sum(len(cert.dump()) for cert in chain) + SIGNATURE_MARGIN  # hex digits
    return LoadedKey(signer, subject, certificate.not_valid_after_utc, reserve)


def sign_pdf(pdf: bytes, settings: SigningSettings, root: Path) -> bytes:
    """``pdf`` with a PAdES signature appended: B-B, or B-T with a time stamp."""
    loaded = load_key(settings, root)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        reason=settings.reason,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    stamper = _stamper(settings.timestamp_url) if settings.timestamp_url else None
    writer = _KeepMetadataWriter(BytesIO(pdf))
    try:
        signed: BytesIO = signers.sign_pdf(  # output=None: a new BytesIO
            writer,
            metadata,
            signer=loaded.signer,
            timestamper=stamper,
            # A time-stamp token's size depends on the server: pyHanko asks it for a sample.
            bytes_reserved=None if stamper else loaded.reserve,
        )
    except TimeStampError as error:
        raise SigningError(str(error)) from None
    except (PdfError, ValueError) as error:  # pyHanko's SigningError is a PdfError too
        shown = relative(settings.certificate, root)
        raise SigningError(
            _("{shown}: the PDF could not be signed with this certificate: {error}").format(
                shown=shown, error=error
            )
        ) from None
    return signed.getvalue()


@cache
def _stamper(url: str) -> UrlTimeStamper:
    """One client per server and process: pyHanko asks it once for a sample to size the
    signature, then once per letter."""
    return UrlTimeStamper(url)


class _KeepMetadataWriter(IncrementalPdfFileWriter):
    """Leaves the document information and XMP metadata as WeasyPrint wrote them.

    pyHanko would add itself to the Info dictionary's producer and rewrite the XMP packet
    with a different one, and PDF/A requires the two to agree; the signature's own time is in
    the signature dictionary, so nothing is lost.
    """

    def _update_meta(self) -> None:
        pass


class TimeStampError(Exception):
    pass


class UrlTimeStamper(TimeStamper):
    """An RFC 3161 client over the standard library's HTTP (pyHanko's own needs aiohttp)."""

    def __init__(self, url: str):
        super().__init__()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
        self.url = url

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        body = await asyncio.to_thread(self._post, req.dump())
        return tsp.TimeStampResp.load(body)

    def _post(self, data: bytes) -> bytes:
        request = urllib.request.Request(
            self.url, data=data, headers={"Content-Type": "application/timestamp-query"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMESTAMP_TIMEOUT) as response:
                kind = response.headers.get("Content-Type", "")
                body: bytes = response.read()
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise TimeStampError(
                _(
                    "{url}: the time-stamp server did not answer ({reason}); check "
                    "signing.timestamp_url and the network, or remove it to sign without a "
                    "time stamp"
                ).format(url=self.url, reason=reason)
            ) from None
        if kind.split(";")[0].strip() != "application/timestamp-reply":
            raise TimeStampError(
                _(
                    "{url}: did not answer as a time-stamp server (it sent {kind}); check "
                    "signing.timestamp_url"
                ).format(url=self.url, kind=kind or _("no type"))
            )
        return body
