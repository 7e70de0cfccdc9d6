"""Spreadsheets in and out of ``recipients.yaml``: the board's list in .csv or .xlsx.

Import reads every row first (the file itself through :mod:`tables`, which treats it as
untrusted) and reports every problem as ``FILE:ROW: message``; only a file without problems
is written. The new entries are written as text after the file's own (its comments, order and
layout stay byte for byte), every value through one quoting rule
(:func:`yamltext.yaml_scalar`), and the whole new text is read back as ``lettersmith check``
reads it and compared with what was meant before it replaces the file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lettersmith.atomic import atomic_write
from lettersmith.errors import LettersmithError, Problem, WorkspaceError
from lettersmith.load import offices, tables, yamltext
from lettersmith.load.entries import RECIPIENTS_FILE, read_recipients
from lettersmith.load.fields import COLUMN_FIELDS, EXPORT_COLUMNS, HEADERS, RECIPIENT, header_key
from lettersmith.load.yamlfile import (
    Checker,
    Map,
    Node,
    Scalar,
    Seq,
    did_you_mean,
    email_problem,
    invalid_id,
    is_id,
    parse_yaml,
)
from lettersmith.model import LANGUAGES, Workspace
from lettersmith.translate import _

FIELDS = COLUMN_FIELDS  # the fields a column can fill (postcode and town join the address)
KINDS = {f.name: f.kind for f in RECIPIENT}


@dataclass(frozen=True)
class NewEntry:
    id: str
    row: int
    fields: dict[str, str | list[str]] = field(default_factory=dict)  # in the file's order

    def text(self, key: str) -> str:
        value = self.fields.get(key, "")
        return value if isinstance(value, str) else ", ".join(value)

    @property
    def tags(self) -> list[str]:
        value = self.fields.get("tags", [])
        return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True)
class ImportPlan:
    source: Path
    added: list[NewEntry]
    skipped: list[str]  # rows left out, and columns not used: for the user to read


def column_fields(
    path: Path, header: Sequence[str], mapping: Sequence[str]
) -> tuple[dict[int, str], list[str]]:
    """Which field each column fills, by header name or ``--map COLUMN=FIELD``; and notes
    about columns left unused."""
    chosen: dict[str, str] = {}
    for item in mapping:
        column, sep, written = item.partition("=")
        target = HEADERS.get(header_key(written), written.strip())  # tittel is title
        if not sep or target not in FIELDS:
            raise LettersmithError(
                _("--map {item}: write COLUMN=FIELD, FIELD one of {names}{did_you_mean}").format(
                    item=item, names=", ".join(FIELDS), did_you_mean=did_you_mean(target, FIELDS)
                )
            )
        chosen[header_key(column)] = target
    columns: dict[int, str] = {}
    notes: list[str] = []
    for index, name in enumerate(header):
        key = header_key(name)
        field_name = chosen.pop(key, None) or HEADERS.get(key)
        if field_name is None:
            if name.strip():
                notes.append(
                    _(
                        "{path}: column '{name}' is not used; add --map '{name}=FIELD' to use it"
                    ).format(path=path, name=name)
                )
            continue
        if field_name in columns.values():
            raise LettersmithError(
                _(
                    "{path}:1: two columns give {field_name}; use --map to say which one is which"
                ).format(path=path, field_name=field_name)
            )
        columns[index] = field_name
    if chosen:
        raise LettersmithError(
            _(
                "{path}:1: --map names no column of the file: {names}; the columns are: {columns}"
            ).format(path=path, names=", ".join(chosen), columns=", ".join(header))
        )
    if "email" not in columns.values() and "office" not in columns.values():
        raise LettersmithError(
            _(
                "{path}:1: no column for the email address (e-post/email); name one with "
                "--map COLUMN=email"
            ).format(path=path)
        )
    return columns, notes


# --------------------------------------------------------------------------- import


def plan_import(root: Path, path: Path, mapping: Sequence[str] = ()) -> ImportPlan:
    """What importing ``path`` into ``root``'s recipients.yaml would add; every problem raised."""
    header, rows = tables.read_table(path)
    columns, notes = column_fields(path, header, mapping)
    existing = _existing(root)
    taken_ids = set(existing.ids)
    mailboxes: dict[str, int] = {}
    problems: list[Problem] = []
    added: list[NewEntry] = []
    for number, cells in rows:
        values = {
            target: tables.unneutralised(cells[index].strip())
            for index, target in columns.items()
            if index < len(cells) and cells[index].strip()
        }
        if not values:
            continue
        where = str(path)
        found: list[str] = []
        entry = _entry(values, found)
        email = entry.get("email", "")
        folded = email.casefold() if isinstance(email, str) else ""
        if folded and folded in existing.emails:
            notes.append(
                _(
                    "{where}:{number}: {email} is already in {file} (as '{emails}'); row left out"
                ).format(
                    where=where,
                    number=number,
                    email=email,
                    file=RECIPIENTS_FILE,
                    emails=existing.emails[folded],
                )
            )
            continue
        if folded and folded in mailboxes:
            found.append(
                _(
                    "email: {email} is also on row {mailboxes}; each mailbox goes in once: "
                    "remove one of the rows"
                ).format(email=email, mailboxes=mailboxes[folded])
            )
        elif folded:
            mailboxes[folded] = number
        rid = _entry_id(values, entry, taken_ids, found)
        problems += [Problem(where, number, message) for message in found]
        if not found:
            taken_ids.add(rid)
            added.append(NewEntry(id=rid, row=number, fields=entry))
    if problems:
        raise WorkspaceError(problems)
    return ImportPlan(source=path, added=added, skipped=notes)


