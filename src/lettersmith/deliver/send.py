"""Sending a letter: plan who gets what, ask, deliver, journal, report; and ``status``.

The journal decides: a recipient already ``sent`` is skipped, one whose outcome is
``unknown`` is never sent again unless a person says so with ``--resend --to ID``, and a
recipient whose letter changed since it was sent is reported and sent again only with
``--resend``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lettersmith.addresses import mailbox_key
from lettersmith.atomic import OutDir
from lettersmith.compose import mailtext
from lettersmith.compose.resolve import Mailing
from lettersmith.confine import inside_out
from lettersmith.deliver import message as mail
from lettersmith.deliver.inbox.news import bounced_messages, verdict
from lettersmith.deliver.inbox.store import Event
from lettersmith.deliver.journal import INTERRUPTED, REACHED, Entry, Journal, read_outcome
from lettersmith.deliver.message import Envelope, Outgoing, RefusedHeader
from lettersmith.deliver.outbox import Outbox
from lettersmith.deliver.rebuild import refuse_lost_journal
from lettersmith.deliver.smtp import Outcome, Session, check_settings
from lettersmith.errors import DeliveryError
from lettersmith.model import ComposedLetter, LetterSpec, SmtpSettings, Workspace
from lettersmith.render import build
from lettersmith.translate import N_, _

# Kept in the journal in English (a record); the status table shows it translated.
NOT_ACCEPTED = N_("interrupted before the server accepted the message")


@dataclass(frozen=True)
class Planned:
    """One recipient's message and what this run will do with it."""

    out: Outgoing
    previous: Entry | None
    send: bool
    note: str  # why, in a few words, for the plan table
    changed: bool = False  # sent before, but the letter's revision differs now
    same_as: str | None = None  # another recipient of this run with the same mailbox
    bounced: bool = False  # sent, but it bounced for good to the address it still has


@dataclass(frozen=True)
class Delivered:
    planned: Planned
    outcome: Outcome


@dataclass
class Report:
    """What a run did: the plan, each attempt's outcome, and what stopped it early, if anything."""

    planned: list[Planned]
    results: list[Delivered]
    stopped: DeliveryError | None = None

    def states(self) -> list[tuple[Planned, str]]:
        """Each recipient's state after this run; ``pending`` if the batch stopped before it."""
        attempted = {id(result.planned): result.outcome.state for result in self.results}
        by_recipient: dict[str, str] = {}
        states: list[tuple[Planned, str]] = []
        for item in self.planned:
            state: str
            if id(item) in attempted:
                state = attempted[id(item)]
            elif item.same_as is not None:  # shares its twin's message, so its state too
                state = by_recipient.get(item.same_as, "pending")
            elif item.send or item.previous is None:
                state = "pending"
            elif item.bounced:
                state = "bounced"
            else:
                state = item.previous.state
            by_recipient[item.out.recipient_id] = state
            states.append((item, state))
        return states

    @property
    def undelivered(self) -> bool:
        """Some selected recipient does not have the letter, or may not have it."""
        return any(state != "sent" for _, state in self.states())

    def hints(self, command: str, status_command: str | None = None) -> list[str]:
        """What to type next, for everything that is not delivered yet."""
        by_state: dict[str, list[str]] = {}
        for item, state in self.states():
            if state == "sent" and item.changed and not item.send:
                state = "changed"
            by_state.setdefault(state, []).append(item.out.recipient_id)
        hints = []
        if waiting := by_state.get("pending", []) + by_state.get("deferred", []):
            hints.append(
                _("Not delivered yet: {names}. To continue: {command}").format(
                    names=", ".join(waiting), command=command
                )
            )
        if failed := by_state.get("failed"):
            hints.append(
                _(
                    "Refused by the server: {names} (see the reply above). Correct the "
                    "address if it is wrong, then: {command}"
                ).format(names=", ".join(failed), command=command)
            )
        for rid in by_state.get("unknown", []) + by_state.get("sending", []):
            arrived = (
                _("if it did: {status_command} --mark-arrived {rid}; ").format(
                    status_command=status_command, rid=rid
                )
                if status_command
                else ""
            )
            hints.append(
                _(
                    "{rid}: unknown whether it arrived. Check with the recipient (a copy is "
                    "under .lettersmith/sent/); {arrived}only if it did not arrive: "
                    "{command} --resend --to {rid}"
                ).format(rid=rid, arrived=arrived, command=command)
            )
        if bounced := by_state.get("bounced"):
            hints.append(
                _(
                    "Bounced: {ids} (`status` says why). Correct the address in recipients.yaml "
                    "if it is wrong, then: {command}"
                ).format(ids=", ".join(bounced), command=command)
            )
        if changed := by_state.get("changed"):
            to = " ".join(f"--to {rid}" for rid in changed)
            hints.append(
                _(
                    "Changed since sent: {names}. To send the new version: {command} --resend {to}"
                ).format(names=", ".join(changed), command=command, to=to)
            )
        return hints


