"""The statement in a built PDF, checked as a reader sees it.

Its words are found in the text that pdfium reads from the pages (``locked.find_statement``:
in order, nothing between them but the running header where a page breaks); then each of their
characters must be

- legible: drawn at least ``MIN_SIZE`` points high (the font size times the drawing's scale);
- in view: inside the page, in a text mode that paints it;
- in contrast with what is behind it: the WCAG ratio of its colour (its opacity counted) to
  the page as drawn without any text, at the character, at least ``MIN_CONTRAST``;
- not covered: no filled shape, image or shading painted later over a share of its box, no other
  character over it;

and no other words may be drawn inside the statement's lines. Pages are read through pdfium's
page objects (their paint order, bounds, colours) and its text page (each character's box and
the object that draws it); the background is the page rendered at ``BACKGROUND_DPI`` with its
text made invisible.
"""

from __future__ import annotations

import ctypes
import functools
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c

from lettersmith.model import ComposedLetter
from lettersmith.render.locked import (
    DROPPED_CHARS,
    MIN_CONTRAST,
    MIN_SIZE,
    Statement,
    bare_word,
    colour_name,
    contrast,
    find_statement,
    is_marker,
)
from lettersmith.translate import _

# The character WeasyPrint draws where it breaks a word at a line's end (letter.css's
# hyphenate-character, CSS's default): U+2010 HYPHEN, never the "-" people type.
HYPHENATION = "\u2010"
LINE_END = "\n"  # pdfium's own characters between two lines, \r\n
COVERED = 0.3  # the share of a character's box that a later shape may cover
OVERLAP = 0.5  # the share of the smaller of two characters' boxes that the other may cover
BACKGROUND_DPI = 36
_SCALE = BACKGROUND_DPI / 72

Box = tuple[float, float, float, float]  # left, bottom, right, top, in points
Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(slots=True)
class Drawn:
    """A page object, numbered in the order it is painted."""

    order: int
    kind: int
    box: Box
    colour: tuple[int, int, int]
    alpha: float
    size: float = 0.0  # text: its font size as drawn, in points
    painted: bool = True  # text: in a mode that paints it (not invisible, not only a clip)


@dataclass(slots=True)
class Char:
    page: int  # from 1
    text: str
    box: Box
    drawn: Drawn | None


@dataclass(slots=True)
class Word:
    text: str
    page: int
    chars: list[int] = field(default_factory=list)
    broken: bool = False  # ends a line with the hyphen of hyphenation: it goes on after it


def pdf_problems(
    data: bytes,
    letter: ComposedLetter,
    wanted: Statement,
    header: Callable[[int, int], Counter[str]],
) -> list[str]:
    """What a reader of the PDF would not see of the statement as adopted; empty if all."""
    pdf = pypdfium2.PdfDocument(data)
    try:
        chars: list[Char] = []
        pages: list[Any] = []
        objects: list[list[tuple[Any, Drawn]]] = []
        for index in range(len(pdf)):
            page = pdf[index]
            pages.append(page)
            drawn = list(_walk(page))
            objects.append(drawn)
            chars.extend(_chars(page, index + 1, {_address(obj): d for obj, d in drawn}))
        words = _join_broken(_words(chars), chars, header, len(pdf))
        found = [w for w in words if not is_marker(w.text)]
        heights = [
            (min(chars[i].box[1] for i in w.chars), max(chars[i].box[3] for i in w.chars))
            for w in found
        ]
        placed, problems = find_statement(
            [w.text for w in found], [w.page for w in found], wanted,
            _("the PDF of {stem}").format(stem=letter.stem), header, heights,
        )  # fmt: skip
        if not placed:
            return problems
        # How the part found looks is told too: words laid over the statement at a page's
        # end come between its words in the text, and "covered" says what a reader sees.
        # Its characters are its words' (not a page header's between them).
        mine = {i for index in placed for i in found[index].chars}
        # A list's bullets and numbers are drawn apart from the text (after it, in WeasyPrint).
        markers = {i for word in words if is_marker(word.text) for i in word.chars}
        return problems + _looks(chars, mine, markers, pages, objects)
    finally:
        pdf.close()


# --------------------------------------------------------------------------- reading the pages


