"""``/users``: the accounts of a union's server (an admin's page); ``/password``: a person's
own password (everyone logged in with an account).

Every change goes through ``Project`` (``add_user``, ``remove_user``, ``set_password``,
``change_own_password``), which checks the name, the role and the password and ends the
sessions a change must end; these pages only ask, and show what it answers. The one thing
decided here is that a new password was typed the same twice.

Without accounts (the token link's way in, the person at the workspace's own computer) the
page is open too: that person may do everything, and making the first admin here is how a
union's server starts without a terminal. From that account on, everyone logs in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.access import CLUB_PREFIX, ROLES, Account, Action
from lettersmith.app.project import Project
from lettersmith.errors import LettersmithError
from lettersmith.translate import N_, _
from lettersmith.web.rules import ANY_SESSION, needs, ruled
from lettersmith.web.sessions import is_https, session_of
from lettersmith.web.state import project_of, sessions_of
from lettersmith.web.templating import render

ROLE_WORDS = {
    "admin": N_("Admin: accounts, and all a secretary does"),
    "secretary": N_("Secretary: positions, letters, recipients, building and sending"),
    "board": N_("Board member: sees everything, approves letters"),
}
DONE = {
    "added": N_("{name} can now log in."),
    "removed": N_("{name} is removed; their sessions have ended."),
    "password": N_("{name} has a new password; their sessions have ended."),
}


def role_word(role: str, clubs: dict[str, str]) -> str:
    """A role in words (``club:bergen`` as its club's name)."""
    if role.startswith(CLUB_PREFIX):
        club = role[len(CLUB_PREFIX) :]
        return _("Club {name}: its own club's files and versions").format(
            name=clubs.get(club) or club
        )
    return _(ROLE_WORDS[role]) if role in ROLE_WORDS else role


def not_the_same() -> str:
    return _("The two passwords are not the same: type the new password twice.")


# --------------------------------------------------------------------------- /users


def users(request: Request) -> Response:
    done, name = request.query_params.get("done", ""), request.query_params.get("name", "")
    # Said only when true of the accounts now (a link cannot make the page claim another).
    exists = _account_named(project_of(request), name) is not None
    true = done in DONE and exists == (done != "removed")
    return _users_page(request, notice=_(DONE[done]).format(name=name) if true else "")


async def add_user(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name", "")).strip()
    role = str(form.get("role", ""))
    problems = await _set_password(form, partial(project_of(request).add_user, name, role))
    if problems:
        return _users_page(request, problems=problems, name=name, role=role, status_code=400)
    return _done("added", name)


def remove_form(request: Request) -> Response:
    """Ask first: removing an account cannot be undone (it can be made again)."""
    account = _account_named(project_of(request), request.query_params.get("name", ""))
    if account is None:
        return render(request, "not_found.html", status_code=404)
    return render(request, "user_remove.html", account_name=account.name)


async def remove_user(request: Request) -> Response:
    name = str((await request.form()).get("name", ""))
    try:
        removed = project_of(request).remove_user(name)
    except LettersmithError as error:
        return _users_page(request, problems=str(error).splitlines(), status_code=400)
    return _done("removed", removed.name)


def password_form(request: Request) -> Response:
    account = _account_named(project_of(request), request.query_params.get("name", ""))
    if account is None:
        return render(request, "not_found.html", status_code=404)
    return render(request, "user_password.html", account_name=account.name, problems=[])


async def set_password(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name", ""))
    problems = await _set_password(form, partial(project_of(request).set_password, name))
    if problems:
        return render(
            request, "user_password.html", status_code=400, account_name=name, problems=problems
        )
    return _done("password", name)


async def _set_password(form: FormData, change: Callable[[str], object]) -> list[str]:
    """The problems of a form that gives a new password, typed twice: the two differ, or
    ``change`` (the engine's verb, given the password) refused it. None: done."""
    password, again = str(form.get("password", "")), str(form.get("password_again", ""))
    if password != again:
        return [not_the_same()]
    try:
        await run_in_threadpool(change, password)
    except LettersmithError as error:
        return str(error).splitlines()
    return []


def _done(kind: str, name: str) -> Response:
    return RedirectResponse("/users?" + urlencode({"done": kind, "name": name}), status_code=303)


def _account_named(project: Project, name: str) -> Account | None:
    return next((a for a in project.users() if a.name == name), None)


def _users_page(
    request: Request,
    *,
    notice: str = "",
    problems: list[str] | None = None,
    name: str = "",
    role: str = "",
    status_code: int = 200,
) -> Response:
    project = project_of(request)
    clubs = _club_names(project)
    roles = [(code, role_word(code, clubs)) for code in ROLES]
    roles += [(CLUB_PREFIX + club, role_word(CLUB_PREFIX + club, clubs)) for club in sorted(clubs)]
    return render(
        request,
        "users.html",
        status_code=status_code,
        details=project.user_details(),
        role_words={code: word for code, word in roles},
        roles=roles,
        clubs=clubs,
        notice=notice,
        problems=problems or [],
        new_name=name,
        new_role=role,
        role_word=role_word,
    )


def _club_names(project: Project) -> dict[str, str]:
    """The workspace's clubs, id to name (none while its files have a problem: the other
    pages say what)."""
    try:
        return {id: club.name or id for id, club in project.workspace().clubs.items()}
    except LettersmithError:
        return {}


# --------------------------------------------------------------------------- /password


def own_password_form(request: Request) -> Response:
    if session_of(request).account is None:
        return RedirectResponse("/", status_code=303)  # no account, no own password
    return render(request, "password.html", problems=[], changed=False)


async def change_own_password(request: Request) -> Response:
    """The person's own password, given the current one. Every session of theirs ends, this
    browser's too (a copy of its cookie, taken before, is worth nothing now); this browser
    goes on in a new session."""
    session = session_of(request)
    if session.account is None:
        return RedirectResponse("/", status_code=303)  # no account, no own password
    form = await request.form()
    current = str(form.get("current", ""))
    problems = await _set_password(form, partial(project_of(request).change_own_password, current))
    if problems:
        return render(request, "password.html", status_code=400, problems=problems, changed=False)
    sessions = sessions_of(request)
    session_id, renewed = sessions.start(session.account)
    sessions.choose_language(renewed, session.language)
    request.scope["lettersmith.session"] = renewed  # the page's forms carry its CSRF token
    response = render(request, "password.html", problems=[], changed=True)
    response.headers["set-cookie"] = sessions.cookie_header(
        session_id, secure=is_https(request.scope)
    )
    return response


routes = [
    ruled("/users", users, needs(Action.ACCOUNTS), "GET"),
    ruled("/users", add_user, needs(Action.ACCOUNTS), "POST"),
    ruled("/users/remove", remove_form, needs(Action.ACCOUNTS), "GET"),
    ruled("/users/remove", remove_user, needs(Action.ACCOUNTS), "POST"),
    ruled("/users/password", password_form, needs(Action.ACCOUNTS), "GET"),
    ruled("/users/password", set_password, needs(Action.ACCOUNTS), "POST"),
    ruled("/password", own_password_form, ANY_SESSION, "GET"),
    ruled("/password", change_own_password, ANY_SESSION, "POST"),
]
