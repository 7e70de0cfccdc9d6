"""What went wrong reaching a mail server, in words a secretary can act on.

Sending (SMTP) and reading the inbox (IMAP) meet the same failures before either protocol has
said a word: a server name that does not exist, nothing answering on the port, a port that
speaks TLS to a client that does not (or the other way round), a certificate that cannot be
trusted, no answer at all. :func:`connection_problem` names each of them, with the setting to
look at; the protocols add their own (a login refused, a sender refused) where they meet them.
"""

from __future__ import annotations

import errno
import socket
import ssl

from lettersmith.translate import N_, _

# Ports people mix up, and what each is for.
PORT_HINTS = {
    "mail.smtp": N_("587 with security: starttls, or 465 with security: ssl"),
    "mail.imap": N_("993 with security: ssl, or 143 with security: starttls"),
}


def connection_problem(
    error: BaseException, host: str, port: int, doing: str, setting: str = "mail.smtp"
) -> str:
    """``host:port: cannot connect to the mail server ...: why; what to check``.

    ``doing`` says what we were about ("nothing was sent", "nothing was read"); ``setting``
    names the settings to check (``mail.smtp`` or ``mail.imap``).
    """
    where = f"{host}:{port}"
    ports = _(PORT_HINTS.get(setting, PORT_HINTS["mail.smtp"]))
    if isinstance(error, socket.gaierror) or _errno(error) in _NO_NAME:
        why = _(
            "there is no server named {host} (the name is unknown to the internet's name "
            "service); check the spelling of {setting}.host and that this computer is online"
        ).format(host=host, setting=setting)
    elif isinstance(error, ConnectionRefusedError) or _errno(error) == errno.ECONNREFUSED:
        why = _(
            "nothing answers on port {port} at {host} (connection refused); check "
            "{setting}.port ({ports}) and that the mail server is running"
        ).format(port=port, host=host, setting=setting, ports=ports)
    elif isinstance(error, ssl.SSLCertVerificationError):
        why = _(
            "the server's certificate cannot be trusted ({reason}); check that {setting}.host "
            "is the name the server's certificate is issued for (if your organisation runs its "
            "own certificate authority, point SSL_CERT_FILE at its certificate)"
        ).format(reason=error.verify_message or getattr(error, "reason", None), setting=setting)
    elif isinstance(error, ssl.SSLError):
        why = _(
            "the encryption could not be agreed ({reason}): the port and the security setting "
            "do not match; check {setting}.port and {setting}.security ({ports})"
        ).format(reason=getattr(error, "reason", None) or error, setting=setting, ports=ports)
    elif isinstance(error, TimeoutError | socket.timeout):
        why = _(
            "no answer from the server in time; check {setting}.host and {setting}.port "
            "({ports}), or a firewall between this computer and the server"
        ).format(setting=setting, ports=ports)
    else:
        why = f"{error or type(error).__name__}"
    return _("{where}: cannot connect to the mail server: {why}; {doing}").format(
        where=where, why=why, doing=doing
    )


_NO_NAME = {getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)}


def _errno(error: BaseException) -> int | None:
    return getattr(error, "errno", None)