def _walk(page: Any) -> Iterator[tuple[Any, Drawn]]:
    """The page's objects in paint order, forms opened, their boxes on the page."""
    counter = [0]

    def walk(
        count: int, get: Callable[[int], Any], matrix: Matrix, alpha: float
    ) -> Iterator[tuple[Any, Drawn]]:
        for index in range(count):
            obj = get(index)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            colour, own_alpha = _fill(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                inner = _times(_matrix(obj), matrix)
                yield from walk(
                    pdfium_c.FPDFFormObj_CountObjects(obj),
                    functools.partial(pdfium_c.FPDFFormObj_GetObject, obj),
                    inner,
                    alpha * own_alpha,
                )
                continue
            counter[0] += 1
            drawn = Drawn(counter[0], kind, _bounds(obj, matrix), colour, alpha * own_alpha)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
                drawn.painted = mode not in (
                    pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE, pdfium_c.FPDF_TEXTRENDERMODE_CLIP
                )  # fmt: skip
                if mode in (pdfium_c.FPDF_TEXTRENDERMODE_STROKE,
                            pdfium_c.FPDF_TEXTRENDERMODE_STROKE_CLIP):  # fmt: skip
                    drawn.colour, stroke_alpha = _fill(obj, stroke=True)
                    drawn.alpha = alpha * stroke_alpha
                size = ctypes.c_float()
                pdfium_c.FPDFTextObj_GetFontSize(obj, size)
                drawn.size = size.value * _scale(_times(_matrix(obj), matrix))
            elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                fill, stroke = ctypes.c_int(), ctypes.c_int()
                pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
                if not fill.value:
                    drawn.alpha = 0.0  # a line: it covers nothing
            yield obj, drawn

    raw = page.raw
    count = pdfium_c.FPDFPage_CountObjects(raw)
    yield from walk(count, lambda i: pdfium_c.FPDFPage_GetObject(raw, i), _IDENTITY, 1.0)


def _address(pointer: Any) -> int:
    return ctypes.c_void_p.from_buffer(pointer).value or 0 if pointer else 0


def _fill(obj: Any, *, stroke: bool = False) -> tuple[tuple[int, int, int], float]:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    get = pdfium_c.FPDFPageObj_GetStrokeColor if stroke else pdfium_c.FPDFPageObj_GetFillColor
    if not get(obj, r, g, b, a):
        return (0, 0, 0), 1.0
    return (r.value, g.value, b.value), a.value / 255


def _matrix(obj: Any) -> Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _times(first: Matrix, then: Matrix) -> Matrix:
    """``first``, then ``then``: PDF's row-vector order."""
    a, b, c, d, e, f = first
    p, q, r, s, t, u = then
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s,
            e * p + f * r + t, e * q + f * s + u)  # fmt: skip


def _scale(m: Matrix) -> float:
    """How much a matrix shrinks text, the narrower way (a squeezed line is as unreadable)."""
    return float(min((m[0] ** 2 + m[1] ** 2) ** 0.5, (m[2] ** 2 + m[3] ** 2) ** 0.5))


