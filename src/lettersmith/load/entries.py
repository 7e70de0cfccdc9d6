"""The records that workspace files and club files share, read and checked the same way.

Recipients, signatories, organisation fields, letter fields and asset paths are written in
the workspace's own files and again in a club's; both go through these readers.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from collections.abc import Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from lettersmith.confine import (
    MAX_ASSET,
    MAX_ATTACHMENT,
    RefusedFileError,
    check_measured,
    check_size,
    confined,
    names,
    read_limited,
)
from lettersmith.errors import Problem, relative
from lettersmith.headers import header_problem
from lettersmith.load import fields as declared
from lettersmith.load import offices, pending
from lettersmith.load.offices import Office
from lettersmith.load.yamlfile import (
    LANGUAGE_CODES,
    Checker,
    Map,
    Node,
    Seq,
    did_you_mean,
    invalid_id,
    is_empty,
    is_id,
    line_of,
    parse_yaml,
)
from lettersmith.model import (
    LANGUAGES,
    Language,
    LetterSpec,
    Recipient,
    Signatory,
    SigningSettings,
    Source,
    Workspace,
)
from lettersmith.translate import N_, _

RECIPIENTS_FILE = "recipients.yaml"
SIGNATORY_FIELDS = declared.children("signatories.ID")
RECIPIENT_FIELDS = declared.RECIPIENT_FILE_FIELDS
LETTER_FIELDS = (
    "position", "to", "mode", "date", "place", "language", "signatory", "subject", "reference",
    "email", "attachments",
)  # fmt: skip
MODES = ("joint", "each")
TAG_PREFIX = "tag:"


# --------------------------------------------------------------------------- files


def read_text(
    root: Path, rel: str, problems: list[Problem], max_size: int | None = None
) -> str | None:
    """A file's text, or None (and a problem) when it is unreadable, too large or not UTF-8.

    A file with a pending text (a save being checked, ``load.pending``) reads as that text."""
    draft = pending.text(rel)
    if draft is not None:
        try:
            if max_size is not None:
                check_measured(len(draft.encode("utf-8")), max_size, rel, N_("file"))
        except RefusedFileError as err:  # the same words as for the file on disk
            problems.append(Problem(rel, None, str(err).removeprefix(f"{rel}: ")))
            return None
        return draft
    try:
        if max_size is None:
            data = (root / rel).read_bytes()
        else:
            data = read_limited(root / rel, max_size, rel, N_("file"), root=root)
    except RefusedFileError as err:
        problems.append(Problem(rel, None, str(err).removeprefix(f"{rel}: ")))
        return None
    except OSError as err:
        problems.append(
            Problem(rel, None, _("cannot be read: {strerror}").format(strerror=err.strerror))
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(Problem(rel, line, _("is not UTF-8 text; save it as UTF-8")))
        return None


def read_yaml(
    root: Path, rel: str, problems: list[Problem], max_size: int | None = None
) -> Node | None:
    if pending.text(rel) is None and not (root / rel).is_file():
        return None
    text = read_text(root, rel, problems, max_size)
    return None if text is None else parse_yaml(text, rel, problems)


def id_files(root: Path, folder: str, suffix: str, problems: list[Problem]) -> list[Path]:
    """The ``*suffix`` files in ``folder`` whose stem is a valid id, by name."""
    found: list[Path] = []
    directory = root / folder
    new = {directory / name for name in pending.names(folder)}
    try:
        paths = sorted(set(directory.iterdir()) | new) if directory.is_dir() else sorted(new)
    except OSError as err:
        problems.append(
            Problem(
                f"{folder}/", None, _("cannot be read: {strerror}").format(strerror=err.strerror)
            )
        )
        return found
    for path in paths:
        rel = f"{folder}/{path.name}"
        if path.name.startswith(".") or not (path in new or path.is_file()):
            continue
        if path.suffix in (".yml", ".markdown") and suffix != path.suffix:
            problems.append(
                Problem(
                    rel,
                    None,
                    _("is ignored; rename it to {stem}{suffix}").format(
                        stem=path.stem, suffix=suffix
                    ),
                )
            )
        elif path.suffix == suffix:
            if is_id(path.stem):
                found.append(path)
            else:
                problems.append(
                    Problem(
                        rel,
                        None,
                        _("the file name is the id: {invalid_id}").format(
                            invalid_id=invalid_id(path.stem)
                        ),
                    )
                )
    return found


def asset(
    checker: Checker,
    node: Node | None,
    field: str,
    root: Path,
    bases: Sequence[Path],
    allowed: Sequence[Path] | None = None,
    *,
    max_size: int = MAX_ASSET,
    attachment: bool = False,
) -> Path | None:
    """The file a path names, looked up under each of ``bases`` in turn.

    Its real path (symlinks followed) must lie inside one of the ``allowed`` folders (the
    workspace ``root`` by default) and not be the journal, out/ or lettersmith.yaml; it must be
    no larger than ``max_size``. An ``attachment``'s name goes into a mail header, so it is
    checked as one.
    """
    value = checker.text(node, field)
    if value is None:
        return None
    folders = tuple(allowed) if allowed is not None else (root,)
    written = Path(value)
    candidates = [written] if written.is_absolute() else [base / written for base in bases]
    for candidate in candidates:
        try:
            if not candidate.exists() and candidate.resolve().is_relative_to(root):
                continue
            resolved = confined(candidate, folders, root)
            if resolved is None:
                checker.problem(line_of(node), f"{field}: '{value}' {_outside(folders, root)}")
                return None
            if resolved.is_file():
                if not os.access(resolved, os.R_OK):
                    checker.problem(
                        line_of(node),
                        _(
                            "{field}: '{value}' cannot be read (permission denied); give yourself "
                            "read access to the file"
                        ).format(field=field, value=value),
                    )
                    return None
                check_size(resolved, max_size, f"{field}: '{value}'", N_("file"), root=root)
                if attachment and (problem := _file_name_problem(resolved.name)):
                    checker.problem(
                        line_of(node),
                        _("{field}: the file name {problem}; rename it").format(
                            field=field, problem=problem
                        ),
                    )
                    return None
                return resolved
        except RefusedFileError as error:
            checker.problem(line_of(node), str(error))
            return None
        except (OSError, RuntimeError, ValueError):
            continue
    places = " or ".join(relative(c, root) for c in candidates)
    checker.problem(
        line_of(node),
        _("{field}: no file {places}; {path_hint}").format(
            field=field, places=places, path_hint=_path_hint(value)
        ),
    )
    return None


def _outside(folders: Sequence[Path], root: Path) -> str:
    if tuple(folders) == (root,):
        return _("is outside the workspace; copy the file into assets/ and write assets/NAME")
    return _(
        "is outside the folders it may come from ({names}); copy the file into the first of them"
    ).format(names=names(folders, root))


def _file_name_problem(name: str) -> str | None:
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs") for char in name):
        return _("{name!r} contains a line break or control character").format(name=name)
    problem = header_problem(name)
    return f"{name!r} {problem}" if problem else None


def _path_hint(value: str) -> str:
    """How to fix a path that names no file; a Windows path gets told how to write it here."""
    parts = [part for part in value.split("\\") if part]
    if len(parts) < 2:
        return _("put the file there or fix the path")
    if parts[0].endswith(":"):  # C:\Users\...: a file outside the workspace
        return _("copy the file into assets/ and write assets/{name}").format(name=parts[-1])
    return _("write the path with / instead of \\: {path}").format(path="/".join(parts))


# --------------------------------------------------------------------------- records


COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
FONT_SUFFIXES = (".ttf", ".otf", ".woff2")


def colour(checker: Checker, node: Node | None, field: str) -> str | None:
    """A colour written as ``"#7a1f2b"`` (in quotes: YAML reads ``#`` as a comment)."""
    value = checker.text(node, field)
    if value is None:
        return None
    if not COLOUR.fullmatch(value):
        checker.problem(
            node.line if node else None,
            _(
                "{field}: '{value}' is not a colour; write it as \"#RRGGBB\" in quotes, "
                'for example colour: "#7a1f2b"'
            ).format(field=field, value=value),
        )
        return None
    return value.lower()


def font_file(
    checker: Checker,
    node: Node | None,
    field: str,
    root: Path,
    bases: Sequence[Path],
    allowed: Sequence[Path] | None = None,
) -> Path | None:
    """A TrueType/OpenType font file in the assets, that the letter is set in."""
    path = asset(checker, node, field, root, bases, allowed)
    if path is None:
        return None
    if path.suffix.lower() not in FONT_SUFFIXES:
        checker.problem(
            node.line if node else None,
            _("{field}: '{name}' is not a font file; name a .ttf, .otf or .woff2 file").format(
                field=field, name=path.name
            ),
        )
        return None
    return path


# A short name is for one line of the page header, beside the place, date and page number.
SHORT_NAME_CHARS = 40


def short_name(checker: Checker, node: Node | None, field: str) -> str | None:
    text = checker.text(node, field)
    if text is not None and len(text) > SHORT_NAME_CHARS:
        checker.problem(
            node.line if node else None,
            f"{field}: '{text}' is {len(text)} characters; a short name is at most "
            f"{SHORT_NAME_CHARS}, so that it fits the page header's line: shorten it",
        )
        return None
    return text


def organisation_fields(
    org: Map,
    checker: Checker,
    field: str,
    root: Path,
    bases: Sequence[Path],
    allowed: Sequence[Path] | None = None,
    language: Language = "nb",
) -> dict[str, Any]:
    """The optional organisation fields that ``org`` sets, converted, by Organisation name.

    ``language``: the one a plain ``about:`` text is written in (the file's ``language:``).
    """
    readers: dict[str, Callable[[Node | None, str], object]] = {
        "about": lambda node, name: about_texts(checker, node, name, language),
        "short_name": lambda node, name: short_name(checker, node, name),
        "tagline": checker.text,
        "address": checker.text_list,
        "email": checker.email,
        "website": checker.text,
        "logo": lambda node, name: asset(checker, node, name, root, bases, allowed),
        "colour": lambda node, name: colour(checker, node, name),
        "font": lambda node, name: font_file(checker, node, name, root, bases, allowed),
    }
    values: dict[str, Any] = {}
    for key, read in readers.items():
        value = read(org.get(key), f"{field}.{key}") if key in org.entries else None
        if value is not None and value != ():
            values[key] = value
    return values


def about_texts(
    checker: Checker, node: Node | None, field: str, language: Language
) -> tuple[tuple[Language, str], ...]:
    """``about:`` as one text (in ``language``) or one per language: ``{nb: ..., nn: ...}``."""
    if node is None:
        return ()
    if not isinstance(node, Map):
        text = checker.text(node, field, multiline=True)
        return ((language, text),) if text else ()
    texts: list[tuple[Language, str]] = []
    for key, (line, value) in node.entries.items():
        if key not in LANGUAGE_CODES:
            checker.problem(
                line,
                _("{field}.{key}: not a language; write the text under nb, nn or en").format(
                    field=field, key=key
                ),
            )
            continue
        if text := checker.text(value, f"{field}.{key}", multiline=True):
            texts.append((LANGUAGE_CODES[key], text))
    return tuple(texts)


def _entries_by_id(
    node: Node,
    checker: Checker,
    field: str,
    what: str,
    known: Sequence[str],
    required: Sequence[str],
) -> Iterator[tuple[str, int, str, Map]]:
    """Each entry of a mapping from id to fields, as (id, line, field name, fields).

    An entry whose id is invalid or whose value is not a mapping of ``known`` fields is
    reported and skipped.
    """
    if not isinstance(node, Map):
        prefix = f"{field}: " if field else ""
        checker.problem(
            node.line,
            _("{prefix}expected a mapping from {what} id to fields").format(
                prefix=prefix, what=what
            ),
        )
        return
    for entry_id, (line, value) in node.entries.items():
        name = f"{field}.{entry_id}" if field else entry_id
        if not is_id(entry_id):
            checker.problem(line, f"{name}: {invalid_id(entry_id)}")
            continue
        entry = checker.mapping(value, name, known, required, line=line)
        if entry is not None:
            yield entry_id, line, name, entry


def read_signatories(
    node: Node,
    checker: Checker,
    field: str,
    bases: Sequence[Path],
    allowed: Sequence[Path] | None = None,
) -> dict[str, Signatory]:
    root = bases[-1]
    return {
        sid: Signatory(
            id=sid,
            name=checker.text(entry.get("name"), f"{name}.name") or "",
            title=checker.text(entry.get("title"), f"{name}.title"),
            signature=asset(
                checker, entry.get("signature"), f"{name}.signature", root, bases, allowed
            ),
            source=Source(checker.file, line),
        )
        for sid, line, name, entry in _entries_by_id(
            node, checker, field, "signatory", SIGNATORY_FIELDS, declared.required("signatories.ID")
        )
    }


def read_recipients(
    node: Node, checker: Checker, field: str, club: str | None = None
) -> dict[str, Recipient]:
    """The recipients in a mapping from id to fields (recipients.yaml, or a club's).

    An entry with ``office: no/hod`` starts from that office in the built-in register; every
    field the entry gives wins, even an empty one (``address: []`` prints no postal address).
    """
    recipients = {}
    entries = _entries_by_id(node, checker, field, "recipient", RECIPIENT_FIELDS, ())
    for rid, line, name, entry in entries:
        office = _office(checker, entry, name)
        inherited = _inherited(office, entry)
        given = functools.partial(_given, entry, inherited, name)
        title = given("title", checker.text)
        person = given("name", checker.text)
        organisation = given("organisation", checker.text)
        if not any(
            not is_empty(entry.get(key)) if key in entry.entries else inherited.get(key)
            for key in ("title", "name", "organisation")
        ):
            checker.problem(
                line,
                _(
                    "{name}: give at least one of title, name or organisation to address it to"
                ).format(name=name),
            )
        tags = checker.text_list(entry.get("tags"), f"{name}.tags")
        for tag in tags:
            if not is_id(tag):
                checker.problem(line_of(entry.get("tags")), f"{name}.tags: {invalid_id(tag)}")
        email = given("email", checker.email)
        written = "email" in entry.entries
        if is_empty(entry.get("email")) and (written or not inherited.get("email")):
            if written or office is None:
                checker.problem(
                    line, _("{name}.email: required field is missing; add it").format(name=name)
                )
            else:
                checker.problem(
                    line,
                    _(
                        "{name}.email: the register has no confirmed mailbox for {id}; add the "
                        "address you write to as email:"
                    ).format(name=name, id=office.id),
                )
            continue
        if email is None:
            continue
        recipients[rid] = Recipient(
            id=rid,
            email=email,
            title=title,
            name=person,
            organisation=organisation,
            address=given("address", checker.text_list) or (),
            tags=tags,
            language=checker.language(entry.get("language"), f"{name}.language"),
            salutation=checker.text(entry.get("salutation"), f"{name}.salutation"),
            their_reference=checker.text(entry.get("their_reference"), f"{name}.their_reference"),
            club=club,
            source=Source(checker.file, line),
            office=office.id if office else None,
            verified=given("verified", checker.date),
        )
    return recipients


def _office(checker: Checker, entry: Map, name: str) -> Office | None:
    node = entry.get("office")
    office_id = checker.text(node, f"{name}.office")
    if node is None or office_id is None:
        return None
    found = offices.register().get(office_id)
    if found is None:
        checker.problem(node.line, f"{name}.office: {offices.unknown_office(office_id)}")
    return found


def _given(
    entry: Map,
    inherited: dict[str, object],
    name: str,
    key: str,
    read: Callable[[Node | None, str], object],
) -> Any:
    """The entry's own value of ``key`` when it gives one (even empty), else the office's."""
    if key in entry.entries:
        return read(entry.get(key), f"{name}.{key}")
    return inherited.get(key)


def _inherited(office: Office | None, entry: Map) -> dict[str, object]:
    """The fields an entry takes from its office. The register's verified date vouches for
    the register's holder only, so an entry that names its own person does not get it."""
    if office is None:
        return {}
    fields: dict[str, object] = {
        "title": office.title,
        "name": office.holder,
        "organisation": office.ministry,
        "email": office.email,
        "address": office.address,
    }
    if "name" not in entry.entries:
        fields["verified"] = office.verified
    return fields


def select(ws: Workspace, selector: str) -> list[Recipient] | None:
    if selector.startswith(TAG_PREFIX):
        tag = selector[len(TAG_PREFIX) :]
        tagged = [r for r in ws.recipients.values() if tag in r.tags]
        return tagged or None
    recipient = ws.recipients.get(selector)
    return [recipient] if recipient else None


def register_name(ws: Workspace) -> str:
    return f"{RECIPIENTS_FILE} + clubs/{ws.club}.yaml" if ws.club else RECIPIENTS_FILE


def unknown_selector(ws: Workspace, selector: str) -> str:
    if selector.startswith(TAG_PREFIX):
        tags = sorted({tag for r in ws.recipients.values() for tag in r.tags})
        tag = selector[len(TAG_PREFIX) :]
        return _("no recipient has the tag '{tag}'{did_you_mean} Tags in use: {names}").format(
            tag=tag, did_you_mean=did_you_mean(tag, tags) or ".", names=", ".join(tags) or _("none")
        )
    return _("no recipient '{selector}'{did_you_mean} `lettersmith recipients` lists them").format(
        selector=selector, did_you_mean=did_you_mean(selector, ws.recipients) or "."
    )


# --------------------------------------------------------------------------- letters


def position_id(checker: Checker, node: Node | None, field: str) -> str | None:
    """A position's id; ``eksempel.md`` or ``positions/eksempel.md`` is answered with the id
    to write, since a file's name is what people see in their folder."""
    value = checker.text(node, field)
    if value is None:
        return None
    prefix = "positions/" if value.startswith("positions/") else ""
    stem = value[len(prefix) :]
    suffix = stem[-3:] if stem.lower().endswith(".md") else ""
    stem = stem[: len(stem) - len(suffix)]
    if (prefix or suffix) and is_id(stem):
        checker.problem(
            line_of(node),
            _("{field}: leave out {extra}; write {field}: {stem}").format(
                field=field, extra=_(" and ").join(p for p in (prefix, suffix) if p), stem=stem
            ),
        )
        return None
    return checker.ident(node, field)


def letter_fields(
    mapping: Map,
    checker: Checker,
    field: str,
    root: Path,
    bases: Sequence[Path],
    allowed: Sequence[Path] | None = None,
) -> tuple[dict[str, Any], dict[str, int]]:
    """The letter fields ``mapping`` sets, converted, and the line of each.

    Attachments come from the ``allowed`` folders only (a club's: its own folder).
    """
    readers: dict[str, Callable[[Node, str], object]] = {
        "position": lambda node, name: position_id(checker, node, name),
        "to": lambda node, name: _read_selectors(checker, node, name),
        "mode": lambda node, name: checker.choice(node, name, MODES),
        "date": checker.date,
        "place": checker.text,
        "language": lambda node, name: checker.choice(node, name, LANGUAGES),
        "signatory": checker.ident,
        "subject": checker.text,
        "reference": checker.text,
        "email": lambda node, name: checker.text(node, name, multiline=True),
        "attachments": lambda node, name: _read_attachments(
            checker, node, name, root, bases, allowed
        ),
    }
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, read in readers.items():
        if key in mapping.entries:
            node = mapping.entries[key][1]
            lines[key] = node.line
            value = read(node, f"{field}{key}")
            if value is not None:
                values[key] = value
    return values, lines


def _read_selectors(checker: Checker, node: Node, field: str) -> tuple[str, ...] | None:
    selectors = checker.text_list(node, field)
    if not selectors:
        checker.problem(
            node.line, _("{field}: name at least one recipient id or tag:NAME").format(field=field)
        )
        return None
    for selector in selectors:
        name = selector.removeprefix(TAG_PREFIX)
        if not is_id(name):
            checker.problem(node.line, f"{field}: {invalid_id(name)}")
    return selectors


def _read_attachments(
    checker: Checker,
    node: Node,
    field: str,
    root: Path,
    bases: Sequence[Path],
    allowed: Sequence[Path] | None,
) -> tuple[Path, ...]:
    if isinstance(node, Seq):
        items = [(item, f"{field}[{index}]") for index, item in enumerate(node.items)]
    else:
        items = [(node, field)]
    paths = (
        asset(checker, item, name, root, bases, allowed, max_size=MAX_ATTACHMENT, attachment=True)
        for item, name in items
    )
    return tuple(path for path in paths if path is not None)


def unsure_references(
    problems: list[Problem], recipient_files: Sequence[str], signatory_files: Sequence[str]
) -> set[str]:
    """The letter fields naming things from files that have problems (see below)."""
    troubled = {problem.file for problem in problems}
    unsure = set()
    if troubled.intersection(recipient_files):
        unsure.add("to")
    if troubled.intersection(signatory_files):
        unsure.add("signatory")
    return unsure


Blame = Callable[[str], tuple[str, int | None, str] | None]


def letter_reference_problems(
    letter: LetterSpec, ws: Workspace, blame: Blame, unsure: Collection[str] = ()
) -> list[Problem]:
    """What ``letter`` names that ``ws`` lacks.

    ``blame(field)`` gives the file, line and field name to report a problem in ``field`` at,
    or None when that field is not to be checked here. Fields in ``unsure`` name things from
    a file that has problems of its own: what looks missing may only be broken, so the user
    hears about that file first instead of a cascade of "no such recipient".
    """
    problems = []

    def report(field: str, message: str) -> None:
        if field not in unsure and (where := blame(field)) is not None:
            file, line, name = where
            problems.append(Problem(file, line, f"{name}: {message}"))

    if letter.position not in ws.positions:
        # A position file with problems of its own is not in ws.positions, but it is there.
        positions = sorted(path.stem for path in (ws.root / "positions").glob("*.md"))
        if letter.position not in positions:
            report(
                "position",
                _("no positions/{position}.md{did_you_mean} Positions: {names}").format(
                    position=letter.position,
                    did_you_mean=did_you_mean(letter.position, positions) or ".",
                    names=", ".join(positions) or _("none yet"),
                ),
            )
    for selector in letter.to:
        if select(ws, selector) is None:
            report("to", unknown_selector(ws, selector))
    if letter.signatory not in ws.signatories:
        report(
            "signatory",
            _("no signatory '{signatory}'{did_you_mean} Signatories: {names}").format(
                signatory=letter.signatory,
                did_you_mean=did_you_mean(letter.signatory, ws.signatories) or ".",
                names=", ".join(ws.signatories) or _("none yet"),
            ),
        )
    # Each file a message carries is told apart by its name: one named as the letter's own PDF
    # would pass for the statement.
    seen = {f"{letter.id}.pdf".casefold(): _("the letter's own PDF")}
    for path in letter.attachments:
        if (other := seen.get(path.name.casefold())) is not None:
            report(
                "attachments",
                _(
                    "'{name}' has the name of {other}, so the recipient could not tell them "
                    "apart; rename the file"
                ).format(name=path.name, other=other),
            )
        seen.setdefault(path.name.casefold(), f"'{path.name}'")
    return problems


# --------------------------------------------------------------------------- signing, approval

SIGNING_FIELDS = declared.children("signing")
APPROVAL_CHOICES = ("required", "optional")


def read_signing(
    node: Node, checker: Checker, line: int, root: Path, *, club: bool = False
) -> SigningSettings | None:
    """``signing:``: the certificate file (under ``root`` only), a time-stamp URL, a reason.

    The password is never read from a file. A club's settings may not make lettersmith reach
    the network, so a club signs without a time stamp.
    """
    node = without_password(node, checker, "signing", "LETTERSMITH_SIGN_PASSWORD", "build")
    signing = checker.mapping(
        node, "signing", SIGNING_FIELDS, declared.required("signing"), line=line
    )
    if signing is None:
        return None
    certificate = asset(checker, signing.get("certificate"), "signing.certificate", root, (root,))
    url = checker.text(signing.get("timestamp_url"), "signing.timestamp_url")
    if url is not None and club:
        checker.problem(
            signing.key_line("timestamp_url"),
            _(
                "signing.timestamp_url: a club's settings may not make lettersmith reach "
                "the network; remove it (the club's letters are signed without a time "
                "stamp)"
            ),
        )
        url = None
    elif url is not None and not url.lower().startswith(("https://", "http://")):
        checker.problem(
            signing.key_line("timestamp_url"),
            _(
                "signing.timestamp_url: '{url}' is not a web address; write it as "
                "https://tsa.example/ (the time-stamp server your certificate provider "
                "names)"
            ).format(url=url),
        )
        url = None
    reason = checker.text(signing.get("reason"), "signing.reason")
    if certificate is None:
        return None
    return SigningSettings(certificate, url, reason, Source(checker.file, line))


def read_approval(node: Node | None, checker: Checker) -> bool | None:
    """``approval: required`` is True, ``optional`` False, absent None."""
    value = checker.choice(node, "approval", APPROVAL_CHOICES)
    return None if value is None else value == "required"


def without_password(node: Node, checker: Checker, section: str, variable: str, when: str) -> Node:
    """``node`` without a ``password:`` field, which is refused: secrets live in the environment."""
    if not (isinstance(node, Map) and "password" in node.entries):
        return node
    checker.problem(
        node.key_line("password"),
        _(
            "{section}.password: never write the password in a file; remove it and "
            "set the environment variable {variable} when you {when}"
        ).format(section=section, variable=variable, when=when),
    )
    return Map({k: v for k, v in node.entries.items() if k != "password"}, node.line)
