"""What leaves: the one definition of what a letter's reader and its envelope get.

``what_leaves`` says it for one composed letter: the text, the look (colour, font, logo and
the PNG the DOCX shows instead of an SVG, signature image, the workspace's and club's
templates), the envelope (From, Reply-To, Bcc beside the addressees, subject and cover note)
and the attachments, every file by its name under the workspace and the sha256 of its bytes.
Everything that asks "is it the same letter?" derives from it:

- the revision (``WhatLeaves.revision``, kept in ``Mailing.letter_revisions``), which the
  journal and the Message-ID use and the board approves;
- the approval's snapshot (``snapshot``) and the words that say what changed (``changes``);
- the build's fingerprint (``render.build``), which adds lettersmith's code and the format;
- the club diff (``compose.diff``), which shows the look and the envelope in the same words.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from lettersmith.atomic import content_hash
from lettersmith.compose import mailtext, markdown
from lettersmith.confine import MAX_ASSET
from lettersmith.model import Block, ComposedLetter, MailSettings, SigningSettings
from lettersmith.translate import N_, _

if TYPE_CHECKING:
    from lettersmith.compose.resolve import Mailing

SHORT = 10  # characters of the revision shown to people


def shown(revision: str) -> str:
    """The revision code people see and compare: the review page, ``status``, ``approve`` and
    the email's X-Lettersmith-Revision header all print this one string."""
    return revision[:SHORT]


MISSING = "missing"  # the content hash of a file that cannot be read


@dataclass(frozen=True, slots=True, order=True)
class FileId:
    """A file as what leaves sees it: its name under the workspace and its bytes' sha256."""

    name: str
    sha256: str

    def data(self) -> list[str]:
        return [self.name, self.sha256]  # a list, as JSON reads it back


@dataclass(frozen=True, slots=True)
class Look:
    colour: str | None
    font: FileId | None
    logo: FileId | None  # as the PDF shows it (SVG or PNG)
    docx_logo: FileId | None  # the PNG beside an SVG logo, which only the DOCX shows
    signature_image: FileId | None
    docx_signature_image: FileId | None
    templates: tuple[FileId, ...]  # the club's and workspace's templates and stylesheets
    # The other files in the assets/ beside those templates, which a stylesheet may show.
    template_assets: tuple[FileId, ...] = ()


@dataclass(frozen=True, slots=True)
class EnvelopeFields:
    """The message's own fields; the addressees, subject and cover note are in the text."""

    sender: str | None  # mail.from as written, display name included
    reply_to: str | None
    bcc: str | None


@dataclass(frozen=True, slots=True)
class WhatLeaves:
    """Everything one letter's reader and its envelope get, frozen and canonical."""

    mode: str
    text: Mapping[str, object]  # JSON values; bodies already written as JSON
    look: Look
    envelope: EnvelopeFields
    attachments: tuple[FileId, ...]
    # The key the PDF is signed with (a reader sees who signed it), and the reason it gives.
    signing: tuple[FileId, str | None] | None = None

    def data(self, *, legacy: bool = False) -> dict[str, object]:
        """As plain data. The keys of before the look and envelope counted keep their form,
        and a part that is not set is left out, so an unchanged letter keeps its revision.
        ``legacy``: only those keys, as lettersmith hashed a letter before."""
        text, look = dict(self.text), self.look
        sender, signature = (
            cast(list[object], text["sender"]),
            cast(list[object], text["signature"]),
        )
        data: dict[str, object] = {
            **text,
            "mode": self.mode,
            "sender": [*sender, _id(look.logo)],
            "signature": [*signature, _id(look.signature_image)],
            "attachments": [file.data() for file in self.attachments],
            "templates": [file.data() for file in look.templates],
        }
        if legacy:
            return data
        added = {
            "colour": look.colour,
            "font": _id(look.font),
            "docx_logo": _id(look.docx_logo),
            "docx_signature_image": _id(look.docx_signature_image),
            "from": self.envelope.sender,
            "reply_to": self.envelope.reply_to,
            "bcc": self.envelope.bcc,
            "template_assets": [f.data() for f in look.template_assets] or None,
            "signing": [*self.signing[0].data(), self.signing[1]] if self.signing else None,
        }
        data.update((key, value) for key, value in added.items() if value is not None)
        return data

    @property
    def revision(self) -> str:
        """The hex sha256 of what leaves: equal exactly when the letter and envelope are."""
        return digest(self.data())

    @property
    def legacy_revision(self) -> str:
        """The revision as lettersmith hashed this letter before the look and the envelope
        counted: a journal row of then with this revision was this very letter."""
        return digest(self.data(legacy=True))