def _bounds(obj: Any, matrix: Matrix) -> Box:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
        return (0.0, 0.0, 0.0, 0.0)
    a, b, c, d, e, f = matrix
    corners = [(x, y) for x in (left.value, right.value) for y in (bottom.value, top.value)]
    xs = [a * x + c * y + e for x, y in corners]
    ys = [b * x + d * y + f for x, y in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def _chars(page: Any, number: int, drawn: dict[int, Drawn]) -> list[Char]:
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        left, right, bottom, top = (ctypes.c_double() for _ in range(4))
        chars = []
        for index in range(pdfium_c.FPDFText_CountChars(raw)):
            text = _text(pdfium_c.FPDFText_GetUnicode(raw, index))
            pdfium_c.FPDFText_GetCharBox(raw, index, left, right, bottom, top)
            obj = _address(pdfium_c.FPDFText_GetTextObject(raw, index))
            box = (left.value, bottom.value, right.value, top.value)
            chars.append(Char(number, text, box, drawn.get(obj)))
        return chars
    finally:
        textpage.close()


_texts: dict[int, str] = {}


def _text(code: int) -> str:
    if code not in _texts:
        text = unicodedata.normalize("NFKC", chr(code))
        if text in DROPPED_CHARS:
            text = ""
        elif text.isspace():
            text = LINE_END if text in "\r\n" else " "
        _texts[code] = text
    return _texts[code]


def _words(chars: Sequence[Char]) -> list[Word]:
    """The words drawn, in the text's order; those that end a line with ``HYPHENATION`` are
    marked broken (see ``_join_broken``)."""
    words: list[Word] = []
    current: Word | None = None
    for index, char in enumerate(chars):
        if char.text in (" ", LINE_END):
            current = None
            continue
        if not char.text:
            continue
        if current is None or current.page != char.page:
            current = Word("", char.page)
            words.append(current)
        current.text += char.text
        current.chars.append(index)
    for word in words:
        if word.text.endswith(HYPHENATION):
            after = word.chars[-1] + 1  # a line's or a page's end, or the last of the text
            ends = after == len(chars) or chars[after].page != word.page
            word.broken = ends or chars[after].text == LINE_END
    return words


def _join_broken(
    words: list[Word],
    chars: Sequence[Char],
    header: Callable[[int, int], Counter[str]],
    count: int,
) -> list[Word]:
    """Each word hyphenated at a line's end read whole, as a reader reads it: its first part
    without the hyphen, then its rest -- the next word in the text where that starts the line
    below; else past the words of a running header or footer (``header``), which the text may
    put first where the word goes on to the next page. The hyphen's character still belongs to
    the word, so nothing else is drawn in its line; words skipped stay where they were, so
    that the statement's order is judged as before."""
    joined: list[Word] = []
    taken: set[int] = set()
    for index, word in enumerate(words):
        if index in taken:
            continue
        joined.append(word)
        allowed = header(word.page, count) + header(word.page + 1, count)
        after = index + 1
        while word.broken and after < len(words) and words[after].page <= word.page + 1:
            then = words[after]
            bare = bare_word(then.text)
            if after in taken:
                pass
            elif allowed[bare] and not _next_line(chars, word, then):
                allowed[bare] -= 1
            else:
                word.text = word.text[: -len(HYPHENATION)] + then.text
                word.chars.extend(then.chars)
                word.broken = then.broken
                taken.add(after)
            after += 1
    return joined


def _next_line(chars: Sequence[Char], word: Word, then: Word) -> bool:
    """Whether ``then`` starts on the line right below the end of ``word``, on its page."""
    last, first = chars[word.chars[-1]].box, chars[then.chars[0]].box  # the hyphen, a letter
    height = max(chars[i].box[3] - chars[i].box[1] for i in word.chars)  # about a line's
    return then.page == word.page and last[1] - 2 * height < first[3] < last[1]


# --------------------------------------------------------------------------- how it looks


def _looks(
    chars: Sequence[Char],
    mine: set[int],
    markers: set[int],
    pages: Sequence[Any],
    objects: Sequence[list[tuple[Any, Drawn]]],
) -> list[str]:
    problems: dict[str, str] = {}  # one message of each kind, for its first place

    def problem(kind: str, index: int, what: str) -> None:
        if kind not in problems:
            problems[kind] = f"{what} (page {chars[index].page}, at '{_context(chars, index)}')"

    seen: set[int] = set()  # the text objects already judged
    # The contrast of a text object's colour on a colour behind it, and the colour blended.
    looks: dict[tuple[int, tuple[int, int, int]], tuple[float, tuple[int, int, int]]] = {}
    number = 0
    backgrounds: dict[int, Any] = {}  # the statement's pages, by number
    for index in sorted(mine):
        char = chars[index]
        drawn = char.drawn
        if drawn is None or not char.text.strip():
            continue
        if char.page != number:  # the statement's characters come page by page
            number = char.page
            page = pages[number - 1]
            width, height = page.get_size()
            shapes = [shape for _, shape in objects[number - 1] if _may_cover(shape)]
            veils = [shape for _, shape in objects[number - 1] if _veils(shape)]
            background = backgrounds[number] = _background(page, objects[number - 1])
        if id(drawn) not in seen:
            seen.add(id(drawn))
            if not drawn.painted or drawn.alpha == 0:
                problem(
                    "hidden", index, _("words of the statement are not painted (invisible text)")
                )
            if drawn.size < MIN_SIZE:
                problem(
                    "size",
                    index,
                    _(
                        "words of the statement are drawn {size:.1f} pt high, less than the "
                        "{least:.0f} pt a reader needs"
                    ).format(size=drawn.size, least=MIN_SIZE),
                )
        left, bottom, right, top = char.box
        x, y = (left + right) / 2, (bottom + top) / 2
        if not (0 <= x <= width and 0 <= y <= height):
            problem("outside", index, _("words of the statement are drawn outside the page"))
            continue
        column = min(int(x * _SCALE), int(width * _SCALE) - 1)
        row = min(int((height - y) * _SCALE), int(height * _SCALE) - 1)
        behind = background[column, row]
        key = (id(drawn), behind)
        if key not in looks:
            colour = _blend(drawn.colour, drawn.alpha, behind)
            looks[key] = (contrast(colour, behind), colour)
        ratio, colour = looks[key]
        # Translucent boxes laid over the words (each too thin to cover) tint them together.
        over = [v for v in veils if v.order > drawn.order and _share(char.box, v.box) >= COVERED]
        for veil in over:
            colour = _blend(veil.colour, veil.alpha, colour)
        if over:
            ratio = contrast(colour, behind)
        if ratio < MIN_CONTRAST:
            problem(
                "contrast",
                index,
                _(
                    "words of the statement are drawn in {colour} on {background}: a contrast "
                    "of {ratio:.1f} to 1, where a reader needs at least {least:.0f} to 1"
                ).format(
                    colour=colour_name(colour),
                    background=colour_name(behind),
                    ratio=ratio,
                    least=MIN_CONTRAST,
                ),
            )
        if any(shape.order > drawn.order and _share(char.box, shape.box) >= COVERED
               for shape in shapes):  # fmt: skip
            problem(
                "covered",
                index,
                _("words of the statement are covered by a box or picture drawn over them"),
            )
    for index in _unseen(chars, mine, pages, backgrounds):
        problem(
            "unseen",
            index,
            _(
                "other words are drawn where a reader cannot see them (white, transparent or "
                "tiny), while a program reading the letter gets them"
            ),
        )
    for index, other in _overlaps(chars, mine):
        if other in mine:
            problem(
                "overlap", index, _("lines or letters of the statement are drawn over each other")
            )
        else:
            problem(
                "covered-text",
                index,
                _("words of the statement are covered by other words ('{context}')").format(
                    context=_context(chars, other)
                ),
            )
    for index in _among(chars, mine, markers):
        problem("among", index, _("other words are drawn among the lines of the statement"))
    return list(problems.values())


UNSEEN_SIZE = 3.0  # points: words drawn smaller are not there for a reader
UNSEEN_CONTRAST = 1.5  # words drawn with less contrast are not there for a reader


def _unseen(
    chars: Sequence[Char], mine: set[int], pages: Sequence[Any], backgrounds: dict[int, Any]
) -> Iterator[int]:
    """Characters of other words on the statement's pages that a reader cannot see: another
    text (a changed copy of the statement, a note) for whoever reads the file's text."""
    seen: dict[tuple[int, tuple[int, int, int]], bool] = {}
    for index, char in enumerate(chars):
        drawn, background = char.drawn, backgrounds.get(char.page)
        if index in mine or drawn is None or background is None or not char.text.strip():
            continue
        if not drawn.painted or drawn.alpha == 0 or drawn.size < UNSEEN_SIZE:
            yield index
            continue
        width, height = pages[char.page - 1].get_size()
        x, y = (char.box[0] + char.box[2]) / 2, (char.box[1] + char.box[3]) / 2
        if not (0 <= x <= width and 0 <= y <= height):
            continue  # off the page: no reader and no check sees it drawn
        column = min(int(x * _SCALE), int(width * _SCALE) - 1)
        row = min(int((height - y) * _SCALE), int(height * _SCALE) - 1)
        behind = background[column, row]
        key = (id(drawn), behind)
        if key not in seen:
            colour = _blend(drawn.colour, drawn.alpha, behind)
            seen[key] = contrast(colour, behind) < UNSEEN_CONTRAST
        if seen[key]:
            yield index


def _background(page: Any, drawn: Sequence[tuple[Any, Drawn]]) -> Any:
    """The page as drawn without its text, at ``BACKGROUND_DPI``: its pixels by (x, y from
    the top). The page is only read: its text can be made invisible."""
    for obj, item in drawn:
        if item.kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
    return page.render(scale=_SCALE, rev_byteorder=True).to_pil().convert("RGB").load()


def _blend(
    colour: tuple[int, int, int], alpha: float, behind: tuple[int, int, int]
) -> tuple[int, int, int]:
    r, g, b = (round(alpha * c + (1 - alpha) * d) for c, d in zip(colour, behind, strict=True))
    return (r, g, b)


def _may_cover(shape: Drawn) -> bool:
    """Whether ``shape`` hides what was drawn before under it: a filled, mostly opaque shape,
    an image or a shading (text is compared character by character)."""
    return shape.kind != pdfium_c.FPDF_PAGEOBJ_TEXT and shape.alpha >= 0.5


def _veils(shape: Drawn) -> bool:
    """Whether ``shape`` is a translucent box that tints what was drawn before under it."""
    return shape.kind != pdfium_c.FPDF_PAGEOBJ_TEXT and 0 < shape.alpha < 0.5


def _area(box: Box) -> float:
    return max(0.0, box[2] - box[0]) * max(0.0, box[3] - box[1])


def _common(first: Box, second: Box) -> float:
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    return max(0.0, width) * max(0.0, height)


def _share(box: Box, over: Box) -> float:
    area = _area(box)
    return _common(box, over) / area if area else 0.0


def _overlaps(chars: Sequence[Char], mine: set[int]) -> Iterator[tuple[int, int]]:
    """Pairs (a statement character, another) whose boxes overlap by ``OVERLAP`` or more.

    Lines are compared first by their text objects' boxes, so that the characters of two
    lines are compared only when the lines lie over each other; neighbours within a line are
    compared too (letters pushed into each other)."""
    by_object: dict[int, list[int]] = {}
    for index, char in enumerate(chars):
        if char.drawn is not None and char.text.strip() and _area(char.box):
            by_object.setdefault(id(char.drawn), []).append(index)
    groups = list(by_object.values())
    for members in groups:
        for first, second in zip(members, members[1:], strict=False):
            if (first in mine or second in mine) and _overlap(chars[first].box, chars[second].box):
                yield (first, second) if first in mine else (second, first)
    lines = [
        (chars[one[0]].page, chars[one[0]].drawn, one, any(i in mine for i in one))
        for one in groups
    ]
    for number, (page, a, one, one_mine) in enumerate(lines):
        for other_page, b, other, other_mine in lines[number + 1 :]:
            if page != other_page or not (one_mine or other_mine) or a is None or b is None:
                continue
            if _common(a.box, b.box) < COVERED * min(_area(a.box), _area(b.box)):
                continue
            for first in one:
                for second in other:
                    if (first in mine or second in mine) and _overlap(
                        chars[first].box, chars[second].box
                    ):
                        yield (first, second) if first in mine else (second, first)


def _overlap(a: Box, b: Box) -> bool:
    if a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1] or a == b:
        return False  # apart (most neighbours), or one glyph for two letters: a ligature
    return _common(a, b) >= OVERLAP * min(_area(a), _area(b))


