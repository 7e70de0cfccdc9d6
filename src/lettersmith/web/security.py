"""The web app's guards, as plain ASGI middleware around every route (static files too).

A local app is still reachable by every web page the person has open: a page elsewhere can
make their browser send requests to 127.0.0.1 (cross-site requests, DNS rebinding). So,
outermost first:

- ``SecurityHeaders``: the headers (Content-Security-Policy without inline script, no
  sniffing, no referrer to other sites, no framing, no caching) on every answer, the
  refusals below too;
- ``HostCheck``: only ``127.0.0.1``, ``localhost`` or ``[::1]`` with the server's port in
  the Host header (a rebound name answers 400); on a union's server (accounts exist) also the
  names given with ``serve --public-url``;
- ``BodyLimit``: a request body over ``MAX_BODY`` answers 413, read no further; one that
  stops coming for ``BODY_TIMEOUT`` seconds answers 408 (a slow body holds no connection);
- ``Guard``: the session before anything but the way in; on every request that changes
  something, the CSRF token and, as a second guard, the browser's word that it comes from
  this server's own pages (``Origin``, ``Referer``, ``Sec-Fetch-Site``); and the session's
  language for the request.

Two ways in, chosen at each request by whether the workspace has accounts (so the first
account added while the server runs counts at once):

- **no accounts** (one person on their own computer): the one-time token link printed by
  ``serve`` starts a session held in this process only (a restart logs everyone out, and
  the link is new at each start). Without a session, the page saying how to get in.
- **accounts** (a union's server): the token link logs nobody in; ``/login`` does, with a
  name and password checked by the engine, and the session is the engine's (stored in
  ``.lettersmith/``: it survives a restart, and ends at logout, at a password change and
  when the account is removed). Without a session a page redirects to ``/login`` (a form is
  refused, 403). The login form has its own CSRF token, tied to a cookie set with the form,
  so a login sent from another site fails.

Either way a new session id is made at each login, whatever cookie the browser held (a
cookie planted before is never the logged-in one). A session kept in this process and
unused for ``SESSION_IDLE`` seconds is forgotten.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from lettersmith.translate import LANGUAGES, Language, _, use_language
from lettersmith.web.sessions import SESSION_IDLE as SESSION_IDLE
from lettersmith.web.sessions import Session as Session
from lettersmith.web.sessions import Sessions, is_https
from lettersmith.web.sessions import local_path as local_path
from lettersmith.web.sessions import session_of as session_of

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 10 * 1024 * 1024  # an uploaded spreadsheet or attachment; more is refused (413)
BODY_TIMEOUT = 30.0  # seconds a request body may pause before it is refused (408)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    # Not no-referrer: under it a browser sends "Origin: null" with the app's own forms, and
    # the Origin check could not tell them from a sandboxed page elsewhere. same-origin sends
    # nothing to other sites (the token link answers only with a redirect anyway).
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
# What the page saying how to get in needs, served without a session.
OPEN_PATHS = frozenset({"/static/app.css", "/static/favicon.svg"})
LOGIN_PATH = "/login"  # open to all once accounts exist


# --------------------------------------------------------------------------- middleware


class SecurityHeaders:
    """The security headers on every answer: pages, files, and every refusal (400, 403, 408,
    413). A 500 page is made outside every middleware and adds them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class HostCheck:
    """400 for a Host header that is not this computer's loopback with our port, nor (on a
    union's server, once accounts exist) one of the names it serves under (``public``:
    ``brev.example.no``, from ``serve --public-url``). A name another site made point here
    (DNS rebinding) is none of these."""

    def __init__(
        self,
        app: ASGIApp,
        port: int | None,
        host: str = "127.0.0.1",
        public: frozenset[str] = frozenset(),
        accounts: Callable[[], bool] = lambda: False,
        language: Language = "nb",
    ) -> None:
        self.app = app
        self.language = language  # the refusal's: no session is read for a name not ours
        suffix = f":{port}" if port is not None else ""
        bound = f"[{host}]" if ":" in host and not host.startswith("[") else host
        names = {*LOOPBACK_NAMES, bound.lower()}
        self.allowed = {name + suffix for name in names}
        if port == 80:
            self.allowed |= names
        self.public = frozenset(name.lower() for name in public)
        self.accounts = accounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = Headers(scope=scope).get("host", "").lower()
        known = host in self.allowed or (host in self.public and self.accounts())
        if scope["type"] == "http" and not known:
            with use_language(self.language):
                line = _(
                    "Bad Host header: this server does not answer to the name {host}. Use the "
                    "address you were given for it (whoever runs it names the addresses it "
                    "serves with lettersmith serve --public-url)."
                ).format(host=host[:100] or "?")
            response = PlainTextResponse(line, status_code=400)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


