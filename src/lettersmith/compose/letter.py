"""Compose: a validated workspace and one of its letters into composed letters.

The composed letter holds every word the reader will see, already in the letter's language;
the renderers only lay it out.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

from lettersmith.compose import i18n, markdown
from lettersmith.model import (
    Addressee,
    ComposedLetter,
    Language,
    LetterSpec,
    Recipient,
    Sender,
    Signatory,
    Signature,
    Workspace,
)


def compose(
    ws: Workspace,
    spec: LetterSpec,
    recipients: Sequence[Recipient],
    *,
    date: dt.date,
    place: str,
    language: Language,
    signatory: Signatory,
    recipient_language: bool = True,
) -> list[ComposedLetter]:
    """The letters of a resolved mailing: one for all (joint) or one per recipient (each).

    Called by ``resolve``, which decides every field first; ``recipient_language`` lets a
    recipient's own language win in each mode.
    """
    if spec.mode == "joint":
        return [
            _letter(
                ws,
                spec,
                list(recipients),
                stem=spec.id,
                language=language,
                date=date,
                place=place,
                signatory=signatory,
            )
        ]
    return [
        _letter(
            ws,
            spec,
            [recipient],
            stem=recipient.id,
            language=(recipient.language if recipient_language else None) or language,
            salutation=recipient.salutation,
            date=date,
            place=place,
            signatory=signatory,
        )
        for recipient in recipients
    ]


def _letter(
    ws: Workspace,
    spec: LetterSpec,
    recipients: list[Recipient],
    *,
    stem: str,
    language: Language,
    salutation: str | None = None,
    date: dt.date,
    place: str,
    signatory: Signatory,
) -> ComposedLetter:
    position = ws.positions[spec.position]
    organisation = ws.organisation
    cover_note = spec.email or i18n.default_cover_note(
        organisation.name, position.title, signatory.name, language
    )
    return ComposedLetter(
        letter_id=spec.id,
        club_id=ws.club,
        stem=stem,
        language=language,
        sender=Sender(
            name=organisation.name,
            tagline=organisation.tagline,
            address=organisation.address,
            email=organisation.email,
            website=organisation.website,
            logo=organisation.logo,
            colour=organisation.colour,
            font=organisation.font,
        ),
        addressees=tuple(addressee(recipient) for recipient in recipients),
        place=place,
        date=date,
        date_line=i18n.date_line(place, date, language),
        intro=i18n.intro_line(
            position.organisation or organisation.name,
            position.adopted_by,
            position.adopted_on,
            language,
        ),
        title=position.title,
        subject=spec.subject or position.title,
        body=markdown.parse(position.body),
        closing=i18n.phrases(language).closing,
        signature=Signature(signatory.name, signatory.title, signatory.signature),
        phrases=i18n.phrases(language),
        about=organisation.about,
        return_address=return_address(organisation.name, organisation.address),
        salutation=salutation,
        appended=markdown.parse(spec.append),
        cover_note=markdown.parse(cover_note),
        attachments=spec.attachments,
        root=ws.root,
        template_dirs=ws.template_dirs,
        statement_language=position.language if position.language != language else None,
    )


# What the 85 mm line above the envelope window holds in its 6.5 pt type.
RETURN_ADDRESS_CHARS = 68


@functools.lru_cache(maxsize=256)  # one string for all of a mailing's letters
def return_address(name: str, address: tuple[str, ...]) -> str:
    """ "Name, Postboks 1, 1751 Halden", shortened to fit the line above the window.

    The middle lines go first: the name and the postcode and town matter most to a postman.
    """
    parts = [name, *address]
    while len(parts) > 2 and len(", ".join(parts)) > RETURN_ADDRESS_CHARS:
        del parts[-2]
    if len(", ".join(parts)) > RETURN_ADDRESS_CHARS:
        parts = [name]
    return ", ".join(parts)


def addressee(recipient: Recipient) -> Addressee:
    """How a recipient is printed in the address field and named in the To: header."""
    heading = " ".join(part for part in (recipient.title, recipient.name) if part)
    lines = [line for line in (heading, recipient.organisation) if line]
    lines.extend(recipient.address or (recipient.email,))
    display = recipient.name or recipient.organisation or recipient.title or ""
    return Addressee(
        id=recipient.id, lines=tuple(lines), email=recipient.email, display_name=display
    )
