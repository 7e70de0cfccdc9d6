"""The fast path (a group's letter laid out once, each address stamped in) makes the letters
the per-letter path makes: same text, same line positions (within 0.5 mm), same fonts
embedded, PDF/A markers and tags; the DOCX the same document."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pikepdf
import pypdf
import pytest

from lettersmith.compose.resolve import resolve
from lettersmith.load import workspace
from lettersmith.render import build, locked, stamp
from lettersmith.render.docx import render_docx
from lettersmith.render.pdf import render_pdf
from workspaces import minimal

VARIANT = "pdf/a-3b"
MM = 72 / 25.4
PARAGRAPH = (
    "Kommunen må sikre at alle barn får et trygt skoletilbud, og at ressursene følger "
    "behovene der de oppstår, både i byene og i distriktene. "
) * 3


def recipients(*extra: str) -> str:
    entries = [
        "a:\n  title: Ordfører\n  name: Anne Ås\n  email: a@a.example.no\n  tags: [alle]\n",
        "b:\n  title: Rådmann\n  name: Bjørn Bø-Øvrebø\n  organisation: Bø kommune\n"
        "  address: [Postboks 12, 3800 Bø i Telemark]\n  email: b@b.example.no\n  tags: [alle]\n",
        "c:\n  name: Cecilie Ødegård\n  organisation: Fjordsiden skolekrets\n"
        "  address: [Skolevegen 1, Inngang B, 2. etasje, 6800 Førde]\n"
        "  email: c@c.example.no\n  tags: [alle]\n",
    ]
    return "".join(entries + list(extra))


def letters(tmp_path: Path, paragraphs: int = 1, extra: str = "", **files: str):
    body = "\n\n".join([PARAGRAPH] * paragraphs)
    position = (
        f"---\ntitle: En viktig sak\nadopted_by: Årsmøtet\nadopted_on: 2025-03-01\n---\n{body}\n"
    )
    changes = {
        "recipients.yaml": recipients(extra),
        "positions/sak.md": position,
        "letters/brev.yaml": "position: sak\nto: [tag:alle]\nmode: each\ndate: 2025-03-10\n"
        "signatory: leder\n",
        **files,
    }
    ws = workspace.load(minimal(tmp_path, changes))
    return list(resolve(ws, "brev").letters)


def stamped(group: list) -> list[tuple[bytes, bytes]]:
    """(fast, per-letter) PDFs of each letter in one group."""
    stamper = stamp.PdfStamper.for_group(group[0], stamp.coverage(group), VARIANT)
    assert stamper is not None, "the built-in template's address field should be stampable"
    pairs = []
    for letter in group:
        fast = stamper.stamp(letter)
        assert fast is not None, letter.addressees[0].lines
        pairs.append((fast, render_pdf(letter, variant=VARIANT)))
    return pairs


def text_lines(pdf: bytes) -> list[list[tuple[float, float, str]]]:
    """Per page, each line of text: its left edge and baseline (pt) and its text."""
    pages = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        pieces: list[tuple[float, float, str]] = []

        def visit(text, cm, tm, _font, _size, pieces=pieces):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                pieces.append((x, y, text.strip()))

        page.extract_text(visitor_text=visit)
        lines: dict[int, list[tuple[float, float, str]]] = {}
        for x, y, text in pieces:
            lines.setdefault(round(y * 4), []).append((x, y, text))
        pages.append(
            sorted(
                (min(p[0] for p in line), line[0][1], " ".join(p[2] for p in sorted(line)))
                for line in lines.values()
            )
        )
    return pages


def assert_same_lines(fast: bytes, slow: bytes) -> None:
    fast_pages, slow_pages = text_lines(fast), text_lines(slow)
    assert len(fast_pages) == len(slow_pages)
    for fast_lines, slow_lines in zip(fast_pages, slow_pages, strict=True):
        assert [line[2] for line in fast_lines] == [line[2] for line in slow_lines]
        for (fx, fy, text), (sx, sy, _) in zip(fast_lines, slow_lines, strict=True):
            assert abs(fx - sx) <= 0.5 * MM and abs(fy - sy) <= 0.5 * MM, text


def fonts(pdf: bytes) -> dict[str, set[str]]:
    """Each embedded font (subset prefix dropped) and the characters its ToUnicode maps."""
    found: dict[str, set[str]] = {}
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for name in page.Resources.Font:
                font = page.Resources.Font[name]
                descriptor = font.DescendantFonts[0].FontDescriptor
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
                cmap = font.ToUnicode.read_bytes().decode("latin-1")
                chars = {
                    bytes.fromhex(value).decode("utf-16-be")
                    for value in re.findall(r"<[0-9a-fA-F]+>\s*<([0-9a-fA-F]+)>", cmap)
                }
                found.setdefault(str(font.BaseFont).split("+")[-1], set()).update(chars)
    return found


def archive_markers(pdf: bytes) -> dict:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        meta = document.open_metadata()
        return {
            "part": meta.get("pdfaid:part"),
            "conformance": meta.get("pdfaid:conformance"),
            "intents": len(document.Root.OutputIntents),
            "marked": bool(document.Root.MarkInfo.Marked),
            "lang": str(document.Root.Lang),
            "version": document.pdf_version,
        }


def tagged_text(pdf: bytes) -> list[tuple[str, str]]:
    """The structure tree in reading order: (element type, its text), empty elements left out."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        content: dict[tuple[int, int], str] = {}
        for number, page in enumerate(document.pages):
            fonts_here = {
                str(name): _to_unicode(page.Resources.Font[name]) for name in page.Resources.Font
            }
            mcid, font, text = None, None, []
            for operands, operator in pikepdf.parse_content_stream(page):
                op = str(operator)
                if op == "BDC" and "/MCID" in operands[1]:
                    mcid, text = int(operands[1].MCID), []
                elif op == "EMC" and mcid is not None:
                    content[(number, mcid)] = "".join(text)
                    mcid = None
                elif op == "Tf":
                    font = str(operands[0])
                elif op == "TJ" and mcid is not None:
                    for item in operands[0]:
                        if isinstance(item, pikepdf.String):
                            raw = bytes(item)
                            text += [
                                fonts_here[font].get(raw[i : i + 2], "?")
                                for i in range(0, len(raw), 2)
                            ]
        pages = {page.objgen: number for number, page in enumerate(document.pages)}
        out: list[tuple[str, str]] = []

        def walk(node: pikepdf.Dictionary, page: int | None = None) -> None:
            if "/Pg" in node:
                page = pages[node.Pg.objgen]
            kids = node.get("/K")
            if kids is None:
                return
            texts = []
            for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary):
                    walk(kid, page)
                else:  # a marked-content id on the page
                    texts.append(content.get((page, int(kid)), ""))
            if "".join(texts).strip():
                out.append((str(node.get("/S")), "".join(texts)))

        walk(document.Root.StructTreeRoot)
        return out


