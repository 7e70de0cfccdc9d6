"""What page 1 looks like: the address in the envelope window, and a golden image of the page.

After an intended change of the layout, regenerate the image with ``make refresh-golden``
(``tests/golden/refresh.py``), look at ``tests/golden/letter-page1.png``, and commit it.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops, ImageStat

from factories import make_letter, para
from lettersmith.model import Addressee, ComposedLetter, Sender, Signature
from lettersmith.render.pdf import render_pdf

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_PAGE1 = GOLDEN_DIR / "letter-page1.png"
GOLDEN_DPI = 60
# Anti-aliasing differs a little between pdfium builds; a moved block differs by far more.
MAX_MEAN_DIFFERENCE = 1.0  # grey levels, 0-255
MAX_CHANGED_PIXELS = 0.002  # share of pixels that differ by more than a quarter of the range

POINTS_PER_MM = 72 / 25.4
# The window of a DIN 5008 form B / Norwegian C5 envelope, in mm from the page's top left.
WINDOW = (20.0, 45.0, 105.0, 90.0)  # left, top, right, bottom

REFERENCE_BODY = (
    "Menneskehandel er et stort nasjonalt og internasjonalt problem som må få mer oppmerksomhet.",
    "Utnyttelsen foregår på tvers av landegrensene. En handlingsplan må forplikte regjeringen til "
    "å iverksette tiltak både på nasjonalt og internasjonalt nivå, og det må følge ressurser med.",
    "Omfanget av menneskehandelen som foregår i Norge og hva det omfatter må gjøres bedre kjent "
    "for allmenheten. Det må utarbeides en handlingsplan med konkrete tiltak. Det må være lett å "
    "varsle dersom det er mistanke om pågående menneskehandel.",
    "Soroptimist International Norgesunionen (SI Norge) ser med stor bekymring på den omfattende "
    "menneskehandelen som foregår både i Norge og internasjonalt.",
    "Ifølge koordineringsenheten mot menneskehandel (KOM) er prostitusjon og utnyttelse til andre "
    "seksuelle formål det som forekommer hyppigst. Det er et klart flertall kvinner og jenter som "
    "er utsatt.",
    "Humanitære kriser og konflikt forsterker menneskers sårbarhet, noe menneskehandlere utnytter. "
    "Menneskehandel har høy profitt, men lav risiko for gjerningspersonene.",
    "Menneskehandel er definert i Straffeloven av 2005 § 257.",
)


def reference_letter(root: Path) -> ComposedLetter:
    """The reference letter's page 1, with the golden folder's own logo and signature."""
    for name in ("logo.svg", "signature.png"):
        shutil.copyfile(GOLDEN_DIR / name, root / name)
    ministers = [
        ("smk", "Statsminister Jonas Gahr Støre"),
        ("hod", "Helse- og omsorgsminister Jan Kristian Vestre"),
        ("jd", "Justis – og beredskapsminister Emilie Enger Mehl"),
    ]
    return make_letter(
        root,
        sender=Sender(
            name="Soroptimist International Norgesunionen",
            address=("Postboks 1", "1751 Halden"),
            email="post@example.org",
            logo=root / "logo.svg",
        ),
        addressees=tuple(
            Addressee(key, (line, f"postmottak@{key}.dep.no"), f"postmottak@{key}.dep.no", line)
            for key, line in ministers
        ),
        body=tuple(para(text) for text in REFERENCE_BODY),
        signature=Signature("Karin Dahlberg Pettersen", "Unionspresident", root / "signature.png"),
    )


def page1_image(pdf: bytes, dpi: int = GOLDEN_DPI) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("L")
    finally:
        document.close()


def differences(image: Image.Image, golden: Image.Image) -> tuple[float, float]:
    """Mean grey-level difference, and the share of pixels that changed a lot."""
    diff = ImageChops.difference(image, golden)
    changed = sum(diff.point(lambda v: 255 if v > 64 else 0).histogram()[255:])
    return ImageStat.Stat(diff).mean[0], changed / (diff.width * diff.height)


def test_page1_matches_the_golden_image(tmp_path: Path) -> None:
    if not GOLDEN_PAGE1.exists():
        pytest.fail(f"{GOLDEN_PAGE1} is missing: run `make refresh-golden`")
    image = page1_image(render_pdf(reference_letter(tmp_path)))
    golden = Image.open(GOLDEN_PAGE1).convert("L")
    assert image.size == golden.size
    mean, changed = differences(image, golden)
    if mean > MAX_MEAN_DIFFERENCE or changed > MAX_CHANGED_PIXELS:
        image.save(tmp_path / "letter-page1-actual.png")
        pytest.fail(
            f"page 1 differs from {GOLDEN_PAGE1.name} (mean {mean:.2f}, changed {changed:.2%}); "
            f"see {tmp_path / 'letter-page1-actual.png'}; if the change is intended, run "
            "`make refresh-golden`"
        )


def test_a_moved_address_would_fail_the_comparison(tmp_path: Path) -> None:
    """The tolerance is tight enough to catch an address moved by 5 mm."""
    golden = page1_image(render_pdf(reference_letter(tmp_path)))
    moved = Image.new("L", golden.size, 255)
    moved.paste(golden)
    field = tuple(round(v * GOLDEN_DPI / 25.4) for v in WINDOW)
    moved.paste(255, field)
    moved.paste(golden.crop(field), (field[0], field[1] + round(5 * GOLDEN_DPI / 25.4)))
    mean, changed = differences(moved, golden)
    assert mean > MAX_MEAN_DIFFERENCE or changed > MAX_CHANGED_PIXELS


def text_box(page: pdfium.PdfPage, text: str) -> tuple[float, float, float, float]:
    """The box around ``text`` on ``page``, in mm from the top left: left, top, right, bottom."""
    textpage = page.get_textpage()
    found = textpage.search(text, match_case=True).get_next()
    assert found, f"{text!r} not on the page"
    index, count = found
    boxes = [textpage.get_charbox(i) for i in range(index, index + count)]
    height = page.get_height()
    left = min(b[0] for b in boxes)
    right = max(b[2] for b in boxes)
    top = height - max(b[3] for b in boxes)
    bottom = height - min(b[1] for b in boxes)
    return tuple(v / POINTS_PER_MM for v in (left, top, right, bottom))  # type: ignore[return-value]


def test_address_lies_inside_the_envelope_window(tmp_path: Path) -> None:
    letter = reference_letter(tmp_path)
    document = pdfium.PdfDocument(render_pdf(letter))
    page = document[0]
    left, top, right, bottom = WINDOW
    for addressee in letter.addressees:
        for line in addressee.lines:
            box = text_box(page, line)
            assert left <= box[0] and box[2] <= right and top <= box[1] and box[3] <= bottom, (
                line,
                box,
            )
    sender = text_box(page, "Soroptimist International Norgesunionen, Postboks 1")
    # The return line is inside the window (the envelope hides what is above it), at its top,
    # and starts on the body's left edge, as the addressees do.
    assert top <= sender[1] and sender[3] <= top + 5
    first = text_box(page, letter.addressees[0].lines[0])
    body = text_box(page, "Soroptimist International Norgesunionen vedtok")
    assert sender[0] == pytest.approx(body[0], abs=0.5)
    assert first[0] == pytest.approx(body[0], abs=0.5)
    date = text_box(page, letter.date_line)
    assert date[0] > right, "the date line is on the right"
    assert bottom - 5 <= date[3] <= bottom, "the date line is level with the field's last line"
    intro = text_box(page, "Soroptimist International Norgesunionen vedtok")
    assert intro[1] > bottom, "the letter starts below the window"
    document.close()


def test_address_field_does_not_depend_on_the_recipients(tmp_path: Path) -> None:
    """One addressee or three: the date line and the letter's start do not move."""
    three = reference_letter(tmp_path)
    one = dataclasses.replace(three, addressees=three.addressees[:1])
    positions = []
    for letter in (one, three):
        document = pdfium.PdfDocument(render_pdf(letter))
        page = document[0]
        positions.append((*text_box(page, letter.date_line), *text_box(page, letter.title)))
        document.close()
    assert positions[0] == pytest.approx(positions[1], abs=0.01)
