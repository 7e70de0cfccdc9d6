"""``/positions``: the adopted statements; ``/positions/<id>``: one edited, its letter's pages
drawn beside it as it is typed (``Project.preview_draft``, asked by htmx half a second after
the last key), saved with "Lagre" (``Project.save_position``)."""

from __future__ import annotations

import base64
from types import SimpleNamespace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.access import Action
from lettersmith.app.draft import DraftPreview
from lettersmith.app.sources import POSITION_FIELDS, position_text, split_position
from lettersmith.errors import LettersmithError, WorkspaceError
from lettersmith.load.yamlfile import is_id
from lettersmith.web.editing import Answer, attempt, checked, expected, sort_problems, text_of
from lettersmith.web.rules import needs, ruled
from lettersmith.web.state import project_of
from lettersmith.web.templating import render

FORM_FIELDS = (*POSITION_FIELDS, "body")


def positions(request: Request) -> Response:
    return _list(request, Answer(), {})


def _list(
    request: Request, answer: Answer, new: dict[str, str], status_code: int = 200
) -> Response:
    """The positions; when the workspace has problems, its files by name (each can be opened
    and fixed) and the problems above them."""
    project = project_of(request)
    try:
        ws = project.workspace()
        shown: list[Any] = sorted(ws.positions.values(), key=lambda p: p.id)
        letters, problems = dict(ws.letters), []
    except LettersmithError as error:
        folder = project.root / "positions"
        ids = sorted(p.stem for p in folder.glob("*.md") if is_id(p.stem))
        shown = [SimpleNamespace(id=i, title=i, adopted_by="", adopted_on=None) for i in ids]
        letters, problems = {}, str(error).splitlines()
    return render(
        request, "positions.html", status_code=status_code, positions=shown, letters=letters,
        answer=answer, new=new, problems=problems,
    )  # fmt: skip


async def create(request: Request) -> Response:
    """A new position from the form on /positions (its id typed by the person)."""
    form = await request.form()
    item = text_of(form, "id", 100).strip()
    values = {name: text_of(form, name, 1000).strip() for name in POSITION_FIELDS}
    body = text_of(form, "body")
    project = project_of(request)
    saved, answer = await run_in_threadpool(
        attempt, ("id", *FORM_FIELDS),
        lambda: project.save_position(item, values, body, expected_version=None),
    )  # fmt: skip
    if saved is not None:
        return RedirectResponse(f"/positions/{checked(item)}", status_code=303)
    return _list(request, answer, {**values, "id": item, "body": body}, status_code=400)


def position(request: Request) -> Response:
    item = request.path_params["position"]
    project = project_of(request)
    source = project.read_source("position", item)
    if not source.exists:
        return render(request, "not_found.html", status_code=404)
    split = split_position(source.text)
    answer = sort_problems(project.file_problems("position", item), FORM_FIELDS)
    return _page(request, item, split.fields, split.body, source.version, answer)


async def save(request: Request) -> Response:
    item = request.path_params["position"]
    form = await request.form()
    values = {name: text_of(form, name, 1000).strip() for name in POSITION_FIELDS}
    body = text_of(form, "body")
    version = expected(form) or ""
    project = project_of(request)
    saved, answer = await run_in_threadpool(
        attempt, FORM_FIELDS,
        lambda: project.save_position(item, values, body, expected_version=version),
    )  # fmt: skip
    if saved is not None:
        return RedirectResponse(f"/positions/{item}?saved=1", status_code=303)
    if answer.conflict is not None:
        version = answer.conflict.current  # "keep mine" saves over the version now on disk
    return _page(request, item, values, body, version, answer, status_code=400)


def _page(
    request: Request,
    item: str,
    values: dict[str, str],
    body: str,
    version: str,
    answer: Answer,
    status_code: int = 200,
) -> Response:
    return render(
        request, "position.html", status_code=status_code, item=item,
        values={name: values.get(name, "") for name in POSITION_FIELDS}, body=body,
        version=version, answer=answer, saved=request.query_params.get("saved") == "1",
        letters=[s.id for s in _letters_using(request, item)],
    )  # fmt: skip


def _letters_using(request: Request, item: str) -> list[Any]:
    try:
        ws = project_of(request).workspace()
    except LettersmithError:
        return []
    return [spec for spec in ws.letters.values() if spec.position == item]


async def preview(request: Request) -> Response:
    """The pages of a letter with the form's unsaved text (htmx swaps them in)."""
    item = request.path_params["position"]
    form = await request.form()
    values = {name: text_of(form, name, 1000).strip() for name in POSITION_FIELDS}
    body = text_of(form, "body")
    project = project_of(request)
    source = await run_in_threadpool(project.read_source, "position", item)
    try:
        text = position_text(source, values, body)
        shown: DraftPreview | None = await run_in_threadpool(project.preview_draft, item, text)
        problems: list[str] = []
    except WorkspaceError as error:
        shown, problems = None, [str(p) for p in error.problems]
    except LettersmithError as error:
        shown, problems = None, str(error).splitlines()
    pages = [base64.b64encode(png).decode("ascii") for png in shown.pages] if shown else []
    return render(request, "_preview.html", shown=shown, pages=pages, problems=problems)


routes = [
    ruled("/positions", positions, needs(Action.SEE)),
    ruled("/positions", create, needs(Action.EDIT), "POST"),
    ruled("/positions/{position:id}", position, needs(Action.SEE)),
    ruled("/positions/{position:id}", save, needs(Action.EDIT), "POST"),
    ruled("/positions/{position:id}/preview", preview, needs(Action.EDIT), "POST"),
]
