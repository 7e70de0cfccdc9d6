"""The pages' templates: one sandboxed, autoescaped Jinja2 environment, speaking the request's
language through ``lettersmith.translate`` (made by ``app/pages.py``, which the written review
page uses too).

Sandboxed and autoescaped because the pages show what people typed (names, notes, club
files from elsewhere): text is always text, never markup or code. In a template, ``_()``
translates and ``.format()`` fills placeholders, as in Python::

    {{ _("Sent {done} of {total}").format(done=3, total=5) }}

A page shows only the links, buttons and forms its reader's account may use: ``may(action,
club)`` asks the engine's table (``access.allowed``) in the template, with the action by its
name (``may("edit")``, ``may("send", state.club)``)::

    {% if may("approve", target.club) %}<button type="submit">...</button>{% endif %}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2.sandbox import SandboxedEnvironment
from starlette.requests import Request
from starlette.responses import HTMLResponse

from lettersmith import translate
from lettersmith.app import access, pages
from lettersmith.app.access import Account, Action
from lettersmith.web.security import CSRF_HEADER, session_of
from lettersmith.web.words import state_word

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment() -> SandboxedEnvironment:
    env = pages.environment(TEMPLATES)  # sandboxed, autoescaped, speaking: as the review's
    env.globals["state_word"] = state_word
    return env


class Pages:
    """Renders a page for a request: the template's context gets the session's CSRF token,
    the language, the organisation's name and what the base layout needs."""

    def __init__(self, organisation: str) -> None:
        self.env = environment()
        self.organisation = organisation

    def render(
        self, request: Request, name: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        session = request.scope.get("lettersmith.session")
        csrf = session_of(request).csrf if session is not None else ""
        account = session_of(request).account if session is not None else None
        values: dict[str, Any] = {
            "request_path": request.url.path,
            "language": translate.current_language(),
            "languages": translate.LANGUAGES,
            "organisation": self.organisation,
            "csrf_token": csrf,
            "csrf_headers": {CSRF_HEADER: csrf},
            "logged_in": session is not None,
            # The header's name, role and "Log out" (an account's session)
            "account": account,
            # what the reader may do: the links, buttons and forms a page shows
            "may": Permissions(account if session is not None else None),
            # the users page (an admin's; or the token link's, to make the first account)
            "manages_accounts": session is not None and access.allowed(account, Action.ACCOUNTS),
        }
        values.update(context)  # a page may give its own (the login form's csrf_token)
        page = self.env.get_template(name).render(**values)
        return HTMLResponse(page, status_code=status_code)


class Permissions:
    """``may(action, club=None)`` in a template: may the reader's account take ``action`` (by
    its name, e.g. ``"edit"``) on the union's things or ``club``'s? A name that is no action
    fails loudly, as a typo should."""

    def __init__(self, account: Account | None) -> None:
        self.account = account

    def __call__(self, action: str, club: str | None = None) -> bool:
        return access.allowed(self.account, Action(action), club or None)


def pages_of(request: Request) -> Pages:
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``name`` (a template under web/templates/) for this request."""
    return pages_of(request).render(request, name, status_code, **context)
