"""The words people read, in their language: gettext catalogues (Babel), one language per context.

Messages are written in English in the code, marked with ``_()`` (``N_()`` where a text is
defined before it is shown, ``ngettext()`` for a count); the catalogues under
``data/locale/<language>/LC_MESSAGES/`` give bokmål and nynorsk (English needs none: the English
text is its own translation). Use named placeholders and ``.format()`` after ``_()``, never an
f-string inside it; file names, ids and field names (``position:``) stay as they are in every
language.

A language's folder holds several ``.po`` files, one per part of the program, so that people
working on different parts do not edit one file: ``lettersmith.po`` for the engine and the
commands, ``web.po`` for the web app's pages, and so on. They are read together, the first (by
name) winning where two translate one text. ``make messages`` (``lettersmith.catalogues``)
keeps them in step with the code: a new text goes into the file of the part whose code uses it
(``web.po`` for code under ``web/``, when the language has one), else into ``lettersmith.po``;
a text no longer used is kept as obsolete in its file. ``tests/test_translate.py`` fails, naming
it, on any text without its bokmål translation, and on a translation whose ``{placeholders}``
differ from the English.

The language is a context variable, so one web request (or one command) reads its own language
while another reads another; the build's worker processes and threads are given the caller's::

    with use_language("nb"):
        print(_("{count} written, {up_to_date} up to date.").format(count=3, up_to_date=0))
        # "3 skrevet, 0 allerede oppdatert."

A text is made in the language of the moment it is made: what is kept to be shown later (the
build memo's warnings) is kept per language. The commands take the language from ``LANG``
(``nb_NO.UTF-8`` gives bokmål; ``C`` English), the web app from the person's choice (bokmål
by default). A ``.po`` file is read once per process; nothing is compiled at build time, so the
catalogue in the repository is the one that runs.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import os
from collections.abc import Iterator, Mapping
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Literal

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Language = Literal["nb", "nn", "en"]
LANGUAGES: tuple[Language, ...] = ("nb", "nn", "en")
DOMAIN = "lettersmith"
LOCALE_DIR = Path(__file__).parent / "data" / "locale"

_current: contextvars.ContextVar[Language] = contextvars.ContextVar(
    "lettersmith_language", default="en"
)


@functools.cache
def translations(language: Language) -> NullTranslations:
    """The catalogue of one language (English: none, the messages are written in English)."""
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    if language == "en" or not folder.is_dir():
        return NullTranslations()
    merged = Catalog(locale=language, domain=DOMAIN)
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as po:
            for message in read_po(po, locale=language, domain=DOMAIN):
                if message.id and message.id not in merged and message.string:
                    merged[message.id] = message
    compiled = io.BytesIO()
    write_mo(compiled, merged, use_fuzzy=False)
    compiled.seek(0)
    return GNUTranslations(compiled)


def current_language() -> Language:
    return _current.get()


@contextlib.contextmanager
def use_language(language: Language) -> Iterator[None]:
    """Speak ``language`` inside the block (this thread and the tasks it starts)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def set_language(language: Language) -> None:
    """Speak ``language`` from now on in this context (a command, once at its start)."""
    _current.set(language)


def _(message: str) -> str:
    """``message`` in the current language (the English text when there is no translation)."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; ``_()`` translates it when shown."""
    return message


def language_from_environment(environ: Mapping[str, str] | None = None) -> Language:
    """The language the environment asks for, as GNU gettext reads it: ``LANGUAGE`` (a list,
    ``nn:nb``) first, unless the locale (``LC_ALL``, ``LC_MESSAGES`` or ``LANG``, the first
    set) is ``C``; then that locale. ``nb``/``no`` gives bokmål, ``nn`` nynorsk, anything else
    English."""
    environ = os.environ if environ is None else environ
    locale = next(
        (environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), ""
    )
    if _code(locale) in ("c", "posix"):
        return "en"
    for choice in environ.get("LANGUAGE", "").split(":"):
        if (code := _code(choice)) in _CODES:
            return _CODES[code]
    return _CODES.get(_code(locale), "en")


_CODES: dict[str, Language] = {"nb": "nb", "no": "nb", "nn": "nn", "en": "en"}


def _code(value: str) -> str:
    """``nb_NO.UTF-8@euro`` -> ``nb``."""
    return value.split(".")[0].split("@")[0].split("_")[0].lower()