class BodyLimit:
    """413 for a body over ``limit`` bytes: told by Content-Length before reading, or found
    while reading (a chunked upload) and stopped there. 408 for a body whose next part does
    not come within ``BODY_TIMEOUT`` seconds (read when the request starts, so a test can
    shorten it)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY,
        too_large: ASGIApp | None = None,
        too_slow: ASGIApp | None = None,
        language: Language = "nb",
    ) -> None:
        self.app = app
        self.limit = limit
        self.too_large = too_large or _too_large  # the answer: a page in words, given by the app
        self.too_slow = too_slow or _too_slow  # the app's: in the session's language
        self.language = language  # the answers' unless the app finds a session's

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            with use_language(self.language):
                await self.too_large(scope, receive, send)
            return
        received = 0
        ended = False
        timeout = BODY_TIMEOUT

        async def counted() -> Message:
            nonlocal received, ended
            if ended:  # the body is read: what comes now is the disconnect, whenever it comes
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout)
            except TimeoutError:
                raise TooSlow from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise TooLarge
                ended = not message.get("more_body", False)
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            with use_language(self.language):
                await self.too_large(scope, receive, send)
        except TooSlow:
            with use_language(self.language):
                await self.too_slow(scope, receive, send)


def too_large_words() -> str:
    """What a body over MAX_BODY is told, in the language in use: the page's line, and the
    whole plain answer to a browser that is not logged in."""
    return _(
        "The file or form sent is too large: the app takes at most {megabytes} MB. "
        "Make the file smaller (or split it in two) and send it again."
    ).format(megabytes=MAX_BODY // (1024 * 1024))


def too_slow_answer() -> Response:
    """The 408 to a body that stopped coming, in the language in use; the connection closed
    (what is left of the body is not waited for)."""
    line = _(
        "The form or file stopped coming before all of it was sent (the connection is too "
        "slow, or it broke off): send it again."
    )
    return PlainTextResponse(line, status_code=408, headers={"connection": "close"})


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(too_large_words(), status_code=413)(scope, receive, send)


async def _too_slow(scope: Scope, receive: Receive, send: Send) -> None:
    await too_slow_answer()(scope, receive, send)


class Guard:
    """The session, the CSRF token, the request's own origin and the language of each request.

    Without accounts, ``/?token=...`` with the right token starts a session and redirects to
    ``/`` (so the token leaves the address bar and the history); without a session every
    path but ``OPEN_PATHS`` answers ``gate`` (the page saying how to get in). With accounts,
    ``/login`` and the static files are open (the login form checked by its own CSRF token),
    a page asked for without a session redirects there, and any other request without one
    answers ``login_needed``.
    """

    def __init__(
        self,
        app: ASGIApp,
        sessions: Sessions,
        gate: ASGIApp,
        refuse: ASGIApp | None = None,
        login_needed: ASGIApp | None = None,
        stale_login: ASGIApp | None = None,
    ) -> None:
        self.app = app
        self.sessions = sessions
        self.gate = gate
        self.refuse = refuse or _forbidden  # the 403 of a form from elsewhere: words, given
        self.login_needed = login_needed or _forbidden  # the 403 of a form without a session
        self.stale_login = stale_login or self.refuse  # the 403 of an old login form

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request = Request(scope)
        accounts = self.sessions.accounts()
        given = request.query_params.get("token")
        if not accounts and given is not None and self.sessions.token_matches(given):
            session_id, _ = self.sessions.start()
            response = Response(status_code=303, headers={"location": "/"})
            response.headers["set-cookie"] = self.sessions.cookie_header(
                session_id, secure=is_https(scope)
            )
            await response(scope, receive, send)
            return
        if accounts and scope["path"] == LOGIN_PATH:
            await self._login(scope, receive, send)
            return
        session = self.sessions.find(request.cookies.get(self.sessions.cookie), accounts=accounts)
        if session is None:
            # The login page's look, and with accounts every static file (the same for all,
            # in the package: nothing to hide, and no page to redirect to the login from).
            if scope["path"] in OPEN_PATHS or (accounts and scope["path"].startswith("/static/")):
                await self.app(scope, receive, send)
            elif not accounts:
                with use_language(self.sessions.language):
                    await self.gate(scope, receive, send)
            elif scope["method"] in ("GET", "HEAD"):
                await _to_login(request)(scope, receive, send)
            else:
                with use_language(self.sessions.language):
                    await self.login_needed(scope, receive, send)
            return
        scope["lettersmith.session"] = session
        if scope["method"] not in SAFE_METHODS:
            body = await _read_body(receive)
            if not _same_origin(scope) or not _csrf_matches(scope, body, session.csrf):
                with use_language(session.language):
                    await self.refuse(scope, _replay(b""), send)
                return
            receive = _replay(body)
        with use_language(session.language):
            await self.app(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/login``, open to all; its form must come from this server's own login page,
        carrying the token made for the cookie that page set (a login CSRF fails). A form
        from this server's page whose token is old (the app restarted since the page was
        opened) logs nobody in either; ``stale_login`` shows the form again."""
        if scope["method"] not in SAFE_METHODS:
            body = await _read_body(receive)
            nonce = Request(scope).cookies.get(self.sessions.login_cookie, "")
            expected = self.sessions.login_token(nonce)
            if not _same_origin(scope) or not nonce or not _csrf_matches(scope, body, expected):
                refusal = self.refuse if not _same_origin(scope) else self.stale_login
                with use_language(self.sessions.language):
                    await refusal(scope, _replay(b""), send)
                return
            receive = _replay(body)
        with use_language(self.sessions.language):
            await self.app(scope, receive, send)


