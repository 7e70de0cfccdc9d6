"""Spreadsheets in and out of ``recipients.yaml``: the board's list in .csv or .xlsx.

Import reads every row first and reports every problem as ``FILE:ROW: message``; only a file
without problems is written. The new entries are written as text after the file's own (its
comments, order and layout stay byte for byte), every value through one quoting rule
(:func:`yaml_scalar`), and the whole new text is read back as ``lettersmith check`` reads it
and compared with what was meant before it replaces the file.

A spreadsheet is untrusted input: an .xlsx is a zip archive that may unpack to gigabytes or be
damaged in any way, so its size is checked before it is opened, reading it has a time limit,
and anything broken is one message. An export never writes a cell that a spreadsheet program
would run as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lettersmith.atomic import atomic_write
from lettersmith.errors import LettersmithError, Problem, WorkspaceError
from lettersmith.load import offices
from lettersmith.load.entries import RECIPIENTS_FILE, read_recipients
from lettersmith.load.fields import COLUMN_FIELDS, EXPORT_COLUMNS, HEADERS, RECIPIENT, header_key
from lettersmith.load.yamlfile import (
    DATE_PATTERN,
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

FIELDS = COLUMN_FIELDS  # the fields a column can fill (postcode and town join the address)
KINDS = {f.name: f.kind for f in RECIPIENT}
MAX_ROWS = 10_000
MAX_COLUMNS = 200
# A register of 10,000 people is a few MB of XML; an archive that unpacks to more, or packs
# its XML far tighter than real text packs, is a zip bomb.
MAX_UNPACKED = 32 * 2**20
MAX_RATIO = 100
MAX_MEMBERS = 1_000
MAX_CSV = 32 * 2**20
MAX_SECONDS = 20.0
# A cell starting with one of these is run as a formula by Excel and LibreOffice (OWASP, "CSV
# injection"); an export writes it after a ' and an import takes that ' away again.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Rows = list[tuple[int, list[str]]]


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


# --------------------------------------------------------------------------- reading


def read_table(path: Path) -> tuple[list[str], Rows]:
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


def unreadable(path: Path, reason: str) -> LettersmithError:
    reason = " ".join(reason.split())[:300]  # one line, whatever a library said
    return LettersmithError(
        f"{path}: cannot read this spreadsheet: {reason}; save it again as .xlsx or .csv"
    )


def decode(data: bytes) -> str:
    """Text as Excel may have saved it: UTF-8 with or without a BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> tuple[list[str], Rows]:
    if path.stat().st_size > MAX_CSV:
        raise unreadable(path, f"it is larger than {MAX_CSV // 2**20} MB")
    text = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _rows(path, reader, time.monotonic() + MAX_SECONDS)
    except csv.Error as err:
        raise LettersmithError(f"{path}:{reader.line_num}: cannot be read as CSV: {err}") from None


def _rows(path: Path, lines: Iterable[Sequence[object]], deadline: float) -> tuple[list[str], Rows]:
    """The header and the non-empty rows, numbered as a spreadsheet shows them."""
    header: list[str] | None = None
    rows: Rows = []
    for number, values in enumerate(lines, start=1):
        if time.monotonic() > deadline:
            raise unreadable(path, f"reading it took longer than {MAX_SECONDS:.0f} seconds")
        cells = [_cell(value) for value in values]
        if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
            raise unreadable(path, f"row {number} has more than {MAX_COLUMNS} columns")
        if header is None:
            header = cells
        elif any(cells):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise LettersmithError(f"{path}: more than {MAX_ROWS} rows; split the file")
    return header or [], rows


def _delimiter(text: str) -> str:
    """The separator the header row uses most: ; (Excel in Norway), comma, tab or |.

    The header alone decides: csv.Sniffer guesses wrong on rows with quoted line breaks.
    """
    header = text.split("\n", 1)[0]
    counts = {candidate: header.count(candidate) for candidate in ";,\t|"}
    best = max(counts, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _read_xlsx(path: Path) -> tuple[list[str], Rows]:
    import openpyxl

    _check_archive(path)
    deadline = time.monotonic() + MAX_SECONDS
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            return _rows(path, sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), deadline)
        finally:
            book.close()
    except LettersmithError:
        raise
    except Exception as err:  # noqa: BLE001 - a damaged file can fail anywhere in openpyxl
        raise unreadable(path, _why(err)) from None


