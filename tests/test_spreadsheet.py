"""`lettersmith recipients import` and `export`: the board's spreadsheet in and out."""

from __future__ import annotations

import csv
import dataclasses
import io
import time
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------- what is written

# Cells that mean something else to YAML when written as they are: indicators, comments,
# quotes, words other tools read as true/false/null, numbers, dates, flow punctuation.
AWKWARD = [
    ": x", "? q", "- a", "# c", "'q", '"q', "a: b", "@x", "%x", "!x", "&x", "*x", "|", ">",
    "  padded  ", "yes", "no", "null", "~", "1e3", "0x10", "2024-01-01", "x #y", "{a}", "[a]",
    "`x", ",x", "x:", "a, b", "-", "?", ":", "\ufeffx", "x\u00a0y", "back\\slash", "=1+2",
]  # fmt: skip
FLOW_REGISTER = (
    "{a: {title: Kunnskapsminister, name: Anne Alfa, email: postmottak@a.example.no, "
    "tags: [dep]}, b: {name: B, email: b@example.org, tags: [dep]},  # a comment\n"
    " c: {organisation: Casa kommune, email: post@c.example.no}}\n"
)


@pytest.mark.parametrize("layout", ["block", "flow", "flow-comma", "document", "empty"])
def test_every_awkward_cell_reads_back_as_written(tmp_path, layout):
    from lettersmith.load import spreadsheet

    root = minimal(tmp_path / "ws")
    if layout.startswith("flow"):
        text = FLOW_REGISTER.replace(
            "}}\n", "},  # last\n}\n" if layout == "flow-comma" else "}}\n"
        )
        (root / "recipients.yaml").write_text(text, encoding="utf-8")
    elif layout == "document":
        text = (root / "recipients.yaml").read_text(encoding="utf-8")
        (root / "recipients.yaml").write_text(f"---\n{text}...\n", encoding="utf-8")
    elif layout == "empty":
        (root / "recipients.yaml").write_text("# nobody yet\n", encoding="utf-8")
        (root / "letters/brev.yaml").unlink()
    path = tmp_path / "liste.csv"
    rows = [
        [value, f"p{number}@example.org", f"{value}\n{value}", value, value, value]
        for number, value in enumerate(AWKWARD)
    ]
    header = ["navn", "e-post", "adresse", "hilsen", "poststed", "tittel"]
    path.write_text(csv_text(header, rows, ";"), encoding="utf-8")
    spreadsheet.write_import(root, spreadsheet.plan_import(root, path))
    loaded = {r.email: r for r in loading.load(root).recipients.values()}
    for number, value in enumerate(AWKWARD):
        person = loaded[f"p{number}@example.org"]
        meant = value.strip()
        assert (person.name, person.title, person.salutation) == (meant, meant, meant)
        assert person.address == (meant, meant, meant)
    assert cli(root, "check").exit_code == 0


# Characters that mean something to YAML somewhere, line breaks of every kind among them.
YAML_CHARS = list(":?-#'\"@%!&*|>~ \t\n\r,[]{}`=+0123456789exyYnNoO.\\\x85\u2028\u2029\ufeff\x00é/")
TEXTS = st.text() | st.text(alphabet=YAML_CHARS, max_size=12)


@settings(max_examples=500, deadline=None)
@given(value=TEXTS, other=TEXTS)
def test_the_quoting_rule_gives_back_any_text(value, other):
    from unittest import mock

    import yaml

    from lettersmith.errors import Problem
    from lettersmith.load.yamlfile import Map, Scalar, Seq, parse_yaml
    from lettersmith.load.yamltext import yaml_scalar

    text = f"k: {yaml_scalar(value)}\nl: [{yaml_scalar(value)}, {yaml_scalar(other)}]\n"
    for fast in (True, False):  # libyaml's reading, and the Python loader's
        problems: list[Problem] = []
        with mock.patch.object(yaml, "CBaseLoader", yaml.CBaseLoader if fast else None):
            root = parse_yaml(text, "f.yaml", problems)
        assert not problems
        assert isinstance(root, Map)
        assert root.get("k") == Scalar(value, 1)
        assert root.get("l") == Seq((Scalar(value, 2), Scalar(other, 2)), 2)


def test_a_file_name_with_a_line_break_cannot_add_fields(ws, tmp_path):
    path = tmp_path / "x\nevil: {email: e@evil.example}\n.csv"
    path.write_text("navn,e-post\nNy Person,ny@example.org\n", encoding="utf-8")
    assert cli(ws, "recipients", "import", str(path)).exit_code == 0
    assert list(imported(ws)) == ["ny-person"]
    assert cli(ws, "check").exit_code == 0


