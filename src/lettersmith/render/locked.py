"""The locked statement, read back as a reader sees it: the built PDF and DOCX show the adopted
introduction, title and body word for word, nothing between them, and every word readable.

The statement is rendered by lettersmith into a place no template can filter (see
``render.html``), but a stylesheet or a Word style can still change how it reads: hide a
paragraph (``display: none``), add words (``::before { content: "not" }``), print it white on
white or 1 pt high, lay a box with other words over it, or push a paragraph to the next page
behind words of its own. So every built file is read back: the statement's words must come in
order with nothing between them but a page's running header (see ``visible_pdf`` and
``visible_docx`` for how they must look); else the letter's build fails naming its template.
``check_statement`` is the one check every build path calls (``render.build``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lettersmith.errors import RenderError, relative
from lettersmith.model import Block, ComposedLetter, Heading, ListBlock, Paragraph
from lettersmith.translate import _

MIN_SIZE = 8.0  # points: below it, a letter's reader may not read the words
MIN_CONTRAST = 3.0  # WCAG 2's least ratio for large text and for what must be seen
# How many words of the statement a message quotes around the place where it goes wrong.
QUOTED = 6
# A word a reader skips: a list's bullet or number, drawn by the layout rather than adopted.
_MARKER = re.compile(r"^(?:[\u2022\u25e6\u25aa\u2013\-\u00b7*]|\d+[.)]|[a-z][.)])$")
_SIGNS = ".,;:!?()[]|/\u00b7\u2022\u2013\u2014-"
DROPPED_CHARS = "\u00ad\ufffe\x02"  # soft hyphens, as pdfium reports them
_DROPPED = str.maketrans("", "", DROPPED_CHARS)


@dataclass(frozen=True, slots=True)
class Statement:
    """The statement's words, with how many open it as the introduction line."""

    words: tuple[str, ...]
    intro: int


def statement(letter: ComposedLetter) -> Statement:
    """The words of the introduction, title, salutation and body, as a reader sees them."""
    intro = words([letter.intro])
    rest = words([letter.title, letter.salutation or "", *_block_texts(letter.body)])
    return Statement(tuple(intro + rest), len(intro))


def check_statement(data: bytes, letter: ComposedLetter, fmt: str) -> None:
    """Refuse a built file whose statement a reader does not see as adopted."""
    if fmt == "pdf":
        from lettersmith.render.html import template_shown

        check_pdf(data, letter, template_shown(letter))
    else:
        from lettersmith.render.docx import reference_shown

        check_docx(data, letter, reference_shown(letter))


def check_pdf(data: bytes, letter: ComposedLetter, template: str) -> None:
    from lettersmith.render.visible_pdf import pdf_problems

    problems = pdf_problems(data, letter, statement(letter), _page_header(letter))
    _refuse(problems, _shown(letter, template, ("letter.html.j2", "letter.css")))


def check_docx(data: bytes, letter: ComposedLetter, template: str) -> None:
    from lettersmith.render.visible_docx import docx_problems

    _refuse(docx_problems(data, letter, statement(letter)), template)


def _refuse(problems: Sequence[str], template: str) -> None:
    if problems:
        raise RenderError(
            _(
                "{template}: the statement must be readable as adopted: {problems}; a "
                "template may change what is around the statement, never how it reads"
            ).format(template=template, problems="; ".join(problems))
        )


def _shown(letter: ComposedLetter, template: str, names: Sequence[str]) -> str:
    """The user's files the statement was laid out with: the template's own, and its stylesheet
    when the workspace or club has one (a colour rule is as likely there)."""
    used = [_first(letter.template_dirs, name) for name in names]
    shown = [relative(path, letter.root) for path in used if path is not None]
    if not shown:
        return template
    if len(shown) == 1:
        return shown[0]
    return _("{template} (with {stylesheet})").format(template=shown[0], stylesheet=shown[1])


def _first(folders: Sequence[Path], name: str) -> Path | None:
    return next((folder / name for folder in folders if (folder / name).is_file()), None)


