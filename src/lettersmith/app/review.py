"""``lettersmith review``: one self-contained page for the board, out/<letter>/review/index.html.

The page speaks the language of whoever makes it (``LANG`` for the command, through
``lettersmith.translate``), with the template environment the web app's pages use; the letter
and emails it shows stay in the letter's own language. How to approve follows the workspace:
the command with a typed name, or once it has accounts, a board account in the web app or at
the server.

Everything the page shows is in its folder (page pictures, the PDF and DOCX), and the page
asks for nothing else: it opens from disk, on a phone too, with no server and no network.
The emails are the very messages ``send`` would transmit (built the same way, not sent), so
the board approves what goes out. The folder is written beside and renamed into place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import io
import os
import secrets
import zipfile
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from lettersmith.app import pages as page_templates
from lettersmith.app.accountdb import board_only
from lettersmith.atomic import OutDir
from lettersmith.compose import diff as diffing
from lettersmith.compose import revision as revisions
from lettersmith.compose.i18n import moment
from lettersmith.confine import inside_out
from lettersmith.deliver import approval as approvals
from lettersmith.deliver import send as sending
from lettersmith.deliver.outbox import forget_copies
from lettersmith.errors import LettersmithError
from lettersmith.model import ComposedLetter, Workspace
from lettersmith.render import build
from lettersmith.render.preview import render_pngs
from lettersmith.translate import N_, _, current_language, ngettext

if TYPE_CHECKING:
    from lettersmith.compose.resolve import Mailing
    from lettersmith.deliver.approval import Standing

TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "review"
PER_PAGE = 50  # letters (and emails) on one page: a batch to every municipality gets pages
DPI = 80
# A mailing's mode in words (the code stays ``mode: each`` in the letter's file).
MODES = {"joint": N_("one letter to all recipients"), "each": N_("one letter to each recipient")}


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    office: str
    mailbox: str
    address: str
    language: str
    sent: str


@dataclass(frozen=True)
class Email:
    to: str
    sender: str
    subject: str
    text: str
    attachments: tuple[tuple[str, str], ...]  # (name, size as people read it)
    send: str  # what send would do: "new", "already sent ...", ...


@dataclass(frozen=True)
class Shown:
    """One letter shown whole: its pictures and files, relative to the review folder."""

    stem: str
    addressed_to: str
    pages: tuple[str, ...]
    pdf: str
    docx: str


@dataclass(frozen=True)
class Review:
    """What the review page shows (the web app shows the same in its own page), and the
    files written: ``folder`` holds the page, its pictures (``pages/``) and files (``files/``);
    the paths in ``shown`` are relative to it."""

    folder: Path
    written: tuple[Path, ...]
    title: str
    letter_id: str
    club: str | None
    organisation: str
    language: str
    mode: str
    date_line: str
    signatory: str
    revision: str  # the short code people compare
    revision_full: str
    made: str
    shown: tuple[Shown, ...]  # every letter
    more_letters: int  # none now: every letter is shown (the written page is paged)
    rows: tuple[Row, ...]
    emails: tuple[Email, ...]  # every email
    more_emails: int
    mail_problem: str | None
    diff: list[diffing.DiffLine] | None
    approve: str  # the command that approves this revision
    # Where the approval stands: who approved which revision (account and role), whether the
    # revision shown is approved in a way that counts (on a server: by a board account).
    approval: Standing | None = None


def write_review(mailing: Mailing, union: Mailing | None, *, pack: bool) -> Review:
    """Write the review folder (and with ``pack`` a zip of it); return what it shows and
    what was written.

    ``union`` is the union's mailing of the same letter, for a club's review (its diff).
    """
    ws = mailing.workspace
    target = build.letter_dir(ws, mailing.letter_id) / "review"
    inside_out(target / "index.html", ws.root)  # a link out of out/ is refused, not followed
    out = OutDir(ws.root)  # through folder handles: a folder swapped for a link is not followed
    staging = out.make_folder(target.parent / f".review-{secrets.token_hex(6)}")
    try:
        content = _content(mailing, union, staging, target)
        template = page_templates.environment(TEMPLATES).get_template("index.html.j2")
        names = []
        for number, page in enumerate(_pages(content), start=1):
            names.append(page_name(number))
            out.write(staging / page_name(number), template.render(**page))
        _swap(out, staging, target)
    except BaseException:
        out.remove_tree(staging)
        raise
    written = [target / name for name in names]
    if pack:
        zipped = target.parent / f"{mailing.letter_id}-review.zip"
        written.append(out.write(zipped, _zip(target)))
    return dataclasses.replace(content, written=tuple(written))


def page_name(number: int) -> str:
    """``index.html`` for the first page (the one people open), ``page-2.html`` and on."""
    return "index.html" if number == 1 else f"page-{number}.html"


@dataclass(frozen=True)
class Page:
    """One page of a review: the n-th ``PER_PAGE`` letters and the n-th of the emails (in each
    mode, one recipient's letter and email together)."""

    number: int  # from 1
    count: int  # pages in all
    shown: tuple[Shown, ...]
    emails: tuple[Email, ...]
    first: int  # the number of its first letter and email, from 1


def page_count(review: Review) -> int:
    return max(1, -(-max(len(review.shown), len(review.emails)) // PER_PAGE))


def review_page(review: Review, number: int) -> Page | None:
    """Page ``number`` of ``review`` (the written page and the web app's page alike); None
    for a number that is not one of its pages."""
    return _page(review, number) if 1 <= number <= page_count(review) else None


def _page(review: Review, number: int) -> Page:
    start, end = (number - 1) * PER_PAGE, number * PER_PAGE
    shown, emails = review.shown[start:end], review.emails[start:end]
    return Page(number, page_count(review), shown, emails, start + 1)


def _pages(review: Review) -> list[dict[str, object]]:
    """The template's values for each written page, every page linking to every other."""
    content = {field.name: getattr(review, field.name) for field in dataclasses.fields(review)}
    count = page_count(review)
    pages = [(number, page_name(number)) for number in range(1, count + 1)]
    standing = review.approval
    shared = {
        "reader_language": current_language(),  # <html lang>: the page's own words
        "web_review": f"/letters/{review.letter_id}/review"
        + (f"?club={review.club}" if review.club else ""),
        "not_counted": approvals.not_by_board(standing.uncounted)
        if standing is not None and standing.uncounted and not standing.current
        else None,
        "when": _when,
    }
    result = []
    for number in range(1, count + 1):
        page = _page(review, number)
        result.append(
            {
                **content,
                **shared,
                "shown": list(page.shown),
                "emails": list(page.emails),
                "first_letter": page.first,
                "letter_count": len(review.shown),
                "first_email": page.first,
                "email_count": len(review.emails),
                "page": number,
                "pages": pages,
            }
        )
    return result


def _content(mailing: Mailing, union: Mailing | None, folder: Path, target: Path) -> Review:
    """What the page shows; its pictures and files written into ``folder`` (the staging
    folder that becomes ``target``)."""
    ws, letters = mailing.workspace, mailing.letters
    jobs = build.plan([mailing], formats=("pdf", "docx"))
    failed = [o.error for o in build.build(jobs) if o.error]
    if failed:
        raise LettersmithError("\n".join(failed))
    shown = []
    for letter in letters:
        pdf = build.letter_dir(ws, mailing.letter_id) / f"{letter.stem}.pdf"
        docx = pdf.with_suffix(".docx")
        files = folder / "files"
        out = OutDir(ws.root)
        out.write(files / pdf.name, pdf.read_bytes())
        out.write(files / docx.name, docx.read_bytes())
        pages = render_pngs(pdf, folder / "pages", dpi=DPI, root=ws.root)
        shown.append(
            Shown(
                letter.stem,
                ", ".join(a.display_name for a in letter.addressees),
                tuple(f"pages/{p.name}" for p in pages),
                f"files/{pdf.name}",
                f"files/{docx.name}",
            )
        )
    emails, sent, mail_problem = _emails(mailing)
    revision = mailing.revision
    first = letters[0]
    return Review(
        folder=target,
        written=(),
        title=first.subject,
        letter_id=mailing.letter_id,
        club=ws.club,
        organisation=first.sender.name,
        language=first.language,
        mode=_(MODES[mailing.mode]) if mailing.mode in MODES else mailing.mode,
        date_line=first.date_line,
        signatory=", ".join(filter(None, (first.signature.name, first.signature.title))),
        revision=revisions.shown(revision),
        revision_full=revision,
        made=moment(dt.datetime.now().astimezone(), current_language()),
        shown=tuple(shown),
        more_letters=0,
        rows=tuple(_rows(ws, letters, sent)),
        emails=tuple(emails),
        more_emails=0,
        mail_problem=mail_problem,
        diff=diffing.letter_diff(union, mailing) if union is not None else None,
        approve=f"lettersmith approve {mailing.letter_id}"
        + (f" --club {ws.club}" if ws.club else ""),
        approval=approvals.standing(mailing, board_only=board_only(ws.state_dir)),
    )


def _rows(ws: Workspace, letters: Sequence[ComposedLetter], sent: dict[str, str]) -> list[Row]:
    rows, seen = [], set()
    for letter in letters:
        for addressee in letter.addressees:
            if addressee.id in seen:
                continue
            seen.add(addressee.id)
            recipient = ws.recipients.get(addressee.id)
            rows.append(
                Row(
                    addressee.id,
                    (recipient.name if recipient else None) or "",
                    ", ".join(
                        filter(None, (recipient.title, recipient.organisation) if recipient else ())
                    ),
                    addressee.email,
                    ", ".join(recipient.address) if recipient else "",
                    letter.language,
                    sent.get(addressee.id, _("not sent")),
                )
            )
    return rows


def _emails(mailing: Mailing) -> tuple[list[Email], dict[str, str], str | None]:
    """The messages send would transmit now, and each recipient's state in the journal."""
    try:
        with sending.open_journal(mailing.workspace, sending=False, planning=True) as journal:
            planned = sending.plan(mailing, journal)
    except LettersmithError as error:  # no mail: section yet, or an address send would refuse
        return [], {}, str(error)
    try:
        return _shown(planned)
    finally:  # only looked at: the copies the plan took go now (a web app stays open)
        forget_copies(mailing.workspace, planned)


def _shown(planned: list[sending.Planned]) -> tuple[list[Email], dict[str, str], str | None]:
    emails, sent = [], {}
    for item in planned:
        message = email.message_from_bytes(item.out.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        attachments = tuple(
            (part.get_filename() or "", _size(len(part.get_content())))
            for part in message.iter_attachments()
        )
        emails.append(
            Email(
                to=str(message["To"]),
                sender=str(message["From"]),
                subject=str(message["Subject"]),
                text=body.get_content() if body is not None else "",
                attachments=attachments,
                send=_("will be sent") if item.send else item.note,
            )
        )
        if item.previous is not None:
            when = sending.short_time(item.previous.updated_at)
            sent[item.out.recipient_id] = f"{_(item.previous.state)} {when}"
    return emails, sent, None


def _size(size: int) -> str:
    if size < 1024:
        return ngettext("{size} byte", "{size} bytes", size).format(size=size)
    return f"{size / 1024:.0f} kB"


def _when(at: str) -> str:
    """An approval's time (kept in UTC) in the reader's local time and language."""
    return moment(dt.datetime.fromisoformat(at).astimezone(), current_language())


def _swap(out: OutDir, staging: Path, target: Path) -> None:
    """Put the new folder in place of the old one; a reader sees one or the other, whole."""
    old = target.with_name(f".review-old-{os.getpid()}")
    out.remove_tree(old)
    with suppress(FileNotFoundError):  # none before the first review of this letter
        out.rename(target, old)
    out.rename(staging, target)
    out.remove_tree(old)


def _zip(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, Path("review") / file.relative_to(folder))
    return buffer.getvalue()