def plan(
    mailing: Mailing,
    journal: Journal,
    *,
    resend: bool = False,
    now: dt.datetime | None = None,
) -> list[Planned]:
    """Every selected recipient's message, checked and built (PDFs too), and whether to send it.

    What is attached is fixed here: the PDFs made afresh, every file hashed and copied into
    the send's outbox (the caller removes the copies when it is done with the plan:
    ``outbox.forget_copies``), and what leaves checked against the mailing's revision (the one the
    board approved). Every bad address or header is reported at once, before any PDF is
    built or any connection is opened. A mailbox gets the mailing once: a second id with the same
    mailbox rides along with the first, and an id renamed since the mailing reached its
    mailbox counts as already sent.
    """
    letters = list(mailing.selected_letters)
    envelope = _check_all(mailing, letters)
    outbox = Outbox(mailing)
    try:
        return _plan(mailing, journal, outbox, letters, envelope, resend=resend, now=now)
    except BaseException:  # stopped half way: the copies it took go now, not in 30 days
        outbox.discard()
        raise


def _plan(
    mailing: Mailing,
    journal: Journal,
    outbox: Outbox,
    letters: list[ComposedLetter],
    envelope: Envelope,
    *,
    resend: bool,
    now: dt.datetime | None,
) -> list[Planned]:
    """``plan`` once the addresses are checked, taking its copies into ``outbox``."""
    # --to picks whose messages go, it does not re-address the letter: a joint letter keeps
    # all its addressees, so `--resend --to ID` sends the very letter the others received.
    chosen = set(mailing.selected)
    first_with: dict[str, str] = {}  # mailbox -> the recipient planned for it in this run
    bounces = bounced_messages(journal.state_dir)  # `lettersmith inbox` read them
    planned = []
    pdfs = outbox.make_pdfs(letters)
    for letter, pdf in zip(letters, pdfs, strict=True):
        attached = outbox.take(letter, pdf)
        # A row journalled before the look and the envelope counted carries the old revision.
        legacy = (outbox.leaving[letter.stem].legacy_revision,)
        for addressee in letter.addressees:
            if addressee.id not in chosen:
                continue
            revision = mailing.revision_for(addressee.id)
            out = mail.build_message(
                letter,
                addressee,
                envelope,
                pdf,
                revision=revision,
                mailing_revision=mailing.revision,
                now=now,
                attached=attached,
            )
            previous = journal.get(out.letter_id, out.club_id, out.recipient_id)
            if (twin := first_with.get(out.mailbox)) is not None:
                planned.append(
                    Planned(
                        out,
                        previous,
                        False,
                        _("same mailbox as {twin}: once").format(twin=twin),
                        same_as=twin,
                    )
                )
                continue
            first_with[out.mailbox] = out.recipient_id
            if previous is None or previous.state not in REACHED:
                previous = journal.reached(out.letter_id, out.club_id, out.mailbox) or previous
            item = decide(out, previous, resend, legacy=legacy)
            bounce = bounces.get(previous.message_id) if previous is not None else None
            if bounce is not None and previous is not None and previous.state in REACHED:
                item = after_bounce(out, previous, bounce, resend)
            planned.append(item)
    return planned


