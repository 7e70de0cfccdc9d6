"""The SMTP session: one connection for a batch, reopened when it drops, with a rate limit.

What matters most is telling apart a failure *before* the message data went out (safe to
try again) from one *after* (the server may have the message: the outcome is ``unknown``
and it must not be sent again without a person checking). That is why the DATA phase is
driven by hand rather than through ``smtplib.SMTP.sendmail``.
"""

from __future__ import annotations

import base64
import collections
import os
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, NoReturn

from lettersmith.addresses import is_loopback
from lettersmith.deliver.connection import connection_problem
from lettersmith.deliver.message import Outgoing
from lettersmith.errors import DeliveryError
from lettersmith.model import Rate, SmtpSettings
from lettersmith.translate import _

PASSWORD_VARIABLE = "LETTERSMITH_SMTP_PASSWORD"
RETRY_DELAYS: tuple[float, ...] = (5.0, 20.0, 60.0)  # after a 4xx reply; then "deferred"
RECONNECTS = 3  # connection lost before the data went out: reopen and try again this often


@dataclass(frozen=True)
class Outcome:
    state: Literal["sent", "deferred", "failed", "unknown"]
    reply: str


class _Reply(Exception):
    """The server answered a command with something other than success."""

    def __init__(self, code: int, text: bytes | str):
        self.code = code
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self.text = f"{code} {' '.join(text.split())}"
        super().__init__(self.text)


class _ConnectionLost(Exception):
    """The connection broke before any of the message data was transmitted."""


def check_settings(smtp: SmtpSettings | None, where: str = "lettersmith.yaml") -> SmtpSettings:
    """Refuse settings that cannot be used safely, before anything is built or connected."""
    if smtp is None:
        raise DeliveryError(
            _(
                "{where}: mail.smtp is missing; add host, port and security to send by "
                "email (or use --dry-run to write the messages as .eml files)"
            ).format(where=where)
        )
    if smtp.security == "none" and not is_loopback(smtp.host):
        raise DeliveryError(
            _(
                "{where}: mail.smtp.security: none sends letters and password "
                "unencrypted; it is allowed only to this machine (localhost), not to "
                "{host}. Use starttls (port 587) or ssl (port 465)"
            ).format(where=where, host=smtp.host)
        )
    if smtp.username and not os.environ.get(PASSWORD_VARIABLE):
        raise DeliveryError(
            _(
                "{where}: mail.smtp.username is {username!r} but {variable} is "
                "not set; set it in the environment (never in a file) and run the "
                "command again"
            ).format(where=where, username=smtp.username, variable=PASSWORD_VARIABLE)
        )
    return smtp


