"""Spreadsheet files, .csv and .xlsx, read and written as untrusted data.

An .xlsx is a zip archive that may unpack to gigabytes or be damaged in any way: its declared
sizes are checked before openpyxl opens it, reading has a time limit, and anything broken is
one message naming the file. No cell written is one a spreadsheet program would run as a
formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from lettersmith.atomic import atomic_write
from lettersmith.errors import LettersmithError
from lettersmith.translate import _

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
# injection"); an export writes it after a ' and an import takes that ' away again. The
# full-width forms too (＝ ＋ － ＠): Excel in East Asian settings may read them as the
# operators, and a ' before such a rare name costs nothing.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

Rows = list[tuple[int, list[str]]]


def read_table(path: Path) -> tuple[list[str], Rows]:
    """The header and the rows (with their row numbers) of a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return _read_xlsx(path)
        if suffix in (".csv", ".txt"):
            return _read_csv(path)
    except OSError as err:
        raise LettersmithError(
            _("{path}: cannot be read: {strerror}").format(path=path, strerror=err.strerror)
        ) from None
    raise LettersmithError(
        _("{path}: not a spreadsheet lettersmith reads; save it as .csv or .xlsx").format(path=path)
    )


def unreadable(path: Path, reason: str) -> LettersmithError:
    reason = " ".join(reason.split())[:300]  # one line, whatever a library said
    return LettersmithError(
        _("{path}: cannot read this spreadsheet: {reason}; save it again as .xlsx or .csv").format(
            path=path, reason=reason
        )
    )


def decode(data: bytes) -> str:
    """Text as Excel may have saved it: UTF-8 with or without a BOM, UTF-16 with its BOM
    ("Unicode text", tab-separated), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read as the bytes say below
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> tuple[list[str], Rows]:
    if path.stat().st_size > MAX_CSV:
        raise unreadable(path, _("it is larger than {number} MB").format(number=MAX_CSV // 2**20))
    text = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _rows(path, reader, time.monotonic() + MAX_SECONDS)
    except csv.Error as err:
        raise LettersmithError(
            _("{path}:{line_num}: cannot be read as CSV: {err}").format(
                path=path, line_num=reader.line_num, err=err
            )
        ) from None


def _rows(path: Path, lines: Iterable[Sequence[object]], deadline: float) -> tuple[list[str], Rows]:
    """The header and the non-empty rows, numbered as a spreadsheet shows them."""
    header: list[str] | None = None
    rows: Rows = []
    for number, values in enumerate(lines, start=1):
        if time.monotonic() > deadline:
            raise unreadable(
                path,
                _("reading it took longer than {seconds:.0f} seconds").format(seconds=MAX_SECONDS),
            )
        cells = [_cell(value) for value in values]
        while cells and not cells[-1]:  # an .xlsx row comes padded to the widest one read
            cells.pop()
        if len(cells) > MAX_COLUMNS:
            raise unreadable(
                path,
                _("row {number} has more than {columns} columns").format(
                    number=number, columns=MAX_COLUMNS
                ),
            )
        if header is None:
            header = cells
        elif any(cells):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                raise LettersmithError(
                    _("{path}: more than {rows} rows; split the file").format(
                        path=path, rows=MAX_ROWS
                    )
                )
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
        raise unreadable(
            path,
            _("the archive holds more than {members} parts").format(members=MAX_MEMBERS),
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNPACKED:
        raise unreadable(
            path,
            _("it unpacks to more than {limit} MB ({size} MB)").format(
                limit=MAX_UNPACKED // 2**20, size=total // 2**20
            ),
        )
    for member in members:
        if member.file_size > 2**20 and member.file_size > MAX_RATIO * member.compress_size:
            raise unreadable(
                path,
                _(
                    "it unpacks to more than {ratio} times its size ({filename}), as a "
                    "zip bomb does"
                ).format(ratio=MAX_RATIO, filename=member.filename),
            )


def _why(err: Exception) -> str:
    """A damaged workbook's fault in words."""
    if isinstance(err, zipfile.BadZipFile):
        return _("it is not a whole .xlsx file ({err})").format(err=err)
    if isinstance(err, KeyError):
        return _("a part of the workbook is missing ({args})").format(
            args=err.args[0] if err.args else err
        )
    return _("the workbook is damaged ({kind}: {err})").format(kind=type(err).__name__, err=err)


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


def neutralised(cell: str) -> str:
    """``cell`` with a ' before it when a spreadsheet would run it as a formula (or when it
    already starts with the ' an import takes away)."""
    if cell.startswith(FORMULA_START) or (cell[:1] == "'" and cell[1:].startswith(FORMULA_START)):
        return "'" + cell
    return cell


def unneutralised(cell: str) -> str:
    """A cell as it was before :func:`neutralised`."""
    return cell[1:] if cell[:1] == "'" and cell[1:].startswith(FORMULA_START) else cell


def write_table(path: Path, rows: Sequence[Sequence[str]]) -> None:
    """``rows`` (the header first) as .csv (UTF-8 with BOM and ';', as Excel opens it in
    Norway) or .xlsx; every cell neutralised."""
    rows = [[neutralised(cell) for cell in row] for row in rows]
    suffix = path.suffix.lower()
    if suffix == ".csv":
        buffer = io.StringIO(newline="")
        csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
        data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    elif suffix == ".xlsx":
        data = _xlsx(rows)
    else:
        raise LettersmithError(_("{path}: write to a .csv or .xlsx file").format(path=path))
    try:
        atomic_write(path, data)
    except OSError as err:
        raise LettersmithError(
            _("{path}: cannot be written: {strerror}").format(path=path, strerror=err.strerror)
        ) from None


def _xlsx(rows: Sequence[Sequence[str]]) -> bytes:
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
