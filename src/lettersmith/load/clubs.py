"""Local clubs: read ``clubs/<club>.yaml``, and the workspace as a club sees it.

A club inherits everything and overrides what it names. It cannot touch the adopted text of
a position (its title and body are what a meeting voted for); it may only append its own
paragraphs after it.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from lettersmith.confine import (
    MAX_CLUB_YAML,
    club_folder,
    club_folders,
    confined,
    real_subfolder,
)
from lettersmith.errors import Problem, WorkspaceError
from lettersmith.load import entries as records
from lettersmith.load import fields as declared
from lettersmith.load.entries import LETTER_FIELDS, RECIPIENTS_FILE
from lettersmith.load.root import WORKSPACE_FILE
from lettersmith.load.yamlfile import Checker, Map, Node, Scalar, did_you_mean, is_empty
from lettersmith.model import Club, Language, Recipient, Workspace
from lettersmith.translate import N_, _

CLUB_FIELDS = (
    "name", "place", "language", "organisation", "signatories", "recipients", "letters",
    "approval", "signing",
)  # fmt: skip
CLUB_ORGANISATION_FIELDS = declared.children("organisation")  # the union's, declared once
# A club may print none of the union's: ``website:`` left empty. The name is always printed.
CLEARABLE_FIELDS = {
    "tagline": None, "short_name": None, "about": (), "address": (), "email": None,
    "website": None, "logo": None,
}  # fmt: skip
UNTRUSTED_MESSAGE = N_(
    "only a club the union trusts may use its own templates; add {club} to trusted_clubs: in "
    "lettersmith.yaml, or remove the folder and use organisation: fields (colour, font, logo, "
    "tagline)"
)
OVERRIDE_FIELDS = (*LETTER_FIELDS, "append")
LOCKED_FIELDS = ("title", "body", "adopted_by", "adopted_on", "positions")
# What the message calls each locked field ("a club cannot change a position's title").
LOCKED_WHAT = {
    "title": N_("title"), "body": N_("body"), "adopted_by": N_("adopted by"),
    "adopted_on": N_("adopted on"), "positions": N_("text"),
}  # fmt: skip
LOCKED_MESSAGE = N_(
    "the adopted text is locked: a club cannot change a position's {what}, because it is "
    "what the meeting adopted. Remove this and put the club's own paragraphs under `append:`, "
    "which comes after the adopted text"
)

# club id -> letter id -> field -> line in the club's file
OverrideLines = dict[str, dict[str, dict[str, int]]]


def club_view(ws: Workspace, club_id: str) -> Workspace:
    """The workspace as the club sees it: its name, place, people, letters and files first."""
    club = ws.clubs.get(club_id)
    if club is None:
        raise WorkspaceError(
            Problem(
                f"clubs/{club_id}.yaml",
                None,
                _("no club '{club_id}'{did_you_mean} Clubs: {names}").format(
                    club_id=club_id,
                    did_you_mean=did_you_mean(club_id, ws.clubs) or ".",
                    names=", ".join(ws.clubs) or _("none yet (add clubs/<club>.yaml)"),
                ),
            )
        )
    # A club folder that is a link out of clubs/ counts as missing: nothing is read from it.
    club_dir = club_folder(ws.root, club_id) or ws.root / "clubs" / ".missing" / club_id

    def prefer_club(path: Path) -> Path:
        """The club's copy of a workspace asset (clubs/<club>/assets/x for assets/x), if any."""
        if not path.is_relative_to(ws.root / "assets"):
            return path
        # Only a file really in the club's folder: a link there may not reach the union's files.
        candidate = confined(club_dir / path.relative_to(ws.root), (club_dir,), ws.root)
        return candidate if candidate is not None and candidate.is_file() else path

    organisation = dataclasses.replace(
        ws.organisation, name=club.name or ws.organisation.name, **club.organisation
    )
    organisation = dataclasses.replace(
        organisation,
        logo=organisation.logo and prefer_club(organisation.logo),
        font=organisation.font and prefer_club(organisation.font),
    )
    if organisation.name != ws.organisation.name and "short_name" not in club.organisation:
        # The union's short name is the union's: a club under its own name has its own or none.
        organisation = dataclasses.replace(organisation, short_name=None)
    # The union's about texts are in their languages (a plain one in the union's): a club's
    # nynorsk letter takes a nynorsk text, never the bokmål one (compose picks; check warns).
    signatories = {
        sid: dataclasses.replace(
            signatory, signature=signatory.signature and prefer_club(signatory.signature)
        )
        for sid, signatory in {**ws.signatories, **club.signatories}.items()
    }
    letters = {}
    for letter_id, letter in ws.letters.items():
        letter = dataclasses.replace(letter, **club.letters.get(letter_id, {}))
        letters[letter_id] = dataclasses.replace(
            letter, attachments=tuple(prefer_club(path) for path in letter.attachments)
        )
    return dataclasses.replace(
        ws,
        organisation=organisation,
        language=club.language or ws.language,
        place=club.place or ws.place,
        signatories=signatories,
        recipients={**ws.recipients, **club.recipients},
        letters=letters,
        club=club_id,
        signing=club.signing,  # the club's own key or none: never the union's
        approval_required=ws.approval_required or club.approval_required,
        template_dirs=_template_dirs(ws, club_id, club_dir),
    )


