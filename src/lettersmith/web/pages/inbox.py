"""The "Read the inbox" button of a letter's status page: ``Project.inbox`` run for the letter
(or a club's version), then the status page again with what the run read and each
recipient's new state.

It runs within the request, not as a background job like a send: the engine bounds a run
(``Limits``: messages, seconds, each network wait) and commits after every batch of 50, so
a run cut short loses nothing and the next click goes on where it stopped. The web app asks
for a smaller run than the command's (``WEB_LIMITS``: at most 500 messages and about 20
seconds, 20 seconds for each network wait), so that the answer comes while the person
waits; the page says how many are left, to be read by clicking again. Two runs at once
(two clicks, or a click and ``lettersmith inbox``) are refused by the engine's lock, in
words.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from lettersmith.app.access import Action, NotAllowed
from lettersmith.app.project import InboxResult, Project
from lettersmith.deliver.inbox.imap import Limits
from lettersmith.errors import LettersmithError
from lettersmith.translate import Language, current_language, use_language
from lettersmith.web.pages.letters import status_page
from lettersmith.web.rules import QUERY, needs, ruled
from lettersmith.web.state import project_of
from lettersmith.web.targets import Target, target

WEB_LIMITS = Limits(messages=500, seconds=20.0, timeout=20.0)


async def read_inbox(request: Request) -> Response:
    """Read the mail.imap folder for this letter; the status page with the run's counts, or
    the engine's words when it could not (no settings, no password, the server refused)."""
    chosen = await run_in_threadpool(target, request)
    project = project_of(request)
    try:
        ran = await run_in_threadpool(_run, project, chosen, current_language())
    except NotAllowed:
        raise
    except LettersmithError as error:
        lines = str(error).splitlines()
        return await run_in_threadpool(_page, request, chosen, None, lines)
    return await run_in_threadpool(_page, request, chosen, ran, [])


def _run(project: Project, chosen: Target, language: Language) -> InboxResult:
    with use_language(language):  # the engine's words (a refusal) in the reader's language
        return project.inbox(chosen.letter, club=chosen.club, limits=WEB_LIMITS)


def _page(
    request: Request, chosen: Target, ran: InboxResult | None, problems: list[str]
) -> Response:
    return status_page(request, chosen, ran=ran, problems=problems)


routes = [ruled("/letters/{letter:id}/inbox", read_inbox, needs(Action.SEND, club=QUERY), "POST")]
