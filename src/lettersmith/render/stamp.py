"""Many letters that differ only in the address field (and the salutation), laid out once.

In ``each`` mode a letter's recipients differ only in the window field and, perhaps, the
salutation; the field has a fixed size and place, so the body's layout does not depend on
it. A *group* is the letters that are equal but for those two. For a group this module
renders one *base* letter whose field holds marker lines (made of every character the
group's addresses use, so the embedded font subset holds each glyph they need) and then,
per recipient, writes the recipient's lines into the marker's place:

- PDF: the marker's text objects in the page's content stream are replaced by the
  recipient's lines, shaped with HarfBuzz in the font the layout used (so kerned pairs sit
  where WeasyPrint puts them) and set in the same size, colour and line pitch, inside the
  same marked-content sequences, so the structure tree (tags, reading order) stays whole and
  the address is text in it. Everything else -- the PDF/A metadata, the fonts, the other
  pages -- is the base's, byte for byte.
- DOCX: the marker paragraphs in ``word/document.xml`` are replaced by the recipient's.

Nothing here knows what the template looks like: the marker is found in what the renderer
made. The fast path is taken only when it is provably the same letter:

- the proof: a workspace template is laid out a second time for a *different* addressee
  (every field different, and a one-line address), and the two layouts must be equal
  everywhere outside the field: every page's drawing, and every string and stream of the
  document (title, bookmarks, links, tags' alternative text, metadata). So a template that
  shows a recipient's field anywhere else (a "Kopi til:" line, the running header, the
  title), or whose layout follows the address, is built letter by letter;
- the field's lines must be left-aligned plain text in one font, each recipient line must
  fit its line with room to spare, and every glyph it shapes to must be in the base;
- every stamped file is read back, and a file that shows any piece of a marker is not used.

Anything else -- a joint letter, an address too long for the field, a template that centres
the address, a club's letter -- goes through the per-letter renderer, which stays the
reference.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import secrets
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lettersmith.model import Addressee, ComposedLetter
from lettersmith.render.html import WINDOW_LINES, address_field_fits

if TYPE_CHECKING:
    import pikepdf

# The marker's lines hold this many distinct characters each; the base's field is always
# WINDOW_LINES lines (the most a letter may have), the last ones pad lines.
CHARS_PER_MARKER_LINE = 16
PAD = "x"
# A recipient's line must be this much narrower than its line box: a line that nearly fills
# it might be broken by the layout engine where the stamp would not.
FIT_MARGIN = 0.97
# A run of this many characters of a marker line, found in a stamped letter, is a remnant of
# the marker: the letter is not used. The marker's characters are in an order no words have.
FRAGMENT = 4
DOCX_MARK = "LETTERSMITH-MARK-{}-{}"
DOCX_REMNANT = "LETTERSMITH-MARK"  # what every DOCX marker holds, and no letter should
PANGO_SCALE = 1024  # Pango's units per point: WeasyPrint's glyph widths are in them


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


def coverage(letters: Iterable[ComposedLetter]) -> tuple[str, str]:
    """Every character the letters' addresses and salutations use: the glyphs the base needs."""
    address: set[str] = set()
    salutation: set[str] = set()
    for letter in letters:
        for line in letter.addressees[0].lines:
            address.update(line)
        salutation.update(letter.salutation or "")
    return "".join(sorted(address)), "".join(sorted(salutation))


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


def marker_lines(address_chars: str, lines: int = WINDOW_LINES) -> tuple[str, ...] | None:
    chars = _scrambled(address_chars)
    chunks = [
        _marker_text(chars[i : i + CHARS_PER_MARKER_LINE])
        for i in range(0, len(chars), CHARS_PER_MARKER_LINE)
    ] or [PAD]
    if len(chunks) > lines - 1:
        return None
    # The last lines are pads: the first carry the glyphs, the rest only take room. A pad
    # is the first line's start, so that it too is a marker a read-back recognises.
    pad = chunks[0][:FRAGMENT].strip() or PAD
    return tuple(chunks + [pad] * (lines - len(chunks)))


def marker_addressee(lines: Sequence[str], name: str) -> Addressee:
    """An addressee whose every field is made from ``name`` (and whose address is ``lines``):
    two markers of different names differ in every field a template could show."""
    values: dict[str, object] = {}
    for field in dataclasses.fields(Addressee):
        kind = str(field.type)
        if field.name == "lines":
            values[field.name] = tuple(lines)
        elif field.name == "email":
            values[field.name] = f"{name}@{name}.invalid"
        elif kind.startswith("tuple"):
            values[field.name] = (f"{name} {field.name}",)
        elif "str" in kind:
            values[field.name] = f"{name}-{field.name}"
    return Addressee(**values)  # type: ignore[arg-type]


