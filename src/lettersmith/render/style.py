"""The house style: one set of fonts, sizes, colours and spacings that both renderers read.

The PDF's stylesheet (``letter.css``) and the DOCX's styles (``docx_reference``) take every
measure from here, so a change in one place changes both files. Sizes are in points,
spacings and places on the page in millimetres, as a printer would give them.

The default fonts are IBM Plex Serif (text) and IBM Plex Sans (letterhead, address, headings),
shipped in ``data/fonts`` under the SIL Open Font License (``data/fonts/OFL.txt``), which allows
embedding them in documents: they cover Norwegian and North, Lule, South and Inari Sámi. A
workspace or club may name its own font file (``organisation.font``); it then sets the whole
letter.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lettersmith.atomic import content_hash
from lettersmith.errors import RenderError
from lettersmith.model import ComposedLetter
from lettersmith.translate import _

FONT_DIR = Path(__file__).resolve().parent.parent / "data" / "fonts"
DEFAULT_COLOUR = "#3c3c3c"  # a neutral dark grey: no one's brand colour


@dataclass(frozen=True)
class Face:
    path: Path
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Family:
    name: str
    faces: tuple[Face, ...]


SERIF = Family(
    "IBM Plex Serif",
    (
        Face(FONT_DIR / "IBMPlexSerif-Regular.ttf"),
        Face(FONT_DIR / "IBMPlexSerif-Bold.ttf", bold=True),
        Face(FONT_DIR / "IBMPlexSerif-Italic.ttf", italic=True),
        Face(FONT_DIR / "IBMPlexSerif-BoldItalic.ttf", bold=True, italic=True),
    ),
)
SANS = Family(
    "IBM Plex Sans",
    (
        Face(FONT_DIR / "IBMPlexSans-Regular.ttf"),
        Face(FONT_DIR / "IBMPlexSans-Bold.ttf", bold=True),
    ),
)


@dataclass(frozen=True)
class HouseStyle:
    text_font: Family = SERIF
    display_font: Family = SANS  # letterhead, sender line, address, date, headings, page header
    mono_font: str = "DejaVu Sans Mono"
    colour: str = DEFAULT_COLOUR  # the organisation's name in the letterhead, rules
    text_colour: str = "#111111"
    muted_colour: str = "#444444"

    # Sizes and line heights, in points.
    # 11.5 pt on a 145 mm measure: at most ~75 characters a line, easy to read.
    text_size: float = 11.5
    text_line: float = 16.0
    title_size: float = 14.0
    title_line: float = 18.0
    heading_size: float = 12.0  # a heading inside the body
    heading_line: float = 16.0
    name_size: float = 10.0  # the organisation's name in the letterhead
    name_line: float = 13.0
    details_size: float = 8.0  # address, email and website in the letterhead
    details_line: float = 10.5
    sender_size: float = 6.5  # the return line in the window
    address_size: float = 9.0
    address_line: float = 12.0
    header_size: float = 8.0  # pages 2+
    header_line: float = 10.5
    about_size: float = 8.5
    about_line: float = 11.5

    # Places on the page and spacings, in millimetres.
    page_top: float = 28.0  # pages 2+: the text starts here, below the page header
    margin_left: float = 25.0
    margin_right: float = 40.0
    margin_bottom: float = 22.0
    header_top: float = 12.0  # the top of page 1's letterhead and of the later pages' header
    logo_height: float = 15.0
    logo_width: float = 60.0  # at most; the letterhead's text has the rest of the line
    # The window-envelope field (DIN 5008 form B, also Norwegian C5/E65 windows): the return
    # line in its top 5 mm, the addressees below it; text starts on the body's left edge.
    window_left: float = 20.0
    window_top: float = 45.0
    window_width: float = 85.0
    window_height: float = 45.0
    sender_height: float = 5.0
    addressee_gap: float = 2.0
    intro_before: float = 10.0  # from the window's foot to the introduction
    intro_after: float = 4.0
    title_after: float = 3.0
    paragraph_after: float = 2.2
    heading_before: float = 4.5
    heading_after: float = 1.0
    appended_before: float = 6.0
    closing_before: float = 7.0
    signature_space: float = 16.0  # room to sign, with or without a signature image
    signature_image_height: float = 14.0
    address_list_before: float = 7.0
    about_before: float = 8.0
    about_width: float = 100.0  # the about paragraph's measure: some 70 characters of 8.5 pt
    footer_gap: float = 8.0  # from the body's foot to page 1's "Side 1 av 2"

    # Hyphenation of running text (nb, nn, en): the shortest word broken, the fewest letters
    # left before and carried after the hyphen, and how short (per cent of the measure) a line
    # may end before a word is broken at all.
    hyphen_word: int = 7
    hyphen_before: int = 3
    hyphen_after: int = 3
    hyphen_zone: int = 8

    @property
    def text_width(self) -> float:
        return 210.0 - self.margin_left - self.margin_right

    @property
    def letterhead_height(self) -> float:
        return self.window_top - self.header_top

    @property
    def address_top(self) -> float:
        return self.window_top + self.sender_height

    @property
    def window_bottom(self) -> float:
        return self.window_top + self.window_height

    def css(self) -> dict[str, Any]:
        """The plain values ``letter.css`` sees as ``letter.style``: numbers and strings only."""
        values = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if not isinstance(getattr(self, field.name), Family)
        }
        values.update(
            text_font=self.text_font.name,
            display_font=self.display_font.name,
            text_width=self.text_width,
            letterhead_height=self.letterhead_height,
            address_top=self.address_top,
            font_faces=[
                {
                    "family": family.name,
                    "url": face.path.as_uri(),
                    "weight": "bold" if face.bold else "normal",
                    "style": "italic" if face.italic else "normal",
                }
                for family in dict.fromkeys((self.text_font, self.display_font))
                for face in family.faces
            ],
        )
        return values


def house_style(letter: ComposedLetter) -> HouseStyle:
    """The house style with the sender's colour and font."""
    font = letter.sender.font
    # Keyed by the font's contents too: a file replaced under the same name is read again.
    return _style(letter.sender.colour, font, content_hash(font, font.stat()) if font else None)


@functools.lru_cache(maxsize=64)
def _style(colour: str | None, font: Path | None, _contents: str | None) -> HouseStyle:
    style = HouseStyle()
    if colour:
        style = dataclasses.replace(style, colour=colour)
    if font:
        family = Family(font_family_name(font), (Face(font),))
        style = dataclasses.replace(style, text_font=family, display_font=family)
    return style


def font_family_name(path: Path) -> str:
    """The family name a font file gives itself, which Word and LibreOffice look it up by."""
    from fontTools.ttLib import TTFont, TTLibError  # noqa: PLC0415 -- only for an own font

    from lettersmith.load.images import unreadable_letters  # noqa: PLC0415

    try:
        with TTFont(path, lazy=True) as font:
            name = str(font["name"].getBestFamilyName() or path.stem)
            unreadable = unreadable_letters(font)
    except (OSError, TTLibError, KeyError, AssertionError, ValueError) as err:
        message = _("{path}: cannot read this font ({err}); use a .ttf or .otf file").format(
            path=path.name, err=err
        )
        raise RenderError(message) from err
    if unreadable:  # its words would be in the text, not on the page
        raise RenderError(
            _("{name}: cannot use this font: {unreadable}").format(
                name=path.name, unreadable=unreadable
            )
        )
    return name
