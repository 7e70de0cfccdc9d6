"""The fields of ``recipients.yaml`` and ``lettersmith.yaml``, declared once.

The loader's lists of known and required fields, the spreadsheet's column names (English and
Norwegian), the columns of an export and the README's field reference all read
:data:`RECIPIENT` and :data:`SETTINGS`; the README's tables are generated here
(``python -m lettersmith.load.fields --markdown``) and a test keeps them equal to this
declaration.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Literal

from lettersmith.translate import _

# How a value is written in recipients.yaml and in one spreadsheet cell.
Kind = Literal[
    "text", "email", "lines", "tags", "language", "office", "date", "id", "fields", "paragraph",
    "paragraphs",
    "mailbox", "file", "image", "font", "colour", "url", "number", "rate", "security", "approval",
    "signatories",
]  # fmt: skip
KIND_WORDS: dict[str, str] = {
    "fields": "fields below",
    "paragraph": "text, may span lines",
    "paragraphs": "text, may span lines; or one text per language under nb:, nn:, en:",
    "mailbox": "email address, a name allowed",
    "file": "path of a file",
    "image": "path of an SVG, PNG or JPEG file",
    "font": "path of a .ttf, .otf or .woff2 file",
    "colour": '"#RRGGBB" in quotes',
    "url": "web address",
    "number": "whole number",
    "rate": "NUMBER/second, /minute or /hour",
    "security": "starttls, ssl or none",
    "approval": "required or optional",
    "signatories": "a signatory id, then fields below",
    "text": "text",
    "email": "email address",
    "lines": "list of lines",
    "tags": "list of ids",
    "language": "nb, nn or en",
    "office": "office id",
    "date": "date YYYY-MM-DD",
    "id": "id",
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    help: str  # plain English, one sentence or two
    example: str  # as written in recipients.yaml
    columns: tuple[str, ...] = ()  # other spreadsheet header names, as people write them
    default: str = "nothing"  # what an entry without the field gets, in words
    in_file: bool = True  # False: not a field inside an entry (a spreadsheet column, the key)
    note: str = ""  # said after the name in the README's table


RECIPIENT: tuple[Field, ...] = (
    Field(
        "id", "id",
        "The entry's key in recipients.yaml, used by `to:`; an import makes one from the name.",
        "smk:", (), "made from the name", in_file=False, note="the entry's key",
    ),
    Field(
        "title", "text",
        "The office, printed before the name.",
        "title: Statsminister", ("Tittel", "Stilling", "Verv"),
    ),
    Field(
        "name", "text",
        "The person's name.",
        "name: Jonas Gahr Støre", ("Navn", "Fullt navn", "Full name"),
    ),
    Field(
        "organisation", "text",
        "The ministry, municipality or body.",
        "organisation: Statsministerens kontor",
        ("Organisasjon", "Organization", "Virksomhet"),
    ),
    Field(
        "email", "email",
        "Where the letter is sent. Required, unless `office:` gives it.",
        "email: postmottak@smk.dep.no",
        ("E-post", "E-postadresse", "Email address", "Mail", "E-postmottak"),
        "required",
    ),
    Field(
        "address", "lines",
        "The postal address, printed instead of the email address.",
        "address: [Postboks 8001 Dep, 0030 Oslo]", ("Adresse", "Postadresse"),
    ),
    Field(
        "postcode", "text",
        "Joined with the town into the address's last line (`0030 Oslo`).",
        "0030", ("Postnummer", "Postnr", "Zip"), in_file=False, note="spreadsheet only",
    ),
    Field(
        "town", "text",
        "Joined with the postcode into the address's last line.",
        "Oslo", ("Poststed", "Sted", "City"), in_file=False, note="spreadsheet only",
    ),
    Field(
        "tags", "tags",
        "Groups for `to: [tag:NAME]`; in a spreadsheet separated by commas.",
        "tags: [regjeringen]", ("Tagger", "Tag", "Grupper"),
    ),
    Field(
        "language", "language",
        "This recipient's language in `each` mode.",
        "language: nb", ("Språk", "Mål", "Maal"), "the letter's language",
    ),
    Field(
        "salutation", "text",
        "A greeting line, `each` mode only.",
        "salutation: Til statsministeren", ("Hilsen",),
    ),
    Field(
        "their_reference", "text",
        "Their case number (\"Deres ref.\"), printed in the reference block beside the "
        "address; in `joint` mode only when the letter has this one recipient.",
        "their_reference: 24/1234", ("Deres ref.", "Deres referanse", "Saksnummer", "Their ref"),
    ),
    Field(
        "office", "office",
        "Take title, name, ministry, mailbox and address from the built-in register of "
        "offices (`lettersmith offices` lists them); what the entry writes wins.",
        "office: no/hod", ("Kontor", "Embete"),
    ),
    Field(
        "verified", "date",
        "The day someone last checked the name against the ministry's page.",
        "verified: 2026-11-02", ("Verifisert", "Sjekket"), "the office's date, with office:",
    ),
)  # fmt: skip

SETTINGS: tuple[Field, ...] = (
    Field("organisation", "fields", "Who writes the letters.", "organisation:", default="required"),
    Field("organisation.name", "text", "The organisation's name, in the letterhead.",
          "name: Soroptimist International Norgesunionen", default="required"),
    Field("organisation.short_name", "text", "A shorter name, at most 40 characters, for the "
          "header of pages 2 and on, where the whole name does not fit one line.",
          "short_name: SI Norgesunionen", default="the name"),
    Field("organisation.tagline", "text", "A line under the name in the letterhead.",
          "tagline: Ein klubb i Soroptimist International Norgesunionen"),
    Field("organisation.about", "paragraphs", "A closing paragraph about you, in the letters' "
          "language; a letter in a language it has no text in ends without it (`check` warns).",
          "about: {nb: Soroptimist International er ..., nn: Soroptimist International er ...}"),
    Field("organisation.address", "lines", "Your postal address, in the letterhead.",
          "address: [Postboks 1, 1751 Halden]"),
    Field("organisation.email", "email", "Your email address, in the letterhead.",
          "email: post@example.org"),
    Field("organisation.website", "text", "Your website, in the letterhead.",
          "website: https://example.org"),
    Field("organisation.logo", "image", "Your logo, in the letterhead; the DOCX uses a PNG of "
          "the same name beside an SVG.", "logo: assets/logo.svg", default="your name only"),
    Field("organisation.colour", "colour", "The colour of your name and the rule in the "
          "letterhead.", 'colour: "#0a4f9c"', default="dark grey"),
    Field("organisation.font", "font", "Your own font for the whole letter; its licence must "
          "allow embedding.", "font: assets/MinFont.ttf", default="IBM Plex"),
    Field("language", "language", "The letters' language.", "language: nb", default="nb"),
    Field("place", "text", "The place on the date line.", "place: Halden"),
    Field("signatories", "signatories", "Who signs; letters name one by its id.",
          "signatories: {president: ...}"),
    Field("signatories.ID.name", "text", "The signatory's name.",
          "name: Karin Dahlberg Pettersen", default="required"),
    Field("signatories.ID.title", "text", "The signatory's title, under the name.",
          "title: Unionspresident"),
    Field("signatories.ID.signature", "image", "An image of the handwritten signature.",
          "signature: assets/signature.png"),
    Field("mail", "fields", "How `lettersmith send` sends; only needed for sending.", "mail:"),
    Field("mail.from", "mailbox", "The sender of every message.",
          'from: "SI Norge <post@example.org>"', default="required"),
    Field("mail.reply_to", "mailbox", "Where replies go.", "reply_to: post@example.org",
          default="the sender"),
    Field("mail.bcc", "mailbox", "A copy of every message, for your archive.",
          "bcc: arkiv@example.org"),
    Field("mail.smtp", "fields", "Your mail server.", "smtp:"),
    Field("mail.smtp.host", "text", "The mail server's name.", "host: smtp.example.org",
          default="required"),
    Field("mail.smtp.port", "number", "The mail server's port.", "port: 587",
          default="587, 465 for ssl, 25 for none"),
    Field("mail.smtp.security", "security", "How the connection is encrypted; none only to this "
          "computer (localhost).", "security: starttls", default="starttls"),
    Field("mail.smtp.username", "text", "Your login at the mail server; the password comes from "
          "LETTERSMITH_SMTP_PASSWORD, never from a file.", "username: post@example.org"),
    Field("mail.imap", "fields", "The mailbox where replies, receipts and bounces arrive; "
          "`lettersmith inbox` reads it and changes nothing there.", "imap:"),
    Field("mail.imap.host", "text", "The IMAP server's name.", "host: imap.example.org",
          default="required"),
    Field("mail.imap.port", "number", "The IMAP server's port.", "port: 993",
          default="993 for ssl, 143 for starttls and none"),
    Field("mail.imap.security", "security", "How the connection is encrypted; none only to this "
          "computer (localhost).", "security: ssl", default="ssl"),
    Field("mail.imap.username", "text", "Your login at the IMAP server; the password comes from "
          "LETTERSMITH_IMAP_PASSWORD (else LETTERSMITH_SMTP_PASSWORD), never from a file.",
          "username: post@example.org", default="required"),
    Field("mail.imap.folder", "text", "The folder to read.", "folder: INBOX", default="INBOX"),
    Field("mail.rate", "rate", "At most this many messages in that time.", "rate: 30/minute",
          default="no limit"),
    Field("approval", "approval", "`required`: send refuses a letter no one has approved.",
          "approval: required", default="optional"),
    Field("trusted_clubs", "tags", "Clubs that may use their own templates and letter.docx; "
          "others customise by the fields under organisation:.", "trusted_clubs: [bergen]"),
    Field("signing", "fields", "Sign every PDF digitally (see Signing).", "signing:"),
    Field("signing.certificate", "file", "Your certificate with its key, a .p12 or .pfx file; "
          "the password comes from LETTERSMITH_SIGN_PASSWORD.",
          "certificate: certs/union.p12", default="required"),
    Field("signing.timestamp_url", "url", "A time-stamp server (RFC 3161).",
          "timestamp_url: https://tsa.example/"),
    Field("signing.reason", "text", "Shown as the reason for signing.",
          "reason: Vedtatt av styret"),
)  # fmt: skip


def children(prefix: str, fields: tuple[Field, ...] = SETTINGS) -> tuple[str, ...]:
    """The names of the fields directly under ``prefix`` ("" for the top level)."""
    depth = prefix.count(".") + 1 if prefix else 0
    start = f"{prefix}." if prefix else ""
    return tuple(
        f.name[len(start) :]
        for f in fields
        if f.name.startswith(start) and f.name.count(".") == depth
    )


def required(prefix: str, fields: tuple[Field, ...] = SETTINGS) -> tuple[str, ...]:
    """The names of the required fields directly under ``prefix``."""
    known = set(children(prefix, fields))
    start = f"{prefix}." if prefix else ""
    return tuple(
        f.name[len(start) :]
        for f in fields
        if f.default == "required" and f.name[len(start) :] in known and f.name.startswith(start)
    )


RECIPIENT_FILE_FIELDS: tuple[str, ...] = tuple(f.name for f in RECIPIENT if f.in_file)
COLUMN_FIELDS: tuple[str, ...] = tuple(f.name for f in RECIPIENT)
# An export's columns: the id and every recipients.yaml field, so that import reads it back.
EXPORT_COLUMNS: tuple[str, ...] = ("id", *RECIPIENT_FILE_FIELDS)


def column_help(fields: tuple[Field, ...] = RECIPIENT) -> str:
    """``recipients import --help``'s list of columns, one line per field: its name and the
    header names people write for it (a ``\\b`` block: click keeps the lines as they are)."""
    width = max(len(f.name) for f in fields) + 2
    lines = [f"  {f.name.ljust(width)}{', '.join(f.columns) or f.name}" for f in fields]
    return "\b\n" + "\n".join(lines)


def header_key(name: str) -> str:
    """ "E-post", "e_post ", "E-POST" -> "epost"; æøå kept apart from their look-alikes."""
    name = name.strip().casefold().replace("å", "a").replace("ø", "o").replace("æ", "ae")
    return re.sub(r"[^a-z0-9]", "", name)


def _headers() -> dict[str, str]:
    headers: dict[str, str] = {}
    for field in RECIPIENT:
        for written in (field.name, *field.columns):
            key = header_key(written)
            if headers.setdefault(key, field.name) != field.name:
                raise AssertionError(
                    _("the column name {written!r} is declared twice").format(written=written)
                )
    return headers


# Header names as a secretary may write them (compared without case, spaces or punctuation).
HEADERS: dict[str, str] = _headers()


def markdown(fields: tuple[Field, ...] = RECIPIENT) -> str:
    """The README's field reference: one row per field."""
    spreadsheet = fields is RECIPIENT
    rows = [
        "| field | value | if left out | what it is |" + (" spreadsheet columns |" * spreadsheet),
        "| --- | --- | --- | --- |" + (" --- |" * spreadsheet),
    ]
    for field in fields:
        name = f"`{field.name}` ({field.note})" if field.note else f"`{field.name}`"
        row = (
            f"| {name} | {KIND_WORDS[field.kind]} | {field.default} | {field.help} "
            f"Example: `{field.example}` |"
        )
        if spreadsheet:
            row += " " + ", ".join(f"`{column}`" for column in (field.name, *field.columns)) + " |"
        rows.append(row)
    return "\n".join(rows) + "\n"


TABLES = {"recipients": RECIPIENT, "settings": SETTINGS}


def main(argv: list[str]) -> int:
    """``--markdown [recipients|settings]``: print the README's table (both when not named)."""
    if not argv or argv[0] != "--markdown" or not set(argv[1:]) <= set(TABLES):
        print("usage: python -m lettersmith.load.fields --markdown [recipients|settings]")
        return 2
    for name in argv[1:] or list(TABLES):
        sys.stdout.write(markdown(TABLES[name]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
