"""The file the accounts are kept in: ``.lettersmith/accounts.sqlite``, its tables, and a
connection for each call.

Beside the send journal, in the folder lettersmith keeps its state in and never rebuilds. The
file is its owner's only (made with mode 0600; SQLite gives its write-ahead log and shared
memory the same). Each call opens its own connection with a busy timeout, and each change is
one ``BEGIN IMMEDIATE`` transaction, so threads of the web server and other processes can use
the file at once, as they use the journal (WAL, ``synchronous=FULL``). Nothing is created by a
question: without the file there are no accounts, and asking so writes nothing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lettersmith.app.passwords import AccountError
from lettersmith.translate import _

ACCOUNTS_FILE = "accounts.sqlite"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS accounts (
        key              TEXT PRIMARY KEY,  -- the name casefolded: Kari and kari are one
        name             TEXT NOT NULL,     -- as it was given
        role             TEXT NOT NULL,     -- admin, secretary, board, club:<id>
        hash             TEXT NOT NULL,     -- Argon2id, $argon2id$...
        created          REAL NOT NULL,     -- seconds since 1970, UTC
        password_changed REAL NOT NULL,
        stamp            INTEGER NOT NULL DEFAULT 0  -- raised at each password change
    )""",
    """CREATE TABLE IF NOT EXISTS sessions (
        digest   TEXT PRIMARY KEY,  -- SHA-256 of the session id (the id is only in the cookie)
        account  TEXT NOT NULL,     -- accounts.key
        role     TEXT NOT NULL,     -- the account's role and stamp when it started:
        stamp    INTEGER NOT NULL,  -- a change of either ends the session
        csrf     TEXT NOT NULL,
        language TEXT NOT NULL,
        created  REAL NOT NULL,
        used     REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account)",
    """CREATE TABLE IF NOT EXISTS failures (
        kind TEXT NOT NULL,  -- 'name' or 'address'
        key  TEXT NOT NULL,
        at   REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS failures_key ON failures (kind, key, at)",
)

_ready: set[Path] = set()  # files whose tables this process has made sure of
_ready_lock = threading.Lock()


class AccountFile:
    """``state_dir/accounts.sqlite`` (``state_dir``: a workspace's ``.lettersmith/``)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / ACCOUNTS_FILE

    def exists(self) -> bool:
        return self.path.is_file()

    def has_accounts(self) -> bool:
        with self.reading() as db:
            return db.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading; no file yet reads as no accounts (and makes none)."""
        if not self.path.is_file():
            db = sqlite3.connect(":memory:", isolation_level=None)
            for statement in _SCHEMA:
                db.execute(statement)
        else:
            db = self._connect()
        db.row_factory = sqlite3.Row
        try:
            with self._usable():
                yield db
        finally:
            db.close()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """A connection inside one ``BEGIN IMMEDIATE`` transaction: committed when the block
        ends, rolled back when it raises."""
        db = self._connect(create=True)
        db.row_factory = sqlite3.Row
        try:
            with self._usable():
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        finally:
            db.close()

    def _connect(self, *, create: bool = False) -> sqlite3.Connection:
        if create and not self.path.is_file():
            self._create()
        with self._usable():
            db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            try:
                db.execute("PRAGMA synchronous=FULL")
                with _ready_lock:
                    if self.path not in _ready:
                        _owner_only(self.path)
                        db.execute("PRAGMA journal_mode=WAL")
                        for statement in _SCHEMA:
                            db.execute(statement)
                        _ready.add(self.path)
            except BaseException:
                db.close()
                raise
        return db

    def _create(self) -> None:
        """The file, empty, readable and writable by its owner only."""
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as error:
            raise AccountError(
                _(
                    "{state_dir}: cannot be made: {strerror}; check that you may write to "
                    "the workspace folder"
                ).format(state_dir=self.state_dir, strerror=error.strerror)
            ) from None
        with _ready_lock:
            _ready.discard(self.path)  # a file deleted and made again: its tables too

    @contextmanager
    def _usable(self) -> Iterator[None]:
        """A file that cannot be read or written stops with a clear message."""
        try:
            yield
        except sqlite3.Error as error:
            raise AccountError(
                _(
                    "{path}: the accounts cannot be used ({error}); check that you may write "
                    "to {parent}/ and that the disk is not full; if the file is damaged, "
                    "restore it from a backup"
                ).format(path=self.path, error=error, parent=self.path.parent)
            ) from None


def board_only(state_dir: Path) -> bool:
    """Whether only a board account's approval counts in the workspace whose state folder is
    ``state_dir``: it has accounts (a union's server). A file that cannot be read counts as
    having them: the stricter rule, never the looser one by accident."""
    try:
        return AccountFile(state_dir).has_accounts()
    except AccountError:
        return True


def _owner_only(path: Path) -> None:
    """Mode 0600 again for a file that has lost it (restored from a backup by ``cp``, whose
    copy takes the umask's mode): the hashes are for no one else to read."""
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except OSError:  # not ours to change: it is used as it is
        pass
