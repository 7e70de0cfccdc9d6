"""Variants of issue 17's findings, tried as an attacker would: each way something that leaves
could change after the approval, spreadsheets of every awkward kind, and one long-lived
``Project`` that must see every change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith import Project
from lettersmith.cli import main
from lettersmith.errors import DeliveryError

LETTER = "menneskehandel-2024"
LETTER_FILE = f"letters/{LETTER}.yaml"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args])


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def _append(name: str, text: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        with (root / name).open("a", encoding="utf-8") as file:
            file.write(text)

    return change


def _attach(root: Path) -> None:
    (root / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4\nfirst\n%%EOF\n")
    _append(LETTER_FILE, "attachments: [assets/vedlegg.pdf]\n")(root)


def _rename_attachment(root: Path) -> None:
    (root / "assets" / "vedlegg.pdf").rename(root / "assets" / "bilag.pdf")
    _replace(LETTER_FILE, "assets/vedlegg.pdf", "assets/bilag.pdf")(root)


def _touch_club_logo(root: Path) -> None:
    logo = root / "clubs" / "bergen" / "assets" / "logo.svg"
    logo.write_text(logo.read_text(encoding="utf-8") + "<!-- another -->\n", encoding="utf-8")


def _workspace_template(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "letter.css").write_text("p { color: #111 }\n", encoding="utf-8")


# (what, prepared before the approval, the change after it, the club, how it is said)
VARIANTS = [
    ("the sender's display name only", None,
     _replace("lettersmith.yaml", '"SI Norge <', '"SI Noreg <'), None,
     "another sender: SI Norge <post@example.org> → SI Noreg <post@example.org>"),
    ("the bcc removed", None, _replace("lettersmith.yaml", "  bcc: arkiv@example.org\n", ""),
     None, "Bcc removed: arkiv@example.org"),
    ("the reply_to removed", None,
     _replace("lettersmith.yaml", "  reply_to: post@example.org\n", ""), None,
     "Reply-To removed: post@example.org"),
    ("a club's tagline", None, _replace("clubs/bergen.yaml", "Ein klubb i", "Ein klubb av"),
     "bergen", "the line under the organisation's name: ...Ein klubb [-i-]{+av+}"),
    ("a club's address", None, _replace("clubs/bergen.yaml", "Postboks 123", "Postboks 124"),
     "bergen", "the letterhead: ...Bergen / Postboks [-123-]{+124+} / 5804 Bergen..."),
    ("a club's email", None,
     _replace("clubs/bergen.yaml", "bergen@example.org", "styret@example.net"), "bergen",
     "the letterhead: ...5804 Bergen / [-bergen@example.org-]{+styret@example.net+}"),
    ("the website", None, _replace("lettersmith.yaml", "https://example.org", "https://ex.net"),
     None, "the letterhead: .../ post@example.org / [-https://example.org-]{+https://ex.net+}"),
    ("a club's colour", None, _replace("clubs/bergen.yaml", "#7a1f3d", "#7a1f3e"), "bergen",
     "colour #7a1f3d → #7a1f3e"),
    ("a club's logo", None, _touch_club_logo, "bergen",
     "logo clubs/bergen/assets/logo.svg changed (sha256 "),
    ("the signatory's title", None,
     _replace("lettersmith.yaml", "title: Unionspresident", "title: President"), None,
     "the signatory: ...Dahlberg Pettersen / [-Unionspresident-]{+President+}"),
    ("an attachment's name", _attach, _rename_attachment, None,
     "attachment added: bilag.pdf"),
    ("the subject", None, _append(LETTER_FILE, "subject: Trekk uttalelsen\n"), None,
     "the subject: ... [-Tiden er inne"),
    ("the cover note", None, _replace(LETTER_FILE, "journalføres", "makuleres"), None,
     "the email's cover note: ...om at uttalelsen [-journalføres-]{+makuleres+}"),
    ("the mode", None, _replace(LETTER_FILE, "mode: joint", "mode: each"), None,
     "the mode: joint -> each"),
    ("a recipient's address", None,
     _replace("recipients.yaml", "  office: no/smk\n", "  office: no/smk\n  email: x@example.net\n"),  # noqa: E501
     None, "recipient smk: Statsminister Jonas Gahr Støre, postmottak@smk.dep.no → "
     "Statsminister Jonas Gahr Støre, x@example.net"),
    ("a recipient removed", None, _replace(LETTER_FILE, "to: [smk, hod, jd]", "to: [smk, hod]"),
     None, "recipient removed: jd (Justis – og beredskapsminister Emilie Enger Mehl"),
    ("the recipients' order", None,
     _replace(LETTER_FILE, "to: [smk, hod, jd]", "to: [jd, smk, hod]"), None,
     "the order of the recipients: smk, hod, jd → jd, smk, hod"),
    ("a template in the workspace", None, _workspace_template, None,
     "template added: templates/letter.css"),
    ("the language", None, _append(LETTER_FILE, "language: en\n"), None,
     "the language: nb → en"),
    ("a recipient's salutation", _replace(LETTER_FILE, "mode: joint", "mode: each"),
     _replace("recipients.yaml", "  office: no/smk\n",
              "  office: no/smk\n  salutation: Kjære statsminister\n"), None,
     "the salutation: ... {+Kjære statsminister"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "prepare", "change", "club", "words"), VARIANTS, ids=[v[0] for v in VARIANTS]
)
def test_every_variant_of_what_leaves_needs_a_new_approval(
    required, smtp_server, what, prepare, change, club, words
):
    """Changed after the approval, each refuses the send (API and command line) and status
    says what changed in words, not "how lettersmith reads the files"."""
    where = ["--club", club] if club else []
    if prepare:
        prepare(required)
    project = Project.open(required)  # one Project, open through the change
    project.approve(LETTER, by="Styret", club=club)
    assert project.status(LETTER, club=club).approval.current
    change(required)
    with pytest.raises(DeliveryError, match="the letter has changed since it was approved") as err:
        project.send(LETTER, club=club)
    assert words in str(err.value), str(err.value)
    assert "how lettersmith reads the files" not in str(err.value)
    refused = run(required, "send", LETTER, *where, "--yes")
    assert refused.exit_code == 1, (what, refused.output)
    assert words in refused.output
    assert smtp_server.handler.received == []
    status = run(required, "status", LETTER, *where)
    assert "NOT approved." in status.output, status.output
    assert words in status.output, status.output


# --------------------------------------------------------------------------- one long-lived Project


def _same_size_same_time(path: Path, data: bytes) -> None:
    """Other bytes of the same length, the modification time put back (as `cp -p` or an
    attacker's `touch -r` leaves them)."""
    import os

    info = path.stat()
    assert len(data) == info.st_size
    path.write_bytes(data)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def test_an_attachment_changed_with_its_size_and_time_put_back_needs_a_new_approval(
    required, smtp_server
):
    """A Project kept open (a web app) has hashed the attachment once: other bytes of the
    same size under the same modification time must still count as another letter."""
    _attach(required)
    project = Project.open(required)
    project.approve(LETTER, by="Styret")
    assert project.status(LETTER).approval.current
    attachment = required / "assets" / "vedlegg.pdf"
    _same_size_same_time(attachment, b"%PDF-1.4\nFAKED\n%%EOF\n")
    with pytest.raises(DeliveryError, match="attachment vedlegg.pdf changed \\(sha256"):
        project.send(LETTER)
    assert smtp_server.handler.received == []


def test_one_open_project_sees_a_template_rewritten_with_its_size_and_time_put_back(
    tmp_path: Path,
) -> None:
    from readback import pdf_text
    from workspaces import minimal

    template = '{% extends "builtin/letter.html.j2" %}{% block letterhead %}{{ super() }}<p>WORD</p>{% endblock %}'  # noqa: E501
    root = minimal(tmp_path, {"templates/letter.html.j2": template.replace("WORD", "Mal nr. 1")})
    project = Project.open(root)
    pdf = root / "out" / "brev" / "a.pdf"
    project.build(formats="pdf", jobs=1)
    assert "Mal nr. 1" in pdf_text(pdf)
    before = project.status("brev").approval.revision
    new = template.replace("WORD", "Mal nr. 2").encode()
    _same_size_same_time(root / "templates" / "letter.html.j2", new)
    assert project.status("brev").approval.revision != before
    project.build(formats="pdf", jobs=1)
    assert "Mal nr. 2" in pdf_text(pdf)


def test_one_open_project_sees_a_signature_image_rewritten_with_its_size_and_time_put_back(
    required,
) -> None:
    project = Project.open(required)
    project.approve(LETTER, by="Styret")
    image = required / "assets" / "signature.png"
    data = bytearray(image.read_bytes())
    data[-20] ^= 0xFF  # one byte inside the image's data
    _same_size_same_time(image, bytes(data))
    standing = project.status(LETTER).approval
    assert not standing.current
    assert any("signature image assets/signature.png changed" in c for c in standing.changed)


# --------------------------------------------------------------------------- spreadsheets

AWKWARD_STARTS = [
    "- x", "? q", ": x", ", x", "[x", "]x", "{x", "}x", "# x", "&a", "*a", "!t", "| x", "> x",
    "'q", '"q', "%x", "@x", "`x", "!!binary x", "&a *a", "<<", "x" * 5000,
]  # fmt: skip


@pytest.mark.parametrize("value", AWKWARD_STARTS, ids=[v[:12] for v in AWKWARD_STARTS])
def test_a_cell_starting_with_any_yaml_indicator_imports_as_written(tmp_path, value):
    from lettersmith.load import workspace as loading
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    sheet = tmp_path / "liste.csv"
    quoted = '"' + value.replace('"', '""') + '"'
    sheet.write_text(f"navn;e-post;tittel\n{quoted};p@example.org;{quoted}\n", encoding="utf-8")
    project = Project.open(root)
    assert [e.fields["name"] for e in project.import_recipients(sheet).added] == [value]
    (person,) = [r for r in loading.load(root).recipients.values() if r.email == "p@example.org"]
    assert (person.name, person.title) == (value, value)
    project.check()


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x00", "\x0b"])
def test_a_line_separator_or_nul_in_a_name_is_refused_with_the_row(tmp_path, char):
    from lettersmith.errors import LettersmithError
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    before = (root / "recipients.yaml").read_bytes()
    sheet = tmp_path / "liste.csv"
    sheet.write_text(f"navn;e-post\nKari{char}Nordmann;p@example.org\n", encoding="utf-8")
    with pytest.raises(LettersmithError, match=r"liste.csv:2: name: contains a line break"):
        Project.open(root).import_recipients(sheet)
    assert (root / "recipients.yaml").read_bytes() == before


def test_a_utf16_unicode_text_file_from_excel_imports(tmp_path):
    """Excel's "Unicode text (*.txt)": UTF-16 with a BOM, tab-separated."""
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    for encoding in ("utf-16-le", "utf-16-be"):
        sheet = tmp_path / f"liste-{encoding}.txt"
        bom = "\ufeff".encode(encoding)
        text = f"Navn\tE-post\tPoststed\nÅse Bø {encoding}\tase-{encoding}@example.org\tOslo\n"
        sheet.write_bytes(bom + text.encode(encoding))
        (added,) = Project.open(root).plan_import(sheet).added
        assert added.fields["name"] == f"Åse Bø {encoding}"
        assert added.fields["email"] == f"ase-{encoding}@example.org"


def test_duplicate_headers_and_a_header_only_file(tmp_path):
    from lettersmith.errors import LettersmithError
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    project = Project.open(root)
    twice = tmp_path / "to.csv"
    twice.write_text("navn;e-post;Navn\nA;a@example.org;B\n", encoding="utf-8")
    with pytest.raises(LettersmithError, match="two columns give name; use --map"):
        project.plan_import(twice)
    header = tmp_path / "tom.csv"
    header.write_bytes("\ufeffnavn;e-post\r\n".encode())
    assert project.import_recipients(header).added == []


def test_an_xlsx_with_dates_numbers_and_times_imports_them_as_text(tmp_path):
    import datetime as dt

    import openpyxl

    from lettersmith.load import workspace as loading
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["navn", "e-post", "verifisert", "postnummer", "poststed", "tittel", "adresse"])
    sheet.append(["Kari", "kari@example.org", dt.datetime(2024, 5, 1), 30, "Oslo", 1.5, 4712345678])
    sheet.append(["Ola", "ola@example.org", dt.date(2024, 5, 2), "0030", "Oslo", "Leder", 22])
    path = tmp_path / "liste.xlsx"
    book.save(path)
    Project.open(root).import_recipients(path)
    people = {r.email: r for r in loading.load(root).recipients.values()}
    kari, ola = people["kari@example.org"], people["ola@example.org"]
    assert kari.verified == dt.date(2024, 5, 1) and ola.verified == dt.date(2024, 5, 2)
    assert kari.title == "1.5" and kari.address == ("4712345678", "0030 Oslo")
    assert ola.address == ("22", "0030 Oslo")


