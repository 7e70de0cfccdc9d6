"""``lettersmith diff``: what a club's version of a letter changes against the union's.

Compares the two composed letters field by field; changed text is shown word by word, as
``[-removed-]{+added+}`` when plain and in colour in a terminal. The look, the envelope and
the files are compared as ``compose.revision.what_leaves`` sees them, in the words an
approval's refusal uses ("colour #0a4f9c → #7a1f3d", "Bcc added: arkiv@x").
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from lettersmith.compose import markdown
from lettersmith.compose import revision as revisions
from lettersmith.compose.resolve import Mailing
from lettersmith.model import ComposedLetter
from lettersmith.translate import N_, _

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


def letter_diff(union: Mailing, club: Mailing) -> list[DiffLine]:
    """Every difference between the union's and the club's mailing of one letter.

    In ``each`` mode a field is compared over all of a side's letters, so recipients in
    other languages show as "nb (Vennlig hilsen) / en (Kind regards)".
    """
    ours, theirs = list(union.letters), list(club.letters)
    result = [
        DiffLine(_(label), word_diff(old, new))
        for label, old, new in [
            (N_("mode"), union.mode, club.mode),
            (N_("position"), union.spec.position, club.spec.position),
            *((label, _each(ours, field), _each(theirs, field)) for label, field in _FIELDS),
        ]
        if old != new
    ]
    before, after = _addressees(ours), _addressees(theirs)
    for key, text in before.items():
        if key not in after:
            result.append(DiffLine(_("addressee removed"), (("del", text),)))
    for key, text in after.items():
        if key not in before:
            result.append(DiffLine(_("addressee added"), (("ins", text),)))
    # The look and the envelope, in the words an approval's refusal uses.
    for line in revisions.envelope_and_look(revisions.snapshot(union), revisions.snapshot(club)):
        result.append(DiffLine(_kind(line), (("same", line),)))
    for note in club.shadowed:
        result.append(DiffLine(_("not used"), (("same", note),)))
    for block in theirs[0].appended:
        text = markdown.plain_text([block])
        result.append(DiffLine(_("appended paragraph"), (("ins", text),)))
    if not result:
        result.append(
            DiffLine(_("no changes"), (("same", _("the club sends the union's letter as it is")),))
        )
    return result


def _kind(line: str) -> str:
    """The label of a line of ``envelope_and_look``, told by how it starts (in its language)."""
    names = (_("sender"), _("Reply-To"), "Bcc")
    another = _("another {what}: {before} → {after}").partition("{what}")[0]
    if line.startswith((*names, *(another + name for name in names))):
        return _("envelope")
    return _("attachments") if line.startswith(_("attachment")) else _("look")


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


def _cover_note(letter: ComposedLetter) -> str:
    return markdown.plain_text(letter.cover_note)


# What a reader of both letters would compare, in the order the letter shows it.
_FIELDS: tuple[tuple[str, Callable[[ComposedLetter], str]], ...] = (
    (N_("organisation"), lambda letter: letter.sender.name),
    (N_("short name"), lambda letter: letter.sender.short_name or ""),
    (N_("tagline"), lambda letter: letter.sender.tagline or ""),
    (N_("address"), lambda letter: ", ".join(letter.sender.address)),
    (N_("sender's email"), lambda letter: letter.sender.email or ""),
    (N_("website"), lambda letter: letter.sender.website or ""),
    (N_("signatory"), _signatory),
    (N_("place and date"), lambda letter: letter.date_line),
    (N_("our reference"), lambda letter: letter.reference or ""),
    (N_("language"), _language),
    (N_("introduction"), lambda letter: letter.intro),
    # The adopted words: a club may not change them, but may pick another position.
    (N_("title"), lambda letter: letter.title),
    (N_("body"), lambda letter: markdown.plain_text(letter.body)),
    (N_("subject"), lambda letter: letter.subject),
    (N_("about"), lambda letter: letter.about or ""),
    (N_("email"), _cover_note),
    (N_("attachments"), lambda letter: ", ".join(path.name for path in letter.attachments)),
)


def _each(letters: list[ComposedLetter], field: Callable[[ComposedLetter], str]) -> str:
    """A field's value over all the letters (several in each mode): each distinct one once."""
    return " / ".join(dict.fromkeys(field(letter) for letter in letters))


def _addressees(letters: list[ComposedLetter]) -> dict[str, str]:
    return {
        addressee.id: f"{addressee.id}: {', '.join(addressee.lines)}"
        for letter in letters
        for addressee in letter.addressees
    }
