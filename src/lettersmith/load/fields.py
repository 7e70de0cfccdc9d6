"""The fields of ``recipients.yaml``, declared once.

The loader's list of known fields, the spreadsheet's column names (English and Norwegian), the
columns of an export and the README's field reference all read :data:`RECIPIENT`; the README's
table is generated here (``python -m lettersmith.load.fields --markdown``) and a test keeps it
equal to this declaration.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Literal

# How a value is written in recipients.yaml and in one spreadsheet cell.
Kind = Literal["text", "email", "lines", "tags", "language", "office", "date", "id"]
KIND_WORDS: dict[str, str] = {
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
    in_file: bool = True  # False: a spreadsheet column only, not a recipients.yaml field


RECIPIENT: tuple[Field, ...] = (
    Field(
        "id", "id",
        "The entry's key in recipients.yaml, used by `to:`; an import makes one from the name.",
        "smk:", (), "made from the name", in_file=False,
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
        "0030", ("Postnummer", "Postnr", "Zip"), in_file=False,
    ),
    Field(
        "town", "text",
        "Joined with the postcode into the address's last line.",
        "Oslo", ("Poststed", "Sted", "City"), in_file=False,
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
        "office", "office",
        "Take title, name, ministry, mailbox and address from the built-in register of "
        "offices (`lettersmith offices` lists them); what the entry writes wins.",
        "office: no/hod", ("Kontor", "Embete"),
    ),
    Field(
        "verified", "date",
        "The day someone last checked the name against the ministry's page.",
        "verified: 2026-11-02", ("Verifisert", "Sjekket"), "the register's date with office:",
    ),
)  # fmt: skip

RECIPIENT_FILE_FIELDS: tuple[str, ...] = tuple(f.name for f in RECIPIENT if f.in_file)
COLUMN_FIELDS: tuple[str, ...] = tuple(f.name for f in RECIPIENT)
# An export's columns: the id and every recipients.yaml field, so that import reads it back.
EXPORT_COLUMNS: tuple[str, ...] = ("id", *RECIPIENT_FILE_FIELDS)


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
                raise AssertionError(f"the column name {written!r} is declared twice")
    return headers


# Header names as a secretary may write them (compared without case, spaces or punctuation).
HEADERS: dict[str, str] = _headers()


def markdown(fields: tuple[Field, ...] = RECIPIENT) -> str:
    """The README's field reference: one row per field."""
    rows = [
        "| field | value | if left out | what it is | spreadsheet columns |",
        "| --- | --- | --- | --- | --- |",
    ]
    for field in fields:
        name = f"`{field.name}`" if field.in_file else f"`{field.name}` (spreadsheet only)"
        columns = ", ".join(f"`{column}`" for column in (field.name, *field.columns))
        rows.append(
            f"| {name} | {KIND_WORDS[field.kind]} | {field.default} | {field.help} "
            f"Example: `{field.example}` | {columns} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        print("usage: python -m lettersmith.load.fields --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