# (A tab or a line break cannot start a name: test_spreadsheet.py tries them in an address.)
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "＝", "＋", "－", "＠"])
def test_export_neutralises_every_formula_start_and_import_gives_it_back(tmp_path, start):
    import csv
    import io

    import openpyxl

    from lettersmith.load import workspace as loading
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    name = f'{start}HYPERLINK("http://evil.example","x")'
    escaped = name.replace('"', '\\"')
    with (root / "recipients.yaml").open("a", encoding="utf-8") as file:
        file.write(f'f:\n  name: "{escaped}"\n  email: f@example.org\n')
    project = Project.open(root)
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"ut.{suffix}"
        project.export_recipients(out)
        if suffix == "csv":
            rows = csv.reader(
                io.StringIO(out.read_text(encoding="utf-8-sig"), newline=""), delimiter=";"
            )
            cells = [cell for row in rows for cell in row]
        else:
            sheet = openpyxl.load_workbook(out).active
            cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
        assert "'" + name in cells and name not in cells
        back = minimal(tmp_path / f"back-{suffix}")
        (back / "recipients.yaml").write_text("", encoding="utf-8")
        (back / "letters/brev.yaml").unlink()
        Project.open(back).import_recipients(out)
        names = [r.name for r in loading.load(back).recipients.values()]
        assert name.strip() in names


