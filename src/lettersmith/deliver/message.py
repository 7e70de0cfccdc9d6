"""A composed letter into email messages: one per addressee, ready for SMTP or a .eml file.

Every address and header value is checked here, before any connection is opened, so a
typo in the register can never smuggle a second recipient or header into a message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import mimetypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from markupsafe import escape

from lettersmith.addresses import LINE_BREAKS, MailboxError, checked_key, parse_mailbox
from lettersmith.compose import mailtext, markdown
from lettersmith.compose import revision as revisions
from lettersmith.errors import DeliveryError
from lettersmith.headers import header_problem
from lettersmith.model import Addressee, Block, ComposedLetter, MailSettings
from lettersmith.render.html import blocks_html
from lettersmith.translate import N_, _


class RefusedHeader(DeliveryError):
    """A header value or address that cannot go into a message; ``field`` says which."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Envelope:
    """The workspace's mail settings, checked: who sends, who gets replies and the archive copy."""

    sender: Address
    reply_to: Address | None = None
    bcc: Address | None = None

    @classmethod
    def from_settings(cls, settings: MailSettings) -> Envelope:
        return cls(
            sender=mailbox(settings.sender, "mail.from"),
            reply_to=mailbox(settings.reply_to, "mail.reply_to") if settings.reply_to else None,
            bcc=mailbox(settings.bcc, "mail.bcc") if settings.bcc else None,
        )


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient; ``data`` is its bytes as transmitted, made on demand.

    A batch plans hundreds of messages, each perhaps carrying megabytes of attachments: the
    plan keeps only how to make each one (the same bytes every time), and ``send`` makes a
    message just before it goes out, so memory does not grow with the batch.
    """

    letter_id: str
    club_id: str | None
    recipient_id: str
    address: str  # the recipient's address as sent (IDNA domain)
    message_id: str
    attachment_hash: str  # sha256 of everything attached, to notice a changed letter
    attachments: str  # the file names, for the plan table
    size: int
    mail_from: str
    rcpt_to: tuple[str, ...]  # the recipient, then the archive copy if any
    make: Callable[[], bytes] = field(repr=False, compare=False)
    revision: str = ""  # compose.resolve's hash of what this recipient receives
    mailbox: str = ""  # the address in its comparable form (addresses.mailbox_key)
    letter_date: str = ""  # the date printed on the letter, ISO
    files: tuple[Attached, ...] = field(default=(), repr=False, compare=False)  # attached

    @property
    def data(self) -> bytes:
        return self.make()

    def made(self) -> Outgoing:
        """This message with its bytes made once, for the journal's copy and the server."""
        data = self.make()
        return dataclasses.replace(self, make=lambda: data)


# Headers of our own, so that `journal rebuild` can restore a row from a copy of the message.
# The letter's own revision (the whole hash) is for the journal; X-Lettersmith-Revision shows
# the mailing's revision code as the review page, `status` and `approve` show it.
TRACE_HEADERS = {
    "letter": "X-Lettersmith-Letter",
    "club": "X-Lettersmith-Club",
    "recipient": "X-Lettersmith-Recipient",
    "revision": "X-Lettersmith-Letter-Revision",
    "letter_date": "X-Lettersmith-Date",
    "shown_revision": "X-Lettersmith-Revision",
}


def mailbox(value: str, field: str, display_name: str | None = None) -> Address:
    """Exactly one mailbox, its domain as IDNA; anything else is refused with the reason.

    ``display_name`` replaces the one written in ``value`` (the register keeps names apart).
    """
    try:
        found = parse_mailbox(value)
    except MailboxError as error:
        raise RefusedHeader(field, f"{field}: {value!r} {error}") from None
    name = found.display_name if display_name is None else display_name
    check_header(name, field)
    return Address(display_name=name, addr_spec=found.addr_spec)


def check_header(value: str, field: str) -> None:
    """Refuse a value that would start a new header line (header injection), or that a mail
    reader (or Python itself, before 3.11.10/3.12.5) would decode into one."""
    if any(char in value for char in LINE_BREAKS) or any(
        ord(char) < 32 or ord(char) == 127 for char in value
    ):
        raise RefusedHeader(
            field,
            _("{field}: {value!r} contains a line break; write it on one line").format(
                field=field, value=value
            ),
        )
    if problem := header_problem(value):
        raise RefusedHeader(field, f"{field}: {value!r} {problem}")


