"""The accounts of a union's server, their logins and their sessions.

Kept in ``.lettersmith/accounts.sqlite`` (``app/accountdb.py``: the file, its tables, a
connection per call): each login name with its role and the Argon2id hash of its password
(``app/passwords.py``); one row per logged-in browser, found by the SHA-256 of its session id
(the id itself is only in the browser's cookie, so a copied file, a backup, gives no way in);
and the failed logins, per login name and per client address, that slow guessing down
(``log_in``). Every change is one transaction, so the web server's threads, and the command
line while the server runs, agree on every count.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from lettersmith.app import passwords
from lettersmith.app.access import Account
from lettersmith.app.accountdb import ACCOUNTS_FILE, AccountFile
from lettersmith.app.passwords import AccountError
from lettersmith.translate import LANGUAGES, Language, _, ngettext

__all__ = [
    "ACCOUNTS_FILE",
    "AccountError",
    "AccountStore",
    "LoginRefused",
    "StartedSession",
    "UserDetail",
]

SESSION_IDLE = 12 * 3600  # a session not used for this long has ended
SESSION_LONGEST = 14 * 86400  # and any session this old: log in again
SESSION_TOUCH = 60  # "last used" is written at most this often
FAILURE_WINDOW = 24 * 3600  # failed logins counted over the last day (longer than the
# climb to the longest wait, about 17 minutes: a guesser never starts afresh at full speed)
FREE_TRIES_PER_NAME = 5
FREE_TRIES_PER_ADDRESS = 20  # an office behind one address has several people's typos
LONGEST_WAIT = 15 * 60
SESSION_ID_LONGEST = 200  # a cookie longer than any id we give is no session


def clock() -> float:
    """The time now, in seconds (tests move it)."""
    return time.time()


@dataclass(frozen=True)
class StartedSession:
    """A logged-in browser: the id for its cookie, whose it is, its CSRF token and language."""

    id: str
    account: Account
    csrf: str
    language: Language


@dataclass(frozen=True)
class UserDetail:
    """An account as ``users list`` shows it."""

    account: Account
    created: dt.datetime
    password_changed: dt.datetime
    sessions: int  # sessions that are still live
    club_gone: bool = False  # a club account whose club has no file now (clubs/<id>.yaml)


class ClubGone(AccountError):
    """A club account whose club the workspace no longer has (its file removed): the right
    password, but nothing of its own to work on; said plainly, not as a wrong password."""


class LoginRefused(AccountError):
    """A login that did not succeed: a wrong name or password (``wait`` 0), or a try made too
    soon after several failed ones (``wait``: the seconds until the next may be made)."""

    def __init__(self, message: str, wait: int = 0) -> None:
        super().__init__(message)
        self.wait = wait


class AccountStore:
    """The accounts of the workspace whose state folder (``.lettersmith/``) is ``state_dir``."""

    def __init__(self, state_dir: Path) -> None:
        self.file = AccountFile(state_dir)

    # ------------------------------------------------------------------- reading

    def has_accounts(self) -> bool:
        return self.file.has_accounts()

    def has_admin(self) -> bool:
        with self.file.reading() as db:
            found = db.execute("SELECT 1 FROM accounts WHERE role = 'admin' LIMIT 1").fetchone()
            return found is not None

    def users(self) -> tuple[Account, ...]:
        with self.file.reading() as db:
            rows = db.execute("SELECT name, role FROM accounts ORDER BY key").fetchall()
        return tuple(Account(row["name"], row["role"]) for row in rows)

    def details(self) -> tuple[UserDetail, ...]:
        now = clock()
        with self.file.reading() as db:
            rows = db.execute(
                "SELECT a.name, a.role, a.created, a.password_changed, "
                "  (SELECT COUNT(*) FROM sessions s WHERE s.account = a.key "
                "   AND s.role = a.role AND s.stamp = a.stamp "
                "   AND s.used > ? AND s.created > ?) AS live "
                "FROM accounts a ORDER BY a.key",
                (now - SESSION_IDLE, now - SESSION_LONGEST),
            ).fetchall()
        return tuple(
            UserDetail(
                Account(row["name"], row["role"]),
                _datetime(row["created"]),
                _datetime(row["password_changed"]),
                row["live"],
            )
            for row in rows
        )

    # ------------------------------------------------------------------- changing

    def user(self, name: str) -> Account:
        """The account ``name`` (any capitals), or ``AccountError`` naming those there are."""
        with self.file.reading() as db:
            row = self._row(db, name)
        return Account(row["name"], row["role"])

    def check_new(self, name: str) -> str:
        """The name as a new account would keep it, or ``AccountError``: not a name, or
        taken (asked before a password is typed; ``add`` asks again)."""
        name = passwords.checked_name(name)
        with self.file.reading() as db:
            _refuse_taken(db, name)
        return name

    def add(self, name: str, role: str, password: str) -> Account:
        """A new account; ``role`` as ``access.parse_role`` returns it."""
        name = self.check_new(name)
        passwords.check_password(name, password)
        hashed = passwords.hash_password(password)  # slow: before the transaction
        now = clock()
        with self.file.writing() as db:
            _refuse_taken(db, name)  # by another process while the hash was made
            db.execute(
                "INSERT INTO accounts (key, name, role, hash, created, password_changed) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (passwords.key_of(name), name, role, hashed, now, now),
            )
        return Account(name, role)

    def remove(self, name: str) -> Account:
        """Remove an account and end its sessions; never the last admin while others remain
        (then no one could manage the accounts from the web app)."""
        with self.file.writing() as db:
            row = self._row(db, name)
            if row["role"] == "admin":
                admins, others = db.execute(
                    "SELECT SUM(role = 'admin'), SUM(role != 'admin') FROM accounts"
                ).fetchone()
                if admins == 1 and others:
                    raise AccountError(
                        ngettext(
                            "{name}: is the only admin account, and {count} other account "
                            "remains: without an admin no one can manage it in the web app. "
                            "Add another admin first (`lettersmith users add NAME --role "
                            "admin`), or remove the other account first",
                            "{name}: is the only admin account, and {count} other accounts "
                            "remain: without an admin no one can manage them in the web app. "
                            "Add another admin first (`lettersmith users add NAME --role "
                            "admin`), or remove the others first",
                            others,
                        ).format(name=row["name"], count=others)
                    )
            db.execute("DELETE FROM sessions WHERE account = ?", (row["key"],))
            db.execute("DELETE FROM accounts WHERE key = ?", (row["key"],))
        return Account(row["name"], row["role"])

    def set_password(self, name: str, password: str, *, keep_session: str | None = None) -> Account:
        """A new password for ``name``; its sessions end (but ``keep_session``'s)."""
        with self.file.reading() as db:
            known = self._row(db, name)["name"]
        passwords.check_password(known, password)
        hashed = passwords.hash_password(password)
        kept = _digest(keep_session) if keep_session else ""
        with self.file.writing() as db:
            row = self._row(db, name)
            db.execute(
                "UPDATE accounts SET hash = ?, password_changed = ?, stamp = stamp + 1 "
                "WHERE key = ?",
                (hashed, clock(), row["key"]),
            )
            db.execute("DELETE FROM sessions WHERE account = ? AND digest != ?", (row["key"], kept))
            db.execute(
                "UPDATE sessions SET stamp = stamp + 1 WHERE digest = ? AND account = ?",
                (kept, row["key"]),
            )
        return Account(row["name"], row["role"])

    def change_own_password(
        self, name: str, current: str, new: str, *, keep_session: str | None = None
    ) -> None:
        """``set_password`` for a person who proves they know the current one (throttled as
        a login is, so a browser left open is no way to guess it)."""
        passwords.check_password(name, new)
        try:
            self.log_in(name, current, address=None)
        except LoginRefused as refused:
            if refused.wait:
                raise
            raise LoginRefused(
                _("the current password is not right; your password was not changed")
            ) from None
        self.set_password(name, new, keep_session=keep_session)

    # ------------------------------------------------------------------- logging in

    def log_in(self, name: str, password: str, *, address: str | None) -> Account:
        """The account whose name and password these are, or ``LoginRefused``.

        Failed logins are counted per name (known or not) and per ``address``; from the
        ``FREE_TRIES_...``-th in the last day on, each further try must wait 1 s, 2 s, 4 s...
        up to 15 minutes after the last failure. A try is counted as failed before its
        password is checked, so many tries at once cannot all pass; a success takes its own
        count back and clears the name's. An unknown name is checked against a dummy hash:
        the same answer, in the same time, as a wrong password.
        """
        key = passwords.key_of(name)[: 4 * passwords.NAME_LONGEST]  # a form's text is bounded
        address = None if address is None else address[:256]  # as is what the proxy said
        now = clock()
        with self.file.writing() as db:
            db.execute("DELETE FROM failures WHERE at < ?", (now - FAILURE_WINDOW,))
            wait = _wait(db, "name", key, FREE_TRIES_PER_NAME, now)
            if address is not None:
                wait = max(wait, _wait(db, "address", address, FREE_TRIES_PER_ADDRESS, now))
            if wait:
                raise LoginRefused(
                    ngettext(
                        "too many failed logins for this name or from this address; try "
                        "again in {seconds} second",
                        "too many failed logins for this name or from this address; try "
                        "again in {seconds} seconds",
                        wait,
                    ).format(seconds=wait),
                    wait,
                )
            counted = [_fail(db, "name", key, now)]
            if address is not None:
                counted.append(_fail(db, "address", address, now))
            row = db.execute(
                "SELECT name, role, hash FROM accounts WHERE key = ?", (key,)
            ).fetchone()
        if not passwords.verify(row["hash"] if row else passwords.dummy_hash(), password):
            raise LoginRefused(_("wrong name or password"))
        assert row is not None  # the dummy hash matches no password
        rehashed = passwords.hash_password(password) if passwords.needs_rehash(row["hash"]) else ""
        with self.file.writing() as db:
            db.execute("DELETE FROM failures WHERE kind = 'name' AND key = ?", (key,))
            db.executemany("DELETE FROM failures WHERE rowid = ?", [(r,) for r in counted])
            if rehashed:  # the password as it is, kept with today's parameters
                db.execute(
                    "UPDATE accounts SET hash = ? WHERE key = ? AND hash = ?",
                    (rehashed, key, row["hash"]),
                )
        return Account(row["name"], row["role"])

    # ------------------------------------------------------------------- sessions

    def start_session(self, account: Account, *, language: str) -> StartedSession:
        """A new session for ``account`` (a new id each time: a session id is never reused)."""
        chosen = _language(language)
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = clock()
        with self.file.writing() as db:
            db.execute(
                "DELETE FROM sessions WHERE used < ? OR created < ?",
                (now - SESSION_IDLE, now - SESSION_LONGEST),
            )
            row = self._row(db, account.name)
            db.execute(
                "INSERT INTO sessions (digest, account, role, stamp, csrf, language, created, "
                "used) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_digest(session_id), row["key"], row["role"], row["stamp"], csrf, chosen)
                + (now, now),
            )
        return StartedSession(session_id, Account(row["name"], row["role"]), csrf, chosen)

    def find_session(self, session_id: str) -> StartedSession | None:
        """The live session with this id, or None: unknown, ended, idle too long, too old, or
        its account removed or changed since it started (an ended one is deleted)."""
        if not session_id or len(session_id) > SESSION_ID_LONGEST or not self.file.exists():
            return None
        digest = _digest(session_id)
        now = clock()
        with self.file.reading() as db:
            row = db.execute(
                "SELECT s.*, a.name, a.role AS now_role, a.stamp AS now_stamp "
                "FROM sessions s LEFT JOIN accounts a ON a.key = s.account WHERE s.digest = ?",
                (digest,),
            ).fetchone()
        if row is None:
            return None
        live = (
            row["name"] is not None
            and row["role"] == row["now_role"]
            and row["stamp"] == row["now_stamp"]
            and now - row["used"] <= SESSION_IDLE
            and now - row["created"] <= SESSION_LONGEST
        )
        if not live:
            self.end_session(session_id)
            return None
        if now - row["used"] > SESSION_TOUCH:
            with self.file.writing() as db:
                db.execute("UPDATE sessions SET used = ? WHERE digest = ?", (now, digest))
        account = Account(row["name"], row["role"])
        return StartedSession(session_id, account, row["csrf"], _language(row["language"]))

    def end_session(self, session_id: str) -> None:
        if session_id and self.file.exists():
            with self.file.writing() as db:
                db.execute("DELETE FROM sessions WHERE digest = ?", (_digest(session_id),))

    def set_session_language(self, session_id: str, language: str) -> None:
        chosen = _language(language)
        if session_id and self.file.exists():
            with self.file.writing() as db:
                db.execute(
                    "UPDATE sessions SET language = ? WHERE digest = ?",
                    (chosen, _digest(session_id)),
                )

    # ------------------------------------------------------------------- the file

    @staticmethod
    def _row(db: sqlite3.Connection, name: str) -> sqlite3.Row:
        row: sqlite3.Row | None = db.execute(
            "SELECT * FROM accounts WHERE key = ?", (passwords.key_of(name),)
        ).fetchone()
        if row is None:
            known = [r[0] for r in db.execute("SELECT name FROM accounts ORDER BY key")]
            raise AccountError(
                _("{name}: there is no such account; the accounts are: {known}").format(
                    name=name, known=", ".join(known) or _("(none)")
                )
            )
        return row


def _refuse_taken(db: sqlite3.Connection, name: str) -> None:
    existing = db.execute(
        "SELECT name FROM accounts WHERE key = ?", (passwords.key_of(name),)
    ).fetchone()
    if existing is not None:
        raise AccountError(
            _(
                "{name}: there is already an account {existing} (names are the same "
                "in capitals and small letters); choose another name, or change its "
                "password with `lettersmith users passwd {existing}`"
            ).format(name=name, existing=existing["name"])
        )


def _wait(db: sqlite3.Connection, kind: str, key: str, free: int, now: float) -> int:
    """The seconds until the next try for ``key`` may be made (0: now)."""
    count, last = db.execute(
        "SELECT COUNT(*), MAX(at) FROM failures WHERE kind = ? AND key = ? AND at >= ?",
        (kind, key, now - FAILURE_WINDOW),
    ).fetchone()
    if count < free:
        return 0
    pause: int = min(2 ** min(int(count) - free, 20), LONGEST_WAIT)
    return max(0, math.ceil(float(last) + pause - now))


def _fail(db: sqlite3.Connection, kind: str, key: str, now: float) -> int:
    cursor = db.execute("INSERT INTO failures (kind, key, at) VALUES (?, ?, ?)", (kind, key, now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "surrogatepass")).hexdigest()


def _language(language: str) -> Language:
    for known in LANGUAGES:
        if language == known:
            return known
    raise AccountError(
        _("{language!r}: not a language; use one of {known}").format(
            language=language, known=", ".join(LANGUAGES)
        )
    )


def _datetime(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)
