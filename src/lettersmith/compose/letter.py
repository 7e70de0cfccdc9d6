"""Compose: a validated workspace and one of its letters into composed letters.

The composed letter holds every word the reader will see, already in the letter's language;
the renderers only lay it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lettersmith.compose import i18n, markdown
from lettersmith.errors import Problem, WorkspaceError
from lettersmith.load.workspace import select_recipients
from lettersmith.model import (
    Addressee,
    ComposedLetter,
    Language,
    LetterSpec,
    Recipient,
    Sender,
    Signature,
    Workspace,
)


def compose(
    ws: Workspace,
    spec: LetterSpec,
    selectors: Sequence[str] = (),
    *,
    today: dt.date | None = None,
) -> list[ComposedLetter]:
    """The letters to make for ``spec``: one for all (joint) or one per recipient (each).

    ``selectors`` (ids, ``tag:NAME``) narrow the letter's recipients, as ``--to`` does.
    """
    recipients = _recipients(ws, spec, selectors)
    if spec.mode == "joint":
        return [_letter(ws, spec, recipients, stem=spec.id, language=ws.language, today=today)]
    return [
        _letter(
            ws,
            spec,
            [recipient],
            stem=recipient.id,
            language=recipient.language or ws.language,
            salutation=recipient.salutation,
            today=today,
        )
        for recipient in recipients
    ]


def _recipients(ws: Workspace, spec: LetterSpec, selectors: Sequence[str]) -> list[Recipient]:
    recipients = select_recipients(ws, spec.to)
    if not selectors:
        return recipients
    wanted = {recipient.id for recipient in select_recipients(ws, selectors)}
    chosen = [recipient for recipient in recipients if recipient.id in wanted]
    if not chosen:
        where = spec.source.file if spec.source else f"letters/{spec.id}.yaml"
        names = ", ".join(recipient.id for recipient in recipients)
        raise WorkspaceError(
            Problem(
                where,
                None,
                f"--to {' '.join(selectors)} matches none of its recipients ({names})",
            )
        )
    return chosen


def _letter(
    ws: Workspace,
    spec: LetterSpec,
    recipients: list[Recipient],
    *,
    stem: str,
    language: Language,
    salutation: str | None = None,
    today: dt.date | None,
) -> ComposedLetter:
    position = ws.positions[spec.position]
    signatory = ws.signatories[spec.signatory]
    organisation = ws.organisation
    date = spec.date or today or dt.date.today()
    place = spec.place or ws.place or ""
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
            address=organisation.address,
            email=organisation.email,
            website=organisation.website,
            logo=organisation.logo,
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
    )


# What the 85 mm line above the envelope window holds in its 6.5 pt type.
RETURN_ADDRESS_CHARS = 68


def return_address(name: str, address: Sequence[str]) -> str:
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
