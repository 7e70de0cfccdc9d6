"""Load the workspace: read every file, check everything, report every problem at once."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from lettersmith.addresses import is_loopback
from lettersmith.errors import Problem, WorkspaceError
from lettersmith.load import clubs
from lettersmith.load import entries as records
from lettersmith.load import fields as declared
from lettersmith.load.entries import (
    LETTER_FIELDS,
    RECIPIENTS_FILE,
    read_text,
    read_yaml,
)
from lettersmith.load.root import WORKSPACE_FILE
from lettersmith.load.yamlfile import (
    Checker,
    Map,
    Node,
    Scalar,
    did_you_mean,
    is_empty,
    line_of,
    parse_yaml,
)
from lettersmith.model import (
    ImapSettings,
    Language,
    LetterSpec,
    MailSettings,
    Organisation,
    Position,
    Rate,
    Recipient,
    Security,
    SmtpSettings,
    Source,
    Workspace,
)
from lettersmith.translate import _

# Declared in load/fields.py, with their types, defaults and help (the README table).
PROFILE_FIELDS = declared.children("")
ORGANISATION_FIELDS = declared.children("organisation")
MAIL_FIELDS = declared.children("mail")
SMTP_FIELDS = declared.children("mail.smtp")
IMAP_FIELDS = declared.children("mail.imap")
SECURITY_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SECURITIES: dict[str, Security] = {"starttls": "starttls", "ssl": "ssl", "none": "none"}
RATE_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0}
POSITION_FIELDS = ("title", "adopted_by", "adopted_on", "language")
LETTER_REQUIRED = ("position", "to", "signatory")


def load(
    root: Path, *, warn: Callable[[str], None] | None = None, club: str | None = None
) -> Workspace:
    """The workspace at ``root``, every file checked, including every letter under every club.

    With ``warn``, a club whose files have problems does not stop a command about the
    organisation or about another ``club``: it is left out, and ``warn`` gets one line naming
    it. Without ``warn`` (``check``), every problem is an error.
    """
    root = root.resolve()
    problems: list[Problem] = []
    workspace, letter_lines = _load_own_files(root, problems)
    club_profiles, override_lines = clubs.load_clubs(workspace, problems)
    workspace = dataclasses.replace(workspace, clubs=club_profiles)
    unsure = records.unsure_references(problems, (RECIPIENTS_FILE,), (WORKSPACE_FILE,))
    for letter in workspace.letters.values():
        lines = letter_lines[letter.id]
        problems += records.letter_reference_problems(
            letter,
            workspace,
            functools.partial(_blame, letter.source.file if letter.source else "", lines),
            unsure,
        )
    problems += clubs.club_letter_problems(workspace, override_lines, problems)
    if warn is not None:
        broken = sorted({c for p in problems if (c := _club_of(p.file)) and c != club})
        for name in broken:
            warn(
                _(
                    "warning: clubs/{name}.yaml has problems, so club '{name}' is left out; "
                    "`lettersmith check` shows them"
                ).format(name=name)
            )
        problems = [p for p in problems if _club_of(p.file) not in broken]
        kept = {cid: profile for cid, profile in workspace.clubs.items() if cid not in broken}
        workspace = dataclasses.replace(workspace, clubs=kept)
    if problems:
        raise WorkspaceError(list(dict.fromkeys(problems)))
    return workspace


def _blame(file: str, lines: dict[str, int], field: str) -> tuple[str, int | None, str]:
    return file, lines[field], field


_CLUB_FILE = re.compile(r"clubs/([^/]+?)(?:\.ya?ml|/.*)$")


def _club_of(file: str) -> str | None:
    """The club a problem's file belongs to (clubs/<club>.yaml, clubs/<club>/...), or None."""
    match = _CLUB_FILE.fullmatch(file)
    return match.group(1) if match else None


def _load_own_files(
    root: Path, problems: list[Problem]
) -> tuple[Workspace, dict[str, dict[str, int]]]:
    if not (root / WORKSPACE_FILE).is_file():
        problems.append(
            Problem(
                WORKSPACE_FILE,
                None,
                _("missing in {root}; make one with `lettersmith init`").format(root=root),
            )
        )
    workspace = _read_profile(root, problems)
    recipients_node = read_yaml(root, RECIPIENTS_FILE, problems)
    recipients = {}
    if recipients_node is not None:
        checker = Checker(RECIPIENTS_FILE, problems)
        recipients = records.read_recipients(recipients_node, checker, "")
    positions = {}
    for path in records.id_files(root, "positions", ".md", problems):
        position = _read_position(root, path, workspace.language, problems)
        if position is not None:
            organisation = workspace.organisation.name
            positions[position.id] = dataclasses.replace(position, organisation=organisation)
    letters, letter_lines = {}, {}
    for path in records.id_files(root, "letters", ".yaml", problems):
        letter, lines = _read_letter(root, path, problems)
        if letter is not None:
            letters[letter.id], letter_lines[letter.id] = letter, lines
    templates = root / "templates"
    return (
        dataclasses.replace(
            workspace,
            recipients=recipients,
            positions=positions,
            letters=letters,
            template_dirs=(templates,) if templates.is_dir() else (),
        ),
        letter_lines,
    )


