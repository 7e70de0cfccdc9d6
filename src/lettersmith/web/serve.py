"""``lettersmith serve``: the web app on this computer, logged into by a one-time link.

The port is bound before the link is printed, so a port in use is a clear message and the
link printed always works. uvicorn says nothing but warnings: the one line a person needs
is the link.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path

import uvicorn

from lettersmith.addresses import is_loopback
from lettersmith.app.results import BadArgument
from lettersmith.errors import LettersmithError
from lettersmith.translate import Language
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
    link = f"http://{link_host(host)}:{port}/?token={token}"
    print(f"Open {link}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, link), daemon=True).start()
    try:
        server.run(sockets=[listening])
    finally:
        app.state.jobs.wait()


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
