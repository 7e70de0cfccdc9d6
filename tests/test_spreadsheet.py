"""`lettersmith recipients import` and `export`: the board's spreadsheet in and out."""

from __future__ import annotations

import csv
import dataclasses
import io

import openpyxl
import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.load import workspace as loading
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
"""
HEADER_NB = ["Navn", "Tittel", "E-post", "Adresse", "Postnummer", "Poststed", "Tagger"]
HEADER_EN = ["name", "title", "email", "address", "postcode", "town", "tags"]
PEOPLE = [
    ["Kari Ødegård", "Styreleder", "kari@example.org", "Postboks 1", "0030", "Oslo", "styret"],
    ["Åse Bø", "Kasserer", "ase@example.org", "", "", "", "styret, økonomi"],
    ["Per Ærlig", "Sekretær", "per@example.org", "Storgata 2", "5020", "Bergen", ""],
]


def cli(root, *args):
    return CliRunner().invoke(main, ["-w", str(root), *args], env={"COLUMNS": "250"})


@pytest.fixture
def ws(tmp_path):
    root = minimal(tmp_path / "ws")
    (root / "recipients.yaml").write_text(REGISTER, encoding="utf-8")
    return root


def csv_text(header, rows, delimiter):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows([header, *rows])  # quotes as Excel does
    return buffer.getvalue()


def write_xlsx(path, header, rows):
    book = openpyxl.Workbook()
    book.active.append(header)
    for row in rows:
        # Excel stores a postcode typed as a number, dropping its 0: the import puts it back.
        book.active.append([int(c) if c.isdigit() else (c or None) for c in row])
    book.save(path)
    return path


def imported(root):
    """The recipients the import added, as lettersmith loads them (id, fields; no source)."""
    loaded = loading.load(root).recipients
    return {
        rid: dataclasses.replace(recipient, source=None)
        for rid, recipient in loaded.items()
        if rid not in ("a", "c")
    }


def spreadsheets(folder):
    folder.mkdir()
    cp1252 = folder / "styret-excel.csv"
    cp1252.write_bytes(csv_text(HEADER_NB, PEOPLE, ";").encode("cp1252"))
    bom = folder / "styret-bom.csv"
    bom.write_bytes(csv_text(HEADER_EN, PEOPLE, ",").encode("utf-8-sig"))
    xlsx = write_xlsx(folder / "styret.xlsx", HEADER_NB, PEOPLE)
    return [cp1252, bom, xlsx]


def test_windows_1252_semicolons_bom_utf8_and_xlsx_import_the_same_three_people(ws, tmp_path):
    results = []
    for number, path in enumerate(spreadsheets(tmp_path / "files")):
        root = minimal(tmp_path / f"ws{number}")
        (root / "recipients.yaml").write_text(REGISTER, encoding="utf-8")
        result = cli(root, "recipients", "import", str(path))
        assert result.exit_code == 0, result.output
        assert "Added 3 recipient(s) to recipients.yaml." in result.output
        results.append(imported(root))
    assert results[0] == results[1] == results[2]
    people = results[0]
    assert list(people) == ["kari-odegard", "ase-bo", "per-aerlig"]
    assert people["kari-odegard"].name == "Kari Ødegård"
    assert people["kari-odegard"].address == ("Postboks 1", "0030 Oslo")
    assert people["ase-bo"].tags == ("styret", "okonomi")
    assert people["per-aerlig"].address == ("Storgata 2", "5020 Bergen")


def test_a_bad_email_and_a_mailbox_given_twice_report_both_rows_and_write_nothing(ws, tmp_path):
    path = tmp_path / "liste.csv"
    rows = [
        ["Kari", "Leder", "kari@example.org"],
        ["Ola", "Nestleder", "ola(at)example.org"],
        ["Kari igjen", "Leder", "KARI@example.org"],
    ]
    path.write_text(csv_text(["navn", "tittel", "e-post"], rows, ";"), encoding="utf-8")
    before = (ws / "recipients.yaml").read_bytes()
    result = cli(ws, "recipients", "import", str(path))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith(f"{path}:3: email: 'ola(at)example.org' is not a valid email address")
        for line in lines
    ), result.output
    assert (
        f"{path}:4: email: KARI@example.org is also on row 2; each mailbox goes in once: "
        "remove one of the rows"
    ) in lines
    assert "2 problems found." in lines
    assert (ws / "recipients.yaml").read_bytes() == before


def test_comments_and_order_survive_an_import(ws, tmp_path):
    path = tmp_path / "ny.csv"
    path.write_text("navn,e-post\nNy Person,ny@example.org\n", encoding="utf-8")
    assert cli(ws, "recipients", "import", str(path)).exit_code == 0
    text = (ws / "recipients.yaml").read_text(encoding="utf-8")
    assert text.startswith(REGISTER)  # every line as it was, comments included
    assert text[len(REGISTER) :] == (
        "\n# imported from ny.csv, row 2\nny-person:\n  name: Ny Person\n  email: ny@example.org\n"
    )
    assert cli(ws, "check").exit_code == 0


def test_a_mailbox_already_in_the_register_is_reported_not_added(ws, tmp_path):
    path = tmp_path / "ny.csv"
    path.write_text(
        "name;email\nAnne Alfa;Postmottak@a.example.no\nNy;ny@example.org\n", encoding="utf-8"
    )
    result = cli(ws, "recipients", "import", str(path))
    assert result.exit_code == 0, result.output
    assert (
        f"{path}:2: Postmottak@a.example.no is already in recipients.yaml (as 'a'); row left out"
    ) in result.output
    assert list(imported(ws)) == ["ny"]


def test_dry_run_shows_the_table_and_writes_nothing(ws, tmp_path):
    path = tmp_path / "ny.csv"
    path.write_text("navn,e-post\nNy Person,ny@example.org\n", encoding="utf-8")
    result = cli(ws, "recipients", "import", str(path), "--dry-run")
    assert result.exit_code == 0
    assert "ny-person" in result.output and "ny@example.org" in result.output
    assert "Dry run: 1 recipient(s) would be added." in result.output
    assert (ws / "recipients.yaml").read_text(encoding="utf-8") == REGISTER


def test_map_reads_other_columns_and_ids_never_collide(ws, tmp_path):
    path = tmp_path / "ny.csv"
    path.write_text(
        "Fullt navn\tStilling\tEpost\tTelefon\nAnne Alfa\tRektor\tanne@example.org\t123\n",
        encoding="utf-8",
    )
    result = cli(ws, "recipients", "import", str(path), "--map", "Stilling=tittel")
    assert result.exit_code == 0, result.output
    assert "column 'Telefon' is not used" in result.output
    (person,) = imported(ws).values()
    assert (person.id, person.title, person.name) == ("anne-alfa", "Rektor", "Anne Alfa")


def test_an_id_already_taken_gets_a_number(ws, tmp_path):
    path = tmp_path / "ny.csv"
    path.write_text("id,name,email\n,A,x@example.org\n", encoding="utf-8")
    assert cli(ws, "recipients", "import", str(path)).exit_code == 0
    assert list(imported(ws)) == ["a-2"]


def test_a_file_without_an_email_column_or_of_another_kind_is_refused(ws, tmp_path):
    path = tmp_path / "ny.csv"
    path.write_text("navn\nKari\n", encoding="utf-8")
    result = cli(ws, "recipients", "import", str(path))
    assert result.exit_code == 1
    assert "no column for the email address" in result.output
    other = tmp_path / "ny.ods"
    other.write_text("x")
    result = cli(ws, "recipients", "import", str(other))
    assert result.exit_code == 1 and "save it as .csv or .xlsx" in result.output


def test_export_then_import_gives_the_same_register(ws, tmp_path):
    (ws / "recipients.yaml").write_text(
        REGISTER + "hod:\n  office: no/hod\n  tags: [dep, helse]\n  verified: 2025-10-01\n",
        encoding="utf-8",
    )
    original = {
        rid: dataclasses.replace(r, source=None) for rid, r in loading.load(ws).recipients.items()
    }
    for name in ("ut.csv", "ut.xlsx"):
        out = tmp_path / name
        result = cli(ws, "recipients", "export", str(out))
        assert result.exit_code == 0, result.output
        assert "Wrote 3 recipient(s)" in result.output
        root = minimal(tmp_path / f"back-{name}")
        (root / "recipients.yaml").write_text("", encoding="utf-8")
        (root / "letters/brev.yaml").unlink()
        result = cli(root, "recipients", "import", str(out))
        assert result.exit_code == 0, result.output
        back = {
            rid: dataclasses.replace(r, source=None)
            for rid, r in loading.load(root).recipients.items()
        }
        assert back == original
    assert (tmp_path / "ut.csv").read_bytes().startswith(b"\xef\xbb\xbfid;title;name")


def test_recipients_with_a_selector_still_lists(ws):
    result = cli(ws, "recipients", "tag:dep")
    assert result.exit_code == 0
    assert result.output.splitlines()[1].startswith("a\tKunnskapsminister\tAnne Alfa")
    assert len(result.output.splitlines()) == 2
    assert cli(ws, "recipients", "list", "c").output.splitlines()[1].startswith("c\t")


def test_a_line_break_in_a_name_is_refused_but_an_address_may_have_lines(ws, tmp_path):
    path = tmp_path / "ny.csv"
    rows = [["Kari\nBcc: x@evil.example", "kari@example.org", "Gate 1\n0150 Oslo"]]
    path.write_text(csv_text(["navn", "e-post", "adresse"], rows, ";"), encoding="utf-8")
    result = cli(ws, "recipients", "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: name: contains a line break or control character; remove it" in (
        result.output
    )
    rows = [["Kari", "kari@example.org", "Gate 1\n0150 Oslo"]]
    path.write_text(csv_text(["navn", "e-post", "adresse"], rows, ";"), encoding="utf-8")
    assert cli(ws, "recipients", "import", str(path)).exit_code == 0
    assert imported(ws)["kari"].address == ("Gate 1", "0150 Oslo")


def test_a_map_to_no_field_is_refused_with_the_fields_named(ws, tmp_path):
    path = tmp_path / "ny.csv"
    path.write_text("navn,e-post\nNy,ny@example.org\n", encoding="utf-8")
    result = cli(ws, "recipients", "import", str(path), "--map", "navn=nam")
    assert result.exit_code == 1
    assert "--map navn=nam: write COLUMN=FIELD, FIELD one of id, title, name" in result.output
    assert "did you mean 'name'?" in result.output


def test_the_files_own_layout_is_kept_byte_for_byte(ws, tmp_path):
    layout = (
        "a:\n  title: X\n  email: a@example.org\n  address:\n  - Postboks 1\n  - 0030 Oslo\n"
        "b: {title: Y, email: b@example.org}   # one line\n"
        'c:\n    title: "Quoted"\n    email: c@example.org'  # no newline at the end
    )
    (ws / "recipients.yaml").write_text(layout, encoding="utf-8")
    path = tmp_path / "ny.csv"
    path.write_text("navn;e-post;tagger\nNy Person;ny@example.org;styret\n", encoding="utf-8")
    assert cli(ws, "recipients", "import", str(path)).exit_code == 0
    text = (ws / "recipients.yaml").read_text(encoding="utf-8")
    assert text == layout + (
        "\n\n# imported from ny.csv, row 2\nny-person:\n  name: Ny Person\n"
        "  email: ny@example.org\n  tags: [styret]\n"
    )