def _template_dirs(ws: Workspace, club_id: str, club_dir: Path) -> tuple[Path, ...]:
    """A trusted club's templates/ (unless a link out of its folder), then the workspace's.

    Any other club's templates are never searched, not even for an include: loading refused
    the club already if it has any (``untrusted_templates``).
    """
    club_templates, templates = club_dir / "templates", ws.root / "templates"
    trusted = club_id in ws.trusted_clubs and real_subfolder(club_templates, club_dir)
    return (club_templates,) * trusted + (templates,) * templates.is_dir()


def read_trusted_clubs(node: Node | None, checker: Checker, root: Path) -> tuple[str, ...]:
    """``trusted_clubs: [bergen]`` in lettersmith.yaml: valid club ids.

    An id without a clubs/<id>.yaml trusts nothing and stops nothing (the union's own letters
    are built as before); ``check`` warns about it (``unknown_trusted_clubs``).
    """
    if node is None:
        return ()
    if isinstance(node, Map):
        checker.problem(
            node.line, _("trusted_clubs: expected a list of club ids, such as [bergen]")
        )
        return ()
    items = (node,) if isinstance(node, Scalar) else node.items
    trusted = []
    for index, item in enumerate(items):
        club_id = checker.ident(item, f"trusted_clubs[{index}]")
        if club_id is not None:
            trusted.append(club_id)
    return tuple(trusted)


def unknown_trusted_clubs(ws: Workspace) -> list[str]:
    """A warning for each id in ``trusted_clubs`` that names no club."""
    known = sorted(ws.clubs)
    return [
        _(
            "lettersmith.yaml: warning: trusted_clubs: no club '{club_id}' "
            "(no clubs/{club_id}.yaml){did_you_mean} Clubs: {names}"
        ).format(
            club_id=club_id,
            did_you_mean=did_you_mean(club_id, known) or ".",
            names=", ".join(known) or _("none yet"),
        )
        for club_id in ws.trusted_clubs
        if club_id not in ws.clubs
    ]


def untrusted_templates(root: Path, club_id: str) -> list[Problem]:
    """Each template file of a club the union does not trust, refused with how to fix it.

    Links are listed, not followed; hidden files (a Mac's .DS_Store) and READMEs are no
    templates.
    """
    folder = root / "clubs" / club_id / "templates"
    if folder.is_symlink():
        found = [folder]
    elif folder.is_dir():
        found = [
            Path(parent, name)
            for parent, folders, files in os.walk(folder)
            for name in (*files, *(f for f in folders if Path(parent, f).is_symlink()))
            if not name.startswith(".") and not name.upper().startswith("README")
        ]
    else:
        return []
    message = _(UNTRUSTED_MESSAGE).format(club=club_id)
    return [Problem(path.relative_to(root).as_posix(), None, message) for path in sorted(found)]


def unfinished_clubs(ws: Workspace) -> list[str]:
    """A club that is only a name, as ``init --club`` writes it: no place, signatory,
    recipients or letters of its own. Its letters would be the union's, signed by the union's
    people and sent to the union's recipients, under the club's name."""
    return [
        _(
            "clubs/{club_id}.yaml: the club is not finished: it has no place and no signatory "
            "of its own, so its letters would be the union's letters, signed by the union's "
            "people, under the club's name; add place:, signatories: and letters: (see the "
            "README, Clubs)"
        ).format(club_id=club_id)
        for club_id, club in ws.clubs.items()
        if not (club.place or club.signatories or club.recipients or club.letters)
    ]


