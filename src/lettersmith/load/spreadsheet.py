"""Spreadsheets in and out of ``recipients.yaml``: the board's list in .csv or .xlsx.

Import reads every row first and reports every problem as ``FILE:ROW: message``; only a file
without problems is written, and then through a round-trip YAML library (ruamel.yaml), so the
comments, order and layout of ``recipients.yaml`` stay as the secretary wrote them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lettersmith.atomic import atomic_write
from lettersmith.errors import LettersmithError, Problem, WorkspaceError
from lettersmith.load import offices
from lettersmith.load.entries import RECIPIENTS_FILE
from lettersmith.load.yamlfile import (
    Map,
    did_you_mean,
    email_problem,
    invalid_id,
    is_id,
    parse_yaml,
)
from lettersmith.model import LANGUAGES, Workspace

# The fields a column can fill; postcode and town are joined into the address's last line.
FIELDS = (
    "id", "title", "name", "organisation", "email", "address", "postcode", "town", "tags",
    "language", "salutation", "office", "verified",
)  # fmt: skip
# Header names as a secretary may write them (compared without case, spaces or punctuation).
HEADERS = {
    "id": "id",
    "navn": "name", "name": "name", "fulltnavn": "name", "fullname": "name",
    "tittel": "title", "title": "title", "stilling": "title", "verv": "title",
    "epost": "email", "epostadresse": "email", "email": "email", "emailaddress": "email",
    "mail": "email", "epostmottak": "email",
    "organisasjon": "organisation", "organisation": "organisation",
    "organization": "organisation", "virksomhet": "organisation",
    "adresse": "address", "address": "address", "postadresse": "address",
    "postnummer": "postcode", "postnr": "postcode", "postcode": "postcode", "zip": "postcode",
    "poststed": "town", "sted": "town", "town": "town", "city": "town",
    "tagger": "tags", "tags": "tags", "tag": "tags", "grupper": "tags",
    "sprak": "language", "maal": "language", "language": "language",
    "hilsen": "salutation", "salutation": "salutation",
    "kontor": "office", "office": "office", "embete": "office",
    "verifisert": "verified", "verified": "verified", "sjekket": "verified",
}  # fmt: skip
MAX_ROWS = 10_000
EXPORT_COLUMNS = (
    "id", "title", "name", "organisation", "email", "address", "tags", "language",
    "salutation", "office", "verified",
)  # fmt: skip


@dataclass(frozen=True)
class NewEntry:
    id: str
    row: int
    fields: dict[str, object] = field(default_factory=dict)  # in recipients.yaml's order

    def text(self, key: str) -> str:
        return str(self.fields.get(key, ""))

    @property
    def tags(self) -> list[str]:
        return list(self.fields.get("tags", []))  # type: ignore[call-overload]


@dataclass(frozen=True)
class ImportPlan:
    source: Path
    added: list[NewEntry]
    skipped: list[str]  # rows left out, and columns not used: for the user to read


# --------------------------------------------------------------------------- reading


def read_table(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the rows (with their row numbers) of a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _read_xlsx(path)
        if suffix in (".csv", ".txt"):
            return _read_csv(path)
    except OSError as err:
        raise LettersmithError(f"{path}: cannot be read: {err.strerror}") from None
    raise LettersmithError(f"{path}: not a spreadsheet lettersmith reads; save it as .csv or .xlsx")


def decode(data: bytes) -> str:
    """Text as Excel may have saved it: UTF-8 with or without a BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        for cells in reader:
            if header is None:
                header = cells
                continue
            rows.append((len(rows) + 2, cells))  # the row as a spreadsheet shows it
            if len(rows) > MAX_ROWS:
                raise LettersmithError(f"{path}: more than {MAX_ROWS} rows; split the file")
    except csv.Error as err:
        raise LettersmithError(f"{path}:{reader.line_num}: cannot be read as CSV: {err}") from None
    return header or [], rows


def _delimiter(text: str) -> str:
    """The separator the header row uses most: ; (Excel in Norway), comma, tab or |.

    The header alone decides: csv.Sniffer guesses wrong on rows with quoted line breaks.
    """
    header = text.split("\n", 1)[0]
    counts = {candidate: header.count(candidate) for candidate in ";,\t|"}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise LettersmithError(f"{path}: cannot be read as an Excel workbook ({err})") from None
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = [_cell(value) for value in next(lines, ())]
        rows = []
        for number, values in enumerate(lines, start=2):
            rows.append((number, [_cell(value) for value in values]))
            if len(rows) > MAX_ROWS:
                raise LettersmithError(f"{path}: more than {MAX_ROWS} rows; split the file")
    finally:
        book.close()
    return header, rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header_key(name: str) -> str:
    """ "E-post", "e_post ", "E-POST" -> "epost"; æøå kept apart from their look-alikes."""
    name = name.strip().casefold().replace("å", "a").replace("ø", "o").replace("æ", "ae")
    return re.sub(r"[^a-z0-9]", "", name)


