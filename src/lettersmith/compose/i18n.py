"""Fixed phrases and dates in the letter's language (nb, nn, en)."""

from __future__ import annotations

import datetime as dt
import functools

from babel import Locale
from babel.dates import format_date, format_datetime

from lettersmith.compose.typography import tie
from lettersmith.model import Language, Phrases
from lettersmith.translate import _, use_language

PHRASES: dict[str, Phrases] = {
    "nb": Phrases(
        closing="Vennlig hilsen",
        see_list="Se adresseliste",
        list_heading="Adresseliste",
        page="Side {page} av {pages}",
        attachments="Vedlegg",
        our_reference="Vår ref.",
        their_reference="Deres ref.",
    ),
    "nn": Phrases(
        closing="Venleg helsing",
        see_list="Sjå adresseliste",
        list_heading="Adresseliste",
        page="Side {page} av {pages}",
        attachments="Vedlegg",
        our_reference="Vår ref.",
        their_reference="Dykkar ref.",
    ),
    "en": Phrases(
        closing="Kind regards",
        see_list="See list of recipients",
        list_heading="List of recipients",
        page="Page {page} of {pages}",
        attachments="Attachments",
        our_reference="Our ref.",
        their_reference="Your ref.",
    ),
}

# "{organisation} vedtok på {body} {date} følgende uttalelse:"
_INTRO = {
    "nb": "{organisation} vedtok på {adopted_by} {date} følgende uttalelse:",
    "nn": "{organisation} vedtok på {adopted_by} {date} følgjande fråsegn:",
    "en": "{organisation} adopted the following statement at {adopted_by} on {date}:",
}

_BABEL_LOCALE = {"nb": "nb_NO", "nn": "nn_NO", "en": "en_GB"}


def phrases(language: Language) -> Phrases:
    return PHRASES[language]


@functools.lru_cache(maxsize=256)  # a mailing's letters share a date: formatted once
def date_line(place: str | None, date: dt.date, language: Language) -> str:
    """The place and date line: "Halden, 10.12.2024" (nb, nn) or "Halden, 10 December 2024" (en)."""
    if language == "en":
        text = format_date(date, format="d MMMM y", locale=_BABEL_LOCALE[language])
    else:
        text = format_date(date, format="dd.MM.y", locale=_BABEL_LOCALE[language])
    return f"{place}, {text}" if place else text


@functools.lru_cache(maxsize=256)
def long_date(date: dt.date, language: Language) -> str:
    """A date in running text: "14. september 2024" (nb, nn) or "14 September 2024" (en)."""
    pattern = "d MMMM y" if language == "en" else "d. MMMM y"
    return tie(format_date(date, format=pattern, locale=_BABEL_LOCALE[language]))


def moment(when: dt.datetime, language: Language) -> str:
    """A date and time as people of ``language`` write it: "3. desember 2026 kl. 14:05" (nn),
    "3. desember 2026, 14:05" (nb), "3 December 2026, 14:05" (en); in ``when``'s time zone."""
    locale = Locale.parse(_BABEL_LOCALE[language])
    pattern = str(locale.datetime_formats["long"]).format(
        locale.time_formats["short"].pattern, locale.date_formats["long"].pattern
    )
    return format_datetime(when, pattern, tzinfo=when.tzinfo, locale=locale)


@functools.lru_cache(maxsize=256)  # the same line for every letter of a mailing: one string
def intro_line(organisation: str, adopted_by: str, adopted_on: dt.date, language: Language) -> str:
    return _INTRO[language].format(
        organisation=organisation, adopted_by=adopted_by, date=long_date(adopted_on, language)
    )


@functools.lru_cache(maxsize=256)
def default_cover_note(organisation: str, title: str, language: Language) -> str:
    """The email's body when the letter gives none (Markdown); the email adds the greeting and
    the closing around it (``compose.mailtext``), as it does around a letter's own note."""
    with use_language(language):
        return _("Please find attached a letter from {organisation}: “{title}”.").format(
            organisation=organisation, title=title
        )