def _to_unicode(font) -> dict[bytes, str]:
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    return {
        bytes.fromhex(code): bytes.fromhex(value).decode("utf-16-be")
        for code, value in re.findall(r"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]+)>", cmap)
    }


def assert_sound(pdf: bytes) -> None:
    """The file reads without repair: its cross-reference table points at every object,
    and no two letters share an identifier."""
    with pikepdf.open(io.BytesIO(pdf), attempt_recovery=False) as document:
        assert document.check_pdf_syntax() == []
        assert len(document.trailer.ID) == 2
    pypdf.PdfReader(io.BytesIO(pdf), strict=True).pages[0].extract_text()


def assert_same_pdf(fast: bytes, slow: bytes, letter) -> None:
    assert_sound(fast)
    assert_same_lines(fast, slow)
    assert archive_markers(fast) == archive_markers(slow)
    assert archive_markers(fast)["part"] == "3"
    fast_fonts, slow_fonts = fonts(fast), fonts(slow)
    assert fast_fonts.keys() == slow_fonts.keys()
    for name, chars in slow_fonts.items():
        assert chars <= fast_fonts[name], name  # every glyph the letter shows is embedded
    assert tagged_text(fast) == tagged_text(slow)
    address = " ".join(letter.addressees[0].lines)
    assert any(address.startswith(text) for _kind, text in tagged_text(fast)), address


@pytest.mark.parametrize("paragraphs, pages", [(1, 1), (6, 2), (14, 3)])
def test_fast_pdf_equals_per_letter_pdf(tmp_path: Path, paragraphs: int, pages: int) -> None:
    group = letters(tmp_path, paragraphs)
    pairs = stamped(group)
    for (fast, slow), letter in zip(pairs, group, strict=True):
        assert len(pypdf.PdfReader(io.BytesIO(slow)).pages) == pages
        assert_same_pdf(fast, slow, letter)
    identifiers = {pikepdf.open(io.BytesIO(fast)).trailer.ID[1] for fast, _ in pairs}
    assert len(identifiers) == len(pairs)  # each letter a file of its own


def test_long_address_is_stamped_and_too_wide_a_line_is_not(tmp_path: Path) -> None:
    many = (
        "d:\n  name: Dag Dahl\n  organisation: Distriktsrådet\n  address: [{}]\n"
        "  email: d@d.example.no\n  tags: [alle]\n"
    )
    lines = ", ".join(f"Linje {n} i adressen" for n in range(1, 8))
    wide = "e:\n  name: Eva Ek\n  address: [{}]\n  email: e@e.example.no\n  tags: [alle]\n"
    wide_line = "Wwww" * 11  # 44 characters: counted as one line, but wider than the window
    group = letters(tmp_path, 1, many.format(lines) + wide.format(wide_line))
    long_letter = next(letter for letter in group if letter.stem == "d")
    wide_letter = next(letter for letter in group if letter.stem == "e")
    assert len(long_letter.addressees[0].lines) == 9
    stamper = stamp.PdfStamper.for_group(group[0], stamp.coverage(group), VARIANT)
    fast = stamper.stamp(long_letter)
    assert fast is not None
    assert_same_pdf(fast, render_pdf(long_letter, variant=VARIANT), long_letter)
    assert stamper.stamp(wide_letter) is None  # goes the per-letter way


