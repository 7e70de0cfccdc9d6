"""Shared fixtures: a real SMTP server (aiosmtpd) on 127.0.0.1 that can be told to misbehave."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from workspaces import copy_example


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class FaultyHandler:
    """An SMTP server's behaviour. Message numbers count DATA commands from 1, over all sessions.

    - ``reply_451_on``: answer these messages' data with 451 (a temporary failure).
    - ``refuse``: addresses answered with 550 at RCPT TO.
    - ``mail_reply``: answer every MAIL FROM with this instead of accepting it.
    - ``close_after``: close the connection right after accepting this message.
    - ``drop_on``: keep this message, then drop the connection without replying.
    - ``pause_in``: ``(command, number)`` -> an Event; the server sets ``paused`` and waits for
      the event when that command of that message arrives (for killing the client there).
    """

    received: list[Received] = field(default_factory=list)
    reply_451_on: set[int] = field(default_factory=set)
    refuse: set[str] = field(default_factory=set)
    mail_reply: str | None = None
    close_after: int | None = None
    drop_on: set[int] = field(default_factory=set)
    pause_in: dict[tuple[str, int], threading.Event] = field(default_factory=dict)
    paused: threading.Event = field(default_factory=threading.Event)
    data_count: int = 0
    mail_count: int = 0

    def healthy(self) -> None:
        """Forget every fault; keep what was received."""
        self.reply_451_on.clear()
        self.refuse.clear()
        self.mail_reply = None
        self.close_after = None
        self.drop_on.clear()
        self.pause_in.clear()

    def to(self, address: str) -> list[Received]:
        return [message for message in self.received if address in message.rcpt_tos]

    async def _maybe_pause(self, command: str, number: int) -> None:
        event = self.pause_in.get((command, number))
        if event is not None:
            self.paused.set()
            await asyncio.get_running_loop().run_in_executor(None, event.wait)

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.mail_count += 1
        await self._maybe_pause("MAIL", self.mail_count)
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        number = self.data_count
        await self._maybe_pause("DATA", number)
        if number in self.reply_451_on:
            return "451 4.3.0 Try again later"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        if number in self.drop_on:
            server.transport.close()
            return "250 OK"  # never reaches the client
        if number == self.close_after:
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        return "250 2.0.0 Queued"


@dataclass
class SmtpServer:
    """A running aiosmtpd; ``stop()`` and ``start()`` again on the same port and handler."""

    handler: FaultyHandler
    options: dict = field(default_factory=dict)  # for aiosmtpd's SMTP: TLS, AUTH
    host: str = "127.0.0.1"
    port: int = field(default_factory=lambda: _free_port())
    logins: list[tuple[str, str]] = field(default_factory=list)
    security: str = "none"
    cafile: Path | None = None
    _controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname=self.host, port=self.port, **self.options
        )
        self._controller.start()

    def stop(self) -> None:
        for event in self.handler.pause_in.values():
            event.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


SMTP_USER = "post@example.org"
SMTP_PASSWORD = "hemmelig-passord-42"


@contextmanager
def _serving(server: SmtpServer):
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands speak the language LANG asks for: every test runs them in English (as a
    machine set to C would), whatever the machine running the tests is set to. A test of
    another language sets LANG itself."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def smtp_server():
    """A running aiosmtpd on 127.0.0.1 without STARTTLS; ``.handler`` sets its faults."""
    with _serving(SmtpServer(FaultyHandler())) as server:
        yield server


@pytest.fixture
def smtp_auth_server():
    """Like ``smtp_server``, but it wants a login (SMTP_USER, SMTP_PASSWORD) before mail."""
    logins: list[tuple[str, str]] = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        login = tuple(
            part.decode() if isinstance(part, bytes) else part
            for part in (auth_data.login, auth_data.password)
        )
        logins.append(login)
        return AuthResult(success=login == (SMTP_USER, SMTP_PASSWORD), handled=False)

    options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    with _serving(SmtpServer(FaultyHandler(), options, logins=logins)) as server:
        yield server


def point_mail_at(root: Path, server: SmtpServer, username: str | None = None) -> Path:
    """Rewrite the workspace's mail.smtp to talk to ``server`` in plain SMTP (it is local)."""
    config = root / "lettersmith.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("  smtp:\n")
    end = text.index("  rate:", start)
    smtp = f"  smtp:\n    host: {server.host}\n    port: {server.port}\n    security: none\n"
    if username:
        smtp += f"    username: {username}\n"
    config.write_text(text[:start] + smtp + text[end:], encoding="utf-8")
    return root


@pytest.fixture
def mail_workspace(tmp_path, smtp_server) -> Path:
    """A copy of the example workspace whose mail goes to ``smtp_server``."""
    return point_mail_at(copy_example(tmp_path / "ws"), smtp_server)


@pytest.fixture
def required(mail_workspace: Path) -> Path:
    """The mail workspace with ``approval: required``."""
    with (mail_workspace / "lettersmith.yaml").open("a", encoding="utf-8") as file:
        file.write("\napproval: required\n")
    return mail_workspace


@pytest.fixture
def send_killed_in():
    """``send letter --yes`` in a process of its own, killed (SIGKILL) while the server holds
    its ``number``th ``command`` (MAIL, DATA); the server then finishes what it had (after
    DATA it keeps the message) and is healthy again."""

    def kill(root: Path, server: SmtpServer, letter: str, command: str, number: int) -> None:
        release = threading.Event()
        server.handler.pause_in[(command, number)] = release
        process = subprocess.Popen(
            [sys.executable, "-m", "lettersmith", "-w", str(root), "send", letter, "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            assert server.handler.paused.wait(timeout=120), process.communicate()[0]
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            release.set()
        server.handler.healthy()

    return kill


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(request, tls_files):
    """A server speaking STARTTLS or implicit TLS with the self-signed certificate;
    ``.security`` says which, ``.cafile`` is the certificate a client must trust."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if request.param == "starttls":
        options = {"tls_context": context, "require_starttls": True}
    else:
        options = {"ssl_context": context}
    server = SmtpServer(FaultyHandler(), options, security=request.param, cafile=cert)
    with _serving(server):
        yield server


@pytest.fixture
def dovecot():
    """A running Dovecot on 127.0.0.1 without TLS, its Maildir empty (see tests/dovecot.py)."""
    import dovecot as imap_server

    imap_server.require()
    server = imap_server.make()
    try:
        server.start()
        yield server
    finally:
        imap_server.remove(server)


def point_imap_at(root: Path, server, folder: str = "INBOX") -> Path:
    """Add mail.imap to the workspace's lettersmith.yaml, pointing at ``server`` (no TLS)."""
    config = root / "lettersmith.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("  rate:")
    imap = (
        f"  imap:\n    host: 127.0.0.1\n    port: {server.port}\n    security: none\n"
        f"    username: {server.user}\n    folder: {folder}\n"
    )
    config.write_text(text[:start] + imap + text[start:], encoding="utf-8")
    return root


@pytest.fixture
def dovecot_tls(tls_files):
    """A running Dovecot offering STARTTLS on ``.port`` and implicit TLS on ``.ssl_port``, with
    the self-signed certificate for 127.0.0.1 of ``tls_files`` (``.cafile`` trusts it)."""
    import dovecot as imap_server

    imap_server.require()
    server = imap_server.make(tls=tls_files)
    server.cafile = tls_files[0]
    try:
        server.start()
        yield server
    finally:
        imap_server.remove(server)
