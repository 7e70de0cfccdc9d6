"""``lettersmith verify``: who signed a PDF, when, and whether it is intact, trusted and PDF/A.

What a ministry's archive would check on receipt, for every signature in the file: it covers
the whole file (nothing was changed after signing; only further signatures or validation data
were added), its certificate chains to a trusted root (given with ``--trust`` or the system's),
and the file still says it is PDF/A.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import (
    DocumentTimestampStatus,
    PdfSignatureStatus,
    SignatureCoverageLevel,
)
from pyhanko_certvalidator import ValidationContext

from lettersmith.errors import LettersmithError
from lettersmith.translate import _

# pyHanko logs a failed path search with a traceback; the report below says it in one line.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

# A signing certificate says it may sign documents: either key usage will do, as in Acrobat.
KEY_USAGE = KeyUsageConstraints(
    key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False
)


# What may follow a signature without changing what it signed: document time stamps and
# validation data (LTA), and further signatures (form filling, as PDF readers call it).
PERMITTED_AFTER = (
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
)


@dataclass(frozen=True)
class Signature:
    """One signature in a file, as ``verify`` found it."""

    field: str  # the signature field's name
    signer: str | None
    signed_at: dt.datetime | None
    time_stamped: bool
    intact: bool  # the bytes it signed still match it
    trusted: bool  # its certificate chains to a trusted root
    covers_file: bool  # what follows it in the file only adds signatures or validation data
    coverage: str  # in words: "the whole file", "...then only signatures added", or why not


@dataclass
class Verdict:
    """What ``verify`` found in one file: the first (the organisation's) signature's signer and
    time, whether every signature is intact and covers the file, and whether all are trusted."""

    path: Path
    signer: str | None = None
    signed_at: dt.datetime | None = None
    time_stamped: bool = False
    intact: bool = False
    trusted: bool = False
    pdfa: str | None = None  # "PDF/A-3B", or None
    problems: list[str] = field(default_factory=list)
    signatures: list[Signature] = field(default_factory=list)  # in the order they were made

    @property
    def ok(self) -> bool:
        return not self.problems


def trust_context(trust: list[Path]) -> ValidationContext:
    """Trust these CA files (PEM or DER), or the system's roots when none is given."""
    roots = []
    for path in trust:
        try:
            roots.extend(load_certs_from_pemder([str(path)]))  # type: ignore[no-untyped-call]
        except (OSError, ValueError) as error:
            raise LettersmithError(
                _("{path}: cannot be read as a CA certificate (PEM or DER): {error}").format(
                    path=path, error=error
                )
            ) from None
    if not roots and trust:
        raise LettersmithError(_("{trust}: holds no certificate").format(trust=trust[0]))
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
        verdict.problems.append(
            _("{path}: cannot be read: {strerror}").format(path=path, strerror=error.strerror)
        )
        return verdict
    except Exception as error:  # noqa: BLE001 -- a damaged file breaks a parser in many ways
        verdict.problems.append(
            _("{path}: modified or damaged: it cannot be read as a PDF ({error})").format(
                path=path, error=error or type(error)
            )
        )
        return verdict
    return verdict


def _check_signatures(reader: PdfFileReader, context: ValidationContext, verdict: Verdict) -> None:
    """Every signature, oldest first: each must be intact and trusted, and nothing but further
    signatures may follow it. Checking only the last would pass a letter changed after the
    organisation signed it and then signed by anyone else that ``--trust`` covers."""
    path = verdict.path
    embedded = reader.embedded_signatures
    if not embedded:
        verdict.problems.append(_("{path}: is not signed").format(path=path))
        return
    if all(signature.sig_object_type == "/DocTimeStamp" for signature in embedded):
        verdict.problems.append(
            _("{path}: is not signed (it holds only a time stamp)").format(path=path)
        )
        return
    for number, signature in enumerate(embedded, start=1):
        try:
            status: PdfSignatureStatus | DocumentTimestampStatus
            if signature.sig_object_type == "/DocTimeStamp":  # archives add them (PAdES-LTA)
                status = validate_pdf_timestamp(signature, validation_context=context)
            else:
                status = validate_pdf_signature(signature, context, key_usage_settings=KEY_USAGE)
        except (SignatureValidationError, ValueError) as error:
            which = (
                _("signature {number} of {count}").format(number=number, count=len(embedded))
                if len(embedded) > 1
                else _("signature")
            )
            verdict.problems.append(
                _("{path}: modified: the {which} cannot be checked ({error})").format(
                    path=path, which=which, error=error
                )
            )
            verdict.signatures.append(
                Signature(signature.field_name, None, None, False, False, False, False, str(error))
            )
            continue
        verdict.signatures.append(_signature(path, signature.field_name, status, verdict.problems))
    first = verdict.signatures[0]
    verdict.signer, verdict.signed_at = first.signer, first.signed_at
    verdict.time_stamped = first.time_stamped
    verdict.intact = all(s.intact and s.covers_file for s in verdict.signatures)
    # A later signature may add its own box to a page, and its appearance can show anything
    # (new words over the statement): a signature added, yet not what the first one signed.
    for number, (signature, found) in enumerate(
        zip(embedded, verdict.signatures, strict=True), start=1
    ):
        if number > 1 and (page := _visible_on(reader, signature.sig_field)):
            verdict.intact = False
            verdict.problems.append(
                _(
                    "{path}: modified after {signer} signed it: signature {number} "
                    "({other}) shows a box of its own on page {page}, with words or "
                    "pictures the first signature does not cover; ask the sender for a copy "
                    "without it"
                ).format(
                    path=path,
                    signer=first.signer or _("the first signer"),
                    number=number,
                    other=found.signer or found.field,
                    page=page,
                )
            )
    verdict.trusted = all(s.trusted for s in verdict.signatures)
    if first.signer is None:
        verdict.signer = next((s.signer for s in verdict.signatures if s.signer), None)


def _visible_on(reader: PdfFileReader, field: generic.DictionaryObject) -> int | None:
    """The page (from 1) on which the signature field shows a box with an area, if any."""
    kids = field.get("/Kids")
    for widget in [kid.get_object() for kid in kids] if kids else [field]:
        rect = [float(value) for value in widget.get("/Rect", ())]
        hidden = int(widget.get("/F", 0)) & (2 | 32)  # Hidden, NoView
        if len(rect) != 4 or hidden or abs(rect[2] - rect[0]) * abs(rect[3] - rect[1]) < 1:
            continue
        page = widget.raw_get("/P") if "/P" in widget else None
        pages = [ref.idnum for ref in _page_refs(reader.root.raw_get("/Pages"))]
        if isinstance(page, generic.IndirectObject) and page.idnum in pages:
            return pages.index(page.idnum) + 1
        return 1  # a box whose page is not said: shown, say, on the first
    return None


def _page_refs(pages: object) -> list[generic.IndirectObject]:
    """The pages' references in order; each node visited once (a damaged tree may loop)."""
    found: list[generic.IndirectObject] = []
    seen: set[int] = set()
    todo = [pages]
    while todo and len(seen) < 100_000:
        node = todo.pop()
        if not isinstance(node, generic.IndirectObject) or node.idnum in seen:
            continue
        seen.add(node.idnum)
        tree: object = node.get_object()  # type: ignore[no-untyped-call]
        if not isinstance(tree, generic.DictionaryObject):
            continue
        if tree.get("/Type") == "/Page":
            found.append(node)
        kids = tree.get("/Kids")
        if isinstance(kids, generic.ArrayObject):
            todo += [kids.raw_get(i) for i in reversed(range(len(kids)))]
    return found


def _signature(
    path: Path,
    name: str,
    status: PdfSignatureStatus | DocumentTimestampStatus,
    problems: list[str],
) -> Signature:
    """One signature's (or document time stamp's) findings; what is wrong goes to
    ``problems``."""
    signer = status.signing_cert.subject.human_friendly
    signed_at: dt.datetime | None
    if isinstance(status, DocumentTimestampStatus):
        stamp, signed_at = None, status.timestamp
    else:
        stamp = status.timestamp_validity
        signed_at = stamp.timestamp if stamp is not None else status.signer_reported_dt
    intact = bool(status.intact and status.valid)
    level = status.modification_level
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        covers, coverage = True, _("the whole file")
    elif (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level in PERMITTED_AFTER
        and status.docmdp_ok is not False
    ):
        covers, coverage = True, _("the whole file, then only signatures or validation data added")
    else:
        covers, coverage = False, _what_followed(status)
    if not intact:
        problems.append(
            _(
                "{path}: modified after signing: the content {signer} signed does not "
                "match the signature; ask the sender for a new copy"
            ).format(path=path, signer=signer)
        )
    elif not covers and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        problems.append(
            _(
                "{path}: modified after {signer} signed it: the file was changed after "
                "that signature ({coverage}); that signature covers only the file as it "
                "was before. Ask the sender for a new copy"
            ).format(path=path, signer=signer, coverage=coverage)
        )
    elif not covers:
        problems.append(
            _(
                "{path}: modified after signing: something was added to the file after "
                "the signature of {signer}; the signed version is the file up to that "
                "signature"
            ).format(path=path, signer=signer)
        )
    if not status.trusted:
        problems.append(
            _(
                "{path}: untrusted: the certificate of {signer} does not chain to a "
                "trusted root; give the issuer's CA certificate with --trust CA.pem"
            ).format(path=path, signer=signer)
        )
    elif stamp is not None and not (stamp.intact and stamp.valid and stamp.trusted):
        problems.append(
            _("{path}: the time stamp of {signer}'s signature is not valid or trusted").format(
                path=path, signer=signer
            )
        )
    return Signature(
        field=name,
        signer=signer,
        signed_at=signed_at,
        time_stamped=stamp is not None,
        intact=intact,
        trusted=bool(status.trusted),
        covers_file=covers,
        coverage=coverage,
    )


def _what_followed(status: PdfSignatureStatus | DocumentTimestampStatus) -> str:
    """What pyHanko's comparison of the signed version with the file found, in a few words
    (its own account names PDF objects by number: of no use to a reader)."""
    if status.coverage == SignatureCoverageLevel.ENTIRE_REVISION:
        return _("its content was changed, not only signatures added")
    return _("it signed only part of the file")


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