class Session:
    """One SMTP connection serving a whole batch. Use as a context manager."""

    def __init__(
        self,
        smtp: SmtpSettings,
        *,
        rate: Rate | None = None,
        retry_delays: Sequence[float] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        tls_context: ssl.SSLContext | None = None,
        timeout: float = 60.0,
    ):
        self.smtp = check_settings(smtp)
        self.where = f"{smtp.host}:{smtp.port}"
        self._rate = rate
        self._recent: collections.deque[float] = collections.deque()
        self._retry_delays = tuple(RETRY_DELAYS if retry_delays is None else retry_delays)
        self._sleep = sleep
        self._clock = clock
        self._tls = tls_context
        self._timeout = timeout
        self._conn: smtplib.SMTP | None = None
        # True from the moment message data goes out until the server's answer to it is read:
        # a stop in that window (Ctrl-C) leaves the server perhaps holding the message.
        self.awaiting_reply = False

    def __enter__(self) -> Session:
        self._connect()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if exc_type is None:
            self.close()
        else:  # maybe in the middle of DATA: a QUIT now could end up inside the message
            self._drop()

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def send(self, out: Outgoing, before_data: Callable[[], None]) -> Outcome:
        """Deliver one message; ``before_data`` runs (and must commit) just before DATA.

        Raises DeliveryError only when the server cannot be reached again at all, or keeps
        answering 421 (closing down) through every retry; it has not taken the message then.
        """
        reconnects = 0
        retry = 0
        while True:
            self._wait_for_rate()
            try:
                return self._attempt(out, before_data)
            except _ConnectionLost as lost:
                reconnects += 1
                if reconnects > RECONNECTS:
                    return Outcome(
                        "deferred", _("connection lost before sending: {lost}").format(lost=lost)
                    )
                self._connect()
            except _Reply as reply:
                if reply.code >= 500:
                    return Outcome("failed", reply.text)
                if retry >= len(self._retry_delays):
                    if reply.code == 421:  # closing down, for the next messages too: stop here
                        raise DeliveryError(
                            _(
                                "{where}: the server keeps closing the connection ({text}); "
                                "try again later"
                            ).format(where=self.where, text=reply.text)
                        ) from None
                    return Outcome("deferred", reply.text)
                self._sleep(self._retry_delays[retry])
                retry += 1

    # ----------------------------------------------------------------- one attempt

    def _attempt(self, out: Outgoing, before_data: Callable[[], None]) -> Outcome:
        self.awaiting_reply = False
        if self._conn is None:
            self._connect()
        conn = self._conn
        assert conn is not None  # _connect sets it or raises
        try:
            self._sender_accepted(conn.mail(out.mail_from), out.mail_from, conn)
            self._expect_success(conn.rcpt(out.rcpt_to[0]), conn)
            refused = []
            for archive in out.rcpt_to[1:]:
                code, text = conn.rcpt(archive)
                if code not in (250, 251):
                    refused.append(
                        _("archive copy to {archive} refused: {reply}").format(
                            archive=archive, reply=_Reply(code, text)
                        )
                    )
            before_data()
            code, text = conn.docmd("data")
            if code != 354:
                self._abandon(code, text, conn)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            raise _ConnectionLost(str(error) or type(error).__name__) from None

        # From here on the server may end up with the message whatever happens.
        try:
            self.awaiting_reply = True
            conn.send(_dot_stuffed(out.data))
            code, text = conn.getreply()
            self.awaiting_reply = False
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._drop()
            return Outcome(
                "unknown",
                _(
                    "connection lost after the message was transmitted, before the server "
                    "confirmed it ({error}): it may have arrived"
                ).format(error=error or type(error).__name__),
            )
        if not 200 <= code < 300:
            raise _Reply(code, text)
        return Outcome("sent", "; ".join([str(_Reply(code, text)), *refused]))

    def _expect_success(self, reply: tuple[int, bytes], conn: smtplib.SMTP) -> None:
        code, text = reply
        if not 200 <= code < 300:
            self._abandon(code, text, conn)

    def _sender_accepted(self, reply: tuple[int, bytes], sender: str, conn: smtplib.SMTP) -> None:
        """MAIL FROM: a lasting refusal concerns every message (one sender), so the batch stops
        with what to change, instead of failing each recipient in turn."""
        code, text = reply
        if 200 <= code < 300:
            return
        if code < 500:
            self._abandon(code, text, conn)
        self._drop()
        answer = _Reply(code, text)
        if code == 530 or "5.7.0" in answer.text or "auth" in answer.text.lower():
            message = _(
                "{where}: the server wants a login before it takes mail ({reply}); set "
                "mail.smtp.username and {variable}; the messages not yet sent were not sent, "
                "run the same command once it is set"
            )
        else:
            message = _(
                "{where}: the server refused the sender {sender} ({reply}); mail.from must be "
                "an address this server lets you send from (as a rule the address you log in "
                "with); the messages not yet sent were not sent, run the same command once "
                "mail.from is changed"
            )
        raise DeliveryError(
            message.format(
                where=self.where, reply=answer, variable=PASSWORD_VARIABLE, sender=sender
            )
        )

    def _abandon(self, code: int, text: bytes, conn: smtplib.SMTP) -> NoReturn:
        """End the refused transaction so the connection can serve the next message."""
        if code == 421:  # the server is closing the connection
            self._drop()
        else:
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self._drop()
        raise _Reply(code, text)

    # ----------------------------------------------------------------- connection

    def _connect(self) -> None:
        self._drop()
        smtp = self.smtp
        context = self._tls or ssl.create_default_context()
        nothing_sent = _("nothing was sent")
        try:
            if smtp.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=self._timeout, context=context
                )
            else:
                conn = smtplib.SMTP(smtp.host, smtp.port, timeout=self._timeout)
            conn.ehlo()
            if smtp.security == "starttls":
                if not conn.has_extn("starttls"):
                    conn.close()
                    raise DeliveryError(
                        _(
                            "{where}: the server does not offer STARTTLS, so the letters and "
                            "password would travel unencrypted; nothing was sent. Check mail.smtp "
                            "(port 587 with starttls, or port 465 with security: ssl)"
                        ).format(where=self.where)
                    )
                conn.starttls(context=context)
                conn.ehlo()
            if smtp.username:
                _login(conn, smtp.username, os.environ.get(PASSWORD_VARIABLE, ""), self.where)
        except smtplib.SMTPNotSupportedError:  # AUTH not offered, though a username is set
            raise DeliveryError(
                _(
                    "{where}: the server offers no login (it does not announce AUTH), but "
                    "mail.smtp.username is set; a mail server on this computer or in your "
                    "network often needs none: then remove username from mail.smtp; otherwise "
                    "check mail.smtp.host and mail.smtp.port; {outcome}"
                ).format(where=self.where, outcome=nothing_sent)
            ) from None
        except smtplib.SMTPAuthenticationError as error:
            reply = _Reply(error.smtp_code, error.smtp_error)
            if error.smtp_code == 535:
                why = _(
                    "{where}: the server refused the login for {user!r}: the user name or the "
                    "password is wrong ({reply}); check {variable} and mail.smtp.username; "
                    "{outcome}"
                )
            else:
                why = _(
                    "{where}: the server refused the login for {user!r} ({reply}); check "
                    "mail.smtp.username and {variable}; {outcome}"
                )
            raise DeliveryError(
                why.format(
                    where=self.where,
                    user=smtp.username,
                    reply=reply,
                    variable=PASSWORD_VARIABLE,
                    outcome=nothing_sent,
                )
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(
                connection_problem(error, smtp.host, smtp.port, nothing_sent, "mail.smtp")
            ) from None
        self._conn = conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _wait_for_rate(self) -> None:
        """At most ``rate.count`` attempts in any ``rate.seconds`` window."""
        if self._rate is None:
            return
        now = self._clock()
        while self._recent and now - self._recent[0] >= self._rate.seconds:
            self._recent.popleft()
        if len(self._recent) >= self._rate.count:
            self._sleep(self._recent[0] + self._rate.seconds - now)
            self._recent.popleft()
        self._recent.append(self._clock())


def _login(conn: smtplib.SMTP, username: str, password: str, where: str) -> None:
    """Log in; credentials with letters beyond ASCII (``blåbær``) go as UTF-8 AUTH PLAIN.

    smtplib encodes every login as ASCII and fails on anything else, while AUTH PLAIN is
    defined as UTF-8 (RFC 4616), so such credentials are sent by hand.
    """
    if (username + password).isascii():
        conn.login(username, password)
        return
    if "PLAIN" not in conn.esmtp_features.get("auth", "").upper().split():
        raise DeliveryError(
            _(
                "{where}: mail.smtp.username or {variable} contains letters "
                "beyond ASCII, and the server does not offer AUTH PLAIN, the only login "
                "that can carry them; nothing was sent. Use a password of ASCII letters, "
                "digits and signs"
            ).format(where=where, variable=PASSWORD_VARIABLE)
        )
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, text = conn.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, text)


def _dot_stuffed(data: bytes) -> bytes:
    """The message as the DATA phase wants it: CRLF lines, leading dots doubled, ending ``.``."""
    lines = re.sub(rb"\r\n|\r|\n", b"\r\n", data)
    if not lines.endswith(b"\r\n"):
        lines += b"\r\n"
    return re.sub(rb"(?m)^\.", b"..", lines) + b".\r\n"
