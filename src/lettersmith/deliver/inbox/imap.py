"""Reading one IMAP folder without changing it: what ``lettersmith inbox`` asks of the server.

The standard library's imaplib, not a new dependency: we need only LOGIN, EXAMINE, UID SEARCH
and UID FETCH, and imaplib gives exactly those with TLS through ``ssl``. The folder is opened
with EXAMINE (read-only: the server itself refuses any change) and bodies are fetched with
``BODY.PEEK[]``, which leaves ``\\Seen`` alone; no STORE, COPY, MOVE or EXPUNGE is ever sent.

Every failure a person can fix (no such host, nothing answering on the port, a certificate
that cannot be trusted, a refused login, no such folder) becomes a DeliveryError that says
which, starting with ``host:port``; the password never appears in one.
"""

from __future__ import annotations

import datetime as dt
import imaplib
import os
import re
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from lettersmith.addresses import is_loopback
from lettersmith.deliver.connection import connection_problem
from lettersmith.deliver.inbox.wire import decode_name, quoted, uid_set
from lettersmith.errors import DeliveryError
from lettersmith.model import ImapSettings
from lettersmith.translate import _

PASSWORD_VARIABLES = ("LETTERSMITH_IMAP_PASSWORD", "LETTERSMITH_SMTP_PASSWORD")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Limits:
    """How much one run reads at most: a mailbox of years, or a bomb, stops nowhere else."""

    messages: int = 2000  # new messages per run; the next run goes on where this one stopped
    message_bytes: int = 10 * 1024 * 1024  # larger ones are read only in part:
    part_bytes: int = 2 * 1024 * 1024  # their first so many bytes (a reply's text, a report)
    seconds: float = 600.0  # the run's budget; stopped between batches when it is spent
    timeout: float = 60.0  # each network operation
    batch: int = 50  # messages per FETCH


def password(environ: dict[str, str] | None = None) -> str | None:
    """The IMAP password from the environment (the SMTP one when no IMAP one is set)."""
    environ = dict(os.environ) if environ is None else environ
    for name in PASSWORD_VARIABLES:
        if environ.get(name):
            return environ[name]
    return None


def check_settings(imap: ImapSettings | None, where: str = "lettersmith.yaml") -> ImapSettings:
    """Refuse settings that cannot be used safely, before anything connects."""
    if imap is None:
        raise DeliveryError(
            _(
                "{where}: mail.imap is missing; add host, username (and port, security, folder) "
                "to read replies, receipts and bounces"
            ).format(where=where)
        )
    if imap.security == "none" and not is_loopback(imap.host):
        raise DeliveryError(
            _(
                "{where}: mail.imap.security: none sends the password unencrypted; it is allowed "
                "only to this machine (localhost), not to {host}. Use ssl (port 993) or starttls "
                "(port 143)"
            ).format(where=where, host=imap.host)
        )
    if password() is None:
        raise DeliveryError(
            _(
                "{where}: mail.imap.username is {username!r} but neither LETTERSMITH_IMAP_PASSWORD "
                "nor LETTERSMITH_SMTP_PASSWORD is set; set one in the environment (never in a "
                "file) and run the command again"
            ).format(where=where, username=imap.username)
        )
    return imap


