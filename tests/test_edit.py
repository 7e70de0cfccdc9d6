"""Saving the files a person edits through the API (what the web app's forms call): comments
and layout kept, a change on disk never overwritten silently, nothing saved that breaks
`check`, ids checked before they become paths, uploads bounded and never replacing a file."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pypdfium2 as pdfium
import pytest

from lettersmith import Project
from lettersmith.app.sources import BadId, EditConflict, split_position, yaml_fields
from lettersmith.errors import LettersmithError, WorkspaceError
from lettersmith.load import tables
from workspaces import minimal

REGISTER = """\
# Our register. Keep this comment!
a:
  title: Kunnskapsminister   # the office
  name: Anne Alfa
  email: postmottak@a.example.no
  tags: [dep]

# The municipality, not a person.
c:
  organisation: Casa kommune
  email: post@c.example.no

# A note at the end stays too.
"""
LETTER = """\
# The letter to the ministers.
position: sak         # the statement
to: [a, c]            # who gets it
mode: each
date: 2025-03-10
signatory: leder
"""
POSITION = """\
---
title: En viktig sak   # as adopted
adopted_by: Årsmøtet
adopted_on: 2025-03-01
---
Dette er uttalelsen.

Andre avsnitt.
"""


@pytest.fixture
def project(tmp_path):
    root = minimal(tmp_path / "ws")
    (root / "recipients.yaml").write_text(REGISTER, encoding="utf-8")
    (root / "letters" / "brev.yaml").write_text(LETTER, encoding="utf-8")
    (root / "positions" / "sak.md").write_text(POSITION, encoding="utf-8")
    return Project.open(root)


def text(project, rel):
    return (project.root / rel).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- letters


def test_a_saved_letter_keeps_its_comments_and_layout(project):
    source = project.read_source("letter", "brev")
    saved = project.save_letter(
        "brev",
        {"to": ["a"], "mode": "joint", "place": "Halden", "email": "Hei.\n\nVedlagt."},
        expected_version=source.version,
    )
    written = text(project, "letters/brev.yaml")
    assert written == saved.text
    assert written.splitlines()[:3] == [
        "# The letter to the ministers.",
        "position: sak         # the statement",
        "to: [a]               # who gets it",
    ]
    assert "mode: joint\n" in written
    assert "place: Halden\nsignatory: leder\n" in written  # a new field where it belongs
    assert "email: |\n  Hei.\n\n  Vedlagt.\n" in written
    letter = project.workspace().letters["brev"]
    assert (letter.to, letter.mode, letter.place) == (("a",), "joint", "Halden")
    assert letter.email == "Hei.\n\nVedlagt."


def test_a_field_left_empty_is_taken_out(project):
    source = project.read_source("letter", "brev")
    project.save_letter("brev", {"date": ""}, expected_version=source.version)
    assert "date" not in text(project, "letters/brev.yaml")
    assert project.workspace().letters["brev"].date is None


def test_a_value_yaml_would_misread_is_quoted(project):
    source = project.read_source("letter", "brev")
    project.save_letter(
        "brev", {"subject": "no", "place": "Oslo: sentrum"}, expected_version=source.version
    )
    written = text(project, "letters/brev.yaml")
    assert 'subject: "no"' in written and 'place: "Oslo: sentrum"' in written
    letter = project.workspace().letters["brev"]
    assert (letter.subject, letter.place) == ("no", "Oslo: sentrum")


def test_a_file_changed_on_disk_is_not_overwritten(project):
    opened = project.read_source("letter", "brev")
    theirs = LETTER.replace("mode: each", "mode: joint")
    (project.root / "letters" / "brev.yaml").write_text(theirs, encoding="utf-8")
    with pytest.raises(EditConflict) as caught:
        project.save_letter("brev", {"place": "Bergen"}, expected_version=opened.version)
    conflict = caught.value
    assert conflict.theirs == theirs
    # Mine: the fields I saved, over the file as it is now (its other changes kept).
    assert conflict.mine == theirs.replace("signatory:", "place: Bergen\nsignatory:")
    assert conflict.current == project.read_source("letter", "brev").version != opened.version
    assert str(conflict).startswith("letters/brev.yaml: the file was changed")
    assert text(project, "letters/brev.yaml") == theirs


def test_a_save_that_breaks_check_writes_nothing(project):
    source = project.read_source("letter", "brev")
    with pytest.raises(WorkspaceError) as caught:
        project.save_letter(
            "brev", {"mode": "all", "to": ["a", "nobody"]}, expected_version=source.version
        )
    shown = str(caught.value)
    assert "letters/brev.yaml:4: mode: 'all' is not one of joint, each" in shown
    assert "letters/brev.yaml:3: to: no recipient 'nobody'" in shown
    assert text(project, "letters/brev.yaml") == LETTER
    assert not list((project.root / "letters").glob(".*"))  # no half-written file beside it


def test_a_new_letter_is_made_and_an_existing_one_refused(project):
    fields = {"position": "sak", "to": ["tag:dep"], "signatory": "leder", "mode": "joint"}
    saved = project.save_letter("ny-2025", fields, expected_version=None)
    assert saved.text == "position: sak\nto: [tag:dep]\nmode: joint\nsignatory: leder\n"
    assert project.workspace().letters["ny-2025"].to == ("tag:dep",)
    with pytest.raises(LettersmithError, match="letters/ny-2025.yaml: already exists"):
        project.save_letter("ny-2025", fields, expected_version=None)


@pytest.mark.parametrize("bad", ["../lettersmith", "a/b", "..", "Brev", "", "x.yaml", "-a"])
def test_an_id_that_is_not_an_id_never_becomes_a_path(project, bad):
    before = sorted(p.name for p in project.root.rglob("*"))
    with pytest.raises(BadId, match="is not a valid id"):
        project.save_letter(bad, {"position": "sak"}, expected_version=None)
    with pytest.raises(BadId):
        project.read_source("position", bad)
    with pytest.raises(BadId):
        project.preview_draft(bad, POSITION)
    assert sorted(p.name for p in project.root.rglob("*")) == before


# --------------------------------------------------------------------------- positions


def test_a_saved_position_keeps_its_front_matter_comments(project):
    source = project.read_source("position", "sak")
    split = split_position(source.text)
    assert split.fields["title"] == "En viktig sak" and split.body.startswith("Dette er")
    project.save_position(
        "sak",
        {"title": "En enda viktigere sak", "language": "nn"},
        "Ny tekst.\n\n- punkt",
        expected_version=source.version,
    )
    assert text(project, "positions/sak.md") == (
        "---\ntitle: En enda viktigere sak # as adopted\nadopted_by: Årsmøtet\n"
        "adopted_on: 2025-03-01\nlanguage: nn\n---\nNy tekst.\n\n- punkt\n"
    )
    position = project.workspace().positions["sak"]
    assert (position.title, position.language) == ("En enda viktigere sak", "nn")


def test_a_position_without_its_date_is_refused(project):
    source = project.read_source("position", "sak")
    with pytest.raises(WorkspaceError, match="positions/sak.md"):
        project.save_position("sak", {"adopted_on": ""}, "Tekst.", expected_version=source.version)
    assert text(project, "positions/sak.md") == POSITION


def test_a_new_position(project):
    fields = {"title": "Ny sak", "adopted_by": "Styret", "adopted_on": "2025-05-05"}
    project.save_position("ny-sak", fields, "Vi mener noe.", expected_version=None)
    assert project.workspace().positions["ny-sak"].body == "Vi mener noe."


# --------------------------------------------------------------------------- the register


def test_a_recipient_is_added_changed_and_removed_with_the_comments_kept(project):
    version = project.read_source("recipients").version
    added = project.save_recipient(
        "b",
        {"title": "Helseminister", "email": "post@b.example.no", "tags": ["dep"]},
        expected_version=version,
        new=True,
    )
    changed = project.save_recipient(
        "a", {"name": "Anne Annen", "tags": ["dep", "styret"]}, expected_version=added.version
    )
    assert "  name: Anne Annen\n" in changed.text
    assert "  title: Kunnskapsminister   # the office\n" in changed.text
    assert "  tags: [dep, styret]\n" in changed.text
    assert project.workspace().recipients["b"].email == "post@b.example.no"
    project.save_letter(  # b is named by no letter: it may go
        "brev", {}, expected_version=project.read_source("letter", "brev").version
    )
    removed = project.remove_recipient("b", expected_version=changed.version)
    assert "b:" not in yaml_fields(removed.text) and "b" not in project.workspace().recipients
    for comment in ("# Our register. Keep this comment!", "# The municipality, not a person.",
                    "# A note at the end stays too."):  # fmt: skip
        assert comment in removed.text


def test_a_recipient_a_letter_names_is_not_removed(project):
    version = project.read_source("recipients").version
    with pytest.raises(WorkspaceError, match="letters/brev.yaml:3: to: no recipient 'c'"):
        project.remove_recipient("c", expected_version=version)
    assert text(project, "recipients.yaml") == REGISTER


def test_an_added_id_that_exists_is_refused(project):
    version = project.read_source("recipients").version
    with pytest.raises(LettersmithError, match="'a' is already in the register"):
        project.save_recipient("a", {"email": "x@example.org"}, expected_version=version, new=True)


def test_an_invalid_email_is_refused_with_its_line(project):
    version = project.read_source("recipients").version
    with pytest.raises(
        WorkspaceError, match=r"recipients.yaml:5: a.email: 'not-an-address' is not a valid email"
    ):
        project.save_recipient("a", {"email": "not-an-address"}, expected_version=version)


# --------------------------------------------------------------------------- clubs


def test_a_club_file_is_edited_in_its_fields(project):
    club = project.root / "clubs" / "bergen.yaml"
    club.parent.mkdir()
    club.write_text(
        "# Bergen's own settings\nname: SI Bergen\nplace: Bergen   # the date line\n"
        "signatories:\n  leder: {name: Kari Nordmann, title: Klubbpresident}\n",
        encoding="utf-8",
    )
    source = project.read_source("club", "bergen")
    project.save_club(
        "bergen",
        {
            "language": "nn",
            "signatories": {"leder": {"title": "Presidenten"}},
            "letters": {"brev": {"append": "I Bergen meiner vi òg noko.\n\nAndre avsnitt."}},
        },
        expected_version=source.version,
    )
    written = club.read_text(encoding="utf-8")
    assert written.startswith("# Bergen's own settings\nname: SI Bergen\n")
    assert "place: Bergen   # the date line\nlanguage: nn\n" in written
    profile = project.workspace().clubs["bergen"]
    assert profile.signatories["leder"].title == "Presidenten"
    assert profile.letters["brev"]["append"].startswith("I Bergen meiner vi òg noko.")
    with pytest.raises(WorkspaceError, match="clubs/bergen.yaml"):
        project.save_club(
            "bergen",
            {"language": "de"},
            expected_version=project.read_source("club", "bergen").version,
        )
    before = club.read_text(encoding="utf-8")
    # 600,000 characters (within the text's limit), 1,050,000 bytes: over a club file's 1 MB
    too_long = {"letters": {"brev": {"append": "æøå " * 150_000}}}
    with pytest.raises(WorkspaceError, match=r"clubs/bergen.yaml: the file is .* MB, more than"):
        project.save_club(
            "bergen", too_long, expected_version=project.read_source("club", "bergen").version
        )
    assert club.read_text(encoding="utf-8") == before


# --------------------------------------------------------------------------- uploads


def test_an_attachment_is_kept_under_a_safe_name_and_never_replaces_a_file(project):
    first = project.save_attachment("C:\\Users\\kari\\Mitt vedlegg (1).PDF", b"%PDF-1 one")
    assert first == "assets/Mitt-vedlegg-1.pdf"
    assert project.save_attachment("Mitt vedlegg (1).pdf", b"%PDF-1 one") == first  # same bytes
    second = project.save_attachment("../../Mitt vedlegg (1).pdf", b"%PDF-1 two")
    assert second == "assets/Mitt-vedlegg-1-2.pdf"
    assert (project.root / first).read_bytes() == b"%PDF-1 one"
    assert (project.root / second).read_bytes() == b"%PDF-1 two"
    with pytest.raises(LettersmithError, match="not taken"):
        project.save_attachment("script.sh", b"rm -rf /")
    with pytest.raises(LettersmithError, match="more than the limit of 20 MB"):
        project.save_attachment("stor.pdf", b"x" * 20_000_001)
    source = project.read_source("letter", "brev")
    project.save_letter("brev", {"attachments": [first, second]}, expected_version=source.version)
    assert len(project.workspace().letters["brev"].attachments) == 2


def xlsx(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_uploaded_spreadsheet_is_imported_with_its_rows_errors(project):
    data = xlsx(
        [
            ["Navn", "Tittel", "E-post"],
            ["Kari Ødegård", "Styreleder", "kari@example.org"],
            ["Per Feil", "Kasserer", "ikke-en-adresse"],
        ]
    )
    upload = project.receive_spreadsheet("C:\\styret\\Styret 2025.xlsx", data)
    assert (
        upload.name == "Styret-2025.xlsx" and oct(upload.path.parent.stat().st_mode)[-3:] == "700"
    )
    with pytest.raises(WorkspaceError) as caught:
        project.plan_import(upload.path)
    (problem,) = caught.value.problems
    assert problem.line == 3 and "ikke-en-adresse" in problem.message
    assert upload.shown(str(problem)).startswith("Styret-2025.xlsx:3: email:")
    fixed = project.receive_spreadsheet("styret.xlsx", data.replace(b"x", b"x"))
    assert project.uploaded_spreadsheet(fixed.token).path == fixed.path
    good = project.receive_spreadsheet(
        "styret.xlsx", xlsx([["Navn", "E-post"], ["Kari", "k@example.org"]])
    )
    plan = project.import_recipients(project.uploaded_spreadsheet(good.token).path)
    assert [entry.id for entry in plan.added] == ["kari"]
    assert project.workspace().recipients["kari"].email == "k@example.org"


def test_an_uploaded_zip_bomb_is_refused_by_the_imports_bounds(project):
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([["Navn", "E-post"]]))) as old,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
        with new.open("xl/bomb.xml", "w", force_zip64=True) as handle:
            for _ in range(40):
                handle.write(b"A" * (1 << 20))
    upload = project.receive_spreadsheet("bomb.xlsx", buffer.getvalue())
    with pytest.raises(LettersmithError, match="unpacks to more than"):
        project.plan_import(upload.path)
    with pytest.raises(LettersmithError, match="more than the limit"):
        project.receive_spreadsheet("big.csv", b"x" * (tables.MAX_CSV + 1))
    with pytest.raises(LettersmithError, match="no longer kept"):
        project.uploaded_spreadsheet("../../etc")


# --------------------------------------------------------------------------- the preview


def test_a_draft_is_previewed_without_being_saved(project):
    draft = POSITION.replace("Dette er uttalelsen.", "Et helt nytt utkast. " * 40)
    first = project.preview_draft("sak", POSITION)
    second = project.preview_draft("sak", draft)
    assert first.letter == "brev" and not first.sample
    assert first.addressed_to == ("a",)  # each mode: the first recipient's letter
    assert all(page.startswith(b"\x89PNG") for page in first.pages + second.pages)
    assert first.pages[0] != second.pages[0]
    assert text(project, "positions/sak.md") == POSITION
    assert not (project.root / "out").exists()


def test_a_position_no_letter_uses_is_previewed_in_a_sample(project):
    fields = {"title": "Ny sak", "adopted_by": "Styret", "adopted_on": "2025-05-05"}
    project.save_position("ny-sak", fields, "Vi mener noe.", expected_version=None)
    shown = project.preview_draft("ny-sak", project.read_source("position", "ny-sak").text)
    assert shown.sample and shown.addressed_to == ("a",)
    assert not (project.root / "letters" / "lettersmith-preview.yaml").exists()


def test_a_broken_draft_shows_check_s_problem(project):
    with pytest.raises(WorkspaceError, match="positions/sak.md:4: adopted_on"):
        project.preview_draft("sak", POSITION.replace("2025-03-01", "1. mars"))
    with pytest.raises(LettersmithError, match="longer than"):
        project.preview_draft("sak", POSITION + "x" * 200_001)


def test_the_preview_draws_the_draft_s_words(project):
    shown = project.preview_draft("sak", POSITION.replace("Andre avsnitt.", "Sjiraffen Gustav."))
    document = pdfium.PdfDocument(shown.pdf)
    words = " ".join(page.get_textpage().get_text_range() for page in document)
    assert "Sjiraffen Gustav." in words and "Andre avsnitt" not in words
    assert len(shown.pages) == len(document)


def test_a_file_saved_on_windows_keeps_its_line_ends(project):
    path = project.root / "positions" / "sak.md"
    path.write_bytes(POSITION.replace("\n", "\r\n").encode("utf-8"))
    letter = project.root / "letters" / "brev.yaml"
    letter.write_bytes(LETTER.replace("\n", "\r\n").encode("utf-8"))
    source = project.read_source("position", "sak")
    project.save_position("sak", {"title": "Ny"}, "Tekst.\n\nMer.", expected_version=source.version)
    assert path.read_bytes().count(b"\r\n") == path.read_bytes().count(b"\n") == 8
    source = project.read_source("letter", "brev")
    project.save_letter("brev", {"mode": "joint"}, expected_version=source.version)
    assert b"mode: joint\r\n" in letter.read_bytes() and b"\r\r" not in letter.read_bytes()
    assert letter.read_bytes().count(b"\r\n") == letter.read_bytes().count(b"\n")


def test_a_file_an_editor_saves_while_the_save_is_checked_is_kept(project, monkeypatch):
    from lettersmith.app import sources

    checked = sources.problems_with
    theirs = LETTER + "# saved in an editor meanwhile\n"

    def while_checking(root, files):
        (root / "letters" / "brev.yaml").write_text(theirs, encoding="utf-8")
        return checked(root, files)

    monkeypatch.setattr(sources, "problems_with", while_checking)
    source = project.read_source("letter", "brev")
    with pytest.raises(EditConflict) as caught:
        project.save_letter("brev", {"mode": "joint"}, expected_version=source.version)
    assert caught.value.theirs == theirs == text(project, "letters/brev.yaml")