class Files:
    """File identities looked up once per plan: a mailing's letters share a logo, a
    signature and template folders."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, FileId] = {}
        self._folders: dict[tuple[Path, ...], tuple[FileId, ...]] = {}
        self._assets: dict[tuple[Path, ...], tuple[FileId, ...]] = {}
        self._docx: dict[Path, FileId | None] = {}
        self._looks: dict[tuple[object, ...], Look] = {}
        self._look_hashes: dict[Look, str] = {}

    def paths(self) -> tuple[Path, ...]:
        """Every file looked up so far."""
        return tuple(self._files)

    def file(self, path: Path | None) -> FileId | None:
        if path is None:
            return None
        if path not in self._files:
            self._files[path] = file_id(path, self.root)
        return self._files[path]

    def look(self, letter: ComposedLetter) -> Look:
        """The letter's look, its files by content (the letters of a mailing share one)."""
        sender, signature = letter.sender, letter.signature
        key = (sender.colour, sender.font, sender.logo, signature.image, letter.template_dirs)
        if key not in self._looks:
            look = Look(
                colour=sender.colour,
                font=self.file(sender.font),
                logo=self.picture(sender.logo),
                docx_logo=self.docx_image(sender.logo),
                signature_image=self.picture(signature.image),
                docx_signature_image=self.docx_image(signature.image),
                templates=self.templates(letter.template_dirs),
            )
            named = {look.font, look.logo, look.docx_logo, look.signature_image}
            named.add(look.docx_signature_image)
            assets = self.template_assets(letter.template_dirs) if look.templates else ()
            self._looks[key] = dataclasses.replace(
                look, template_assets=tuple(f for f in assets if f not in named)
            )
        return self._looks[key]

    def picture(self, path: Path | None) -> FileId | None:
        """A picture the PDF shows; an SVG's hash covers the files it shows from beside it
        too (a picture inside the logo is part of what leaves). Without any, the SVG's own."""
        found = self.file(path)
        if path is None or found is None or path.suffix.lower() != ".svg":
            return found
        from lettersmith.load.images import svg_files  # noqa: PLC0415 -- only for an SVG

        inner = []
        for part in svg_files(path):
            try:
                info = part.stat()
            except OSError:
                continue  # nothing to show: the PDF cannot show it either
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_ASSET:
                inner.append(self.file(part))
            else:  # a device or a pipe is never read (the PDF refuses it)
                inner.append(FileId(part.name, f"not read:{stat.S_IFMT(info.st_mode)}"))
        if not inner:
            return found
        parts = [found.data(), *(part.data() for part in inner if part is not None)]
        return FileId(found.name, hashlib.sha256(json.dumps(parts).encode()).hexdigest())

    def look_hash(self, letter: ComposedLetter) -> str:
        """The hash of the letter's look, once per look (a build fingerprints every letter)."""
        look = self.look(letter)
        if look not in self._look_hashes:
            self._look_hashes[look] = hashlib.sha256(repr(look).encode()).hexdigest()
        return self._look_hashes[look]

    def docx_image(self, path: Path | None) -> FileId | None:
        """The PNG the DOCX shows for an SVG image (see ``docx_image``)."""
        if path is None or path.suffix.lower() != ".svg":
            return None
        if path not in self._docx:
            self._docx[path] = self.file(docx_image(path))
        return self._docx[path]

    def templates(self, folders: Sequence[Path]) -> tuple[FileId, ...]:
        key = tuple(folders)
        if key not in self._folders:
            found = [self.file(path) for folder in key for path in _files_in(folder)]
            self._folders[key] = tuple(sorted(f for f in found if f is not None))
        return self._folders[key]

    def template_assets(self, folders: Sequence[Path]) -> tuple[FileId, ...]:
        """The files in the assets/ beside each template folder: a stylesheet may show a
        picture or use a font from there (``url(assets/stamp.png)``), which is then part of
        the look. (A file past the limit of what a letter may show is never shown.)"""
        key = tuple(folder.parent / "assets" for folder in folders)
        if key not in self._assets:
            found = {
                self.file(path)
                for folder in key
                for path in _files_in(folder)
                if _size(path) <= MAX_ASSET
            }
            self._assets[key] = tuple(sorted(f for f in found if f is not None))
        return self._assets[key]