def _among(chars: Sequence[Char], mine: set[int], markers: set[int]) -> Iterator[int]:
    """Characters of other words (not a list's bullets) drawn inside the statement's lines."""
    regions: dict[int, list[float]] = {}
    for index in mine:
        char = chars[index]
        if char.drawn is None or not char.text.strip():
            continue
        x, y = (char.box[0] + char.box[2]) / 2, (char.box[1] + char.box[3]) / 2
        region = regions.setdefault(char.page, [x, y, x, y])
        region[:] = [min(region[0], x), min(region[1], y), max(region[2], x), max(region[3], y)]
    for index, char in enumerate(chars):
        found = regions.get(char.page)
        if index in mine or index in markers or found is None or not char.text.strip():
            continue
        x, y = (char.box[0] + char.box[2]) / 2, (char.box[1] + char.box[3]) / 2
        if found[0] <= x <= found[2] and found[1] <= y <= found[3]:
            yield index


def _context(chars: Sequence[Char], index: int) -> str:
    """The word around character ``index``, as a message quotes it."""
    start = index
    while (
        start > 0 and chars[start - 1].text.strip() and chars[start - 1].page == chars[index].page
    ):
        start -= 1
    text = ""
    for char in chars[start:]:
        if not char.text.strip() or char.page != chars[index].page or len(text) > 40:
            break
        text += char.text
    return text
