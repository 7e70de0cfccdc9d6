"""The PDF and the DOCX (laid out by LibreOffice) of the same letter, measured line by line.

``python tests/parity.py`` (or ``make parity``) builds three letters from the example
workspace -- the reference letter, the Bergen club's letter and a three-page letter --
converts each DOCX with LibreOffice, prints where each key line lies in both files and how far
apart, and writes page 1 of both side by side to ``out/parity/<letter>-page1.png``.
``tests/test_parity.py`` asserts the same measures.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lettersmith.compose.resolve import resolve  # noqa: E402
from lettersmith.load.workspace import load  # noqa: E402
from lettersmith.model import ComposedLetter, Paragraph  # noqa: E402
from lettersmith.render.docx import render_docx  # noqa: E402
from lettersmith.render.html import address_field_fits  # noqa: E402
from lettersmith.render.pdf import render_pdf  # noqa: E402
from workspaces import REPO, copy_example  # noqa: E402

MM = 72 / 25.4  # points per millimetre
TOLERANCE_MM = 3.0
PREFIX = 24  # characters of a line searched for: enough to be unique, short enough not to wrap
LETTER = "menneskehandel-2024"


@dataclasses.dataclass(frozen=True)
class Place:
    page: int  # 1-based
    left: float  # mm from the page's left edge
    top: float  # mm from the page's top edge


def key_lines(letter: ComposedLetter, pages: int) -> dict[str, tuple[str, int]]:
    """Each key line's name -> (text searched for, page it must be on; 0 for any)."""
    first_body = next(
        "".join(span.text for span in block.spans)
        for block in letter.body
        if isinstance(block, Paragraph)
    )
    first_address_line = (
        letter.addressees[0].lines[0]
        if address_field_fits(letter.addressees)
        else letter.phrases.see_list
    )
    lines = {
        "sender line": (letter.return_address[: PREFIX + 20], 1),
        "first addressee line": (first_address_line[:PREFIX], 1),
        "date line": (letter.date_line, 1),
        "introduction": (letter.intro[: PREFIX + 20], 1),
        "title": (letter.title[:PREFIX], 1),
        "first body line": (first_body[:PREFIX], 1),
        "closing": (letter.closing, 0),
        "signatory's name": (letter.signature.name, 0),
    }
    if pages > 1:
        page_phrase = letter.phrases.page.format(page=2, pages=pages)
        lines[f"'{page_phrase}'"] = (page_phrase, 2)
    return lines


def places(pdf: bytes, text: str) -> list[Place]:
    """Every place where ``text`` starts in the PDF, in reading order."""
    document = pdfium.PdfDocument(pdf)
    found = []
    try:
        for number in range(len(document)):
            page = document[number]
            textpage = page.get_textpage()
            searcher = textpage.search(text, match_case=True)
            while (hit := searcher.get_next()) is not None:
                index, _count = hit
                left, _bottom, _right, top = textpage.get_charbox(index)
                height = page.get_height()
                found.append(Place(number + 1, left / MM, (height - top) / MM))
    finally:
        document.close()
    return found


def page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def locate(pdf: bytes, text: str, page: int) -> Place | None:
    """The key line's place: on ``page`` (any when 0); the return line is the one in the window,
    not the letterhead's name."""
    for place in places(pdf, text):
        if page and place.page != page:
            continue
        if place.page == 1 and place.top < 40 and page == 1:  # the letterhead above the window
            continue
        return place
    return None


def soffice_pdf(docx: bytes, folder: Path) -> bytes:
    """The DOCX as LibreOffice lays it out, as PDF bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "letter.docx"
    source.write_bytes(docx)
    profile = (folder / "lo-profile").as_uri()  # a private profile: runs never share a lock
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return (folder / "letter.pdf").read_bytes()


@dataclasses.dataclass(frozen=True)
class Measure:
    line: str
    pdf: Place | None
    docx: Place | None

    @property
    def offsets(self) -> tuple[float, float] | None:
        """(horizontal, vertical) mm, DOCX minus PDF; None when not on the same page."""
        if self.pdf is None or self.docx is None or self.pdf.page != self.docx.page:
            return None
        return self.docx.left - self.pdf.left, self.docx.top - self.pdf.top

    @property
    def ok(self) -> bool:
        offsets = self.offsets
        return offsets is not None and max(map(abs, offsets)) <= TOLERANCE_MM


def measure(letter: ComposedLetter, pdf: bytes, docx_pdf: bytes) -> list[Measure]:
    pages = page_count(pdf)
    return [
        Measure(name, locate(pdf, text, page), locate(docx_pdf, text, page))
        for name, (text, page) in key_lines(letter, pages).items()
    ]


def parity_letters(folder: Path) -> dict[str, ComposedLetter]:
    """The three letters: the reference letter, a club's, and one of three pages."""
    union = copy_example(folder / "union")
    ws = load(union)
    reference = resolve(ws, LETTER).letters[0]
    club = resolve(ws, LETTER, club="bergen").letters[0]
    long_root = copy_example(folder / "long")
    position = next((long_root / "positions").glob("*.md"))
    front, _, body = position.read_text(encoding="utf-8").partition("\n---\n")
    position.write_text(front + "\n---\n" + body + "\n" + body, encoding="utf-8")
    long = resolve(load(long_root), LETTER).letters[0]
    return {"reference": reference, "club": club, "three-pages": long}


def page1_png(pdf: bytes, dpi: int = 60) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()


def side_by_side(pdf: bytes, docx_pdf: bytes, title: str) -> Image.Image:
    """Page 1 of the PDF (left) and of the DOCX through LibreOffice (right)."""
    left, right = page1_png(pdf), page1_png(docx_pdf)
    picture = Image.new("RGB", (left.width + right.width + 30, max(left.height, right.height) + 24))
    picture.paste((255, 255, 255), (0, 0, picture.width, picture.height))
    picture.paste(left, (10, 20))
    picture.paste(right, (left.width + 20, 20))
    draw = ImageDraw.Draw(picture)
    draw.text((10, 4), f"{title}: PDF", fill=(0, 0, 0))
    draw.text((left.width + 20, 4), f"{title}: DOCX through LibreOffice", fill=(0, 0, 0))
    return picture


def report(name: str, measures: list[Measure]) -> str:
    rows = [
        f"{name}:",
        f"  {'key line':24} {'PDF page/x/y mm':>20} {'DOCX page/x/y mm':>20}  dx   dy",
    ]
    for m in measures:
        shown = [
            f"{p.page}/{p.left:5.1f}/{p.top:5.1f}" if p else "missing" for p in (m.pdf, m.docx)
        ]
        offsets = m.offsets
        delta = f"{offsets[0]:+5.1f} {offsets[1]:+5.1f}" if offsets else "  not on the same page"
        rows.append(f"  {m.line:24} {shown[0]:>20} {shown[1]:>20} {delta}{'' if m.ok else '  !'}")
    return "\n".join(rows)


def main() -> int:
    if shutil.which("soffice") is None:
        print("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
        return 1
    out = REPO / "out" / "parity"
    out.mkdir(parents=True, exist_ok=True)
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, letter in parity_letters(Path(tmp)).items():
            pdf = render_pdf(letter)
            docx_pdf = soffice_pdf(render_docx(letter), Path(tmp) / f"lo-{name}")
            measures = measure(letter, pdf, docx_pdf)
            failed |= not all(m.ok for m in measures)
            print(report(name, measures))
            picture = out / f"{name}-page1.png"
            side_by_side(pdf, docx_pdf, name).save(picture)
            print(f"  wrote {picture.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
