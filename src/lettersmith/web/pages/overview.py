"""``/``: every letter (and each club's version) with its state, and what can be done next."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lettersmith.web.state import project_of
from lettersmith.web.templating import render


def overview(request: Request) -> Response:
    """Project.overview: made? approved? sent to how many? A problem in the workspace's files
    is the problem page (the engine's words)."""
    return render(request, "overview.html", states=project_of(request).overview(), problems=[])


routes = [Route("/", overview)]
