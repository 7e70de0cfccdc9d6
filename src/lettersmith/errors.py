"""The exceptions that reach people. The CLI turns each into a message and exit status 1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in a user's file, printed as ``FILE:LINE: message``."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class LettersmithError(Exception):
    """Base of every error that is the user's to fix, not a bug."""


class WorkspaceError(LettersmithError):
    """One or more problems in the workspace's files, all reported at once."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = sorted([problems] if isinstance(problems, Problem) else problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class TemplateError(LettersmithError):
    """A template that fails to load or render; the message names the template and line."""


class RenderError(LettersmithError):
    """A letter that cannot be rendered (a refused URL, an unreadable image)."""


class DeliveryError(LettersmithError):
    """Sending failed or was refused before or while talking to the mail server."""


def relative(path: Path, root: Path) -> str:
    """A path as the user would type it from the workspace root (as given when outside it)."""
    for candidate, base in ((path, root), (path, None)):
        try:
            if base is None:  # through symlinks: /tmp/x may be /private/tmp/x on macOS
                candidate, base = path.resolve(), root.resolve()
            return str(candidate.relative_to(base))
        except (ValueError, OSError, RuntimeError):
            continue
    return str(path)
