"""``lettersmith serve``: the web app on this computer, logged into by a one-time link.

The port is bound before the link is printed, so a port in use is a clear message and the
link printed always works. uvicorn says nothing but warnings: the one line a person needs
is the link.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from lettersmith.addresses import is_loopback
from lettersmith.app import draft
from lettersmith.app.results import BadArgument
from lettersmith.errors import LettersmithError
from lettersmith.translate import Language, _
from lettersmith.web.app import create_app
from lettersmith.web.security import new_token


def refuse_open_host(host: str) -> None:
    """``--host`` naming an address other computers can reach is refused while no account
    exists (accounts come later): anyone on the network who found the port could use it."""
    if not is_loopback(host):
        raise BadArgument(
            "--host",
            f"{host}: the web app listens only on this computer (127.0.0.1, localhost, ::1) "
            "until accounts exist; leave out --host",
        )


def link_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(
    root: Path, *, host: str, port: int, open_browser: bool, language: Language = "nb"
) -> None:
    """Run the web app until Ctrl-C (a send under way finishes its batch first)."""
    refuse_open_host(host)
    token = new_token()
    app = create_app(root, token=token, language=language, port=port, host=host)
    listening = _bind(host, port)
    warm_up_in_background(root)
    link = f"http://{link_host(host)}:{port}/?token={token}"
    print(f"Open {link}", flush=True)
    server = uvicorn.Server(server_config(app))
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, link), daemon=True).start()
    # uvicorn stops on SIGTERM, then raises the signal again: with the default action the
    # process would die there, killing a send in the middle of a message. Raised as an
    # exception instead, it leaves run() and the send under way finishes first.
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.run(sockets=[listening])
    except _Stopped:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if app.state.jobs.running():
            print(_("Stopping: the send under way finishes first."), file=sys.stderr, flush=True)
        app.state.jobs.wait()


class _Stopped(Exception):
    """SIGTERM (a system shutdown, ``kill``): stop as Ctrl-C does."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def server_config(app: Starlette, log_level: str = "warning") -> uvicorn.Config:
    """uvicorn as ``serve`` runs it (the tests' real server too).

    No access log: its lines would hold the token link's query string. No trust in
    X-Forwarded-* headers (no proxy stands in front of a local app; a page could send them).
    No Server header naming the software.
    """
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        lifespan="off",
    )


def warm_up_in_background(root: Path) -> threading.Thread:
    """Draw one preview in a thread while the server starts: the first preview a person asks
    for then takes a fraction of a second, not the two seconds WeasyPrint needs to load its
    fonts the first time. The server does not wait for it."""
    thread = threading.Thread(target=draft.warm_up, args=(root,), name="warm-up", daemon=True)
    thread.start()
    return thread


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host.strip("[]"), port))
    except OSError as error:
        listening.close()
        raise LettersmithError(
            f"{link_host(host)}:{port}: {error.strerror or error}; another program (or another "
            "lettersmith serve) uses this port: stop it, or choose another with --port"
        ) from None
    listening.listen(128)
    return listening


def _open_when_started(server: uvicorn.Server, link: str) -> None:
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.started and not webbrowser.open(link):
        print("(Could not open a browser: open the link above yourself.)", file=sys.stderr)