class Folder:
    """One folder opened read-only (EXAMINE) on a logged-in connection."""

    def __init__(self, conn: imaplib.IMAP4, where: str, name: str, uidvalidity: int):
        self._conn = conn
        self.where = where
        self.name = name
        self.uidvalidity = uidvalidity

    def uids_after(self, last_uid: int, since: dt.date | None = None) -> list[int]:
        """The UIDs above ``last_uid`` (arrived since), oldest first; with ``since`` only
        messages the server dates on or after that day (SEARCH SINCE, the internal date)."""
        criteria = ["UID", f"{last_uid + 1}:*"]
        if since is not None:
            criteria += ["SINCE", f"{since.day}-{MONTHS[since.month - 1]}-{since.year}"]
        with _speaking(self.where):
            data = _ok(self._conn.uid("SEARCH", *criteria), self.where, "UID SEARCH")
        found = {int(uid) for line in data if line for uid in _bytes(line).split()}
        return sorted(uid for uid in found if uid > last_uid)  # `n:*` includes the last one

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """Each message's size in bytes (RFC822.SIZE), asked before anything is fetched."""
        return {uid: glance.size for uid, glance in self.glance(uids, header=False).items()}

    def glance(self, uids: Sequence[int], *, header: bool = True) -> dict[int, Glance]:
        """What the server says about each message without sending it: its size, its MIME
        structure (BODYSTRUCTURE) and its header (``BODY.PEEK[HEADER]``, nothing marked read)."""
        items = (
            "(UID RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER])" if header else "(UID RFC822.SIZE)"
        )
        found: dict[int, Glance] = {}
        for chunk in _chunks(uids, 500 if not header else 100):
            with _speaking(self.where):
                data = _ok(self._conn.uid("FETCH", uid_set(chunk), items), self.where, "UID FETCH")
            for record in _records(data):
                if record.uid is not None and record.uid in chunk:
                    found[record.uid] = record
        return found

    def fetch(
        self, uids: Sequence[int], *, header_only: bool = False, first: int | None = None
    ) -> dict[int, bytes]:
        """The messages' bytes as the server keeps them (``BODY.PEEK[]``: nothing marked read);
        with ``header_only`` their header only (``BODY.PEEK[HEADER]``); with ``first`` only
        their first so many bytes (``BODY.PEEK[]<0.first>``)."""
        section = "BODY.PEEK[HEADER]" if header_only else "BODY.PEEK[]"
        if first is not None and not header_only:
            section += f"<0.{first}>"
        wanted = set(uids)
        found: dict[int, bytes] = {}
        with _speaking(self.where):
            data = _ok(
                self._conn.uid("FETCH", uid_set(uids), f"(UID {section})"), self.where, "UID FETCH"
            )
        for item in data:
            if not isinstance(item, tuple) or len(item) < 2:
                continue  # the closing ")" of each message, or an unsolicited FLAGS update
            head = _bytes(item[0])
            uid = re.search(rb"UID (\d+)", head)
            if uid is None or b"BODY[" not in head.upper():
                continue
            if int(uid[1]) in wanted:
                found[int(uid[1])] = _bytes(item[1])
        return found


@dataclass(frozen=True)
class Glance:
    """One message as FETCH answered about it, before its body is asked for."""

    uid: int | None
    size: int
    structure: bytes  # the rest of the answer: BODYSTRUCTURE's content types and names
    header: bytes  # the message's header, as the server keeps it


def _records(data: list[object]) -> list[Glance]:
    """A FETCH answer as one record per message.

    imaplib gives each message's answer as a piece of text, or, where the server sent a
    literal (``{123}`` then that many bytes: the header, a name in BODYSTRUCTURE), as
    (text, literal) pairs and the text after the last one. A message's answer starts with its
    sequence number; what follows a literal starts with a space or ``)``.
    """
    records: list[list[tuple[bytes, bytes | None]]] = []
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            piece, literal = _bytes(item[0]), _bytes(item[1])
        elif item is not None:
            piece, literal = _bytes(item), None
        else:
            continue
        if piece[:1].isdigit() or not records:
            records.append([])
        records[-1].append((piece, literal))
    glances = []
    for parts in records:
        text = b" ".join(piece for piece, _ in parts)
        uid = re.search(rb"\bUID (\d+)", text)
        size = re.search(rb"RFC822\.SIZE (\d+)", text)
        header = b""
        rest = [text]
        for piece, literal in parts:
            if literal is None:
                continue
            if re.search(rb"BODY\[HEADER\] \{\d+\}$", piece.upper()):
                header = literal
            else:
                rest.append(literal)
        glances.append(
            Glance(
                int(uid[1]) if uid else None, int(size[1]) if size else 0, b" ".join(rest), header
            )
        )
    return glances


