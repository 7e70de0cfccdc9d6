"""``/``: every letter (and each club's version) with its state, and what can be done next."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from lettersmith.app.access import Action
from lettersmith.app.events import Event, Warning
from lettersmith.web.rules import needs, ruled
from lettersmith.web.state import project_of
from lettersmith.web.templating import render


def overview(request: Request) -> Response:
    """Project.overview: made? approved? sent to how many? A problem in the workspace's files
    is the problem page (the engine's words); a warning (a club left out) is shown above."""
    warnings: list[str] = []

    def listen(event: Event) -> None:
        if isinstance(event, Warning):
            warnings.append(event.text)

    states = project_of(request).overview(on_event=listen)
    return render(request, "overview.html", states=states, problems=warnings)


routes = [ruled("/", overview, needs(Action.SEE))]