def _check_archive(path: Path) -> None:
    """Refuse an archive that is not a zip, or unpacks to far more than a register, before
    openpyxl reads it. The sizes are the ones the archive declares, which zipfile enforces."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise unreadable(path, _why(err)) from None
    if len(members) > MAX_MEMBERS:
        raise unreadable(path, f"the archive holds more than {MAX_MEMBERS} parts")
    total = sum(member.file_size for member in members)
    if total > MAX_UNPACKED:
        raise unreadable(
            path, f"it unpacks to more than {MAX_UNPACKED // 2**20} MB ({total // 2**20} MB)"
        )
    for member in members:
        if member.file_size > 2**20 and member.file_size > MAX_RATIO * member.compress_size:
            raise unreadable(
                path,
                f"it unpacks to more than {MAX_RATIO} times its size ({member.filename}), "
                "as a zip bomb does",
            )


def _why(err: Exception) -> str:
    """A damaged workbook's fault in words."""
    if isinstance(err, zipfile.BadZipFile):
        return f"it is not a whole .xlsx file ({err})"
    if isinstance(err, KeyError):
        return f"a part of the workbook is missing ({err.args[0] if err.args else err})"
    return f"the workbook is damaged ({type(err).__name__}: {err})"


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
                f"--map {item}: write COLUMN=FIELD, FIELD one of {', '.join(FIELDS)}"
                f"{did_you_mean(target, FIELDS)}"
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
            target: unneutralised(cells[index].strip())
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
                f"{where}:{number}: {email} is already in {RECIPIENTS_FILE} "
                f"(as '{existing.emails[folded]}'); row left out"
            )
            continue
        if folded and folded in mailboxes:
            found.append(
                f"email: {email} is also on row {mailboxes[folded]}; "
                "each mailbox goes in once: remove one of the rows"
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
            found.append(f"{key}: contains a line break or control character; remove it")
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
    values: dict[str, str], entry: dict[str, str | list[str]], taken: set[str], found: list[str]
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
    text: str | None = None  # the file as it is, None when there is none
    root: Map | None = None
    ids: set[str] = field(default_factory=set)
    emails: dict[str, str] = field(default_factory=dict)  # mailbox (any case) -> id


def _existing(root: Path) -> _Existing:
    """recipients.yaml as lettersmith reads it; a file that cannot be read stops the import."""
    path = root / RECIPIENTS_FILE
    if not path.is_file():
        return _Existing()
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise LettersmithError(
            f"{RECIPIENTS_FILE}: cannot be read ({err}); run `lettersmith check` and fix it first"
        ) from None
    problems: list[Problem] = []
    node = parse_yaml(text, RECIPIENTS_FILE, problems)
    if problems:
        raise LettersmithError(
            f"{problems[0]}; run `lettersmith check` and fix {RECIPIENTS_FILE} first"
        )
    if node is not None and not isinstance(node, Map):
        raise LettersmithError(f"{RECIPIENTS_FILE}: expected a mapping from recipient id to fields")
    existing = _Existing(text=text, root=node)
    for rid, (_, entry) in (node.entries if node else {}).items():
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

# Written as they are: words of letters and digits with the punctuation of names and
# addresses, none of which YAML reads as anything but text, in a block or in [a, b].
_PLAIN = re.compile(r"[^\W_](?:[\w'()/@&+.-]| (?! ))*")
# Text that YAML 1.1 or 1.2 tools read as true/false/null or a number: quoted, so that no
# other program reads it as anything else either. Dates stay plain, as people write them.
_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "nan", "inf"})
_NUMBER = re.compile(r"[0-9][0-9a-zA-Z_.+-]*")
# Kept as they are inside "...": printable, no line break, no tab, no BOM, no quote, no \.
_UNSAFE = re.compile(
    r'[^\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|["\\]'
)


def yaml_scalar(value: str) -> str:
    """``value`` as a YAML scalar that every YAML reading gives back exactly: the one rule
    every value an import writes goes through (keys, fields, list items)."""
    plain = _PLAIN.fullmatch(value) and not value.endswith(" ")
    if (
        plain
        and value.casefold() not in _WORDS
        and not (_NUMBER.fullmatch(value) and not DATE_PATTERN.fullmatch(value))
    ):
        return value
    return '"' + _UNSAFE.sub(_escape, value) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in '"\\':
        return "\\" + char
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _comment(text: str) -> str:
    """Text for a YAML comment: one line, whatever a file name holds."""
    return "".join("?" if unicodedata.category(c)[0] in "CZ" and c != " " else c for c in text)


def _value_text(value: str | list[str]) -> str:
    if isinstance(value, str):
        return yaml_scalar(value)
    return "[" + ", ".join(yaml_scalar(item) for item in value) + "]"


def _block_entries(plan: ImportPlan) -> str:
    parts = []
    for entry in plan.added:
        lines = [f"# imported from {_comment(plan.source.name)}, row {entry.row}"]
        lines.append(f"{yaml_scalar(entry.id)}:")
        lines += [f"  {key}: {_value_text(value)}" for key, value in entry.fields.items()]
        parts.append("\n" + "\n".join(lines) + "\n")
    return "".join(parts)


