"""``lettersmith check``: everything a build would stumble on, found before building.

Loading validates the files; then every letter is composed, under the workspace and under
every club, and its HTML template rendered once (and its own letter.docx, if it has one,
opened), so a broken template override or a letter that composes to nothing is reported
now rather than halfway through a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lettersmith.compose.letter import compose
from lettersmith.errors import LettersmithError
from lettersmith.load.clubs import club_view
from lettersmith.load.workspace import load
from lettersmith.model import ComposedLetter, Workspace
from lettersmith.render.html import letter_html


@dataclass(frozen=True)
class Summary:
    workspace: Workspace
    letters_composed: int


def check(root: Path) -> Summary:
    """Load ``root`` and try every letter's composition and template; raise every problem."""
    ws = load(root)
    views = [ws, *(club_view(ws, club) for club in ws.clubs)]
    problems: list[str] = []
    composed = 0
    for view in views:
        for spec in view.letters.values():
            try:
                letters = compose(view, spec)
                letter_html(letters[0])
                _try_word_reference(letters[0])
            except LettersmithError as error:
                problems.extend(line for line in str(error).splitlines() if line not in problems)
            else:
                composed += len(letters)
    if problems:
        raise LettersmithError("\n".join(problems))
    return Summary(ws, composed)


def _try_word_reference(letter: ComposedLetter) -> None:
    """A workspace's or club's own letter.docx is opened and its styles checked now."""
    from lettersmith.render.docx import reference_path, render_docx

    if reference_path(letter) is not None:
        render_docx(letter)
