"""Finding the workspace: light enough for a command that may not need to read it."""

from __future__ import annotations

from pathlib import Path

from lettersmith.errors import Problem, WorkspaceError
from lettersmith.translate import _

WORKSPACE_FILE = "lettersmith.yaml"


def find_root(start: Path) -> Path:
    """The folder holding lettersmith.yaml: ``start`` or the nearest parent."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / WORKSPACE_FILE).is_file():
            return folder
    raise WorkspaceError(
        Problem(
            str(start),
            None,
            _(
                "no {file} here or in any parent folder; make a workspace with "
                "`lettersmith init DIR`, or name one with `lettersmith -w DIR ...`"
            ).format(file=WORKSPACE_FILE),
        )
    )
