"""Every command's --help at 80 columns: nothing cut short with "...", no line past the edge."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from lettersmith.cli import main


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()):
    yield prefix
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))
        else:
            yield (*prefix, name)


PATHS = list(command_paths())
CUT = re.compile(r"[a-zæøå0-9,;:)]\.\.\.\s*$")  # "with..." as click ends a cut line


@pytest.mark.parametrize("path", PATHS, ids=lambda path: " ".join(path) or "lettersmith")
def test_help_fits_80_columns_and_cuts_nothing(path):
    result = CliRunner().invoke(main, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line for line in lines if len(line) > 80] == []
    assert [line for line in lines if CUT.search(line)] == []
    # Each command's first sentence is listed whole (wrapped, never cut).
    command = main
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        listed = " ".join(" ".join(lines).split())
        for sub in command.commands.values():
            assert sub.get_short_help_str(limit=1000) in listed, sub.name


def test_the_paths_cover_every_command():
    assert ("send",) in PATHS and ("recipients", "import") in PATHS and () in PATHS
    assert len(PATHS) > 15
