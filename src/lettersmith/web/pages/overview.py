"""``/``: every letter (and each club's version) with its state, and what can be done next."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lettersmith.web.state import project_of
from lettersmith.web.templating import render


def overview(request: Request) -> Response:
    ws = project_of(request).workspace()
    return render(request, "overview.html", letters=sorted(ws.letters), clubs=sorted(ws.clubs))


routes = [Route("/", overview)]