def _entry(values: dict[str, str], found: list[str]) -> dict[str, str | list[str]]:
    """The recipients.yaml fields of one row, in the file's usual order; problems to ``found``."""
    for key, value in values.items():
        allowed = "\n" if key == "address" else ""  # an address cell may hold several lines
        if any(
            unicodedata.category(char) in ("Cc", "Zl", "Zp")
            for char in value
            if char not in allowed
        ):
            found.append(
                _("{key}: contains a line break or control character; remove it").format(key=key)
            )
    entry: dict[str, str | list[str]] = {}
    office_id = values.get("office")
    if office_id is not None:
        if office_id in offices.register():
            entry["office"] = office_id
        else:
            found.append(f"office: {offices.unknown_office(office_id)}")
    for key in ("title", "name", "organisation"):
        if key in values:
            entry[key] = values[key]
    if not any(key in entry for key in ("title", "name", "organisation", "office")):
        found.append(_("give a name, title or organisation to address the letter to"))
    if "email" in values:
        if reason := email_problem(values["email"]):
            found.append(
                _("email: '{value}' is not a valid email address: {reason}").format(
                    value=values["email"], reason=reason
                )
            )
        entry["email"] = values["email"]
    elif office_id is None or not (o := offices.register().get(office_id)) or not o.email:
        found.append(_("email: the email address is missing; fill it in"))
    address = [line.strip() for line in values.get("address", "").splitlines() if line.strip()]
    postcode, town = values.get("postcode", ""), values.get("town", "")
    if postcode.isdigit() and len(postcode) < 4:  # Excel drops the 0 of 0030
        postcode = postcode.zfill(4)
    if postcode or town:
        address.append(" ".join(part for part in (postcode, town) if part))
    if address:
        entry["address"] = address
    if "tags" in values:
        # A tag is an id: "Styret" and "Økonomi" become styret and okonomi, as the table shows.
        written = [tag for tag in re.split(r"[,;\s]+", values["tags"]) if tag]
        tags = [make_id(tag) for tag in written]
        for tag, made in zip(written, tags, strict=True):
            if not is_id(made):
                found.append(f"tags: {invalid_id(tag)}")
        entry["tags"] = list(dict.fromkeys(tags))
    if "language" in values:
        if values["language"] not in LANGUAGES:
            found.append(
                _("language: '{value}' is not one of {names}").format(
                    value=values["language"], names=", ".join(LANGUAGES)
                )
            )
        entry["language"] = values["language"]
    if "salutation" in values:
        entry["salutation"] = values["salutation"]
    if "their_reference" in values:
        entry["their_reference"] = values["their_reference"]
    if "verified" in values:
        verified = _date(values["verified"])
        if verified is None:
            found.append(
                _("verified: '{value}' is not a date; write YYYY-MM-DD").format(
                    value=values["verified"]
                )
            )
        else:
            entry["verified"] = verified.isoformat()
    return entry


