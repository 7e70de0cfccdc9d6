"""``lettersmith check``: everything a build would stumble on, found before building.

Loading validates the files; every picture and font is opened (``images``); a club that is
still only a name is reported; then every letter is composed, under the workspace and under
every club, and its HTML template rendered once (and its own letter.docx, if it has one,
opened), so a broken template override or a letter that composes to nothing is reported
now rather than halfway through a batch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from lettersmith.addresses import mailbox_key
from lettersmith.app.notices import about_warnings, placeholder_warnings
from lettersmith.compose.resolve import Mailing, resolve
from lettersmith.deliver.inbox.news import bounced_addresses, short_date
from lettersmith.deliver.journal import first_sent_date
from lettersmith.errors import LettersmithError
from lettersmith.load import offices
from lettersmith.load.clubs import club_view, unfinished_clubs, unknown_trusted_clubs
from lettersmith.load.entries import SHORT_NAME_CHARS
from lettersmith.load.images import image_problems
from lettersmith.load.workspace import load
from lettersmith.model import ComposedLetter, Recipient, Workspace
from lettersmith.render.html import HEADER_NAME_CHARS, letter_html
from lettersmith.render.worker import run_limited
from lettersmith.translate import _


@dataclass(frozen=True)
class Summary:
    workspace: Workspace
    letters_composed: int
    warnings: tuple[str, ...] = ()


def check(root: Path, today: dt.date | None = None, *, only_club: str | None = None) -> Summary:
    """Load ``root`` and try every letter's composition and template; raise every problem.

    ``only_club``: the check a club's account may see, of the union's files and that club's
    alone; another club is left out, its problems not reported (they are not the club's).
    """
    if only_club is None:
        ws = load(root)
    else:
        ws = load(root, warn=lambda _text: None, club=only_club)
        ws = dataclasses.replace(ws, clubs={c: p for c, p in ws.clubs.items() if c == only_club})
    views = [ws, *(club_view(ws, club) for club in ws.clubs)]
    problems: list[str] = [*unfinished_clubs(ws), *image_problems(views)]
    warnings: list[str] = [*long_names(views)]
    if only_club is None:  # lettersmith.yaml's trusted_clubs names every club: the union's
        warnings[:0] = unknown_trusted_clubs(ws)
        warnings += gone_club_accounts(ws)  # and so are the server's accounts
    composed = 0
    for view in views:
        problems.extend(_signing_problems(view))
    warnings += bounce_warnings(views)
    for club in (None, *ws.clubs):
        for letter_id in ws.letters:
            try:
                mailing = resolve(ws, letter_id, club=club, today=today, sent_date=first_sent_date)
                letters = mailing.letters
                # A club's template runs in a worker held to the render limits.
                run_limited(letters[0], "template", letter_html, letters[0])
                _try_word_reference(letters[0])
            except LettersmithError as error:
                problems.extend(line for line in str(error).splitlines() if line not in problems)
            else:
                composed += len(letters)
                notes = (*shared_mailboxes(mailing), *mailing.shadowed, *register_notes(mailing))
                for note in notes:
                    where, _sep, what = note.partition(": ")
                    warning = _("{where}: warning: {what}").format(where=where, what=what)
                    if warning not in warnings:
                        warnings.append(warning)
                recipients = mailing.recipients
                noticed = [*placeholder_warnings(mailing.workspace, recipients)]
                noticed += about_warnings(mailing)
                warnings.extend(w for w in noticed if w not in warnings)
    if problems:
        raise LettersmithError("\n".join(problems))
    return Summary(ws, composed, tuple(warnings))


def long_names(views: list[Workspace]) -> list[str]:
    """A warning for each organisation whose name is too long for the one-line header of
    pages 2 and on and that gives no ``short_name`` for it (render.html.header_name)."""
    warnings = []
    for view in views:
        organisation = view.organisation
        if len(organisation.name) <= HEADER_NAME_CHARS or organisation.short_name:
            continue
        where = f"clubs/{view.club}.yaml" if view.club else "lettersmith.yaml"
        warnings.append(
            _(
                "{file}: warning: the organisation's name has {count} characters, more than "
                "the header of pages 2 and on holds on one line; add organisation.short_name "
                "(at most {most} characters), e.g. short_name: {example}"
            ).format(
                file=where,
                count=len(organisation.name),
                most=SHORT_NAME_CHARS,
                example=_initials(organisation.name),
            )
        )
    return warnings


def gone_club_accounts(ws: Workspace) -> list[str]:
    """A warning for each club account whose club has no file now (clubs/<id>.yaml removed
    while the account stayed): it can no longer log in, and nothing else would say so until
    its person tries. A warning, not a problem: the workspace's files are fine. Read only
    when the workspace has an accounts file; one query."""
    from lettersmith.app.accounts import ACCOUNTS_FILE, AccountStore
    from lettersmith.app.passwords import AccountError

    store = AccountStore(ws.state_dir)
    if not store.file.exists():
        return []
    where = f"{ws.state_dir.name}/{ACCOUNTS_FILE}"
    try:
        accounts = store.users()
    except AccountError as error:  # the files are what check is about: said, not stopped
        return [_("warning: {problem}").format(problem=error)]
    return [
        _(
            "{file}: warning: account {name} has role {role}, but there is no "
            "clubs/{club}.yaml; remove it with `lettersmith users remove {name}` or put the "
            "club's file back"
        ).format(file=where, name=account.name, role=account.role, club=account.club)
        for account in accounts
        if account.club is not None and account.club not in ws.clubs
    ]


def _initials(name: str) -> str:
    """ "Soroptimist International Norgesunionen, Region Nord" -> "SI Norgesunionen"."""
    words = name.split(",")[0].split()
    return " ".join(["".join(word[0] for word in words[:-1]), words[-1]])[:SHORT_NAME_CHARS]


def shared_mailboxes(mailing: Mailing) -> list[str]:
    """A warning for each mailbox that two or more of the letter's recipients share.

    ``send`` sends the mailing to such a mailbox once; the warning says so, so that the
    register can be tidied.
    """
    by_mailbox: dict[str, list[Recipient]] = {}
    for recipient in mailing.recipients:
        by_mailbox.setdefault(mailbox_key(recipient.email), []).append(recipient)
    where = mailing.spec.source.file if mailing.spec.source else f"letters/{mailing.letter_id}.yaml"
    if mailing.club_id:
        where = _("{file} (club {club})").format(file=where, club=mailing.club_id)
    return [
        _(
            "{where}: {ids} share the mailbox {email}; it gets the letter once, as {id}. "
            "Remove the extra id from the letter's to: or give it its own address"
        ).format(
            where=where,
            ids=", ".join(r.id for r in sharing),
            email=sharing[0].email,
            id=sharing[0].id,
        )
        for sharing in by_mailbox.values()
        if len(sharing) > 1
    ]


def register_notes(mailing: Mailing) -> list[str]:
    """Names that differ from the built-in register, and names checked too long before the
    letter's date (someone else may hold the office by then)."""
    notes = [note for r in mailing.recipients if (note := holder_difference(r)) is not None]
    notes += [
        stale_warning(r, mailing.letter_id, mailing.date)
        for r in mailing.recipients
        if r.name and offices.is_stale(r.verified, mailing.date)
    ]
    return notes


def holder_difference(recipient: Recipient) -> str | None:
    if recipient.office is None or recipient.name is None:
        return None
    office = offices.register()[recipient.office]
    if office.holder is None or office.holder == recipient.name:
        return None
    dates = [_("since {date}").format(date=office.since)] if office.since else []
    dates += [_("verified {date}").format(date=office.verified)] if office.verified else []
    return _(
        "{source}: {id}.name: '{name}' is not the register's holder of {office}, "
        "'{holder}' ({dates}); keep your name if the letter is meant for them, or remove "
        "name: to use the register's"
    ).format(
        source=recipient.source,
        id=recipient.id,
        name=recipient.name,
        office=office.id,
        holder=office.holder,
        dates=", ".join(dates),
    )


def stale_warning(recipient: Recipient, letter_id: str, date: dt.date) -> str:
    assert recipient.verified is not None
    days = (date - recipient.verified).days
    office = f" ({recipient.office})" if recipient.office else ""
    return _(
        "{source}: {id}: '{name}' was last verified {verified}, {days} days before letter "
        "{letter}'s date {date}; check on the ministry's page (regjeringen.no) that {name} "
        "still holds the office{office} and the address is right, then set verified: to the "
        "day you checked"
    ).format(
        source=recipient.source,
        id=recipient.id,
        name=recipient.name,
        verified=recipient.verified,
        days=days,
        letter=letter_id,
        date=date,
        office=office,
    )


def bounce_warnings(views: list[Workspace]) -> list[str]:
    """A recipient whose address bounced permanently (``lettersmith inbox``) and is still the
    address in the register: the letter cannot reach them until someone corrects it."""
    bounced = bounced_addresses(views[0].state_dir)
    if not bounced:
        return []
    warnings: list[str] = []
    for view in views:
        for recipient in view.recipients.values():
            event = bounced.get(mailbox_key(recipient.email))
            if event is None:
                continue
            why = ": ".join(part for part in (event.status, event.diagnostic) if part)
            warning = _(
                "{where}: warning: {id}: {address} bounced permanently on {date} ({why}); "
                "correct the address (the letter {letter} did not reach them), then send again"
            ).format(
                where=recipient.source or "recipients.yaml",
                id=recipient.id,
                address=recipient.email,
                date=short_date(event.date)[:10],
                why=why,
                letter=event.letter,
            )
            if warning not in warnings:
                warnings.append(warning)
    return warnings


def _try_word_reference(letter: ComposedLetter) -> None:
    """A workspace's or club's own letter.docx is opened and its styles checked now."""
    from lettersmith.render.docx import reference_path, render_docx

    if reference_path(letter) is not None:
        run_limited(letter, "DOCX", render_docx, letter)


def _signing_problems(view: Workspace) -> list[str]:
    """A certificate that is missing, locked with another password, or expired: now, by name."""
    if view.signing is None:
        return []
    from lettersmith.render.sign import load_key

    try:
        load_key(view.signing, view.root)
    except LettersmithError as error:
        return [str(error)]
    return []
