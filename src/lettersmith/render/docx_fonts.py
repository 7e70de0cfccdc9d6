"""The house fonts embedded in the DOCX, so that Word and LibreOffice show the letter in them
without installing anything (ECMA-376 Part 1, 17.8.1 and 17.8.3.3).

Each face goes in as an obfuscated font part (``word/fonts/fontN.odttf``) named from the font
table by ``w:embedRegular``/``w:embedBold``/... with its key. Only the faces the letter's runs
are set in go in (a letter without italics carries no italic face), each cut down to the
characters the letter shows and those a secretary types when editing it: Basic Latin,
Latin-1 and Latin Extended-A (æ ø å, and the Sámi letters č đ ŋ š ŧ ž) and common
punctuation. So a letter of 30 kB as PDF is about 60-100 kB as DOCX, not 350 kB.

The fonts are cut without TrueType hinting (Word and LibreOffice draw them smoothly without)
and without the OpenType layout tables: Word kerns and joins ligatures only when a style asks
(``w:kern``, ``w14:ligatures``), which the letter's styles do not, so the tables would be
carried and never read.

``w:saveSubsetFonts`` is left off on purpose: it tells Word to cut the fonts down to the
characters in use *when it saves*, so that after one save in Word the next edit (a name with
a letter not yet in the text) would fall back to another font. Nor is a font marked
``w:subsetted``, which is what Word writes for a font it cut down that way: these hold every
letter a Norwegian text needs, to edit in as well as to show.
"""

from __future__ import annotations

import functools
import hashlib
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, cast

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from lettersmith.atomic import content_hash
from lettersmith.confine import (
    MAX_ASSET,
    RefusedFileError,
    is_club_file,
    read_limited,
    shown_path,
)
from lettersmith.errors import RenderError
from lettersmith.render.docx_settings import remove_setting, set_setting
from lettersmith.render.docx_usage import RunFace, characters, faces
from lettersmith.render.style import Face, Family, HouseStyle
from lettersmith.translate import N_, _

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.oxml.xmlchemy import BaseOxmlElement

OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# What a secretary may type when editing any letter: Basic Latin, Latin-1 (æ ø å é ü § « »),
# Latin Extended-A (North, Lule and South Sámi's č đ ŋ š ŧ ž, Polish, Czech...), general
# punctuation (dashes, quotes, ellipsis, bullet, thin and narrow no-break spaces), the euro
# sign, numero and trade mark signs and the minus sign.
EDITING_CHARACTERS = frozenset(
    chr(code)
    for code in (
        *range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2000, 0x2050), 0x20AC, 0x2116,
        0x2122, 0x2212,
    )
)  # fmt: skip
# OpenType layout tables (and their companions) that a DOCX's runs never ask for: see above.
UNREAD_TABLES = ("GPOS", "GSUB", "GDEF", "BASE", "JSTF", "MATH", "kern", "morx", "kerx")


def embed_fonts(doc: DocumentObject, style: HouseStyle, root: Path | None = None) -> frozenset[str]:
    """Embed the faces of the style's fonts that the document's runs use, each cut down to the
    characters it shows and ``EDITING_CHARACTERS``, and name them in the font table (``root``:
    the workspace, whose clubs' fonts are read as every club file is). Returns the characters
    the fonts were cut to: what a text stamped into the document later may use."""
    wanted = EDITING_CHARACTERS | characters(doc)
    used = faces(doc)
    table_part = _font_table_part(doc)
    table = etree.fromstring(table_part.blob)
    number = 0
    for family in dict.fromkeys((style.text_font, style.display_font)):
        chosen = _faces_to_embed(family, used)
        if not chosen:
            continue
        font = _font_entry(table, family.name)
        for face in chosen:
            number += 1
            data = font_program(face.path, root, wanted - EDITING_CHARACTERS)
            key = "{" + str(uuid.UUID(bytes=hashlib.sha256(data).digest()[:16])).upper() + "}"
            part = Part(
                PackURI(f"/word/fonts/font{number}.odttf"),
                OBFUSCATED_FONT,
                obfuscate(data, key),
                doc.part.package,
            )
            embed = OxmlElement(f"w:{_embed_tag(face)}")
            embed.set(qn("r:id"), table_part.relate_to(part, RT.FONT))
            embed.set(qn("w:fontKey"), key)
            font.append(embed)
    table_part._blob = etree.tostring(
        table, xml_declaration=True, encoding="UTF-8", standalone=True
    )
    _set_embedding(doc.settings.element)
    return wanted


def _faces_to_embed(family: Family, used: set[RunFace]) -> list[Face]:
    """The family's faces some run is set in (a bold italic run without a bold italic face is
    drawn by the application from the regular one), with the regular face whenever the family
    is used at all: it is the one a secretary's new text falls back on."""
    styles = {(face.bold, face.italic) for face in used if face.font == family.name}
    if not styles:
        return []
    styles.add((False, False))
    return sorted(
        (face for face in family.faces if (face.bold, face.italic) in styles),
        key=lambda f: (f.italic, f.bold),
    )


