"""The DOCX side of stamping (see ``render/stamp.py``): a base DOCX with marker paragraphs
where a recipient's lines and salutation go, and a recipient's text written into them part by
part (only ``word/document.xml`` is compressed again).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from lettersmith.model import ComposedLetter

DOCX_MARK = "LETTERSMITH-MARK-{}-{}"
DOCX_REMNANT = "LETTERSMITH-MARK"  # what every DOCX marker holds, and no letter should
ZIP_LEVEL = 9  # docx_package.ZIP_LEVEL, the level every part of a DOCX is compressed at


class DocxStamper:
    """A group's base DOCX; ``stamp`` writes one recipient's lines and salutation into it."""

    def __init__(self, entries: list[tuple[zipfile.ZipInfo, bytes]], document: str,
                 line: tuple[int, int], line_xml: str, extra: list[tuple[int, int]],
                 salutation: tuple[int, int] | None,
                 glyphs: frozenset[str] | None = None):  # fmt: skip
        self.deflated = [(info, _Deflated.of(raw)) for info, raw in entries]
        self.document = document
        self.line = line
        self.line_xml = line_xml
        self.extra = extra
        self.salutation = salutation
        self.glyphs = glyphs

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
        return cls(entries, text, first, line_xml, [second], salutation_at, base.glyphs)

    def stamp(self, letter: ComposedLetter) -> bytes | None:
        """The letter's DOCX, or None when its document still shows a piece of a marker or
        its address or salutation has a character the base's fonts do not hold (that letter
        is made whole, with that character's glyph)."""
        from xml.sax.saxutils import escape

        written = "".join(letter.addressees[0].lines) + (letter.salutation or "")
        if self.glyphs is not None and not set(written) <= self.glyphs:
            return None

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
    glyphs: frozenset[str] | None = None  # the characters its fonts hold; None: any

    def stamper(self) -> DocxStamper | None:
        return DocxStamper.from_base(self)


def docx_base(letter: ComposedLetter) -> DocxBase:
    """The group's letter as a DOCX with a marker in each place a recipient's text goes."""
    from lettersmith.render.docx import docx_and_glyphs
    from lettersmith.render.stamp import marker_letter

    lines = [DOCX_MARK.format("LINE", n) for n in range(2)]
    salutation = DOCX_MARK.format("SALUTATION", 0)
    # The markers are ASCII, which the fonts hold anyway: the base's fonts are those of any
    # letter of the group whose address and salutation use no other character.
    data, glyphs = docx_and_glyphs(marker_letter(letter, lines, salutation))
    return DocxBase(data, bool(letter.salutation), glyphs)


@dataclass(frozen=True)
class _Deflated:
    """A zip entry's data, compressed once."""

    data: bytes
    crc: int
    size: int

    @classmethod
    def of(cls, raw: bytes) -> _Deflated:
        compressor = zlib.compressobj(ZIP_LEVEL, zlib.DEFLATED, -15)
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
