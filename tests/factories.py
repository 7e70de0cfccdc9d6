"""Hand-made composed letters, for testing a renderer without the rest of the pipeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from lettersmith.compose.letter import return_address
from lettersmith.model import (
    Addressee,
    ComposedLetter,
    Heading,
    ListBlock,
    Paragraph,
    Phrases,
    Sender,
    Signature,
    Span,
)

NB_PHRASES = Phrases(
    closing="Vennlig hilsen",
    see_list="Se adresseliste",
    list_heading="Adresseliste",
    page="Side {page} av {pages}",
    attachments="Vedlegg",
)


# The body of make_letter's letter as a reader sees it, line by line.
BODY_LINES = (
    "Menneskehandel er et stort nasjonalt og internasjonalt problem.",
    "Tiltak",
    "Det må handles nå & <straks>, se lovdata.",
    "Første punkt",
    "Andre punkt",
    "Ett",
    "To",
)


def para(text: str) -> Paragraph:
    return Paragraph((Span(text),))


def make_letter(root: Path, **changes) -> ComposedLetter:
    """A letter like the reference one; ``root`` is the workspace it may read files from."""
    letter = ComposedLetter(
        letter_id="menneskehandel-2024",
        club_id=None,
        stem="menneskehandel-2024",
        language="nb",
        sender=Sender(name="Soroptimist International Norgesunionen"),
        addressees=(
            Addressee(
                "smk",
                ("Statsminister Jonas Gahr Støre", "postmottak@smk.dep.no"),
                "postmottak@smk.dep.no",
                "Jonas Gahr Støre",
            ),
            Addressee(
                "hod",
                ("Helse- og omsorgsminister Jan Kristian Vestre", "postmottak@hod.dep.no"),
                "postmottak@hod.dep.no",
                "Jan Kristian Vestre",
            ),
        ),
        place="Halden",
        date=dt.date(2024, 12, 10),
        date_line="Halden, 10.12.2024",
        intro=(
            "Soroptimist International Norgesunionen vedtok på Representantskapsmøtet "
            "14. september 2024 følgende uttalelse:"
        ),
        title="Tiden er inne for å få en handlingsplan mot menneskehandel",
        subject="Tiden er inne for å få en handlingsplan mot menneskehandel",
        body=(
            para("Menneskehandel er et stort nasjonalt og internasjonalt problem."),
            Heading(2, (Span("Tiltak"),)),
            Paragraph(
                (
                    Span("Det må "),
                    Span("handles", bold=True),
                    Span(" "),
                    Span("nå", italic=True),
                    Span(" & <straks>, se "),
                    Span("lovdata", href="https://lovdata.no"),
                    Span("."),
                )
            ),
            ListBlock(False, ((para("Første punkt"),), (para("Andre punkt"),))),
            ListBlock(True, ((para("Ett"),), (para("To"),))),
        ),
        closing="Vennlig hilsen",
        signature=Signature("Karin Dahlberg Pettersen", "Unionspresident"),
        phrases=NB_PHRASES,
        about="Soroptimist International er en verdensomspennende organisasjon.",
        cover_note=(para("Vedlagt følger en uttalelse."),),
        root=root,
    )
    letter = dataclasses.replace(letter, **changes)
    if "return_address" not in changes:  # as compose makes it from the sender
        sender = letter.sender
        letter = dataclasses.replace(
            letter, return_address=return_address(sender.name, sender.address)
        )
    return letter
