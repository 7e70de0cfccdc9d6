"""Many letters that differ only in the address field (and the salutation), laid out once.

In ``each`` mode a letter's recipients differ only in the window field and, perhaps, the
salutation; the field has a fixed size and place, so the body's layout does not depend on
it. A *group* is the letters that are equal but for those two. For a group this module
renders one *base* letter whose field holds marker lines (made of every character the
group's addresses use, and every pair of letters a font joins into one glyph, such as "fi",
so the embedded font subset holds each glyph they need) and then, per recipient, writes the
recipient's lines into the marker's place:

- PDF (``stamp_pdf.py``): the marker's text objects in the page's content stream are
  replaced by the recipient's lines, shaped with HarfBuzz in the font the layout used (so
  kerned pairs sit where WeasyPrint puts them) and set in the same size, colour and line
  pitch, inside the same marked-content sequences, so the structure tree (tags, reading
  order) stays whole and the address is text in it. Everything else -- the PDF/A metadata,
  the fonts, the other pages -- is the base's, byte for byte.
- DOCX (``stamp_docx.py``): the marker paragraphs in ``word/document.xml`` are replaced by
  the recipient's.

Nothing here knows what the template looks like: the marker is found in what the renderer
made. The fast path is taken only when it is provably the same letter:

- the proof: a workspace template is laid out a second time for a *different* addressee
  (every field different), once with each number of address lines the group has (a
  stylesheet can pick out an address of exactly four), and the layouts must be equal
  everywhere outside the field: every page's drawing, and every string and stream of the
  document (title, bookmarks, links, tags' alternative text, metadata), and the field's
  lines drawn alike but for their text. So a template that
  shows a recipient's field anywhere else (a "Kopi til:" line, the running header, the
  title), or whose layout follows the address, is built letter by letter;
- and each letter's: a workspace template's HTML for the recipient must be the base's but
  for the field's lines (``stamp_html.py``), so that a template that only tests a field (a
  condition on a line, its length, the number of lines, the id) makes that letter alone;
- the field's lines must be left-aligned plain text in one font with the font's default
  features and no decoration (an underline is as wide as the marker), each recipient line must
  fit its line with room to spare, and every glyph it shapes to must be in the base;
- the base is read back whole, and what each letter changes in it, before a file is used:
  any piece of a marker outside the field (four of its characters in a row, or the DOCX
  marker's name) and the group, or that letter, is made letter by letter.

Anything else -- a joint letter, an address too long for the field, a template that centres
the address, a club's letter -- goes through the per-letter renderer, which stays the
reference.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from lettersmith.model import Addressee, ComposedLetter
from lettersmith.render.html import WINDOW_LINES, address_field_fits
from lettersmith.render.stamp_docx import DocxBase, DocxStamper, docx_base
from lettersmith.render.stamp_html import Window, window
from lettersmith.render.stamp_pdf import (
    FRAGMENT,
    Layout,
    Line,
    PdfStamper,
    find_field,
    fragments,
    read_pdf_text,
    remnant,
    without_field,
)

if TYPE_CHECKING:
    import pikepdf

# The marker's lines hold this many distinct characters each; the base's field is always
# WINDOW_LINES lines (the most a letter may have), the last ones pad lines.
CHARS_PER_MARKER_LINE = 16
PAD = "x"

__all__ = ["DocxBase", "DocxStamper", "PdfBase", "PdfStamper", "docx_base", "pdf_base"]


def group_key(letter: ComposedLetter, fmt: str, variant: str | None) -> str | None:
    """What the letters of one group share, or None when the letter cannot be stamped.

    A club's letters are made one by one: its templates are not ours, and the per-letter
    path is where a club's render is bounded and checked.
    """
    if letter.club_id is not None:
        return None
    if len(letter.addressees) != 1 or not address_field_fits(letter.addressees):
        return None
    return f"{fmt}\0{variant}\0{_shared(letter)}"


_last_shared: list[Any] = [None, ""]  # the letter seen last and what it shares: a letter's formats


def _shared(letter: ComposedLetter) -> str:
    """A hash of the letter without what a recipient's letter may change."""
    if _last_shared[0] is not letter:
        shared = dataclasses.replace(
            letter,
            stem="",
            addressees=(),
            salutation="" if letter.salutation else None,
            cover_note=(),
            attachments=(),
        )
        _last_shared[:] = [letter, hashlib.sha256(repr(shared).encode()).hexdigest()]
    return str(_last_shared[1])


