"""The web app for tests: an app on a workspace, a browser-like client logged in to it, and
the real server (uvicorn) in a thread for a real browser.

    from webapp import logged_in, serving

    client = logged_in(create_app(root, token=TOKEN))   # Starlette's TestClient, with a session
    with serving(root) as server:                       # uvicorn on a free port
        page.goto(server.link)                          # the token link, as printed
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient

from lettersmith.web.app import create_app

TOKEN = "test-token-0123456789"
PORT = 8400
BASE = f"http://127.0.0.1:{PORT}"


def client(app: Starlette) -> TestClient:
    """A client that is not logged in, naming the loopback host and port the app expects."""
    return TestClient(app, base_url=BASE, follow_redirects=False)


def logged_in(app: Starlette, token: str = TOKEN) -> TestClient:
    """A client that opened the token link: it holds the session cookie."""
    browser = client(app)
    answer = browser.get(f"/?token={token}")
    assert answer.status_code == 303, answer.text
    return browser


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms (every form that changes something carries it)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    port: int
    token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def link(self) -> str:
        return f"{self.base}/?token={self.token}"


@contextmanager
def serving(root: Path, token: str = TOKEN) -> Iterator[Server]:
    """The real server (uvicorn) on a free port in a thread, stopped at the end."""
    port = free_port()
    app = create_app(root, token=token, port=port)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Server(port, token)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
