"""``/login`` and ``/logout``: getting in and out of a union's server (accounts exist).

The name and password are checked by the engine (``Project.log_in``), which slows guessing
down per name and per client address; the address is the one uvicorn gives (the proxy's
``X-Forwarded-For`` only with ``serve --trust-proxy``). A login makes a new session (a new
id, whatever cookie the browser held) and ends the one the browser had. Without accounts
(the token link's way in) both pages only lead back to ``/``.
"""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from lettersmith.app.accounts import ClubGone, LoginRefused
from lettersmith.translate import _, ngettext
from lettersmith.web.rules import ANY_SESSION, OPEN, ruled
from lettersmith.web.sessions import is_https, local_path, session_of
from lettersmith.web.state import project_of, sessions_of
from lettersmith.web.templating import render

NONCE_SHORTEST = 32  # a login cookie shorter than the ones we set is made again


def login_form(request: Request) -> Response:
    """The login form (to a browser logged in already too: it may log in as someone else,
    which ends the session it had)."""
    back = _next(request.query_params.get("next", "/"))
    if not sessions_of(request).accounts():
        return RedirectResponse(back, status_code=303)
    return login_page(request, back)


async def log_in(request: Request) -> Response:
    """Check the name and password; on success a new session, and on to ``next``."""
    sessions = sessions_of(request)
    if not sessions.accounts():
        return RedirectResponse("/", status_code=303)
    form = await request.form()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    back = _next(str(form.get("next", "/")))
    address = request.client.host if request.client is not None else ""
    try:
        account = await run_in_threadpool(
            project_of(request).log_in, name, password, address=address
        )
    except ClubGone as gone:  # the right password, but its club is no more: said plainly
        return login_page(request, back, name=name, problem=str(gone), status_code=403)
    except LoginRefused as refused:
        if not refused.wait:
            return login_page(
                request, back, name=name, problem=_("Wrong name or password."), status_code=400
            )
        problem = ngettext(
            "Wrong name or password too many times: wait {seconds} second before you try again.",
            "Wrong name or password too many times: wait {seconds} seconds before you try again.",
            refused.wait,
        ).format(seconds=refused.wait)
        answer = login_page(request, back, name=name, problem=problem, status_code=429)
        answer.headers["retry-after"] = str(refused.wait)
        return answer
    secure = is_https(request.scope)
    sessions.end(request.cookies.get(sessions.cookie))  # the browser's old session, if any
    session_id, _session = sessions.start(account)
    response = RedirectResponse(back, status_code=303)
    response.headers.append("set-cookie", sessions.cookie_header(session_id, secure=secure))
    response.headers.append("set-cookie", sessions.ended_login_cookie_header(secure=secure))
    return response


def log_out(request: Request) -> Response:
    """End this browser's session, forget its cookie, back to the login page."""
    sessions = sessions_of(request)
    sessions.end(session_of(request).id)
    response = RedirectResponse("/login" if sessions.accounts() else "/", status_code=303)
    response.headers["set-cookie"] = sessions.ended_cookie_header(secure=is_https(request.scope))
    return response


def _next(text: str) -> str:
    """Where to go after logging in: a path of this server, not the login page itself."""
    back = local_path(text)
    return "/" if back.split("?")[0] in ("/login", "/logout") else back


def login_page(
    request: Request, back: str, *, name: str = "", problem: str = "", status_code: int = 200
) -> Response:
    """The login page: the form, with its CSRF token made for the login cookie it sets (the
    one the browser has, kept, so two tabs of the login page both work)."""
    sessions = sessions_of(request)
    nonce = request.cookies.get(sessions.login_cookie, "")
    if len(nonce) < NONCE_SHORTEST:
        nonce = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        csrf_token=sessions.login_token(nonce),
        next=back,
        login_name=name,
        problem=problem,
    )
    response.headers["set-cookie"] = sessions.login_cookie_header(
        nonce, secure=is_https(request.scope)
    )
    return response


routes = [
    ruled("/login", login_form, OPEN, "GET"),
    ruled("/login", log_in, OPEN, "POST"),
    ruled("/logout", log_out, ANY_SESSION, "POST"),
]
