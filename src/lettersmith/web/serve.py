"""``lettersmith serve``: the web app, on this computer (a one-time link logs in) or, once the
workspace has accounts, on a union's server (everyone logs in at ``/login``).

The port is bound before the link is printed, so a port in use is a clear message and the
link printed always works. uvicorn says nothing but warnings: the one line a person needs
is the link.

Beyond this computer (``--host`` other than loopback, ``--public-url``, ``--trust-proxy``)
only with an admin account: without accounts the app has no login, and anyone who found the
port would need only the link. ``--public-url`` names the addresses people type (the Host
check accepts them, so a name another site points here is still refused); ``--trust-proxy``
lets uvicorn take the client's address and scheme from the reverse proxy's X-Forwarded-For
and X-Forwarded-Proto, from that proxy's address only (never from anyone else, who could
send them to pass for another address or for HTTPS).
"""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette

from lettersmith.addresses import is_loopback
from lettersmith.app import draft
from lettersmith.app.project import Project
from lettersmith.app.results import BadArgument
from lettersmith.errors import LettersmithError
from lettersmith.translate import Language, _
from lettersmith.web.app import create_app
from lettersmith.web.security import new_token


def refuse_open_host(
    project: Project, host: str, public_urls: Sequence[str] = (), trust_proxy: str | None = None
) -> None:
    """Listening where other computers reach the app (``--host`` beyond loopback, or behind a
    proxy: ``--public-url``, ``--trust-proxy``) needs an admin account: without accounts the
    app has no login at all, and without an admin no one can manage the accounts there are."""
    if is_loopback(host) and not public_urls and trust_proxy is None:
        return
    if project.has_admin():
        return
    option = (
        f"--host {host}"
        if not is_loopback(host)
        else f"--public-url {public_urls[0]}"
        if public_urls
        else "--trust-proxy"
    )
    raise LettersmithError(
        _(
            "{option}: other computers would reach the web app, and this workspace has no "
            "admin account yet; create one with `lettersmith users add NAME --role admin` "
            "(then everyone logs in with a name and password), or leave the option out to "
            "use the app on this computer only"
        ).format(option=option)
    )


def public_hosts(urls: Sequence[str]) -> frozenset[str]:
    """The Host headers a browser sends for each ``--public-url`` (``https://brev.example.no``
    gives ``brev.example.no`` and ``brev.example.no:443``)."""
    hosts: set[str] = set()
    for url in urls:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            parts, port = urlsplit(""), None
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or parts.username is not None
        ):
            raise BadArgument(
                "--public-url",
                _(
                    "{url}: not an address of the web app; give the scheme and the name as "
                    "people type it, with the port only if it is not the usual one, and no "
                    "path: --public-url https://brev.example.no"
                ).format(url=url),
            )
        name = link_host(parts.hostname)
        usual = 443 if parts.scheme == "https" else 80
        if port is None or port == usual:
            hosts |= {name, f"{name}:{usual}"}
        else:
            hosts.add(f"{name}:{port}")
    return frozenset(hosts)


def trusted_proxies(text: str) -> str:
    """``--trust-proxy``'s addresses as uvicorn takes them (comma-separated addresses or
    networks: ``127.0.0.1``, ``10.0.0.2,10.0.0.3``, ``10.0.0.0/24``)."""
    items = [item.strip() for item in text.split(",")]
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise BadArgument(
                "--trust-proxy",
                _(
                    "{item}: not an IP address; give the address the reverse proxy connects "
                    "from, such as 127.0.0.1 (the default) or 10.0.0.2"
                ).format(item=item),
            ) from None
    return ",".join(items)


def link_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(
    root: Path,
    *,
    host: str,
    port: int,
    open_browser: bool,
    language: Language = "nb",
    public_urls: Sequence[str] = (),
    trust_proxy: str | None = None,
) -> None:
    """Run the web app until Ctrl-C (a send under way finishes its batch first)."""
    project = Project.open(root)
    hosts = public_hosts(public_urls)
    proxies = trusted_proxies(trust_proxy) if trust_proxy is not None else None
    refuse_open_host(project, host, public_urls, proxies)
    token = new_token()
    app = create_app(root, token=token, language=language, port=port, host=host, public_hosts=hosts)
    listening = _bind(host, port)
    warm_up_in_background(root)
    if project.has_accounts():  # a union's server: everyone logs in, no token
        link = f"http://{link_host(host)}:{port}/login"
        links = [link, *(url.strip().rstrip("/") + "/login" for url in public_urls)]
        open_browser = open_browser and is_loopback(host)
    else:
        link = f"http://{link_host(host)}:{port}/?token={token}"
        links = [link]
    print("\n".join(f"Open {each}" for each in links), flush=True)
    server = uvicorn.Server(server_config(app, trust_proxy=proxies))
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


def server_config(
    app: Starlette, log_level: str = "warning", trust_proxy: str | None = None
) -> uvicorn.Config:
    """uvicorn as ``serve`` runs it (the tests' real server too).

    No access log: its lines would hold the token link's query string. X-Forwarded-For and
    X-Forwarded-Proto are trusted only with ``trust_proxy`` (``--trust-proxy``), and only from
    those addresses: without a proxy in front, anyone could send them. No Server header
    naming the software.
    """
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        proxy_headers=trust_proxy is not None,
        forwarded_allow_ips=trust_proxy if trust_proxy is not None else "",
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
        raise LettersmithError(bind_problem(host, port, error)) from None
    listening.listen(128)
    return listening


def bind_problem(host: str, port: int, error: OSError) -> str:
    """Why the app cannot listen on ``host``:``port``, and what to do: a port in use, an
    address this computer does not have (a typo in ``--host``, or the server's public address
    where the machine only has a private one), a port below 1024."""
    where = f"{link_host(host)}:{port}"
    reason = error.strerror or str(error)
    if error.errno == errno.EADDRINUSE:
        line = _(
            "{where}: {reason}; another program (or another lettersmith serve) uses this port: "
            "stop it, or choose another with --port"
        )
    elif error.errno == errno.EADDRNOTAVAIL or isinstance(error, socket.gaierror):
        line = _(
            "{where}: {reason}; this computer has no such address: give --host one of its own "
            "addresses (`ip -brief address` lists them), or 0.0.0.0 for all of them"
        )
    elif error.errno == errno.EACCES:
        line = _(
            "{where}: {reason}; only the system may listen on a port below 1024: choose "
            "another with --port (such as 8400), and let the web server in front use 443"
        )
    else:
        line = _("{where}: {reason}; the app cannot listen there")
    return line.format(where=where, reason=reason)


def _open_when_started(server: uvicorn.Server, link: str) -> None:
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.started and not webbrowser.open(link):
        print("(Could not open a browser: open the link above yourself.)", file=sys.stderr)
