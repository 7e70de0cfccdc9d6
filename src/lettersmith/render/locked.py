"""The locked statement, read back: the built PDF and DOCX show the adopted title and body
word for word.

The statement is rendered by lettersmith into a place no template can filter (see
``render.html``), but a stylesheet can still hide a paragraph (``display: none``), add words
(``::before { content: "not" }``) or print letters in another case. So the text is read back
from every built file and the composed title and body must appear in it, in order, with no
word missing, changed or added; else the letter's build fails naming its template.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence

from lxml import etree

from lettersmith.errors import RenderError
from lettersmith.model import Block, ComposedLetter, Heading, ListBlock, Paragraph

# Where a page ends, what is drawn apart from the flow (the letterhead, the next page's running
# header: sender, date, "Side 2 av 3") comes between two words of the body; this many words
# at the end of a page and at the start of the next may be skipped there, and only there.
RUNNING_HEADER_WORDS = 30
_MARKER = re.compile(r"^(?:[\u2022\u25e6\u25aa\u2013\-\u00b7*]|\d+[.)]|[a-z][.)])$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def statement_words(letter: ComposedLetter) -> list[str]:
    """The words of the adopted title and body, as a reader sees them (with the salutation
    that an ``each`` letter puts between them)."""
    salutation = [letter.salutation] if letter.salutation else []
    return _words([letter.title, *salutation, *_block_texts(letter.body)])


def check_pdf(data: bytes, letter: ComposedLetter, template: str) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        pages = []
        for index in range(len(pdf)):
            textpage = pdf[index].get_textpage()
            pages.append(_words([textpage.get_text_range()]))
            textpage.close()
    finally:
        pdf.close()
    _check(pages, letter, template, "PDF")


def check_docx(data: bytes, letter: ComposedLetter, template: str) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        root = etree.fromstring(package.read("word/document.xml"))
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        if paragraph.find(f".//{_W}vanish") is not None:
            continue  # hidden text is not shown: it does not count
        pieces = []
        for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):
            pieces.append(node.text or "" if node.tag == f"{_W}t" else " ")
        paragraphs.append("".join(pieces))
    _check([_words(paragraphs)], letter, template, "DOCX")


def _check(pages: Sequence[list[str]], letter: ComposedLetter, template: str, kind: str) -> None:
    wanted = statement_words(letter)
    if not wanted or _found(wanted, pages):
        return
    raise RenderError(
        f"{template}: the {kind} of {letter.stem} does not show the adopted title and body word "
        "for word; the template or its stylesheet changes, hides or adds to the statement "
        "(a club may change what is around it, never its words)"
    )


def _found(wanted: list[str], pages: Sequence[list[str]]) -> bool:
    """Whether ``wanted`` occurs in the pages' words, a page's first few words skippable."""
    words: list[str] = []
    skippable: set[int] = set()
    for number, page in enumerate(pages):
        if number:
            skippable.update(range(len(words) - RUNNING_HEADER_WORDS, len(words)))
            skippable.update(range(len(words), len(words) + RUNNING_HEADER_WORDS))
        words.extend(page)
    first = wanted[0]
    for start, word in enumerate(words):
        if word == first and _matches(wanted, words, start, skippable):
            return True
    return False


def _matches(wanted: list[str], words: list[str], start: int, skippable: set[int]) -> bool:
    position = start
    for want in wanted:
        while position < len(words) and words[position] != want and position in skippable:
            position += 1
        if position >= len(words) or words[position] != want:
            return False
        position += 1
    return True


def _words(texts: Iterable[str]) -> list[str]:
    words: list[str] = []
    for text in texts:
        text = unicodedata.normalize("NFKC", text).replace("\u00ad", "").replace("\ufffe", "")
        words.extend(word for word in text.split() if not _MARKER.match(word))
    return words


def _block_texts(blocks: Sequence[Block]) -> list[str]:
    texts = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading):
            texts.append("".join(" " if s.text == "\n" else s.text for s in block.spans))
        elif isinstance(block, ListBlock):
            for item in block.items:
                texts.extend(_block_texts(item))
    return texts
