"""Approvals: who approved which revision of a mailing, when; and send's refusal without one.

Kept in the journal's database (``.lettersmith/journal.sqlite``), in a table of its own: one
row per approval, never overwritten, so the history of who approved what stays. With each
approval goes the snapshot of what was approved, so a refusal can say what changed since.

Separation of duties: on a union's server (the workspace has accounts, in
``.lettersmith/accounts.sqlite``) an approval is given by a board account in the web app and
recorded with that account (name and role). There, ``approval: required`` is met only by a
board account's approval: a name typed after ``--by`` (anyone can type any name), or an
approval made before the accounts existed, no longer counts, and ``send`` says so.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lettersmith.compose import revision as revisions
from lettersmith.deliver.journal import connect_readonly
from lettersmith.errors import DeliveryError, LettersmithError
from lettersmith.model import Workspace
from lettersmith.roles import role_word
from lettersmith.translate import _

if TYPE_CHECKING:
    from lettersmith.compose.resolve import Mailing

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    letter      TEXT NOT NULL,
    club        TEXT NOT NULL,  -- '' for the organisation's own letters
    revision    TEXT NOT NULL,
    approved_by TEXT NOT NULL,
    note        TEXT,
    approved_at TEXT NOT NULL,
    snapshot    TEXT NOT NULL,  -- what was approved, as JSON, to tell what changed since
    account     TEXT NOT NULL DEFAULT '',  -- the account that approved ('' : a typed name)
    role        TEXT NOT NULL DEFAULT ''   -- its role then ('board')
)
"""
# Columns added after the first version, for journals written by it.
_ADDED_COLUMNS = ("account", "role")
BOARD = "board"
MAX_NAME = 200
MAX_NOTE = 2000


@dataclass(frozen=True)
class Approval:
    letter: str
    club: str | None
    revision: str
    by: str
    note: str | None
    at: str  # ISO 8601, UTC
    snapshot: dict[str, object]
    account: str = ""  # the account that approved; "" for a name typed after --by
    role: str = ""  # that account's role when it approved ("board")

    @property
    def by_board(self) -> bool:
        """Given by a board account: what ``approval: required`` asks for on a server."""
        return bool(self.account) and self.role == BOARD

    @property
    def who(self) -> str:
        """The approver as shown: ``kari (board member)`` for an account (the role in the
        reader's words), the typed name otherwise."""
        if not self.account:
            return self.by
        return _("{name} ({role})").format(name=self.by, role=role_word(self.role))

    @property
    def short(self) -> str:
        return revisions.shown(self.revision)

    def describe(self) -> str:
        when = self.at[:16].replace("T", " ") + " UTC"
        note = f" ({self.note})" if self.note else ""
        return _("revision {short} approved by {by} on {when}{note}").format(
            short=self.short, by=self.who, when=when, note=note
        )


@contextmanager
def _database(ws: Workspace) -> Iterator[sqlite3.Connection]:
    ws.state_dir.mkdir(parents=True, exist_ok=True)
    path = ws.state_dir / "journal.sqlite"
    try:
        with closing(sqlite3.connect(path, isolation_level=None, timeout=30)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
            have = {row[1] for row in db.execute("PRAGMA table_info(approvals)")}
            for column in _ADDED_COLUMNS:
                if column not in have:
                    db.execute(
                        f"ALTER TABLE approvals ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
                    )
            yield db
    except sqlite3.Error as error:
        raise LettersmithError(
            _(
                "{path}: the journal cannot be used ({error}); check that the folder is writable"
            ).format(path=path, error=error)
        ) from None


def approve(
    mailing: Mailing, by: str, note: str | None = None, *, account: tuple[str, str] = ("", "")
) -> Approval:
    """Record that ``by`` approved the mailing as it is now (its revision); ``account``: the
    account's name and role when an account approves (``("", "")``: a typed name)."""
    ws = mailing.workspace
    by, note = " ".join(by.split()), " ".join((note or "").split()) or None
    if not by:
        raise LettersmithError(_("approve: --by needs the name of the person who approves"))
    if len(by) > MAX_NAME or (note and len(note) > MAX_NOTE):
        raise LettersmithError(
            _("approve: keep --by under {name} and --note under {note} characters").format(
                name=MAX_NAME, note=MAX_NOTE
            )
        )
    snapshot = revisions.snapshot(mailing)
    approval = Approval(
        mailing.letter_id,
        mailing.club_id,
        mailing.revision,
        by,
        note,
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        snapshot,
        *account,
    )
    with _database(ws) as db:
        db.execute(
            "INSERT INTO approvals (letter, club, revision, approved_by, note, approved_at, "
            "snapshot, account, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                approval.letter,
                approval.club or "",
                approval.revision,
                approval.by,
                approval.note,
                approval.at,
                json.dumps(snapshot, sort_keys=True),
                approval.account,
                approval.role,
            ),
        )
    return approval


def history(mailing: Mailing) -> list[Approval]:
    """Every approval of the mailing, oldest first."""
    ws = mailing.workspace
    path = ws.state_dir / "journal.sqlite"
    if not path.exists():
        return []
    # Read only (status, send's check): a read-only copy of a workspace works, nothing changes.
    try:
        with closing(_readonly(path)) as db:
            db.execute(_SCHEMA)  # in the read-only copy's memory, when it has no approvals yet
            have = {row[1] for row in db.execute("PRAGMA table_info(approvals)")}
            # A journal from before the accounts, read only (not migrated): typed names.
            added = ", ".join(c if c in have else "''" for c in _ADDED_COLUMNS)
            rows = db.execute(
                f"SELECT revision, approved_by, note, approved_at, snapshot, {added} "  # noqa: S608
                "FROM approvals WHERE letter = ? AND club = ? ORDER BY approved_at, rowid",
                (mailing.letter_id, mailing.club_id or ""),
            ).fetchall()
    except sqlite3.OperationalError as error:
        if "readonly" not in str(error) and "read-only" not in str(error):
            raise LettersmithError(
                _("{path}: the journal cannot be read ({error})").format(path=path, error=error)
            ) from None
        rows = []  # no approvals table in a read-only journal: nothing approved yet
    except sqlite3.Error as error:
        raise LettersmithError(
            _("{path}: the journal cannot be read ({error})").format(path=path, error=error)
        ) from None
    return [
        Approval(
            mailing.letter_id, mailing.club_id, rev, by, note, at, json.loads(snap), account, role
        )
        for rev, by, note, at, snap, account, role in rows
    ]


