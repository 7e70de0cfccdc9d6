"""The house fonts embedded in the DOCX, so that Word and LibreOffice show the letter in them
without installing anything (ECMA-376 Part 1, 17.8.1 and 17.8.3.3).

Each face goes in as an obfuscated font part (``word/fonts/fontN.odttf``) named from the font
table by ``w:embedRegular``/``w:embedBold``/... with its key. The faces are cut down to the
Latin letters (Norwegian, Sámi, the rest of Europe) and punctuation, so that a secretary can
still edit the letter in them, at a fraction of the size.
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
from lettersmith.render.style import Face, HouseStyle
from lettersmith.translate import N_, _

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.oxml.xmlchemy import BaseOxmlElement

OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"
# Basic Latin, Latin-1, Latin Extended A and B (Sámi's ŋ ŧ đ ǩ ǥ ǯ), IPA's ʒ, spacing modifiers,
# Latin Extended Additional, general punctuation (no-break and thin spaces, dashes, quotes),
# superscripts, currency, letterlike symbols, arrows, ligatures.
KEPT_CHARACTERS = (
    *range(0x20, 0x7F), *range(0xA0, 0x250), 0x292, *range(0x2B0, 0x300), *range(0x300, 0x370),
    *range(0x1E00, 0x1F00), *range(0x2000, 0x2070), *range(0x2070, 0x20A0), *range(0x20A0, 0x20C1),
    *range(0x2100, 0x2150), *range(0x2190, 0x2200), 0xFB01, 0xFB02,
)  # fmt: skip
# What may stand before the font settings in w:settings, in the schema's order.
_SETTINGS_BEFORE = (
    "w:writeProtection", "w:view", "w:zoom", "w:removePersonalInformation",
    "w:removeDateAndTime", "w:doNotDisplayPageBoundaries", "w:displayBackgroundShape",
    "w:printPostScriptOverText", "w:printFractionalCharacterWidth", "w:printFormsData",
)  # fmt: skip


def embed_fonts(doc: DocumentObject, style: HouseStyle, root: Path | None = None) -> None:
    """Embed every face of the style's fonts and name them in the font table (``root``: the
    workspace, whose clubs' fonts are read as every club file is)."""
    table_part = _font_table_part(doc)
    table = etree.fromstring(table_part.blob)
    number = 0
    for family in dict.fromkeys((style.text_font, style.display_font)):
        font = _font_entry(table, family.name)
        for face in sorted(family.faces, key=lambda f: (f.italic, f.bold)):
            number += 1
            data = font_program(face.path, root)
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


def obfuscate(data: bytes, key: str) -> bytes:
    """XOR the font's first 32 bytes with the key's 16 bytes in reverse order (17.8.1)."""
    key_bytes = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(byte ^ key_bytes[index % 16] for index, byte in enumerate(data[:32]))
    return head + data[32:]


def font_program(path: Path, root: Path | None = None) -> bytes:
    """The face as a plain TrueType/OpenType file; see ``_subset``.

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
        return _subset(data, path)
    # Keyed by the contents too: a long-lived process sees a font replaced under its name.
    return _font_program(path, content_hash(path, path.stat()))


@functools.lru_cache(maxsize=32)
def _font_program(path: Path, _contents: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise RenderError(
            _("{path}: cannot read this font ({err}); use a .ttf or .otf file").format(
                path=path, err=err
            )
        ) from err
    return _subset(data, path)


def _subset(data: bytes, path: Path) -> bytes:
    """The face as a plain TrueType/OpenType file, cut down to ``KEPT_CHARACTERS``.

    HarfBuzz's subsetter does it in a millisecond, where fontTools took most of a second per
    face (six faces: the first DOCX of every build waited five seconds for them). Every name
    record, name language and layout feature is kept, as fontTools' "*" kept them.
    """
    import uharfbuzz as hb  # noqa: PLC0415 -- loaded by the first DOCX

    try:
        face = hb.Face(hb.Blob(data))
        wanted = hb.SubsetInput()
        wanted.unicode_set.update(KEPT_CHARACTERS)
        for kind in (
            hb.SubsetInputSets.NAME_ID,
            hb.SubsetInputSets.NAME_LANG_ID,
            hb.SubsetInputSets.LAYOUT_FEATURE_TAG,
        ):
            every = wanted.sets(kind)
            every.clear()
            every.invert()  # the empty set inverted: all of them
        wanted.flags = hb.SubsetFlags.NOTDEF_OUTLINE
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
    """``w:embedTrueTypeFonts``: Word keeps the fonts when the secretary saves the letter."""
    for tag in ("w:embedTrueTypeFonts", "w:saveSubsetFonts"):
        old = settings.find(qn(tag))
        if old is not None:
            settings.remove(old)
    anchor = [settings.find(qn(tag)) for tag in _SETTINGS_BEFORE]
    position = max((list(settings).index(a) + 1 for a in anchor if a is not None), default=0)
    settings.insert(position, OxmlElement("w:embedTrueTypeFonts"))