def attachment_hash(files: Sequence[tuple[str, bytes]]) -> str:
    """A hash of what is attached (names and bytes): it changes exactly when the letter does."""
    digest = hashlib.sha256()
    for name, content in files:
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def message_id(letter: ComposedLetter, recipient_id: str, hashed: str, domain: str) -> str:
    """The same Message-ID for the same letter, club, recipient and revision, always.

    A message sent again after an interrupted run thus carries the id of the first attempt,
    so a receiving archive can tell it is the same message.
    """
    key = "\0".join((letter.letter_id, letter.club_id or "", recipient_id, hashed))
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


@dataclass(frozen=True)
class Attached:
    """A file the message carries, with the hash of its bytes fixed when the send was planned.

    ``path`` is where its bytes are read as each message is made (the send's own copy);
    ``shown`` names the file for people (``out/x/x.pdf``).
    """

    name: str  # the file name in the message
    path: Path
    shown: str
    sha256: str

    def read(self) -> bytes:
        """The planned bytes, read once and checked: anything else stops the send."""
        try:
            data = self.path.read_bytes()
        except OSError as error:
            raise DeliveryError(
                _(
                    "{shown}: cannot be read any more ({strerror}); nothing more was sent; "
                    "run the send again"
                ).format(shown=self.shown, strerror=error.strerror or error)
            ) from None
        found = hashlib.sha256(data).hexdigest()
        if found != self.sha256:
            raise DeliveryError(
                _(
                    "{shown} changed since the send was planned (sha256 {sha256} planned, "
                    "{found} now); nothing more was sent; run the send again"
                ).format(shown=self.shown, sha256=self.sha256[:12], found=found[:12])
            )
        return data


def attached_now(letter: ComposedLetter, pdf: Path) -> list[Attached]:
    """The letter's PDF and extra attachments as they are now, their hashes fixed now."""
    files = [
        (mailtext.attachment_name(letter), pdf),
        *((path.name, path) for path in letter.attachments),
    ]
    return [
        Attached(
            name,
            path,
            shown_name(path, letter.root),
            hashlib.sha256(
                pdf.read_bytes() if path == pdf else read_attachment(path, letter)
            ).hexdigest(),
        )
        for name, path in files
    ]


def shown_name(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def build_message(
    letter: ComposedLetter,
    addressee: Addressee,
    envelope: Envelope,
    pdf: Path,
    *,
    revision: str = "",
    mailing_revision: str = "",
    now: dt.datetime | None = None,
    attached: Sequence[Attached] | None = None,
) -> Outgoing:
    """The message carrying ``letter`` (its PDF and extra attachments) to one addressee.

    ``revision``: the letter's (for the journal and the Message-ID); ``mailing_revision``: the
    mailing's, whose code the message shows. ``attached``: the files as the send planned them
    (their hashes fixed); without it, the PDF and the letter's attachments as they are now.
    """
    subject = mailtext.email_subject(letter)  # the letter's subject and its references
    check_header(subject, "subject")
    to = mailbox(
        addressee.email, _("recipient {id}").format(id=addressee.id), addressee.display_name
    )
    # The PDF is named for the reader's archive (mailtext.attachment_name), in either mode.
    pdf_name = mailtext.attachment_name(letter)
    for path in letter.attachments:
        check_header(path.name, _("attachment {name!r}").format(name=path.name))
        if path.name.casefold() == pdf_name.casefold():
            raise RefusedHeader(
                "attachments",
                _(
                    "attachment {name!r} has the name of the letter's own PDF, so the "
                    "recipient could not tell them apart; rename the file"
                ).format(name=path.name),
            )
    sources = list(attached) if attached is not None else attached_now(letter, pdf)

    # Read each time a message is made, never held: 500 messages x 5 MB stay on disk.
    hashed = attachment_hash([(file.name, file.read()) for file in sources])
    domain = envelope.sender.domain
    now = now or dt.datetime.now(dt.UTC)
    # By revision, not by the PDF's bytes: a new renderer makes other bytes of the same letter.
    # (A letter composed outside a mailing has no revision: then what is attached decides.)
    identifier = message_id(letter, addressee.id, revision or hashed, domain)
    trace = {
        "letter": letter.letter_id,
        "club": letter.club_id or "",
        "recipient": addressee.id,
        "revision": revision,
        "letter_date": letter.date.isoformat(),
        "shown_revision": revisions.shown(mailing_revision),
    }
    # Replies go where Reply-To says, else to the organisation's mailbox, else to the sender.
    answer_to = (envelope.reply_to or envelope.sender).addr_spec
    if not envelope.reply_to and letter.sender.email:
        answer_to = letter.sender.email
    body = mailtext.email_blocks(letter, addressee, answer_to)

    def make() -> bytes:
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = envelope.sender
        msg["To"] = to
        if envelope.reply_to:
            msg["Reply-To"] = envelope.reply_to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now.astimezone())
        msg["Message-ID"] = identifier
        for key, header in TRACE_HEADERS.items():
            if trace[key]:
                msg[header] = trace[key]
        # One composed text, two parts: the plain text and the HTML say the same words.
        msg.set_content(markdown.plain_text(body) + "\n")
        msg.add_alternative(_html_document(body, letter.language), subtype="html")
        for file in sources:
            maintype, subtype = _content_type(file.name)
            msg.add_attachment(file.read(), maintype, subtype, filename=file.name)
        # Only now: setting the body clears every Content-* header set before it.
        msg["Content-Language"] = letter.language
        # Boundaries from the message's identity, not random: the same message, the same bytes.
        for number, part in enumerate(p for p in msg.walk() if p.is_multipart()):
            part.set_boundary(f"=_{hashed[:24]}_{number}")
        return msg.as_bytes()

    data = make()  # once now, for its size and to refuse what cannot be encoded
    # The same bytes every time (fixed boundaries), so one check holds for every later make().
    traced = {TRACE_HEADERS[key].lower() for key, value in trace.items() if value}
    _verify(data, letter, to, envelope, [file.name for file in sources], traced)
    rcpt_to = (to.addr_spec,) + ((envelope.bcc.addr_spec,) if envelope.bcc else ())
    return Outgoing(
        letter_id=letter.letter_id,
        club_id=letter.club_id,
        recipient_id=addressee.id,
        address=to.addr_spec,
        message_id=identifier,
        attachment_hash=hashed,
        attachments=", ".join(file.name for file in sources),
        size=len(data),
        mail_from=envelope.sender.addr_spec,
        rcpt_to=rcpt_to,
        make=make,
        revision=revision,
        mailbox=checked_key(to.addr_spec),
        letter_date=letter.date.isoformat(),
        files=tuple(sources),
    )


