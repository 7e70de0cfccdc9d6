"""``/letters``: make a new letter; ``/letters/<id>``: a letter's file as a form.

The form names the position, the recipients (the register's entries and tags as checkboxes,
built-in offices found by a search and added to the register as they are chosen), mode,
date, place, signatory, subject, cover note and attachments (uploaded into assets/). Saving
is ``Project.save_letter``: the file's comments stay, and a change on disk meanwhile is shown
rather than overwritten.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.access import Action
from lettersmith.app.project import Project
from lettersmith.app.sources import yaml_fields
from lettersmith.errors import LettersmithError
from lettersmith.load.entries import LETTER_FIELDS, TAG_PREFIX
from lettersmith.load.offices import register as office_register
from lettersmith.model import Workspace
from lettersmith.web.editing import (
    Answer,
    attempt,
    checked,
    expected,
    list_of,
    sort_problems,
    text_of,
)
from lettersmith.web.rules import QUERY, needs, ruled
from lettersmith.web.state import project_of
from lettersmith.web.templating import render
from lettersmith.web.trail import page_entries

# The letter's fields the form shows as text, in the file's order ("Vår ref.", reference, when
# the engine knows it).
TEXT_FIELDS = tuple(name for name in LETTER_FIELDS if name not in ("to", "attachments"))
SHOWN_FIELDS = (*LETTER_FIELDS, "office", "upload")


def new_letter(request: Request) -> Response:
    return render(request, "letters_new.html", item="", problems=[])


async def start(request: Request) -> Response:
    """The id typed for a new letter: its (empty) form, or why not."""
    form = await request.form()
    item = text_of(form, "id", 100).strip()
    project = project_of(request)
    try:
        source = await run_in_threadpool(project.read_source, "letter", item)
    except LettersmithError as error:
        return render(request, "letters_new.html", 400, item=item, problems=[str(error)])
    if source.exists:
        return RedirectResponse(f"/letters/{checked(item)}", status_code=303)
    return RedirectResponse(f"/letters/{checked(item)}?new=1", status_code=303)


def letter(request: Request) -> Response:
    """The letter's file as a form (read only for an account that may not edit it), and its
    audit trail; with ``?club=``, the trail of that club's version."""
    item = request.path_params["letter"]
    club = _club(request)
    project = project_of(request)
    source = project.read_source("letter", item)
    if not source.exists and request.query_params.get("new") != "1":
        return render(request, "not_found.html", status_code=404)
    values = yaml_fields(source.text)
    answer = sort_problems(project.file_problems("letter", item), SHOWN_FIELDS)
    return _page(request, item, values, source.version, answer, saved=_saved(request), club=club)


def _club(request: Request) -> str | None:
    """The ``?club=`` of a letter's page: an id of a club in the workspace, else 404."""
    club = request.query_params.get("club") or None
    if club is not None and club not in project_of(request).workspace(club).clubs:
        raise HTTPException(404)
    return club


def audit_export(request: Request) -> Response:
    """The letter's audit trail (``?club=``: the club's version's) as a CSV file."""
    item = request.path_params["letter"]
    club = _club(request)
    project = project_of(request)
    if not project.read_source("letter", item).exists:
        raise HTTPException(404)
    text = io.StringIO()
    project.export_audit(text, letter=item, club=club, format="csv")
    name = f"endringer-{item}" + (f"-{club}" if club else "") + ".csv"
    return Response(
        text.getvalue().encode("utf-8-sig"),  # the BOM: Excel then reads æ, ø, å right
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _saved(request: Request) -> bool:
    return request.query_params.get("saved") == "1"


async def save(request: Request) -> Response:
    item = request.path_params["letter"]
    project = project_of(request)
    form = await request.form()
    version = expected(form)
    values: dict[str, Any] = {name: text_of(form, name).strip() for name in TEXT_FIELDS}
    values["to"] = list_of(form, "to")
    values["attachments"] = list_of(form, "attachments")
    answer = Answer()
    for upload in form.getlist("upload"):
        if isinstance(upload, UploadFile) and upload.filename:
            call = functools.partial(project.save_attachment, upload.filename, await upload.read())
            kept, problem = await run_in_threadpool(attempt, (), call)
            if kept:
                values["attachments"].append(kept)
            answer.fields.setdefault("upload", []).extend(problem.general)
    offices = list_of(form, "office")
    if offices:
        chosen, problem = await run_in_threadpool(
            attempt, (), lambda: _add_offices(project, offices)
        )
        values["to"] += [name for name in chosen or () if name not in values["to"]]
        answer.fields.setdefault("to", []).extend(problem.general)
    answer.fields = {name: lines for name, lines in answer.fields.items() if lines}
    if not answer.failed:
        saved, answer = await run_in_threadpool(
            attempt, SHOWN_FIELDS,
            lambda: project.save_letter(item, values, expected_version=version),
        )  # fmt: skip
        if saved is not None:
            return RedirectResponse(f"/letters/{item}?saved=1", status_code=303)
        if answer.conflict is not None:
            version = answer.conflict.current
    return _page(request, item, values, version or "", answer, status_code=400)


def _add_offices(project: Project, offices: list[str]) -> list[str]:
    register = project.read_source("recipients")
    return project.add_offices(offices, expected_version=register.version)[0]


def _page(
    request: Request,
    item: str,
    values: dict[str, Any],
    version: str,
    answer: Answer,
    *,
    status_code: int = 200,
    saved: bool = False,
    club: str | None = None,
) -> Response:
    try:
        ws: Workspace | None = project_of(request).workspace()
    except LettersmithError:  # the problems are shown; the form still holds the file's values
        ws = None
    to = values.get("to") or []
    to = [to] if isinstance(to, str) else [str(name) for name in to]
    attachments = values.get("attachments") or []
    attachments = [attachments] if isinstance(attachments, str) else attachments
    recipients = list(ws.recipients.values()) if ws else []
    tags = sorted({tag for r in recipients for tag in r.tags})
    known = {*(r.id for r in recipients), *(TAG_PREFIX + tag for tag in tags)}
    named_offices = {r.office for r in recipients if r.office}
    entries = project_of(request).audit(item, club=club) if version else ()
    everything = request.query_params.get("changes") == "all"
    return render(
        request, "letter.html", status_code=status_code, item=item, version=version,
        values={name: str(values.get(name) or "") for name in TEXT_FIELDS}, to=to,
        other_to=[name for name in to if name not in known], attachments=attachments,
        recipients=recipients, tags=tags, positions=ws.positions if ws else {},
        signatories=ws.signatories if ws else {}, answer=answer, saved=saved,
        exists=bool(version),
        # Without JavaScript the search cannot narrow them: every office not yet in the register.
        unused_offices=[o for o in office_register().values() if o.id not in named_offices],
        target_club=club, audit_query=f"?club={club}" if club else "",
        changes=page_entries(entries, everything), changes_total=len(entries),
    )  # fmt: skip


routes = [
    ruled("/letters", new_letter, needs(Action.EDIT)),
    ruled("/letters", start, needs(Action.EDIT), "POST"),
    ruled("/letters/{letter:id}", letter, needs(Action.SEE, club=QUERY)),
    ruled("/letters/{letter:id}", save, needs(Action.EDIT), "POST"),
    ruled("/letters/{letter:id}/audit.csv", audit_export, needs(Action.SEE, club=QUERY)),
]