class Coverage(NamedTuple):
    """What the base's marker must show, so that its fonts' subsets hold every glyph the
    group's letters are set in."""

    address: str  # every character of the addresses
    salutation: str  # every character of the salutations
    address_ligatures: tuple[str, ...] = ()  # letters a font may join into one glyph
    salutation_ligatures: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()  # how many lines the addresses have: the proof's (pdf_base)


# Latin fonts join an "f" with some letters after it into one glyph (fi, fl, ff, ffi...): the
# marker shows each such pair the group's text has, so that the base holds the joined glyph.
LIGATURE_FOLLOWERS = "bfhijklt"


def _ligatures(texts: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        for at in range(len(text) - 1):
            if text[at] == "f" and text[at + 1] in LIGATURE_FOLLOWERS:
                found.add(text[at : at + 2])
                after = text[at + 2 : at + 3]
                if text[at + 1] == "f" and after and after in LIGATURE_FOLLOWERS:
                    found.add(text[at : at + 3])
    return found


def coverage(letters: Iterable[ComposedLetter]) -> Coverage:
    """Every character (and pair a font may join) the letters' addresses and salutations
    use: the glyphs the base needs."""
    address: set[str] = set()
    salutation: set[str] = set()
    lines: set[str] = set()
    salutations: set[str] = set()
    counts: set[int] = set()
    for letter in letters:
        lines.update(letter.addressees[0].lines)
        salutations.add(letter.salutation or "")
        counts.add(len(letter.addressees[0].lines))
    for line in lines:
        address.update(line)
    for text in salutations:
        salutation.update(text)
    return Coverage(
        "".join(sorted(address)),
        "".join(sorted(salutation)),
        tuple(sorted(_ligatures(lines))),
        tuple(sorted(_ligatures(salutations))),
        tuple(sorted(counts)),
    )


def _scrambled(chars: str) -> str:
    """The characters in an order no text has: each next to one half the alphabet away
    ("0O1P2R..."), so that four of them in a row are found only where a marker was."""
    half = (len(chars) + 1) // 2
    return "".join(chars[at] + chars[half + at : half + at + 1] for at in range(half))


def _marker_text(chars: str) -> str:
    """The characters in a row, a space after each ``f`` (no ``fi`` or ``ff`` ligature)."""
    text = "".join(c + " " if c == "f" else c for c in chars if c != " ").strip()
    if " " in chars and " " not in text:
        text = text[:1] + " " + text[1:]
    return text or PAD


def marker_lines(
    address_chars: str, lines: int = WINDOW_LINES, ligatures: Sequence[str] = ()
) -> tuple[str, ...] | None:
    chars = _scrambled(address_chars)
    chunks = [
        _marker_text(chars[i : i + CHARS_PER_MARKER_LINE])
        for i in range(0, len(chars), CHARS_PER_MARKER_LINE)
    ] or [PAD]
    chunks += _words_in_lines(ligatures)
    if len(chunks) > lines - 1:
        return None
    # The last lines are pads: the first carry the glyphs, the rest only take room. A pad
    # is the first line's start, so that it too is a marker a read-back recognises.
    pad = chunks[0][:FRAGMENT].strip() or PAD
    return tuple(chunks + [pad] * (lines - len(chunks)))


def _words_in_lines(words: Sequence[str]) -> list[str]:
    """The words, a space between them, in lines of at most CHARS_PER_MARKER_LINE."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= CHARS_PER_MARKER_LINE:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def marker_addressee(like: Addressee, lines: Sequence[str], name: str) -> Addressee:
    """``like`` with every text field made from ``name`` and ``lines`` as its address: two
    markers of different names differ in every field a template could show. A field that
    is no text (a language, say) stays ``like``'s: the group's letters share it."""
    values: dict[str, object] = {"lines": tuple(lines)}
    for field in dataclasses.fields(Addressee):
        kind = str(field.type)
        if field.name == "lines":
            continue
        if field.name == "email":
            values[field.name] = f"{name}@{name}.invalid"
        elif kind.startswith("tuple"):
            values[field.name] = (f"{name} {field.name}",)
        elif "str" in kind:
            values[field.name] = f"{name}-{field.name}"
    return dataclasses.replace(like, **values)  # type: ignore[arg-type]


def marker_letter(
    letter: ComposedLetter, lines: Sequence[str], salutation: str | None, name: str = "marker"
) -> ComposedLetter:
    return dataclasses.replace(
        letter,
        addressees=(marker_addressee(letter.addressees[0], lines, name),),
        salutation=salutation if letter.salutation else None,
    )


def _usable(text: str) -> bool:
    """Plain characters only: no combining marks, controls or right-to-left text."""
    for char in text:
        if unicodedata.category(char)[0] in "MC" or unicodedata.bidirectional(char) in (
            "R", "AL", "RLE", "RLO", "RLI", "AN",
        ):  # fmt: skip
            return False
    return True


# --------------------------------------------------------------------------------- PDF


@dataclass(frozen=True)
class PdfBase:
    """A group's base PDF, checked, as a worker receives it: its layout with the marker
    lines (and the fonts they are set in), and the markers."""

    layout: Layout
    lines: tuple[str, ...]
    salutation: str | None
    window: Window | None = None  # what each letter's template HTML must be (stamp_html)

    @property
    def pdf(self) -> bytes:
        return self.layout.pdf

    def stamper(self) -> PdfStamper | None:
        return PdfStamper.from_base(self)


def pdf_markers(
    letter: ComposedLetter, chars: Coverage
) -> tuple[tuple[str, ...], str | None] | None:
    """The marker lines and salutation a group's base is laid out with, or None when the
    group's characters cannot be stamped."""
    lines = marker_lines(chars.address, ligatures=chars.address_ligatures)
    if lines is None or not _usable(chars.address + chars.salutation):
        return None
    salutation = None
    if letter.salutation:
        words = [_marker_text(_scrambled(chars.salutation)), *chars.salutation_ligatures]
        salutation = " ".join(words)
    while salutation is not None and salutation in lines:
        salutation += " " + PAD
    return lines, salutation


def proof_markers(
    lines: Sequence[str], salutation: str | None, count: int = 1
) -> tuple[tuple[str, ...], str | None]:
    """The address and salutation of the proof's addressee: ``count`` lines (a recipient's
    number, so that a layout that follows the number of lines shows it -- a stylesheet can
    pick out an address of exactly four), each character the one after the marker's at its
    place in the marker's alphabet (so that no character is the marker's, and the glyphs are
    still the base's)."""
    alphabet = sorted(set("".join([*lines, salutation or ""])) - {" "})
    if len(alphabet) < 2:
        alphabet = sorted({*alphabet, PAD, "y"})
    following = {char: alphabet[(at + 1) % len(alphabet)] for at, char in enumerate(alphabet)}

    def other(text: str) -> str:
        return "".join(following.get(char, char) for char in text)

    other_lines = tuple(other(line) for line in lines[: max(1, count)])
    other_salutation = other(salutation) if salutation is not None else None
    while other_salutation is not None and other_salutation in other_lines:
        other_salutation += " " + other_lines[0]
    return other_lines, other_salutation


def pdf_base(
    letter: ComposedLetter, chars: Coverage, variant: str | None, prove: bool = True
) -> PdfBase | None:
    """The group's base: the letter laid out with marker lines in its field, or None when the
    fast path would not give the same letters.

    ``prove``: lay the letter out again for another addressee (see ``proof_markers``) and
    require the same document outside the field, so that a template that shows a recipient's
    field elsewhere, or whose layout follows the address, is never stamped. Only the
    built-in template may skip it: its field has a fixed size by design, it shows the
    addressee nowhere else, and the tests make this proof for it.
    """
    import pikepdf

    chosen = pdf_markers(letter, chars)
    if chosen is None:
        return None
    lines, salutation = chosen
    html = window(marker_letter(letter, lines, salutation)) if prove else None
    if prove and html is None:
        return None  # the template does not show the field's lines as plain lines
    full = layout_marker(letter, lines, salutation, variant)
    full_pdf = pikepdf.open(io.BytesIO(full.pdf))
    field = find_field(full_pdf, full, lines, salutation)
    if field is None:
        return None
    # One proof for each number of lines the group's addresses have (one line at least).
    for count in (chars.counts or (1,)) if prove else ():
        other_lines, other_salutation = proof_markers(lines, salutation, count)
        other = layout_marker(letter, other_lines, other_salutation, variant, name="proof")
        other_pdf = pikepdf.open(io.BytesIO(other.pdf))
        other_field = find_field(other_pdf, other, other_lines, other_salutation)
        if other_field is None:
            return None
        if without_field(full_pdf, field) != without_field(other_pdf, other_field):
            return None  # the page shows the addressee outside the field, or follows it
        if document_values(full_pdf) != document_values(other_pdf):
            return None  # the title, a bookmark, a link... names the addressee
        if _drawn(field, count) != _drawn(other_field, count):
            return None  # the field's own lines are set otherwise for this many lines
    markers = [*lines, *([salutation] if salutation else [])]
    if remnant(read_pdf_text(full.pdf), markers, fragments(markers)) is not None:
        return None  # a marker shows outside the field: it would be in every letter
    # The workers need the files of the field's fonts only, not of every font the letter uses.
    used = {span.base_font for span in [*field[2], *([field[3]] if field[3] else [])]}
    fonts = {name: data for name, data in full.fonts.items() if name in used}
    return PdfBase(dataclasses.replace(full, fonts=fonts), tuple(lines), salutation, html)


_TEXT_SHOWN = ("TJ", "Tj", "'", '"')


def _drawn(field: Any, count: int) -> list[list[tuple[str, list[str]]]]:
    """How each of the field's first ``count`` address lines is drawn but its text (the
    marker's or the proof's) and marked-content number: colour, font, size, place."""
    _page, instructions, address, _salutation = field
    drawn = []
    for span in address[:count]:
        ops = []
        for operands, op in instructions[span.start : span.end + 1]:
            name = str(op)
            shown = operands[:1] if name == "BDC" else [] if name in _TEXT_SHOWN else operands
            ops.append((name, [repr(value) for value in shown]))
        drawn.append(ops)
    return drawn


def builtin_template(letter: ComposedLetter) -> bool:
    """Whether the letter is laid out by lettersmith's own template alone."""
    return not any(path.is_file() for folder in letter.template_dirs for path in folder.rglob("*"))


def layout_marker(
    letter: ComposedLetter,
    lines: Sequence[str],
    salutation: str | None,
    variant: str | None,
    name: str = "marker",
) -> Layout:
    """The letter laid out with the marker in its field: the PDF's bytes and every line of
    text: its line box's x, the room it has, whether it is set plainly, and its font."""
    from weasyprint.formatting_structure import boxes

    from lettersmith.render.pdf import render_document

    document, pdf = render_document(marker_letter(letter, lines, salutation, name), variant)
    found: dict[str, Line] = {}

    def visit(box: Any) -> None:
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.LineBox):
                leaves = [leaf for leaf in child.descendants() if isinstance(leaf, boxes.TextBox)]
                text = "".join(leaf.text for leaf in leaves).strip()
                style = child.style
                plain = (
                    style["text_align_all"] in ("start", "left")
                    and style["direction"] == "ltr"
                    and style["letter_spacing"] == "normal"
                    and not style["word_spacing"]
                    and style["text_transform"] == "none"
                    # HarfBuzz shapes the stamped line with the font's default features
                    and style["font_kerning"] == "auto"
                    and style["font_variant_ligatures"] == "normal"
                    and all(style[f"font_variant_{kind}"] == "normal" for kind in _VARIANTS)
                    and style["font_language_override"] == "normal"
                    and style["font_feature_settings"] == "normal"
                    and style["font_variation_settings"] == "normal"
                    # an underline is drawn as wide as the marker's text, not the recipient's
                    and all(leaf.style["text_decoration_line"] == "none" for leaf in leaves)
                )
                # The room a line has is its block's content width, not the line's own.
                found.setdefault(text, Line(child.position_x, box.width, plain))
            else:
                visit(child)

    for page in document.pages:
        visit(page._page_box)
    return Layout(pdf, found, _font_files(document))