def _page_header(letter: ComposedLetter) -> Callable[[int, int], Counter[str]]:
    """The words a page's running header or footer may show on page ``number`` of ``count``:
    the only words that may come between two words of the statement, where a page breaks.

    lettersmith's own header shows the organisation (or its short name), the place and date
    and "Side 2 av 3" from page 2, and "Side 1 av 3" at the foot of page 1 of a letter of
    more pages; a template's header or footer may show the organisation's address, email and
    website and the addressees' lines on any page. Each may come once on a page. None of it
    is the club's to choose but the organisation's own details and names, which the letter
    prints anyway; page numbers are the true ones."""
    sender = letter.sender
    footer = _bare(words([sender.name, *sender.address, sender.email or "", sender.website or ""]))
    # A running header may name whom the letter is to, as letters often do from page 2.
    footer += _bare(words([line for addressee in letter.addressees for line in addressee.lines]))

    def header(number: int, count: int) -> Counter[str]:
        page = letter.phrases.page.replace("{page}", str(number)).replace("{pages}", str(count))
        if number <= 1:
            return footer + _bare(words([page])) if count > 1 else footer
        return footer + _bare(words([sender.short_name or sender.name, letter.date_line, page]))

    return header


# --------------------------------------------------------------------------- word order


def find_statement(
    found: Sequence[str],
    pages: Sequence[int],
    wanted: Statement,
    name: str,
    header: Callable[[int, int], Counter[str]] | None = None,
    heights: Sequence[tuple[float, float]] | None = None,
) -> tuple[list[int], list[str]]:
    """Where each word of the statement is among ``found`` (the file's words, each on page
    ``pages[i]``, 0 when the file has no pages), and what is wrong if it is not there in order
    with nothing between. ``name`` is the file as a message names it: "the PDF of brev".

    Between the last word on a page and the first on the next, that page's and the next one's
    running header may come (where a layout draws it), and what is drawn on the statement's
    first page wholly above its first word (``heights``: each word's bottom and top, up the
    page), such as the words
    of a logo that the layout draws last: a reader sees them before the statement.
    """
    count = max(pages, default=1)
    best: tuple[int, list[int], str] = (-1, [], "")
    want = wanted.words
    for start in (i for i, word in enumerate(found) if want and word == want[0]):
        placed = [start]
        position = start + 1
        problem = ""
        for index in range(1, len(want)):
            if position < len(found) and found[position] == want[index]:
                placed.append(position)
                position += 1
                continue
            page = pages[placed[-1]]
            after = _next(found, pages, want[index], position, page + 1)
            above = _above(pages, heights, start)
            between = [found[i] for i in range(position, after or position) if i not in above]
            allowed = header(page, count) + header(page + 1, count) if header else Counter()
            if after is not None and not _bare(between) - allowed:
                placed.append(after)
                position = after + 1
                continue
            problem = _what_differs(found, pages, want, index, position, allowed, above, name)
            break
        if len(placed) == len(want):
            return placed, _at_breaks(found, pages, placed, heights, header, name)
        if len(placed) > best[0]:
            best = (len(placed), placed, problem)
    if not want:
        return [], []
    if best[0] < wanted.intro:
        intro = " ".join(want[: wanted.intro])
        return best[1], [
            _(
                "{name} does not show the introduction line ('{intro}') as written, right "
                "before the title"
            ).format(name=name, intro=intro)
        ]
    return best[1], [best[2]]


def _above(
    pages: Sequence[int], heights: Sequence[tuple[float, float]] | None, start: int
) -> set[int]:
    """The words drawn on the statement's first page wholly above its first word."""
    if heights is None:
        return set()
    top = heights[start][1]
    return {i for i, page in enumerate(pages) if page == pages[start] and heights[i][0] > top}