def column_fields(
    path: Path, header: Sequence[str], mapping: Sequence[str]
) -> tuple[dict[int, str], list[str]]:
    """Which field each column fills, by header name or ``--map COLUMN=FIELD``; and notes
    about columns left unused."""
    chosen: dict[str, str] = {}
    for item in mapping:
        column, sep, written = item.partition("=")
        target = HEADERS.get(_header_key(written), written.strip())  # tittel is title
        if not sep or target not in FIELDS:
            raise LettersmithError(
                f"--map {item}: write COLUMN=FIELD, FIELD one of {', '.join(FIELDS)}"
                f"{did_you_mean(target, FIELDS)}"
            )
        chosen[_header_key(column)] = target
    columns: dict[int, str] = {}
    notes: list[str] = []
    for index, name in enumerate(header):
        key = _header_key(name)
        field_name = chosen.pop(key, None) or HEADERS.get(key)
        if field_name is None:
            if name.strip():
                notes.append(
                    f"{path}: column '{name}' is not used; add --map '{name}=FIELD' to use it"
                )
            continue
        if field_name in columns.values():
            raise LettersmithError(
                f"{path}:1: two columns give {field_name}; use --map to say which one is which"
            )
        columns[index] = field_name
    if chosen:
        raise LettersmithError(
            f"{path}:1: --map names no column of the file: {', '.join(chosen)}; "
            f"the columns are: {', '.join(header)}"
        )
    if "email" not in columns.values() and "office" not in columns.values():
        raise LettersmithError(
            f"{path}:1: no column for the email address (e-post/email); name one with "
            "--map COLUMN=email"
        )
    return columns, notes


# --------------------------------------------------------------------------- import


def plan_import(root: Path, path: Path, mapping: Sequence[str] = ()) -> ImportPlan:
    """What importing ``path`` into ``root``'s recipients.yaml would add; every problem raised."""
    header, rows = read_table(path)
    columns, notes = column_fields(path, header, mapping)
    existing = _existing(root)
    taken_ids = set(existing.ids)
    mailboxes: dict[str, int] = {}
    problems: list[Problem] = []
    added: list[NewEntry] = []
    for number, cells in rows:
        values = {
            target: cells[index].strip()
            for index, target in columns.items()
            if index < len(cells) and cells[index].strip()
        }
        if not values:
            continue
        where = str(path)
        found: list[str] = []
        entry = _entry(values, found)
        email = str(entry.get("email", "")).casefold()
        if email and email in existing.emails:
            notes.append(
                f"{where}:{number}: {entry['email']} is already in {RECIPIENTS_FILE} "
                f"(as '{existing.emails[email]}'); row left out"
            )
            continue
        if email and email in mailboxes:
            found.append(
                f"email: {entry['email']} is also on row {mailboxes[email]}; "
                "each mailbox goes in once: remove one of the rows"
            )
        elif email:
            mailboxes[email] = number
        rid = _entry_id(values, entry, taken_ids, found)
        problems += [Problem(where, number, message) for message in found]
        if not found:
            taken_ids.add(rid)
            added.append(NewEntry(id=rid, row=number, fields=entry))
    if problems:
        raise WorkspaceError(problems)
    return ImportPlan(source=path, added=added, skipped=notes)


def _entry(values: dict[str, str], found: list[str]) -> dict[str, object]:
    """The recipients.yaml fields of one row, in the file's usual order; problems to ``found``."""
    for key, value in values.items():
        allowed = "\n" if key == "address" else ""  # an address cell may hold several lines
        if any(
            unicodedata.category(char) in ("Cc", "Zl", "Zp")
            for char in value
            if char not in allowed
        ):
            found.append(f"{key}: contains a line break or control character; remove it")
    entry: dict[str, object] = {}
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
        found.append("give a name, title or organisation to address the letter to")
    if "email" in values:
        if reason := email_problem(values["email"]):
            found.append(f"email: '{values['email']}' is not a valid email address: {reason}")
        entry["email"] = values["email"]
    elif office_id is None or not (o := offices.register().get(office_id)) or not o.email:
        found.append("email: the email address is missing; fill it in")
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
            found.append(f"language: '{values['language']}' is not one of {', '.join(LANGUAGES)}")
        entry["language"] = values["language"]
    if "salutation" in values:
        entry["salutation"] = values["salutation"]
    if "verified" in values:
        verified = _date(values["verified"])
        if verified is None:
            found.append(f"verified: '{values['verified']}' is not a date; write YYYY-MM-DD")
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
    values: dict[str, str], entry: dict[str, object], taken: set[str], found: list[str]
) -> str:
    if "id" in values:
        rid = values["id"]
        if not is_id(rid):
            found.append(f"id: {invalid_id(rid)}")
        elif rid in taken:
            found.append(f"id: '{rid}' is already used; give this row another id")
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
    ids: set[str] = field(default_factory=set)
    emails: dict[str, str] = field(default_factory=dict)  # mailbox (any case) -> id


