"""``lettersmith.Project``: the one door to the engine.

Every rule that protects the user lives here, not in a face that calls it: the approval
gate, the send lock and the journal, the club's view of the workspace, the build memo, the
statement check, who may do what (each verb checks its account's role first, before any
work), and the audit trail of every save, approval and send (``app/audit.py``). The command
line (``cli.py``) and any program that uses lettersmith as a library call these methods and
show what they return.

A ``Project`` remembers only where its workspace is. Every call reads the files afresh, so a
program that keeps one open (a web app) sees every change made since it opened it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from lettersmith.app import access
from lettersmith.app.access import Account, Action
from lettersmith.app.events import OnEvent, Progress, Warning, ignore
from lettersmith.app.results import (
    BadArgument,
    BuildResult,
    CheckResult,
    InboxResult,
    OfficeSearch,
    SendPlan,
    SendResult,
    StatusResult,
)
from lettersmith.errors import LettersmithError, Problem
from lettersmith.model import DEFAULT_PDF_VARIANT, ImapSettings, Recipient, Workspace
from lettersmith.translate import _, current_language

if TYPE_CHECKING:  # the command line starts without loading the engine
    from lettersmith.app.accounts import AccountStore, StartedSession, UserDetail
    from lettersmith.app.audit import AuditEntry
    from lettersmith.app.backup import BackupResult
    from lettersmith.app.draft import DraftPreview
    from lettersmith.app.overview import LetterState
    from lettersmith.app.review import Review
    from lettersmith.app.sources import Recorder, SourceFile
    from lettersmith.app.uploads import Upload
    from lettersmith.app.yamledit import Value
    from lettersmith.compose.diff import DiffLine
    from lettersmith.compose.resolve import Mailing, Overrides
    from lettersmith.deliver.approval import Approval
    from lettersmith.deliver.inbox.imap import Limits
    from lettersmith.deliver.inbox.store import Event
    from lettersmith.deliver.rebuild import Rebuilt
    from lettersmith.deliver.send import Report
    from lettersmith.load.spreadsheet import ImportPlan
    from lettersmith.render.verify import Verdict

__all__ = [
    "BadArgument",
    "BuildResult",
    "CheckResult",
    "InboxResult",
    "OfficeSearch",
    "Project",
    "SendPlan",
    "SendResult",
    "StatusResult",
]

FORMATS = ("pdf", "docx")
PDF_VARIANTS = ("pdf/a-3b", "pdf/a-2b", "plain")


# --------------------------------------------------------------------------- the project


@dataclass(frozen=True)
class Project:
    """A workspace (the folder holding lettersmith.yaml) and what can be done with it.

    ``account`` is who acts (``acting_as``): each verb checks its role (``app/access.py``)
    and refuses with ``NotAllowed`` what the role does not allow, before it reads or writes
    anything. None is the person at the workspace's own computer (the commands), who may do
    everything. A club account is confined to its club: another club's version, files and
    trail are closed to it, and the union's positions and letters are read only.
    """

    root: Path
    account: Account | None = None

    @classmethod
    def open(cls, path: str | os.PathLike[str] = ".") -> Project:
        """The workspace at ``path`` or in the nearest folder above it that holds one."""
        from lettersmith.load.root import find_root

        return cls(find_root(Path(path)))

    def acting_as(self, account: Account | None) -> Project:
        """This project as ``account`` uses it: every verb checked against its role."""
        return replace(self, account=account)

    def allowed(self, action: Action, club: str | None = None) -> bool:
        """May this project's account take ``action`` (on ``club``'s version or files)?"""
        return access.allowed(self.account, action, club)

    def _require(self, action: Action, club: str | None = None) -> None:
        access.require(self.account, action, club)

    def _who(self) -> tuple[str, str]:
        """The account's name and role for the audit trail ("", "": this computer)."""
        return (self.account.name, self.account.role) if self.account else ("", "")

    def _recorder(self) -> Recorder:
        """The audit trail's record of a save (``sources.save``'s ``record``)."""
        from lettersmith.app import sources
        from lettersmith.app.audit import AuditLog, text_diff

        log = AuditLog(self.root / ".lettersmith")

        @contextmanager
        def record(before: SourceFile, after: str) -> Iterator[object]:
            diff = text_diff(before.rel, before.text, after)
            with log.recording(self._who(), "change", file=before.rel, diff=diff) as audited:
                audited.landed = lambda: sources.read(self.root, before.rel).text == after
                yield audited

        return record

    # ----------------------------------------------------------------------- reading

    def workspace(self, club: str | None = None, *, on_event: OnEvent = ignore) -> Workspace:
        """The workspace as read now, or the club's view of it.

        A club whose files have problems is left out with a warning, unless it is ``club``:
        then its problems are the error.
        """
        self._require(Action.SEE, club)
        ws = self._load(club, on_event)
        return self._confined(self._view(ws, club))

    def _confined(self, ws: Workspace) -> Workspace:
        """A club account's workspace holds no other club (their files, people, signatories)."""
        own = self.account.club if self.account else None
        if own is None:
            return ws
        return replace(ws, clubs={own: ws.clubs[own]} if own in ws.clubs else {})

    def mailing(
        self,
        letter: str,
        *,
        club: str | None = None,
        selectors: Sequence[str] = (),
        overrides: Overrides | None = None,
        on_event: OnEvent = ignore,
    ) -> Mailing:
        """LETTER (an id or a path) resolved for CLUB and the overrides: what every verb uses."""
        self._require(Action.SEE, club)
        ws = self._confined(self._load(club, on_event))
        return self._mailing(ws, letter, club, selectors, overrides)

    def _load(self, club: str | None, on_event: OnEvent) -> Workspace:
        from lettersmith.load import workspace

        return workspace.load(self.root, club=club, warn=lambda text: on_event(Warning(text)))

    @staticmethod
    def _view(ws: Workspace, club: str | None) -> Workspace:
        from lettersmith.load.clubs import club_view

        return club_view(ws, club) if club else ws

    @staticmethod
    def _mailing(
        ws: Workspace,
        letter: str,
        club: str | None,
        selectors: Sequence[str] = (),
        overrides: Overrides | None = None,
    ) -> Mailing:
        from lettersmith.compose.resolve import resolve
        from lettersmith.deliver.journal import first_sent_date

        return resolve(
            ws,
            letter,
            club=club,
            overrides=overrides,
            selectors=selectors,
            sent_date=first_sent_date,  # a sent letter keeps the date it went out with
        )

    # ----------------------------------------------------------------------- verbs

    def check(self, *, on_event: OnEvent = ignore) -> CheckResult:
        """Every problem in the workspace and its clubs, raised at once (LettersmithError);
        else counts and warnings."""
        from lettersmith.app.check import check

        self._require(Action.SEE)
        own = self.account.club if self.account else None
        # A club account's check: the union's files and its own club's, no other club's.
        summary = check(self.root, only_club=own)
        for text in summary.warnings:
            on_event(Warning(text))
        ws = summary.workspace
        return CheckResult(
            ws.root,
            len(ws.positions),
            len(ws.letters),
            len(ws.recipients),
            len(ws.clubs),
            summary.letters_composed,
            summary.warnings,
        )

    def build(
        self,
        letters: Sequence[str] = (),
        *,
        club: str | None = None,
        formats: str | Sequence[str] = FORMATS,
        selectors: Sequence[str] = (),
        overrides: Overrides | None = None,
        pdf_variant: str = DEFAULT_PDF_VARIANT,
        force: bool = False,
        jobs: int | None = None,
        on_event: OnEvent = ignore,
    ) -> BuildResult:
        """Render ``letters`` (default: all) into out/; files up to date are left alone.

        Every file is checked before it is written: the statement must read word for word as
        adopted. ``jobs`` is the number of worker processes (default: the cores; 1 builds in
        this process).
        """
        from lettersmith.render import build as building
        from lettersmith.render import memo

        self._require(Action.BUILD, club)
        wanted = parse_formats(formats)
        if pdf_variant not in PDF_VARIANTS:
            raise BadArgument(
                "--pdf-variant",
                _("{value!r}: choose {names}").format(
                    value=pdf_variant, names=", ".join(PDF_VARIANTS)
                ),
            )
        if jobs is not None and jobs < 1:
            raise BadArgument("--jobs", _("{jobs}: give 1 or more").format(jobs=jobs))
        # Only what decides the outputs: a --force or --jobs build leaves a usable record.
        # (The memo's way is kept free of the compose stage's imports: it answers in a blink.)
        given = overrides
        command = {
            "build": list(letters), "club": club, "formats": wanted, "to": list(selectors),
            "date": given and given.date, "place": given and given.place,
            "signatory": given and given.signatory, "language": given and given.language,
            "variant": pdf_variant,
            # The warnings it remembers are in the language they were made in.
            "messages": current_language(),
        }  # fmt: skip
        key = memo.inputs_key(self.root, command, building.code_hash())
        out = self.root / "out"
        remembered = None if force else memo.recall(out, key)
        if remembered is not None:  # nothing changed: done without reading the workspace
            count, warnings = remembered
            for text in warnings:
                on_event(Warning(text))
            return BuildResult(self.root, (), count, remembered=True, warnings=tuple(warnings))
        warned: list[str] = []

        def listen(event: Warning | Progress) -> None:
            if isinstance(event, Warning):
                warned.append(event.text)
            on_event(event)

        count = jobs or os.cpu_count() or 1
        # Started first: the workers load the renderers while the workspace is read.
        starting: AbstractContextManager[building.Workers | int] = (
            building.Workers(count, wanted) if count > 1 else nullcontext(1)
        )
        with starting as workers:
            ws = self._load(club, listen)
            mailings = [
                self._mailing(ws, name, club, selectors, overrides)
                for name in letters or list(ws.letters)
            ]
            variant = None if pdf_variant == "plain" else pdf_variant
            todo = building.plan(mailings, formats=wanted, pdf_variant=variant)
            done = _Counter("build", len(todo), on_event)
            outcomes = building.build(
                todo, force=force, workers=workers, on_done=lambda _: done.advance()
            )
        failed = tuple(outcome.error for outcome in outcomes if outcome.error)
        built = sum(outcome.built for outcome in outcomes)
        result = BuildResult(
            self.root,
            tuple(sorted(outcome.path for outcome in outcomes if outcome.built)),
            len(outcomes) - built - len(failed),
            failed,
            warnings=tuple(warned),
        )
        if not failed:
            memo.remember(out, key, [outcome.path for outcome in outcomes], warned)
        return result

    def preview(
        self,
        letter: str,
        *,
        club: str | None = None,
        selectors: Sequence[str] = (),
        overrides: Overrides | None = None,
        dpi: int = 110,
        on_event: OnEvent = ignore,
    ) -> tuple[Path, ...]:
        """PNG pictures of the letter's pages in out/LETTER/preview/ (the PDF built first if
        it is missing or out of date)."""
        from lettersmith.render import build as building
        from lettersmith.render import preview as previewing

        self._require(Action.SEE, club)  # pictures of what is there to see (the board's too)
        if not 30 <= dpi <= 600:
            raise BadArgument("--dpi", _("{dpi}: give a resolution from 30 to 600").format(dpi=dpi))
        mailing = self.mailing(
            letter, club=club, selectors=selectors, overrides=overrides, on_event=on_event
        )
        ws = mailing.workspace
        target = building.letter_dir(ws, mailing.letter_id) / "preview"
        written: list[Path] = []
        for composed in mailing.selected_letters:
            pdf = building.ensure_pdf(ws, composed)
            written += previewing.render_pngs(pdf, target, dpi=dpi, root=ws.root)
        return tuple(written)

    def review(
        self,
        letter: str,
        *,
        club: str | None = None,
        pack: bool = False,
        on_event: OnEvent = ignore,
    ) -> tuple[Path, ...]:
        """The board's review page (out/LETTER/review/index.html), and with ``pack`` a zip."""
        return self.review_page(letter, club=club, pack=pack, on_event=on_event).written

    def review_page(
        self,
        letter: str,
        *,
        club: str | None = None,
        pack: bool = False,
        on_event: OnEvent = ignore,
    ) -> Review:
        """Write the review page as ``review`` does, and return what it shows (for a face
        that shows it in its own way: the web app)."""
        from lettersmith.app.review import write_review

        self._require(Action.SEE, club)  # the board reads it to approve; a club its version
        ws = self._load(club, on_event)
        mailing = self._mailing(ws, letter, club)
        union = self._mailing(ws, letter, None) if club else None
        return write_review(mailing, union, pack=pack)

    def diff(self, letter: str, *, club: str, on_event: OnEvent = ignore) -> list[DiffLine]:
        """What the club's version of LETTER changes against the union's."""
        from lettersmith.compose.diff import letter_diff

        self._require(Action.SEE, club)
        ws = self._load(club, on_event)  # a broken club: its own problems, not "no club"
        return letter_diff(self._mailing(ws, letter, None), self._mailing(ws, letter, club))

    def approve(
        self,
        letter: str,
        *,
        by: str | None = None,
        note: str | None = None,
        club: str | None = None,
        on_event: OnEvent = ignore,
    ) -> Approval:
        """Record that ``by`` approved LETTER as it is now (its current revision).

        Acting as an account (a board member's), the approval is the account's: recorded
        with its name and role, ``by`` left out (or the account's own name). Without one
        (the commands), ``by`` names the person; once the workspace has accounts, such an
        approval no longer satisfies ``approval: required`` (see ``deliver/approval.py``).
        """
        from lettersmith.app.accountdb import board_only
        from lettersmith.app.audit import AuditLog
        from lettersmith.compose import revision as revisions
        from lettersmith.deliver import approval
        from lettersmith.deliver.journal import Journal

        self._require(Action.APPROVE, club)
        if self.account is not None:
            if by is not None and " ".join(by.split()) != self.account.name:
                raise access.NotAllowed(
                    _(
                        "{name} may approve only in their own name, not as {by}; leave the name out"
                    ).format(name=self.account.name, by=by)
                )
            by = self.account.name
        mailing = self.mailing(letter, club=club, on_event=on_event)
        # The journal made whole first: a journal holding only approvals reads as empty.
        Journal.open(mailing.workspace.state_dir).close()
        with AuditLog(self.root / ".lettersmith").recording(
            self._who(),
            "approval",
            letter=mailing.letter_id,
            club=club,
            revision=revisions.shown(mailing.revision),
            note=note or "",
        ):
            recorded = approval.approve(mailing, by or "", note, account=self._who())
        if not recorded.by_board and board_only(mailing.workspace.state_dir):
            on_event(Warning(approval.not_by_board([recorded])))
        return recorded

    def send(
        self,
        letter: str,
        *,
        club: str | None = None,
        selectors: Sequence[str] = (),
        overrides: Overrides | None = None,
        dry_run: bool = False,
        resend: bool = False,
        confirm: Callable[[SendPlan], bool] | None = None,
        on_event: OnEvent = ignore,
    ) -> SendResult:
        """Email LETTER to its recipients, each once; or with ``dry_run`` write the messages
        as out/LETTER/mail/RECIPIENT.eml and send nothing.

        A real send holds the workspace's send lock from planning to the last message (a
        second send meanwhile is refused), refuses under ``approval: required`` a revision no
        one approved, and skips whoever the journal says has the letter (``resend`` to send
        a changed letter again). ``confirm`` is shown the plan before anything goes out;
        when it returns False nothing is sent.
        """
        from lettersmith.app import notices
        from lettersmith.app.accountdb import board_only
        from lettersmith.app.audit import AuditLog
        from lettersmith.compose import revision as revisions
        from lettersmith.deliver import approval
        from lettersmith.deliver import send as sending
        from lettersmith.deliver.outbox import forget_copies

        self._require(Action.SEND, club)
        ws = self._load(club, on_event)
        view = self._view(ws, club)
        if not dry_run:
            sending.smtp_settings(view)  # refuse unusable settings before building anything
        with sending.open_journal(view, sending=not dry_run, planning=True) as journal:
            # Resolved under the lock: the date a first send fixed cannot change meanwhile.
            mailing = self._mailing(ws, letter, club, selectors, overrides)
            if not dry_run:
                approval.require(
                    mailing,
                    f"{letter} --club {club}" if club else letter,
                    board_only=board_only(view.state_dir),
                )
            planned = sending.plan(mailing, journal, resend=resend)
            plan = SendPlan(
                mailing.letter_id,
                club,
                tuple(planned),
                view.mail.bcc if view.mail else None,
                warnings=(
                    *notices.placeholder_warnings(mailing.workspace, mailing.recipients),
                    *notices.about_warnings(mailing),
                ),
            )
            try:
                if dry_run:
                    written = sending.write_dry_run(view, planned)
                    return SendResult(plan, dry_run=True, written=tuple(written), confirmed=False)
                if confirm is not None and not confirm(plan):
                    return SendResult(plan, dry_run=False, confirmed=False)
                done = _Counter("send", plan.todo, on_event)
                with AuditLog(self.root / ".lettersmith").recording(
                    self._who(),
                    "send",
                    letter=mailing.letter_id,
                    club=club,
                    revision=revisions.shown(mailing.revision),
                ) as audited:
                    audited.keep_if_stopped = True  # what went out before a stop did go out
                    report = sending.send_planned(view, planned, journal, lambda _: done.advance())
                    audited.counts = _counts(report)
                    audited.stopped = report.stopped is not None
            finally:  # a plan declined (or a run stopped): its copies go now, not at exit
                forget_copies(view, planned)
        return SendResult(plan, dry_run=False, report=report)

    def status(
        self,
        letter: str,
        *,
        club: str | None = None,
        selectors: Sequence[str] = (),
        mark_arrived: Sequence[str] = (),
        on_event: OnEvent = ignore,
    ) -> StatusResult:
        """Who has been sent LETTER, and when, from the journal; and its approvals.

        ``mark_arrived``: recipients whose ``unknown`` message a person found did arrive,
        recorded as sent (under the send lock).
        """
        from lettersmith.app.accountdb import board_only
        from lettersmith.deliver import approval
        from lettersmith.deliver import send as sending
        from lettersmith.deliver.inbox import news

        self._require(Action.SEND if mark_arrived else Action.SEE, club)
        ws = self._load(club, on_event)
        view = self._view(ws, club)
        readonly = not mark_arrived
        with sending.open_journal(view, sending=False, planning=True, readonly=readonly) as journal:
            if mark_arrived:
                spec = self._mailing(ws, letter, club).spec
                sending.mark_arrived(view, spec, journal, mark_arrived)
            mailing = self._mailing(ws, letter, club, selectors)
            rows = sending.status(mailing, journal)
        inbox = news.by_recipient(view.state_dir, mailing.letter_id, club, rows)
        standing = approval.standing(mailing, board_only=board_only(view.state_dir))
        return StatusResult(mailing.letter_id, club, tuple(rows), standing, inbox)

    def inbox(
        self,
        letter: str | None = None,
        *,
        club: str | None = None,
        since: dt.date | None = None,
        limits: Limits | None = None,
        on_event: OnEvent = ignore,
    ) -> InboxResult:
        """Read what arrived in the ``mail.imap`` folder since the last run: bounces, receipts
        and replies to our letters go into the journal (with a copy under
        .lettersmith/inbox/); anything else is counted and left alone. Nothing on the server
        changes. ``letter`` (and ``club``) narrow what the result tells, not what is read:
        whatever answers another letter is recorded too, so the next run misses nothing.
        ``since``: only messages the server received on or after that day.
        """
        from lettersmith.deliver.inbox.run import read_inbox

        self._require(Action.SEND, club)
        ws = self._load(club, on_event)
        view = self._view(ws, club)
        letter_id = self._mailing(ws, letter, club).letter_id if letter else None
        settings = self._imap(view)
        outcome = read_inbox(
            settings,
            view.state_dir,
            since=since,
            limits=limits,
            on_progress=lambda done, total: on_event(Progress("inbox", done, total)),
        )

        def asked(event: Event) -> bool:
            if club is not None and event.club != club:
                return False
            return letter_id is None or (event.letter, event.club) == (letter_id, club)

        events = tuple(event for event in outcome.events if asked(event))
        return InboxResult(
            folder=outcome.folder,
            read=outcome.read,
            events=events,
            other_letters=len(outcome.events) - len(events),
            unmatched=outcome.unmatched,
            unrelated=outcome.unrelated,
            already=outcome.already,
            skipped=tuple(outcome.skipped),
            waiting=outcome.waiting,
            renumbered=outcome.renumbered,
        )

    def check_inbox(self, *, club: str | None = None, on_event: OnEvent = ignore) -> None:
        """Whether ``inbox`` can run as the files and the environment are now, without
        connecting: a ``DeliveryError`` in words when mail.imap is missing, unsafe, or its
        password is not in the environment (the variable named, never a secret). A face asks
        this to offer the inbox only where it can work."""
        self._require(Action.SEND, club)
        self._imap(self._view(self._load(club, on_event), club))

    @staticmethod
    def _imap(view: Workspace) -> ImapSettings:
        from lettersmith.deliver.inbox import imap

        where = view.mail.source.file if view.mail and view.mail.source else "lettersmith.yaml"
        return imap.check_settings(view.mail.imap if view.mail else None, where)

    def overview(self, *, on_event: OnEvent = ignore) -> tuple[LetterState, ...]:
        """Every letter, then each club's version of the letters it sends, with where it
        stands: made, approved, sent to how many (see ``app/overview.py``). A letter that
        cannot be resolved, or a club whose files have problems, is listed with the
        problem in words; a problem in the union's own files is raised."""
        from lettersmith.app.overview import LetterState

        self._require(Action.SEE)
        own = self.account.club if self.account else None
        ws = self._load(None, on_event)
        states = [self._state(ws, name, None) for name in sorted(ws.letters)]
        for club in sorted(ws.clubs) if own is None else [own] if own in ws.clubs else []:
            try:
                club_ws = self._load(club, on_event)
            except LettersmithError as error:
                states.append(LetterState("", club, problem=str(error)))
                continue
            names = sorted(set(club_ws.clubs[club].letters) & set(club_ws.letters))
            states += [self._state(club_ws, name, club) for name in names]
        return tuple(states)

    def _state(self, ws: Workspace, letter: str, club: str | None) -> LetterState:
        from lettersmith.app.overview import LetterState, letter_state

        try:
            return letter_state(self._mailing(ws, letter, club))
        except LettersmithError as error:
            return LetterState(letter, club, problem=str(error))

    def recipients(
        self,
        selector: str | None = None,
        *,
        club: str | None = None,
        stale: bool = False,
        today: dt.date | None = None,
        on_event: OnEvent = ignore,
    ) -> tuple[Recipient, ...]:
        """The register (with a club's own recipients), narrowed by a selector (id or
        tag:NAME); with ``stale`` only named people verified more than 180 days ago."""
        from lettersmith.load import offices, workspace

        ws = self.workspace(club, on_event=on_event)
        chosen = workspace.select_recipients(ws, [selector]) if selector else ws.recipients.values()
        when = today or dt.date.today()
        return tuple(
            r for r in chosen if not stale or (r.name and offices.is_stale(r.verified, when))
        )

    def plan_import(self, file: str | os.PathLike[str], mapping: Sequence[str] = ()) -> ImportPlan:
        """What importing the spreadsheet would add (``mapping``: ``COLUMN=FIELD`` texts)."""
        from lettersmith.load import spreadsheet

        self._require(Action.EDIT)  # the first step of changing recipients.yaml
        return spreadsheet.plan_import(self.root, Path(file), mapping)

    def import_recipients(
        self, file: str | os.PathLike[str], mapping: Sequence[str] = (), *, dry_run: bool = False
    ) -> ImportPlan:
        """Add the people in a .csv or .xlsx to recipients.yaml (all rows checked first)."""
        from lettersmith.app import sources
        from lettersmith.app.audit import AuditLog, text_diff
        from lettersmith.load import spreadsheet

        plan = self.plan_import(file, mapping)
        if plan.added and not dry_run:
            rel = sources.path_of("recipients")
            before = sources.read(self.root, rel).text
            with AuditLog(self.root / ".lettersmith").recording(
                self._who(), "change", file=rel
            ) as audited:
                audited.landed = lambda: sources.read(self.root, rel).text != before
                spreadsheet.write_import(self.root, plan)
                audited.diff = text_diff(rel, before, sources.read(self.root, rel).text)
        return plan

    def export_recipients(
        self, file: str | os.PathLike[str], *, club: str | None = None, on_event: OnEvent = ignore
    ) -> int:
        """Write the register to FILE.csv or FILE.xlsx; the number of recipients written."""
        from lettersmith.load import spreadsheet  # self.workspace checks the account

        self._require(Action.SEE_REGISTER)  # the union's register: not a club account's to take
        return spreadsheet.export(self.workspace(club, on_event=on_event), Path(file))

    def verify(
        self, files: Sequence[str | os.PathLike[str]], trust: Sequence[str | os.PathLike[str]] = ()
    ) -> tuple[Verdict, ...]:
        """Every signature of each PDF; see ``verify_files``."""
        self._require(Action.SEE)
        return verify_files(files, trust)

    def journal_rebuild(self) -> Rebuilt:
        """Restore the journal's rows from the copies in .lettersmith/sent/."""
        from lettersmith.deliver import rebuild

        self._require(Action.SEND, access.EVERY_CLUB)  # every club's delivery records
        return rebuild.rebuild(self.root / ".lettersmith")

    def audit(
        self, letter: str | None = None, *, club: str | None = None
    ) -> tuple[AuditEntry, ...]:
        """The audit trail, newest first: every change saved through this API (who, when,
        which file, the difference), every approval and every send (``app/audit.py``).

        ``letter``: the changes to its letter file, its position and its attachments, and its
        approvals and sends (the union's version; with ``club``, that club's version and the
        club's files too). ``club`` alone: everything about that club. A club account sees
        its own club's entries and the changes to the union's positions and letters.
        """
        from lettersmith.app import audit
        from lettersmith.app.sources import checked_id

        self._require(Action.SEE, club)
        if letter is not None:
            checked_id(letter)
        if club is not None:
            checked_id(club)
        own = self.account.club if self.account else None
        keep = audit.selection(self.root, letter, club, own)
        entries = audit.AuditLog(self.root / ".lettersmith").entries(keep)
        self._known_or_recorded(letter, club, entries)
        return entries

    def _known_or_recorded(
        self, letter: str | None, club: str | None, entries: Sequence[AuditEntry]
    ) -> None:
        """A letter or club that has no file and nothing in the trail is a typo, said as
        ``status`` says it ("no letter 'x'. Letters: ..."), not "nothing recorded yet"; one
        removed since keeps its history."""
        from lettersmith.load.workspace import find_letter

        no_letter = letter is not None and not entries
        no_club = club is not None and not any(entry.club == club for entry in entries)
        if no_letter and (self.root / "letters" / f"{letter}.yaml").is_file():
            no_letter = False
        if no_club and (self.root / "clubs" / f"{club}.yaml").is_file():
            no_club = False
        if no_letter or no_club:
            ws = self._load(club if not no_club else None, ignore)
            if no_club:
                self._view(ws, club)
            if no_letter and letter is not None:
                find_letter(ws, letter)

    def export_audit(
        self,
        target: str | os.PathLike[str] | IO[str],
        *,
        letter: str | None = None,
        club: str | None = None,
        format: Literal["csv", "json"] = "csv",
    ) -> int:
        """Write ``audit(letter, club=club)`` to a file or a text stream; the entries written.

        A path ending in .csv or .xlsx is a table as the register's export writes it (a
        header, cells a spreadsheet will not run as formulas; CSV with ``;``), .json a JSON
        list; a stream gets ``format``."""
        from lettersmith.app import audit
        from lettersmith.atomic import atomic_write
        from lettersmith.load.tables import write_table

        self._require(Action.SEE, club)
        if format not in ("csv", "json"):
            raise BadArgument("--format", _("{value!r}: choose csv or json").format(value=format))
        entries = self.audit(letter, club=club)
        if not isinstance(target, (str, os.PathLike)):
            audit.write_stream(entries, target, format)
            return len(entries)
        path = Path(target)
        if path.suffix.lower() not in (".csv", ".xlsx", ".json"):
            raise LettersmithError(
                _("{path}: write to a .csv, .xlsx or .json file").format(path=path)
            )
        if path.suffix.lower() == ".json":
            buffer = io.StringIO()
            audit.write_stream(entries, buffer, "json")
            atomic_write(path, buffer.getvalue())
        else:
            write_table(path, audit.export_rows(entries))
        return len(entries)

    def backup(
        self, directory: str | os.PathLike[str], *, on_event: OnEvent = ignore
    ) -> BackupResult:
        """Copy the workspace and .lettersmith/ into DIRECTORY (new or empty, outside the
        workspace), consistent while the web app or a send writes: every SQLite database in
        .lettersmith/ through SQLite's backup API, the rest as files, out/ left out (build
        makes it again). Written beside DIRECTORY and renamed at the end; see app/backup.py.

        Only an admin's (or no account's): a backup holds every account's password hash and
        every club's files."""
        from lettersmith.app import backup

        self._require(Action.ACCOUNTS)
        return backup.backup(self.root, Path(directory), on_event=on_event)

    def add_club(self, club: str, *, on_event: OnEvent = ignore) -> Path:
        """Write clubs/CLUB.yaml, a commented club profile to fill in."""
        from lettersmith import scaffold
        from lettersmith.app import sources
        from lettersmith.app.audit import AuditLog, text_diff

        self._require(Action.EDIT)  # a new club is the union's to add
        ws = self._load(None, on_event)
        rel = sources.path_of("club", club)
        with AuditLog(self.root / ".lettersmith").recording(
            self._who(), "change", file=rel
        ) as audited:
            existed = (self.root / rel).exists()
            audited.landed = lambda: not existed and (self.root / rel).exists()
            made = scaffold.add_club(ws.root, club)
            audited.diff = text_diff(rel, "", sources.read(self.root, rel).text)
        return made

    # ----------------------------------------------------------------------- editing files
    # What a face without an editor (the web app) saves: a normal edit of the person's files,
    # comments and layout kept, refused when it would break `check` or overwrite a change
    # made on disk since it was read (see app/sources.py).

    def read_source(self, kind: str, item: str | None = None) -> SourceFile:
        """The file of a position, letter or club (``kind``, its id ``item``), or of the
        register (``kind="recipients"``): its text and version. Missing: empty, version ""."""
        from lettersmith.app import sources

        self._require(Action.SEE, item if kind == "club" else None)
        return sources.read(self.root, sources.path_of(kind, item))

    def save_position(
        self,
        position: str,
        fields: Mapping[str, str | None],
        body: str,
        *,
        expected_version: str | None,
    ) -> SourceFile:
        """Save positions/POSITION.md: the front matter's ``fields`` (title, adopted_by,
        adopted_on, language; None or "" removes one) and the body. ``expected_version``: the
        version read (an ``EditConflict`` if the file is another now); None makes a new
        position, refused if one exists."""
        from lettersmith.app import sources

        self._require(Action.EDIT)
        rel = sources.path_of("position", position)
        old = sources.read(self.root, rel) if expected_version is not None else sources.new(rel)
        text = sources.position_text(old, fields, body)
        return sources.save(self.root, rel, text, expected_version, self._recorder())

    def save_letter(
        self, letter: str, fields: Mapping[str, Value], *, expected_version: str | None
    ) -> SourceFile:
        """Save letters/LETTER.yaml with ``fields`` changed (see ``save_position``)."""
        from lettersmith.app import sources

        self._require(Action.EDIT)
        rel = sources.path_of("letter", letter)
        old = sources.read(self.root, rel) if expected_version is not None else sources.new(rel)
        text = sources.letter_text(old, fields)
        return sources.save(self.root, rel, text, expected_version, self._recorder())

    def save_recipient(
        self,
        recipient: str,
        fields: Mapping[str, Value],
        *,
        expected_version: str,
        new: bool = False,
    ) -> SourceFile:
        """Change (or with ``new`` add) the entry RECIPIENT of recipients.yaml;
        ``expected_version`` is the register file's version as read ("" when it is missing)."""
        from lettersmith.app import sources

        self._require(Action.EDIT)
        source = sources.read(self.root, sources.path_of("recipients"))
        present = recipient in sources.yaml_fields(source.text)
        if new and present:
            raise LettersmithError(
                _("{file}: '{id}' is already in the register; choose another id").format(
                    file=source.rel, id=recipient
                )
            )
        if not new and not present and source.version == expected_version:
            raise LettersmithError(
                _("{file}: no recipient '{id}'").format(file=source.rel, id=recipient)
            )
        text = sources.recipient_text(source, recipient, fields)
        return sources.save(self.root, source.rel, text, expected_version, self._recorder())

    def remove_recipient(self, recipient: str, *, expected_version: str) -> SourceFile:
        """Take the entry RECIPIENT out of recipients.yaml (refused while a letter names it)."""
        from lettersmith.app import sources, yamledit

        self._require(Action.EDIT)
        source = sources.read(self.root, sources.path_of("recipients"))
        text = yamledit.remove_entry(source.text, sources.checked_id(recipient), file=source.rel)
        return sources.save(self.root, source.rel, text, expected_version, self._recorder())

    def add_offices(
        self, offices: Sequence[str], *, expected_version: str
    ) -> tuple[list[str], SourceFile]:
        """The register's ids for built-in offices (``no/hod``), so a letter can name them in
        ``to:``: an entry that names the office already, or a new entry ``hod: {office:
        no/hod}`` added to recipients.yaml (one save for all)."""
        from lettersmith.app import sources

        self._require(Action.EDIT)
        source = sources.read(self.root, sources.path_of("recipients"))
        register = sources.yaml_fields(source.text)
        chosen = sources.office_entries(register, offices)
        text = source.text
        for office_id, entry in chosen.items():
            if entry not in register:
                text = sources.recipient_text(
                    sources.SourceFile(source.rel, text, source.version),
                    entry,
                    {"office": office_id},
                )
        if text != source.text:
            source = sources.save(self.root, source.rel, text, expected_version, self._recorder())
        return list(chosen.values()), source

    def file_problems(self, kind: str, item: str | None = None) -> list[Problem]:
        """What ``check`` finds wrong in the file of a position, letter, club or the register
        (``kind``, ``item`` as for ``read_source``), to show beside its fields."""
        from lettersmith.app import sources

        self._require(Action.SEE, item if kind == "club" else None)
        return sources.problems_in(self.root, sources.path_of(kind, item))

    def save_club(
        self, club: str, fields: Mapping[str, Value], *, expected_version: str
    ) -> SourceFile:
        """Change fields of clubs/CLUB.yaml (name, place, language, signatories, letters: a
        mapping changes only the keys it names; None removes one)."""
        from lettersmith.app import sources

        self._require(Action.EDIT_CLUB, club)
        rel = sources.path_of("club", club)
        source = sources.read(self.root, rel)
        if not source.exists:
            raise LettersmithError(_("{file}: no such club").format(file=rel))
        text = sources.club_text(source, fields)
        return sources.save(self.root, rel, text, expected_version, self._recorder())

    def save_attachment(self, name: str, data: bytes) -> str:
        """Keep an uploaded file in assets/ (bounded, safely named, never replacing another
        file); the path a letter's ``attachments:`` names it by."""
        from lettersmith.app import uploads
        from lettersmith.app.audit import AuditLog

        self._require(Action.EDIT)  # assets/ is the union's folder
        with AuditLog(self.root / ".lettersmith").recording(
            self._who(), "change", file=uploads.ASSETS + "/"
        ) as audited:
            rel = uploads.save_attachment(self.root, name, data)
            audited.file = rel
            audited.note = _upload_note(name, data)
        return rel

    def receive_spreadsheet(self, name: str, data: bytes) -> Upload:
        """Keep an uploaded .xlsx or .csv privately for ``plan_import``/``import_recipients``
        (its ``path``); ``uploaded_spreadsheet(token)`` finds it again for the real import."""
        from lettersmith.app import uploads

        self._require(Action.EDIT)  # kept only to be imported into recipients.yaml
        return uploads.keep_spreadsheet(name, data)

    def uploaded_spreadsheet(self, token: str) -> Upload:
        from lettersmith.app import uploads

        self._require(Action.EDIT)
        return uploads.kept_spreadsheet(token)

    def preview_draft(
        self, position: str, text: str, *, letter: str | None = None, dpi: int = 60
    ) -> DraftPreview:
        """PNG pictures of a letter's pages with ``text`` as positions/POSITION.md, unsaved:
        the first letter using the position (or ``letter``; with none, a sample). Nothing is
        written. Problems in the draft raise, worded as ``check`` words them."""
        from lettersmith.app import draft, sources

        self._require(Action.EDIT)  # a draft of a position: what its editor sees while typing
        if not 30 <= dpi <= 200:
            raise BadArgument("dpi", f"{dpi}: give a resolution from 30 to 200")
        sources.checked_id(position)
        if letter is not None:
            sources.checked_id(letter)
        return draft.preview_draft(self.root, position, text, letter=letter, dpi=dpi)

    # ----------------------------------------------------------------------- accounts
    # The accounts of a union's server (``app/accounts.py``): who may log in to the web app,
    # with which role, and their sessions. Managing others' accounts needs Action.ACCOUNTS;
    # logging in and the sessions are the way in, asked before anyone is known.

    def _accounts(self) -> AccountStore:
        from lettersmith.app.accounts import AccountStore

        return AccountStore(self.root / ".lettersmith")

    def has_accounts(self) -> bool:
        """Whether the workspace has any account (then the web app asks everyone to log in)."""
        return self._accounts().has_accounts()

    def has_admin(self) -> bool:
        """Whether an ``admin`` account exists (a server beyond this computer needs one)."""
        return self._accounts().has_admin()

    def users(self) -> tuple[Account, ...]:
        """The accounts, by name."""
        self._require(Action.ACCOUNTS)
        return self._accounts().users()

    def user_details(self) -> tuple[UserDetail, ...]:
        """The accounts with when each was made, its password last changed, and how many
        sessions it has now."""
        self._require(Action.ACCOUNTS)
        clubs = self._club_ids()
        return tuple(
            replace(detail, club_gone=detail.account.club not in clubs)
            if detail.account.club is not None
            else detail
            for detail in self._accounts().details()
        )

    def user(self, name: str) -> Account:
        """The account ``name`` (any capitals); ``AccountError`` naming the accounts if none."""
        self._require(Action.ACCOUNTS)
        return self._accounts().user(name)

    def check_new_user(self, name: str, role: str) -> Account:
        """The account ``add_user`` would make of NAME and ROLE, or the ``AccountError`` it
        would raise (not a name, taken, not a role): asked before the password is typed."""
        from lettersmith.app.passwords import AccountError

        self._require(Action.ACCOUNTS)
        try:
            stored_role = access.parse_role(role, self._club_ids())
        except ValueError as error:
            raise AccountError(str(error)) from None
        return Account(self._accounts().check_new(name), stored_role)

    def add_user(self, name: str, role: str, password: str) -> Account:
        """A new account. ``role``: admin, secretary, board or club:<id> of a club in clubs/.
        The name: 1 to 64 letters, digits and . _ @ -, one account whatever its capitals;
        the password: at least 10 characters, not the name."""
        new = self.check_new_user(name, role)
        return self._accounts().add(new.name, new.role, password)

    def remove_user(self, name: str) -> Account:
        """Remove an account and end its sessions (never the last admin while others remain)."""
        self._require(Action.ACCOUNTS)
        return self._accounts().remove(name)

    def set_password(self, name: str, password: str) -> Account:
        """A new password for an account; its sessions end."""
        self._require(Action.ACCOUNTS)
        return self._accounts().set_password(name, password)

    def change_own_password(
        self, current: str, new: str, *, keep_session: str | None = None
    ) -> None:
        """The acting account changes its own password (any role), giving the current one;
        its sessions end but ``keep_session`` (the browser it is changed from)."""
        from lettersmith.app.passwords import AccountError

        if self.account is None:
            raise AccountError(_("no account is logged in, so there is no own password"))
        self._accounts().change_own_password(
            self.account.name, current, new, keep_session=keep_session
        )

    def log_in(self, name: str, password: str, *, address: str) -> Account:
        """The account these are the name and password of, or ``LoginRefused`` (``.wait``:
        seconds before the next try when failed logins for the name or from ``address``, the
        client's, are being slowed down)."""
        account = self._accounts().log_in(name, password, address=address)
        self._require_club_of(account)
        return account

    def _require_club_of(self, account: Account) -> None:
        """``ClubGone`` for a club account whose club has no file now (removed while the
        account stayed): its person is told so, not that the password was wrong."""
        from lettersmith.app.accounts import ClubGone

        if account.club is not None and account.club not in self._club_ids():
            raise ClubGone(
                _(
                    "{name} is the account of club {club}, and this workspace has no such club "
                    "now (clubs/{club}.yaml is gone): ask an administrator to put the club's "
                    "file back, or to remove the account (lettersmith users remove {name})"
                ).format(name=account.name, club=account.club)
            )

    def approver(self, name: str, password: str, *, club: str | None = None) -> Project:
        """This project as the board account ``name`` (its password checked as a login is),
        for ``approve``: an approval is then recorded as that account."""
        account = self.log_in(name, password, address="command line")
        access.require(account, Action.APPROVE, club)
        return self.acting_as(account)

    def start_session(self, account: Account, *, language: str) -> StartedSession:
        """A new session for a logged-in account: its id (for the cookie), CSRF token and
        language. Only the id's SHA-256 is stored."""
        return self._accounts().start_session(account, language=language)

    def find_session(self, session_id: str) -> StartedSession | None:
        """The live session with this id; None if unknown, ended, idle 12 hours, 14 days old,
        or its account removed or its role or password changed since."""
        found = self._accounts().find_session(session_id)
        if found is not None and found.account.club not in (None, *self._club_ids()):
            return None  # its club is gone: the login says so
        return found

    def end_session(self, session_id: str) -> None:
        """Log a session out (an unknown id: nothing happens)."""
        self._accounts().end_session(session_id)

    def set_session_language(self, session_id: str, language: str) -> None:
        """The language (nb, nn, en) a session's pages are shown in."""
        self._accounts().set_session_language(session_id, language)

    def _club_ids(self) -> frozenset[str]:
        """The clubs there are files for (clubs/<id>.yaml), read without loading them."""
        from lettersmith.load.yamlfile import is_id

        folder = self.root / "clubs"
        names = (path.stem for path in folder.glob("*.yaml")) if folder.is_dir() else ()
        return frozenset(name for name in names if is_id(name))


