"""A letter's own pages: review and approve, build, status. (Sending is in ``send.py``.)

A club's version of a letter is the same page with ``?club=ID``. Each id is matched by the
engine's id rule (the ``id`` path converter, ``target`` for the club) and looked up in the
workspace before anything else: an unknown letter or club answers 404.
"""

from __future__ import annotations

import dataclasses
import mimetypes
import threading
from collections.abc import Sequence
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.access import Action, NotAllowed
from lettersmith.app.project import BuildResult, Project
from lettersmith.app.results import InboxResult
from lettersmith.app.review import review_page
from lettersmith.confine import read_out_file
from lettersmith.deliver.approval import not_by_board
from lettersmith.deliver.inbox.classify import Kind, kind_label
from lettersmith.deliver.journal import Entry
from lettersmith.errors import LettersmithError
from lettersmith.translate import N_, _
from lettersmith.web.rules import QUERY, needs, ruled
from lettersmith.web.security import session_of
from lettersmith.web.state import project_of, reviews_of, writing_of
from lettersmith.web.targets import Target, target
from lettersmith.web.templating import render
from lettersmith.web.words import state_word

# --------------------------------------------------------------------------- review


def review(request: Request) -> Response:
    """The board's review page (Project.review_page), shown in the app, with the form that
    approves the letter as it is now."""
    chosen = target(request)
    return _review_page(request, chosen, [])


def _review_page(request: Request, chosen: Target, problems: list[str]) -> Response:
    made = reviews_of(request).page(project_of(request), chosen, writing_of(request))
    # A big batch is shown 50 letters and emails a page, as the written review is
    # (review.PER_PAGE); a page number that is not one of them shows the first page.
    page = review_page(made.review, asked_page(request)) or review_page(made.review, 1)
    # Who approved the revision shown, read now: the review kept for its pictures may be
    # older than the latest approval.
    approval = project_of(request).status(chosen.letter, club=chosen.club).approval
    return render(
        request,
        "review.html",
        status_code=400 if problems else 200,
        target=chosen,
        review=made.review,
        approved=[a for a in approval.current if a.short == made.review.revision],
        page=page,
        page_links=page_links(chosen, page.count if page else 1),
        file_number=made.numbers,
        problems=problems,
    )


def asked_page(request: Request) -> int:
    """``?page=N`` as a number (ASCII digits, a few of them); 1 for anything else."""
    asked = request.query_params.get("page", "")
    return int(asked) if asked.isascii() and asked.isdigit() and len(asked) <= 6 else 1


def page_links(chosen: Target, count: int) -> dict[int, str]:
    """The address of each page of the review, the club's version kept."""
    base = f"/letters/{chosen.letter}/review"
    links = {1: f"{base}{chosen.query}"}
    for number in range(2, count + 1):
        club = f"&club={quote(chosen.club)}" if chosen.club else ""
        links[number] = f"{base}?page={number}{club}"
    return links


def review_file(request: Request) -> Response:
    chosen = target(request)
    path = reviews_of(request).file(chosen, request.path_params["number"])
    if path is None or not path.is_file():
        raise HTTPException(404)
    # Read through the confined helper: a link put in out/ since is refused, never followed.
    data = read_out_file(path, project_of(request).root)
    if path.suffix == ".png":
        return Response(data, media_type="image/png")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    disposition = f"attachment; filename*=utf-8''{quote(path.name)}"
    return Response(data, media_type=kind, headers={"content-disposition": disposition})


async def approve(request: Request) -> Response:
    """Record the approval of the letter's current revision: by the session's account (a
    board member's), or without accounts by the name typed in the form."""
    chosen = await run_in_threadpool(target, request)
    form = await request.form()
    typed = str(form.get("by", "")).strip() or None  # an account approves as itself (engine)
    note = str(form.get("note", "")).strip() or None
    if typed is None and session_of(request).account is None:
        return await run_in_threadpool(
            _review_page, request, chosen, [_("Write your name to approve the letter.")]
        )
    project = project_of(request)
    await run_in_threadpool(project.approve, chosen.letter, by=typed, note=note, club=chosen.club)
    return RedirectResponse(f"/letters/{chosen.letter}/status{chosen.query}", status_code=303)


# --------------------------------------------------------------------------- build


async def build(request: Request) -> Response:
    """Check the workspace, then build the letter; the problems in words, on the page."""
    chosen = await run_in_threadpool(target, request)
    project = project_of(request)
    try:
        result = await run_in_threadpool(_check_and_build, project, chosen, writing_of(request))
    except NotAllowed:
        raise  # the 403 page, not the build's problems
    except LettersmithError as error:
        return render(
            request, "built.html", status_code=400, target=chosen, result=None,
            problems=str(error).splitlines(),
        )  # fmt: skip
    problems = list(result.failed)
    return render(
        request,
        "built.html",
        status_code=400 if problems else 200,
        target=chosen,
        result=result,
        problems=problems,
        written=[str(path.relative_to(project.root)) for path in result.written],
    )