def test_each_letter_in_two_languages_and_with_salutations(tmp_path: Path) -> None:
    extra = (
        "f:\n  title: Mayor\n  name: Fiona Fry\n  email: f@f.example.org\n  language: en\n"
        "  salutation: Dear Mayor Fry,\n  tags: [alle]\n"
        "g:\n  title: Mayor\n  name: Gwen Gray\n  email: g@g.example.org\n  language: en\n"
        "  salutation: Dear Mayor Gray,\n  tags: [alle]\n"
        "h:\n  title: Ordfører\n  name: Hege Hå\n  email: h@h.example.no\n"
        "  salutation: Kjære ordfører Hå!\n  tags: [alle]\n"
    )
    group_letters = letters(tmp_path, 2, extra)
    groups: dict[str, list] = {}
    for letter in group_letters:
        groups.setdefault(stamp.group_key(letter, "pdf", VARIANT), []).append(letter)
    assert len(groups) == 3  # nb, en with a salutation, nb with a salutation
    for group in groups.values():
        for (fast, slow), letter in zip(stamped(group), group, strict=True):
            assert_same_pdf(fast, slow, letter)
            if letter.salutation:
                assert (
                    letter.salutation in pypdf.PdfReader(io.BytesIO(fast)).pages[0].extract_text()
                )


def test_fast_docx_equals_per_letter_docx(tmp_path: Path) -> None:
    extra = (
        "h:\n  title: Ordfører\n  name: Hege <Hå> & co\n  email: h@h.example.no\n"
        "  salutation: Kjære ordfører!\n  tags: [alle]\n"
    )
    for letter in letters(tmp_path, 2, extra):
        stamper = stamp.DocxStamper.for_group(letter)
        fast, slow = stamper.stamp(letter), render_docx(letter)
        with zipfile.ZipFile(io.BytesIO(fast)) as a, zipfile.ZipFile(io.BytesIO(slow)) as b:
            assert a.testzip() is None
            assert a.namelist() == b.namelist()
            for name in a.namelist():
                assert a.read(name) == b.read(name), name


def test_an_address_beyond_the_docx_fonts_is_made_whole_with_its_glyphs(tmp_path: Path) -> None:
    """The base's fonts hold the letters a secretary types (Latin-1, Latin Extended-A) and the
    letter's own text: an address with another letter (Vietnamese ạ) is not stamped into it
    but made whole, its fonts holding that letter; the others are stamped, the same file."""
    from test_docx_file import embedded_fonts

    extra = "v:\n  name: Nguyễn Thị Hạnh\n  email: v@v.example.no\n  tags: [alle]\n"
    group = letters(tmp_path, 1, extra)
    stamper = stamp.DocxStamper.for_group(group[0])
    assert stamper is not None
    for letter in group:
        fast, slow = stamper.stamp(letter), render_docx(letter)
        if letter.stem == "v":
            assert fast is None
            for program in embedded_fonts(slow).values():
                assert ord("ạ") in program.getBestCmap() and ord("ễ") in program.getBestCmap()
        else:
            assert fast == slow


def test_build_stamps_a_group_and_its_files_match_the_per_letter_path(tmp_path: Path) -> None:
    extra = "".join(
        f"m{n}:\n  title: Ordfører\n  name: Person {n}\n  email: m{n}@m.example.no\n"
        "  tags: [alle]\n"
        for n in range(build.MIN_GROUP)
    )
    group = letters(tmp_path, 2, extra)
    ws = workspace.load(tmp_path)
    jobs = build.plan([resolve(ws, "brev")], pdf_variant=VARIANT)
    assert build._groups(jobs)[0]  # the fast path is taken
    outcomes = build.build(jobs, workers=1)
    assert all(outcome.built and not outcome.error for outcome in outcomes)
    for letter in group:
        path = build.letter_dir(ws, letter.letter_id) / f"{letter.stem}.pdf"
        assert_same_pdf(path.read_bytes(), render_pdf(letter, variant=VARIANT), letter)
        docx = path.with_suffix(".docx").read_bytes()
        with (
            zipfile.ZipFile(io.BytesIO(docx)) as a,
            zipfile.ZipFile(io.BytesIO(render_docx(letter))) as b,
        ):
            assert a.read("word/document.xml") == b.read("word/document.xml")


def test_a_template_whose_layout_follows_the_address_is_not_stamped(tmp_path: Path) -> None:
    # The address field grows with the address: the body moves, so no fast path.
    template = (
        '{% extends "builtin/letter.html.j2" %}\n'
        "{% block style %}{{ super() }} .address-row, .address-field { height: auto; }"
        "{% endblock %}\n"
    )
    group = letters(tmp_path, 1, **{"templates/letter.html.j2": template})
    assert stamp.PdfStamper.for_group(group[0], stamp.coverage(group), VARIANT) is None