def load_clubs(ws: Workspace, problems: list[Problem]) -> tuple[dict[str, Club], OverrideLines]:
    """Every club file, checked against the workspace it builds on."""
    clubs: dict[str, Club] = {}
    override_lines: OverrideLines = {}
    for path in records.id_files(ws.root, "clubs", ".yaml", problems):
        club, lines = _read_club(ws, path, problems)
        if club is not None:
            clubs[club.id], override_lines[club.id] = club, lines
    return clubs, override_lines


def club_letter_problems(
    ws: Workspace, override_lines: OverrideLines, known: list[Problem]
) -> list[Problem]:
    """Every letter as each club sees it; what a club changed is blamed on the club's file.

    A club's view only adds to what the workspace has, so a field the club leaves alone was
    already checked in the letter's own file.
    """
    problems = []
    for club_id in ws.clubs:
        view = club_view(ws, club_id)
        club_file = f"clubs/{club_id}.yaml"
        unsure = records.unsure_references(
            known, (RECIPIENTS_FILE, club_file), (WORKSPACE_FILE, club_file)
        )
        for letter in view.letters.values():
            lines = override_lines[club_id].get(letter.id, {})

            def blame(
                field: str,
                lines: dict[str, int] = lines,
                club_file: str = club_file,
                letter_id: str = letter.id,
            ) -> tuple[str, int | None, str] | None:
                if field not in lines:
                    return None
                return club_file, lines[field], f"letters.{letter_id}.{field}"

            problems += records.letter_reference_problems(letter, view, blame, unsure)
    return problems


def _read_club(
    ws: Workspace, path: Path, problems: list[Problem]
) -> tuple[Club | None, dict[str, dict[str, int]]]:
    rel = f"clubs/{path.name}"
    club_id = path.stem
    if confined(path, (ws.root / "clubs",), ws.root) is None:
        problems.append(
            Problem(rel, None, _("is a link to a file outside clubs/; put the file itself there"))
        )
        return None, {}
    folder = ws.root / "clubs" / club_id
    if (folder.is_symlink() or folder.exists()) and club_folder(ws.root, club_id) is None:
        problems.append(
            Problem(
                f"clubs/{club_id}/",
                None,
                _(
                    "is a link to {realpath}; a club's files must be in its own folder (not "
                    "another club's, nor one outside clubs/): put the folder itself there"
                ).format(realpath=os.path.realpath(folder)),
            )
        )
        return None, {}
    if club_id not in ws.trusted_clubs:
        problems.extend(untrusted_templates(ws.root, club_id))
    # A path in a club's file is looked up in the club's folder first: assets/x is
    # clubs/<club>/assets/x when the club has it, else the workspace's assets/x.
    bases = (ws.root / "clubs" / club_id, ws.root)
    allowed = club_folders(ws.root, club_id)
    checker = Checker(rel, problems)
    node = records.read_yaml(ws.root, rel, problems, max_size=MAX_CLUB_YAML)
    if node is None:
        return Club(id=club_id, path=path), {}
    top = checker.mapping(_without_locked(node, checker, ""), "", CLUB_FIELDS, line=1)
    if top is None:
        return None, {}
    name = checker.text(top.get("name"), "name")
    language = checker.language(top.get("language"), "language")
    organisation: dict[str, Any] = {}
    if top.get("organisation") is not None:
        org = checker.mapping(
            top.get("organisation"),
            "organisation",
            CLUB_ORGANISATION_FIELDS,
            line=top.key_line("organisation"),
        )
        if org is not None:
            organisation = _club_organisation(
                org, checker, ws.root, bases, allowed, language or ws.language
            )
            if "name" in org.entries and top.get("name") is not None:
                checker.problem(
                    org.key_line("name"),
                    _(
                        "organisation.name: the club's name is given twice, here and in name: at "
                        "line {line}; keep one"
                    ).format(line=top.key_line("name")),
                )
            name = name or checker.text(org.get("name"), "organisation.name")
    signatories = {}
    if (people := top.get("signatories")) is not None:
        signatories = records.read_signatories(people, checker, "signatories", bases, allowed)
    letters, lines = _read_overrides(ws, top, checker, bases)
    approval = records.read_approval(top.get("approval"), checker)
    if approval is False and ws.approval_required:
        checker.problem(
            top.key_line("approval"),
            _(
                "approval: the union's lettersmith.yaml says approval: required, and a "
                "club cannot turn it off; remove this line"
            ),
        )
    signing = None
    if (key := top.get("signing")) is not None:
        signing = records.read_signing(key, checker, top.key_line("signing"), bases[0], club=True)
    return (
        Club(
            id=club_id,
            path=path,
            name=name,
            place=checker.text(top.get("place"), "place"),
            language=language,
            organisation=organisation,
            signatories=signatories,
            recipients=_read_club_recipients(ws, top, checker, club_id),
            letters=letters,
            signing=signing,
            approval_required=bool(approval),
        ),
        lines,
    )