# --------------------------------------------------------------------------- lettersmith.yaml


def _read_profile(root: Path, problems: list[Problem]) -> Workspace:
    checker = Checker(WORKSPACE_FILE, problems)
    node = read_yaml(root, WORKSPACE_FILE, problems)
    top = checker.mapping(node, "", PROFILE_FIELDS, declared.required(""), line=1) if node else None
    if top is None:
        return Workspace(root=root, organisation=Organisation(name=""))
    organisation = Organisation(name="")
    language = checker.language(top.get("language"), "language") or "nb"
    org = None
    if not is_empty(top.get("organisation")):  # when empty, ``required`` above said so
        org = checker.mapping(
            top.get("organisation"),
            "organisation",
            ORGANISATION_FIELDS,
            declared.required("organisation"),
            line=top.key_line("organisation"),
        )
    if org is not None:
        organisation = Organisation(
            name=checker.text(org.get("name"), "organisation.name") or "",
            **records.organisation_fields(
                org, checker, "organisation", root, (root,), language=language
            ),
        )
    signatories = {}
    if (signatories_node := top.get("signatories")) is not None:
        signatories = records.read_signatories(signatories_node, checker, "signatories", (root,))
    mail = top.get("mail")
    signing_node = top.get("signing")
    signing = None
    if signing_node is not None:
        signing = records.read_signing(signing_node, checker, top.key_line("signing"), root)
    return Workspace(
        root=root,
        organisation=organisation,
        language=language,
        place=checker.text(top.get("place"), "place"),
        signatories=signatories,
        mail=_read_mail(mail, checker, top.key_line("mail")) if mail is not None else None,
        signing=signing,
        approval_required=bool(records.read_approval(top.get("approval"), checker)),
        trusted_clubs=clubs.read_trusted_clubs(top.get("trusted_clubs"), checker, root),
    )


def _read_mail(node: Node, checker: Checker, line: int) -> MailSettings | None:
    mail = checker.mapping(node, "mail", MAIL_FIELDS, declared.required("mail"), line=line)
    if mail is None:
        return None
    smtp = None
    if (smtp_node := mail.get("smtp")) is not None:
        smtp = _read_smtp(smtp_node, checker, mail.key_line("smtp"))
    return MailSettings(
        sender=checker.mailbox(mail.get("from"), "mail.from") or "",
        reply_to=checker.mailbox(mail.get("reply_to"), "mail.reply_to"),
        bcc=checker.mailbox(mail.get("bcc"), "mail.bcc"),
        smtp=smtp,
        rate=_read_rate(mail.get("rate"), checker),
        source=Source(checker.file, line),
        imap=_read_imap(imap_node, checker, mail.key_line("imap"))
        if (imap_node := mail.get("imap")) is not None
        else None,
    )


def _read_smtp(node: Node, checker: Checker, line: int) -> SmtpSettings | None:
    node = records.without_password(node, checker, "mail.smtp", "LETTERSMITH_SMTP_PASSWORD", "send")
    smtp = checker.mapping(
        node, "mail.smtp", SMTP_FIELDS, declared.required("mail.smtp"), line=line
    )
    if smtp is None:
        return None
    host, port, security = _read_server(smtp, checker, "mail.smtp", "starttls", SECURITY_PORTS)
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        username=checker.text(smtp.get("username"), "mail.smtp.username"),
    )


def _read_imap(node: Node, checker: Checker, line: int) -> ImapSettings | None:
    node = records.without_password(
        node, checker, "mail.imap", "LETTERSMITH_IMAP_PASSWORD", "run `lettersmith inbox`"
    )
    imap = checker.mapping(
        node, "mail.imap", IMAP_FIELDS, declared.required("mail.imap"), line=line
    )
    if imap is None:
        return None
    host, port, security = _read_server(imap, checker, "mail.imap", "ssl", IMAP_PORTS)
    return ImapSettings(
        host=host,
        port=port,
        security=security,
        username=checker.text(imap.get("username"), "mail.imap.username") or "",
        folder=checker.text(imap.get("folder"), "mail.imap.folder") or "INBOX",
    )


def _read_server(
    node: Map, checker: Checker, section: str, default: Security, ports: dict[str, int]
) -> tuple[str, int, Security]:
    """A mail server's host, port and security; unencrypted only to this computer."""
    host = checker.text(node.get("host"), f"{section}.host") or ""
    chosen = checker.choice(node.get("security"), f"{section}.security", tuple(ports))
    security = SECURITIES.get(chosen or default, default)
    if security == "none" and host and not is_loopback(host):
        checker.problem(
            line_of(node.get("security")),
            _(
                "{section}.security: 'none' sends the password unencrypted, so it is allowed "
                "only to this computer (localhost, 127.0.0.1, ::1), not to '{host}'; use "
                "starttls or ssl"
            ).format(section=section, host=host),
        )
    port = checker.integer(node.get("port"), f"{section}.port", 1, 65535)
    return host, port or ports[security], security


