"""Who is logged in: the sessions, their cookies, and the login form's CSRF token.

Two kinds of session, one interface (``Sessions``) for the guard, the pages and the tests:

- without accounts, the token link's: random ids held in this process only (a restart logs
  everyone out); one unused for ``SESSION_IDLE`` seconds is forgotten;
- with accounts, an account's: the engine's (``Project.start_session`` and the rest), stored
  in ``.lettersmith/``, so it survives a restart and ends at logout, at a password change and
  when the account is removed.

Cookies are HttpOnly (no script reads them), ``SameSite=Strict`` (a browser sends them with
no request another site starts, a link from an email included: that opens the login page,
which is one login more, against a whole class of cross-site requests) and ``Secure`` when
the request came over HTTPS.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from starlette.requests import Request

from lettersmith.app.access import Account
from lettersmith.translate import Language

SESSION_IDLE = 12 * 60 * 60  # seconds a session may go unused before it is forgotten


@dataclass
class Session:
    """One logged-in browser: its CSRF token, the language it chose, and whose it is (None:
    the browser of the workspace's own computer, logged in by the one-time link)."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    language: Language = "nb"
    used: float = 0.0  # the clock at its last request
    account: Account | None = None
    id: str = ""  # the session id (the cookie's value)


class StoredSession(Protocol):
    """A session as the engine keeps it (``Project.start_session``, ``find_session``)."""

    @property
    def id(self) -> str: ...
    @property
    def account(self) -> Account: ...
    @property
    def csrf(self) -> str: ...
    @property
    def language(self) -> Language: ...


class SessionStore(Protocol):
    """The engine's accounts and their sessions: the part of ``Project`` the guard uses."""

    def has_accounts(self) -> bool: ...
    def start_session(self, account: Account, *, language: Language) -> StoredSession: ...
    def find_session(self, session_id: str) -> StoredSession | None: ...
    def end_session(self, session_id: str) -> None: ...
    def set_session_language(self, session_id: str, language: Language) -> None: ...


class Sessions:
    """The logged-in browsers, by random session id; safe to use from any thread.

    With ``store`` (the project) and accounts in it, a session is the engine's stored
    session of an account; without accounts, one held here, started by the token link.
    The guard, the pages and the tests use only this class, whichever way applies.
    """

    def __init__(
        self, token: str, cookie: str, language: Language, store: SessionStore | None = None
    ) -> None:
        self._token = token
        self.cookie = cookie
        self.login_cookie = f"{cookie}-login"  # the login form's own CSRF cookie
        self.language = language
        self.store = store
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()
        self._login_secret = secrets.token_bytes(32)
        self.clock = time.monotonic

    def accounts(self) -> bool:
        """Whether accounts exist: then only a login gets in (asked at each request)."""
        return self.store is not None and self.store.has_accounts()

    def token_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._token.encode())

    def start(self, account: Account | None = None) -> tuple[str, Session]:
        """A new session, with a new id: once accounts exist, an account's, stored by the
        engine; before, one held in this process (the token link's, ``account`` None)."""
        if account is not None and self.accounts():
            assert self.store is not None
            started = self.store.start_session(account, language=self.language)
            return started.id, self._from_store(started)
        session_id = secrets.token_urlsafe(32)
        session = Session(language=self.language, used=self.clock(), account=account, id=session_id)
        with self._lock:
            self._forget_idle()
            self._by_id[session_id] = session
        return session_id, session

    def find(self, session_id: str | None, *, accounts: bool | None = None) -> Session | None:
        """The live session of this id, marked as used now (None: unknown, ended or idle too
        long). Once accounts exist, only an account's stored session counts: a token link's
        session from before is no longer a way in. (``accounts``: ``accounts()`` if the
        caller asked it already for this request.)"""
        if not session_id:
            return None
        if self.accounts() if accounts is None else accounts:
            assert self.store is not None
            started = self.store.find_session(session_id)
            return None if started is None else self._from_store(started)
        with self._lock:
            self._forget_idle()
            session = self._by_id.get(session_id)
            if session is not None:
                session.used = self.clock()
            return session

    def end(self, session_id: str | None) -> None:
        """End the session of this id (logout, a new login over it); unknown ids are ignored."""
        if not session_id:
            return
        with self._lock:
            self._by_id.pop(session_id, None)
        if self.store is not None and self.accounts():
            self.store.end_session(session_id)

    def choose_language(self, session: Session, language: Language) -> None:
        """Keep the language a person chose for the rest of their session."""
        session.language = language
        if session.account is not None and self.store is not None:
            self.store.set_session_language(session.id, language)

    def _from_store(self, started: StoredSession) -> Session:
        return Session(
            csrf=started.csrf,
            language=started.language,
            used=self.clock(),
            account=started.account,
            id=started.id,
        )

    def _forget_idle(self) -> None:
        oldest = self.clock() - SESSION_IDLE
        for idle in [key for key, session in self._by_id.items() if session.used < oldest]:
            del self._by_id[idle]

    def cookie_header(self, session_id: str, *, secure: bool = False) -> str:
        """The session cookie: never readable by scripts, never sent with a request another
        site starts, and over HTTPS only when the request came over HTTPS."""
        return _cookie(self.cookie, session_id, secure=secure)

    def ended_cookie_header(self, *, secure: bool = False) -> str:
        return _cookie(self.cookie, "", secure=secure, max_age=0)

    # The login form's CSRF token: a random value in a cookie set with the form, and its
    # HMAC (under a key of this process) in the form. A page elsewhere can neither read the
    # cookie nor make the HMAC of one it planted.

    def login_cookie_header(self, nonce: str, *, secure: bool = False) -> str:
        return _cookie(self.login_cookie, nonce, secure=secure)

    def ended_login_cookie_header(self, *, secure: bool = False) -> str:
        return _cookie(self.login_cookie, "", secure=secure, max_age=0)

    def login_token(self, nonce: str) -> str:
        digest = hmac.new(self._login_secret, nonce.encode(), "sha256").digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _cookie(name: str, value: str, *, secure: bool, max_age: int | None = None) -> str:
    parts = [f"{name}={value}", "HttpOnly", "SameSite=Strict", "Path=/"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def session_of(request: Request) -> Session:
    """The request's session (the guard let the request through only with one)."""
    session = request.scope.get("lettersmith.session")
    assert isinstance(session, Session)
    return session


def is_https(scope: Mapping[str, Any]) -> bool:
    """Whether the request came over HTTPS, as uvicorn sees it (behind ``--trust-proxy``,
    as the proxy says with X-Forwarded-Proto)."""
    return scope.get("scheme") == "https"


def local_path(text: str, default: str = "/") -> str:
    """``text`` if it is a path on this server (``/letters/x?club=y``), else ``default``: a
    redirect to where a form says never leads to another site (``//evil.example``,
    ``https:...``, ``/\\evil.example``)."""
    if (
        not text.startswith("/")
        or text.startswith("//")
        or "\\" in text
        or any(ord(char) < 32 or ord(char) == 127 for char in text)
    ):
        return default
    return text