def write_dry_run(ws: Workspace, planned: Sequence[Planned]) -> list[Path]:
    """The messages a real run would send, as out/<letter>/mail/<recipient>.eml.

    Messages from an earlier dry run are removed first, so the folder shows this run only.
    """
    folders = {build.letter_dir(ws, item.out.letter_id) / "mail" for item in planned}
    for folder in folders:  # all checked before anything is deleted
        inside_out(folder / "x.eml", ws.root)
    out = OutDir(ws.root)  # through folder handles: a folder swapped for a link is not followed
    for folder in folders:
        for name in out.names(folder):
            if name.endswith(".eml"):
                out.remove(folder / name)
    written = [
        out.write(
            build.letter_dir(ws, item.out.letter_id) / "mail" / f"{item.out.recipient_id}.eml",
            item.out.data,
        )
        for item in planned
        if item.send
    ]
    return written


def deliver(planned: Sequence[Planned], journal: Journal, session: Session) -> Iterator[Delivered]:
    """Send what the plan says, journalling each message before and after its data goes out.

    Raises DeliveryError when the server cannot be reached again; what was not attempted
    stays as it was, so running the same command again continues.
    """
    for item in planned:
        if not item.send:
            continue
        out = item.out.made()  # its bytes only now, and only until the next message
        transmitting: list[Outgoing] = []  # this message's row is `sending`

        def before_data(out: Outgoing = out, transmitting: list[Outgoing] = transmitting) -> None:
            journal.record_sending(out)
            transmitting.append(out)

        try:
            outcome = session.send(out, before_data)
        except KeyboardInterrupt:
            if transmitting:  # Ctrl-C after the row became `sending`: record what is known
                outcome = (
                    Outcome("unknown", INTERRUPTED)
                    if session.awaiting_reply
                    else Outcome("deferred", NOT_ACCEPTED)
                )
                journal.record_outcome(out, outcome.state, outcome.reply)
                yield Delivered(item, outcome)
            raise
        except DeliveryError as error:
            # send() raises only when the server has not taken this message: safe to retry.
            journal.record_outcome(out, "deferred", str(error))
            yield Delivered(item, Outcome("deferred", str(error)))
            raise
        journal.record_outcome(out, outcome.state, outcome.reply)
        yield Delivered(item, outcome)


def send_planned(
    ws: Workspace,
    planned: Sequence[Planned],
    journal: Journal,
    on_done: Callable[[Delivered], None] = lambda _: None,
) -> Report:
    """Connect and deliver; whatever stops the batch (even Ctrl-C) ends up in the report."""
    report = Report(list(planned), [])
    if not any(item.send for item in planned):
        return report
    try:
        with open_session(ws) as session:
            for result in deliver(planned, journal, session):
                report.results.append(result)
                on_done(result)
    except DeliveryError as error:
        report.stopped = error
    except KeyboardInterrupt:
        report.stopped = DeliveryError(_("Interrupted."))
    return report


def open_journal(
    ws: Workspace, *, sending: bool, planning: bool = False, readonly: bool | None = None
) -> Journal:
    """The workspace's journal; for a real send, claimed for this run and cleared of crashes.

    ``planning`` (any send, dry run too, and status): a journal that is missing, empty or unreadable
    while .lettersmith/sent/ holds copies of sent messages is refused, never taken as
    "nothing sent yet". Not sending, it is opened read-only (``status``, a dry run): nothing
    is written, so a read-only copy of a workspace can be inspected.
    """
    if sending or planning:
        refuse_lost_journal(ws.state_dir)
    if readonly if readonly is not None else not sending:
        return Journal.open_readonly(ws.state_dir)
    journal = Journal.open(ws.state_dir)
    if sending:
        try:
            journal.lock()
            refuse_lost_journal(ws.state_dir, locked=True)  # a send that just ended: again
        except BaseException:
            journal.close()
            raise
        journal.recover()
    return journal


