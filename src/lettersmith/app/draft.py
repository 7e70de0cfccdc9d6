"""A position's unsaved text, shown as the pages of a letter, while it is being typed.

The draft is read as the saved file would be (``load.pending``: the workspace is loaded with
the draft in place of ``positions/<id>.md``, nothing written), composed into a letter that uses
the position (the first letter naming it; with none, a sample addressed to the first
recipient and signed by the first signatory), laid out by WeasyPrint in this process and
drawn to PNG in memory. Nothing goes to out/.

Speed: WeasyPrint's fonts and the letter's templates are loaded the first time and kept by
the process (``render.templates`` caches its environment, WeasyPrint its fonts), so the first
picture costs a few seconds and every later one a fraction of one; ``warm_up`` pays the first
cost ahead, from a thread, when a long-lived program starts. The PDF/A conversion, the
statement check and the signature are left out: a preview is not what leaves.
"""

from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import dataclass
from pathlib import Path

from lettersmith.errors import LettersmithError
from lettersmith.load import pending, workspace
from lettersmith.translate import _

MAX_DRAFT = 200_000  # characters: a statement is a few thousand
MAX_PAGES_SHOWN = 12
SAMPLE_LETTER = "lettersmith-preview"
POINTS_PER_INCH = 72
# One preview drawn at a time: a web server's threads typing at once queue here rather than
# share WeasyPrint and pdfium (neither promises to be safe across threads) and the two cores.
_drawing = threading.Lock()


@dataclass(frozen=True)
class DraftPreview:
    """PNG pictures of the pages, and which letter (and recipient) they show."""

    pages: tuple[bytes, ...]
    pdf: bytes  # the pages as a PDF (plain, unsigned: not what leaves)
    letter: str  # the letter's id, or SAMPLE_LETTER for a sample
    addressed_to: tuple[str, ...]
    sample: bool


def preview_draft(
    root: Path, position: str, text: str, *, letter: str | None = None, dpi: int = 60
) -> DraftPreview:
    """The pages of a letter with ``text`` as positions/POSITION.md; problems in the draft
    raise (``WorkspaceError``, as ``check`` words them)."""
    if len(text) > MAX_DRAFT:
        raise LettersmithError(
            _("the text is longer than {limit:,} characters; shorten it").format(limit=MAX_DRAFT)
        )
    rel = f"positions/{position}.md"
    files = {rel: text}
    with pending.pending(files):
        ws = workspace.load(root, warn=lambda _text: None)
    chosen = letter or next((s.id for s in ws.letters.values() if s.position == position), None)
    sample = chosen is None
    if sample:
        if not ws.recipients or not ws.signatories:
            raise LettersmithError(
                _(
                    "no letter uses this position, and a sample needs a recipient in "
                    "recipients.yaml and a signatory in lettersmith.yaml"
                )
            )
        files[f"letters/{SAMPLE_LETTER}.yaml"] = (
            f"position: {position}\nto: [{next(iter(ws.recipients))}]\n"
            f"signatory: {next(iter(ws.signatories))}\n"
        )
        with pending.pending(files):
            ws = workspace.load(root, warn=lambda _text: None)
        chosen = SAMPLE_LETTER
    assert chosen is not None
    from lettersmith.compose.resolve import resolve

    mailing = resolve(ws, chosen)
    if mailing.spec.position != position:
        raise LettersmithError(
            _("letter '{letter}' does not use position '{position}'").format(
                letter=chosen, position=position
            )
        )
    composed = mailing.letters[0]
    from lettersmith.render.pdf import render_pdf

    with _drawing:
        pdf = render_pdf(composed, variant=None)
        pages = tuple(_pages(pdf, dpi))
    return DraftPreview(
        pages,
        pdf,
        chosen,
        tuple(a.id for a in composed.addressees),
        sample,
    )


def _pages(pdf: bytes, dpi: int) -> list[bytes]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for number, page in enumerate(document):
            if number >= MAX_PAGES_SHOWN:
                break
            buffer = io.BytesIO()
            page.render(scale=dpi / POINTS_PER_INCH).to_pil().save(buffer, format="PNG")
            pages.append(buffer.getvalue())
            page.close()
    finally:
        document.close()
    return pages


def warm_up(root: Path | None = None) -> None:
    """Load WeasyPrint, its fonts and (with the workspace ``root``) the letter's templates now,
    by drawing one preview, so that the person's first one is as quick as the next."""
    from weasyprint import HTML

    HTML(string="<p>Æ</p>").write_pdf()
    if root is None:
        return
    with contextlib.suppress(LettersmithError, OSError):  # a broken workspace: warm enough
        positions = sorted((root / "positions").glob("*.md"))
        if positions:
            text = positions[0].read_text(encoding="utf-8")
            preview_draft(root, positions[0].stem, text)
