"""The DOCX letter: the composed letter written into a reference document with python-docx.

The reference is the first ``letter.docx`` in the letter's template folders (a secretary's own,
edited in Word or LibreOffice), else the built-in one (see ``docx_reference``). Its body is
cleared and the letter written into it; its styles, page setup and headers stay, so fonts and
letterhead change without code. The content and its order follow the PDF: letterhead, address
field, date line, introduction, title, body, closing, signature, full address list when the
field cannot hold it, about paragraph.
"""

from __future__ import annotations

import functools
import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, cast

from docx import Document
from docx.enum.text import WD_LINE_SPACING
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt
from lxml import etree

from lettersmith.confine import MAX_REFERENCE_DOCX, RefusedFileError, confined, read_limited
from lettersmith.errors import RenderError, relative
from lettersmith.model import ComposedLetter
from lettersmith.render import docx_reference as ref
from lettersmith.render.docx_blocks import add_paragraph, has_style, styles_used, write_blocks
from lettersmith.render.docx_clean import check_package, clean
from lettersmith.render.docx_fonts import embed_fonts
from lettersmith.render.docx_package import (
    LANGUAGE_TAGS,
    add_picture,
    fill_headers,
    image_file,
    number_drawings,
    set_properties,
    stable_bytes,
    tag_language,
)
from lettersmith.render.docx_settings import set_language
from lettersmith.render.html import address_field_fits
from lettersmith.render.style import HouseStyle, house_style
from lettersmith.translate import N_, _

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.styles.style import ParagraphStyle
    from docx.text.paragraph import Paragraph

DEFAULT_FONT_SIZE = Pt(11)


def render_docx(letter: ComposedLetter) -> bytes:
    """The letter as the bytes of a .docx file; the same letter always gives the same bytes."""
    return docx_and_glyphs(letter)[0]


def docx_and_glyphs(letter: ComposedLetter) -> tuple[bytes, frozenset[str] | None]:
    """The letter's .docx, and the characters its embedded fonts hold (None: a secretary's own
    reference, whose fonts are not embedded): the batch path stamps only addresses in them."""
    style = house_style(letter)
    doc, source = _open_reference(letter, style)
    # The PDF's rule, so that both formats show the same addressees in the field.
    address_fits = address_field_fits(letter.addressees)
    _check_styles(doc, source, letter, address_fits)
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)

    fill_headers(doc, letter)
    _write_address_field(doc, letter, address_fits, style)
    _write_date_line(doc, letter, style)
    add_paragraph(doc, ref.INTRO, letter.intro)
    title = add_paragraph(doc, ref.TITLE, letter.title)
    if letter.salutation:
        add_paragraph(doc, ref.SALUTATION, letter.salutation)
    body = write_blocks(doc, letter.body)
    if letter.statement_language:
        tag_language([title, *body], letter.statement_language)
    appended = write_blocks(doc, letter.appended)
    if appended:  # a club's own paragraphs, set apart from the adopted text
        appended[0].paragraph_format.space_before = Mm(style.appended_before)
    _write_signature(doc, letter, style)
    if not address_fits:
        _write_address_list(doc, letter)
    if letter.about:
        add_paragraph(doc, ref.ABOUT, letter.about)
    set_properties(doc, letter)
    set_language(doc, LANGUAGE_TAGS[letter.language])
    number_drawings(doc)
    glyphs = None
    if source is None:  # a secretary's own reference keeps its own fonts
        glyphs = embed_fonts(doc, style, letter.root)
    return stable_bytes(doc, letter.date), glyphs


# --------------------------------------------------------------------------- reference


def reference_path(letter: ComposedLetter) -> Path | None:
    """The secretary's reference document for this letter, or None for the built-in one."""
    for folder in letter.template_dirs:
        candidate = folder / ref.REFERENCE_NAME
        if candidate.is_file():
            return candidate
    return None