def smtp_settings(ws: Workspace) -> SmtpSettings:
    """The checked SMTP settings, before anything is built: a refusal costs nothing."""
    where = ws.mail.source.file if ws.mail and ws.mail.source else "lettersmith.yaml"
    return check_settings(ws.mail.smtp if ws.mail else None, where)


def open_session(ws: Workspace) -> Session:
    smtp = smtp_settings(ws)
    return Session(smtp, rate=ws.mail.rate if ws.mail else None)


def command_line(
    workspace_dir: Path | None,
    letter: str,
    club: str | None,
    selectors: Sequence[str] = (),
    *,
    verb: str = "send",
) -> str:
    """The command as typed, to tell the user exactly what to run next."""
    words = ["lettersmith"]
    if workspace_dir is not None:
        words += ["-w", str(workspace_dir)]
    words += [verb, letter]
    if club:
        words += ["--club", club]
    for selector in selectors:
        words += ["--to", selector]
    return shlex.join(words)


def status(mailing: Mailing, journal: Journal) -> list[tuple[str, str, Entry | None]]:
    """Each selected recipient, its address, and its journal row (None: never sent).

    A recipient whose mailbox got the mailing under another id shows that id's row.
    Recipients no longer on the letter but in the journal are listed too, after the others.
    """
    # A leftover ``sending`` row is a crash's when no send is running: shown as what the next
    # send will make of it (the server's answer kept beside its copy, else unknown), without
    # writing anything now.
    running = journal.sending_elsewhere()

    def shown(entry: Entry | None) -> Entry | None:
        if entry is not None and entry.state == "sending" and not running:
            return _as_recovered(journal.state_dir, entry)
        return entry

    club = mailing.club_id
    rows = {e.recipient: shown(e) for e in journal.entries(mailing.letter_id, club)}
    chosen = set(mailing.selected)
    recipients = [r for r in mailing.recipients if r.id in chosen]
    found: dict[str, Entry | None] = {}
    addresses: dict[str, str] = {}
    for recipient in recipients:
        addresses[recipient.id] = recipient.email
        found[recipient.id] = rows.get(recipient.id) or shown(
            journal.reached(mailing.letter_id, club, mailbox_key(recipient.email))
        )
    if len(chosen) == len(mailing.recipients):  # without --to: the journal's others too
        for rid, entry in rows.items():
            if rid not in addresses and entry is not None:
                addresses[rid], found[rid] = entry.address, entry
    for rid, row in found.items():
        if row is not None and row.recipient == rid:
            addresses[rid] = row.address  # as it was sent
    return [(rid, address, found.get(rid)) for rid, address in addresses.items()]


def _as_recovered(state_dir: Path, entry: Entry) -> Entry:
    """A crashed run's ``sending`` row as ``Journal.recover`` will record it."""
    answer = read_outcome(state_dir, entry.copy) if entry.copy else None
    state, reply = answer or ("unknown", INTERRUPTED)
    return dataclasses.replace(entry, state=state, reply=reply)


def mark_arrived(
    ws: Workspace, spec: LetterSpec, journal: Journal, recipients: Sequence[str]
) -> None:
    """Record ``unknown`` messages that a person found did arrive as ``sent``.

    Needs the send lock, so it never races a running ``send``.
    """
    journal.lock()
    journal.recover()
    problems = []
    for rid in recipients:
        if not journal.mark_arrived(spec.id, ws.club, rid):
            entry = journal.get(spec.id, ws.club, rid)
            state = entry.state if entry else "not sent"
            problems.append(
                _(
                    "{rid}: its state is {state}; only a message whose outcome is unknown "
                    "can be marked as arrived"
                ).format(rid=rid, state=state)
            )
    if problems:
        raise DeliveryError("\n".join(problems))


# --------------------------------------------------------------------------- decisions


