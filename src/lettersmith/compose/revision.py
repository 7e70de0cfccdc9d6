"""What a mailing's revision is made of, as plain data: to say what changed since an approval.

The revision itself is ``Mailing.revision`` (compose.resolve decides it, once). An approval
keeps this snapshot beside the revision it approved, so that ``send`` can say, when it
refuses, which words, recipients or files changed since.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lettersmith.compose import markdown
from lettersmith.model import ComposedLetter

if TYPE_CHECKING:
    from lettersmith.compose.resolve import Mailing

SHORT = 10  # characters of the revision shown to people

# The parts of a snapshot, in the order a reader meets them, with the words used for them.
PARTS: dict[str, str] = {
    "addressees": "the recipients or their addresses",
    "date_line": "the place and date",
    "subject": "the subject",
    "text": "the letter's text",
    "signatory": "the signatory",
    "cover_note": "the email's cover note",
    "attachments": "the attachments",
    "design": "the letterhead, logo, signature image or templates",
}


def snapshot(mailing: Mailing) -> dict[str, object]:
    """What a reader of the mailing sees, as plain data (files by name and content hash)."""
    letters = mailing.letters
    files = dict(mailing.asset_files)
    attachments = {name: files.get(name, "") for name in _attachment_names(mailing)}
    design = [*mailing.template_files, *(f for f in files.items() if f[0] not in attachments)]
    return {
        "mode": mailing.mode,
        "addressees": [[a.id, *a.lines, a.email] for letter in letters for a in letter.addressees],
        "date_line": _each(letter.date_line for letter in letters),
        "subject": _each(letter.subject for letter in letters),
        "text": _each(_text(letter) for letter in letters),
        "signatory": _each(
            " / ".join(filter(None, (letter.signature.name, letter.signature.title)))
            for letter in letters
        ),
        "cover_note": _each(markdown.plain_text(letter.cover_note) for letter in letters),
        "attachments": attachments,
        "design": [list(file) for file in sorted(design)],  # lists, as JSON reads back
    }


def _attachment_names(mailing: Mailing) -> list[str]:
    root = mailing.workspace.root.resolve()
    names = []
    for path in mailing.attachments:
        try:
            names.append(path.resolve().relative_to(root).as_posix())
        except ValueError:
            names.append(path.name)
    return names


def changes(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """What changed between two snapshots, one line each, text shown word by word."""
    lines = []
    for part, words in PARTS.items():
        old, new = before.get(part), after.get(part)
        if old == new:
            continue
        if isinstance(old, str) and isinstance(new, str):
            lines.append(f"{words}: {_word_changes(old, new)}")
        else:
            lines.append(f"{words} changed")
    if before.get("mode") != after.get("mode"):
        lines.append(f"the mode: {before.get('mode')} -> {after.get('mode')}")
    return lines


def _word_changes(old: str, new: str, context: int = 3) -> str:
    """Only the changed words, with a few words around them: ``... to [-ten-]{+eleven+} ...``."""
    a, b = old.split(), new.split()
    pieces = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        before = " ".join(a[max(0, i1 - context) : i1])
        after = " ".join(a[i2 : i2 + context])
        removed = f"[-{' '.join(a[i1:i2])}-]" if i2 > i1 else ""
        added = f"{{+{' '.join(b[j1:j2])}+}}" if j2 > j1 else ""
        pieces.append(f"...{before} {removed}{added} {after}...".replace("  ", " "))
        if len(pieces) == 5:
            pieces.append("...")
            break
    return " ".join(pieces) or "spacing or line breaks"


def _text(letter: ComposedLetter) -> str:
    blocks = markdown.plain_text((*letter.body, *letter.appended))
    return "\n".join(
        part for part in (letter.intro, letter.title, blocks, letter.closing, letter.about) if part
    )


def _each(values: Iterable[str]) -> str:
    return " / ".join(dict.fromkeys(values))