# --------------------------------------------------------------------------- the build memo


def test_a_certificate_with_a_space_in_its_name_replaced_is_seen_by_the_memo(tmp_path, monkeypatch):
    """The memo knows a settings file's paths without reading the workspace: a quoted path
    with a space (``certs/union 2025.p12``) is one of them, so a renewed key signs again."""
    from certs import PASSWORD, issue, make_ca, write_p12
    from lettersmith.render import verify as verifying
    from workspaces import minimal

    authority = make_ca("Test Root")
    root = minimal(tmp_path / "ws")
    (root / "certs").mkdir()
    key = root / "certs" / "union 2025.p12"
    write_p12(key, issue(authority, "Kari Nordmann"), authority)
    with (root / "lettersmith.yaml").open("a", encoding="utf-8") as file:
        file.write('\nsigning:\n  certificate: "certs/union 2025.p12"\n')
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    project = Project.open(root)
    pdf = root / "out" / "brev" / "a.pdf"
    project.build(formats="pdf", jobs=1)
    context = verifying.trust_context([authority.pem(tmp_path / "ca.pem")])
    assert "Kari Nordmann" in (verifying.verify(pdf, context).signer or "")
    write_p12(key, issue(authority, "Ola Nordmann"), authority)  # the key renewed, same name
    again = project.build(formats="pdf", jobs=1)
    assert not again.remembered
    assert "Ola Nordmann" in (verifying.verify(pdf, context).signer or "")


