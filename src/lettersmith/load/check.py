"""``lettersmith check``: everything a build would stumble on, found before building.

Loading validates the files; then every letter is composed, under the workspace and under
every club, and its HTML template rendered once (and its own letter.docx, if it has one,
opened), so a broken template override or a letter that composes to nothing is reported
now rather than halfway through a batch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from lettersmith.compose.letter import compose
from lettersmith.errors import LettersmithError
from lettersmith.load import offices
from lettersmith.load.clubs import club_view
from lettersmith.load.workspace import load, select_recipients
from lettersmith.model import ComposedLetter, Recipient, Workspace
from lettersmith.render.html import letter_html


@dataclass(frozen=True)
class Summary:
    workspace: Workspace
    letters_composed: int
    warnings: tuple[str, ...] = ()  # worth a look, not wrong: check still succeeds


def check(root: Path, today: dt.date | None = None) -> Summary:
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
    return Summary(ws, composed, tuple(recipient_warnings(views, today or dt.date.today())))


def recipient_warnings(views: list[Workspace], today: dt.date) -> list[str]:
    """Names that differ from the built-in register, and names checked too long before a
    letter's date (someone else may hold the office by then)."""
    warnings: list[str] = []
    seen: set[tuple[str | None, str]] = set()
    for view in views:
        for recipient in view.recipients.values():
            if (recipient.club, recipient.id) in seen:
                continue
            seen.add((recipient.club, recipient.id))
            if (note := holder_difference(recipient)) is not None:
                warnings.append(note)
        for spec in view.letters.values():
            date = spec.date or today
            for recipient in select_recipients(view, spec.to):
                if recipient.name and offices.is_stale(recipient.verified, date):
                    warnings.append(stale_warning(recipient, spec.id, date))
    return list(dict.fromkeys(warnings))


def holder_difference(recipient: Recipient) -> str | None:
    if recipient.office is None or recipient.name is None:
        return None
    office = offices.register()[recipient.office]
    if office.holder is None or office.holder == recipient.name:
        return None
    dates = [f"since {office.since}"] if office.since else []
    dates += [f"verified {office.verified}"] if office.verified else []
    return (
        f"{recipient.source}: {recipient.id}.name: '{recipient.name}' is not the register's "
        f"holder of {office.id}, '{office.holder}' ({', '.join(dates)}); keep your "
        "name if the letter is meant for them, or remove name: to use the register's"
    )


def stale_warning(recipient: Recipient, letter_id: str, date: dt.date) -> str:
    assert recipient.verified is not None
    days = (date - recipient.verified).days
    office = f" ({recipient.office})" if recipient.office else ""
    return (
        f"{recipient.source}: {recipient.id}: '{recipient.name}' was last verified "
        f"{recipient.verified}, {days} days before letter {letter_id}'s date {date}; check "
        f"on the ministry's page (regjeringen.no) that {recipient.name} still holds the "
        f"office{office} and the address is right, then set verified: to the day you checked"
    )


def _try_word_reference(letter: ComposedLetter) -> None:
    """A workspace's or club's own letter.docx is opened and its styles checked now."""
    from lettersmith.render.docx import reference_path, render_docx

    if reference_path(letter) is not None:
        render_docx(letter)