def _files_in(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _size(path: Path) -> float:
    try:
        return path.stat().st_size
    except OSError:
        return float("inf")


def what_leaves(
    letter: ComposedLetter,
    mode: str,
    mail: MailSettings | None = None,
    *,
    files: Files | None = None,
    signing: SigningSettings | None = None,
) -> WhatLeaves:
    """What the reader of ``letter`` and its envelope get (``mail``: the view's mail settings,
    ``signing``: its signing key).

    Ids and file names under out/ are left out: the reader sees neither, and a recipient id
    renamed after sending must not make the letter look new. Files count by their contents
    and their place under the workspace, never by an absolute path, a modification time or
    the version of the software that renders them.
    """
    files = files or Files(letter.root)
    sender, signature = letter.sender, letter.signature
    text: dict[str, object] = {
        "language": letter.language,
        "sender": [sender.name, list(sender.address), sender.email, sender.website],
        "addressees": [[list(a.lines), a.email, a.display_name] for a in letter.addressees],
        "return_address": letter.return_address,
        "place": letter.place,
        "date": letter.date.isoformat(),
        "date_line": letter.date_line,
        "intro": letter.intro,
        "title": letter.title,
        "subject": letter.subject,
        "salutation": letter.salutation,
        "body": blocks_json(letter.body),
        "appended": blocks_json(letter.appended),
        "closing": letter.closing,
        "signature": [signature.name, signature.title],
        "about": letter.about,
        "cover_note": blocks_json(letter.cover_note),
    }
    if (
        tagline := letter.sender.tagline
    ):  # only when there is one: other letters keep their revision
        text["tagline"] = tagline
    # The email greets each addressee with their own salutation, also in a joint letter.
    if greetings := [a.salutation for a in letter.addressees if a.salutation != letter.salutation]:
        text["email_salutations"] = greetings
    # The same for what came later: a letter without them keeps the revision it had.
    later = {
        "short_name": sender.short_name,
        "reference": letter.reference,
        "their_reference": letter.their_reference,
        "statement_language": letter.statement_language,
    }
    text.update((name, value) for name, value in later.items() if value)
    look = files.look(letter)
    envelope = EnvelopeFields(
        mail.sender if mail else None,
        mail.reply_to if mail else None,
        mail.bcc if mail else None,
    )
    attachments = tuple(f for f in map(files.file, letter.attachments) if f is not None)
    key = files.file(signing.certificate) if signing else None
    signed = (key, signing.reason) if key and signing else None
    return WhatLeaves(mode, MappingProxyType(text), look, envelope, attachments, signed)


def docx_image(path: Path | None) -> Path | None:
    """The PNG the DOCX shows for an SVG image (python-docx cannot embed SVG), if there is one;
    ``render.docx_package.image_file`` makes the same choice."""
    if path is None or path.suffix.lower() != ".svg":
        return None
    png = path.with_suffix(".png")
    return png if png.is_file() else None


def file_id(path: Path, root: Path) -> FileId:
    """A file by its name under the workspace and its contents' hash (``missing`` if unread)."""
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = path.name
    try:
        content = content_hash(path, path.stat())
    except OSError:
        content = MISSING
    return FileId(shown, content)


def _id(file: FileId | None) -> list[str] | None:
    return None if file is None else file.data()


# --------------------------------------------------------------------------- canonical JSON


class Json(str):
    """A value already written as JSON (as ``_json`` writes it)."""


def blocks_json(blocks: Sequence[Block]) -> Json:
    """Blocks as JSON: their dataclass fields, nested, in order.

    A mailing's letters share one body: it is written out once, not once per letter.
    """
    seen = _blocks_seen.get(id(blocks))
    if seen is not None and seen[0] is blocks:
        return seen[1]
    data = [{"kind": type(block).__name__, **dataclasses.asdict(block)} for block in blocks]
    encoded = Json(_json(data))
    if len(_blocks_seen) >= 64:
        _blocks_seen.clear()
    _blocks_seen[id(blocks)] = (blocks, encoded)  # the blocks kept, so their id stays theirs
    return encoded


_blocks_seen: dict[int, tuple[Sequence[Block], Json]] = {}


def digest(data: Mapping[str, object]) -> str:
    """The hash of ``data`` as JSON, keys sorted (parts already JSON as they are)."""
    parts = [
        f"{_json(key)}:{value if isinstance(value, Json) else _json(value)}"
        for key, value in sorted(data.items())
    ]
    return hashlib.sha256(("{" + ",".join(parts) + "}").encode("utf-8")).hexdigest()


def _json(value: object) -> str:
    return _ENCODER.encode(value)


# One encoder for every value: json.dumps with options makes a new one per call, and a plan of
# 1,000 letters writes some 40,000 values.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------- the approval's view

# The parts of a snapshot, in the order a reader meets them, with the words used for them.
PARTS: dict[str, str] = {
    "addressees": N_("the recipients or their addresses"),
    "letterhead": N_("the letterhead"),
    "language": N_("the language"),
    "date_line": N_("the place and date"),
    "subject": N_("the subject"),
    "salutation": N_("the salutation"),
    "text": N_("the letter's text"),
    "signatory": N_("the signatory"),
    "tagline": N_("the line under the organisation's name"),
    "cover_note": N_("the email's cover note"),
}


def snapshot(mailing: Mailing) -> dict[str, object]:
    """What the readers of the mailing and its envelopes get, as plain data for the approval
    record (files by name and content hash), made from ``what_leaves`` of each letter."""
    files = Files(mailing.workspace.root)
    mail, signing = mailing.workspace.mail, mailing.workspace.signing
    letters = mailing.letters
    leaving = [
        what_leaves(letter, mailing.mode, mail, files=files, signing=signing) for letter in letters
    ]
    first = leaving[0]

    def each_file(pick: str) -> list[list[str]]:
        found = {getattr(w.look, pick) for w in leaving} - {None}
        return [file.data() for file in sorted(found)]

    return {
        "mode": mailing.mode,
        "addressees": [[a.id, *a.lines, a.email] for letter in letters for a in letter.addressees],
        "date_line": _each(letter.date_line for letter in letters),
        # As the email's Subject reads: the approver sees a changed reference in words.
        "subject": _each(mailtext.email_subject(letter) for letter in letters),
        "salutation": _each(letter.salutation or "" for letter in letters),
        "text": _each(_text(letter) for letter in letters),
        "signatory": _each(
            " / ".join(filter(None, (letter.signature.name, letter.signature.title)))
            for letter in letters
        ),
        "cover_note": _each(markdown.plain_text(letter.cover_note) for letter in letters),
        "tagline": _each(letter.sender.tagline or "" for letter in letters),
        "letterhead": _each(_letterhead(letter) for letter in letters),
        "language": _each(letter.language for letter in letters),
        "from": first.envelope.sender,
        "reply_to": first.envelope.reply_to,
        "bcc": first.envelope.bcc,
        "colour": _each(w.look.colour or "" for w in leaving) or None,
        "font": each_file("font"),
        "logo": each_file("logo"),
        "docx_logo": each_file("docx_logo"),
        "signature_image": each_file("signature_image") + each_file("docx_signature_image"),
        "templates": [file.data() for file in first.look.templates],
        "template_assets": [file.data() for file in first.look.template_assets],
        "attachments": {f.name: f.sha256 for w in leaving for f in w.attachments},
        "signing": [first.signing[0].data()] if first.signing else [],
        "signing_reason": first.signing[1] if first.signing else None,
    }


def changes(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """What changed between two snapshots, one line each, in words: text word by word, the
    envelope and the look by what they were and are. A part an older snapshot did not keep
    is not compared (the revision says that something changed)."""
    lines = []
    for part, english in PARTS.items():
        old, new = before.get(part), after.get(part)
        if old == new or part not in before:
            continue
        words = _(english)
        changed = _("{part} changed").format(part=words)
        if part == "addressees" and isinstance(old, list) and isinstance(new, list):
            lines += _addressee_changes(old, new) or [changed]
        elif part == "language":
            lines.append(f"{words}: {old} → {new}")
        elif isinstance(old, str) and isinstance(new, str):
            lines.append(f"{words}: {_word_changes(old, new)}")
        else:
            lines.append(changed)
    lines += envelope_and_look(before, after)
    if before.get("mode") != after.get("mode"):
        lines.append(
            _("the mode: {before} -> {after}").format(
                before=before.get("mode"), after=after.get("mode")
            )
        )
    return lines


def envelope_and_look(before: Mapping[str, object], after: Mapping[str, object]) -> list[str]:
    """The envelope, the look and the files that changed, each in a few words."""
    lines: list[str] = []
    for key, english in (("from", N_("sender")), ("reply_to", N_("Reply-To")), ("bcc", "Bcc")):
        if key not in before or before.get(key) == after.get(key):
            continue
        old, new = before.get(key), after.get(key)
        words = _(english)
        if old is None:
            lines.append(_("{what} added: {name}").format(what=words, name=new))
        elif new is None:
            lines.append(_("{what} removed: {name}").format(what=words, name=old))
        else:
            lines.append(
                _("another {what}: {before} → {after}").format(what=words, before=old, after=new)
            )
    if "colour" in before and before.get("colour") != after.get("colour"):
        house = _("the house colour")
        lines.append(
            _("colour {before} → {after}").format(
                before=before.get("colour") or house, after=after.get("colour") or house
            )
        )
    for key, words in (
        ("font", N_("font")),
        ("logo", N_("logo")),
        ("docx_logo", N_("DOCX logo")),
        ("signature_image", N_("signature image")),
        ("templates", N_("template")),
        ("template_assets", N_("file the templates may show")),
        ("signing", N_("signing certificate")),
    ):
        if key in before and before.get(key) != after.get(key):
            lines += _files(words, _pairs(before.get(key)), _pairs(after.get(key)))
    if "signing" in before and before.get("signing_reason") != after.get("signing_reason"):
        lines.append(
            _("the signature's reason: {before} → {after}").format(
                before=before.get("signing_reason"), after=after.get("signing_reason")
            )
        )
    if "attachments" in before and before.get("attachments") != after.get("attachments"):
        old_files = before.get("attachments")
        new_files = after.get("attachments")
        lines += _files(
            N_("attachment"),
            old_files if isinstance(old_files, dict) else {},
            new_files if isinstance(new_files, dict) else {},
        )
    return lines


def _addressee_changes(old: list[object], new: list[object]) -> list[str]:
    """Each recipient added, removed or printed or addressed otherwise, by its id."""

    def by_id(rows: list[object]) -> dict[str, list[str]]:
        return {
            str(row[0]): list(dict.fromkeys(str(part) for part in row[1:] if part))
            for row in rows
            if isinstance(row, list) and row
        }

    before, after = by_id(old), by_id(new)
    lines = []
    for rid in [*before, *(rid for rid in after if rid not in before)]:
        if rid not in after:
            lines.append(
                _("recipient removed: {id} ({lines})").format(id=rid, lines=", ".join(before[rid]))
            )
        elif rid not in before:
            lines.append(
                _("recipient added: {id} ({lines})").format(id=rid, lines=", ".join(after[rid]))
            )
        elif before[rid] != after[rid]:
            lines.append(
                _("recipient {id}: {before} → {after}").format(
                    id=rid, before=", ".join(before[rid]), after=", ".join(after[rid])
                )
            )
    if not lines and list(before) != list(after):
        lines.append(
            _("the order of the recipients: {before} → {after}").format(
                before=", ".join(before), after=", ".join(after)
            )
        )
    return lines


def _letterhead(letter: ComposedLetter) -> str:
    """The sender as the letterhead and the return address show it, on one line."""
    sender = letter.sender
    parts = (sender.name, *sender.address, sender.email, sender.website)
    return " / ".join(part for part in parts if part)


def _pairs(value: object) -> dict[str, str]:
    """Files kept as ``[[name, sha256], ...]`` (JSON), as a mapping."""
    if not isinstance(value, list):
        return {}
    return {str(item[0]): str(item[1]) for item in value if isinstance(item, list | tuple)}


def _files(english: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """The files of one kind (``english``: its name, untranslated) added, removed or changed."""
    lines = []
    words = _(english)
    if english != "attachment" and len(old) == len(new) == 1 and set(old) != set(new):
        return [
            _("another {what}: {before} → {after}").format(
                what=words, before=next(iter(old)), after=next(iter(new))
            )
        ]
    for name in sorted(old.keys() | new.keys()):
        shown = Path(name).name if english == "attachment" else name
        if name not in new:
            lines.append(_("{what} removed: {name}").format(what=words, name=shown))
        elif name not in old:
            lines.append(_("{what} added: {name}").format(what=words, name=shown))
        elif old[name] != new[name]:
            lines.append(
                _("{what} {name} changed (sha256 {before} → {after})").format(
                    what=words, name=shown, before=old[name][:12], after=new[name][:12]
                )
            )
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
    return " ".join(pieces) or _("spacing or line breaks")


def _text(letter: ComposedLetter) -> str:
    blocks = markdown.plain_text((*letter.body, *letter.appended))
    return "\n".join(
        part for part in (letter.intro, letter.title, blocks, letter.closing, letter.about) if part
    )


def _each(values: Iterable[str]) -> str:
    return " / ".join(dict.fromkeys(values))
