"""Read generated documents back as a reader sees them: their text, in reading order."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.oxml.ns import qn
from pypdf import PdfReader


def normalise(text: str) -> str:
    return " ".join(text.split())


# The hyphen WeasyPrint draws where it breaks a word at a line's end (letter.css).
HYPHENATION = "\u2010"


def pdf_pages(path: Path) -> list[str]:
    """Each page's text; a word hyphenated at a line's end read whole, as a reader reads it."""
    return [
        re.sub(f"{HYPHENATION}\\s*\\n\\s*", "", page.extract_text() or "")
        for page in PdfReader(path).pages
    ]


def pdf_text(path: Path) -> str:
    return normalise(" ".join(pdf_pages(path)))


def docx_text(path: Path, *, headers: bool = False) -> str:
    """Every word of the document body in order, text boxes and tables included."""
    document = docx.Document(str(path))
    parts: list[str] = []
    roots = [document.element.body]
    if headers:
        roots = [s.first_page_header._element for s in document.sections] + roots
    for root in roots:
        for element in root.iter():
            if element.tag == qn("w:t"):
                parts.append(element.text or "")
            elif element.tag in (qn("w:p"), qn("w:tab"), qn("w:br"), qn("w:tc")):
                parts.append(" ")
    return normalise("".join(parts))


def in_order(text: str, lines: list[str]) -> list[str]:
    """The lines (normalised) that are not found in ``text`` after the previous one."""
    missing, position = [], 0
    for line in lines:
        wanted = normalise(line)
        found = text.find(wanted, position)
        if found < 0:
            missing.append(wanted)
        else:
            position = found + len(wanted)
    return missing


def reference_lines(path: Path) -> list[str]:
    """The reference letter's lines; its introduction is one sentence broken over two lines."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"Representantskapsmøtet\s*\n\s*14\.", "Representantskapsmøtet 14.", text)
    return [line for line in text.splitlines() if line.strip()]