def _flow_entries(plan: ImportPlan, first: bool) -> str:
    parts = []
    for index, entry in enumerate(plan.added):
        fields = ", ".join(f"{key}: {_value_text(value)}" for key, value in entry.fields.items())
        comma = "" if first and index == 0 else ","
        parts.append(
            f"{comma}\n  # imported from {_comment(plan.source.name)}, row {entry.row}\n"
            f"  {yaml_scalar(entry.id)}: {{{fields}}}"
        )
    return "".join(parts) + "\n"


def _new_text(existing: _Existing, plan: ImportPlan) -> str:
    """The whole new recipients.yaml: the file's own text, then the new entries."""
    text = existing.text or ""
    if existing.root is None:  # no file, or only comments
        text = text if not text or text.endswith("\n") else text + "\n"
        return text + _block_entries(plan).removeprefix("\n" if not text else "")
    end = _flow_end(text)
    if end is None:
        return (text if text.endswith("\n") else text + "\n") + _block_entries(plan)
    return text[:end] + _flow_entries(plan, first=not existing.root.entries) + text[end:]


def _flow_end(text: str) -> int | None:
    """Where the closing } of a file written as one {...} mapping is; None for a block one."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.BaseLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if depth == 0 and not event.flow_style:
                return None
            depth += 1
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1
            if depth == 0:
                return event.start_mark.index if event.start_mark else None
    return None


def _meant(value: str | list[str], line: int) -> Node:
    if isinstance(value, str):
        return Scalar(value, line)
    return Seq(tuple(Scalar(item, line) for item in value), line)


def _reads_back(existing: _Existing, plan: ImportPlan, text: str) -> str | None:
    """Why ``text`` does not read back as the file's entries plus the plan's, or None."""
    problems: list[Problem] = []
    node = parse_yaml(text, RECIPIENTS_FILE, problems)
    if problems or not isinstance(node, Map):
        return str(problems[0]) if problems else "it is not a mapping of recipients"
    before = existing.root.entries if existing.root else {}
    if list(node.entries) != [*before, *(entry.id for entry in plan.added)]:
        return "the ids read back differ"
    if any(node.entries[rid] != entry for rid, entry in before.items()):
        return "an entry already in the file reads differently"
    for entry in plan.added:
        got = node.get(entry.id)
        fields = got.entries if isinstance(got, Map) else {}
        read = {key: _plain(value) for key, (_, value) in fields.items()}
        if read != entry.fields:
            return f"'{entry.id}' reads back as {read}, not {entry.fields}"
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
            f"{RECIPIENTS_FILE}: the new entries would not read back as imported ({reason}); "
            "nothing was written. Add them by hand, or report this as a bug"
        )
    try:
        return atomic_write(path, text)
    except OSError as err:
        raise LettersmithError(f"{path}: cannot be written: {err.strerror}") from None


# --------------------------------------------------------------------------- export


def neutralised(cell: str) -> str:
    """``cell`` with a ' before it when a spreadsheet would run it as a formula (or when it
    already starts with the ' an import takes away)."""
    if cell.startswith(FORMULA_START) or (cell[:1] == "'" and cell[1:].startswith(FORMULA_START)):
        return "'" + cell
    return cell


def unneutralised(cell: str) -> str:
    """A cell as it was before :func:`neutralised`."""
    return cell[1:] if cell[:1] == "'" and cell[1:].startswith(FORMULA_START) else cell


def _export_cell(value: object, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):  # an address's lines, one cell; tags as people type them
        return ("\n" if kind == "lines" else ", ").join(str(item) for item in value)
    return str(value)


def export_rows(ws: Workspace) -> Iterator[list[str]]:
    """The header and one row per recipient, every cell safe from formula injection."""
    yield list(EXPORT_COLUMNS)
    for recipient in ws.recipients.values():
        yield [
            neutralised(_export_cell(getattr(recipient, name), KINDS[name]))
            for name in EXPORT_COLUMNS
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
        data = _xlsx(rows)
    else:
        raise LettersmithError(f"{path}: write to a .csv or .xlsx file")
    try:
        atomic_write(path, data)
    except OSError as err:
        raise LettersmithError(f"{path}: cannot be written: {err.strerror}") from None
    return len(rows) - 1


def _xlsx(rows: list[list[str]]) -> bytes:
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "recipients"
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value:
                cell = sheet.cell(row=number, column=column, value=value)
                cell.data_type = "s"  # text, never a formula, whatever it starts with
                if number == 1:
                    cell.font = Font(bold=True)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