def obfuscate(data: bytes, key: str) -> bytes:
    """XOR the font's first 32 bytes with the key's 16 bytes in reverse order (17.8.1)."""
    key_bytes = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(byte ^ key_bytes[index % 16] for index, byte in enumerate(data[:32]))
    return head + data[32:]


def font_program(
    path: Path, root: Path | None = None, extra: frozenset[str] = frozenset()
) -> bytes:
    """The face as a plain TrueType/OpenType file with ``EDITING_CHARACTERS`` and ``extra``;
    see ``_subset``.

    A club's font (under the workspace ``root``'s clubs/) is judged on the file opened, as
    every club file is: one swapped for a hard link after loading is refused, not embedded.
    """
    real = Path(os.path.realpath(path))
    if root is not None and is_club_file(real, root):
        try:
            data = read_limited(real, MAX_ASSET, shown_path(real, root), N_("font"), root=root)
        except RefusedFileError as error:
            raise RenderError(str(error)) from None
        except OSError as err:
            raise RenderError(
                _("{path}: cannot read this font ({strerror})").format(
                    path=path, strerror=err.strerror
                )
            ) from None
        return _subset(data, path, extra)
    # Keyed by the contents too: a long-lived process sees a font replaced under its name.
    return _font_program(path, content_hash(path, path.stat()), extra)


@functools.lru_cache(maxsize=32)
def _font_program(path: Path, _contents: str, extra: frozenset[str]) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise RenderError(
            _("{path}: cannot read this font ({err}); use a .ttf or .otf file").format(
                path=path, err=err
            )
        ) from err
    return _subset(data, path, extra)


def _subset(data: bytes, path: Path, extra: frozenset[str] = frozenset()) -> bytes:
    """The face as a plain TrueType file, cut down to ``EDITING_CHARACTERS`` and ``extra``,
    without hinting and layout tables (see the module's docstring).

    HarfBuzz's subsetter does it in a millisecond, where fontTools took most of a second per
    face (six faces: the first DOCX of every build waited five seconds for them). Every name
    record and name language is kept (the family's name, its licence).
    """
    import uharfbuzz as hb  # noqa: PLC0415 -- loaded by the first DOCX

    try:
        face = hb.Face(hb.Blob(data))
        wanted = hb.SubsetInput()
        wanted.unicode_set.update(sorted(map(ord, EDITING_CHARACTERS | extra)))
        for kind in (hb.SubsetInputSets.NAME_ID, hb.SubsetInputSets.NAME_LANG_ID):
            every = wanted.sets(kind)
            every.clear()
            every.invert()  # the empty set inverted: all of them
        wanted.sets(hb.SubsetInputSets.DROP_TABLE_TAG).update(_tags(UNREAD_TABLES))
        wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE | hb.SubsetFlags.NO_HINTING
        subset = hb.subset(face, wanted)
        data = subset.blob.data if subset is not None else b""
    except (OSError, RuntimeError) as err:
        raise RenderError(
            _("{path}: cannot read this font ({err}); use a .ttf or .otf file").format(
                path=path, err=err
            )
        ) from err
    if not data:
        raise RenderError(
            _("{path}: cannot read this font; use a .ttf or .otf file").format(path=path)
        )
    return bytes(data)


def _tags(names: tuple[str, ...]) -> list[int]:
    return [int.from_bytes(name.encode("ascii"), "big") for name in names]


def _embed_tag(face: Face) -> str:
    return (
        "embed"
        + {
            (False, False): "Regular",
            (True, False): "Bold",
            (False, True): "Italic",
            (True, True): "BoldItalic",
        }[(face.bold, face.italic)]
    )


def _font_table_part(doc: DocumentObject) -> Part:
    for rel in doc.part.rels.values():
        if rel.reltype == RT.FONT_TABLE and not rel.is_external:
            return cast(Part, rel.target_part)  # python-docx's Part.rels is untyped
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    blob = f'<w:fonts xmlns:w="{w}"/>'.encode()
    part = Part(
        PackURI("/word/fontTable.xml"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml",
        blob,
        doc.part.package,
    )
    doc.part.relate_to(part, RT.FONT_TABLE)
    return part


def _font_entry(table: etree._Element, name: str) -> etree._Element:
    """The table's ``w:font`` for ``name``, with any earlier embedding removed."""
    for font in table.findall(qn("w:font")):
        if font.get(qn("w:name")) == name:
            for old in font:
                if etree.QName(old).localname.startswith("embed"):
                    font.remove(old)
            return font
    font = etree.SubElement(table, qn("w:font"))
    font.set(qn("w:name"), name)
    for tag, value in (("w:charset", "00"), ("w:family", "auto"), ("w:pitch", "variable")):
        etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
    return font


def _set_embedding(settings: BaseOxmlElement) -> None:
    """``w:embedTrueTypeFonts``: Word keeps the fonts when the secretary saves the letter; no
    ``w:saveSubsetFonts`` (see the module's docstring)."""
    set_setting(settings, "embedTrueTypeFonts")
    remove_setting(settings, "saveSubsetFonts")
