"""``/recipients``: the register, its entries added, changed and removed; a spreadsheet imported
by upload (a dry run first, every row and its problems on the page, then "Importer"); the
register exported as .xlsx or .csv.

Each change is ``Project.save_recipient``/``remove_recipient`` (comments kept, a change on
disk meanwhile shown, nothing saved that ``check`` would refuse); the import is the command's
own (``Project.plan_import``/``import_recipients``) on the uploaded file, kept privately
between the dry run and the import (``Project.receive_spreadsheet``).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.access import Action
from lettersmith.app.sources import yaml_fields
from lettersmith.app.uploads import Upload
from lettersmith.errors import LettersmithError, WorkspaceError
from lettersmith.load.entries import RECIPIENT_FIELDS
from lettersmith.load.fields import COLUMN_FIELDS
from lettersmith.translate import _
from lettersmith.web.editing import Answer, attempt, checked, expected, sort_problems, text_of
from lettersmith.web.rules import needs, ruled
from lettersmith.web.state import project_of
from lettersmith.web.templating import render

LIST_FIELDS = ("address", "tags")
EXPORTS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}  # fmt: skip


def recipients(request: Request) -> Response:
    return _list(request, Answer(), {})


def _list(
    request: Request, answer: Answer, new: dict[str, str], status_code: int = 200, **more: Any
) -> Response:
    project = project_of(request)
    source = project.read_source("recipients")
    try:
        shown = list(project.workspace().recipients.values())
        problems: list[str] = []
    except LettersmithError as error:
        shown, problems = [], str(error).splitlines()
    imported = request.query_params.get("imported", "")
    context = {
        "plan": None, "upload": None, "import_problems": [], "notes": [],
        "imported": imported if imported.isdigit() else None,
        "removed": request.query_params.get("removed") == "1", "columns": "",
        "column_fields": COLUMN_FIELDS, **more,
    }  # fmt: skip
    return render(
        request, "recipients.html", status_code=status_code, recipients=shown,
        version=source.version, answer=answer, new=new, fields=RECIPIENT_FIELDS,
        problems=problems, **context,
    )  # fmt: skip


def _values(form: Any) -> dict[str, Any]:
    """The entry's fields as the form gives them: a list per line (address) or per comma
    (tags); an empty field is taken out of the entry."""
    values: dict[str, Any] = {}
    for name in RECIPIENT_FIELDS:
        text = text_of(form, name, 5000).strip()
        if name == "address":
            values[name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif name == "tags":
            values[name] = [tag for tag in re.split(r"[,\s]+", text) if tag]
        else:
            values[name] = text
    return values


async def add(request: Request) -> Response:
    form = await request.form()
    item = text_of(form, "id", 100).strip()
    values = _values(form)
    project = project_of(request)
    saved, answer = await run_in_threadpool(
        attempt, ("id", *RECIPIENT_FIELDS),
        lambda: project.save_recipient(
            item, values, expected_version=expected(form) or "", new=True
        ),
        prefix=f"{item}.",
    )  # fmt: skip
    if saved is not None:
        return RedirectResponse(f"/recipients/{checked(item)}?saved=1", status_code=303)
    shown = {name: _text(value) for name, value in values.items()}
    return _list(request, answer, {**shown, "id": item}, status_code=400)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def recipient(request: Request) -> Response:
    item = request.path_params["recipient"]
    project = project_of(request)
    source = project.read_source("recipients")
    entry = yaml_fields(source.text).get(item)
    if not isinstance(entry, dict):
        return render(request, "not_found.html", status_code=404)
    problems = project.file_problems("recipients")
    answer = sort_problems(
        [p for p in problems if p.message.startswith((f"{item}.", f"{item}:"))], RECIPIENT_FIELDS,
        prefix=f"{item}.",
    )  # fmt: skip
    return _entry(request, item, entry, source.version, answer)


def _entry(
    request: Request,
    item: str,
    entry: dict[str, Any],
    version: str,
    answer: Answer,
    status_code: int = 200,
) -> Response:
    values = {}
    for name in RECIPIENT_FIELDS:
        value = entry.get(name)
        if isinstance(value, list):
            value = ("\n" if name == "address" else ", ").join(str(v) for v in value)
        values[name] = "" if value is None else str(value)
    return render(
        request, "recipient.html", status_code=status_code, item=item, values=values,
        version=version, answer=answer, saved=request.query_params.get("saved") == "1",
    )  # fmt: skip


async def save(request: Request) -> Response:
    item = request.path_params["recipient"]
    form = await request.form()
    project = project_of(request)
    values = _values(form)
    version = expected(form) or ""
    if form.get("remove") == "1":
        removed, answer = await run_in_threadpool(
            attempt, RECIPIENT_FIELDS,
            lambda: project.remove_recipient(item, expected_version=version),
        )  # fmt: skip
        if removed is not None:
            return RedirectResponse("/recipients?removed=1", status_code=303)
    else:
        saved, answer = await run_in_threadpool(
            attempt, RECIPIENT_FIELDS,
            lambda: project.save_recipient(item, values, expected_version=version),
            prefix=f"{item}.",
        )  # fmt: skip
        if saved is not None:
            return RedirectResponse(f"/recipients/{item}?saved=1", status_code=303)
    if answer.conflict is not None:
        version = answer.conflict.current
    shown = {name: values[name] for name in RECIPIENT_FIELDS}
    return _entry(request, item, shown, version, answer, status_code=400)


# --------------------------------------------------------------------------- import, export


async def import_dry_run(request: Request) -> Response:
    """Keep the uploaded spreadsheet and show what importing it would add, row by row; or
    every row's problems. Nothing is written."""
    form = await request.form()
    upload = form.get("spreadsheet")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _list(request, Answer(), {}, 400, import_problems=[_no_file()])
    data = await upload.read()
    project = project_of(request)
    try:
        kept = await run_in_threadpool(project.receive_spreadsheet, str(upload.filename), data)
    except LettersmithError as error:
        return _list(request, Answer(), {}, 400, import_problems=[(None, str(error))])
    try:
        plan = await run_in_threadpool(project.plan_import, kept.path, _mapping(form))
    except LettersmithError as error:
        return _list(request, Answer(), {}, 400, import_problems=_rows(error, kept), upload=kept)
    notes = [kept.shown(note) for note in plan.skipped]
    columns = "\n".join(_mapping(form))
    return _list(request, Answer(), {}, plan=plan, upload=kept, notes=notes, columns=columns)


