"""The email's text as correspondence: a greeting, the cover note, a closing and how to answer.

A ministry's registry reads the email before it opens the PDF, so the message reads like a
letter: it greets the recipient (their ``salutation``, else a polite line in the letter's
language), gives the cover note, and signs off with the signatory's name, title and
organisation and the address a reply goes to. It is composed once, as blocks, so the plain
text part and the HTML alternative say the same words.

The greeting and the closing are the email's, not the cover note's: a note that ends with its
own "Vennlig hilsen ..." loses that paragraph here, so the email never signs off twice.
"""

from __future__ import annotations

import re
import unicodedata

from lettersmith.model import Addressee, Block, ComposedLetter, Language, Paragraph, Span
from lettersmith.translate import _, use_language

# How a note's own sign-off begins (compared lower case, without punctuation).
SIGN_OFFS = (
    "vennlig hilsen", "med vennlig hilsen", "vennlige hilsener", "beste hilsen", "hilsen",
    "venleg helsing", "vennleg helsing", "med venleg helsing", "helsing", "mvh",
    "kind regards", "best regards", "regards", "yours sincerely", "yours faithfully",
    "with best wishes", "best wishes",
)  # fmt: skip


def email_blocks(
    letter: ComposedLetter, addressee: Addressee, answer_to: str | None
) -> tuple[Block, ...]:
    """The whole body of the email to ``addressee``; ``answer_to``: where replies go."""
    note = without_sign_off(letter.cover_note)
    signed = [letter.closing, letter.signature.name]
    signed += [line for line in (letter.signature.title, letter.sender.name) if line]
    blocks: list[Block] = [_paragraph(greeting(addressee, letter.language)), *note]
    blocks.append(_paragraph(*signed))
    if answer_to:
        with use_language(letter.language):
            answer = _("Please send your reply to {address}.").format(address=answer_to)
        blocks.append(_paragraph(answer))
    return tuple(blocks)


def email_subject(letter: ComposedLetter) -> str:
    """The Subject as a ministry's archive reads it: "Handlingsplan mot menneskehandel – Vår
    ref. 2024/17 – Deres ref. 24/1234", only the references that are set, labelled in the
    letter's language as its reference block is. A registry journals a reply by these numbers,
    so they stand where the registry looks first; a letter without them keeps its subject."""
    parts = [letter.subject]
    labels = letter.phrases
    for label, value in (
        (labels.our_reference, letter.reference),
        (labels.their_reference, letter.their_reference),
    ):
        if value:  # as written: a line break in it is refused by the header check, not hidden
            parts.append(f"{label} {value}")
    return " \u2013 ".join(parts)  # an en dash, spaced, as the registries write it


def greeting(addressee: Addressee, language: Language) -> str:
    """The recipient's own salutation, else "Til statsminister Jonas Gahr Støre" (nb, nn),
    "Dear Prime Minister Jonas Gahr Støre," (en), by what the register says of them."""
    if addressee.salutation:
        return addressee.salutation
    title = addressee.title or ""
    if title and language != "en" and not title[1:2].isupper():  # "NAV-direktør" stays
        title = title[0].lower() + title[1:]  # an office inside a sentence: "statsminister"
    person = " ".join(part for part in (title, addressee.name or "") if part)
    with use_language(language):
        if person:
            return _("Dear {person},").format(person=person)
        if addressee.organisation:
            return _("Dear {person},").format(person=addressee.organisation)
        return _("Dear Sir or Madam,")


def without_sign_off(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """The note without a last paragraph that signs off ("Vennlig hilsen / Kari"): the email
    adds its own closing, with the signatory's name, title and organisation."""
    if blocks and isinstance(blocks[-1], Paragraph):
        first_line = "".join(span.text for span in blocks[-1].spans).split("\n", 1)[0]
        words = re.sub(r"[^\w ]+", " ", first_line.casefold()).split()
        if len(first_line) <= 60 and any(" ".join(words[:n]) in SIGN_OFFS for n in (1, 2, 3)):
            return blocks[:-1]
    return blocks


def _paragraph(*lines: str) -> Paragraph:
    """Lines kept apart by hard line breaks, as a signature is written."""
    spans: list[Span] = []
    for line in lines:
        if spans:
            spans.append(Span("\n"))
        spans.append(Span(line))
    return Paragraph(tuple(spans))


# --------------------------------------------------------------------------- the PDF's name

# Characters Windows, macOS or a mail client refuse or misread in a file name.
_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f\u2028\u2029]+')
MAX_NAME = 120  # characters: a path in a Windows archive folder stays well under 260


def attachment_name(letter: ComposedLetter) -> str:
    """The PDF's name as a person files it: ``2024-12-10 SI Norgesunionen - Handlingsplan.pdf``.

    The letter's date, the organisation's short name (its name when it has none) and the
    subject; characters a file system refuses are left out, the text is NFC (a name typed on a
    Mac compares equal to one typed on Windows), and a long subject is cut at a word.
    """
    sender = letter.sender
    # ``short_name`` is the page header's short form, where the workspace declares one.
    organisation = getattr(sender, "short_name", None) or sender.name
    head = f"{letter.date.isoformat()} {_safe(organisation)} - "
    room = MAX_NAME - len(head) - len(".pdf")
    title = _safe(letter.subject)
    if len(title) > room:
        title = title[:room].rsplit(" ", 1)[0] if " " in title[:room] else title[:room]
    return f"{head}{title.rstrip(' .-')}.pdf"


def _safe(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _UNSAFE.sub(" ", text.replace(": ", " - ").replace("/", "-"))
    return " ".join(text.split()).strip(" .")
