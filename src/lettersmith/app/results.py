"""What the verbs of ``Project`` return: frozen values, for a face to show as it likes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lettersmith.errors import LettersmithError

if TYPE_CHECKING:
    from lettersmith.deliver.approval import Standing
    from lettersmith.deliver.inbox.news import News
    from lettersmith.deliver.inbox.store import Event, Skipped
    from lettersmith.deliver.journal import Entry
    from lettersmith.deliver.send import Planned, Report
    from lettersmith.load.offices import Office


class BadArgument(LettersmithError):
    """A value given to a method (an option on the command line) that it cannot use."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option  # the command line's name for it, e.g. "--format"
        self.message = message


@dataclass(frozen=True)
class CheckResult:
    root: Path
    positions: int
    letters: int
    recipients: int
    clubs: int
    letters_composed: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class BuildResult:
    """What a build did. ``failed`` holds one message per letter that could not be made;
    the other files were made all the same."""

    root: Path
    written: tuple[Path, ...]  # sorted
    up_to_date: int
    failed: tuple[str, ...] = ()
    remembered: bool = False  # known from the memo, without reading the workspace
    warnings: tuple[str, ...] = ()

    def raise_failures(self) -> None:
        if self.failed:
            raise LettersmithError("\n".join(self.failed))


@dataclass(frozen=True)
class SendPlan:
    """Who would get what, decided from the journal under the send lock."""

    letter_id: str
    club: str | None
    items: tuple[Planned, ...]
    bcc: str | None  # the archive copy every message also goes to
    # What check warns about that would leave unnoticed (init's example text, mailboxes at
    # example.org, a letter without its about text): shown with the question, never hidden.
    warnings: tuple[str, ...] = ()

    @property
    def todo(self) -> int:
        return sum(item.send for item in self.items)

    @property
    def digest(self) -> str:
        """A short code for what this plan sends: who, at which address, which revision of
        the letter, with what attached. A face that shows a plan and asks passes it back
        with the answer, and ``confirm`` compares: what goes out is what the person saw."""
        shown = [
            [
                item.send,
                item.out.recipient_id,
                item.out.address,
                list(item.out.rcpt_to),
                item.out.revision,
                item.out.attachment_hash,
            ]
            for item in self.items
        ]
        text = json.dumps([self.letter_id, self.club, self.bcc, shown], ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SendResult:
    plan: SendPlan
    dry_run: bool
    written: tuple[Path, ...] = ()  # a dry run's .eml files
    confirmed: bool = True  # False when ``confirm`` said no: nothing was sent
    report: Report | None = None  # a real run's outcome

    @property
    def undelivered(self) -> bool:
        return self.report is not None and self.report.undelivered


@dataclass(frozen=True)
class StatusResult:
    letter_id: str
    club: str | None
    rows: tuple[tuple[str, str, Entry | None], ...]  # recipient id, address, journal row
    approval: Standing
    # What came back (``lettersmith inbox``), by recipient id; absent: nothing came back.
    inbox: Mapping[str, News] = field(default_factory=dict)

    def reached(self) -> int:
        """Recipients the letter reached, or may have: never one whose message bounced."""
        from lettersmith.deliver.journal import REACHED

        return sum(
            1
            for rid, _, entry in self.rows
            if entry is not None
            and entry.state in REACHED
            and not (rid in self.inbox and self.inbox[rid].bounced)
        )


@dataclass(frozen=True)
class InboxResult:
    """What ``lettersmith inbox`` read; ``events`` are those of the letter asked about (all
    letters' when none was), ``other_letters`` how many were recorded for other letters."""

    folder: str
    read: int
    events: tuple[Event, ...]
    other_letters: int
    unmatched: int  # answering none of our letters: not kept
    unrelated: int  # matched, but a mailing list, newsletter or spam: not kept
    already: int  # recorded by an earlier run
    skipped: tuple[Skipped, ...]  # too large to read
    waiting: int  # left for the next run (a limit was reached)
    renumbered: bool  # the server renumbered the folder (UIDVALIDITY): read again, nothing twice

    def count(self, kind: str) -> int:
        return sum(1 for event in self.events if event.kind == kind)


@dataclass(frozen=True)
class OfficeSearch:
    found: tuple[Office, ...]
    oldest_verification: dt.date | None
