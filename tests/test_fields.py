"""The recipient fields are declared once: the loader, import, export and the README read it."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lettersmith.load import entries, fields, spreadsheet
from lettersmith.model import Recipient

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize("name", ["recipients", "settings"])
def test_the_readme_field_tables_are_the_generated_ones(name):
    table = re.compile(rf"<!-- fields:{name}[^\n]*-->\n(.*?)<!-- /fields:{name} -->", re.S)
    found = table.search(README.read_text(encoding="utf-8"))
    assert found, f"README.md has no <!-- fields:{name} --> table"
    assert found.group(1) == fields.markdown(fields.TABLES[name])
    printed = subprocess.run(
        [sys.executable, "-m", "lettersmith.load.fields", "--markdown", name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == found.group(1)


def dotted(node, prefix=""):
    for key, value in node.items():
        name = f"{prefix}{'ID' if prefix == 'signatories.' else key}"
        if prefix != "signatories.":  # an id, not a field
            yield name
        if isinstance(value, dict):
            yield from dotted(value, f"{name}.")


def test_the_readme_example_of_lettersmith_yaml_shows_every_declared_field():
    text = README.read_text(encoding="utf-8")
    example = text.split("#### lettersmith.yaml", 1)[1].split("```yaml\n", 1)[1].split("```")[0]
    shown = set(dotted(yaml.safe_load(example)))
    assert shown == {field.name for field in fields.SETTINGS}


def test_the_loader_knows_the_declared_settings_and_requires_the_required(tmp_path):
    from lettersmith.errors import WorkspaceError
    from lettersmith.load import workspace
    from workspaces import minimal

    root = minimal(tmp_path, {"lettersmith.yaml": "organisation: {about: x, nam: y}\n"})
    with pytest.raises(WorkspaceError) as raised:
        workspace.load(root)
    messages = [problem.message for problem in raised.value.problems]
    known = ", ".join(fields.children("organisation"))
    assert f"organisation.nam: unknown field; did you mean 'name'? Known fields: {known}" in (
        messages
    )
    assert "organisation.name: required field is missing; add it" in messages


def test_every_declared_field_is_a_recipient_field_the_loader_knows_and_none_is_missing():
    declared = [field.name for field in fields.RECIPIENT if field.in_file]
    kept = [f.name for f in dataclasses.fields(Recipient) if f.name not in ("id", "club", "source")]
    assert sorted(declared) == sorted(kept)
    assert list(entries.RECIPIENT_FIELDS) == declared
    assert list(fields.EXPORT_COLUMNS) == ["id", *declared]


def test_an_entry_written_with_every_declared_example_loads(tmp_path):
    """Each field's README example, written into one entry, is a field the loader reads."""
    from lettersmith.load import workspace
    from workspaces import minimal

    root = minimal(tmp_path / "ws")
    examples = [field.example for field in fields.RECIPIENT if field.in_file]
    entry = "every:\n" + "".join(f"  {example}\n" for example in examples)
    with (root / "recipients.yaml").open("a", encoding="utf-8") as register:
        register.write(entry)
    loaded = workspace.load(root).recipients["every"]
    for field in fields.RECIPIENT:
        if field.in_file:
            assert getattr(loaded, field.name) not in (None, (), ""), field.name


def test_every_declared_column_name_is_read_as_its_field(tmp_path):
    for field in fields.RECIPIENT:
        for column in (field.name, *field.columns):
            header = [column] if field.name in ("email", "office") else [column, "e-post"]
            found, _ = spreadsheet.column_fields(tmp_path / "x.csv", header, ())
            assert found[0] == field.name, (column, found)
