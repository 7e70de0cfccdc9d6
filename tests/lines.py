"""The lines of a PDF as a reader sees them on the page: text, place, width and size.

Read through pdfium's text page (each character's box), so that a test can measure what a
reader's eye meets: how ragged the right edge of a paragraph is, whether a header fits on one
line, where a block sits. ``python tests/lines.py FILE.pdf`` prints the rag of each paragraph.
"""

from __future__ import annotations

import ctypes
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c

MM = 72 / 25.4  # points in a millimetre


@dataclass(frozen=True, slots=True)
class Line:
    page: int  # from 1
    text: str
    left: float  # millimetres from the page's left edge
    right: float
    top: float  # millimetres from the page's top edge
    size: float  # the font size of its first character, in points

    @property
    def width(self) -> float:
        return self.right - self.left


def pdf_lines(data: bytes) -> list[Line]:
    """Every line of text on every page, in the text's order, as pdfium groups the characters."""
    pdf = pypdfium2.PdfDocument(data)
    lines: list[Line] = []
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            text = page.get_textpage()
            runs: list[list[tuple[str, tuple[float, float, float, float], float]]] = [[]]
            for index in range(text.count_chars()):
                char = text.get_text_range(index, 1)
                if char in ("\r", "\n"):
                    runs.append([])
                    continue
                size = pypdfium2.raw.FPDFText_GetFontSize(text.raw, index)
                runs[-1].append((char, text.get_charbox(index), size))
            lines.extend(_line(number + 1, page.get_height(), run) for run in runs if _shown(run))
            text.close()
            page.close()
    finally:
        pdf.close()
    return lines


def _shown(run: list[tuple[str, tuple[float, float, float, float], float]]) -> bool:
    return any(char.strip() for char, _, _ in run)


def _line(
    page: int, height: float, run: list[tuple[str, tuple[float, float, float, float], float]]
) -> Line:
    shown = [(box, size) for char, box, size in run if char.strip()]
    boxes = [box for box, _ in shown]
    return Line(
        page,
        "".join(char for char, _, _ in run).strip(),
        min(b[0] for b in boxes) / MM,
        max(b[2] for b in boxes) / MM,
        (height - max(b[3] for b in boxes)) / MM,
        shown[0][1],
    )


def marked_texts(data: bytes) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Per page, each text object's text and the marked-content tags it is drawn inside
    (``Span``, ``Artifact``...): what a screen reader reads and what it skips as furniture."""
    pdf = pypdfium2.PdfDocument(data)
    pages = []
    try:
        for page in pdf:
            text = page.get_textpage()
            found = []
            for obj in page.get_objects():
                if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                    found.append((_object_text(obj.raw, text.raw), _marks(obj.raw)))
            pages.append(found)
            text.close()
    finally:
        pdf.close()
    return pages


def _marks(raw: object) -> tuple[str, ...]:
    names = []
    for index in range(pdfium_c.FPDFPageObj_CountMarks(raw)):
        mark = pdfium_c.FPDFPageObj_GetMark(raw, index)
        buffer = (ctypes.c_ushort * 128)()
        pdfium_c.FPDFPageObjMark_GetName(mark, buffer, 256, ctypes.byref(ctypes.c_ulong()))
        names.append(_decode(buffer))
    return tuple(names)


def _object_text(raw: object, textpage: object) -> str:
    buffer = (ctypes.c_ushort * 1024)()
    pdfium_c.FPDFTextObj_GetText(raw, textpage, buffer, 2048)
    return _decode(buffer)


def _decode(buffer: ctypes.Array) -> str:
    return bytes(buffer).decode("utf-16-le", "replace").split("\x00", 1)[0]


def body_size(lines: list[Line]) -> float:
    """The size most lines are set in: the body's (pdfium's units, not points)."""
    return Counter(round(line.size, 1) for line in lines).most_common(1)[0][0]


def paragraphs(lines: list[Line], left: float, leading: float) -> list[list[Line]]:
    """The lines of body type (the commonest size, starting at the left margin ``left``)
    grouped into paragraphs: a new one where the step from the line above is more than the
    ``leading`` (millimetres from one line to the next)."""
    size = body_size(lines)
    found: list[list[Line]] = []
    previous: Line | None = None
    for line in lines:
        if abs(line.size - size) > 0.2 or abs(line.left - left) > 1.0:
            previous = None
            continue
        gap = None if previous is None or previous.page != line.page else line.top - previous.top
        if gap is None or gap > leading * 1.15:
            found.append([])
        found[-1].append(line)
        previous = line
    return found


def between(lines: list[Line], first: str, stop: str) -> list[Line]:
    """The lines from the one that starts with ``first`` up to the one that is ``stop``: the
    statement's title to the closing, say, leaving out the intro and the signature."""
    start = next(i for i, line in enumerate(lines) if line.text.startswith(first))
    end = next(i for i, line in enumerate(lines) if i > start and line.text == stop)
    return lines[start:end]


def rag(lines: list[Line], left: float, measure: float, leading: float) -> list[float]:
    """For each paragraph of two lines or more: its shortest line but the last, as a share of
    the measure (1.0: the line fills it)."""
    return [
        min(line.width for line in paragraph[:-1]) / measure
        for paragraph in paragraphs(lines, left, leading)
        if len(paragraph) > 1
    ]


def main(args: list[str]) -> None:
    """``FILE.pdf TITLE CLOSING``: the rag of the paragraphs from the title to the closing."""
    path, title, closing = args
    if True:
        lines = between(pdf_lines(Path(path).read_bytes()), title, closing)
        shares = rag(lines, 25.0, 145.0, 16 / MM)
        print(
            f"{path}: {len(shares)} paragraphs; shortest non-final line: "
            f"least {min(shares) * 145:.0f} mm ({min(shares):.0%}), "
            f"median {statistics.median(shares) * 145:.0f} mm ({statistics.median(shares):.0%}) "
            f"of 145 mm"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
