"""``lettersmith diff``: what a club's version of a letter changes against the union's.

Compares the two composed letters field by field; changed text is shown word by word, as
``[-removed-]{+added+}`` when plain and in colour in a terminal.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

from lettersmith import markdown, workspace
from lettersmith.compose import compose
from lettersmith.model import ComposedLetter, Workspace

_STYLE = {"del": ("\x1b[31;9m", "[-", "-]"), "ins": ("\x1b[32m", "{+", "+}")}
_RESET = "\x1b[0m"


@dataclass(frozen=True)
class DiffLine:
    label: str
    segments: tuple[tuple[str, str], ...]  # (kind, text); kind is same, del or ins

    def render(self, *, color: bool) -> str:
        parts = []
        for kind, text in self.segments:
            if kind == "same":
                parts.append(text)
            elif color:
                parts.append(f"{_STYLE[kind][0]}{text}{_RESET}")
            else:
                parts.append(f"{_STYLE[kind][1]}{text}{_STYLE[kind][2]}")
        return f"{self.label}: {''.join(parts)}"


def letter_diff(union: Workspace, club: Workspace, letter: str) -> list[DiffLine]:
    """Every difference between the union's and the club's composed ``letter``."""
    today = dt.date.today()
    ours = compose(union, workspace.find_letter(union, letter), today=today)
    theirs = compose(club, workspace.find_letter(club, letter), today=today)
    a, b = ours[0], theirs[0]
    lines = [
        _changed("organisation", a.sender.name, b.sender.name),
        _changed("signatory", _signatory(a), _signatory(b)),
        _changed("place and date", a.date_line, b.date_line),
        _changed("language", _language(a), _language(b)),
        _changed("introduction", a.intro, b.intro),
        _changed("subject", a.subject, b.subject),
        _changed("about", a.about or "", b.about or ""),
        _changed("email", markdown.plain_text(a.cover_note), markdown.plain_text(b.cover_note)),
    ]
    result = [line for line in lines if line]
    before = _addressees(ours)
    after = _addressees(theirs)
    for key in before.keys() - after.keys():
        result.append(DiffLine("addressee removed", (("del", before[key]),)))
    for key in after.keys() - before.keys():
        result.append(DiffLine("addressee added", (("ins", after[key]),)))
    for block in b.appended:
        text = markdown.plain_text([block])
        result.append(DiffLine("appended paragraph", (("ins", text),)))
    if not result:
        result.append(
            DiffLine("no changes", (("same", "the club sends the union's letter as it is"),))
        )
    return result


def _changed(label: str, old: str, new: str) -> DiffLine | None:
    if old == new:
        return None
    return DiffLine(label, word_diff(old, new))


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """Word-level differences between two texts, keeping the spaces between words."""
    a, b = old.split(" "), new.split(" ")
    segments: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(("same", " ".join(a[i1:i2]) + " "))
            continue
        if tag in ("delete", "replace"):
            segments.append(("del", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            segments.append(("ins", " ".join(b[j1:j2])))
        segments.append(("same", " "))
    text = segments[-1]
    segments[-1] = (text[0], text[1].rstrip(" "))
    return tuple(segment for segment in segments if segment[1])


def _signatory(letter: ComposedLetter) -> str:
    return ", ".join(part for part in (letter.signature.name, letter.signature.title) if part)


def _language(letter: ComposedLetter) -> str:
    return f"{letter.language} ({letter.closing})"


def _addressees(letters: list[ComposedLetter]) -> dict[str, str]:
    return {
        addressee.id: f"{addressee.id}: {', '.join(addressee.lines)}"
        for letter in letters
        for addressee in letter.addressees
    }