def _mapping(form: Any) -> list[str]:
    """The columns the person named (``COLUMN=FIELD``, one a line), as the command's --map."""
    return [line.strip() for line in text_of(form, "columns", 5000).splitlines() if line.strip()]


def _rows(error: LettersmithError, kept: Upload) -> list[tuple[int | None, str]]:
    """The import's problems row by row, naming the file the person sent (not where it is
    kept)."""
    if isinstance(error, WorkspaceError):
        return [(p.line, kept.shown(p.message)) for p in error.problems]
    return [(None, kept.shown(line)) for line in str(error).splitlines()]


def _no_file() -> tuple[None, str]:
    return None, _("Choose a spreadsheet (.xlsx or .csv) to import.")


async def import_confirmed(request: Request) -> Response:
    """Import the spreadsheet the dry run showed ("Importer")."""
    form = await request.form()
    project = project_of(request)
    try:
        kept = await run_in_threadpool(project.uploaded_spreadsheet, text_of(form, "upload", 64))
    except LettersmithError as error:
        return _list(request, Answer(), {}, 400, import_problems=[(None, str(error))])
    try:
        plan = await run_in_threadpool(project.import_recipients, kept.path, _mapping(form))
    except LettersmithError as error:
        return _list(request, Answer(), {}, 400, import_problems=_rows(error, kept))
    return RedirectResponse(f"/recipients?imported={len(plan.added)}", status_code=303)


def export(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in EXPORTS:
        raise HTTPException(404)
    with tempfile.TemporaryDirectory(prefix="lettersmith-export-") as folder:
        path = Path(folder) / f"mottakere.{kind}"
        project_of(request).export_recipients(path)
        data = path.read_bytes()
    return Response(
        data,
        media_type=EXPORTS[kind],
        headers={"content-disposition": f'attachment; filename="mottakere.{kind}"'},
    )


routes = [
    ruled("/recipients", recipients, needs(Action.SEE_REGISTER)),
    ruled("/recipients", add, needs(Action.EDIT), "POST"),
    ruled("/recipients/-/import", import_dry_run, needs(Action.EDIT), "POST"),
    ruled("/recipients/-/import/confirm", import_confirmed, needs(Action.EDIT), "POST"),
    ruled("/recipients/export.{kind:str}", export, needs(Action.SEE_REGISTER)),
    ruled("/recipients/{recipient:id}", recipient, needs(Action.SEE_REGISTER)),
    ruled("/recipients/{recipient:id}", save, needs(Action.EDIT), "POST"),
]
