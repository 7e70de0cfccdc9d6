"""``/offices``: the built-in register of offices, searched (``search_offices``); and the
choices a letter's form adds offices from (``/offices/choices``, asked by htmx)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lettersmith.app.access import Action
from lettersmith.app.project import search_offices
from lettersmith.errors import LettersmithError
from lettersmith.load.offices import Office, register
from lettersmith.web.rules import needs, ruled
from lettersmith.web.templating import render

MAX_QUERY = 100


def _query(request: Request) -> str:
    return request.query_params.get("q", "").strip()[:MAX_QUERY]


def _found(query: str) -> tuple[tuple[Office, ...], str | None, str]:
    """The offices matching ``query``, the register's oldest check, and the engine's words
    when none matches."""
    try:
        result = search_offices(query or None)
    except LettersmithError as error:
        return (), None, str(error)
    oldest = result.oldest_verification.isoformat() if result.oldest_verification else None
    return result.found, oldest, ""


def offices(request: Request) -> Response:
    query = _query(request)
    found, oldest, problem = _found(query)
    return render(
        request, "offices.html", query=query, found=found, oldest=oldest,
        problems=[problem] if problem else [],
    )  # fmt: skip


def choices(request: Request) -> Response:
    """Checkboxes for a letter's form: the offices already ticked, then the matches."""
    query = _query(request)
    known = register()
    ticked = [known[name] for name in request.query_params.getlist("office") if name in known]
    found = _found(query)[0] if query else ()
    return render(
        request, "_office_choices.html", query=query, chosen_offices=ticked,
        found_offices=[office for office in found if office not in ticked][:30],
    )  # fmt: skip


routes = [
    ruled("/offices", offices, needs(Action.SEE)),
    ruled("/offices/choices", choices, needs(Action.SEE)),
]
