"""PNG images of a PDF's pages, so a letter can be looked at (or tested) without a PDF viewer."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdfium2 as pdfium

from lettersmith.atomic import OutDir, atomic_write
from lettersmith.confine import inside_out
from lettersmith.errors import RenderError
from lettersmith.translate import _

POINTS_PER_INCH = 72


def render_pngs(
    pdf_path: Path, out_dir: Path, *, dpi: int = 110, root: Path | None = None
) -> list[Path]:
    """Write ``<pdf stem>-1.png``, ``-2.png``, ... into ``out_dir``, one per page; return them.

    Pictures of pages an earlier, longer version had are removed, so the folder shows this one.
    With the workspace ``root``, ``out_dir`` must really be inside its out/ folder, and it is
    written and cleaned through folder handles (``OutDir``): a folder swapped for a link while
    the pages are drawn is refused, not followed.
    """
    out = OutDir(root) if root is not None else None
    if root is not None:
        inside_out(out_dir / "x.png", root)  # the common case, told before any work
    try:
        document = pdfium.PdfDocument(pdf_path)
    except pdfium.PdfiumError as error:
        raise RenderError(
            _("{pdf_path}: cannot read the PDF: {error}").format(pdf_path=pdf_path, error=error)
        ) from None
    written: list[Path] = []
    try:
        for number, page in enumerate(document, start=1):
            image = page.render(scale=dpi / POINTS_PER_INCH).to_pil()
            buffer = io.BytesIO()
            # Fast zlib, same pixels: ``optimize`` took 190 ms a page (80 dpi) and gave a
            # larger file than level 1 (35 ms); a 200-letter review spent 3/4 of its time here.
            image.save(buffer, format="PNG", compress_level=1)
            target = out_dir / f"{pdf_path.stem}-{number}.png"
            try:
                if out is not None:
                    written.append(out.write(target, buffer.getvalue()))
                else:
                    written.append(atomic_write(target, buffer.getvalue()))
            except OSError as error:
                raise RenderError(
                    _(
                        "{target}: cannot be written: {strerror}; check that you may write to "
                        "{out_dir}/ (or delete it: it is remade)"
                    ).format(target=target, strerror=error.strerror or error, out_dir=out_dir)
                ) from None
            page.close()
    finally:
        document.close()
    own_page = re.compile(rf"{re.escape(pdf_path.stem)}-\d+\.png")  # not recipient "a-1" of "a"
    names = out.names(out_dir) if out is not None else [p.name for p in out_dir.iterdir()]
    for name in names:  # pages the letter no longer has
        stale = out_dir / name
        if stale not in written and own_page.fullmatch(name):
            if out is not None:
                out.remove(stale)
            else:
                stale.unlink()
    return written
