"""What a secretary reads when the mail server cannot be used: each failure by its own words.

Against real servers (aiosmtpd configured each way), a closed port and a name under
``.invalid`` (reserved: it never resolves).
"""

from __future__ import annotations

import errno
import socket
import ssl

import pytest
from click.testing import CliRunner

from conftest import SMTP_PASSWORD, SMTP_USER, point_mail_at
from lettersmith.cli import main
from lettersmith.deliver.connection import connection_problem
from lettersmith.deliver.smtp import Session
from lettersmith.errors import DeliveryError
from lettersmith.model import SmtpSettings
from lettersmith.translate import use_language
from workspaces import copy_example

LETTER = "menneskehandel-2024"
NOTHING = "nothing was sent"


def connect(smtp: SmtpSettings) -> str:
    with pytest.raises(DeliveryError) as caught, Session(smtp, timeout=10):
        pass
    return str(caught.value)


def send(root, monkeypatch, password: str | None = None):
    if password is not None:
        monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", password)
    return CliRunner().invoke(main, ["-w", str(root), "send", LETTER, "--yes"])


def test_no_such_server_name():
    message = connect(SmtpSettings("smtp.lettersmith.invalid", 587, "starttls"))
    assert message == (
        "smtp.lettersmith.invalid:587: cannot connect to the mail server: there is no server "
        "named smtp.lettersmith.invalid (the name is unknown to the internet's name service); "
        "check the spelling of mail.smtp.host and that this computer is online; nothing was sent"
    )


def test_nothing_answering_on_the_port(smtp_server):
    port = smtp_server.port
    smtp_server.stop()
    message = connect(SmtpSettings("127.0.0.1", port, "none"))
    assert message == (
        f"127.0.0.1:{port}: cannot connect to the mail server: nothing answers on port {port} at "
        "127.0.0.1 (connection refused); check mail.smtp.port (587 with security: starttls, or "
        "465 with security: ssl) and that the mail server is running; nothing was sent"
    )


def test_ssl_to_a_port_without_tls(smtp_server):
    message = connect(SmtpSettings("127.0.0.1", smtp_server.port, "ssl"))
    assert message.startswith(
        f"127.0.0.1:{smtp_server.port}: cannot connect to the mail server: the encryption could "
        "not be agreed ("
    )
    assert message.endswith(
        "): the port and the security setting do not match; check mail.smtp.port and "
        "mail.smtp.security (587 with security: starttls, or 465 with security: ssl); "
        "nothing was sent"
    )


def test_a_certificate_that_cannot_be_trusted(tls_server):
    message = connect(SmtpSettings(tls_server.host, tls_server.port, tls_server.security))
    assert message.startswith(
        f"127.0.0.1:{tls_server.port}: cannot connect to the mail server: the server's "
        "certificate cannot be trusted (self-signed certificate"
    )
    assert message.endswith(
        "); check that mail.smtp.host is the name the server's certificate is issued for (if "
        "your organisation runs its own certificate authority, point SSL_CERT_FILE at its "
        "certificate); nothing was sent"
    )


def test_a_username_for_a_server_without_login(tmp_path, smtp_server, monkeypatch):
    root = point_mail_at(copy_example(tmp_path / "ws"), smtp_server, SMTP_USER)
    result = send(root, monkeypatch, SMTP_PASSWORD)
    assert result.exit_code == 1
    assert (
        f"127.0.0.1:{smtp_server.port}: the server offers no login (it does not announce AUTH), "
        "but mail.smtp.username is set; a mail server on this computer or in your network often "
        "needs none: then remove username from mail.smtp; otherwise check mail.smtp.host and "
        "mail.smtp.port; nothing was sent\n"
    ) in result.output
    assert smtp_server.handler.mail_count == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_server_that_wants_a_login_none_given(tmp_path, smtp_auth_server, monkeypatch):
    root = point_mail_at(copy_example(tmp_path / "ws"), smtp_auth_server)
    result = send(root, monkeypatch)
    assert result.exit_code == 1
    assert (
        f"127.0.0.1:{smtp_auth_server.port}: the server wants a login before it takes mail "
        "(530 5.7.0 Authentication required); set mail.smtp.username and "
        "LETTERSMITH_SMTP_PASSWORD; the messages not yet sent were not sent, run the same "
        "command once it is set\n"
    ) in result.output
    assert smtp_auth_server.handler.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password(tmp_path, smtp_auth_server, monkeypatch):
    root = point_mail_at(copy_example(tmp_path / "ws"), smtp_auth_server, SMTP_USER)
    result = send(root, monkeypatch, "not-the-password")
    assert result.exit_code == 1
    assert (
        f"127.0.0.1:{smtp_auth_server.port}: the server refused the login for "
        "'post@example.org': the user name or the password is wrong (535 5.7.8 Authentication "
        "credentials invalid); check LETTERSMITH_SMTP_PASSWORD and mail.smtp.username; "
        "nothing was sent\n"
    ) in result.output
    assert "not-the-password" not in result.output


def test_a_refused_sender_stops_the_batch(mail_workspace, smtp_server, monkeypatch):
    smtp_server.handler.mail_reply = "550 5.7.1 Sender address rejected: not owned by user"
    result = send(mail_workspace, monkeypatch)
    assert result.exit_code == 1
    assert (
        f"127.0.0.1:{smtp_server.port}: the server refused the sender post@example.org (550 "
        "5.7.1 Sender address rejected: not owned by user); mail.from must be an address this "
        "server lets you send from (as a rule the address you log in with); the messages not "
        "yet sent were not sent, run the same command once mail.from is changed\n"
    ) in result.output
    assert smtp_server.handler.mail_count == 1  # not tried again for every recipient
    smtp_server.handler.healthy()
    again = send(mail_workspace, monkeypatch)
    assert again.exit_code == 0, again.output
    assert len(smtp_server.handler.received) == 3


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "there is no server"),
        (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "nothing answers"),
        (TimeoutError("timed out"), "no answer from the server in time"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER]"), "the encryption could not be agreed"),
    ],
)
def test_the_connection_part_serves_the_inbox_too(error, words):
    message = connection_problem(error, "imap.example.org", 993, "nothing was read", "mail.imap")
    assert message.startswith(f"imap.example.org:993: cannot connect to the mail server: {words}")
    assert message.endswith("; nothing was read")
    assert "mail.smtp" not in message and "smtp" not in message.lower()


def test_the_messages_speak_bokmaal():
    with use_language("nb"):
        message = connection_problem(
            ConnectionRefusedError(errno.ECONNREFUSED, "refused"), "smtp.x.no", 587, "x"
        )
    assert message.startswith("smtp.x.no:587: får ikke kontakt med e-postserveren: ")
    assert "ingenting svarer på port 587" in message
