"""What a page finds on the app (set by ``create_app``): the project, the background jobs, the
lock of out/."""

from __future__ import annotations

import threading

from starlette.requests import Request

from lettersmith.app.project import Project
from lettersmith.web.jobs import Jobs


def project_of(request: Request) -> Project:
    project = request.app.state.project
    assert isinstance(project, Project)
    return project


def writing_of(request: Request) -> threading.Lock:
    """The lock around work that writes into out/ (a build, a review page): the server's
    threads take turns, as two commands would not run at once in one folder."""
    lock = request.app.state.writing
    assert isinstance(lock, type(threading.Lock()))
    return lock


def jobs_of(request: Request) -> Jobs:
    jobs = request.app.state.jobs
    assert isinstance(jobs, Jobs)
    return jobs
