"""The PDF side of stamping (see ``render/stamp.py``): a base PDF's marker lines found in its
content streams, and a recipient's lines set in their place.

A stamped line is shaped with HarfBuzz in the very font file the layout used, and written as
WeasyPrint writes a line: each glyph's id, then the difference between its width in the
font's ``/W`` and its shaped advance (the kerning). So a stamped line's glyphs are where the
per-letter layout puts them. What a letter changes (one content stream) is read back before
the file is used.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lettersmith.model import ComposedLetter
from lettersmith.render.stamp_html import Window, same_outside

if TYPE_CHECKING:
    import pikepdf

    from lettersmith.render.stamp import Coverage, PdfBase

# A recipient's line must be this much narrower than its line box: a line that nearly fills
# it might be broken by the layout engine where the stamp would not.
FIT_MARGIN = 0.97
# A run of this many characters of a marker line, found in a stamped letter, is a remnant of
# the marker: the letter is not used. The marker's characters are in an order no words have.
FRAGMENT = 4
PANGO_SCALE = 1024  # Pango's units per point: WeasyPrint's glyph widths are in them


def fragments(markers: Iterable[str]) -> frozenset[str]:
    """Every run of FRAGMENT characters of the markers (spaces left out, as in a read-back)."""
    found: set[str] = set()
    for marker in markers:
        text = "".join(marker.split())
        found.update(text[i : i + FRAGMENT] for i in range(len(text) - FRAGMENT + 1))
    return frozenset(found)


def remnant(text: str, own: Iterable[str], pieces: frozenset[str]) -> str | None:
    """One of the marker's ``pieces`` in ``text`` (read back, spaces and all) once the
    letter's own lines are taken out of it, or None."""
    rest = "".join(text.split())
    for line in own:
        rest = rest.replace("".join(line.split()), "\0", 1)
    return next((piece for piece in pieces if piece in rest), None)


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

    pdf: bytes = field(repr=False)
    lines: dict[str, Line]
    fonts: dict[str, tuple[bytes, int]] = field(repr=False)  # data, face index


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

    window: Window | None = None  # a workspace template's HTML around the field (stamp_html)

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
        cls, letter: ComposedLetter, chars: Coverage, variant: str | None
    ) -> PdfStamper | None:
        """The group's stamper, or None when the fast path would not give the same letter."""
        from lettersmith.render.stamp import pdf_base

        base = pdf_base(letter, chars, variant)
        return base.stamper() if base is not None else None

    @classmethod
    def from_base(cls, base: PdfBase) -> PdfStamper | None:
        """The stamper, or None when the marker is not where a recipient's lines can go.
        (``pdf_base`` read the base back whole: a marker anywhere else, and there is none.)"""
        import pikepdf

        markers = [*base.lines, *([base.salutation] if base.salutation else [])]
        pieces = fragments(markers)
        pdf = pikepdf.open(io.BytesIO(base.pdf))
        found = find_field(pdf, base.layout, base.lines, base.salutation)
        if found is None:
            return None
        page, instructions, spans, salutation_span = found
        stamper = cls(pdf, page, instructions, spans, salutation_span, pieces)
        stamper.window = base.window
        return stamper

    def stamp(self, letter: ComposedLetter) -> bytes | None:
        """The letter's PDF, or None if a line does not fit as the base's lines do or the
        file read back shows a piece of the marker."""
        lines = letter.addressees[0].lines
        if not lines or not self.address or self.file is None:
            return None
        if self.window is not None and not same_outside(letter, self.window):
            return None  # the template makes another letter of this recipient
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
        if remnant(" ".join(texts), own, self.fragments) is not None:
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
        instructions: list[Any] = pikepdf.parse_content_stream(scratch.make_stream(contents))
        for operands, operator in instructions:
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


def find_field(
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


def without_field(
    pdf: pikepdf.Pdf, found: tuple[int, _Instructions, list[_Span], _Span | None]
) -> list[list[tuple[str, list[str]]]]:
    """Every page's instructions with the field's marker spans (those ``find_field`` found: not
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