def _readonly(path: Path) -> sqlite3.Connection:
    """The database opened for reading the approvals. Approving comes before the first send, so
    the journal's own tables may not exist yet (the journal's reader would take the database
    for empty); only where SQLite cannot open it in place is the journal's reader used."""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.OperationalError:
        return connect_readonly(path)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        db.close()
        return connect_readonly(path)
    return db


@dataclass(frozen=True)
class Standing:
    """The mailing's revision now, and the approvals of it and of earlier revisions."""

    revision: str
    approvals: list[Approval]
    changed: list[str]  # what changed since the latest approval, if it is of another revision
    board_only: bool = False  # the workspace has accounts: only a board account's approval counts

    @property
    def current(self) -> list[Approval]:
        """The approvals of the revision now that count (on a server: the board's)."""
        return [a for a in self._of_revision() if a.by_board or not self.board_only]

    @property
    def uncounted(self) -> list[Approval]:
        """Approvals of the revision now that do not count: typed names on a server."""
        return [a for a in self._of_revision() if self.board_only and not a.by_board]

    def _of_revision(self) -> list[Approval]:
        return [a for a in self.approvals if a.revision == self.revision]

    def lines(self) -> list[str]:
        """For ``status``: the approvals, and whether the letter changed since."""
        short = revisions.shown(self.revision)
        if not self.approvals:
            return [_("Revision {short}: not approved.").format(short=short)]
        lines = [
            (
                _("Revision {short}: approved.")
                if self.current
                else _("Revision {short}: NOT approved.")
            ).format(short=short)
        ]
        lines += [f"  {a.describe()}" for a in self.approvals]
        if self.uncounted and not self.current:
            lines += [f"  {not_by_board(self.uncounted)}"]
        elif not self.current:
            lines += [_("  Changed since the last approval:"), *(f"    {c}" for c in self.changed)]
        return lines


def not_by_board(approvals: list[Approval]) -> str:
    """Why approvals by typed names do not count on a server, and what to do."""
    names = ", ".join(dict.fromkeys(a.by for a in approvals))
    return _(
        "approved by {names}, but approvals must now come from a board account: ask a board "
        "member to approve it in the web app"
    ).format(names=names)


def standing(mailing: Mailing, *, board_only: bool) -> Standing:
    """Where the mailing's current revision stands. ``board_only``: the workspace has accounts,
    so only a board account's approval counts (``app.accounts.board_only`` tells)."""
    approvals = history(mailing)
    changed = []
    if approvals and approvals[-1].revision != mailing.revision:
        before = approvals[-1].snapshot
        changed = revisions.changes(before, revisions.snapshot(mailing))
        if not changed and "from" not in before:  # approved by a lettersmith of before
            changed = [
                _(
                    "what an approval covers: now also the envelope and the look (sender, "
                    "Reply-To, Bcc, colour, font, logos); look at it again and approve it"
                )
            ]
        changed = changed or [_("how lettersmith reads the files (the words are the same)")]
    return Standing(mailing.revision, approvals, changed, board_only)


def require(mailing: Mailing, command: str, *, board_only: bool) -> None:
    """Under ``approval: required``, refuse a mailing whose current revision no one approved.

    ``command`` is how the user names the letter (``menneskehandel-2024 --club bergen``).
    """
    ws = mailing.workspace
    if not ws.approval_required:
        return
    now = standing(mailing, board_only=board_only)
    if now.current:
        return
    short = revisions.shown(now.revision)
    club_asks = ws.club is not None and ws.clubs[ws.club].approval_required
    where = f"clubs/{ws.club}.yaml" if club_asks else "lettersmith.yaml"
    if now.uncounted:
        raise DeliveryError(
            _(
                "{where}: approval: required; {letter_id} (revision {short}) was {why}. "
                "Nothing was sent."
            ).format(
                where=where,
                letter_id=mailing.letter_id,
                short=short,
                why=not_by_board(now.uncounted),
            )
        )
    steps = (
        _("ask a board member to look at it and approve it in the web app (the letter's review)")
        if now.board_only
        else _(
            "look at it with `lettersmith review {command}`, then record the "
            'approval with `lettersmith approve {command} --by "NAME"`'
        ).format(command=command)
    )
    if not now.approvals:
        raise DeliveryError(
            _(
                "{where}: approval: required, and no one has approved {letter_id} "
                "(revision {short}); {steps}"
            ).format(where=where, letter_id=mailing.letter_id, short=short, steps=steps)
        )
    last = now.approvals[-1]
    raise DeliveryError(
        "\n".join(
            [
                _(
                    "{where}: approval: required, and the letter has changed since it was "
                    "approved: {describe}; it is now revision {short}. What changed:"
                ).format(where=where, describe=last.describe(), short=short),
                *(f"  {line}" for line in now.changed),
                _("Nothing was sent. {steps}.").format(steps=steps[0].upper() + steps[1:]),
            ]
        )
    )