def read_attachment(path: Path, letter: ComposedLetter) -> bytes:
    """An attachment's bytes, refused when past the size limit (checked before reading)."""
    from lettersmith.confine import MAX_ATTACHMENT, RefusedFileError, read_limited, shown_path

    shown = shown_path(path, letter.root)
    try:
        return read_limited(path, MAX_ATTACHMENT, shown, N_("attachment"), root=letter.root)
    except RefusedFileError as error:
        raise DeliveryError(str(error)) from None


_EXPECTED_HEADERS = {
    "from", "to", "subject", "date", "message-id", "mime-version", "content-type",
    "content-language",
}  # fmt: skip


def _verify(
    data: bytes,
    letter: ComposedLetter,
    to: Address,
    envelope: Envelope,
    names: list[str],
    traced: set[str],
) -> None:
    """Read the message back as a receiver would: the headers we set, no more, with the values
    we meant, and the attachments we meant. Whatever Python's header folding did (CVE-2024-6923
    let an encoded word in a value become a new header), a message that does not read back as
    built is never sent."""
    parsed = message_from_bytes(data, policy=policy.default)
    expected = _EXPECTED_HEADERS | traced | ({"reply-to"} if envelope.reply_to else set())
    found = [key.lower() for key in parsed]
    wrong = sorted(set(found) ^ expected) or sorted(k for k in set(found) if found.count(k) > 1)
    subject = str(parsed.get("Subject", ""))
    meant = mailtext.email_subject(letter)
    recipients = [a.addr_spec for a in getattr(parsed.get("To"), "addresses", ())]
    attached = [part.get_filename() for part in parsed.iter_attachments()]
    if wrong or subject != meant or recipients != [to.addr_spec] or attached != names:
        problem = (
            _("headers {names}").format(names=", ".join(wrong))
            if wrong
            else _("the subject, recipient or attachments")
        )
        raise RefusedHeader(
            "message",
            _(
                "the message to {addr_spec} does not read back as it was written "
                "({problem}); check the subject, the names and the attachment file names "
                "for unusual text"
            ).format(addr_spec=to.addr_spec, problem=problem),
        )


def _content_type(name: str) -> tuple[str, str]:
    guessed, encoding = mimetypes.guess_type(name)
    if guessed is None or encoding is not None:
        return "application", "octet-stream"
    maintype, subtype = guessed.split("/", 1)
    return maintype, subtype


def _html_document(blocks: Sequence[Block], language: str) -> str:
    body = blocks_html(blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(language)}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )
