"""The data that flows through the pipeline.

Two halves: what the workspace says (loaded and validated by ``workspace``), and the
composed letter (made by ``compose``) that every renderer -- PDF, DOCX, email -- takes
as its only input, so that they never disagree about the text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Language = Literal["nb", "nn", "en"]
LANGUAGES: tuple[str, ...] = ("nb", "nn", "en")
Mode = Literal["joint", "each"]
Security = Literal["starttls", "ssl", "none"]
# Archival PDF, as the Noark archives of Norwegian ministries take it.
DEFAULT_PDF_VARIANT = "pdf/a-3b"

# --------------------------------------------------------------------------- workspace


@dataclass(frozen=True, slots=True)
class Source:
    """Where something was written, for error messages: ``recipients.yaml:14``."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    about: str | None = None
    tagline: str | None = None  # printed under the name: "Ein klubb i ... Norgesunionen"
    address: tuple[str, ...] = ()
    email: str | None = None
    website: str | None = None
    logo: Path | None = None  # resolved, absolute
    colour: str | None = None  # "#7a1f2b": the letterhead's colour; None for the house default
    font: Path | None = None  # a font file in assets/ that replaces the house fonts


@dataclass(frozen=True, slots=True)
class Signatory:
    id: str
    name: str
    title: str | None = None
    signature: Path | None = None  # resolved, absolute
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    id: str
    email: str
    title: str | None = None
    name: str | None = None
    organisation: str | None = None
    address: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    language: Language | None = None
    salutation: str | None = None
    club: str | None = None  # the club that added it, None for the register
    source: Source | None = None
    office: str | None = None  # the built-in register's office it builds on: "no/hod"
    verified: dt.date | None = None  # when its name was last checked against a source


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: Security = "starttls"
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Rate:
    """At most ``count`` messages per ``seconds``."""

    count: int
    seconds: float


@dataclass(frozen=True, slots=True)
class MailSettings:
    sender: str  # the ``from:`` field, one mailbox, display name allowed
    reply_to: str | None = None
    bcc: str | None = None
    smtp: SmtpSettings | None = None
    rate: Rate | None = None
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class SigningSettings:
    """``signing:``: sign every PDF with this PKCS#12 key (password from the environment)."""

    certificate: Path  # resolved, absolute
    timestamp_url: str | None = None
    reason: str | None = None
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Position:
    id: str
    title: str
    adopted_by: str
    adopted_on: dt.date
    language: Language
    body: str  # Markdown, as adopted
    path: Path
    body_line: int = 1  # line of the body's first line in the file
    # Whose meeting adopted it: the workspace's organisation, also in a club's letters (a club
    # sends the statement under its own name, but the union adopted it).
    organisation: str = ""


@dataclass(frozen=True, slots=True)
class LetterSpec:
    """A mailing as written in ``letters/<id>.yaml``, with a club's overrides applied."""

    id: str
    path: Path
    position: str
    to: tuple[str, ...]  # recipient ids and ``tag:NAME`` selectors
    signatory: str
    mode: Mode = "joint"
    date: dt.date | None = None
    place: str | None = None
    language: Language | None = None
    subject: str | None = None
    email: str | None = None  # cover note, Markdown
    attachments: tuple[Path, ...] = ()  # resolved, absolute
    append: str | None = None  # a club's own paragraphs, Markdown
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class Club:
    id: str
    path: Path
    name: str | None = None
    place: str | None = None
    language: Language | None = None
    organisation: dict[str, Any] = field(default_factory=dict)  # overrides of Organisation fields
    signatories: dict[str, Signatory] = field(default_factory=dict)
    recipients: dict[str, Recipient] = field(default_factory=dict)
    letters: dict[str, dict[str, Any]] = field(default_factory=dict)  # letter id -> overrides
    signing: SigningSettings | None = None  # the club's own key; never the union's
    approval_required: bool = False  # a club may ask for approval, never turn it off


@dataclass(frozen=True, slots=True)
class Workspace:
    """A loaded, validated workspace; under a club, the club's effective view of it."""

    root: Path
    organisation: Organisation
    language: Language = "nb"
    place: str | None = None
    signatories: dict[str, Signatory] = field(default_factory=dict)
    recipients: dict[str, Recipient] = field(default_factory=dict)
    positions: dict[str, Position] = field(default_factory=dict)
    letters: dict[str, LetterSpec] = field(default_factory=dict)
    clubs: dict[str, Club] = field(default_factory=dict)
    mail: MailSettings | None = None
    signing: SigningSettings | None = None
    approval_required: bool = False  # ``approval: required``: send needs an approval
    club: str | None = None  # set in a club's view
    template_dirs: tuple[Path, ...] = ()  # searched first to last, before the built-in ones
    trusted_clubs: tuple[str, ...] = ()  # clubs whose own templates and letter.docx are used

    @property
    def out_dir(self) -> Path:
        base = self.root / "out"
        return base / "clubs" / self.club if self.club else base

    @property
    def state_dir(self) -> Path:
        return self.root / ".lettersmith"


# --------------------------------------------------------------------------- composed letter


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one style. A ``"\\n"`` text is a hard line break."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Paragraph:
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 1 is the highest level inside a letter body
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple[Block, ...], ...]  # each item holds paragraphs and nested lists
    start: int = 1


Block = Paragraph | Heading | ListBlock


@dataclass(frozen=True, slots=True)
class Addressee:
    id: str
    lines: tuple[str, ...]  # as printed in the address field
    email: str
    display_name: str  # for the To: header


@dataclass(frozen=True, slots=True)
class Sender:
    name: str
    tagline: str | None = None
    address: tuple[str, ...] = ()
    email: str | None = None
    website: str | None = None
    logo: Path | None = None
    colour: str | None = None
    font: Path | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    title: str | None = None
    image: Path | None = None


@dataclass(frozen=True, slots=True)
class Phrases:
    """Fixed words in the letter's language."""

    closing: str  # "Vennlig hilsen"
    see_list: str  # shown in the address field when it cannot hold every addressee
    list_heading: str  # heading of the full list of addressees after the signature
    page: str  # "Side {page} av {pages}"
    attachments: str  # "Vedlegg"


@dataclass(frozen=True, slots=True)
class ComposedLetter:
    letter_id: str
    club_id: str | None
    stem: str  # output file name without suffix: the letter id, or the recipient id in each mode
    language: Language
    sender: Sender
    addressees: tuple[Addressee, ...]
    place: str
    date: dt.date
    date_line: str  # "Halden, 10.12.2024"
    intro: str  # "... vedtok på Representantskapsmøtet 14. september 2024 følgende uttalelse:"
    title: str
    subject: str
    body: tuple[Block, ...]
    closing: str
    signature: Signature
    phrases: Phrases
    about: str | None = None
    return_address: str = ""  # the small sender line above the address field
    salutation: str | None = None
    appended: tuple[Block, ...] = ()  # a club's own paragraphs, after the adopted body
    cover_note: tuple[Block, ...] = ()  # the email's body
    attachments: tuple[Path, ...] = ()
    root: Path = Path(".")  # the workspace root: renderers may read files only under it
    template_dirs: tuple[Path, ...] = ()  # club's, then workspace's; built-ins come last
    statement_language: Language | None = None  # the position's, where it is not the letter's