def _existing(root: Path) -> _Existing:
    data = _load_round_trip(root / RECIPIENTS_FILE)
    existing = _Existing()
    for rid, entry in (data or {}).items():
        existing.ids.add(str(rid))
        email = entry.get("email") if hasattr(entry, "get") else None
        if not email and hasattr(entry, "get") and entry.get("office") in offices.register():
            email = offices.register()[entry["office"]].email
        if email:
            existing.emails[str(email).casefold()] = str(rid)
    return existing


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, order and quoting survive
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _load_round_trip(path: Path):
    from ruamel.yaml.error import YAMLError

    if not path.is_file():
        return None
    try:
        data = _yaml().load(path.read_text(encoding="utf-8-sig"))
    except (YAMLError, UnicodeDecodeError) as err:
        raise LettersmithError(
            f"{RECIPIENTS_FILE}: cannot be read ({err}); run `lettersmith check` and fix it first"
        ) from None
    if data is not None and not hasattr(data, "items"):
        raise LettersmithError(f"{RECIPIENTS_FILE}: expected a mapping from recipient id to fields")
    return data


def write_import(root: Path, plan: ImportPlan) -> Path:
    """Add the plan's entries at the end of recipients.yaml, keeping its comments and order.

    The file's own text is kept byte for byte and the new entries, written by ruamel.yaml, go
    after it; only a file whose top level is not a block mapping (``{a: ...}``) is rewritten
    whole by ruamel.yaml's round trip, which keeps its comments and order but may re-indent.
    """
    from ruamel.yaml.comments import CommentedMap

    path = root / RECIPIENTS_FILE
    data = _load_round_trip(path)
    new = _new_entries(plan)
    if data is None:
        return atomic_write(path, _dump(new).lstrip("\n"))
    original = path.read_text(encoding="utf-8-sig")
    if isinstance(data, CommentedMap) and not data.fa.flow_style() and data:
        text = original if original.endswith("\n") else original + "\n"
        combined = text + _dump(new)
        problems: list[Problem] = []
        reread = parse_yaml(combined, RECIPIENTS_FILE, problems)  # read as check will read it
        if not problems and isinstance(reread, Map) and list(reread.entries) == [*data, *new]:
            return atomic_write(path, combined)
    for key, value in new.items():  # a flow mapping or an odd file: let ruamel rewrite it
        data[key] = value
        data.ca.items.pop(key, None)
    return atomic_write(path, _dump(data))


def _new_entries(plan: ImportPlan):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    entries = CommentedMap()
    for entry in plan.added:
        fields = CommentedMap()
        for key, value in entry.fields.items():
            if isinstance(value, list):  # tags: [a, b], address: [line, line], as people write
                value = CommentedSeq(value)
                value.fa.set_flow_style()
            fields[key] = value
        entries[entry.id] = fields
        entries.yaml_set_comment_before_after_key(
            entry.id, before=f"\nimported from {plan.source.name}, row {entry.row}"
        )
    return entries


def _dump(data) -> str:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- export


def export_rows(ws: Workspace) -> Iterator[list[str]]:
    yield list(EXPORT_COLUMNS)
    for recipient in ws.recipients.values():
        yield [
            recipient.id,
            recipient.title or "",
            recipient.name or "",
            recipient.organisation or "",
            recipient.email,
            "\n".join(recipient.address),
            ", ".join(recipient.tags),
            recipient.language or "",
            recipient.salutation or "",
            recipient.office or "",
            recipient.verified.isoformat() if recipient.verified else "",
        ]


def export(ws: Workspace, path: Path) -> int:
    """Write the register to ``path`` (.csv: UTF-8 with BOM and ';', as Excel opens it in
    Norway; .xlsx); the number of recipients written."""
    rows = list(export_rows(ws))
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
        data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    elif suffix == ".xlsx":
        import openpyxl
        from openpyxl.styles import Font

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "recipients"
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        output = io.BytesIO()
        book.save(output)
        data = output.getvalue()
    else:
        raise LettersmithError(f"{path}: write to a .csv or .xlsx file")
    try:
        atomic_write(path, data)
    except OSError as err:
        raise LettersmithError(f"{path}: cannot be written: {err.strerror}") from None
    return len(rows) - 1