def _at_breaks(
    found: Sequence[str],
    pages: Sequence[int],
    placed: Sequence[int],
    heights: Sequence[tuple[float, float]] | None,
    header: Callable[[int, int], Counter[str]] | None,
    name: str,
) -> list[str]:
    """Words a reader sees where the statement breaks to the next page, wherever the text
    puts them: below its last line on the one page, above its first line on the next (a
    page's head may be drawn last). Only that page's running header or footer may be there."""
    if heights is None or header is None:
        return []
    count = max(pages, default=1)
    mine = set(placed)
    for k in range(1, len(placed)):
        last, first = placed[k - 1], placed[k]
        page, following = pages[last], pages[first]
        if page == following:
            continue
        seen = [
            i
            for i, on in enumerate(pages)
            if i not in mine
            and (
                (on == page and heights[i][1] < heights[last][0])
                or (on == following and heights[i][0] > heights[first][1])
            )
        ]
        extra = _bare(found[i] for i in seen) - (header(page, count) + header(following, count))
        if extra:
            inserted = [found[i] for i in seen if extra[bare_word(found[i])]]
            before = " ".join(found[i] for i in placed[max(0, k - QUOTED) : k])
            return [
                _(
                    "{name} does not show the adopted title and body word for word: the "
                    "words '{names}' come between them (page {following}, after '{before}')"
                ).format(name=name, names=" ".join(inserted), following=following, before=before)
            ]
    return []


def _next(
    found: Sequence[str], pages: Sequence[int], word: str, start: int, page: int
) -> int | None:
    """The first ``word`` at or after ``start`` on ``page``, if none comes before on another."""
    for index in range(start, len(found)):
        if pages[index] > page:
            return None
        if found[index] == word and pages[index] == page:
            return index
    return None


def _what_differs(
    found: Sequence[str],
    pages: Sequence[int],
    want: Sequence[str],
    index: int,
    position: int,
    allowed: Counter[str],
    above: set[int],
    name: str,
) -> str:
    before = " ".join(want[max(0, index - QUOTED) : index])
    page = pages[min(position, len(pages) - 1)] if pages else 0
    where = (
        _("page {page}, after '{before}'").format(page=page, before=before)
        if page
        else _("after '{before}'").format(before=before)
    )
    differs = _("{name} does not show the adopted title and body word for word").format(name=name)
    for end in range(position, min(position + 40, len(found))):
        if found[end] == want[index]:
            inserted = [
                found[i]
                for i in range(position, end)
                if i not in above and not allowed[bare_word(found[i])]
            ]
            return _("{differs}: the words '{names}' come between them ({where})").format(
                differs=differs, names=" ".join(inserted), where=where
            )
    expected = " ".join(want[index : index + QUOTED])
    return _("{differs}: '{expected}' is missing or changed ({where})").format(
        differs=differs, expected=expected, where=where
    )


def _bare(found: Iterable[str]) -> Counter[str]:
    """Words as a page's header or footer is compared: without the signs around them, signs
    alone left out ("Postboks 123 · 5804 Bergen" shows the address)."""
    return Counter(word for word in map(bare_word, found) if word)


def bare_word(word: str) -> str:
    return word.strip(_SIGNS)


Colour = tuple[int, int, int]


def luminance(colour: Colour) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""
    linear = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in colour]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: Colour, second: Colour) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def colour_name(colour: Colour) -> str:
    hex_ = "#{:02x}{:02x}{:02x}".format(*colour)
    if min(colour) >= 240:
        return _("white ({hex})").format(hex=hex_)
    if max(colour) <= 24:
        return _("black ({hex})").format(hex=hex_)
    return hex_


def words(texts: Iterable[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        text = unicodedata.normalize("NFKC", text).translate(_DROPPED)
        found.extend(word for word in text.split() if not is_marker(word))
    return found


def is_marker(word: str) -> bool:
    return bool(_MARKER.match(word))


def _block_texts(blocks: Sequence[Block]) -> list[str]:
    texts = []
    for block in blocks:
        if isinstance(block, Paragraph | Heading):
            texts.append("".join(" " if s.text == "\n" else s.text for s in block.spans))
        elif isinstance(block, ListBlock):
            for item in block.items:
                texts.extend(_block_texts(item))
    return texts
