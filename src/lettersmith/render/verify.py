"""``lettersmith verify``: who signed a PDF, when, and whether it is intact, trusted and PDF/A.

What a ministry's archive would check on receipt: the signature covers the whole file (nothing
was changed or added after signing), the certificate chains to a trusted root (given with
``--trust`` or the system's), and the file still says it is PDF/A.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from lettersmith.errors import LettersmithError

# pyHanko logs a failed path search with a traceback; the report below says it in one line.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

# A signing certificate says it may sign documents: either key usage will do, as in Acrobat.
KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


@dataclass
class Verdict:
    """What ``verify`` found in one file."""

    path: Path
    signer: str | None = None
    signed_at: dt.datetime | None = None
    time_stamped: bool = False
    intact: bool = False
    trusted: bool = False
    pdfa: str | None = None  # "PDF/A-3B", or None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def trust_context(trust: list[Path]) -> ValidationContext:
    """Trust these CA files (PEM or DER), or the system's roots when none is given."""
    roots = []
    for path in trust:
        try:
            roots.extend(load_certs_from_pemder([str(path)]))
        except (OSError, ValueError) as error:
            raise LettersmithError(
                f"{path}: cannot be read as a CA certificate (PEM or DER): {error}"
            ) from None
    if not roots and trust:
        raise LettersmithError(f"{trust[0]}: holds no certificate")
    # No fetching: verifying a letter reaches no network. Revocation is checked when the
    # signature carries the answers, and otherwise left (soft-fail).
    if roots:
        return ValidationContext(trust_roots=roots, allow_fetching=False)
    return ValidationContext(allow_fetching=False)


def verify(path: Path, context: ValidationContext) -> Verdict:
    verdict = Verdict(path)
    try:
        with path.open("rb") as stream:
            reader = PdfFileReader(stream, strict=False)
            _check_signatures(reader, context, verdict)
            verdict.pdfa = _pdfa(reader)
    except OSError as error:
        verdict.problems.append(f"{path}: cannot be read: {error.strerror}")
        return verdict
    except Exception as error:  # noqa: BLE001 -- a damaged file breaks a parser in many ways
        verdict.problems.append(
            f"{path}: modified or damaged: it cannot be read as a PDF ({error or type(error)})"
        )
        return verdict
    return verdict


def _check_signatures(reader: PdfFileReader, context: ValidationContext, verdict: Verdict) -> None:
    path = verdict.path
    signatures = reader.embedded_signatures
    if not signatures:
        verdict.problems.append(f"{path}: is not signed")
        return
    signature = signatures[-1]
    try:
        status = validate_pdf_signature(signature, context, key_usage_settings=KEY_USAGE)
    except (SignatureValidationError, ValueError) as error:
        verdict.problems.append(f"{path}: modified: the signature cannot be checked ({error})")
        return
    verdict.signer = status.signing_cert.subject.human_friendly
    stamp = status.timestamp_validity
    verdict.time_stamped = stamp is not None
    verdict.signed_at = stamp.timestamp if stamp is not None else status.signer_reported_dt
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    verdict.intact = bool(status.intact and status.valid and whole)
    verdict.trusted = bool(status.trusted)
    if not (status.intact and status.valid):
        verdict.problems.append(
            f"{path}: modified after signing: the signed content does not match the "
            "signature; ask the sender for a new copy"
        )
    elif not whole:
        verdict.problems.append(
            f"{path}: modified after signing: something was added to the file after the "
            "signature; the signed version is the file up to the signature"
        )
    if not status.trusted:
        verdict.problems.append(
            f"{path}: untrusted: the certificate of {verdict.signer} does not chain to a "
            "trusted root; give the issuer's CA certificate with --trust CA.pem"
        )
    elif stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
        verdict.problems.append(f"{path}: the time stamp is not valid or not trusted")


def _pdfa(reader: PdfFileReader) -> str | None:
    """The PDF/A part and level the file declares, if its output intent is there too."""
    root = reader.root
    if "/Metadata" not in root or "/OutputIntents" not in root:
        return None
    xmp = root["/Metadata"].data.decode("utf-8", "replace")
    part = re.search(r"pdfaid:part(?:=[\"']|>)\s*(\d)", xmp)
    level = re.search(r"pdfaid:conformance(?:=[\"']|>)\s*([A-Za-z])", xmp)
    if part is None:
        return None
    return f"PDF/A-{part[1]}{level[1].lower() if level else ''}"
