"""The parts of a DOCX letter around its body: header placeholders, images, core properties,
and stable bytes."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from copy import deepcopy
from pathlib import Path
from typing import TYPE_CHECKING

from docx.image.exceptions import UnrecognizedImageError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Length, Mm
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from lxml import etree

from lettersmith.confine import (
    MAX_ASSET,
    RefusedFileError,
    check_size,
    club_folders,
    confined,
    names,
    read_limited,
)
from lettersmith.errors import RenderError, relative
from lettersmith.model import ComposedLetter
from lettersmith.render import docx_reference as ref
from lettersmith.render.html import header_name
from lettersmith.render.style import house_style
from lettersmith.translate import N_, _

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject

    from lettersmith.model import Language

EMBEDDABLE = {".png", ".jpg", ".jpeg", ".gif", ".bmp"}  # what Word and python-docx both read
LANGUAGE_TAGS = {"nb": "nb-NO", "nn": "nn-NO", "en": "en-GB"}
ZIP_LEVEL = 9  # the smallest file; the batch path compresses its stamped part the same way
_PLACEHOLDER = re.compile(r"\{(" + "|".join(ref.PLACEHOLDERS) + r")\}")
_PAGE_FIELDS = re.compile(r"\{(page|pages)\}")


def image_file(path: Path, letter: ComposedLetter, *, what: str) -> Path | None:
    """The file to embed for ``path``: itself, or for an SVG a PNG with the same stem beside
    it; None when there is none (python-docx cannot embed SVG)."""
    if path.suffix.lower() == ".svg":
        path = path.with_suffix(".png")
        if not path.is_file():
            return None
    allowed = club_folders(letter.root, letter.club_id)
    if confined(path, allowed, letter.root) is None:
        raise RenderError(
            _(
                "{path}: the {what} must be a file inside {names}; copy it into assets/ "
                "and name it from there"
            ).format(path=path, what=_(what), names=names(allowed, letter.root))
        )
    if not path.is_file():
        raise RenderError(
            _("{path}: the {what} is missing").format(
                path=relative(path, letter.root), what=_(what)
            )
        )
    try:
        check_size(path, MAX_ASSET, relative(path, letter.root), what, root=letter.root)
    except RefusedFileError as error:
        raise RenderError(str(error)) from None
    if path.suffix.lower() not in EMBEDDABLE:
        raise RenderError(
            _("{path}: the {what} cannot be put in a DOCX; use a PNG or JPEG file").format(
                path=relative(path, letter.root), what=_(what)
            )
        )
    return path


def add_picture(
    run: Run, path: Path, letter: ComposedLetter, *, what: str, width: Length, height: Length
) -> None:
    """Put the image in ``run``, scaled to fit within ``width`` x ``height``."""
    try:  # the bytes of the file checked, not whatever the name leads to by now
        data = read_limited(path, MAX_ASSET, relative(path, letter.root), what, root=letter.root)
        run.add_picture(io.BytesIO(data), height=height)
    except RefusedFileError as error:
        raise RenderError(str(error)) from None
    except (UnrecognizedImageError, OSError, ValueError) as err:
        raise RenderError(
            _("{path}: cannot read the {what} ({err}); save it again as PNG or JPEG").format(
                path=relative(path, letter.root), what=_(what), err=err
            )
        ) from err
    inline = run._r.xpath(".//wp:inline")[-1]
    extent = inline.find(qn("wp:extent"))
    cx, cy = int(extent.get("cx")), int(extent.get("cy"))
    if cx > width:  # too wide at full height: shrink both to the width
        cx, cy = int(width), int(cy * width / cx)
        for node in (extent, *inline.xpath(".//a:ext")):
            node.set("cx", str(cx))
            node.set("cy", str(cy))


def fill_headers(doc: DocumentObject, letter: ComposedLetter) -> None:
    """Replace the placeholders in every page header and footer with this letter's values."""
    for section in doc.sections:
        parts = (
            section.first_page_header, section.header, section.even_page_header,
            section.first_page_footer, section.footer, section.even_page_footer,
        )  # fmt: skip
        for part in parts:
            if part.is_linked_to_previous:
                continue
            uses_organisation = "{organisation}" in "".join(part._element.itertext())
            # Page 1's letterhead names the organisation in full; the later pages' one-line
            # header by its short name where the whole is too long (as the PDF's).
            first = part in (section.first_page_header, section.first_page_footer)
            name = letter.sender.name if first else header_name(letter.sender)
            for p in part._element.iter(qn("w:p")):
                _fill_paragraph(DocxParagraph(p, part), letter, uses_organisation, name)