def _read_rate(node: Node | None, checker: Checker) -> Rate | None:
    value = checker.text(node, "mail.rate")
    if value is None:
        return None
    match = re.fullmatch(r"(\d+)\s*/\s*(second|minute|hour)", value)
    if match is None or int(match[1]) == 0:
        checker.problem(
            line_of(node),
            _(
                "mail.rate: '{value}' is not a rate; write a number of messages per "
                "second, minute or hour, such as 30/minute"
            ).format(value=value),
        )
        return None
    return Rate(count=int(match[1]), seconds=RATE_UNITS[match[2]])


# --------------------------------------------------------------------------- recipients


def select_recipients(ws: Workspace, selectors: Sequence[str]) -> list[Recipient]:
    """The recipients that ids and ``tag:NAME`` selectors name, in order, each once."""
    chosen: dict[str, Recipient] = {}
    problems = []
    for selector in selectors:
        found = records.select(ws, selector)
        if found is None:
            problems.append(
                Problem(records.register_name(ws), None, records.unknown_selector(ws, selector))
            )
        else:
            chosen.update((r.id, r) for r in found if r.id not in chosen)
    if problems:
        raise WorkspaceError(problems)
    return list(chosen.values())


# --------------------------------------------------------------------------- positions


def _read_position(
    root: Path, path: Path, default_language: Language, problems: list[Problem]
) -> Position | None:
    rel = f"positions/{path.name}"
    text = read_text(root, rel, problems)
    if text is None:
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    fence = _("a line '---', the fields title, adopted_by and adopted_on, then '---'")
    if lines[0].strip() != "---":
        problems.append(
            Problem(rel, 1, _("must start with front matter: {fence}").format(fence=fence))
        )
        return None
    close = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if close is None:
        problems.append(
            Problem(rel, 1, _("the front matter is not closed; add a line '---' after it"))
        )
        return None
    checker = Checker(rel, problems)
    known_problems = len(problems)
    node = parse_yaml("\n".join(lines[1:close]), rel, problems, first_line=2)
    front = None
    if len(problems) == known_problems:  # a broken front matter is reported once, not twice
        front = checker.mapping(node, "", POSITION_FIELDS, POSITION_FIELDS[:3], line=1)
    body_start = close + 1
    while body_start < len(lines) and not lines[body_start].strip():
        body_start += 1
    body = "\n".join(lines[body_start:]).rstrip()
    if not body:
        problems.append(Problem(rel, close + 1, _("has no text after the front matter; add it")))
    for offset, line in enumerate(lines[body_start:]):
        checker.text(Scalar(line, body_start + 1 + offset), "body", multiline=True)
    if front is None:
        return None
    title = checker.text(front.get("title"), "title")
    adopted_by = checker.text(front.get("adopted_by"), "adopted_by")
    adopted_on = checker.date(front.get("adopted_on"), "adopted_on")
    language = checker.language(front.get("language"), "language") or default_language
    if not (title and adopted_by and adopted_on and body):
        return None
    return Position(
        id=path.stem,
        title=title,
        adopted_by=adopted_by,
        adopted_on=adopted_on,
        language=language,
        body=body,
        path=path,
        body_line=body_start + 1,
    )


# --------------------------------------------------------------------------- letters


def _read_letter(
    root: Path, path: Path, problems: list[Problem]
) -> tuple[LetterSpec | None, dict[str, int]]:
    rel = f"letters/{path.name}"
    checker = Checker(rel, problems)
    node = read_yaml(root, rel, problems)
    mapping = checker.mapping(node, "", LETTER_FIELDS, LETTER_REQUIRED, line=1) if node else None
    if node is None and not any(p.file == rel for p in problems):
        checker.problem(1, _("is empty; it needs {names}").format(names=", ".join(LETTER_REQUIRED)))
    if mapping is None:
        return None, {}
    values, lines = records.letter_fields(mapping, checker, "", root, (root,))
    if not all(key in values for key in LETTER_REQUIRED):
        return None, lines
    return LetterSpec(id=path.stem, path=path, source=Source(rel, 1), **values), lines


def find_letter(ws: Workspace, arg: str) -> LetterSpec:
    """The letter named by its id, or by the path of its letters/<id>.yaml file."""
    if arg in ws.letters:
        return ws.letters[arg]
    for candidate in (Path(arg), ws.root / arg):
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError, ValueError):
            continue
        for letter in ws.letters.values():
            if letter.path.resolve() == resolved:
                return letter
    raise WorkspaceError(
        Problem(
            "letters/",
            None,
            _("no letter '{arg}'{did_you_mean} Letters: {names}").format(
                arg=arg,
                did_you_mean=did_you_mean(Path(arg).stem, ws.letters) or ".",
                names=", ".join(ws.letters) or _("none yet"),
            ),
        )
    )