def marker_letter(
    letter: ComposedLetter, lines: Sequence[str], salutation: str | None, name: str = "marker"
) -> ComposedLetter:
    return dataclasses.replace(
        letter,
        addressees=(marker_addressee(lines, name),),
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


def _fragments(markers: Iterable[str]) -> frozenset[str]:
    """Every run of FRAGMENT characters of the markers (spaces left out, as in a read-back)."""
    found: set[str] = set()
    for marker in markers:
        text = "".join(marker.split())
        found.update(text[i : i + FRAGMENT] for i in range(len(text) - FRAGMENT + 1))
    return frozenset(found)


def _remnant(text: str, own: Iterable[str], fragments: frozenset[str]) -> str | None:
    """A marker fragment in ``text`` (read back, spaces and all) once the letter's own lines
    are taken out of it, or None."""
    rest = "".join(text.split())
    for line in own:
        rest = rest.replace("".join(line.split()), "\0", 1)
    return next((piece for piece in fragments if piece in rest), None)


# --------------------------------------------------------------------------------- PDF


@dataclass(frozen=True)
class Line:
    """How the layout set one line of text."""

    x: float  # its line box's left edge
    room: float  # its block's content width: how wide the line may be
    plain: bool  # left-aligned, left to right, no letter or word spacing, default features


@dataclass(frozen=True)
class Layout:
    """A letter laid out: the PDF's bytes, every line of text (by its text) and, by the
    PDF's name for it (``/BaseFont``), the file of each font it uses."""

    pdf: bytes = dataclasses.field(repr=False)
    lines: dict[str, Line]
    fonts: dict[str, tuple[bytes, int]] = dataclasses.field(repr=False)  # data, face index


class _Shaper:
    """A font file shaped with HarfBuzz as Pango shapes it for WeasyPrint: the glyphs of a
    line and their advances in Pango units, at one size."""

    def __init__(self, font: tuple[bytes, int], size: float) -> None:
        import uharfbuzz as hb

        self.hb = hb
        self.font = hb.Font(hb.Face(font[0], font[1]))
        scale = round(size * PANGO_SCALE)
        self.font.scale = (scale, scale)

    def shape(self, text: str) -> list[tuple[int, int]] | None:
        """(glyph id, advance) of each glyph, or None when a glyph is moved off its place
        (a mark, a shift up or down): such a line is left to the layout engine."""
        buffer = self.hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        self.hb.shape(self.font, buffer, {})
        glyphs = []
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
            if position.x_offset or position.y_offset:
                return None
            glyphs.append((info.codepoint, position.x_advance))
        return glyphs


@dataclass
class _Span:
    """One marked-content sequence holding a marker line: where it is and how it is set."""

    start: int  # index of its BDC in the page's instructions
    end: int  # index of its EMC
    text_start: int  # index of BT
    text_end: int  # index of ET
    font: str
    size: float
    x: float
    y: float
    width: float  # the line box's room, in the same units as x
    widths: dict[int, float]  # glyph id -> advance in 1/1000 em, as the font's /W says
    base_font: str  # the font's name in the PDF
    shaper: _Shaper | None


class PdfStamper:
    """A group's base PDF, cut where its marker lines are; ``stamp`` makes one letter.

    The page with the field gets two content streams: the instructions up to the last
    marker line, with the lines cut out, and the rest of the page, compressed once. The base
    is written out once with a placeholder for the first, in a slot of fixed size; a letter
    is the base's bytes with the first stream (its lines set in) in that slot. Nothing else
    moves, so the cross-reference table is the base's: no PDF library runs per letter.
    """

    def __init__(self, base: pikepdf.Pdf, page: int, instructions: list[Any],
                 address: list[_Span], salutation: _Span | None,
                 fragments: frozenset[str]) -> None:  # fmt: skip
        import pikepdf

        self.address = address
        self.salutation = salutation
        self.fragments = fragments
        fonts: Any = base.pages[page].Resources.get("/Font", {})
        self.to_text = {str(name): (_font_map(fonts[name]) or ({},))[0] for name in fonts}
        spans = sorted([*address, *([salutation] if salutation else [])], key=_text_start)
        self.pieces: list[bytes] = []  # the instructions before and between the spans' text
        at = 0
        for span in spans:
            self.pieces.append(pikepdf.unparse_content_stream(instructions[at : span.text_start]))
            at = span.text_end + 1
        # The rest of the last span (its EMC): the first stream ends outside marked content.
        self.pieces.append(pikepdf.unparse_content_stream(instructions[at : spans[-1].end + 1]))
        self.order = [id(span) for span in spans]
        self.pieces_text = [self.read_text(piece) for piece in self.pieces]
        tail = pikepdf.Stream(base, b"")
        rest = pikepdf.unparse_content_stream(instructions[spans[-1].end + 1 :])
        tail.write(zlib.compress(rest), filter=pikepdf.Name.FlateDecode)
        token = b"%LETTERSMITH-CONTENTS-" + secrets.token_hex(8).encode()
        base.pages[page].obj.Contents = pikepdf.Array([base.make_stream(token), tail])
        buffer = io.BytesIO()
        base.save(
            buffer,
            static_id=True,  # a placeholder, replaced per letter
            fix_metadata_version=False,  # the metadata as the renderer wrote it
            stream_decode_level=pikepdf.StreamDecodeLevel.none,  # the streams as they are
            object_stream_mode=pikepdf.ObjectStreamMode.disable,  # a plain xref table
            compress_streams=False,  # the placeholder stays findable; compressed per letter
        )
        # Room for the first stream: its fixed part compressed, and 4 kB for the lines (a
        # full field takes about 1.5); a letter that needs more goes the per-letter way.
        room = len(zlib.compress(b"\n".join(self.pieces))) + 4096
        self.file = _PdfFile.of(buffer.getvalue(), token, room)

    @classmethod
    def for_group(
        cls, letter: ComposedLetter, chars: tuple[str, str], variant: str | None
    ) -> PdfStamper | None:
        """The group's stamper, or None when the fast path would not give the same letter."""
        base = pdf_base(letter, chars, variant)
        return base.stamper() if base is not None else None

    @classmethod
    def from_base(cls, base: PdfBase) -> PdfStamper | None:
        """The stamper, or None when the base shows a marker anywhere but in its field."""
        import pikepdf

        markers = [*base.lines, *([base.salutation] if base.salutation else [])]
        fragments = _fragments(markers)
        if _remnant(read_pdf_text(base.pdf), markers, fragments) is not None:
            return None
        pdf = pikepdf.open(io.BytesIO(base.pdf))
        found = _find(pdf, base.layout, base.lines, base.salutation)
        if found is None:
            return None
        page, instructions, spans, salutation_span = found
        return cls(pdf, page, instructions, spans, salutation_span, fragments)

    def stamp(self, letter: ComposedLetter) -> bytes | None:
        """The letter's PDF, or None if a line does not fit as the base's lines do or the
        file read back shows a piece of the marker."""
        lines = letter.addressees[0].lines
        if not lines or not self.address or self.file is None:
            return None
        replaced: dict[int, list[bytes]] = {}
        groups: list[list[str]] = [[line] for line in lines[: len(self.address) - 1]]
        groups.append(list(lines[len(self.address) - 1 :]))
        first = self.address[0]
        pitch = self.address[1].y - first.y if len(self.address) > 1 else None
        row = 0
        empty: list[list[str]] = [[]] * len(self.address)
        for span, span_lines in zip(self.address, groups + empty, strict=False):
            ops = []
            for line in span_lines:
                if pitch is None and row:
                    return None
                text = _text_ops(first, line, first.x, first.y + row * (pitch or 0))
                if text is None:
                    return None
                ops.append(text)
                row += 1
            replaced[id(span)] = ops
        if self.salutation is not None:
            if not letter.salutation:
                return None
            span = self.salutation
            text = _text_ops(span, letter.salutation, span.x, span.y)
            if text is None:
                return None
            replaced[id(span)] = [text]
        parts = [self.pieces[0]]
        for key, piece in zip(self.order, self.pieces[1:], strict=True):
            parts += [*replaced[key], piece]
        contents = b"\n".join(part for part in parts if part)
        # The file is the base (read back whole when the group began) but for this stream:
        # its text, read back through the page's fonts, must show no piece of the marker
        # beside the letter's own lines. The stream's fixed pieces were read when the
        # stamper was made; what was set in for the letter is read here.
        texts = [self.pieces_text[0]]
        for key, piece_text in zip(self.order, self.pieces_text[1:], strict=True):
            texts += [self.read_set(ops) for ops in replaced[key]] + [piece_text]
        own = [*lines, *([letter.salutation] if letter.salutation else [])]
        if _remnant(" ".join(texts), own, self.fragments) is not None:
            return None
        return self.file.with_contents(contents)

    def read_set(self, ops: bytes) -> str:
        """The text of a text object ``_text_ops`` wrote."""
        font = _SET_FONT.search(ops)
        to_text = self.to_text.get(font.group(1).decode() if font else "", {})
        codes = b"".join(_SET_GLYPHS.findall(ops))
        glyphs = bytes.fromhex(codes.decode())
        return "".join(to_text.get(glyphs[i : i + 2], "?") for i in range(0, len(glyphs), 2))

    def read_text(self, contents: bytes) -> str:
        """The text a content stream of the field's page shows, through the page's fonts."""
        import pikepdf

        scratch = pikepdf.new()
        font = ""
        texts: list[str] = []
        for operands, operator in pikepdf.parse_content_stream(scratch.make_stream(contents)):
            op = str(operator)
            if op == "Tf":
                font = str(operands[0])
            elif op in ("TJ", "Tj", "'", '"'):
                to_text = self.to_text.get(font, {})
                for item in operands[0] if op == "TJ" else operands[-1:]:
                    if isinstance(item, pikepdf.String):
                        raw = bytes(item)
                        texts += [to_text.get(raw[i : i + 2], "?") for i in range(0, len(raw), 2)]
                texts.append(" ")
        return "".join(texts)


_SET_FONT = re.compile(rb"(/\S+) \S+ Tf")
_SET_GLYPHS = re.compile(rb"<([0-9a-f]+)>")


def read_pdf_text(data: bytes) -> str:
    """Every page's text, as a reader's viewer extracts it (pdfium)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(texts)
    finally:
        document.close()


def _text_start(span: _Span) -> int:
    return span.text_start


@dataclass(frozen=True)
class _PdfFile:
    """A PDF written with a plain cross-reference table, cut around one stream object whose
    data is a placeholder, the object given a slot of fixed size: ``with_contents`` puts a
    stream in the slot, and every other byte of the file stays where it was."""

    head: bytes  # up to the object
    number: int  # the object's number
    room: int  # the slot's size
    tail: bytes  # from the slot to the /ID the letter gets, the xref table moved for the slot
    last: bytes  # from the /ID to the end of the file

    STATIC_ID = b"31415926535897932384626433832795"  # what qpdf writes with static_id

    @classmethod
    def of(cls, data: bytes, token: bytes, room: int) -> _PdfFile | None:
        """The file cut, or None when it is not laid out as expected."""
        try:
            at_token = data.index(token)
            header = data.rindex(b" 0 obj", 0, at_token)
            start = data.rindex(b"\n", 0, header) + 1
            number = int(data[start:header])
            end = data.index(b"endobj\n", at_token) + len(b"endobj\n")
            tail = data.rindex(b"startxref\n")
            xref = int(data[tail + len(b"startxref\n") :].split()[0])
            head, rows, rest = data[xref:tail].split(b"\n", 2)
            first, count = (int(value) for value in rows.split())
            if head != b"xref" or first != 0 or not rest.startswith(b"0000000000 65535 f"):
                return None
            size = 20 * count  # each entry is 20 bytes: "oooooooooo ggggg n \n"
            entries = [(int(rest[i : i + 10]), rest[i + 10 : i + 20]) for i in range(0, size, 20)]
            trailer = rest[size:]
            if not trailer.startswith(b"trailer") or trailer.count(cls.STATIC_ID) != 1:
                return None
            before, after = trailer.split(cls.STATIC_ID)
        except ValueError:
            return None
        if xref <= end:
            return None
        shift = room - (end - start)
        table = b"".join(
            b"%010d%s" % (offset + shift if offset > start else offset, line)
            for offset, line in entries
        )
        moved = b"xref\n0 %d\n%s%s" % (count, table, before)
        last = after + b"startxref\n%d\n%%%%EOF\n" % (xref + shift)
        return cls(data[:start], number, room, data[end:xref] + moved, last)

    def with_contents(self, contents: bytes) -> bytes | None:
        """The file with ``contents`` as the stream, or None if it does not fit the slot."""
        stream = zlib.compress(contents)
        obj = b"%d 0 obj\n<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        obj %= (self.number, len(stream), stream)
        spare = self.room - len(obj)
        if spare < 2:
            return None
        # The rest of the slot is a comment line, which a reader skips between objects.
        pad = b"%" + b" " * (spare - 2) + b"\n"
        # The file's second identifier names this version of it: the letter's own.
        ident = hashlib.md5(contents, usedforsecurity=False).hexdigest().encode()
        return b"".join((self.head, obj, pad, self.tail, ident, self.last))


def _text_ops(span: _Span, text: str, x: float, y: float) -> bytes | None:
    """A text object setting ``text`` at (x, y) as WeasyPrint sets it: each glyph HarfBuzz
    shapes, then the difference between its width in the font's /W and its shaped advance
    (kerning) in 1/1000 em, truncated as WeasyPrint truncates it. None when a glyph is not in
    the base's font or the line would not fit."""
    glyphs = span.shaper.shape(text) if span.shaper is not None else None
    if not glyphs:
        return None
    pieces = []
    width = 0.0
    for glyph, advance in glyphs:
        if glyph not in span.widths:
            return None
        logical = span.widths[glyph]
        kerning = int(logical - advance * 1000 / PANGO_SCALE / span.size)
        pieces.append(b"<%04x>" % glyph)
        if kerning:
            pieces.append(b"%d" % kerning)
        width += (logical - kerning) * span.size / 1000
    if width > span.width * FIT_MARGIN:
        return None
    return b"BT\n1 0 0 -1 %s %s Tm\n%s %s Tf\n[%s] TJ\nET" % (
        _number(x),
        _number(y),
        span.font.encode(),
        _number(span.size),
        b"".join(pieces),
    )


def _number(value: float) -> bytes:
    """A number as PDF writes it: no exponent, at most six decimals."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return (text if text not in ("-0", "") else "0").encode()


@dataclass(frozen=True)
class PdfBase:
    """A group's base PDF, checked, as a worker receives it: its layout with the marker
    lines (and the fonts they are set in), and the markers."""

    layout: Layout
    lines: tuple[str, ...]
    salutation: str | None

    @property
    def pdf(self) -> bytes:
        return self.layout.pdf

    def stamper(self) -> PdfStamper | None:
        return PdfStamper.from_base(self)


def pdf_markers(
    letter: ComposedLetter, chars: tuple[str, str]
) -> tuple[tuple[str, ...], str | None] | None:
    """The marker lines and salutation a group's base is laid out with, or None when the
    group's characters cannot be stamped."""
    address_chars, salutation_chars = chars
    lines = marker_lines(address_chars)
    if lines is None or not _usable(address_chars + salutation_chars):
        return None
    salutation = _marker_text(_scrambled(salutation_chars)) if letter.salutation else None
    while salutation is not None and salutation in lines:
        salutation += " " + PAD
    return lines, salutation


def proof_markers(
    lines: Sequence[str], salutation: str | None
) -> tuple[tuple[str, ...], str | None]:
    """The other addressee of the proof: one address line (so that a layout that follows the
    number of lines shows it), every character of it and of the salutation another one of
    the marker's (so that the font's glyphs stay the base's) than the marker has there."""
    alphabet = sorted(set("".join([*lines, salutation or ""])) - {" "})
    if len(alphabet) < 2:
        alphabet = sorted({*alphabet, PAD, "y"})
    following = {char: alphabet[(at + 1) % len(alphabet)] for at, char in enumerate(alphabet)}

    def other(text: str) -> str:
        return "".join(following.get(char, char) for char in text)

    line = other(lines[0])
    other_salutation = other(salutation) if salutation is not None else None
    while other_salutation is not None and other_salutation == line:
        other_salutation += " " + line
    return (line,), other_salutation


def pdf_base(
    letter: ComposedLetter, chars: tuple[str, str], variant: str | None, prove: bool = True
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
    full = layout_marker(letter, lines, salutation, variant)
    full_pdf = pikepdf.open(io.BytesIO(full.pdf))
    field = _find(full_pdf, full, lines, salutation)
    if field is None:
        return None
    if prove:
        other_lines, other_salutation = proof_markers(lines, salutation)
        other = layout_marker(letter, other_lines, other_salutation, variant, name="proof")
        other_pdf = pikepdf.open(io.BytesIO(other.pdf))
        other_field = _find(other_pdf, other, other_lines, other_salutation)
        if other_field is None:
            return None
        if _without_field(full_pdf, field) != _without_field(other_pdf, other_field):
            return None  # the page shows the addressee outside the field, or follows it
        if document_values(full_pdf) != document_values(other_pdf):
            return None  # the title, a bookmark, a link... names the addressee
    markers = [*lines, *([salutation] if salutation else [])]
    if _remnant(read_pdf_text(full.pdf), markers, _fragments(markers)) is not None:
        return None  # a marker shows outside the field: it would be in every letter
    # The workers need the files of the field's fonts only, not of every font the letter uses.
    used = {span.base_font for span in [*field[2], *([field[3]] if field[3] else [])]}
    fonts = {name: data for name, data in full.fonts.items() if name in used}
    return PdfBase(dataclasses.replace(full, fonts=fonts), tuple(lines), salutation)


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
                text = "".join(
                    leaf.text for leaf in child.descendants() if isinstance(leaf, boxes.TextBox)
                ).strip()
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
                    and style["font_feature_settings"] == "normal"
                    and style["font_variation_settings"] == "normal"
                )
                # The room a line has is its block's content width, not the line's own.
                found.setdefault(text, Line(child.position_x, box.width, plain))
            else:
                visit(child)

    for page in document.pages:
        visit(page._page_box)
    return Layout(pdf, found, _font_files(document))


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


_Instructions = list[Any]  # a page's pikepdf.ContentStreamInstruction list
_RawSpan = tuple[int, int, int, int, str, dict[str, Any]]


def _spans(document: pikepdf.Pdf) -> list[tuple[int, _Instructions, list[_RawSpan]]]:
    """Per page of a pikepdf.Pdf (kept open by the caller: the instructions point into it):
    its instructions and its marked-content text spans with their decoded text."""
    import pikepdf

    result = []
    for number, page in enumerate(document.pages):
        fonts: Any = page.Resources.get("/Font", {})
        maps = {str(name): _font_map(fonts[name]) for name in fonts}
        instructions = list(pikepdf.parse_content_stream(page))
        found = []
        stack: list[int] = []
        for index, instruction in enumerate(instructions):
            op = str(instruction.operator)
            if op in ("BDC", "BMC"):
                stack.append(index)
            elif op == "EMC" and stack:
                start = stack.pop()
                if not stack:
                    span = _decode(instructions, start, index, maps)
                    if span is not None:
                        found.append(span)
        result.append((number, instructions, found))
    return result


_FontMap = tuple[dict[bytes, str], dict[int, float], str]


def _decode(
    instructions: _Instructions, start: int, end: int, maps: dict[str, _FontMap | None]
) -> _RawSpan | None:
    """(start, end, BT, ET, text, info) of a span with one text object in one font."""
    import pikepdf

    bt = et = None
    font = None
    size = 0.0
    matrix = None
    text = []
    for index in range(start + 1, end):
        operands, operator = instructions[index]
        op = str(operator)
        if op == "BT":
            if bt is not None:
                return None
            bt = index
        elif op == "ET":
            et = index
        elif op == "Tf":
            if font is not None and str(operands[0]) != font:
                return None
            font, size = str(operands[0]), float(operands[1])
        elif op == "Tm":
            matrix = [float(value) for value in operands]
        elif op == "TJ":
            font_map = maps.get(font or "")
            if font_map is None:
                return None
            to_text = font_map[0]
            for item in operands[0]:
                if isinstance(item, pikepdf.String):
                    raw = bytes(item)
                    for i in range(0, len(raw), 2):
                        text.append(to_text.get(raw[i : i + 2], "\ufffd"))
        elif bt is not None and et is None and op not in ("Tm", "Tf", "TJ", "Tj"):
            return None  # something else inside the text object: not a plain line
    if bt is None or et is None or matrix is None or matrix[:4] != [1, 0, 0, -1] or not font:
        return None
    info = {"font": font, "size": size, "x": matrix[4], "y": matrix[5], "map": maps[font]}
    return (start, end, bt, et, "".join(text), info)


def _font_map(font: Any) -> _FontMap | None:
    """A Type0 Identity-H font's code -> text, glyph id -> width (1/1000 em) and name:
    WeasyPrint writes a glyph's id as its code."""
    if str(font.get("/Subtype")) != "/Type0" or str(font.get("/Encoding")) != "/Identity-H":
        return None
    if "/ToUnicode" not in font:
        return None
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    to_text: dict[bytes, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, value in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            to_text[bytes.fromhex(code)] = bytes.fromhex(value).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, value in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            first = int(value, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                to_text[code.to_bytes(2, "big")] = chr(first + offset)
    descendant = font.DescendantFonts[0]
    default = float(descendant.get("/DW", 1000))
    cid_width: dict[int, float] = {}
    w = list(descendant.get("/W", []))
    index = 0
    while index < len(w):
        first = int(w[index])
        if isinstance(w[index + 1], (list,)) or hasattr(w[index + 1], "as_list"):
            for offset, width in enumerate(w[index + 1]):
                cid_width[first + offset] = float(width)
            index += 2
        else:
            for cid in range(first, int(w[index + 1]) + 1):
                cid_width[cid] = float(w[index + 2])
            index += 3
    # Only the glyphs the base shows: the subset holds no outline for any other.
    widths = {
        int.from_bytes(code, "big"): cid_width.get(int.from_bytes(code, "big"), default)
        for code in to_text
    }
    return to_text, widths, str(font.get("/BaseFont", ""))


def _find(
    pdf: pikepdf.Pdf, layout: Layout, lines: Sequence[str], salutation: str | None
) -> tuple[int, _Instructions, list[_Span], _Span | None] | None:
    """(page, instructions, address spans, salutation span) of the marker, or None."""
    for number, instructions, spans in _spans(pdf):
        by_text: dict[str, list[_RawSpan]] = {}
        for span in spans:
            by_text.setdefault(span[4], []).append(span)
        if lines[0] not in by_text:
            continue
        picked: list[_RawSpan] = []
        for text in lines:  # in order; the pad lines repeat, so take them in turn
            after = [s for s in by_text.get(text, []) if not picked or s[0] > picked[-1][0]]
            if not after:
                return None
            picked.append(after[0])
        if salutation:
            if len(by_text.get(salutation, [])) != 1:
                return None
            picked.append(by_text[salutation][0])
        if any(span[4] not in layout.lines or not layout.lines[span[4]].plain for span in picked):
            return None
        made = [_make_span(span, layout) for span in picked]
        address = made[: len(lines)]
        if len({(s.font, s.size, s.x) for s in address}) != 1:
            return None
        pitches = {round(b.y - a.y, 3) for a, b in zip(address, address[1:], strict=False)}
        if len(pitches) > 1:
            return None
        return number, instructions, address, (made[-1] if salutation else None)
    return None


def _make_span(span: _RawSpan, layout: Layout) -> _Span:
    start, end, bt, et, text, info = span
    line = layout.lines[text]
    _to_text, widths, name = info["map"]
    font = layout.fonts.get(name)
    shaper = _Shaper(font, info["size"]) if font is not None else None
    return _Span(start, end, bt, et, info["font"], info["size"], info["x"], info["y"],
                 line.room, widths, name, shaper)  # fmt: skip


def _without_field(
    pdf: pikepdf.Pdf, found: tuple[int, _Instructions, list[_Span], _Span | None]
) -> list[list[tuple[str, list[str]]]]:
    """Every page's instructions with the field's marker spans (those ``_find`` found: not
    any other span that happens to show the same text) and MCID numbers left out."""
    page, _instructions, address, salutation = found
    drop: set[int] = set()
    for span in [*address, *([salutation] if salutation else [])]:
        drop.update(range(span.start, span.end + 1))
    pages = []
    for number, instructions, _spans_found in _spans(pdf):
        kept = []
        for index, (operands, operator) in enumerate(instructions):
            if number == page and index in drop:
                continue
            if str(operator) == "BDC":
                operands = [operands[0]]
            kept.append((str(operator), [repr(value) for value in operands]))
        pages.append(kept)
    return pages


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


# --------------------------------------------------------------------------------- DOCX


class DocxStamper:
    """A group's base DOCX; ``stamp`` writes one recipient's lines and salutation into it."""

    def __init__(self, entries: list[tuple[zipfile.ZipInfo, bytes]], document: str,
                 line: tuple[int, int], line_xml: str, extra: list[tuple[int, int]],
                 salutation: tuple[int, int] | None):  # fmt: skip
        self.deflated = [(info, _Deflated.of(raw)) for info, raw in entries]
        self.document = document
        self.line = line
        self.line_xml = line_xml
        self.extra = extra
        self.salutation = salutation

    @classmethod
    def for_group(cls, letter: ComposedLetter) -> DocxStamper | None:
        return docx_base(letter).stamper()

    @classmethod
    def from_base(cls, base: DocxBase) -> DocxStamper | None:
        """The stamper, or None when the markers are not where a recipient's lines can go."""
        lines = [DOCX_MARK.format("LINE", n) for n in range(2)]
        salutation = DOCX_MARK.format("SALUTATION", 0)
        with zipfile.ZipFile(io.BytesIO(base.docx)) as source:
            entries = [(info, source.read(info.filename)) for info in source.infolist()]
        names = [info.filename for info, _ in entries]
        if "word/document.xml" not in names:
            return None
        document = dict((info.filename, raw) for info, raw in entries)["word/document.xml"]
        text = document.decode("utf-8")
        for other_name, raw in entries:
            if other_name.filename != "word/document.xml" and b"LETTERSMITH-MARK" in raw:
                return None
        spans = []
        for marker in [*lines, *([salutation] if base.salutation else [])]:
            found = _paragraph(text, marker)
            if found is None:
                return None
            spans.append(found)
        first, second = spans[0], spans[1]
        if not (first[1] <= second[0]):
            return None
        line_xml = text[first[0] : first[1]]
        if line_xml.count(lines[0]) != 1:
            return None
        if text.count(DOCX_REMNANT) != len(spans):
            return None  # a piece of a marker outside its paragraphs would stay in every letter
        salutation_at = spans[2] if base.salutation else None
        return cls(entries, text, first, line_xml, [second], salutation_at)

    def stamp(self, letter: ComposedLetter) -> bytes | None:
        """The letter's DOCX, or None when its document still shows a piece of a marker."""
        from xml.sax.saxutils import escape

        lines = "".join(
            self.line_xml.replace(DOCX_MARK.format("LINE", 0), escape(line))
            for line in letter.addressees[0].lines
        )
        cuts = [(self.line[0], self.line[1], lines)]
        cuts += [(start, end, "") for start, end in self.extra]
        if self.salutation is not None:
            start, end = self.salutation
            paragraph = self.document[start:end]
            marker = DOCX_MARK.format("SALUTATION", 0)
            cuts.append((start, end, paragraph.replace(marker, escape(letter.salutation or ""))))
        pieces = []
        at = 0
        for start, end, new in sorted(cuts):
            pieces += [self.document[at:start], new]
            at = end
        pieces.append(self.document[at:])
        text = "".join(pieces)
        if DOCX_REMNANT in text:
            return None
        document = text.encode("utf-8")
        return _zip(
            (info, _Deflated.of(document) if info.filename == "word/document.xml" else deflated)
            for info, deflated in self.deflated
        )


@dataclass(frozen=True)
class DocxBase:
    """A group's base DOCX, as a worker receives it: the letter with marker paragraphs."""

    docx: bytes
    salutation: bool  # whether the letter has a salutation (and the base its marker)

    def stamper(self) -> DocxStamper | None:
        return DocxStamper.from_base(self)


def docx_base(letter: ComposedLetter) -> DocxBase:
    """The group's letter as a DOCX with a marker in each place a recipient's text goes."""
    from lettersmith.render.docx import render_docx

    lines = [DOCX_MARK.format("LINE", n) for n in range(2)]
    salutation = DOCX_MARK.format("SALUTATION", 0)
    data = render_docx(marker_letter(letter, lines, salutation))
    return DocxBase(data, bool(letter.salutation))


@dataclass(frozen=True)
class _Deflated:
    """A zip entry's data, compressed once."""

    data: bytes
    crc: int
    size: int

    @classmethod
    def of(cls, raw: bytes) -> _Deflated:
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        return cls(compressor.compress(raw) + compressor.flush(), zlib.crc32(raw), len(raw))


def _zip(entries: Iterable[tuple[zipfile.ZipInfo, _Deflated]]) -> bytes:
    """A zip file of already deflated entries (only the patched part is compressed again)."""
    out = io.BytesIO()
    central = []
    for info, entry in entries:
        name = info.filename.encode("utf-8")
        flags = 0x800 if not info.filename.isascii() else 0
        dostime = (info.date_time[3] << 11) | (info.date_time[4] << 5) | (info.date_time[5] // 2)
        dosdate = ((info.date_time[0] - 1980) << 9) | (info.date_time[1] << 5) | info.date_time[2]
        fields = (20, flags, zipfile.ZIP_DEFLATED, dostime, dosdate, entry.crc, len(entry.data),
                  entry.size, len(name))  # fmt: skip
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + name + entry.data)
        made_by = (3 << 8) | 20  # Unix, zip 2.0: as Python's zipfile writes it
        header = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, made_by, *fields, 0, 0, 0, 0,
                             info.external_attr, offset)  # fmt: skip
        central.append(header + name)
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                          len(directory), start, 0))  # fmt: skip
    return out.getvalue()


def _paragraph(text: str, marker: str) -> tuple[int, int] | None:
    """The start and end of the one ``<w:p>`` that holds ``marker``."""
    at = text.find(marker)
    if at < 0 or text.find(marker, at + 1) >= 0:
        return None
    start = max(text.rfind("<w:p>", 0, at), text.rfind("<w:p ", 0, at))
    end = text.find("</w:p>", at)
    if start < 0 or end < 0:
        return None
    return start, end + len("</w:p>")