def _fill_paragraph(
    paragraph: DocxParagraph, letter: ComposedLetter, uses_organisation: bool, name: str
) -> None:
    runs = paragraph._p.xpath("./w:r")
    text = "".join(Run(run, paragraph).text for run in runs)  # keeps tabs and breaks
    if not _PLACEHOLDER.search(text):
        return
    # Word splits text into runs at will (spell checking, edits); the first run's formatting
    # stands for the whole paragraph.
    run_properties = runs[0].find(qn("w:rPr"))
    for run in runs:
        paragraph._p.remove(run)

    def new_run(text: str = "") -> Run:
        run = paragraph.add_run(text)
        if run_properties is not None:
            run._r.insert(0, deepcopy(run_properties))
        return run

    for index, piece in enumerate(_PLACEHOLDER.split(text)):
        if index % 2 == 0:
            if piece:
                new_run(piece)
        elif piece == "organisation":
            new_run(name)
        elif piece == "date":
            new_run(letter.date_line)  # place and date, as the PDF's page header
        elif piece == "sender_details":
            sender = letter.sender  # the tagline first, under the name, as in the PDF
            details = [sender.tagline, *sender.address, sender.email, sender.website]
            for number, line in enumerate(line for line in details if line):
                run = new_run(line)
                if number:
                    run._r.insert(len(run._r) - 1, OxmlElement("w:br"))
        elif piece == "page_number":
            _add_page_phrase(paragraph, letter.phrases.page, new_run)
        elif piece == "page_number_if_several":
            # Plain PAGE and NUMPAGES: LibreOffice cannot evaluate a field inside an IF field
            # (it printed "212" at page 1's foot), so a one-page letter says "Side 1 av 1" here.
            _add_page_phrase(paragraph, letter.phrases.page, new_run)
        elif piece == "logo":
            logo = letter.sender.logo and image_file(letter.sender.logo, letter, what=N_("logo"))
            if logo:
                style = house_style(letter)
                size = {"width": Mm(style.logo_width), "height": Mm(style.logo_height)}
                add_picture(new_run(), logo, letter, what=N_("logo"), **size)
            elif not uses_organisation:
                new_run(letter.sender.name)


def _add_page_phrase(paragraph: DocxParagraph, phrase: str, new_run: Callable[[str], Run]) -> None:
    """ "Side {page} av {pages}" with live PAGE and NUMPAGES fields for the numbers."""
    for index, piece in enumerate(_PAGE_FIELDS.split(phrase)):
        if index % 2 == 0:
            if piece:
                new_run(piece)
            continue
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), " PAGE " if piece == "page" else " NUMPAGES ")
        result = new_run("1")  # shown until the application updates the field
        field.append(result._r)
        paragraph._p.append(field)


def set_properties(doc: DocumentObject, letter: ComposedLetter) -> None:
    """Core and application properties, and the language that spell checkers, hyphenation and
    screen readers use.

    The author is the organisation: the letter is its letter (a ministry journals it under the
    sender), whoever signs it this year. Created and modified are the letter's date, at noon
    UTC, so that the same letter gives the same bytes on any day it is built.
    """
    tag = LANGUAGE_TAGS[letter.language]
    created = dt.datetime.combine(letter.date, dt.time(12, 0), tzinfo=dt.UTC)
    props = doc.core_properties
    props.title = letter.title
    props.subject = letter.subject
    props.author = props.last_modified_by = letter.sender.name
    props.language = tag
    props.created = props.modified = created
    props.revision = 1
    props.comments = props.keywords = props.category = ""
    core = props._element
    for node in list(core):  # python-docx writes the emptied ones as empty elements
        if not (node.text or "").strip() and not len(node):
            core.remove(node)
    ref.application_properties(doc, company=letter.sender.name)

    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        doc.styles.element.insert(0, defaults)
    run_defaults = _child(_child(defaults, "w:rPrDefault"), "w:rPr")
    _child(run_defaults, "w:lang").set(qn("w:val"), tag)


def tag_language(paragraphs: Iterable[DocxParagraph], language: Language) -> None:
    """Mark every run of ``paragraphs`` as written in ``language`` (the document's default is
    the letter's): Word checks its spelling and hyphenates it in that language, and a screen
    reader reads it so."""
    tag = LANGUAGE_TAGS[language]
    for paragraph in paragraphs:
        for run in paragraph._p.iter(qn("w:r")):
            rpr = run.get_or_add_rPr()
            for old in rpr.findall(qn("w:lang")):
                rpr.remove(old)
            lang = OxmlElement("w:lang")
            lang.set(qn("w:val"), tag)
            rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")


def number_drawings(doc: DocumentObject) -> None:
    """Number every picture (``wp:docPr``) in the body and the headers and footers 1, 2, 3...:
    python-docx numbers each part on its own, so the logo in the header and the signature
    in the body were both 1, and Word requires one number per drawing in the document."""
    parts = [doc.part] + sorted(
        (
            rel.target_part
            for rel in doc.part.rels.values()
            if not rel.is_external and rel.reltype in (RT.HEADER, RT.FOOTER)
        ),
        key=lambda part: str(part.partname),
    )
    number = 0
    for part in parts:
        for drawing in part.element.iter(qn("wp:docPr")):
            number += 1
            drawing.set("id", str(number))


def _child(parent: etree._Element, tag: str) -> etree._Element:
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        parent.append(found)
    return found


def stable_bytes(doc: DocumentObject, date: dt.date) -> bytes:
    """The saved document with every zip entry dated ``date``: same letter, same bytes."""
    saved = io.BytesIO()
    doc.save(saved)
    stamp = (max(date.year, 1980), date.month, date.day, 12, 0, 0)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(saved) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename), compresslevel=ZIP_LEVEL)
    return out.getvalue()
