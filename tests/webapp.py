"""The web app for tests: an app on a workspace, a browser-like client logged in to it, the
real server (uvicorn) in a thread, and a real browser (Debian's Chromium) to check pages with.

    from webapp import PageChecks, chromium, logged_in, serving, session_as

    client = logged_in(create_app(root, token=TOKEN))   # Starlette's TestClient, with a session
    board = session_as(client(app), Account("bodil", "board"))  # a session of an account
    with serving(root) as server, chromium() as browser:
        page = browser.new_page()
        checks = PageChecks(page)
        page.goto(server.link)                          # the token link, as printed
        checks.check("01-overview")                     # screenshot + axe-core
"""

from __future__ import annotations

import html
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from lettersmith.app.access import Account
from lettersmith.translate import Language
from lettersmith.web.app import create_app
from lettersmith.web.security import CSRF_HEADER
from lettersmith.web.serve import server_config, warm_up_in_background

TOKEN = "test-token-0123456789"
PASSWORD = "a long test password 0123"  # the accounts session_as adds
PORT = 8400
BASE = f"http://127.0.0.1:{PORT}"


def client(
    app: Starlette, *, raise_server_exceptions: bool = True, address: str = "testclient"
) -> TestClient:
    """A client that is not logged in, naming the loopback host and port the app expects.
    With ``raise_server_exceptions=False`` it sees a bug's 500 page as a browser would;
    ``address`` is the client's address the app sees."""
    return TestClient(
        app,
        base_url=BASE,
        follow_redirects=False,
        raise_server_exceptions=raise_server_exceptions,
        client=(address, 50000),
    )


def logged_in(
    app: Starlette, token: str = TOKEN, *, raise_server_exceptions: bool = True
) -> TestClient:
    """A client that opened the token link: it holds the session cookie."""
    browser = client(app, raise_server_exceptions=raise_server_exceptions)
    answer = browser.get(f"/?token={token}")
    assert answer.status_code == 303, answer.text
    return browser


def log_in(browser: TestClient, name: str, password: str, **form: str) -> Any:
    """Log in through the login form, as a person does (the form's page first, for its
    cookie and token); the answer to the form (303 on success)."""
    page = browser.get("/login")
    assert page.status_code == 200, page.text
    data = {"csrf_token": csrf_of(page.text), "name": name, "password": password, **form}
    return browser.post("/login", data=data)


def logged_in_as(app: Starlette, name: str, password: str) -> TestClient:
    """A client logged in to a union's server with this account."""
    browser = client(app)
    answer = log_in(browser, name, password)
    assert answer.status_code == 303, answer.text
    return browser


def session_as(browser: TestClient, account: Account | None) -> TestClient:
    """``browser`` holding a session of ``account`` (None: the workspace's own computer, as
    the token link logs it in while no account exists), started on the server as a login
    starts one (the account is added to the workspace first if it is not there, with
    ``PASSWORD``), its cookie set as the login's answer sets it. The session's CSRF token is
    in ``browser.headers`` (as htmx sends it), so a POST carries it unless the test takes it
    out."""
    app = browser.app  # type: ignore[attr-defined]
    session_id, csrf = account_session(app, account)
    browser.cookies.set(app.state.sessions.cookie, session_id)
    browser.headers[CSRF_HEADER] = csrf
    return browser


def account_session(app: Starlette, account: Account | None) -> tuple[str, str]:
    """A new session of ``account`` on ``app`` (the account added to its workspace first if
    it is not there, with ``PASSWORD``): its id (the cookie's value) and CSRF token."""
    if account is not None:
        project = app.state.project.acting_as(None)
        if not project.has_accounts() or account not in project.users():
            project.add_user(account.name, account.role, PASSWORD)
    session_id, session = app.state.sessions.start(account)
    return session_id, session.csrf


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms (every form that changes something carries it)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def form_of(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to ``action``: what the browser would send."""
    found = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no form to {action}"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(1))
    return {name: html.unescape(value) for name, value in fields}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    port: int
    token: str
    app: Starlette | None = None  # the app it serves (a test starts an account's session on it)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def link(self) -> str:
        return f"{self.base}/?token={self.token}"


@contextmanager
def serving(
    root: Path,
    token: str = TOKEN,
    log_level: str = "warning",
    trust_proxy: str | None = None,
    language: Language = "nb",
) -> Iterator[Server]:
    """The real server (uvicorn, configured as ``lettersmith serve`` does) on a free port in a
    thread, stopped at the end; its renderer warmed in the background as ``serve`` does.
    ``trust_proxy`` as ``serve --trust-proxy`` gives it; ``language``: the server's default."""
    port = free_port()
    app = create_app(root, token=token, port=port, language=language)
    warm_up_in_background(root)
    config = server_config(app, log_level=log_level, trust_proxy=trust_proxy)
    config.host, config.port = "127.0.0.1", port
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Server(port, token, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "web"


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright; the test is skipped without it, unless CI is set."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set, and Debian's chromium is missing (apt install chromium)")
        pytest.skip("needs Debian's chromium package (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class PageChecks:
    """For each page seen: a screenshot in tests/artifacts/web/NAME.png (to look at) and
    axe-core, which must find no serious or critical violation; the console's messages (a
    Content-Security-Policy complaint shows there)."""

    def __init__(self, page: Any) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.page = page
        self.axe = Axe()
        self.seen: list[str] = []
        self.console: list[str] = []
        page.on("console", lambda message: self.console.append(message.text))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def check(self, name: str) -> None:
        self.page.wait_for_load_state("load")
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        results = self.axe.run(self.page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], f"{name}: {bad}"
        self.seen.append(name)

    @property
    def blocked(self) -> list[str]:
        return [text for text in self.console if "Content Security Policy" in text]
