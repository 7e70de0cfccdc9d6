"""Sending a letter: first the plan (who gets what, at which address), then, on the person's
click, the send in a background job whose progress any browser can watch.

The plan is ``Project.send`` asked with a ``confirm`` that says no: the engine plans under
its send lock and sends nothing. The "Send" button carries the plan's digest; the job's
``confirm`` sends only if the plan is still that one (a letter changed meanwhile is shown
again, not sent).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.access import Action, NotAllowed
from lettersmith.app.project import SendPlan
from lettersmith.errors import LettersmithError
from lettersmith.translate import current_language
from lettersmith.web.rules import QUERY, needs, ruled
from lettersmith.web.state import jobs_of, project_of
from lettersmith.web.targets import Target, target
from lettersmith.web.templating import render


def send_page(request: Request) -> Response:
    """The running send's progress; else the plan and the button that starts it."""
    chosen = target(request)
    job = jobs_of(request).get(chosen.letter, chosen.club)
    if job is not None and job.running:
        return render(request, "send.html", target=chosen, job=job, plan=None, problems=[])
    try:
        plan = _plan(request, chosen)
    except NotAllowed:
        raise
    except LettersmithError as error:
        return render(
            request, "send.html", target=chosen, job=job, plan=None,
            problems=str(error).splitlines(),
        )  # fmt: skip
    return render(request, "send.html", target=chosen, job=job, plan=plan, problems=[])


def _plan(request: Request, chosen: Target) -> SendPlan:
    result = project_of(request).send(chosen.letter, club=chosen.club, confirm=lambda _: False)
    return result.plan


async def start_send(request: Request) -> Response:
    """Start the send the person confirmed (the plan they saw: its digest)."""
    chosen = await run_in_threadpool(target, request)
    form = await request.form()
    digest = str(form.get("plan", ""))
    jobs_of(request).start_send(
        project_of(request), chosen.letter, chosen.club, digest, current_language()
    )
    return RedirectResponse(f"/letters/{chosen.letter}/send{chosen.query}", status_code=303)


def progress(request: Request) -> Response:
    """The progress bar alone (htmx asks for it every second while the send runs)."""
    chosen = target(request)
    job = jobs_of(request).get(chosen.letter, chosen.club)
    return render(request, "_progress.html", target=chosen, job=job)


routes = [
    ruled("/letters/{letter:id}/send", send_page, needs(Action.SEND, club=QUERY)),
    ruled("/letters/{letter:id}/send", start_send, needs(Action.SEND, club=QUERY), "POST"),
    ruled("/letters/{letter:id}/send/progress", progress, needs(Action.SEND, club=QUERY)),
]