def _check_and_build(project: Project, chosen: Target, writing: threading.Lock) -> BuildResult:
    project.check()  # every problem of the workspace at once, before any file is made
    with writing:
        # One process: a server with threads does not fork workers (and one letter is quick).
        return project.build([chosen.letter], club=chosen.club, jobs=1)


# --------------------------------------------------------------------------- status

# What a status row shows of its journal entry: the fields a person reads, in this order;
# any other field a newer journal row has (the inbox's) is shown after them, by name.
SHOWN_FIELDS = {
    "state": N_("State"),
    "updated_at": N_("Time (UTC)"),
    "message_id": N_("Message-ID"),
    "reply": N_("Server reply"),
}
HIDDEN_FIELDS = {
    "letter", "club", "recipient", "address", "attachment_hash", "copy", "revision", "mailbox",
    "letter_date", "attempted_at",
}  # fmt: skip


def status(request: Request) -> Response:
    return status_page(request, target(request))


def status_page(
    request: Request,
    chosen: Target,
    *,
    ran: InboxResult | None = None,
    problems: Sequence[str] = (),
) -> Response:
    """The status of the letter (or a club's version): the journal's rows with what came back
    for each recipient (``lettersmith inbox``), the approvals, and the button that reads the
    inbox, or why it cannot. ``ran``: what a run just read; ``problems``: why it stopped."""
    project = project_of(request)
    result = project.status(chosen.letter, club=chosen.club)
    extra = sorted(
        {
            f.name
            for _, _, entry in result.rows
            if entry is not None
            for f in dataclasses.fields(entry)
            if f.name not in SHOWN_FIELDS and f.name not in HIDDEN_FIELDS
        }
    )
    columns = [(name, _(label)) for name, label in SHOWN_FIELDS.items()]
    columns += [(name, name.replace("_", " ")) for name in extra]
    rows = []
    for recipient, address, entry in result.rows:
        came = result.inbox.get(recipient)
        cells = []
        for name, _label in columns:
            text = _cell(entry, name, recipient)
            if name == "state" and came is not None and came.bounced:
                text = _("{state}, then bounced").format(state=text)
            cells.append((name, text))
        rows.append((recipient, address, cells, came))
    unready: list[str] = []
    try:
        if project.allowed(Action.SEND, chosen.club):  # else no button, and nothing to ask
            project.check_inbox(club=chosen.club)
    except LettersmithError as error:
        unready = str(error).splitlines()
    standing = result.approval
    return render(
        request,
        "status.html",
        status_code=400 if problems else 200,
        target=chosen,
        result=result,
        columns=columns,
        rows=rows,
        sent=sum(1 for _, _, entry in result.rows if entry is not None and entry.state == "sent"),
        bounced=sum(1 for news in result.inbox.values() if news.bounced),
        approvals=standing.approvals,
        current=standing.current,
        revision=standing.revision[:10],
        changed=standing.changed,
        # On a server: approvals by a plain name that do not count, and why, in words.
        not_counted=not_by_board(standing.uncounted) if standing.uncounted else None,
        unready=unready,
        ran=ran,
        counts=_counts(ran) if ran is not None else [],
        problems=list(problems),
    )


def _counts(ran: InboxResult) -> list[tuple[str, int]]:
    """What one run recorded, kind by kind, in words."""
    kinds = (Kind.BOUNCED, Kind.RECEIVED, Kind.REPLIED)
    return [(kind_label(kind), ran.count(kind.value)) for kind in kinds]


def _cell(entry: Entry | None, name: str, recipient: str) -> str:
    if entry is None:
        return _("not sent") if name == "state" else ""
    value = getattr(entry, name, None)
    if name == "state":
        text = state_word(str(value))
        if entry.recipient != recipient:
            text += " " + _("(as {recipient})").format(recipient=entry.recipient)
        return text
    if name == "updated_at" and isinstance(value, str):
        return value[:19].replace("T", " ")
    return "" if value is None else str(value)


routes = [
    ruled("/letters/{letter:id}/review", review, needs(Action.SEE, club=QUERY)),
    ruled(
        "/letters/{letter:id}/review/files/{number:int}", review_file,
        needs(Action.SEE, club=QUERY),
    ),
    ruled("/letters/{letter:id}/approve", approve, needs(Action.APPROVE, club=QUERY), "POST"),
    ruled("/letters/{letter:id}/build", build, needs(Action.BUILD, club=QUERY), "POST"),
    ruled("/letters/{letter:id}/status", status, needs(Action.SEE, club=QUERY)),
]  # fmt: skip