def _counts(report: Report) -> dict[str, int]:
    """A send's outcome for the audit trail: how many recipients ended in each state."""
    counts: dict[str, int] = {}
    for _item, state in report.states():
        counts[state] = counts.get(state, 0) + 1
    return counts


def _upload_note(name: str, data: bytes) -> str:
    import hashlib

    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{name[:80]} ({len(data):,} bytes, sha256 {digest})"


# --------------------------------------------------------------------------- no workspace


def new_workspace(directory: str | os.PathLike[str]) -> list[Path]:
    """A new workspace with a working example letter; the files written."""
    from lettersmith import scaffold

    return scaffold.new_workspace(Path(directory))


def verify_files(
    files: Sequence[str | os.PathLike[str]], trust: Sequence[str | os.PathLike[str]] = ()
) -> tuple[Verdict, ...]:
    """The signatures of signed PDFs, checked against ``trust`` (CA certificates) or the
    system's roots. Nothing is fetched from the network."""
    from lettersmith.render import verify as verifying

    context = verifying.trust_context([Path(path) for path in trust])
    return tuple(verifying.verify(Path(path), context) for path in files)


def search_offices(text: str | None = None) -> OfficeSearch:
    """The built-in register of offices matching TEXT (all without it); none is an error."""
    from lettersmith.load import offices

    found = tuple(offices.search(text))
    if not found:
        raise LettersmithError(
            _("no office matches '{text}'; `lettersmith offices` lists them all").format(text=text)
        )
    return OfficeSearch(found, offices.oldest_verification())


def parse_formats(formats: str | Sequence[str]) -> list[str]:
    """``"pdf,docx"`` or ``["pdf"]`` as a list of known formats; anything else refused."""
    text = formats if isinstance(formats, str) else ",".join(formats)
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    if not wanted or any(part not in FORMATS for part in wanted):
        raise BadArgument("--format", _("{text!r}: choose pdf, docx or pdf,docx").format(text=text))
    return wanted


@dataclass
class _Counter:
    """Progress events for ``total`` items; ``advance`` may be called from any thread."""

    stage: str
    total: int
    on_event: OnEvent
    done: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.on_event(Progress(self.stage, 0, self.total))

    def advance(self) -> None:
        with self.lock:
            self.done += 1
            self.on_event(Progress(self.stage, self.done, self.total))