def test_a_text_that_would_not_read_back_is_never_written(ws, tmp_path, monkeypatch):
    from lettersmith.errors import LettersmithError
    from lettersmith.load import spreadsheet, yamltext

    path = tmp_path / "ny.csv"
    path.write_text("navn,e-post\n: x,ny@example.org\n", encoding="utf-8")
    plan = spreadsheet.plan_import(ws, path)
    monkeypatch.setattr(yamltext, "yaml_scalar", lambda value: value)  # a broken rule
    with pytest.raises(LettersmithError, match="nothing was written"):
        spreadsheet.write_import(ws, plan)
    assert (ws / "recipients.yaml").read_text(encoding="utf-8") == REGISTER


# --------------------------------------------------------------------------- broken and huge files

BROKEN = "cannot read this spreadsheet: "
AGAIN = "; save it again as .xlsx or .csv"


def good_xlsx(path):
    return write_xlsx(path, HEADER_NB, PEOPLE)


def rezip(source, target, change):
    """``source``'s members, each passed through ``change(name, data)`` (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
    return target


def broken_files(folder):
    good = good_xlsx(folder / "good.xlsx")
    data = good.read_bytes()
    (folder / "text.xlsx").write_text("navn;e-post\n", encoding="utf-8")
    (folder / "cut.xlsx").write_bytes(data[: len(data) // 2])
    (folder / "empty.xlsx").write_bytes(b"")
    yield folder / "text.xlsx"
    yield folder / "cut.xlsx"
    yield folder / "empty.xlsx"
    yield rezip(good, folder / "noworkbook.xlsx", lambda n, d: None if "workbook" in n else d)
    yield rezip(good, folder / "types.xlsx", lambda n, d: b"<x/>" if "Content_Types" in n else d)
    yield rezip(good, folder / "sheet.xlsx", lambda n, d: d[:40] if "worksheets/" in n else d)


def test_a_broken_xlsx_is_one_clear_message(ws, tmp_path):
    for path in broken_files(tmp_path):
        result = cli(ws, "recipients", "import", str(path))
        assert result.exit_code == 1, (path, result.output)
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"{path}: {BROKEN}") and line.endswith(AGAIN), line
        assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("megabytes", "reason"),
    [(160, "it unpacks to more than 32 MB"), (8, "it unpacks to more than 100 times its size")],
)
def test_an_xlsx_that_unpacks_to_gigabytes_is_refused_at_once(ws, tmp_path, megabytes, reason):
    good = good_xlsx(tmp_path / "good.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if "sharedStrings" not in info.filename:
                new.writestr(info.filename, old.read(info))
        with new.open("xl/sharedStrings.xml", "w", force_zip64=True) as handle:
            handle.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                         b'main"><si><t>')  # fmt: skip
            chunk = b"A" * (1 << 20)
            for _ in range(megabytes):  # MBs of one string, kBs packed
                handle.write(chunk)
            handle.write(b"</t></si></sst>")
    assert bomb.stat().st_size < 1_000_000
    started = time.monotonic()
    result = cli(ws, "recipients", "import", str(bomb))
    assert time.monotonic() - started < 5
    assert result.exit_code == 1
    assert result.output.startswith(f"{bomb}: {BROKEN}{reason}"), result.output


def test_a_sheet_with_too_many_columns_is_refused(ws, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["navn", "e-post", *[f"x{n}" for n in range(300)]])
    book.active.append(["Kari", "kari@example.org"])
    book.save(tmp_path / "wide.xlsx")
    result = cli(ws, "recipients", "import", str(tmp_path / "wide.xlsx"))
    assert result.exit_code == 1
    assert "more than 200 columns" in result.output


def test_reading_a_spreadsheet_stops_at_its_time_limit(ws, tmp_path, monkeypatch):
    from lettersmith.load import tables

    monkeypatch.setattr(tables, "MAX_SECONDS", -1.0)  # every file is past its time
    for path in (good_xlsx(tmp_path / "slow.xlsx"), tmp_path / "slow.csv"):
        path.with_suffix(".csv").write_text("navn;e-post\nKari;k@example.org\n", encoding="utf-8")
        result = cli(ws, "recipients", "import", str(path))
        assert result.exit_code == 1
        assert result.output.startswith(f"{path}: {BROKEN}reading it took longer than"), (
            result.output
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0),
    flips=st.lists(st.tuples(st.integers(0), st.integers(0, 255)), max_size=6),
    noise=st.binary(max_size=200),
    kind=st.sampled_from(["cut", "flip", "noise"]),
)
def test_any_damaged_xlsx_is_read_or_refused_with_a_message(
    tmp_path_factory, cut, flips, noise, kind
):
    from lettersmith.errors import LettersmithError
    from lettersmith.load import tables

    folder = tmp_path_factory.mktemp("fuzz")
    data = bytearray(good_xlsx(folder / "good.xlsx").read_bytes())
    if kind == "cut":
        data = data[: cut % len(data)]
    elif kind == "flip":
        for where, byte in flips:
            data[where % len(data)] = byte
    else:
        data = bytearray(noise)
    path = folder / "fuzz.xlsx"
    path.write_bytes(bytes(data))
    try:
        tables.read_table(path)
    except LettersmithError as error:
        assert str(error).startswith(f"{path}: "), str(error)


# --------------------------------------------------------------------------- formulas in exports

FORMULAS = {
    "name": '=HYPERLINK("http://evil.example","Klikk")',
    "title": "+47 22 00 00 00",
    "organisation": "@SUM(A1)",
    "salutation": "-1+1",
}


def test_export_neutralises_cells_that_start_a_formula_and_import_gives_them_back(ws, tmp_path):
    fields = "".join(f"  {key}: {yaml_quoted(value)}\n" for key, value in FORMULAS.items())
    (ws / "recipients.yaml").write_text(
        REGISTER + "f:\n" + fields + "  email: f@example.org\n"
        '  address: ["=1+1", "\'=already quoted"]\n',
        encoding="utf-8",
    )
    original = {
        rid: dataclasses.replace(r, source=None) for rid, r in loading.load(ws).recipients.items()
    }
    out = tmp_path / "ut.csv"
    assert cli(ws, "recipients", "export", str(out)).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULAS["name"] in cells and "'+47 22 00 00 00" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    xlsx = tmp_path / "ut.xlsx"
    assert cli(ws, "recipients", "export", str(xlsx)).exit_code == 0
    sheet = openpyxl.load_workbook(xlsx).active
    stored = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type == "s" for cell in stored)
    assert "'@SUM(A1)" in [cell.value for cell in stored]
    for name in ("ut.csv", "ut.xlsx"):
        root = minimal(tmp_path / f"back-{name}")
        (root / "recipients.yaml").write_text("", encoding="utf-8")
        (root / "letters/brev.yaml").unlink()
        result = cli(root, "recipients", "import", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        back = {
            rid: dataclasses.replace(r, source=None)
            for rid, r in loading.load(root).recipients.items()
        }
        assert back == original
    assert original["f"].address == ("=1+1", "'=already quoted")


def yaml_quoted(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_a_register_with_windows_line_endings_and_a_bom_keeps_them(ws, tmp_path):
    (ws / "recipients.yaml").write_bytes(REGISTER.replace("\n", "\r\n").encode("utf-8-sig"))
    path = tmp_path / "ny.csv"
    path.write_text("navn,e-post\nNy Person,ny@example.org\n", encoding="utf-8")
    assert cli(ws, "recipients", "import", str(path)).exit_code == 0
    data = (ws / "recipients.yaml").read_bytes()
    assert data.startswith(("\ufeff" + REGISTER.replace("\n", "\r\n")).encode("utf-8"))
    assert data.count(b"\n") == data.count(b"\r\n")
    assert list(imported(ws)) == ["ny-person"]


def test_a_dry_run_shows_every_field_as_it_would_be_written(ws, tmp_path):
    path = tmp_path / "styret.csv"
    header = [*HEADER_NB, "Organisasjon", "Språk", "Hilsen", "Verifisert"]
    row = [*PEOPLE[0], "Styret", "nn", "Kjære Kari", "2026-11-02"]
    path.write_text(csv_text(header, [row], ","), encoding="utf-8")
    result = cli(ws, "recipients", "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    shown = result.output.split("These entries would be added to recipients.yaml:\n", 1)[1]
    written = shown.split("Dry run: 1 recipient(s) would be added.")[0]
    for value in (
        "kari-odegard:", "name: Kari Ødegård", "title: Styreleder", "email: kari@example.org",
        "Postboks 1", "0030 Oslo", "styret", "organisation: Styret", "language: nn",
        "salutation: Kjære Kari", "verified: 2026-11-02",
    ):  # fmt: skip
        assert value in written, value
    assert (ws / "recipients.yaml").read_text(encoding="utf-8") == REGISTER
    # What the dry run showed is what the import writes.
    assert cli(ws, "recipients", "import", str(path)).exit_code == 0
    assert written.strip() in (ws / "recipients.yaml").read_text(encoding="utf-8")


def test_the_help_lists_every_declared_column(ws):
    from lettersmith.load.fields import RECIPIENT

    text = cli(ws, "recipients", "import", "--help").output
    for field in RECIPIENT:
        line = next(line for line in text.splitlines() if line.split()[:1] == [field.name])
        assert all(column in line for column in field.columns), field.name
