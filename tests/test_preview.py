"""Previews: one PNG per page of a letter's PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from factories import make_letter, para
from lettersmith.errors import RenderError
from lettersmith.render.pdf import render_pdf
from lettersmith.render.preview import render_pngs


def test_one_png_per_page_named_after_the_pdf(tmp_path: Path) -> None:
    body = tuple(para(f"Avsnitt {i}. " + "Det må lages en handlingsplan. " * 15) for i in range(6))
    pdf = tmp_path / "menneskehandel-2024.pdf"
    pdf.write_bytes(render_pdf(make_letter(tmp_path, body=body)))
    out = tmp_path / "preview"

    written = render_pngs(pdf, out, dpi=50)

    assert len(PdfReader(pdf).pages) == 2

    assert [p.name for p in written] == ["menneskehandel-2024-1.png", "menneskehandel-2024-2.png"]
    assert sorted(out.iterdir()) == written, "no partial files left behind"
    for path in written:
        with Image.open(path) as image:
            assert image.format == "PNG"
            width, height = image.size
            assert abs(width - 210 / 25.4 * 50) <= 1 and abs(height - 297 / 25.4 * 50) <= 1  # A4
            # Not a blank page: some pixels are dark (text).
            assert image.convert("L").getextrema()[0] < 128


def test_dpi_sets_the_size(tmp_path: Path) -> None:
    pdf = tmp_path / "brev.pdf"
    pdf.write_bytes(render_pdf(make_letter(tmp_path)))
    [path] = render_pngs(pdf, tmp_path, dpi=110)
    with Image.open(path) as image:
        assert abs(image.width - 210 / 25.4 * 110) <= 1


def test_a_file_that_is_not_a_pdf_is_a_render_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_text("not a pdf")
    with pytest.raises(RenderError, match=r"broken\.pdf: cannot read the PDF"):
        render_pngs(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_that_cannot_be_written_is_a_render_error(tmp_path: Path) -> None:
    pdf = tmp_path / "brev.pdf"
    pdf.write_bytes(render_pdf(make_letter(tmp_path)))
    (tmp_path / "preview").write_text("a file where the folder goes")
    with pytest.raises(RenderError, match=r"preview/brev-1\.png: cannot be written: "):
        render_pngs(pdf, tmp_path / "preview")


def test_pictures_of_pages_a_shorter_version_no_longer_has_are_removed(tmp_path: Path) -> None:
    long_body = tuple(para("Det må lages en handlingsplan. " * 15) for _ in range(6))
    pdf = tmp_path / "brev.pdf"
    out = tmp_path / "preview"
    pdf.write_bytes(render_pdf(make_letter(tmp_path, body=long_body)))
    assert len(render_pngs(pdf, out, dpi=30)) == 2
    (out / "annet-1.png").write_bytes(b"another letter's picture")
    (out / "brev-2-1.png").write_bytes(b"recipient brev-2's picture")

    pdf.write_bytes(render_pdf(make_letter(tmp_path)))
    render_pngs(pdf, out, dpi=30)

    assert sorted(p.name for p in out.iterdir()) == ["annet-1.png", "brev-1.png", "brev-2-1.png"]
