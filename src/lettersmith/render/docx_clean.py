"""A reference DOCX from a workspace or a club, made safe before a letter is written into it.

Word acts on some parts of a document when it is opened: it fetches an attached template or
a linked picture from the network, runs macros, starts embedded objects, and updates fields
that include other files (INCLUDEPICTURE, INCLUDETEXT, LINK, DDE). None of these may reach a
ministry from a club's letter.docx: every external relationship except a hyperlink, every
macro part, embedded object and ActiveX control, and every such field is removed. The
package is also measured before it is opened, so a zip bomb is refused unread.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from lxml import etree

from lettersmith.confine import MAX_REFERENCE_UNPACKED
from lettersmith.errors import RenderError
from lettersmith.translate import _

if TYPE_CHECKING:
    from docx.document import Document as DocumentObject

MAX_PARTS = 1000
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FETCHING_FIELD = re.compile(
    r"^\s*(INCLUDEPICTURE|INCLUDETEXT|LINK|DDE|DDEAUTO|IMPORT|INCLUDE)\b", re.IGNORECASE
)
# Parts that run code or embed other applications' documents.
_ACTIVE_PARTS = ("vbaproject", "vbadata", "activex", "oleobject", "/embeddings/", "macro")
# Elements that show such a part, or pull in another document; and hidden text (a style that
# hides "Body Text" would hide the adopted statement in Word).
_ACTIVE_ELEMENTS = (
    "object", "control", "altChunk", "subDoc", "attachedTemplate", "mailMerge",
    "vanish", "specVanish", "webHidden",
)  # fmt: skip


def check_package(data: bytes, shown: str) -> None:
    """Refuse a package whose parts unpack to more than the limit, before opening it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            entries = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # python-docx reports it as not a Word document
    unpacked = sum(entry.file_size for entry in entries)
    if len(entries) > MAX_PARTS or unpacked > MAX_REFERENCE_UNPACKED:
        raise RenderError(
            _(
                "{shown}: the Word document unpacks to {size} MB in {count} parts, "
                "more than the limit of {limit} MB and {parts} parts; save it "
                "again from Word without large embedded files"
            ).format(
                shown=shown,
                size=unpacked // 1000000,
                count=len(entries),
                limit=MAX_REFERENCE_UNPACKED // 1000000,
                parts=MAX_PARTS,
            )
        )


def clean(doc: DocumentObject) -> None:
    """Remove from ``doc`` (a python-docx Document) everything that fetches or runs."""
    for part in list(doc.part.package.iter_parts()):
        dropped = set()
        for rel_id, rel in list(part.rels.items()):
            target = "" if rel.is_external else str(rel.target_part.partname).lower()
            active = any(name in target or name in rel.reltype.lower() for name in _ACTIVE_PARTS)
            if (rel.is_external and rel.reltype != RT.HYPERLINK) or active:
                dropped.add(rel_id)
                del part.rels[rel_id]
        element = getattr(part, "_element", None)
        if element is not None:
            _clean_xml(element, dropped)
        elif part.content_type.endswith("xml") and part.blob:
            try:
                root = etree.fromstring(part.blob)
            except etree.XMLSyntaxError:
                continue
            if _clean_xml(root, dropped):
                part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _clean_xml(root: etree._Element, dropped: set[str]) -> bool:
    changed = False
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        refers_to_dropped = any(
            key.startswith(f"{{{_R}}}") and value in dropped for key, value in node.attrib.items()
        )
        fetching = local == "fldSimple" and _FETCHING_FIELD.match(node.get(f"{{{_W}}}instr", ""))
        if local in _ACTIVE_ELEMENTS or refers_to_dropped or fetching:
            _remove(node)
            changed = True
        elif local == "instrText" and _FETCHING_FIELD.match(node.text or ""):
            node.text = ""
            changed = True
    return changed


def _remove(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is not None:
        parent.remove(node)
