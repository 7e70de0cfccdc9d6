"""What a page finds on the app (set by ``create_app``): the project, the background jobs, the
reviews made, the lock of out/."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

from starlette.requests import Request

from lettersmith.app.project import Project

if TYPE_CHECKING:  # they use project_of themselves
    from lettersmith.web.jobs import Jobs
    from lettersmith.web.reviews import Reviews


def project_of(request: Request) -> Project:
    """The project as the request's account uses it: every verb checked against its role."""
    project = request.app.state.project
    assert isinstance(project, Project)
    session = request.scope.get("lettersmith.session")
    return project.acting_as(getattr(session, "account", None))


def jobs_of(request: Request) -> Jobs:
    return cast("Jobs", request.app.state.jobs)


def reviews_of(request: Request) -> Reviews:
    return cast("Reviews", request.app.state.reviews)


def writing_of(request: Request) -> threading.Lock:
    """The lock around work that writes into out/ (a build, a review page): the server's
    threads take turns, as two commands would not run at once in one folder."""
    return cast(threading.Lock, request.app.state.writing)