def _date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def _entry_id(
    values: dict[str, str], entry: dict[str, str | list[str]], taken: set[str], found: list[str]
) -> str:
    if "id" in values:
        rid = values["id"]
        if not is_id(rid):
            found.append(f"id: {invalid_id(rid)}")
        elif rid in taken:
            found.append(_("id: '{rid}' is already used; give this row another id").format(rid=rid))
        return rid
    base = make_id(str(entry.get("name") or entry.get("organisation") or entry.get("title") or ""))
    base = base or str(entry.get("office", "")).replace("/", "-") or "mottaker"
    rid, count = base, 1
    while rid in taken:
        count += 1
        rid = f"{base}-{count}"
    return rid


def make_id(text: str) -> str:
    """ "Kari Ødegård" -> "kari-odegard": an id from a name."""
    text = text.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-")


@dataclass
class _Existing:
    text: str | None = None  # the file as it is, None when there is none
    bom: bool = False  # the file starts with a UTF-8 byte order mark, which is kept
    root: Map | None = None
    ids: set[str] = field(default_factory=set)
    emails: dict[str, str] = field(default_factory=dict)  # mailbox (any case) -> id


def _existing(root: Path) -> _Existing:
    """recipients.yaml as lettersmith reads it; a file that cannot be read stops the import."""
    path = root / RECIPIENTS_FILE
    if not path.is_file():
        return _Existing()
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise LettersmithError(
            _("{file}: cannot be read ({err}); run `lettersmith check` and fix it first").format(
                file=RECIPIENTS_FILE, err=err
            )
        ) from None
    problems: list[Problem] = []
    node = parse_yaml(text, RECIPIENTS_FILE, problems)
    if problems:
        raise LettersmithError(
            _("{problems}; run `lettersmith check` and fix {file} first").format(
                problems=problems[0], file=RECIPIENTS_FILE
            )
        )
    if node is not None and not isinstance(node, Map):
        raise LettersmithError(
            _("{file}: expected a mapping from recipient id to fields").format(file=RECIPIENTS_FILE)
        )
    existing = _Existing(text=text, bom=data.startswith(b"\xef\xbb\xbf"), root=node)
    for rid, (_line, entry) in (node.entries if node else {}).items():
        existing.ids.add(rid)
        email = entry.get("email") if isinstance(entry, Map) else None
        office = entry.get("office") if isinstance(entry, Map) else None
        mailbox = email.value if isinstance(email, Scalar) else None
        if not mailbox and isinstance(office, Scalar) and office.value in offices.register():
            mailbox = offices.register()[office.value].email
        if mailbox:
            existing.emails[mailbox.casefold()] = rid
    return existing


# --------------------------------------------------------------------------- writing


def entries_text(plan: ImportPlan) -> str:
    """The entries as the import writes them into recipients.yaml: what a dry run shows."""
    return _block_entries(plan).lstrip("\n")


def _block_entries(plan: ImportPlan) -> str:
    parts = []
    for entry in plan.added:
        lines = [f"# imported from {yamltext.comment(plan.source.name)}, row {entry.row}"]
        lines.append(f"{yamltext.yaml_scalar(entry.id)}:")
        lines += [f"  {key}: {yamltext.value_text(value)}" for key, value in entry.fields.items()]
        parts.append("\n" + "\n".join(lines) + "\n")
    return "".join(parts)


def _flow_entries(plan: ImportPlan, first: bool) -> str:
    parts = []
    for index, entry in enumerate(plan.added):
        fields = ", ".join(
            f"{key}: {yamltext.value_text(value)}" for key, value in entry.fields.items()
        )
        comma = "" if first and index == 0 else ","
        parts.append(
            f"{comma}\n  # imported from {yamltext.comment(plan.source.name)}, row {entry.row}\n"
            f"  {yamltext.yaml_scalar(entry.id)}: {{{fields}}}"
        )
    return "".join(parts) + "\n"


def _new_text(existing: _Existing, plan: ImportPlan) -> str:
    """The whole new recipients.yaml: the file's own text with the new entries added, in the
    file's own line endings."""
    text = existing.text or ""
    newline = "\r\n" if "\r\n" in text else "\n"
    if existing.root is None:  # no file, or only comments
        text = text if not text or text.endswith("\n") else text + newline
        added = _block_entries(plan).removeprefix("\n" if not text else "")
        return text + added.replace("\n", newline)
    flow, at = _insertion(text)
    if flow:
        added = _flow_entries(plan, first=not existing.root.entries)
        if text[at:].lstrip(" ").startswith(","):  # the file's own trailing comma follows
            added = added.rstrip("\n")
        return text[:at] + added.replace("\n", newline) + text[at:]
    before = text[:at] if text[:at].endswith("\n") else text[:at] + newline
    return before + _block_entries(plan).replace("\n", newline) + text[at:]


def _insertion(text: str) -> tuple[bool, int]:
    """Whether the file is one {...} mapping, and where new entries go: after the last
    entry's value (before any trailing comma or comment) in a {...} mapping, or before the
    end of the document (a closing ``...``) in a block one."""
    depth, last, flow = 0, len(text), False
    for event in yaml.parse(text, Loader=yaml.BaseLoader):
        start = event.start_mark.index if event.start_mark else len(text)
        end = event.end_mark.index if event.end_mark else len(text)
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            flow = flow or (depth == 0 and bool(event.flow_style))
            if depth == 0 and flow:
                last = end  # just after the {, for a mapping with no entries yet
            depth += 1
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
            if depth == 1:
                last = end
        elif isinstance(event, yaml.ScalarEvent) and depth == 1:
            last = end
        elif isinstance(event, yaml.DocumentEndEvent):
            return flow, (last if flow else start if event.explicit else len(text))
    return flow, last if flow else len(text)


def _reads_back(existing: _Existing, plan: ImportPlan, text: str) -> str | None:
    """Why ``text`` does not read back as the file's entries plus the plan's, or None."""
    problems: list[Problem] = []
    node = parse_yaml(text, RECIPIENTS_FILE, problems)
    if problems or not isinstance(node, Map):
        return str(problems[0]) if problems else _("it is not a mapping of recipients")
    before = existing.root.entries if existing.root else {}
    if list(node.entries) != [*before, *(entry.id for entry in plan.added)]:
        return _("the ids read back differ")
    if any(node.entries[rid] != entry for rid, entry in before.items()):
        return _("an entry already in the file reads differently")
    for entry in plan.added:
        got = node.get(entry.id)
        fields = got.entries if isinstance(got, Map) else {}
        read = {key: _plain(value) for key, (_, value) in fields.items()}
        if read != entry.fields:
            return _("'{id}' reads back as {read}, not {fields}").format(
                id=entry.id, read=read, fields=entry.fields
            )
    new = Map({e.id: node.entries[e.id] for e in plan.added}, node.line)
    read_recipients(new, Checker(RECIPIENTS_FILE, problems), "")  # as check reads it
    return str(problems[0]) if problems else None


def _plain(node: Node) -> str | list[str] | None:
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Seq) and all(isinstance(item, Scalar) for item in node.items):
        return [item.value for item in node.items if isinstance(item, Scalar)]
    return None


def write_import(root: Path, plan: ImportPlan) -> Path:
    """Add the plan's entries at the end of recipients.yaml, keeping its text byte for byte.

    The new text must read back, as ``lettersmith check`` reads it, as the file's entries
    unchanged plus exactly the plan's; otherwise nothing is written.
    """
    path = root / RECIPIENTS_FILE
    existing = _existing(root)
    text = _new_text(existing, plan)
    if reason := _reads_back(existing, plan, text):
        raise LettersmithError(
            _(
                "{file}: the new entries would not read back as imported "
                "({reason}); nothing was written. Add them by hand, or report this as a "
                "bug"
            ).format(file=RECIPIENTS_FILE, reason=reason)
        )
    try:
        return atomic_write(path, ("\ufeff" if existing.bom else "") + text)
    except OSError as err:
        raise LettersmithError(
            _("{path}: cannot be written: {strerror}").format(path=path, strerror=err.strerror)
        ) from None


# --------------------------------------------------------------------------- export


def _export_cell(value: object, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):  # an address's lines, one cell; tags as people type them
        return ("\n" if kind == "lines" else ", ").join(str(item) for item in value)
    return str(value)


def export_rows(ws: Workspace) -> Iterator[list[str]]:
    """The header and one row per recipient (cells as they are: tables neutralises them)."""
    yield list(EXPORT_COLUMNS)
    for recipient in ws.recipients.values():
        yield [_export_cell(getattr(recipient, name), KINDS[name]) for name in EXPORT_COLUMNS]


def export(ws: Workspace, path: Path) -> int:
    """Write the register to ``path`` (.csv or .xlsx); the number of recipients written."""
    rows = list(export_rows(ws))
    tables.write_table(path, rows)
    return len(rows) - 1