def test_one_open_project_sees_a_club_file_a_logo_and_a_letter_change(tmp_path):
    import zipfile

    from readback import docx_text, pdf_text
    from workspaces import copy_example

    root = copy_example(tmp_path / "ws")
    project = Project.open(root)
    club_pdf = root / "out" / "clubs" / "bergen" / LETTER / f"{LETTER}.pdf"
    docx = root / "out" / LETTER / f"{LETTER}.docx"
    project.build([LETTER], club="bergen", formats="pdf", jobs=1)
    project.build([LETTER], formats="docx", jobs=1)
    assert "Ein klubb i Soroptimist" in pdf_text(club_pdf)

    _replace("clubs/bergen.yaml", "Ein klubb i", "Ein ny klubb i")(root)
    project.build([LETTER], club="bergen", formats="pdf", jobs=1)
    assert "Ein ny klubb i Soroptimist" in pdf_text(club_pdf)

    def media() -> set[bytes]:
        with zipfile.ZipFile(docx) as package:
            return {package.read(n) for n in package.namelist() if n.startswith("word/media/")}

    from io import BytesIO

    from PIL import Image

    picture = BytesIO()
    Image.new("RGB", (600, 160), (200, 30, 30)).save(picture, format="PNG")
    new_logo = picture.getvalue()
    assert new_logo not in media()
    (root / "assets" / "logo.png").write_bytes(new_logo)  # the DOCX's logo, same name
    project.build([LETTER], formats="docx", jobs=1)
    assert new_logo in media()

    _replace(LETTER_FILE, "journalføres", "arkiveres")(root)
    _replace(LETTER_FILE, "place: Halden", "place: Moss")(root)
    project.build([LETTER], formats="docx", jobs=1)
    assert "Moss, 10.12.2024" in docx_text(docx)
    assert "arkiveres" in project.send(LETTER, dry_run=True).written[0].read_text("utf-8")


