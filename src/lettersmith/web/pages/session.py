"""Choosing a language: the session's own page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.web.rules import ANY_SESSION, ruled
from lettersmith.web.security import language_choice, local_path, session_of
from lettersmith.web.state import sessions_of


async def choose_language(request: Request) -> Response:
    """Keep the language the person chose in their session; back to the page they were on."""
    form = await request.form()
    chosen = language_choice(str(form.get("language", "")))
    if chosen is not None:
        sessions_of(request).choose_language(session_of(request), chosen)
    return RedirectResponse(local_path(str(form.get("next", "/"))), status_code=303)


routes = [ruled("/language", choose_language, ANY_SESSION, "POST")]
