"""The web app: ``create_app`` puts the pages, the static files and the guards together.

Starlette (ASGI, with uvicorn as the server) because it is small and well kept, serves
plain server-rendered pages, and lets a long send run in a thread of the server while any
browser asks how far it got. Every page is a module under ``web/pages/`` that exports
``routes`` (a list of Starlette routes); they are found and joined here, so a new page is
a new module and nothing else. Each route calls ``Project`` (the one door to the engine)
and shows what it returns: the web app keeps no rule of its own.

Each route is declared with its rule (``web/rules.py``: the engine's action it takes, on
whose things), checked before the endpoint runs; ``create_app`` refuses a route without one.
A refusal by the engine itself (``NotAllowed``) answers the same 403 page.

An id in a path is matched by the ``{name:id}`` converter, which is the engine's id rule
(``load.yamlfile.ID_PATTERN``): anything else (``..``, ``/``, capitals, ``%2e``) matches no
route and answers 404 before any path is made from it.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from lettersmith.app.access import NotAllowed
from lettersmith.app.project import Project
from lettersmith.errors import LettersmithError
from lettersmith.load.yamlfile import ID_PATTERN
from lettersmith.translate import Language, _, use_language
from lettersmith.web import pages as pages_package
from lettersmith.web.jobs import Jobs
from lettersmith.web.reviews import Reviews
from lettersmith.web.rules import OPEN, RuledMount, forbidden, unruled
from lettersmith.web.security import (
    SECURITY_HEADERS,
    BodyLimit,
    Guard,
    HostCheck,
    SecurityHeaders,
    too_large_words,
    too_slow_answer,
)
from lettersmith.web.sessions import Session, Sessions
from lettersmith.web.templating import Pages, render

STATIC = Path(__file__).resolve().parent / "static"


class IdConvertor(Convertor[str]):
    """A path segment that is an id by the engine's rule."""

    regex = ID_PATTERN.pattern

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        if ID_PATTERN.fullmatch(value) is None:
            raise ValueError(f"not an id: {value!r}")
        return value


register_url_convertor("id", IdConvertor())


def page_routes() -> list[BaseRoute]:
    """The ``routes`` of every module in web/pages/, in the order of their names."""
    routes: list[BaseRoute] = []
    for info in sorted(pkgutil.iter_modules(pages_package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{pages_package.__name__}.{info.name}")
        routes.extend(getattr(module, "routes", []))
    return routes


def create_app(
    project_root: str | Path,
    *,
    token: str,
    language: Language = "nb",
    port: int | None = 8400,
    host: str = "127.0.0.1",
    public_hosts: frozenset[str] = frozenset(),
) -> Starlette:
    """The web app on the workspace at ``project_root``.

    ``token`` is the secret of the link that logs a browser in while the workspace has no
    accounts; ``language`` the one a new session speaks; ``port`` and ``host`` those the
    server listens on (a request's Host header must name a loopback name or ``host``, with
    ``port``, or once accounts exist one of ``public_hosts``: ``brev.example.no``).
    """
    project = Project.open(project_root)
    sessions = Sessions(
        token, cookie=f"lettersmith-{port or 'session'}", language=language, store=project
    )
    routes = [
        *page_routes(),
        RuledMount("/static", StaticFiles(directory=STATIC), OPEN, name="static"),
    ]
    missing = unruled(routes)
    if missing:  # a route anyone with a session could take, whatever their role: refused
        raise RuntimeError("routes without a rule (web/rules.py): " + "; ".join(missing))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                HostCheck,
                port=port,
                host=host,
                public=public_hosts,
                accounts=sessions.accounts,
                language=language,
            ),
            Middleware(BodyLimit, too_large=_too_large, too_slow=_too_slow, language=language),
            Middleware(
                Guard,
                sessions=sessions,
                gate=_gate,
                refuse=_refused,
                login_needed=_login_needed,
                stale_login=_stale_login,
            ),
        ],
        exception_handlers={
            HTTPException: _http_error,
            NotAllowed: _not_allowed,
            LettersmithError: _engine_error,
            Exception: _server_error,
        },
    )
    app.state.project = project
    app.state.public_hosts = public_hosts  # the names of --public-url (a refusal's words)
    app.state.sessions = sessions
    app.state.pages = Pages(_organisation(project))
    app.state.jobs = Jobs()
    app.state.writing = threading.Lock()
    app.state.reviews = Reviews()
    return app


def _organisation(project: Project) -> str:
    """The organisation's name for the header (the folder's name if the files cannot be read:
    the pages then show what is wrong)."""
    try:
        return project.workspace().organisation.name
    except LettersmithError:
        return project.root.name


async def _gate(scope: Any, receive: Any, send: Any) -> None:
    """The page shown to a browser without a session: how to get in."""
    request = Request(scope, receive)
    response = render(request, "gate.html", status_code=403)
    await response(scope, receive, send)