def test_the_memo_after_force_jobs_and_another_command(tmp_path):
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    (root / ".venv" / "lib").mkdir(parents=True)
    project = Project.open(root)
    project.build(formats="pdf", jobs=1, force=True)
    assert project.build(formats="pdf", jobs=2).remembered  # --force and --jobs leave a record
    assert not project.build(formats="pdf", jobs=1, selectors=["a"]).remembered
    assert project.build(formats="pdf", jobs=1).remembered
    assert not project.build(formats="pdf,docx", jobs=1).remembered
    (root / ".venv" / "lib" / "x.py").write_text("pass\n")  # not an input
    (root / "notes.txt").write_text("the board's notes\n")
    assert project.build(formats="pdf,docx", jobs=1).remembered
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "new.txt").write_text("an input folder\n")
    assert not project.build(formats="pdf,docx", jobs=1).remembered


def test_another_signing_key_after_the_approval_needs_a_new_one(required, smtp_server, monkeypatch):
    """The PDF says who signed it: a key replaced under the same name, or another file named,
    sends a letter signed by someone the board did not approve."""
    from certs import PASSWORD, issue, make_ca, write_p12

    authority = make_ca("Test Root")
    (required / "certs").mkdir()
    key = required / "certs" / "union.p12"
    write_p12(key, issue(authority, "Karin Dahlberg Pettersen"), authority)
    _append("lettersmith.yaml", "\nsigning:\n  certificate: certs/union.p12\n")(required)
    monkeypatch.setenv("LETTERSMITH_SIGN_PASSWORD", PASSWORD)
    project = Project.open(required)
    project.approve(LETTER, by="Styret")
    write_p12(key, issue(authority, "Mallory"), authority)
    with pytest.raises(DeliveryError, match="the letter has changed since it was approved") as err:
        project.send(LETTER)
    assert "signing certificate certs/union.p12 changed (sha256 " in str(err.value)
    status = run(required, "status", LETTER)
    assert "NOT approved." in status.output and "signing certificate" in status.output
    assert smtp_server.handler.received == []


def _stamp_png(colour: tuple[int, int, int]) -> bytes:
    from io import BytesIO

    from PIL import Image

    picture = BytesIO()
    Image.new("RGB", (40, 40), colour).save(picture, format="PNG")
    return picture.getvalue()


def test_a_file_a_template_shows_changed_after_the_approval_needs_a_new_one(required, smtp_server):
    """A workspace stylesheet may show a picture from assets/ (a stamp, a background): the
    picture is part of the look, for the approval and for the build."""
    (required / "assets" / "stempel.png").write_bytes(_stamp_png((0, 0, 200)))
    (required / "templates").mkdir()
    (required / "templates" / "letter.css").write_text(
        ".letterhead { background: url(assets/stempel.png) no-repeat right top }\n",
        encoding="utf-8",
    )
    project = Project.open(required)
    project.build([LETTER], formats="pdf", jobs=1)
    project.approve(LETTER, by="Styret")
    (required / "assets" / "stempel.png").write_bytes(_stamp_png((200, 0, 0)))
    with pytest.raises(DeliveryError, match="the letter has changed since it was approved") as err:
        project.send(LETTER)
    assert "file the templates may show assets/stempel.png changed (sha256 " in str(err.value)
    assert smtp_server.handler.received == []
    assert project.build([LETTER], formats="pdf", jobs=1).written  # made again