def test_build_of_many_letters_prints_a_summary_and_lists_them_with_v(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from lettersmith.cli import main

    extra = "".join(
        f"n{n}:\n  name: Person {n}\n  email: n{n}@n.example.no\n  tags: [alle]\n" for n in range(9)
    )
    letters(tmp_path, 1, extra)  # 12 recipients: 24 files
    runner = CliRunner()
    first = runner.invoke(main, ["--workspace", str(tmp_path), "build", "--jobs", "2"])
    assert first.exit_code == 0, first.output
    assert "wrote " not in first.output
    assert "24 written, 0 up to date." in first.output
    assert "out/brev/ (-v lists them)" in first.output
    again = runner.invoke(main, ["--workspace", str(tmp_path), "build", "-v", "--force"])
    assert again.exit_code == 0, again.output
    assert again.output.count("wrote out/brev/") == 24
    for stem in ("a", "b", "c", "n0", "n8"):
        assert f"wrote out/brev/{stem}.pdf" in again.output


def test_stamped_letters_are_signed_and_verify(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from certs import PASSWORD, issue, make_ca, write_p12
    from lettersmith.cli import main

    authority = make_ca("Lettersmith Test Root")
    trust = authority.pem(tmp_path / "ca.pem")
    extra = "".join(
        f"s{n}:\n  name: Person {n}\n  email: s{n}@s.example.no\n  tags: [alle]\n"
        for n in range(build.MIN_GROUP)
    )
    group = letters(tmp_path / "ws", 1, extra)
    root = tmp_path / "ws"
    write_p12(root / "certs" / "union.p12", issue(authority, "Kari Nordmann"), authority)
    with (root / "lettersmith.yaml").open("a", encoding="utf-8") as file:
        file.write("\nsigning:\n  certificate: certs/union.p12\n")
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    ws = workspace.load(root)
    jobs = build.plan([resolve(ws, "brev")], formats=("pdf",))
    assert build._groups(jobs)[0]  # the fast path is taken
    runner = CliRunner()
    result = runner.invoke(main, ["-w", str(root), "build", "--format", "pdf", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    for letter in group:
        path = root / "out" / "brev" / f"{letter.stem}.pdf"
        checked = runner.invoke(main, ["-w", str(root), "verify", str(path), "--trust", str(trust)])
        assert checked.exit_code == 0, checked.output
        assert "; intact; trusted; PDF/A-3b" in checked.output
        assert letter.addressees[0].lines[0] in pypdf.PdfReader(path).pages[0].extract_text()


def hidden_paragraph_group(tmp_path: Path, count: int) -> list[build.Job]:
    """The PDF jobs of a stamped group of ``count`` extra recipients whose workspace template
    hides the statement's first paragraph."""
    extra = "".join(
        f"m{n}:\n  title: Ordfører\n  name: Person {n}\n  email: m{n}@m.example.no\n"
        "  tags: [alle]\n"
        for n in range(count)
    )
    template = (
        '{% extends "builtin/letter.html.j2" %}\n'
        "{% block style %}{{ super() }} .body p:first-child { display: none }{% endblock %}\n"
    )
    letters(tmp_path, 2, extra, **{"templates/letter.html.j2": template})
    ws = workspace.load(tmp_path)
    jobs = [job for job in build.plan([resolve(ws, "brev")], pdf_variant=VARIANT)
            if job.fmt == "pdf"]  # fmt: skip
    assert build._groups(jobs)[0]  # the fast path is taken
    return jobs


def test_a_stamped_group_whose_template_hides_the_statement_is_not_written(tmp_path: Path) -> None:
    """The fast path reads the statement back like the per-letter path: a workspace template
    that hides a paragraph fails every letter of the group, and no file appears."""
    jobs = hidden_paragraph_group(tmp_path, build.MIN_GROUP)
    outcomes = build.build(jobs, workers=1)
    assert outcomes and all(not outcome.built for outcome in outcomes)
    assert all("does not show the adopted title and body word for word" in (o.error or "")
               for o in outcomes)  # fmt: skip
    assert not any(job.path.exists() for job in jobs)


def test_a_group_built_by_workers_whose_template_hides_the_statement_is_not_written(
    tmp_path: Path,
) -> None:
    """The same with worker processes: the group's statement is read back in its base task,
    before any of its letters is handed out, so no letter of it is written unchecked."""
    jobs = hidden_paragraph_group(tmp_path, 4 * build.MIN_GROUP)
    outcomes = build.build(jobs, workers=2)
    assert len(outcomes) == len(jobs) and all(not outcome.built for outcome in outcomes)
    assert not any(job.path.exists() for job in jobs)


def test_a_group_statement_is_read_back_once_not_once_per_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stamping changes only the field's slot (read back in every letter for remnants of
    the marker): a group's statement is checked in one stamped letter, however many chunks
    its letters are made in."""
    extra = "".join(
        f"m{n}:\n  title: Ordfører\n  name: Person {n}\n  email: m{n}@m.example.no\n"
        "  tags: [alle]\n"
        for n in range(4 * build.MIN_GROUP)
    )
    letters(tmp_path, 1, extra)
    ws = workspace.load(tmp_path)
    jobs = [job for job in build.plan([resolve(ws, "brev")], pdf_variant=VARIANT)
            if job.fmt == "pdf"]  # fmt: skip
    groups, _singles = build._groups(jobs)
    assert len(groups) == 1 and len(groups[0].chunks(build.Made(None, "t"), 1)) > 1
    checked = []
    check_pdf = locked.check_pdf
    monkeypatch.setattr(
        locked, "check_pdf", lambda data, *args: checked.append(data) or check_pdf(data, *args)
    )
    outcomes = build.build(jobs, workers=1)
    stamped = groups[0].jobs
    assert all(outcome.built for outcome in outcomes)
    assert len(checked) == 1 + len(jobs) - len(stamped)  # the group once, the others each
    assert checked[0] in {job.path.read_bytes() for job in stamped}


# ------------------------------------------------ templates that show recipient fields anywhere

BUILTIN = Path(stamp.__file__).resolve().parents[1] / "data" / "templates" / "letter.html.j2"
EXTENDS = '{% extends "builtin/letter.html.j2" %}\n'
FIRST_LINE = "{{ letter.addressees[0].lines[0] }}"
# Each template shows a recipient's field outside the address window.
FIELD_TEMPLATES = {
    "copy-after-signature": EXTENDS + "{% block after_signature %}{{ super() }}"
    f'<p class="copy">Kopi til: {FIRST_LINE}</p>{{% endblock %}}\n',
    "running-header": EXTENDS + '{% block page_header %}<div class="page-header">'
    f"<span>{FIRST_LINE}</span><span>{{{{ letter.phrases.page }}}}</span></div>"
    "{% endblock %}\n",
    "document-title": BUILTIN.read_text(encoding="utf-8").replace(
        "<title>{{ letter.title }}</title>", f"<title>{FIRST_LINE}</title>"
    ),
    "last-line-email-only": EXTENDS + "{% block after_signature %}{{ super() }}"
    "<p>E-post: {{ letter.addressees[0].lines | last }}</p>{% endblock %}\n",
    "their-reference": EXTENDS + "{% block address %}{{ super() }}"
    "<p>Deres ref.: {{ letter.addressees[0].id }}</p>{% endblock %}\n",
    "second-line": EXTENDS + "{% block after_signature %}{{ super() }}"
    "<p>Til: {{ letter.addressees[0].lines[1] }}</p>{% endblock %}\n",
    "every-line-joined": EXTENDS + "{% block after_signature %}{{ super() }}"
    "<p>Kopi: {{ letter.addressees[0].lines | join(', ') }}</p>{% endblock %}\n",
}


def batch(tmp_path: Path, extra: str, files: dict[str, str], paragraphs: int = 1) -> list:
    """A group of more than MIN_GROUP letters, built through build() with stamping on; the
    letters, whose files are now in out/."""
    group = letters(tmp_path, paragraphs, extra, **files)
    assert len(group) >= build.MIN_GROUP
    ws = workspace.load(tmp_path)
    jobs = build.plan([resolve(ws, "brev")], pdf_variant=VARIANT)
    assert build._groups(jobs)[0]  # the letters go to the batch path
    outcomes = build.build(jobs, workers=1)
    assert all(outcome.built and not outcome.error for outcome in outcomes), outcomes
    return group


def read_pdf(data: bytes) -> tuple[int, list[str], str | None]:
    """Page count, each page's text and the document title, as a reader sees them."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    title = reader.metadata.title if reader.metadata else None
    return len(reader.pages), [page.extract_text() for page in reader.pages], title


def read_docx(data: bytes) -> list[str]:
    """Every paragraph's text: the body, tables, headers and footers, and the core title."""
    import docx

    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header):
            texts += [p.text for p in part.paragraphs]
    return [*texts, document.core_properties.title or ""]


def assert_batch_equals_alone(tmp_path: Path, group: list) -> None:
    ws = workspace.load(tmp_path)
    for letter in group:
        path = build.letter_dir(ws, letter.letter_id) / f"{letter.stem}.pdf"
        alone = render_pdf(letter, variant=VARIANT)
        assert read_pdf(path.read_bytes()) == read_pdf(alone), letter.stem
        docx_alone = render_docx(letter)
        assert read_docx(path.with_suffix(".docx").read_bytes()) == read_docx(docx_alone)


MANY = "".join(
    f"p{n}:\n  title: Ordfører\n  name: Person {n} Tyholt\n  organisation: To kommune\n"
    f"  address: [Postboks {n}, 7{n}00 Aurland]\n  email: p{n}@p.example.no\n  tags: [alle]\n"
    for n in range(4)
)
EMAIL_ONLY = "".join(
    f"e{n}:\n  name: Eva {n} Vik\n  email: e{n}@e.example.no\n  tags: [alle]\n" for n in range(4)
)
SALUTED = "".join(
    f"s{n}:\n  title: Ordfører\n  name: Siri {n}\n  email: s{n}@s.example.no\n"
    f"  salutation: Kjære ordfører {n}!\n  tags: [alle]\n"
    for n in range(build.MIN_GROUP)
)


@pytest.mark.parametrize("shown", sorted(FIELD_TEMPLATES))
def test_a_batch_equals_each_letter_alone_whatever_fields_the_template_shows(
    tmp_path: Path, shown: str
) -> None:
    extra = EMAIL_ONLY if shown == "last-line-email-only" else MANY
    files = {"templates/letter.html.j2": FIELD_TEMPLATES[shown]}
    paragraphs = 6 if shown == "running-header" else 1  # the header is on page 2 on
    assert_batch_equals_alone(tmp_path, batch(tmp_path, extra, files, paragraphs))


def test_a_batch_with_salutations_equals_each_letter_alone(tmp_path: Path) -> None:
    files = {"templates/letter.html.j2": FIELD_TEMPLATES["copy-after-signature"]}
    group = batch(tmp_path, SALUTED, files)
    assert any(letter.salutation for letter in group)
    assert_batch_equals_alone(tmp_path, group)


def test_the_proof_refuses_a_template_that_shows_a_field_outside_the_window(
    tmp_path: Path,
) -> None:
    for name in ("copy-after-signature", "running-header", "document-title", "their-reference"):
        folder = tmp_path / name
        paragraphs = 6 if name == "running-header" else 1  # the header is on page 2 on
        files = {"templates/letter.html.j2": FIELD_TEMPLATES[name]}
        group = letters(folder, paragraphs, MANY, **files)
        assert stamp.pdf_base(group[0], stamp.coverage(group), VARIANT) is None, name


def test_a_template_that_shows_no_field_outside_the_window_is_still_stamped(
    tmp_path: Path,
) -> None:
    """The proof is not a switch that turns the fast path off for every workspace template."""
    template = (
        EXTENDS + "{% block after_signature %}{{ super() }}<p>Kopi: arkivet</p>{% endblock %}"
    )
    group = letters(tmp_path, 1, MANY, **{"templates/letter.html.j2": template})
    base = stamp.pdf_base(group[0], stamp.coverage(group), VARIANT)
    assert base is not None
    stamper = base.stamper()
    assert stamper is not None
    for letter in group:
        fast = stamper.stamp(letter)
        assert fast is not None
        assert read_pdf(fast) == read_pdf(render_pdf(letter, variant=VARIANT))


def char_origins(pdf: bytes) -> list[tuple[str, float, float]]:
    """Every character of page 1 with its glyph origin (pt), as pdfium places it."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium_c

    document = pypdfium2.PdfDocument(pdf)
    textpage = document[0].get_textpage()
    found = []
    for index in range(textpage.count_chars()):
        x, y = ctypes.c_double(), ctypes.c_double()
        pdfium_c.FPDFText_GetCharOrigin(textpage.raw, index, ctypes.byref(x), ctypes.byref(y))
        found.append((chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index)), x.value, y.value))
    document.close()
    return found


def line_origins(pdf: bytes, line: str) -> list[float]:
    """The x of each glyph of ``line`` where it is set on page 1."""
    chars = char_origins(pdf)
    text = "".join(char for char, _x, _y in chars)
    at = text.index(line)
    return [x for _char, x, _y in chars[at : at + len(line)]]


def test_a_stamped_line_keeps_the_fonts_kerning(tmp_path: Path) -> None:
    """HarfBuzz places the stamped glyphs where WeasyPrint's own layout puts them: kerned
    pairs (AV, To, Ty, Wa) included, to within 0.05 pt, in the address (sans) and in the
    salutation (serif)."""
    extra = "".join(
        f"k{n}:\n  title: AVTo Ty{n}\n  name: Tøyen Vågå AWAY{n}\n  organisation: LTA AVa To\n"
        f"  address: [Tyholtveien {n}, 70{n}0 Trondheim]\n  email: k{n}@k.example.no\n"
        f"  salutation: Kjære AVTo Ty{n}, To Wa!\n  tags: [alle]\n"
        for n in range(build.MIN_GROUP)
    )
    group = [letter for letter in letters(tmp_path, 1, extra) if letter.stem.startswith("k")]
    stamper = stamp.PdfStamper.for_group(group[0], stamp.coverage(group), VARIANT)
    assert stamper is not None
    for letter in group:
        fast = stamper.stamp(letter)
        assert fast is not None
        slow = render_pdf(letter, variant=VARIANT)
        for line in [*letter.addressees[0].lines, letter.salutation]:
            fast_x, slow_x = line_origins(fast, line), line_origins(slow, line)
            assert max(abs(f - s) for f, s in zip(fast_x, slow_x, strict=True)) <= 0.05, line


def test_a_stamped_file_that_shows_a_marker_is_never_used(tmp_path: Path, monkeypatch) -> None:
    """Behind the proof, every stamped file is read back: with the proof skipped (as for the
    built-in template), a template that shows the addressee after the signature still gets
    each letter right, because the stamped files show the marker and are not used."""
    monkeypatch.setattr(stamp, "builtin_template", lambda letter: True)
    files = {"templates/letter.html.j2": FIELD_TEMPLATES["copy-after-signature"]}
    group = batch(tmp_path, MANY, files)
    assert_batch_equals_alone(tmp_path, group)
    # The base itself is read back: the whole group goes letter by letter.
    assert stamp.pdf_base(group[0], stamp.coverage(group), VARIANT, prove=False) is None


def test_a_docx_base_that_shows_a_marker_outside_its_field_is_not_stamped(tmp_path: Path) -> None:
    letters(tmp_path, 1, MANY)
    settings = tmp_path / "lettersmith.yaml"
    text = settings.read_text(encoding="utf-8")
    about = "  name: Testforeningen\n  about: Skrevet med LETTERSMITH-MARK-verktøyet\n"
    settings.write_text(text.replace("  name: Testforeningen\n", about), encoding="utf-8")
    group = list(resolve(workspace.load(tmp_path), "brev").letters)
    assert stamp.DocxStamper.for_group(group[0]) is None


def test_the_proof_addressee_differs_from_the_marker_in_every_field(tmp_path: Path) -> None:
    """Whatever a template shows of the addressee -- any field, any one character of a line,
    the number of lines -- comes out different in the proof's layout."""
    import dataclasses

    from lettersmith.model import Addressee

    group = letters(tmp_path, 1, SALUTED)
    saluted = [letter for letter in group if letter.salutation]
    lines, salutation = stamp.pdf_markers(saluted[0], stamp.coverage(saluted))
    other_lines, other_salutation = stamp.proof_markers(lines, salutation)
    marker = stamp.marker_addressee(saluted[0].addressees[0], lines, "marker")
    other = stamp.marker_addressee(saluted[0].addressees[0], other_lines, "proof")
    for field in dataclasses.fields(Addressee):
        assert getattr(marker, field.name) != getattr(other, field.name), field.name
    assert len(other_lines) != len(lines)
    assert all(a != b for a, b in zip(lines[0], other_lines[0], strict=True) if a != " ")
    assert lines[-1] != other_lines[-1]
    assert salutation and other_salutation and salutation != other_salutation
    assert all(a != b for a, b in zip(salutation, other_salutation, strict=False) if a != " ")


def test_a_line_the_font_joins_into_ligatures_is_stamped_with_them(tmp_path: Path) -> None:
    """ "fi", "fl" and "ff" are one glyph each in the letter's fonts: the base holds those
    glyphs, so that such an address (every ministry of fisheries) is stamped, as laid out."""
    extra = "".join(
        f"l{n}:\n  title: Fiskeriminister\n  name: Ola Offisiell {n}\n"
        "  organisation: Nærings- og fiskeridepartementet\n"
        f"  address: [Postboks 80{n}0 Dep, Fløyfjellet, 0030 Oslo]\n  email: l{n}@l.example.no\n"
        "  salutation: Kjære fiskeriminister Offisiell!\n  tags: [alle]\n"
        for n in range(build.MIN_GROUP)
    )
    group = [letter for letter in letters(tmp_path, 1, extra) if letter.stem.startswith("l")]
    stamper = stamp.PdfStamper.for_group(group[0], stamp.coverage(group), VARIANT)
    assert stamper is not None
    for letter in group:
        fast = stamper.stamp(letter)
        assert fast is not None, letter.stem
        slow = render_pdf(letter, variant=VARIANT)
        assert_same_pdf(fast, slow, letter)
        for line in [*letter.addressees[0].lines, letter.salutation]:
            fast_x, slow_x = line_origins(fast, line), line_origins(slow, line)
            assert max(abs(f - s) for f, s in zip(fast_x, slow_x, strict=True)) <= 0.05, line


def test_a_batch_built_by_worker_processes_equals_each_letter_alone(tmp_path: Path) -> None:
    """The same through the command line's worker processes (the base made in the layout
    worker, sent to the others through a file)."""
    from click.testing import CliRunner

    from lettersmith.cli import main

    files = {"templates/letter.html.j2": FIELD_TEMPLATES["copy-after-signature"]}
    group = letters(tmp_path, 1, MANY + SALUTED, **files)
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "build", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert_batch_equals_alone(tmp_path, group)


# Templates whose output follows a recipient's field without showing it: a condition on it, or
# its length. Two layouts (marker and proof) agree, yet a recipient's letter is another.
HIDDEN_FIELD_TEMPLATES = {
    "condition-on-a-line": EXTENDS + "{% block after_signature %}{{ super() }}"
    "{% if 'Aurland' in letter.addressees[0].lines | join(' ') %}"
    "<p>Kopi: Aurland kommune</p>{% endif %}{% endblock %}\n",
    "length-of-a-line": EXTENDS + "{% block after_signature %}{{ super() }}"
    "<p>{{ letter.addressees[0].lines[0] | length }} tegn</p>{% endblock %}\n",
    "number-of-lines": EXTENDS + "{% block after_signature %}{{ super() }}"
    "{% if letter.addressees[0].lines | length == 4 %}<p>Fire linjer</p>{% endif %}"
    "{% endblock %}\n",
    "stylesheet-picks-four-lines": EXTENDS + "{% block style %}{{ super() }} body:has(.addressee "
    "br:nth-of-type(3):last-of-type) .copy::after { content: 'Fire linjer' }{% endblock %}"
    "{% block after_signature %}{{ super() }}<p class='copy'>Kopi: </p>{% endblock %}\n",
    "condition-on-the-id": EXTENDS + "{% block after_signature %}{{ super() }}"
    "{% if letter.addressees[0].id == 'p1' %}<p>Kopi: styret</p>{% endif %}{% endblock %}\n",
}


@pytest.mark.parametrize("shown", sorted(HIDDEN_FIELD_TEMPLATES))
def test_a_batch_equals_each_letter_alone_when_the_template_tests_a_field(
    tmp_path: Path, shown: str
) -> None:
    files = {"templates/letter.html.j2": HIDDEN_FIELD_TEMPLATES[shown]}
    group = batch(tmp_path, MANY, files)
    ws = workspace.load(tmp_path)
    texts = {
        read_pdf((build.letter_dir(ws, letter.letter_id) / f"{letter.stem}.pdf").read_bytes())[1][
            -1
        ]
        for letter in group
    }
    assert len(texts) > 1  # the template does make different letters
    assert_batch_equals_alone(tmp_path, group)


def page_images(pdf: bytes) -> list[bytes]:
    """Each page as pdfium paints it (grey, 100 dpi), thresholded: what a reader sees."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    images = [
        page.render(scale=100 / 72).to_pil().convert("L").point(lambda v: 255 if v > 128 else 0)
        for page in document
    ]
    return [image.tobytes() for image in images]


@pytest.mark.parametrize(
    "style",
    [
        # drawn as wide as the marker's text: a stamped letter kept nine underlines
        "text-decoration: underline",
        # a feature HarfBuzz does not apply by default: stamped zeros had no slash
        "font-variant-numeric: slashed-zero",
    ],
)
def test_an_address_style_the_stamp_cannot_copy_is_laid_out_alone(
    tmp_path: Path, style: str
) -> None:
    template = EXTENDS + "{% block style %}{{ super() }} .addressee { " + style + " }"
    template += "{% endblock %}\n"
    group = batch(tmp_path, MANY, {"templates/letter.html.j2": template})
    ws = workspace.load(tmp_path)
    for letter in group:
        path = build.letter_dir(ws, letter.letter_id) / f"{letter.stem}.pdf"
        alone = render_pdf(letter, variant=VARIANT)
        assert page_images(path.read_bytes()) == page_images(alone), letter.stem


def test_an_address_of_exactly_four_lines_set_smaller_is_stamped_as_laid_out(
    tmp_path: Path,
) -> None:
    """A stylesheet can set an address of exactly four lines otherwise than the marker's
    nine and the proof's one: the proof is laid out with each number of lines the group has."""
    template = EXTENDS + "{% block style %}{{ super() }} .addressee:has(br:nth-of-type(3)"
    template += ":last-of-type) { font-size: 8pt }{% endblock %}\n"
    group = batch(tmp_path, MANY, {"templates/letter.html.j2": template})
    assert {len(letter.addressees[0].lines) for letter in group} >= {2, 4}
    ws = workspace.load(tmp_path)
    for letter in group:
        path = build.letter_dir(ws, letter.letter_id) / f"{letter.stem}.pdf"
        alone = render_pdf(letter, variant=VARIANT)
        assert page_images(path.read_bytes()) == page_images(alone), letter.stem


def test_worker_processes_lay_out_alone_a_letter_the_template_makes_otherwise(
    tmp_path: Path,
) -> None:
    """The base's template HTML goes to the worker processes with the base: there too a
    letter that a template's condition changes is laid out alone, the others stamped."""
    from click.testing import CliRunner

    from lettersmith.cli import main

    files = {"templates/letter.html.j2": HIDDEN_FIELD_TEMPLATES["condition-on-a-line"]}
    others = MANY.replace("Aurland", "Voss").replace("p", "v")
    group = letters(tmp_path, 1, MANY + others, **files)
    base = stamp.pdf_base(group[0], stamp.coverage(group), VARIANT)
    assert base is not None and base.window is not None  # the fast path is taken
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "build", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert_batch_equals_alone(tmp_path, group)
