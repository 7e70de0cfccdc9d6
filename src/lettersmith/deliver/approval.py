"""Approvals: who approved which revision of a mailing, when; and send's refusal without one.

Kept in the journal's database (``.lettersmith/journal.sqlite``), in a table of its own: one
row per approval, never overwritten, so the history of who approved what stays. With each
approval goes the snapshot of what was approved, so a refusal can say what changed since.
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
    snapshot    TEXT NOT NULL   -- what was approved, as JSON, to tell what changed since
)
"""
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

    @property
    def short(self) -> str:
        return revisions.shown(self.revision)

    def describe(self) -> str:
        when = self.at[:16].replace("T", " ") + " UTC"
        note = f" ({self.note})" if self.note else ""
        return _("revision {short} approved by {by} on {when}{note}").format(
            short=self.short, by=self.by, when=when, note=note
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
            yield db
    except sqlite3.Error as error:
        raise LettersmithError(
            _(
                "{path}: the journal cannot be used ({error}); check that the folder is writable"
            ).format(path=path, error=error)
        ) from None


def approve(mailing: Mailing, by: str, note: str | None = None) -> Approval:
    """Record that ``by`` approved the mailing as it is now (its revision)."""
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
    )
    with _database(ws) as db:
        db.execute(
            "INSERT INTO approvals VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                approval.letter,
                approval.club or "",
                approval.revision,
                approval.by,
                approval.note,
                approval.at,
                json.dumps(snapshot, sort_keys=True),
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
            rows = db.execute(
                "SELECT revision, approved_by, note, approved_at, snapshot FROM approvals "
                "WHERE letter = ? AND club = ? ORDER BY approved_at, rowid",
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
        Approval(mailing.letter_id, mailing.club_id, rev, by, note, at, json.loads(snap))
        for rev, by, note, at, snap in rows
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

    @property
    def current(self) -> list[Approval]:
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
        if not self.current:
            lines += [_("  Changed since the last approval:"), *(f"    {c}" for c in self.changed)]
        return lines


def standing(mailing: Mailing) -> Standing:
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
    return Standing(mailing.revision, approvals, changed)


def require(mailing: Mailing, command: str) -> None:
    """Under ``approval: required``, refuse a mailing whose current revision no one approved.

    ``command`` is how the user names the letter (``menneskehandel-2024 --club bergen``).
    """
    ws = mailing.workspace
    if not ws.approval_required:
        return
    now = standing(mailing)
    if now.current:
        return
    short = revisions.shown(now.revision)
    club_asks = ws.club is not None and ws.clubs[ws.club].approval_required
    where = f"clubs/{ws.club}.yaml" if club_asks else "lettersmith.yaml"
    steps = _(
        "look at it with `lettersmith review {command}`, then record the "
        'approval with `lettersmith approve {command} --by "NAME"`'
    ).format(command=command)
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