def _club_organisation(
    org: Map,
    checker: Checker,
    root: Path,
    bases: tuple[Path, ...],
    allowed: tuple[Path, ...],
    language: Language,
) -> dict[str, Any]:
    """The letterhead fields a club declares; one left empty prints none of the union's.
    ``language``: the club's, in which a plain ``about:`` text is written."""
    fields: dict[str, Any] = records.organisation_fields(
        org, checker, "organisation", root, bases, allowed, language=language
    )
    for key, none in CLEARABLE_FIELDS.items():
        if key in org.entries and is_empty(org.get(key)):
            fields[key] = none
    return fields


def _read_club_recipients(
    ws: Workspace, top: Map, checker: Checker, club_id: str
) -> dict[str, Recipient]:
    node = top.get("recipients")
    if node is None:
        return {}
    recipients = records.read_recipients(node, checker, "recipients", club=club_id)
    for rid in [rid for rid in recipients if rid in ws.recipients]:
        assert isinstance(node, Map)  # read_recipients returns none from anything else
        checker.problem(
            node.key_line(rid),
            _(
                "recipients.{rid}: the id '{rid}' is already in the register at {source}; "
                "give the club's recipient another id, such as '{club_id}-{rid}'"
            ).format(rid=rid, source=ws.recipients[rid].source or RECIPIENTS_FILE, club_id=club_id),
        )
        del recipients[rid]
    return recipients


def _read_overrides(
    ws: Workspace, top: Map, checker: Checker, bases: tuple[Path, ...]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, int]]]:
    """The club's per-letter overrides: letter id -> {field: value}, and their lines."""
    node = top.get("letters")
    if node is None:
        return {}, {}
    if not isinstance(node, Map):
        checker.problem(node.line, _("letters: expected a mapping from letter id to overrides"))
        return {}, {}
    overrides: dict[str, dict[str, Any]] = {}
    lines: dict[str, dict[str, int]] = {}
    for letter_id, (line, value) in node.entries.items():
        field = f"letters.{letter_id}"
        if letter_id not in ws.letters:
            if (ws.root / "letters" / f"{letter_id}.yaml").is_file():
                continue  # the letter has problems of its own, reported in its file
            checker.problem(
                line,
                _("{field}: no letters/{letter_id}.yaml{did_you_mean} Letters: {names}").format(
                    field=field,
                    letter_id=letter_id,
                    did_you_mean=did_you_mean(letter_id, ws.letters) or ".",
                    names=", ".join(ws.letters) or _("none yet"),
                ),
            )
            continue
        entry = checker.mapping(
            _without_locked(value, checker, f"{field}."), field, OVERRIDE_FIELDS, line=line
        )
        if entry is None:
            continue
        # A club's attachments come from its own folder only: never the union's files.
        club_dir = bases[0]
        own = club_folder(ws.root, club_dir.name)
        values, lines[letter_id] = records.letter_fields(
            entry, checker, f"{field}.", ws.root, (club_dir,), (own,) if own else ()
        )
        if (append_node := entry.get("append")) is not None:
            lines[letter_id]["append"] = append_node.line
            append = checker.text(append_node, f"{field}.append", multiline=True)
            if append is not None:
                values["append"] = append
        overrides[letter_id] = values
    return overrides, lines


def _without_locked(node: Node | None, checker: Checker, field: str) -> Node | None:
    """``node`` without the keys that would replace adopted text, each reported."""
    if not isinstance(node, Map):
        return node
    for key in LOCKED_FIELDS:
        if key in node.entries:
            what = _(LOCKED_WHAT[key])
            checker.problem(
                node.key_line(key), f"{field}{key}: {_(LOCKED_MESSAGE).format(what=what)}"
            )
    kept = {key: entry for key, entry in node.entries.items() if key not in LOCKED_FIELDS}
    return Map(kept, node.line)