@contextmanager
def open_folder(
    imap: ImapSettings,
    *,
    limits: Limits | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> Iterator[Folder]:
    """Connect, log in and EXAMINE the folder; log out at the end."""
    limits = limits or Limits()
    where = f"{imap.host}:{imap.port}"
    conn = _connect(imap, where, tls_context or ssl.create_default_context(), limits.timeout)
    try:
        _login(conn, imap, where)
        yield _examine(conn, imap, where)
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            conn.shutdown()


def _connect(
    imap: ImapSettings, where: str, context: ssl.SSLContext, timeout: float
) -> imaplib.IMAP4:
    with _speaking(where):
        if imap.security == "ssl":
            return imaplib.IMAP4_SSL(imap.host, imap.port, ssl_context=context, timeout=timeout)
        conn = imaplib.IMAP4(imap.host, imap.port, timeout=timeout)
        if imap.security == "starttls":
            if "STARTTLS" not in conn.capabilities:
                conn.shutdown()
                raise DeliveryError(
                    _(
                        "{where}: the server does not offer STARTTLS, so the password would "
                        "travel unencrypted; nothing was read. Check mail.imap (port 993 with "
                        "security: ssl, or port 143 with starttls)"
                    ).format(where=where)
                )
            conn.starttls(ssl_context=context)
        return conn


def _login(conn: imaplib.IMAP4, imap: ImapSettings, where: str) -> None:
    """LOGIN, or AUTHENTICATE PLAIN (UTF-8, RFC 4616) for credentials beyond ASCII."""
    secret = password() or ""
    try:
        with _speaking(where):
            if (imap.username + secret).isascii():
                conn.login(imap.username, secret)
            else:
                token = f"\0{imap.username}\0{secret}".encode()
                conn.authenticate("PLAIN", lambda _challenge: token)
    except imaplib.IMAP4.error as error:
        raise DeliveryError(
            _(
                "{where}: the server refused the login for {username!r} ({reply}); check "
                "mail.imap.username and LETTERSMITH_IMAP_PASSWORD"
            ).format(where=where, username=imap.username, reply=_reply(error, secret))
        ) from None


def _examine(conn: imaplib.IMAP4, imap: ImapSettings, where: str) -> Folder:
    folder = imap.folder
    with _speaking(where):
        kind, data = conn.select(quoted(folder), readonly=True)  # EXAMINE
        if kind != "OK":
            names = _folder_names(conn)
            raise DeliveryError(
                _(
                    "{where}: there is no folder {folder!r} ({reply}); set mail.imap.folder to "
                    "one of: {names}"
                ).format(
                    where=where,
                    folder=folder,
                    reply=" ".join(
                        _bytes(line).decode("utf-8", "replace") for line in data if line
                    ),
                    names=", ".join(names) or "INBOX",
                )
            )
        found = conn.response("UIDVALIDITY")[1]
    if not found or found[0] is None:
        raise DeliveryError(
            _("{where}: the server gave no UIDVALIDITY for {folder!r}; it cannot be read").format(
                where=where, folder=folder
            )
        )
    return Folder(conn, where, folder, int(_bytes(found[-1])))


def _folder_names(conn: imaplib.IMAP4) -> list[str]:
    kind, data = conn.list()
    names = []
    for line in data if kind == "OK" else []:
        found = re.search(rb'\) (?:"[^"]*"|NIL) (.*)$', _bytes(line))
        if found:
            names.append(decode_name(found[1].strip().strip(b'"').decode("ascii", "replace")))
    return sorted(names)


@contextmanager
def _speaking(where: str) -> Iterator[None]:
    """The network's failures at ``where`` (``host:port``) in the words sending uses
    (deliver.connection), and a server that hangs up in the middle."""
    try:
        yield
    except imaplib.IMAP4.abort as error:
        raise DeliveryError(
            _("{where}: the server closed the connection ({reason}); try again later").format(
                where=where, reason=error
            )
        ) from None
    except OSError as error:  # ssl.SSLError, socket.gaierror and TimeoutError are OSErrors
        host, port = where.rsplit(":", 1)
        raise DeliveryError(
            connection_problem(error, host, int(port), _("nothing was read"), "mail.imap")
        ) from None


def _ok(answer: tuple[str, list[object]], where: str, command: str) -> list[object]:
    kind, data = answer
    if kind != "OK":
        text = " ".join(_bytes(line).decode("utf-8", "replace") for line in data if line)
        raise DeliveryError(
            _("{where}: the server refused {command} ({reply})").format(
                where=where, command=command, reply=text
            )
        )
    return data


def _reply(error: Exception, secret: str) -> str:
    text = str(error).removeprefix("b'").removeprefix('b"').rstrip("'\"")
    return text.replace(secret, "***") if secret else text


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