def _to_login(request: Request) -> Response:
    """The redirect to the login page, which comes back here after (the token link's
    query is dropped: it logs nobody in now, and is no place to come back to)."""
    back = request.url.path
    if request.url.query and "token" not in request.query_params:
        back += "?" + request.url.query
    location = f"{LOGIN_PATH}?{urlencode({'next': back})}"
    return Response(status_code=303, headers={"location": location})


async def _forbidden(scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse(
        "Forbidden: the form's security token is missing or wrong; open the page again and repeat.",
        status_code=403,
    )
    await response(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    """The whole body (bounded by BodyLimit, outside this middleware)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _same_origin(scope: Scope) -> bool:
    """False when the browser says the request comes from a page elsewhere: ``Sec-Fetch-Site``
    other than same-origin (or none: typed by the person), an ``Origin`` (or, without one, a
    ``Referer``) other than this server as the Host header names it, by the scheme the request
    came by (``https://brev.example.no`` behind a proxy that says so). A client that sends
    none of them (an old browser, a tool) is judged by the cookie and the CSRF token alone."""
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    own = headers.get("host", "").lower()
    scheme = "https" if is_https(scope) else "http"
    origin = headers.get("origin")
    if origin is not None:
        return origin.lower() == f"{scheme}://{own}"
    referer = headers.get("referer")
    if referer is not None:
        try:
            parts = urlsplit(referer)
        except ValueError:
            return False
        return parts.scheme == scheme and parts.netloc.lower() == own
    return True


def _csrf_matches(scope: Scope, body: bytes, expected: str) -> bool:
    """The token from the X-CSRF-Token header (htmx) or the form's ``csrf_token`` field."""
    headers = Headers(scope=scope)
    given = headers.get(CSRF_HEADER) or _form_token(headers.get("content-type", ""), body)
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _form_token(content_type: str, body: bytes) -> str | None:
    """The one ``csrf_token`` field of a form (none for a body that is not a well-formed form,
    or that has two: the request is then refused)."""
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind == "application/x-www-form-urlencoded":
            values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(CSRF_FIELD, [])
            return values[0] if len(values) == 1 else None
        if kind == "multipart/form-data":
            return _multipart_token(content_type, body)
    except ValueError:  # too many fields; python-multipart's parse errors are ValueErrors too
        return None
    return None


def _multipart_token(content_type: str, body: bytes) -> str | None:
    """The ``csrf_token`` part of a multipart body (parsed by python-multipart, as Starlette
    does; the file parts are not kept)."""
    from python_multipart import MultipartParser
    from python_multipart.multipart import parse_options_header

    _, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        return None
    found: list[bytes] = []
    current: dict[str, Any] = {"name": None, "data": bytearray()}
    header_field = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        current["name"] = None
        current["data"] = bytearray()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        if bytes(header_field).lower() == b"content-disposition":
            _, params = parse_options_header(bytes(header_value))
            current["name"] = params.get(b"name")
        header_field.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if current["name"] == CSRF_FIELD.encode() and len(current["data"]) < 200:
            current["data"].extend(data[start:end])

    def on_part_end() -> None:
        if current["name"] == CSRF_FIELD.encode():
            found.append(bytes(current["data"]))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return found[0].decode("latin-1") if len(found) == 1 else None


def new_token() -> str:
    """The token of the link printed at start (new at each start)."""
    return secrets.token_urlsafe(32)


def language_choice(value: str) -> Language | None:
    return next((language for language in LANGUAGES if language == value), None)
