"""What a page finds on the app: the project, the background jobs (set by ``create_app``)."""

from __future__ import annotations

from starlette.requests import Request

from lettersmith.app.project import Project
from lettersmith.web.jobs import Jobs


def project_of(request: Request) -> Project:
    project = request.app.state.project
    assert isinstance(project, Project)
    return project


def jobs_of(request: Request) -> Jobs:
    jobs = request.app.state.jobs
    assert isinstance(jobs, Jobs)
    return jobs
