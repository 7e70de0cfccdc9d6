"""``/clubs``: the local clubs; ``/clubs/<id>``: a club's file as a form (its name, place,
language, signatories and the paragraphs it appends to the letters it sends), saved with
``Project.save_club``: the engine checks it as ``check`` does, the file's comments stay."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.access import Action
from lettersmith.app.sources import CLUB_FIELDS, yaml_fields
from lettersmith.errors import LettersmithError
from lettersmith.web.editing import (
    Answer,
    attempt,
    checked,
    expected,
    list_of,
    sort_problems,
    text_of,
)
from lettersmith.web.rules import PATH, needs, ruled
from lettersmith.web.state import project_of
from lettersmith.web.templating import render

TOP_FIELDS = ("name", "place", "language")


def clubs(request: Request) -> Response:
    folder = project_of(request).root / "clubs"
    names = sorted(path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else []
    try:
        loaded = project_of(request).workspace().clubs
        problems: list[str] = []
    except LettersmithError as error:
        loaded, problems = {}, str(error).splitlines()
    return render(request, "clubs.html", names=names, clubs=loaded, problems=problems)


def club(request: Request) -> Response:
    item = request.path_params["club"]
    project = project_of(request)
    source = project.read_source("club", item)
    if not source.exists:
        return render(request, "not_found.html", status_code=404)
    answer = sort_problems(project.file_problems("club", item), CLUB_FIELDS)
    return _page(request, item, yaml_fields(source.text), source.version, answer)


def _page(
    request: Request,
    item: str,
    fields: dict[str, Any],
    version: str,
    answer: Answer,
    status_code: int = 200,
) -> Response:
    signatories = fields.get("signatories")
    letters = fields.get("letters")
    return render(
        request, "club.html", status_code=status_code, item=item, version=version,
        values={name: str(fields.get(name) or "") for name in TOP_FIELDS},
        signatories=signatories if isinstance(signatories, dict) else {},
        letters=letters if isinstance(letters, dict) else {}, answer=answer,
        saved=request.query_params.get("saved") == "1",
    )  # fmt: skip


def changes(form: FormData) -> dict[str, Any]:
    """The club file's fields as the form gives them: a signatory without a name is taken
    out; a letter's paragraph left empty is taken out of its entry."""
    found: dict[str, Any] = {name: text_of(form, name, 1000).strip() for name in TOP_FIELDS}
    signatories: dict[str, Any] = {}
    for key in list_of(form, "signatory"):
        name = text_of(form, f"signatory-{checked(key)}-name", 1000).strip()
        title = text_of(form, f"signatory-{key}-title", 1000).strip()
        signatories[key] = {"name": name, "title": title} if name else None
    new_key = text_of(form, "new-signatory", 100).strip()
    if new_key:
        signatories[new_key] = {
            "name": text_of(form, "new-signatory-name", 1000).strip(),
            "title": text_of(form, "new-signatory-title", 1000).strip(),
        }
    if signatories:
        found["signatories"] = signatories
    letters = {key: {"append": text_of(form, f"append-{checked(key)}")}
               for key in list_of(form, "letter")}  # fmt: skip
    if letters:
        found["letters"] = letters
    return found


async def save(request: Request) -> Response:
    item = request.path_params["club"]
    form = await request.form()
    version = expected(form) or ""
    found = changes(form)
    project = project_of(request)
    saved, answer = await run_in_threadpool(
        attempt, CLUB_FIELDS, lambda: project.save_club(item, found, expected_version=version)
    )
    if saved is not None:
        return RedirectResponse(f"/clubs/{item}?saved=1", status_code=303)
    if answer.conflict is not None:
        version = answer.conflict.current
    source = await run_in_threadpool(project.read_source, "club", item)
    shown = yaml_fields(source.text)
    shown.update({name: found[name] for name in TOP_FIELDS})
    return _page(request, item, shown, version, answer, status_code=400)


routes = [
    ruled("/clubs", clubs, needs(Action.SEE)),
    ruled("/clubs/{club:id}", club, needs(Action.SEE, club=PATH)),
    ruled("/clubs/{club:id}", save, needs(Action.EDIT_CLUB, club=PATH), "POST"),
]
