"""The recipient fields are declared once: the loader, import, export and the README read it."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

from lettersmith.load import entries, fields, spreadsheet
from lettersmith.model import Recipient

README = Path(__file__).resolve().parents[1] / "README.md"
TABLE = re.compile(r"<!-- fields:recipients[^\n]*-->\n(.*?)<!-- /fields:recipients -->", re.S)


def test_the_readme_field_table_is_the_generated_one():
    found = TABLE.search(README.read_text(encoding="utf-8"))
    assert found, "README.md has no <!-- fields:recipients --> table"
    assert found.group(1) == fields.markdown()


def test_the_table_is_printed_by_the_module():
    printed = subprocess.run(
        [sys.executable, "-m", "lettersmith.load.fields", "--markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == fields.markdown()


def test_every_declared_field_is_a_recipient_field_the_loader_knows_and_none_is_missing():
    declared = [field.name for field in fields.RECIPIENT if field.in_file]
    kept = [f.name for f in dataclasses.fields(Recipient) if f.name not in ("id", "club", "source")]
    assert sorted(declared) == sorted(kept)
    assert list(entries.RECIPIENT_FIELDS) == declared
    assert list(fields.EXPORT_COLUMNS) == ["id", *declared]


def test_every_declared_column_name_is_read_as_its_field(tmp_path):
    for field in fields.RECIPIENT:
        for column in (field.name, *field.columns):
            header = [column] if field.name in ("email", "office") else [column, "e-post"]
            found, _ = spreadsheet.column_fields(tmp_path / "x.csv", header, ())
            assert found[0] == field.name, (column, found)
