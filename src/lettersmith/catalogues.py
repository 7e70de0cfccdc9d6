"""Keeping the translation catalogues in step with the code (``make messages``; a test).

The texts people read are found in the code as Babel finds them (``babel.cfg``: ``_()``,
``N_()`` and ``ngettext()`` in the Python code, ``{% trans %}`` and ``_()`` in the web app's
templates). A language's folder holds several ``.po`` files, one per part of the program, so
that people working on different parts do not edit one file:

- a text no file of a language has yet is added, untranslated, to the file of the part whose
  code uses it: ``web.po`` for code under ``src/lettersmith/web/`` if the language has a
  ``web.po``, otherwise ``lettersmith.po`` (the engine and the commands);
- a text the code no longer uses is kept at the end of its file as obsolete (``#~``), where a
  translator can still reuse the words;
- nothing else in a file changes: a text stays in the file it is in.

Run it as ``python -m lettersmith.catalogues`` (``make messages``); it prints what it changed.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from lettersmith.translate import DOMAIN, LOCALE_DIR

PACKAGE_DIR = Path(__file__).parent
# The repository (babel.cfg's paths are relative to it); absent from an installed wheel.
PROJECT_DIR = PACKAGE_DIR.parent.parent
MAPPING_FILE = PROJECT_DIR / "babel.cfg"
KEYWORDS: dict[str, Any] = {**DEFAULT_KEYWORDS, "N_": None, "ngettext": (1, 2)}
TRANSLATED = ("nb", "nn")  # English needs no catalogue: the code is written in it
MAIN_FILE = f"{DOMAIN}.po"


@dataclass(frozen=True)
class Found:
    """A text in the code: its msgid (a tuple for singular and plural) and where it is."""

    id: str | tuple[str, ...]
    file: str  # relative to the repository, as babel.cfg names it
    line: int

    @property
    def key(self) -> str:
        return self.id[0] if isinstance(self.id, tuple) else self.id


def extract(project: Path = PROJECT_DIR) -> list[Found]:
    """Every marked text in the code and templates, in file order (each msgid once)."""
    with (project / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    seen: dict[str, Found] = {}
    for file, line, message, _comments, _context in extract_from_dir(
        project, method_map, options_map, keywords=KEYWORDS
    ):
        if isinstance(message, tuple | list):
            message = tuple(message)
        found = Found(message, str(file), line)
        if found.key and found.key not in seen:
            seen[found.key] = found
    return list(seen.values())


def catalogue_files(language: str, locale: Path = LOCALE_DIR) -> list[Path]:
    """A language's .po files, in the order ``translate`` reads them (by name)."""
    return sorted((locale / language / "LC_MESSAGES").glob("*.po"))


def read(path: Path, language: str) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def part_file(found: Found, language: str, locale: Path = LOCALE_DIR) -> Path:
    """The .po file a new text goes into: its part's (``web.po`` for ``web/``) if the
    language has one, else the engine's and the commands' ``lettersmith.po``."""
    folder = locale / language / "LC_MESSAGES"
    relative = Path(found.file)
    if relative.parts[:2] == ("src", "lettersmith") and len(relative.parts) > 3:
        own = folder / f"{relative.parts[2]}.po"
        if own.is_file():
            return own
    return folder / MAIN_FILE


def update(project: Path = PROJECT_DIR, locale: Path = LOCALE_DIR) -> Iterator[str]:
    """Bring every language's files in step with the code; a line for each file changed."""
    found = extract(project)
    wanted = {item.key for item in found}
    for language in TRANSLATED:
        catalogues = {path: read(path, language) for path in catalogue_files(language, locale)}
        present = {_key(m.id) for catalogue in catalogues.values() for m in catalogue if m.id}
        added: dict[Path, int] = {}
        for item in found:
            if item.key in present:
                continue
            path, message = _obsolete(catalogues, item.key) or (
                part_file(item, language, locale),
                Message(item.id, "" if isinstance(item.id, str) else ("", "")),
            )
            if path not in catalogues:
                catalogues[path] = Catalog(locale=language, domain=DOMAIN)
            catalogues[path][message.id] = message
            added[path] = added.get(path, 0) + 1
            present.add(item.key)
        for path, catalogue in catalogues.items():
            gone = [m.id for m in catalogue if m.id and _key(m.id) not in wanted]
            for msgid in gone:
                catalogue.obsolete[_key(msgid)] = catalogue[msgid]
                del catalogue[msgid]
            if added.get(path) or gone:
                _write(path, catalogue)
                yield f"{path}: {added.get(path, 0)} added, {len(gone)} no longer used"


def _obsolete(catalogues: dict[Path, Catalog], key: str) -> tuple[Path, Message] | None:
    """A text used again: back from where it was kept as obsolete, with its translation."""
    for path, catalogue in catalogues.items():
        if key in catalogue.obsolete:
            message: Message = catalogue.obsolete.pop(key)
            return path, message
    return None


def _key(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _write(path: Path, catalogue: Catalog) -> None:
    out = io.BytesIO()
    write_po(out, catalogue, width=100, omit_header=False, no_location=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def missing(
    language: str, found: list[Found] | None = None, locale: Path = LOCALE_DIR
) -> list[Found]:
    """The texts in the code that no file of ``language`` translates."""
    translated: dict[str, Message] = {}
    for path in catalogue_files(language, locale):
        for message in read(path, language):
            if message.id and _key(message.id) not in translated and _done(message):
                translated[_key(message.id)] = message
    return [item for item in (extract() if found is None else found) if item.key not in translated]


def _done(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return not message.fuzzy and all(strings)


if __name__ == "__main__":
    changed = list(update())
    for line in changed:
        print(line)
    if not changed:
        print("The catalogues are in step with the code.")
    sys.exit(0)