def _read_reference(source: Path, letter: ComposedLetter) -> bytes:
    """The reference's bytes: really in its templates/ folder (no link out), and small."""
    shown = _shown(source, letter)
    if confined(source, (source.parent,), letter.root) is None:
        raise RenderError(
            _(
                "{shown}: refused: it is a link to a file outside {folder}/; put the "
                "document itself there"
            ).format(shown=shown, folder=_shown(source.parent, letter))
        )
    try:
        data = read_limited(
            source.resolve(), MAX_REFERENCE_DOCX, shown, N_("Word document"), root=letter.root
        )
    except RefusedFileError as error:
        raise RenderError(str(error)) from None
    check_package(data, shown)
    return data


@functools.cache
def _builtin_reference(style: HouseStyle) -> bytes:
    """The built-in reference in this house style (the sender's colour and font)."""
    out = io.BytesIO()
    ref.reference_document(style).save(out)
    return out.getvalue()


def _open_reference(
    letter: ComposedLetter, style: HouseStyle
) -> tuple[DocumentObject, Path | None]:
    source = reference_path(letter)
    try:
        data = _read_reference(source, letter) if source else _builtin_reference(style)
        doc = Document(io.BytesIO(data))
        if source:
            clean(doc)
        return doc, source
    except (OSError, PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError,
            etree.XMLSyntaxError) as err:  # fmt: skip
        raise RenderError(
            _(
                "{shown}: not a Word document lettersmith can read ({err}); save it from "
                "Word or LibreOffice as 'Word Document (.docx)'"
            ).format(shown=_shown(source, letter), err=err)
        ) from err


def reference_shown(letter: ComposedLetter) -> str:
    """The reference document this letter is made from, as the user would type its path."""
    return _shown(reference_path(letter), letter)


def _shown(source: Path | None, letter: ComposedLetter) -> str:
    """The reference document as a message names it: as the user would type it."""
    return relative(source, letter.root) if source else str(ref.BUILTIN_REFERENCE)


def _check_styles(
    doc: DocumentObject, source: Path | None, letter: ComposedLetter, address_fits: bool
) -> None:
    needed = {ref.SENDER_LINE, ref.ADDRESS, ref.DATE, ref.INTRO, ref.TITLE, ref.CLOSING}
    needed |= styles_used(letter.body + letter.appended)
    if letter.salutation:
        needed.add(ref.SALUTATION)
    if letter.about:
        needed.add(ref.ABOUT)
    if not address_fits:
        needed |= {ref.ADDRESS_LIST_HEADING, ref.ADDRESS_LIST}
    needed.add(ref.SIGNATURE)
    missing = sorted(name for name in needed if not has_style(doc, name))
    if missing:
        where = _shown(source, letter)
        raise RenderError(
            _(
                "{where}: the Word styles {names} are missing; add them in Word's Styles "
                "pane, or start from the built-in reference with 'python -m "
                "lettersmith.render.docx_reference {where}'"
            ).format(where=where, names=", ".join(repr(m) for m in missing))
        )


def _style(doc: DocumentObject, name: str) -> ParagraphStyle | None:
    """The style named ``name``, or None: a secretary's reference may lack one."""
    try:
        return cast("ParagraphStyle", doc.styles[name])  # python-docx's lookup is untyped
    except KeyError:
        return None


def _style_line_height(doc: DocumentObject, name: str) -> Length:
    """The height of one line in a paragraph style, following ``basedOn`` for what it omits."""
    size: Length | None = None
    rule: WD_LINE_SPACING | None = None
    spacing: Length | float | None = None  # a float: a multiple of single spacing
    style = _style(doc, name)
    while style is not None:
        form = style.paragraph_format
        size = size or style.font.size
        if spacing is None and form.line_spacing is not None:
            rule, spacing = form.line_spacing_rule, form.line_spacing
        style = style.base_style
    size = size or DEFAULT_FONT_SIZE
    if rule in (WD_LINE_SPACING.EXACTLY, WD_LINE_SPACING.AT_LEAST):
        assert isinstance(spacing, Length)  # python-docx gives these rules' spacing as a length
        return Length(max(spacing, size) if rule == WD_LINE_SPACING.AT_LEAST else spacing)
    return Length(int(size * 1.2 * (spacing or 1.0)))