def decide(
    out: Outgoing, previous: Entry | None, resend: bool, *, legacy: Sequence[str] = ()
) -> Planned:
    """What to do with one recipient's message. ``legacy``: revisions an older lettersmith
    gave this very letter (a row of then with one of them is not a changed letter)."""
    rid = out.recipient_id
    if previous is None:
        return Planned(out, None, True, _("new"))
    state, when = previous.state, short_time(previous.updated_at)
    if previous.recipient != rid:
        # the id was renamed, the mailbox is the same
        when = _("{when} as {recipient}").format(when=when, recipient=previous.recipient)
    if previous.revision:
        changed = previous.revision != out.revision and previous.revision not in legacy
    else:  # a row from before revisions: compare what was attached, as it was then
        changed = previous.attachment_hash != out.attachment_hash
    if state in ("deferred", "failed"):
        return Planned(out, previous, True, _("again (was {state})").format(state=_(state)))
    if state == "sent":
        if changed:
            if resend:
                note = _("new version (sent {when})").format(when=when)
                return Planned(out, previous, True, note, changed=True)
            note = _("changed since sent {when}: --resend --to {rid}").format(when=when, rid=rid)
            return Planned(out, previous, False, note, changed=True)
        if resend:
            return Planned(
                out, previous, True, _("again (--resend; sent {when})").format(when=when)
            )
        return Planned(out, previous, False, _("already sent {when}").format(when=when))
    if resend:  # unknown: a person has checked that it did not arrive
        note = _("again ({state} since {when}, --resend)").format(state=_(state), when=when)
        return Planned(out, previous, True, note)
    note = _("{state}: check whether it arrived, then --resend --to {rid}").format(
        state=_(state), rid=rid
    )
    return Planned(out, previous, False, note)


def after_bounce(out: Outgoing, previous: Entry, bounce: Event, resend: bool) -> Planned:
    """A recipient whose message bounced for good has not got the letter: it goes again to a
    corrected address; to the same address only with --resend (it would bounce again)."""
    why = bounce.status or _("bounced")
    if out.mailbox != bounce.address:
        return Planned(
            out,
            previous,
            True,
            _("again: bounced ({why}) at {address}").format(why=why, address=previous.address),
        )
    if resend:
        return Planned(out, previous, True, _("again (--resend; bounced: {why})").format(why=why))
    if verdict(bounce).bad_address:
        note = _("bounced ({why}): correct the address, then send again").format(why=why)
    else:  # refused by a filter, a full mailbox: the address is right, the cause elsewhere
        note = _(
            "bounced ({why}): see `status`; once the cause is fixed, --resend --to {id}"
        ).format(why=why, id=out.recipient_id)
    return Planned(out, previous, False, note, bounced=True)


def _check_all(mailing: Mailing, letters: list[ComposedLetter]) -> Envelope:
    """Every address and header of the batch checked, all problems reported together."""
    ws, spec = mailing.workspace, mailing.spec
    if ws.mail is None:
        raise DeliveryError(
            _("lettersmith.yaml: there is no mail: section; add mail.from (and mail.smtp to send)")
        )
    mail_file = ws.mail.source.file if ws.mail.source else "lettersmith.yaml"
    letter_file = spec.source.file if spec.source else f"letters/{spec.id}.yaml"
    problems: list[str] = []
    envelope = None
    try:
        envelope = Envelope.from_settings(ws.mail)
    except RefusedHeader as error:
        problems.append(f"{mail_file}: {error}")
    for subject in sorted({mailtext.email_subject(letter) for letter in letters}):
        try:
            mail.check_header(subject, "subject")
        except RefusedHeader as error:
            problems.append(f"{letter_file}: {error}")
    for letter in letters:
        for addressee in letter.addressees:
            try:
                mail.mailbox(addressee.email, f"{addressee.id}: email", addressee.display_name)
            except RefusedHeader as error:
                recipient = ws.recipients.get(addressee.id)
                source = recipient.source if recipient and recipient.source else None
                problems.append(f"{source or 'recipients.yaml'}: {error}")
    if problems:
        raise DeliveryError("\n".join(problems) + "\n" + _("Nothing was sent."))
    assert envelope is not None
    return envelope


def short_time(stamp: str) -> str:
    """A journal timestamp as people read it: 2024-12-10 14:03."""
    return stamp.replace("T", " ")[:16]
