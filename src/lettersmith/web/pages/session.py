"""Getting in and choosing a language: the session's own pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.web.rules import ANY_SESSION, ruled
from lettersmith.web.security import language_choice, session_of


async def choose_language(request: Request) -> Response:
    """Keep the language the person chose in their session; back to the page they were on."""
    form = await request.form()
    chosen = language_choice(str(form.get("language", "")))
    if chosen is not None:
        session_of(request).language = chosen
    back = str(form.get("next", "/"))
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = "/"
    return RedirectResponse(back, status_code=303)


routes = [ruled("/language", choose_language, ANY_SESSION, "POST")]
