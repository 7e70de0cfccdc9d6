"""A build with nothing changed is done without reading the workspace (render/memo.py), and
any change at all -- a byte, a deleted file in out/, a new day, a first send -- goes the whole
way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.load import workspace
from readback import pdf_text
from workspaces import minimal, write_files


def run(root: Path, *args: str):
    result = CliRunner().invoke(main, ["-w", str(root), "build", "--jobs", "1", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def loads(monkeypatch) -> list[Path]:
    """Every time a command reads the workspace."""
    seen: list[Path] = []
    real = workspace.load

    def counting(root, **kwargs):
        seen.append(root)
        return real(root, **kwargs)

    monkeypatch.setattr(workspace, "load", counting)
    return seen


def test_nothing_changed_is_known_without_reading_the_workspace(tmp_path, loads):
    root = minimal(tmp_path)
    assert "6 written, 0 up to date." in run(root)
    assert len(loads) == 1
    assert "0 written, 6 up to date." in run(root)
    assert len(loads) == 1, "the second build did not read the workspace"
    assert "6 written" in run(root, "--force")
    assert len(loads) == 2


def test_a_changed_byte_builds_the_whole_way_and_the_letter_shows_it(tmp_path, loads):
    root = minimal(tmp_path)
    run(root)
    position = root / "positions" / "sak.md"
    position.write_text(position.read_text().replace("uttalelsen", "uttalelsen!"))
    assert "6 written, 0 up to date." in run(root)
    assert "uttalelsen!" in pdf_text(root / "out" / "brev" / "a.pdf")
    assert len(loads) == 2


def test_a_file_touched_but_not_changed_is_looked_at_and_nothing_is_made(tmp_path, loads):
    root = minimal(tmp_path)
    run(root)
    os.utime(root / "recipients.yaml", ns=(1, 1))
    assert "0 written, 6 up to date." in run(root)
    assert len(loads) == 2


def test_a_file_deleted_or_rebuilt_in_out_is_noticed(tmp_path, loads):
    root = minimal(tmp_path)
    run(root)
    (root / "out" / "brev" / "b.docx").unlink()
    output = run(root)
    assert "wrote out/brev/b.docx" in output
    assert "1 written, 5 up to date." in output
    run(root, "--force", "--format", "pdf", "--to", "a")  # another command rewrites a.pdf
    assert "0 written, 6 up to date." in run(root)
    assert len(loads) == 4


def test_each_command_is_remembered_on_its_own(tmp_path, loads):
    root = minimal(tmp_path)
    run(root, "--format", "pdf")
    assert "3 written, 3 up to date." in run(root)  # the DOCX files were not asked for before
    assert "0 written, 3 up to date." in run(root, "--format", "pdf")
    assert "0 written, 6 up to date." in run(root)
    assert len(loads) == 2


def test_a_new_day_or_a_first_send_builds_the_whole_way(tmp_path, loads):
    undated = "position: sak\nto: [tag:dep, c]\nmode: each\nsignatory: leder\n"
    root = minimal(tmp_path, {"letters/brev.yaml": undated})
    with time_machine.travel("2026-03-02 10:00 +0000"):
        run(root)
        assert "0 written, 6 up to date." in run(root)
    with time_machine.travel("2026-03-03 10:00 +0000"):
        assert "6 written" in run(root)  # dated today: the letters say the new date
    assert len(loads) == 2
    (root / ".lettersmith").mkdir()
    (root / ".lettersmith" / "journal.sqlite").write_bytes(b"")  # what a first send writes
    with time_machine.travel("2026-03-03 11:00 +0000"):
        run(root)
    assert len(loads) == 3


def test_the_warnings_are_shown_again_when_nothing_changed(tmp_path, loads):
    root = minimal(tmp_path)
    write_files(root, {"clubs/bergen.yaml": "name: [not a name\n"})
    first = run(root)
    assert "warning: clubs/bergen.yaml has problems" in first
    again = run(root)
    assert "warning: clubs/bergen.yaml has problems" in again
    assert "0 written, 6 up to date." in again
    assert len(loads) == 1


def test_a_build_that_failed_is_not_remembered(tmp_path, loads):
    root = minimal(tmp_path)
    (root / "out").mkdir()
    (root / "out" / "brev").write_text("a file where the letter's folder goes")
    for _ in range(2):
        result = CliRunner().invoke(main, ["-w", str(root), "build", "--jobs", "1"])
        assert result.exit_code == 1
    assert len(loads) == 2


def test_after_a_forced_build_nothing_changed_is_known_at_once(tmp_path, loads):
    root = minimal(tmp_path)
    run(root)
    assert "6 written" in run(root, "--force")
    assert len(loads) == 2
    # How the last build ran (--force, --jobs, -v) does not decide what the files are.
    assert "0 written, 6 up to date." in run(root, "-v")
    assert "0 written, 6 up to date." in run(root, "--jobs", "2")
    assert len(loads) == 2, "a build after --force read the workspace again"


def test_files_that_are_no_input_are_not_looked_at(tmp_path, loads):
    root = minimal(tmp_path)
    venv = root / ".venv" / "lib"
    venv.mkdir(parents=True)
    for number in range(20_001):  # past the old limit, past which the memo switched itself off
        (venv / f"m{number}.py").touch()
    run(root)
    (root / "notes.txt").write_text("the board meets on Monday")
    (venv / "m0.py").write_text("changed")
    assert "0 written, 6 up to date." in run(root)
    assert len(loads) == 1, "a workspace with a large .venv was read again"


def test_a_file_named_outside_the_input_folders_is_watched(tmp_path, loads):
    letter = "position: sak\nto: [tag:dep, c]\nmode: each\ndate: 2025-03-10\nsignatory: leder\n"
    root = minimal(tmp_path, {"letters/brev.yaml": letter + "attachments: [docs/vedlegg.pdf]\n"})
    write_files(root, {"docs/vedlegg.pdf": "%PDF-1.4 first\n"})
    run(root, "--format", "pdf")
    (root / "docs" / "vedlegg.pdf").write_text("%PDF-1.4 second, longer\n")
    run(root, "--format", "pdf")
    assert len(loads) == 2, "a changed attachment in docs/ was not noticed"