# Other OpenType features a stylesheet may ask for (small capitals, old-style figures...).
_VARIANTS = ("alternates", "caps", "east_asian", "numeric", "position")


def _font_files(document: Any) -> dict[str, tuple[bytes, int]]:
    """The whole file of each (static) font WeasyPrint embedded a subset of, by its name in
    the PDF: what the stamped lines are shaped with."""
    from weasyprint.text.fonts import get_hb_object_data

    files = {}
    for font in document.fonts.values():
        if not font.variations:
            name = "/" + font.name.decode("ascii").lstrip("/")
            files[name] = (get_hb_object_data(font.hb_face), font.index)
    return files


# Parts of a document that differ between two layouts of one letter whatever the addressee:
# the fonts' subsets (which glyphs the field needs), the page streams (compared above
# without the field), and the times of writing.
_FONT_TYPES = ("/Font", "/FontDescriptor")
_TIMES = ("/CreationDate", "/ModDate")
_XMP_TIME = re.compile(rb"(<xmp:\w*Date>[^<]*<|xmp:\w*Date=\"[^\"]*\")")


def document_values(pdf: pikepdf.Pdf) -> list[object]:
    """Every string and stream of the document but the fonts and the pages' content streams,
    in the order of a walk from its catalogue and information dictionary: what a reader sees
    outside the pages' drawing (the title, bookmarks, links, tags' text, the metadata). Not
    the names and numbers: the field's lines are tagged elements of their own, as many as
    the marker has lines."""
    import pikepdf

    values: list[object] = []
    seen: set[tuple[int, int]] = set()
    pending: list[Any] = [pdf.Root]
    if "/Info" in pdf.trailer:
        pending.append(pdf.trailer.Info)
    while pending:
        item = pending.pop()
        if isinstance(item, pikepdf.String):
            values.append(bytes(item))
            continue
        if isinstance(item, pikepdf.Array):
            pending.extend(reversed(list(item)))
            continue
        if not isinstance(item, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if str(item.get("/Type", "")) in _FONT_TYPES:
            continue
        is_page = str(item.get("/Type", "")) == "/Page"
        if isinstance(item, pikepdf.Stream):
            data = item.read_bytes() if item.get("/Type") == "/Metadata" else item.read_raw_bytes()
            values.append(hashlib.sha256(_XMP_TIME.sub(b"", data)).hexdigest())
        for key in sorted(item.keys(), reverse=True):
            if key in _TIMES or (is_page and key == "/Contents"):
                continue
            pending.append(item[key])
    return values