# --------------------------------------------------------------------------- address and date


def _frame(paragraph: Paragraph, **attributes: Length | str) -> None:
    """Give ``paragraph`` a Word frame; neighbours with the same frame share it."""
    values = {k: str(v.twips) if isinstance(v, Length) else v for k, v in attributes.items()}
    ref.set_ppr(paragraph._p.get_or_add_pPr(), "w:framePr", **values)


def _window_frame(paragraph: Paragraph, style: HouseStyle) -> None:
    """The window field, return line at its top, as one Word frame on the body's left edge:
    the return line's exact height puts the first address line right below it. "atLeast":
    with a larger font in a secretary's reference the frame grows below the window rather
    than hiding a line."""
    inset = style.margin_left - style.window_left
    _frame(
        paragraph, w=Mm(style.window_width - inset), h=Mm(style.window_height),
        hRule="atLeast", wrap="notBeside", hAnchor="page", vAnchor="page",
        x=Mm(style.margin_left), y=Mm(style.window_top), vSpace=Mm(style.intro_before),
    )  # fmt: skip


def _write_address_field(
    doc: DocumentObject, letter: ComposedLetter, fits: bool, style: HouseStyle
) -> None:
    _window_frame(add_paragraph(doc, ref.SENDER_LINE, letter.return_address), style)
    if not fits:
        _window_frame(add_paragraph(doc, ref.ADDRESS, letter.phrases.see_list), style)
        return
    for index, addressee in enumerate(letter.addressees):
        for number, line in enumerate(addressee.lines):
            paragraph = add_paragraph(doc, ref.ADDRESS, line)
            if index and not number:
                paragraph.paragraph_format.space_before = Mm(style.addressee_gap)
            _window_frame(paragraph, style)


def _write_date_line(doc: DocumentObject, letter: ComposedLetter, style: HouseStyle) -> None:
    """The date line on the right, level with the last line of the address field, and above
    it the reference block ("Vår ref.", "Deres ref."), as the PDF has them: one frame."""
    phrases = letter.phrases
    lines = [
        f"{label}: {value}"
        for label, value in (
            (phrases.our_reference, letter.reference),
            (phrases.their_reference, letter.their_reference),
        )
        if value
    ]
    line = _style_line_height(doc, ref.DATE)
    height = Length(line * (len(lines) + 1))
    for text in [*lines, letter.date_line]:
        _frame(
            add_paragraph(doc, ref.DATE, text),
            w=Mm(80), h=height, hRule="exact", wrap="around", hAnchor="margin",
            vAnchor="page", xAlign="right", y=Length(Mm(style.window_bottom) - height),
        )  # fmt: skip


def _write_address_list(doc: DocumentObject, letter: ComposedLetter) -> None:
    add_paragraph(doc, ref.ADDRESS_LIST_HEADING, letter.phrases.list_heading)
    for addressee in letter.addressees:
        add_paragraph(doc, ref.ADDRESS_LIST, "\n".join(addressee.lines))


# --------------------------------------------------------------------------- signature


def _write_signature(doc: DocumentObject, letter: ComposedLetter, style: HouseStyle) -> None:
    """Closing, room to sign (with the signature image, if any), name, title, organisation:
    kept together on one page. The room is as high as the PDF's, image or not."""
    add_paragraph(doc, ref.CLOSING, letter.closing)
    signature = letter.signature
    space = add_paragraph(doc, ref.SIGNATURE)
    space.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    space.paragraph_format.line_spacing = Mm(style.signature_space)
    image = signature.image and image_file(signature.image, letter, what=N_("signature image"))
    if image:
        height = Mm(style.signature_image_height)
        add_picture(
            space.add_run(), image, letter, what=N_("signature image"), width=Mm(60), height=height
        )
    lines = [signature.name, signature.title, letter.sender.name]
    written = [add_paragraph(doc, ref.SIGNATURE, line) for line in lines if line]
    written[-1].paragraph_format.keep_with_next = False