VERBS = {
    "status": lambda p: p.status(LETTER, club="bergen"),
    "approve": lambda p: p.approve(LETTER, by="Styret", club="bergen"),
    "send": lambda p: p.send(LETTER, club="bergen", dry_run=True),
    "build": lambda p: p.build([LETTER], club="bergen", formats="pdf", jobs=1),
    "preview": lambda p: p.preview(LETTER, club="bergen", dpi=30),
    "recipients": lambda p: p.recipients(club="bergen"),
    "diff": lambda p: p.diff(LETTER, club="bergen"),
    "review": lambda p: p.review(LETTER, club="bergen"),
}


@pytest.mark.parametrize("verb", list(VERBS))
@pytest.mark.parametrize(
    ("breakage", "words"),
    [
        ("\tbad: tab\n", "clubs/bergen.yaml:42: a tab character"),
        ("unknown_field: 1\n", "clubs/bergen.yaml:42: unknown_field: unknown field"),
    ],
)
def test_every_verb_names_a_broken_clubs_own_problem(tmp_path, verb, breakage, words):
    from lettersmith.errors import LettersmithError
    from workspaces import copy_example

    root = copy_example(tmp_path / "ws")
    _append("clubs/bergen.yaml", breakage)(root)
    with pytest.raises(LettersmithError) as raised:
        VERBS[verb](Project.open(root))
    assert words in str(raised.value) and "no club" not in str(raised.value)


def test_one_open_project_rebuilds_for_a_font_replaced_under_its_name_without_force(tmp_path):
    import shutil
    import zipfile

    from lettersmith.render.style import FONT_DIR
    from readback import pdf_text
    from workspaces import minimal

    root = minimal(tmp_path)
    text = (root / "lettersmith.yaml").read_text()
    (root / "lettersmith.yaml").write_text(
        text.replace(
            "  name: Testforeningen\n", "  name: Testforeningen\n  font: assets/Egen.ttf\n"
        )
    )
    font = root / "assets" / "Egen.ttf"
    font.parent.mkdir(exist_ok=True)
    shutil.copyfile(FONT_DIR / "IBMPlexSans-Regular.ttf", font)
    project = Project.open(root)
    docx, pdf = root / "out" / "brev" / "a.docx", root / "out" / "brev" / "a.pdf"
    project.build(jobs=1)
    assert "Dette er uttalelsen." in pdf_text(pdf)

    def families() -> set[str]:
        styles = zipfile.ZipFile(docx).read("word/styles.xml").decode()
        return {name for name in ("IBM Plex Sans", "IBM Plex Serif") if name in styles}

    def pdf_fonts() -> str:
        from pypdf import PdfReader

        page = PdfReader(pdf).pages[0]
        fonts = page["/Resources"]["/Font"]
        return " ".join(str(fonts[name].get_object()["/BaseFont"]) for name in fonts)

    assert families() == {"IBM Plex Sans"}
    assert "Plex-Sans" in pdf_fonts() and "Plex-Serif" not in pdf_fonts()
    shutil.copyfile(FONT_DIR / "IBMPlexSerif-Regular.ttf", font)
    result = project.build(jobs=1)
    assert not result.remembered and result.written
    assert families() == {"IBM Plex Serif"}
    assert "Plex-Serif" in pdf_fonts() and "Plex-Sans" not in pdf_fonts()


def test_the_club_diff_shows_the_letterheads_address_and_email(tmp_path):
    from workspaces import copy_example

    root = copy_example(tmp_path / "ws")
    result = run(root, "diff", LETTER, "--club", "bergen")
    assert result.exit_code == 0, result.output
    assert "address: Postboks [-1, 1751 Halden-]{+123, 5804 Bergen+}" in result.output
    assert "sender's email: [-post@example.org-]{+bergen@example.org+}" in result.output
    labels = [line.label for line in Project.open(root).diff(LETTER, club="bergen")]
    assert "address" in labels and "sender's email" in labels
    assert not any("template" in line for line in result.output.splitlines() if "assets/" in line)


def test_approve_a_clubs_letter_then_status_says_approved_for_the_club_only(required):
    project = Project.open(required)
    approval = project.approve(LETTER, by="Styret i Bergen", club="bergen")
    club = run(required, "status", LETTER, "--club", "bergen")
    assert f"Revision {approval.short}: approved." in club.output, club.output
    union = run(required, "status", LETTER)
    assert "not approved." in union.output and "approved by" not in union.output
    with pytest.raises(DeliveryError, match="no one has approved"):
        project.send(LETTER)