async def _refused(scope: Any, receive: Any, send: Any) -> None:
    """A form refused by the guard (no CSRF token, or sent from a page elsewhere): in words,
    in the session's language (a page elsewhere cannot read this answer)."""
    request = Request(scope, receive)
    line = _(
        "This form was refused: it did not come from a page of this app as it runs now (its "
        "security token is missing or old, or another web site sent it). Open the page again "
        "from the app and repeat what you did."
    )
    if _host_not_passed_on(request):
        line = _(
            "This form was refused: your browser reached the app as {origin}, but the web "
            "server in front of it passed the request on as {host}, so the app cannot tell "
            "the form is its own. Whoever runs the server: let the web server pass the "
            "browser's Host header on (nginx: proxy_set_header Host $host;)."
        ).format(origin=request.headers["origin"], host=request.headers.get("host", ""))
    elif _https_in_front_unknown(request):
        line = _(
            "This form was refused: your browser reached the app over HTTPS ({origin}), but "
            "the app was not told that a web server handling HTTPS stands in front of it, so "
            "it cannot tell the form is its own. Whoever runs the server: start it with "
            '--trust-proxy (README, "Running it for a union").'
        ).format(origin=request.headers["origin"])
    response = render(request, "problem.html", status_code=403, lines=[line])
    await response(scope, receive, send)


def _host_not_passed_on(request: Request) -> bool:
    """A form from this app's page at one of its ``--public-url`` names reaching the app with
    a loopback Host: the proxy in front names the app's own address instead of passing the
    browser's Host on (nginx without ``proxy_set_header Host $host``)."""
    origin = urlsplit(request.headers.get("origin", "").lower())
    host = request.headers.get("host", "").lower()
    public = request.app.state.public_hosts
    return origin.netloc in public and host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]")


def _https_in_front_unknown(request: Request) -> bool:
    """A form from this app's own page at https://HOST reaching the app over plain HTTP: a
    reverse proxy handles HTTPS, and ``serve`` was started without ``--trust-proxy`` (every
    login fails so until it is). Still refused: the words only say why."""
    host = request.headers.get("host", "").lower()
    origin = request.headers.get("origin", "").lower()
    return bool(host) and request.url.scheme == "http" and origin == f"https://{host}"


async def _login_needed(scope: Any, receive: Any, send: Any) -> None:
    """A form sent without a session on a union's server (logged out, or the session ended
    meanwhile): nothing done, and the way back in."""
    request = Request(scope, receive)
    line = _(
        "Nothing was done: you are not logged in (you logged out, or your session ended). "
        "Log in again and repeat what you did."
    )
    response = render(request, "problem.html", status_code=403, lines=[line], login_link=True)
    await response(scope, receive, send)


async def _stale_login(scope: Any, receive: Any, send: Any) -> None:
    """A login form from this app's own page with an old token (the app restarted since the
    page was opened, or its cookie is gone): nobody logged in, the form again, fresh."""
    from lettersmith.web.pages.login import login_page

    request = Request(scope, receive)
    line = _("The login form was old (the app restarted since it was opened): log in again.")
    response = login_page(request, "/", problem=line, status_code=403)
    await response(scope, receive, send)


def _session_of_cookie(request: Request) -> Session | None:
    """The browser's session by its cookie, for an answer given before the guard read it."""
    sessions: Sessions = request.app.state.sessions
    return sessions.find(request.cookies.get(sessions.cookie))


async def _too_large(scope: Any, receive: Any, send: Any) -> None:
    """A body over MAX_BODY (an upload too large): for a logged-in browser a page in its
    language; for anyone else the plain refusal in the server's language (the page would
    name the organisation)."""
    request = Request(scope, receive)
    session = _session_of_cookie(request)
    if session is None:
        response: Response = PlainTextResponse(too_large_words(), status_code=413)
    else:
        with use_language(session.language):
            response = render(request, "problem.html", status_code=413, lines=[too_large_words()])
    await response(scope, receive, send)


async def _too_slow(scope: Any, receive: Any, send: Any) -> None:
    """A body that stopped coming (408): plain words, in the session's language for a
    logged-in browser, the server's for anyone else."""
    session = _session_of_cookie(Request(scope, receive))
    if session is None:
        response = too_slow_answer()
    else:
        with use_language(session.language):
            response = too_slow_answer()
    await response(scope, receive, send)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if request.scope.get("lettersmith.session") is None or error.status_code not in (404, 405):
        return Response(str(error.detail), status_code=error.status_code)
    return render(request, "not_found.html", status_code=error.status_code)


async def _not_allowed(request: Request, error: Exception) -> Response:
    """The engine refused the account a verb the route's rule let through: the same 403 page,
    with the engine's words."""
    return forbidden(request, str(error))


async def _engine_error(request: Request, error: Exception) -> Response:
    """A problem in the person's files or a refusal by the engine: its words on a page."""
    return render(request, "problem.html", status_code=400, lines=str(error).splitlines())


async def _server_error(request: Request, error: Exception) -> Response:
    """A bug: a page in words, never the traceback (Starlette passes the error on to the
    server after this answer, and uvicorn writes the traceback where ``serve`` runs). Made
    outside every middleware, so it adds the security headers itself."""
    session = request.scope.get("lettersmith.session")
    language = (
        session.language if isinstance(session, Session) else request.app.state.sessions.language
    )
    try:
        with use_language(language):
            response: Response = render(request, "error.html", status_code=500)
    except Exception:  # the page itself cannot be made: plain words
        response = Response(
            "Internal error: see the window where lettersmith serve runs.",
            status_code=500,
            media_type="text/plain",
        )
    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response
