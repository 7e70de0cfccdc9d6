"""The PDF letter: its text in order, pages, the address list, the URL fetcher, PDF/A and tags."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from factories import BODY_LINES, make_letter, para
from lettersmith.errors import RenderError
from lettersmith.model import Addressee, Heading, ListBlock, Paragraph, Signature, Span
from lettersmith.render.html import blocks_html
from lettersmith.render.pdf import render_pdf
from readback import in_order, normalise

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def pages_text(pdf: bytes) -> list[str]:
    return [normalise(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def addressees(count: int) -> tuple[Addressee, ...]:
    return tuple(
        Addressee(
            f"k{i}", (f"Ordfører i kommune {i}", f"postmottak@k{i}.kommune.no"), "x@y.no", "K"
        )
        for i in range(1, count + 1)
    )


def override(root: Path, body: str) -> Path:
    folder = root / "clubs" / "bergen" / "templates"
    folder.mkdir(parents=True)
    (folder / "letter.html.j2").write_text(
        '{% extends "builtin/letter.html.j2" %}' + body, encoding="utf-8"
    )
    return folder


def test_every_line_in_order(tmp_path: Path) -> None:
    letter = make_letter(tmp_path)
    text = " ".join(pages_text(render_pdf(letter)))
    missing = in_order(
        text,
        [
            "Statsminister Jonas Gahr Støre",
            "postmottak@smk.dep.no",
            "Helse- og omsorgsminister Jan Kristian Vestre",
            "postmottak@hod.dep.no",
            "Halden, 10.12.2024",
            letter.intro,
            letter.title,
            *BODY_LINES,
            "Vennlig hilsen",
            "Karin Dahlberg Pettersen",
            "Unionspresident",
            "Soroptimist International Norgesunionen",
            "Soroptimist International er en verdensomspennende organisasjon.",
        ],
    )
    assert missing == []


def test_one_page_letter_has_no_page_number(tmp_path: Path) -> None:
    pages = pages_text(render_pdf(make_letter(tmp_path)))
    assert len(pages) == 1
    assert "Side" not in pages[0]


def test_long_letter_numbers_every_page(tmp_path: Path) -> None:
    body = tuple(para(f"Avsnitt {i}. " + "Det må lages en handlingsplan. " * 15) for i in range(40))
    pages = pages_text(render_pdf(make_letter(tmp_path, body=body)))
    assert len(pages) >= 3
    assert f"Side 2 av {len(pages)}" in pages[1]
    assert f"Side {len(pages)} av {len(pages)}" in pages[-1]
    assert pages[0].endswith(f"Side 1 av {len(pages)}")  # at the foot of page 1 too
    assert "Soroptimist International Norgesunionen Halden, 10.12.2024" in pages[1]


def test_closing_and_signature_stay_together(tmp_path: Path) -> None:
    # Grow the body a line at a time, so that the closing passes the foot of page 1.
    for count in range(20, 60, 2):
        body = tuple(para(f"Avsnitt {i}.") for i in range(count))
        pages = pages_text(render_pdf(make_letter(tmp_path, body=body)))
        for page in pages:
            if "Vennlig hilsen" in page:
                assert "Karin Dahlberg Pettersen Unionspresident" in page


def test_headings_and_list_starts_are_never_left_at_the_foot_of_a_page(tmp_path: Path) -> None:
    heading = Heading(1, (Span("Overskrift"),))
    items = ListBlock(False, ((para("Første punkt"),), (para("Andre punkt"),)))
    for count in range(24, 54):
        body = (*(para(f"Avsnitt {i}.") for i in range(count)), heading, para("Tekst."), items)
        pages = pages_text(render_pdf(make_letter(tmp_path, body=body)))
        for page in pages:
            if "Overskrift" in page:
                assert "Overskrift Tekst." in page
            if "Første punkt" in page:
                assert "Første punkt Andre punkt" in page


def test_many_addressees_go_to_a_list_after_the_signature(tmp_path: Path) -> None:
    letter = make_letter(tmp_path, addressees=addressees(9))
    text = " ".join(pages_text(render_pdf(letter)))
    order = ["Se adresseliste", "Halden, 10.12.2024", "Vennlig hilsen", "Karin Dahlberg Pettersen"]
    order += ["Adresseliste", *(line for a in letter.addressees for line in a.lines)]
    assert in_order(text, order) == []
    before_signature = text[: text.index("Vennlig hilsen")]
    assert "Ordfører i kommune" not in before_signature


def test_few_addressees_stay_in_the_window(tmp_path: Path) -> None:
    text = " ".join(pages_text(render_pdf(make_letter(tmp_path, addressees=addressees(3)))))
    assert "Se adresseliste" not in text and "Adresseliste" not in text


def test_club_paragraphs_follow_the_body_and_precede_the_closing(tmp_path: Path) -> None:
    letter = make_letter(tmp_path, appended=(para("I Bergen arbeider klubben med dette."),))
    text = " ".join(pages_text(render_pdf(letter)))
    assert in_order(text, ["To", "I Bergen arbeider klubben med dette.", "Vennlig hilsen"]) == []


def test_images_inside_the_workspace_are_embedded(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "signature.png").write_bytes(PNG_1X1)
    signature = Signature(
        "Karin Dahlberg Pettersen", "Unionspresident", tmp_path / "assets/signature.png"
    )
    pdf = pikepdf.open(io.BytesIO(render_pdf(make_letter(tmp_path, signature=signature))))
    images = [x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Image"]
    assert images


@pytest.mark.parametrize(
    "src", ["file:///etc/passwd", "http://example.org/x.png", "https://example.org/x.png"]
)
def test_template_override_cannot_fetch_outside_the_workspace(tmp_path: Path, src: str) -> None:
    folder = override(tmp_path, f'{{% block letterhead %}}<img src="{src}">{{% endblock %}}')
    with pytest.raises(RenderError, match=re.escape(src) + ": refused"):
        render_pdf(make_letter(tmp_path, template_dirs=(folder,)))


def test_relative_escape_from_the_workspace_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    root.mkdir()
    (tmp_path / "secret.png").write_bytes(PNG_1X1)
    folder = override(root, '{% block letterhead %}<img src="../secret.png">{% endblock %}')
    with pytest.raises(RenderError, match=r"secret\.png: refused: the file is outside"):
        render_pdf(make_letter(root, template_dirs=(folder,)))


def test_stylesheet_import_outside_the_workspace_is_refused(tmp_path: Path) -> None:
    folder = override(tmp_path, '{% block style %}@import "file:///etc/passwd";{% endblock %}')
    with pytest.raises(RenderError, match="file:///etc/passwd: refused"):
        render_pdf(make_letter(tmp_path, template_dirs=(folder,)))


def test_svg_logo_cannot_smuggle_a_reference_out(tmp_path: Path) -> None:
    # WeasyPrint swallows errors while drawing SVG; the refusal must still stop the build.
    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/>'
        "</svg>",
        encoding="utf-8",
    )
    letter = make_letter(tmp_path)
    letter = make_letter(tmp_path, sender=type(letter.sender)(name="Org", logo=logo))
    with pytest.raises(RenderError, match="file:///etc/passwd: refused"):
        render_pdf(letter)


def test_markdown_content_is_text_not_fetched(tmp_path: Path) -> None:
    sneaky = Paragraph(
        (
            Span('<img src="file:///etc/passwd"> og <img src="http://example.org/x.png"> '),
            Span("lenke", href="file:///etc/passwd"),
            Span(" og "),
            Span("lovdata", href="https://lovdata.no/x"),
        )
    )
    pdf = render_pdf(make_letter(tmp_path, body=(sneaky,)))
    text = " ".join(pages_text(pdf))
    assert '<img src="file:///etc/passwd"> og <img src="http://example.org/x.png"> lenke' in text
    links = [
        str(annot.A.URI)
        for page in pikepdf.open(io.BytesIO(pdf)).pages
        for annot in page.get("/Annots", [])
        if "/A" in annot and "/URI" in annot.A
    ]
    assert links == ["https://lovdata.no/x"]


def test_missing_image_is_a_render_error(tmp_path: Path) -> None:
    signature = Signature("Karin", None, tmp_path / "assets" / "gone.png")
    with pytest.raises(RenderError, match=r"gone\.png: refused: no such file"):
        render_pdf(make_letter(tmp_path, signature=signature))


def test_pdf_a_tagged_with_embedded_fonts_and_metadata(tmp_path: Path) -> None:
    pdf = pikepdf.open(io.BytesIO(render_pdf(make_letter(tmp_path))))
    meta = pdf.open_metadata(set_pikepdf_as_editor=False)
    assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
    assert meta["dc:title"] == "Tiden er inne for å få en handlingsplan mot menneskehandel"
    assert pdf.docinfo.Author == "Soroptimist International Norgesunionen"
    [intent] = pdf.Root.OutputIntents
    assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
    assert pdf.Root.MarkInfo.Marked is True
    assert pdf.Root.Lang == "nb"
    assert "/H1" in structure_types(pdf.Root.StructTreeRoot)
    fonts = list(all_fonts(pdf))
    assert fonts and all(embedded for _, embedded in fonts), fonts
    # The house fonts, shipped with lettersmith: the same on every machine.
    names = {name.split("+")[-1].replace("-", "") for name, _ in fonts}
    assert all(name.startswith("IBMPlex") for name in names), names
    assert any("Serif" in name for name in names) and any("Sans" in name for name in names)


def test_plain_variant_and_language(tmp_path: Path) -> None:
    pdf = pikepdf.open(io.BytesIO(render_pdf(make_letter(tmp_path, language="en"), variant=None)))
    assert "/OutputIntents" not in pdf.Root
    assert pdf.Root.Lang == "en"
    meta = pdf.open_metadata(set_pikepdf_as_editor=False)
    assert "pdfaid:part" not in meta


def structure_types(node: pikepdf.Object) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, pikepdf.Dictionary):
            if "/S" in current:
                found.add(str(current.S))
            kids = current.get("/K")
            if kids is not None:
                stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids])
    return found


def all_fonts(pdf: pikepdf.Pdf):
    """(name, embedded) for every font on every page, descending into Type0 fonts."""
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            for actual in font.get("/DescendantFonts", [font]):
                descriptor = actual.FontDescriptor
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                yield str(actual.BaseFont), embedded


def test_blocks_html_escapes_text_and_keeps_only_safe_links() -> None:
    blocks = (
        Heading(1, (Span("Tiltak & mål"),)),
        Paragraph(
            (
                Span("a < b & c > d", bold=True),
                Span("\n"),
                Span("lenke", href="https://lovdata.no/?a=1&b=2"),
                Span("skript", href="javascript:alert(1)"),
            )
        ),
        ListBlock(True, ((para("tre"),), (para("fire"),)), start=3),
    )
    assert blocks_html(blocks) == (
        "<h2>Tiltak &amp; mål</h2>\n"
        "<p><strong>a &lt; b &amp; c &gt; d</strong><br>"
        '<a href="https://lovdata.no/?a=1&amp;b=2">lenke</a>skript</p>\n'
        '<ol start="3"><li><p>tre</p></li><li><p>fire</p></li></ol>'
    )


def test_override_may_use_files_inside_the_workspace(tmp_path: Path) -> None:
    assets = tmp_path / "clubs" / "bergen" / "assets"
    assets.mkdir(parents=True)
    (assets / "logo.png").write_bytes(PNG_1X1)
    folder = override(
        tmp_path,
        '{% block letterhead %}<img src="clubs/bergen/assets/logo.png" alt="Bergen">'
        "<p>Soroptimist International Bergen</p>{% endblock %}",
    )
    pdf = render_pdf(make_letter(tmp_path, template_dirs=(folder,)))
    assert pages_text(pdf)[0].startswith("Soroptimist International Bergen")
    document = pikepdf.open(io.BytesIO(pdf))
    images = document.pages[0].Resources.XObject.values()
    assert [x for x in images if x.Subtype == "/Image"]


def test_numbered_lists_keep_their_start_and_code_keeps_its_lines(tmp_path: Path) -> None:
    # The DOCX numbers "5." and keeps the code's lines; the PDF must say the same.
    numbered = ListBlock(True, ((para("femte punkt"),), (para("sjette punkt"),)), start=5)
    code = Paragraph((Span("linje en\n    linje to", code=True),))
    pdf = render_pdf(make_letter(tmp_path, body=(numbered, code)))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "5." in text and "6." in text and "1." not in text
    assert re.search(r"linje en\n\s*linje to", text), text


def test_a_long_unbroken_address_line_stays_inside_the_window(tmp_path: Path) -> None:
    word = "Ein_svært_langt_namn_utan_mellomrom_" * 3
    letter = make_letter(tmp_path, addressees=(Addressee("x", (word, "a@b.no"), "a@b.no", "X"),))
    document = pdfium.PdfDocument(render_pdf(letter))
    text_page = document[0].get_textpage()
    mm = 72 / 25.4
    page_height = document[0].get_height()
    # The band of the address field, from the window's right edge (20 + 85 mm) to the page's.
    beside_window = text_page.get_text_bounded(
        left=106 * mm, right=210 * mm, top=page_height - 45 * mm, bottom=page_height - 90 * mm
    )
    assert "_" not in beside_window
    assert normalise(text_page.get_text_range()).count("Ein_") == 3
