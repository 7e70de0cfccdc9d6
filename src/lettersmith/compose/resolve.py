"""Resolve: (workspace, club, letter, command line) into one frozen ``Mailing``.

Every command that looks at a letter -- build, preview, diff, send, status, review -- starts
here, so they all see the same fields, the same date, the same recipients and the same text.
Two things are decided only here:

- **The override order** (``OVERRIDE_ORDER``): a field takes the value of the highest level
  that sets it. The README's table is this declaration, written out.
- **The revision**: a hash of what leaves (``compose.revision.what_leaves``: what a reader
  sees and the envelope carries). It leaves out lettersmith's version, the renderer, the
  machine and absolute paths, so "changed since sent" means the letter changed, not the
  software.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, cast

from lettersmith.compose import letter as composing
from lettersmith.compose import revision as revisions
from lettersmith.errors import Problem, WorkspaceError
from lettersmith.load.clubs import club_view
from lettersmith.load.workspace import find_letter, select_recipients
from lettersmith.model import (
    LANGUAGES,
    ComposedLetter,
    Language,
    LetterSpec,
    MailSettings,
    Position,
    Recipient,
    Signatory,
    SigningSettings,
    Workspace,
)
from lettersmith.translate import _

Level = Literal["built-in", "lettersmith.yaml", "club", "letter", "club letter", "command line"]

# Lowest first. A field takes the value of the last level here that sets it.
OVERRIDE_ORDER: Final[tuple[Level, ...]] = (
    "built-in",  # language nb; no place; the date: of the first send, else today
    "lettersmith.yaml",  # language, place
    "club",  # clubs/<club>.yaml top level: language, place
    "letter",  # letters/<id>.yaml: date, place, signatory, language
    "club letter",  # clubs/<club>.yaml letters.<id>: date, place, signatory, language
    "command line",  # --date, --place, --signatory, --language
)
OVERRIDABLE: Final[tuple[str, ...]] = ("date", "place", "signatory", "language")

DateSource = Literal["set", "first send", "today"]


@dataclass(frozen=True)
class Overrides:
    """What the command line sets; the highest level of the override order."""

    date: dt.date | None = None
    place: str | None = None
    signatory: str | None = None
    language: Language | None = None


@dataclass(frozen=True)
class Setting:
    """A resolved field and the level of the override order it came from."""

    value: object
    level: Level


@dataclass(frozen=True)
class Mailing:
    """One letter, resolved once, for one club (or the union) and one command line.

    ``letters`` holds every composed letter of the mailing (one in joint mode, one per
    recipient in each mode), addressed to all its recipients whatever ``--to`` said;
    ``selected`` is the recipients ``--to`` chose (all of them by default).
    """

    letter_id: str
    club_id: str | None
    workspace: Workspace  # the view the letter was resolved in (the club's, under --club)
    spec: LetterSpec  # the letter file with the club's `letters:` entry applied
    position: Position
    mode: str
    language: Language
    place: str
    date: dt.date
    date_source: DateSource
    signatory: Signatory
    recipients: tuple[Recipient, ...]
    selected: tuple[str, ...]  # recipient ids, in the letter's order
    letters: tuple[ComposedLetter, ...]
    attachments: tuple[Path, ...]
    template_files: tuple[tuple[str, str], ...]  # (path under the workspace, sha256)
    asset_files: tuple[tuple[str, str], ...]  # logo, signature image, attachments
    origins: Mapping[str, Level] = field(default_factory=dict)
    # A club's own top-level value that the union's letter file outranks, as a sentence.
    shadowed: tuple[str, ...] = ()
    letter_revisions: Mapping[str, str] = field(default_factory=dict)  # letter stem -> hash
    revision: str = ""  # hex sha256 of the whole mailing

    def letter_for(self, recipient_id: str) -> ComposedLetter:
        """The composed letter a recipient receives."""
        for letter in self.letters:
            if any(a.id == recipient_id for a in letter.addressees):
                return letter
        raise KeyError(recipient_id)

    def revision_for(self, recipient_id: str) -> str:
        """The revision of what one recipient receives (their letter, cover note, files)."""
        return self.letter_revisions[self.letter_for(recipient_id).stem]

    @property
    def selected_letters(self) -> tuple[ComposedLetter, ...]:
        """The letters that go to at least one selected recipient."""
        chosen = set(self.selected)
        return tuple(
            letter for letter in self.letters if any(a.id in chosen for a in letter.addressees)
        )


# A letter's date once its first message went out; see deliver.journal.first_sent_date.
SentDate = Callable[[Workspace, str, str | None], dt.date | None]


def resolve(
    ws: Workspace,
    letter: str,
    *,
    club: str | None = None,
    overrides: Overrides | None = None,
    selectors: Sequence[str] = (),
    today: dt.date | None = None,
    sent_date: SentDate | None = None,
) -> Mailing:
    """The mailing of ``letter`` (an id or a path) for ``club``, with the command line's values.

    ``ws`` is the loaded workspace (not a club's view). ``selectors`` (``--to``) choose among
    the mailing's recipients and never change the letter. ``sent_date`` gives the date the
    journal fixed at the first real send (``deliver.journal.first_sent_date``); without it,
    the letter is taken as never sent.
    """
    overrides = overrides or Overrides()
    if ws.club is not None:
        raise ValueError("resolve() takes the loaded workspace, not a club's view")
    view = club_view(ws, club) if club else ws
    union_spec = find_letter(ws, letter)
    spec = view.letters[union_spec.id]
    club_entry = ws.clubs[club].letters.get(spec.id, {}) if club else {}
    club_profile = ws.clubs[club] if club else None

    levels: dict[Level, Mapping[str, object]] = {
        "built-in": {"language": "nb"},
        "lettersmith.yaml": {"language": ws.language, "place": ws.place},
        "club": {
            "language": club_profile.language if club_profile else None,
            "place": club_profile.place if club_profile else None,
        },
        "letter": {
            "date": union_spec.date,
            "place": union_spec.place,
            "signatory": union_spec.signatory,
            "language": union_spec.language,
        },
        "club letter": {name: club_entry.get(name) for name in OVERRIDABLE},
        "command line": {
            "date": overrides.date,
            "place": overrides.place,
            "signatory": overrides.signatory,
            "language": overrides.language,
        },
    }
    settled = {name: settle(levels, name) for name in OVERRIDABLE}
    _check_overrides(view, settled)

    date, date_source = _date(settled["date"], ws, spec.id, club, today, sent_date)
    place = str(settled["place"].value) if settled["place"] else ""
    language = _language(settled["language"])
    if settled["signatory"] is None:  # a letter without a signatory is refused when loaded
        raise WorkspaceError(Problem(_letter_file(spec), None, _("signatory: missing")))
    signatory = view.signatories[str(settled["signatory"].value)]

    recipients = tuple(select_recipients(view, spec.to))
    selected = _select(view, spec, recipients, selectors)
    letters = tuple(
        composing.compose(
            view,
            spec,
            recipients,
            date=date,
            place=place,
            language=language,
            signatory=signatory,
            # In each mode a recipient's own language beats the letter's, not the command line.
            recipient_language=settled["language"] is None
            or settled["language"].level != "command line",
        )
    )
    attachments = spec.attachments
    files = revisions.Files(view.root)  # a mailing's letters share a logo and templates
    template_files = tuple(_template_files(view, files))
    asset_files = tuple(_asset_files(letters, files))
    letter_revisions = {
        letter.stem: letter_revision(letter, spec.mode, view.mail, files, view.signing)
        for letter in letters
    }
    origins = {name: setting.level for name, setting in settled.items() if setting is not None}
    shadowed = tuple(_shadowed(levels, settled, spec.id, club))
    if date_source != "set":
        origins["date"] = "built-in"
    return Mailing(
        letter_id=spec.id,
        club_id=club,
        workspace=view,
        spec=spec,
        position=view.positions[spec.position],
        mode=spec.mode,
        language=language,
        place=place,
        date=date,
        date_source=date_source,
        signatory=signatory,
        recipients=recipients,
        selected=selected,
        letters=letters,
        attachments=attachments,
        template_files=template_files,
        asset_files=asset_files,
        origins=origins,
        shadowed=shadowed,
        letter_revisions=letter_revisions,
        # Without the letters' file names: in each mode they are recipient ids.
        revision=revisions.digest(
            {"mode": spec.mode, "letters": sorted(letter_revisions.values())}
        ),
    )


def settle(levels: Mapping[Level, Mapping[str, object]], name: str) -> Setting | None:
    """The value of field ``name``: the one set by the highest level, None if none sets it."""
    found = None
    for level in OVERRIDE_ORDER:
        value = levels.get(level, {}).get(name)
        if value is not None:
            found = Setting(value, level)
    return found


def _shadowed(
    levels: Mapping[Level, Mapping[str, object]],
    settled: Mapping[str, Setting | None],
    letter_id: str,
    club: str | None,
) -> Iterable[str]:
    """The club's top-level values this letter does not use, because its file sets its own.

    The order says so, but a secretary who wrote ``place: Stord`` in the club's file expects
    to see Stord: ``check`` and ``diff`` say where it went and how to set it for this letter.
    """
    for name, setting in settled.items():
        own = levels["club"].get(name)
        if own is None or setting is None or setting.level != "letter" or own == setting.value:
            continue
        yield (
            _(
                "clubs/{club}.yaml: {name}: {own} is not used in {letter_id}, because "
                "letters/{letter_id}.yaml sets {name}: {value}, which comes later in the "
                "override order; to use {own} in this letter, set "
                "letters.{letter_id}.{name}: {own} in clubs/{club}.yaml"
            ).format(club=club, name=name, own=own, letter_id=letter_id, value=setting.value)
        )


def _date(
    setting: Setting | None,
    ws: Workspace,
    letter_id: str,
    club: str | None,
    today: dt.date | None,
    sent_date: SentDate | None,
) -> tuple[dt.date, DateSource]:
    """The letter's date: as set; else as printed on its first message sent; else today."""
    if setting is not None:
        assert isinstance(setting.value, dt.date)
        return setting.value, "set"
    # The journal is a later floor: the caller (lettersmith.Project) passes its reading in.
    first = sent_date(ws, letter_id, club) if sent_date is not None else None
    if first is not None:
        return first, "first send"
    return today or dt.date.today(), "today"


def _language(setting: Setting | None) -> Language:
    value = setting.value if setting is not None else "nb"
    if value not in LANGUAGES:  # the loader and the command line let only these through
        raise ValueError(f"unknown language {value!r}")
    return cast(Language, value)


def _check_overrides(view: Workspace, settled: dict[str, Setting | None]) -> None:
    """A value from the command line was not checked by the loader: check it here."""
    signatory = settled["signatory"]
    if (
        signatory is not None
        and signatory.level == "command line"
        and signatory.value not in view.signatories
    ):
        raise WorkspaceError(
            Problem(
                "--signatory",
                None,
                _("no signatory '{value}'. Signatories: {names}").format(
                    value=signatory.value, names=", ".join(view.signatories) or _("none yet")
                ),
            )
        )


def _select(
    ws: Workspace, spec: LetterSpec, recipients: Sequence[Recipient], selectors: Sequence[str]
) -> tuple[str, ...]:
    """The ids ``--to`` chooses among the mailing's recipients; all of them without ``--to``."""
    if not selectors:
        return tuple(r.id for r in recipients)
    wanted = {r.id for r in select_recipients(ws, selectors)}
    chosen = tuple(r.id for r in recipients if r.id in wanted)
    if not chosen:
        names = ", ".join(r.id for r in recipients)
        raise WorkspaceError(
            Problem(
                _letter_file(spec),
                None,
                _("--to {names} matches none of its recipients ({recipients})").format(
                    names=" ".join(selectors), recipients=names
                ),
            )
        )
    return chosen


def _letter_file(spec: LetterSpec) -> str:
    return spec.source.file if spec.source else f"letters/{spec.id}.yaml"


# --------------------------------------------------------------------------- revision


def letter_revision(
    letter: ComposedLetter,
    mode: str,
    mail: MailSettings | None = None,
    files: revisions.Files | None = None,
    signing: SigningSettings | None = None,
) -> str:
    """The revision of what leaves with ``letter`` (``compose.revision.what_leaves``)."""
    return revisions.what_leaves(letter, mode, mail, files=files, signing=signing).revision


def _template_files(ws: Workspace, files: revisions.Files) -> Iterable[tuple[str, str]]:
    """The workspace's and club's own templates (the built-in ones come with lettersmith)."""
    return [(file.name, file.sha256) for file in files.templates(ws.template_dirs)]


def _asset_files(
    letters: Sequence[ComposedLetter], files: revisions.Files
) -> Iterable[tuple[str, str]]:
    paths: dict[Path, None] = {}
    for letter in letters:
        for path in (letter.sender.logo, letter.signature.image, *letter.attachments):
            if path is not None:
                paths[path] = None
    for path in paths:
        identity = files.file(path)
        assert identity is not None
        yield identity.name, identity.sha256
