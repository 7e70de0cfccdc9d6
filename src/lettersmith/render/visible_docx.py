"""The statement in a built DOCX, checked as Word would show it.

Word has no layout to read back, so the check reads what decides it: the statement's words come
in order in the body with nothing between them (a numbering label made of words counts as
words), and the formatting of each of its runs, resolved as Word does (the document's defaults,
the paragraph style and those it is based on, the character style, the run's own), must not
hide it (``vanish``, ``specVanish``, ``webHidden``), make it smaller than ``MIN_SIZE``, squeeze
it, or give it a colour without ``MIN_CONTRAST`` against its highlight, its shading or the page;
no style may put it in a frame. Every header and footer is read for text boxes, frames, shapes
and floating tables that lie over the statement (``visible_docx_boxes``). A message names the
style or the part to change.
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from lxml import etree

from lettersmith.model import ComposedLetter
from lettersmith.render.locked import (
    MIN_CONTRAST,
    MIN_SIZE,
    Statement,
    colour_name,
    contrast,
    find_statement,
    words,
)
from lettersmith.translate import N_, _

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NS = {
    "w": W,
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "v": "urn:schemas-microsoft-com:vml",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
MIN_WIDTH = 66  # per cent: a character scale below it squeezes words past reading
MIN_LINE = 0.8  # an exact line height below this share of the font size overlaps the lines
MAX_OUTDENT = 1134  # twips (2 cm): an indent further into the margin leaves the page
MIN_COLUMN = 4 * 567  # twips (4 cm): a narrower column breaks the statement's words apart
MAX_INDENT = 6804  # twips (12 cm): an indent past it leaves a strip too narrow to read
DEFAULT_SIZE = 20  # half-points: Word's size when nothing says one
_HIDDEN = ("vanish", "specVanish", "webHidden")
_HOLLOW = {"emboss": N_("embossed"), "imprint": N_("engraved"), "outline": N_("as outlines")}
SHIFTED = 2 / 3  # the share of its size Word draws a superscript or subscript at
# Fonts whose letters are pictures: the words are in the file, a reader sees symbols.
SYMBOL_FONTS = {"symbol", "wingdings", "wingdings 2", "wingdings 3", "webdings", "marlett",
                "zapf dingbats", "zapfdingbats", "itc zapf dingbats", "mt extra",
                "bookshelf symbol 7", "ms outlook", "ms reference specialty"}  # fmt: skip
MIN_MULTIPLE = 0.7  # of a line: "multiple" line spacing below it draws the lines over each other
MAX_ALPHA = 50000  # Word's text fill transparency, in thousandths of a per cent: half
_HIGHLIGHTS = {
    "black": "000000", "blue": "0000FF", "cyan": "00FFFF", "green": "00FF00",
    "magenta": "FF00FF", "red": "FF0000", "yellow": "FFFF00", "white": "FFFFFF",
    "darkBlue": "000080", "darkCyan": "008080", "darkGreen": "008000", "darkMagenta": "800080",
    "darkRed": "800000", "darkYellow": "808000", "darkGray": "808080", "lightGray": "C0C0C0",
}  # fmt: skip
_THEME_NAMES = {"text1": "dk1", "background1": "lt1", "text2": "dk2", "background2": "lt2",
                "dark1": "dk1", "light1": "lt1", "dark2": "dk2", "light2": "lt2"}  # fmt: skip


@dataclass(slots=True)
class Looks:
    """A run's resolved formatting, each setting with the style that gave it."""

    settings: dict[str, tuple[etree._Element, str]] = field(default_factory=dict)

    def take(self, rpr: etree._Element | None, source: str) -> None:
        if rpr is None:
            return
        for child in rpr:
            if isinstance(child.tag, str) and child.tag.startswith(_W):
                self.settings[child.tag[len(_W) :]] = (child, source)
            elif isinstance(child.tag, str) and etree.QName(child).localname == "textFill":
                self.settings["textFill"] = (child, source)  # Word 2010's fill of the letters


class Package:
    """The parts of a DOCX the check reads."""

    def __init__(self, data: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.document = self.xml("word/document.xml")
        styles = self.xml("word/styles.xml")
        self.styles = {s.get(f"{_W}styleId"): s for s in styles.iterfind("w:style", NS)}
        self.defaults = styles.find("w:docDefaults/w:rPrDefault/w:rPr", NS)
        self.default_paragraph = next(
            (s.get(f"{_W}styleId") for s in self.styles.values()
             if s.get(f"{_W}type") == "paragraph" and s.get(f"{_W}default") in ("1", "true")),
            None,
        )  # fmt: skip
        self.theme = self._theme()
        self.numbering = self.xml("word/numbering.xml") if self.has("word/numbering.xml") else None

    def has(self, name: str) -> bool:
        return name in self.zip.namelist()

    def xml(self, name: str) -> etree._Element:
        """A part's XML, only read: the styles, theme and numbering of a reference come back
        the same for each of its letters, and are parsed once."""
        data = self.zip.read(name)
        return _parsed(data) if name != "word/document.xml" else etree.fromstring(data)

    def name(self, style_id: str | None) -> str:
        style = self.styles.get(style_id or "")
        node = style.find("w:name", NS) if style is not None else None
        return (node.get(f"{_W}val") if node is not None else None) or style_id or "Normal"

    def chain(self, style_id: str | None) -> list[etree._Element]:
        """The style and those it is based on, the base first."""
        found: list[etree._Element] = []
        while style_id and style_id in self.styles and len(found) < 20:
            style = self.styles[style_id]
            found.insert(0, style)
            based = style.find("w:basedOn", NS)
            style_id = based.get(f"{_W}val") if based is not None else None
        return found

    def parts(self, kinds: Sequence[str]) -> Iterator[tuple[str, str, etree._Element]]:
        """(its kind, its part name, its XML) for each header or footer of the document."""
        rels = self.xml("word/_rels/document.xml.rels")
        for rel in rels.iter(REL):
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if kind in kinds and rel.get("TargetMode") != "External":
                name = "word/" + rel.get("Target", "").lstrip("/").removeprefix("word/")
                if self.has(name):
                    yield kind, name, self.xml(name)

    def _theme(self) -> dict[str, str]:
        names = [n for n in self.zip.namelist() if n.startswith("word/theme/")]
        if not names:
            return {}
        scheme = self.xml(names[0]).find(".//a:clrScheme", NS)
        colours: dict[str, str] = {}
        for slot in scheme if scheme is not None else []:
            value = slot.find("a:srgbClr", NS)
            system = slot.find("a:sysClr", NS)
            if value is not None:
                colours[etree.QName(slot).localname] = value.get("val", "000000")
            elif system is not None:
                colours[etree.QName(slot).localname] = system.get("lastClr", "000000")
        return colours


@functools.lru_cache(maxsize=32)
def _parsed(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def docx_problems(data: bytes, letter: ComposedLetter, wanted: Statement) -> list[str]:
    """What a reader of the DOCX would not see of the statement as adopted; empty if all."""
    package = Package(data)
    body = package.document.find("w:body", NS)
    if body is None:
        return [_("the DOCX has no body")]
    paragraphs = list(body.iter(f"{_W}p"))
    found: list[str] = []
    owner: list[int] = []
    labels: dict[str, str] = {}  # a style whose numbering is words: its words
    for number, paragraph in enumerate(paragraphs):
        label, source = _label(package, paragraph)
        if label.strip():
            labels.setdefault(source, label.strip())
        for word in words([label + _text(paragraph)]):
            found.append(word)
            owner.append(number)
    placed, problems = find_statement(
        found, [0] * len(found), wanted, _("the DOCX of {stem}").format(stem=letter.stem)
    )
    if problems or not placed:
        return problems + [
            _(
                "{source} numbers paragraphs with the words '{label}'; number them with "
                "digits or signs only"
            ).format(source=source, label=label)
            for source, label in labels.items()
        ]
    shown = paragraphs[owner[placed[0]] : owner[placed[-1]] + 1]
    from lettersmith.render.visible_docx_boxes import floating_over_body

    statement = set(shown)
    others = [(_("the letter"), p) for p in paragraphs if p not in statement]
    for kind, name, root in package.parts(("header", "footer")):
        where = (_("the header ({part})") if kind == "header" else _("the footer ({part})")).format(
            part=name.removeprefix("word/")
        )
        others += [(where, p) for p in root.iter(f"{_W}p")]
    return (
        _formatting(package, shown) + floating_over_body(package, letter) + _unseen(package, others)
    )


UNSEEN_SIZE = 6  # half-points: words smaller than 3 pt are not there for a reader
UNSEEN_CONTRAST = 1.5  # nor words with less contrast than this


def _unseen(package: Package, paragraphs: Sequence[tuple[str, etree._Element]]) -> list[str]:
    """Other words of the letter that Word would not show a reader (hidden, white on the page,
    tiny), while a program reading the file gets them. Text in a shape is left: what is behind
    it is the shape's, not told here."""
    page = _page_colour(package)
    for where, paragraph in paragraphs:
        if any(etree.QName(up).localname in ("txbxContent", "pict", "drawing")
               for up in paragraph.iterancestors()):  # fmt: skip
            continue
        background = _background(package, paragraph, page)
        style_id = _style_id(package, paragraph)
        for run in paragraph.iter(f"{_W}r"):
            text = "".join(t.text or "" for t in run.iterfind("w:t", NS)).strip()
            if not text:
                continue
            settings = _looks(package, style_id, run).settings
            behind = _behind(settings, background)[0]
            colour_node = settings.get("color", (None,))[0]
            colour = _colour(package, colour_node) if colour_node is not None else None
            unseen = (
                any(name in settings and _on(settings[name][0]) for name in _HIDDEN)
                or number(settings.get("sz", (None,))[0], "val", DEFAULT_SIZE) < UNSEEN_SIZE
                or (colour is not None
                    and contrast(_rgb(colour), _rgb(behind)) < UNSEEN_CONTRAST)
            )  # fmt: skip
            if unseen:
                return [
                    _(
                        "{where} holds words a reader cannot see (hidden, white or tiny: "
                        "'{text}'), while a program reading the letter gets them"
                    ).format(where=where, text=text[:40])
                ]
    return []


def _background(
    package: Package, paragraph: etree._Element, page: tuple[str, str]
) -> tuple[str, str]:
    """The colour behind a paragraph's text and what gives it: its shading, else its table
    cell's (the paragraph's shading is painted over the cell's), else the page."""
    shading, source = _paragraph_setting(package, paragraph, "shd")
    fill = _fill(shading)
    if fill:
        return fill, _("{source} (its shading)").format(source=source)
    cell = next((up for up in paragraph.iterancestors(f"{_W}tc")), None)
    cell_fill = _fill(cell.find("w:tcPr/w:shd", NS)) if cell is not None else None
    if cell_fill:
        return cell_fill, _("the table cell (its shading)")
    return page


def _behind(
    settings: dict[str, tuple[etree._Element, str]], background: tuple[str, str]
) -> tuple[str, str]:
    """The colour behind a run's letters and what gives it: its highlight, which Word and
    LibreOffice paint over the run's shading; else its shading; else the paragraph's
    ``background``. The one rule for the statement's contrast and for unseen words."""
    highlight = settings.get("highlight")
    if highlight is not None and highlight[0].get(f"{_W}val") in _HIGHLIGHTS:
        colour = _HIGHLIGHTS[highlight[0].get(f"{_W}val", "")]
        return colour, _("{source} (its highlight)").format(source=highlight[1])
    shading = settings.get("shd")
    fill = _fill(shading[0]) if shading is not None else None
    if shading is not None and fill:
        return fill, _("{source} (its shading)").format(source=shading[1])
    return background


def _text(paragraph: etree._Element) -> str:
    pieces = []
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):
        pieces.append(node.text or "" if node.tag == f"{_W}t" else " ")
    return "".join(pieces) + " "


def _paragraph_setting(
    package: Package, paragraph: etree._Element, name: str
) -> tuple[etree._Element | None, str]:
    """A paragraph property (``framePr``, ``shd``, ``numPr``) and the style that sets it."""
    ppr = paragraph.find("w:pPr", NS)
    if ppr is not None and ppr.find(f"w:{name}", NS) is not None:
        return ppr.find(f"w:{name}", NS), _("the paragraph")
    for style in reversed(package.chain(_style_id(package, paragraph))):
        node = style.find(f"w:pPr/w:{name}", NS)
        if node is not None:
            return node, _("the style '{name}'").format(
                name=package.name(style.get(f"{_W}styleId"))
            )
    return None, ""


def _style_id(package: Package, paragraph: etree._Element) -> str | None:
    node = paragraph.find("w:pPr/w:pStyle", NS)
    return node.get(f"{_W}val") if node is not None else package.default_paragraph


def _label(package: Package, paragraph: etree._Element) -> tuple[str, str]:
    """The words a numbering puts before the paragraph ("1.", "•", or words), and the style
    or paragraph that numbers it."""
    numbering, source = _paragraph_setting(package, paragraph, "numPr")
    if numbering is None or package.numbering is None:
        return "", ""
    num = numbering.find("w:numId", NS)
    level = numbering.find("w:ilvl", NS)
    num_id = num.get(f"{_W}val") if num is not None else None
    ilvl = level.get(f"{_W}val", "0") if level is not None else "0"
    # Looked up by comparing values, never by an XPath made of the document's own text.
    instance = _with(package.numbering.iterfind("w:num", NS), "numId", num_id)
    abstract = instance.find("w:abstractNumId", NS) if instance is not None else None
    if abstract is None:
        return "", ""
    abstracts = package.numbering.iterfind("w:abstractNum", NS)
    definition = _with(abstracts, "abstractNumId", abstract.get(f"{_W}val"))
    level_node = (
        _with(definition.iterfind("w:lvl", NS), "ilvl", ilvl) if definition is not None else None
    )
    text = level_node.find("w:lvlText", NS) if level_node is not None else None
    label = re.sub(r"%\d", "1", text.get(f"{_W}val", "") if text is not None else "")
    # A bullet may be any sign (Word's own is a Symbol-font letter); only words count.
    return " ".join(word for word in label.split() if any(c.isalpha() for c in word)) + " ", source


def _with(
    nodes: Iterator[etree._Element], attribute: str, value: str | None
) -> etree._Element | None:
    return next((node for node in nodes if node.get(f"{_W}{attribute}") == value), None)


def _formatting(package: Package, paragraphs: Sequence[etree._Element]) -> list[str]:
    problems: dict[str, str] = {}
    _section(package, problems)
    page = _page_colour(package)
    for paragraph in paragraphs:
        frame, source = _paragraph_setting(package, paragraph, "framePr")
        if frame is not None:
            problems.setdefault(
                "frame",
                _(
                    "{source} puts the statement in a frame, where it can be moved or "
                    "covered; remove the frame"
                ).format(source=source),
            )
        _placed(package, paragraph, problems)
        paragraph_fill = _background(package, paragraph, page)
        style_id = _style_id(package, paragraph)
        for run in paragraph.iter(f"{_W}r"):
            if not "".join(t.text or "" for t in run.iterfind("w:t", NS)).strip():
                continue
            looks = _looks(package, style_id, run)
            _judge(package, looks, paragraph_fill, problems)
            _lines(package, paragraph, looks, problems)
    return list(problems.values())


def _section(package: Package, problems: dict[str, str]) -> None:
    """The page lays the statement's lines across it, in a column a reader can read."""
    section = package.document.find("w:body/w:sectPr", NS)
    if section is None:
        return
    direction = section.find("w:textDirection", NS)
    if direction is not None and direction.get(f"{_W}val") not in ("lrTb", "tb"):
        problems.setdefault(
            "direction",
            _(
                "the page's section turns the statement's lines on their side (text "
                "direction); keep it left to right"
            ),
        )
    margins, columns = section.find("w:pgMar", NS), section.find("w:cols", NS)
    count = max(1, number(columns, "num", 1))
    width = twips(section.find("w:pgSz", NS), "w", 11906) - twips(margins, "left", 1440)
    width -= twips(margins, "right", 1440) + twips(columns, "space", 720) * (count - 1)
    if width / count < MIN_COLUMN:
        problems.setdefault(
            "column",
            _(
                "the page's size, margins or columns leave the statement a column "
                "{width:.1f} cm wide; keep it at least {least:.0f} cm"
            ).format(width=width / count / 567, least=MIN_COLUMN / 567),
        )


# What may not be inside the statement's paragraphs: lettersmith writes only text, breaks,
# tabs and links there, so anything else came from somewhere it should not.
_FOREIGN = {
    "txbxContent": N_("a text box"), "drawing": N_("a drawing"), "pict": N_("a shape"),
    "object": N_("an object"), "footnoteReference": N_("a footnote"),
    "endnoteReference": N_("an endnote"), "commentReference": N_("a comment"),
    "fldSimple": N_("a field"), "fldChar": N_("a field"),
    "altChunk": N_("another document"), "subDoc": N_("another document"),
}  # fmt: skip


def _placed(package: Package, paragraph: etree._Element, problems: dict[str, str]) -> None:
    """The paragraph holds only its words, and its indents keep them on the page."""
    for node in paragraph.iter():
        what = _FOREIGN.get(etree.QName(node).localname) if isinstance(node.tag, str) else None
        if what:
            problems.setdefault(
                "foreign", _("the statement's paragraphs hold {what}").format(what=_(what))
            )
    indent, source = _paragraph_setting(package, paragraph, "ind")
    if indent is None:
        return
    for side in ("left", "start", "right", "end", "firstLine", "hanging"):
        value = twips(indent, side, 0)
        if value < -MAX_OUTDENT or value > MAX_INDENT:
            problems.setdefault(
                "indent",
                _(
                    "{source} indents the statement {number:.0f} cm ({side}), pushing its "
                    "words off the page or into a narrow strip"
                ).format(source=source, number=value / 567, side=side),
            )


def _lines(package: Package, paragraph: etree._Element, looks: Looks, p: dict[str, str]) -> None:
    """Lines no lower than the letters (an exact 1 pt line draws them over each other),
    letters not pushed into each other nor lifted off their line."""
    settings = looks.settings
    size_node = settings.get("sz", (None, ""))[0]
    size = number(size_node, "val", DEFAULT_SIZE)
    spacing, source = _paragraph_setting(package, paragraph, "spacing")
    exact = spacing is not None and spacing.get(f"{_W}lineRule") == "exact"
    line = twips(spacing, "line", 240)
    if exact and line < size * 10 * MIN_LINE:  # half-points to twips: * 10
        p.setdefault(
            "line",
            _(
                "{source} sets the statement's lines {number:.1f} pt apart, lower than "
                "its letters, so that they are drawn over each other"
            ).format(source=source, number=line / 20),
        )
    rule = spacing.get(f"{_W}lineRule", "auto") if spacing is not None else "auto"
    if rule == "auto" and line < 240 * MIN_MULTIPLE:  # in 240ths of a line
        p.setdefault(
            "line",
            _(
                "{source} sets the statement's lines {number:.2f} lines apart, so that "
                "they are drawn over each other"
            ).format(source=source, number=line / 240),
        )
    if "spacing" in settings and twips(settings["spacing"][0], "val", 0) < -size * 10 * 0.2:
        p.setdefault(
            "spacing",
            _(
                "{settings} pushes the statement's letters into each other (character spacing)"
            ).format(settings=settings["spacing"][1]),
        )
    if "position" in settings:
        raised = abs(number(settings["position"][0], "val", 0))
        if raised > size:  # both in half-points
            p.setdefault(
                "position",
                _("{settings} lifts or lowers the statement's letters off their line").format(
                    settings=settings["position"][1]
                ),
            )


def _looks(package: Package, style_id: str | None, run: etree._Element) -> Looks:
    looks = Looks()
    looks.take(package.defaults, _("the document's default text settings"))
    paragraph_style = package.name(style_id)
    for style in package.chain(style_id):
        name = package.name(style.get(f"{_W}styleId"))
        source = _("the style '{name}'").format(name=name)
        if name != paragraph_style:
            source += _(" (which '{paragraph_style}' is based on)").format(
                paragraph_style=paragraph_style
            )
        looks.take(style.find("w:rPr", NS), source)
    rpr = run.find("w:rPr", NS)
    character = rpr.find("w:rStyle", NS) if rpr is not None else None
    if character is not None:
        for style in package.chain(character.get(f"{_W}val")):
            name = package.name(style.get(f"{_W}styleId"))
            looks.take(style.find("w:rPr", NS), _("the style '{name}'").format(name=name))
    looks.take(rpr, _("the run"))
    return looks


def _judge(
    package: Package, looks: Looks, behind_at: tuple[str, str], problems: dict[str, str]
) -> None:
    """Judge one run's resolved formatting; ``behind_at``: the paragraph's background colour
    and what gives it."""
    settings = looks.settings
    for name in _HIDDEN:
        if name in settings and _on(settings[name][0]):
            problems.setdefault(
                "hidden",
                _("{settings} hides the statement ({name})").format(
                    settings=settings[name][1], name=name
                ),
            )
    for name, how in _HOLLOW.items():
        if name in settings and _on(settings[name][0]):
            problems.setdefault(
                "hollow",
                _("{settings} draws the statement's letters {how}, hard to read").format(
                    settings=settings[name][1], how=_(how)
                ),
            )
    if "textFill" in settings and _unfilled(settings["textFill"][0]):
        problems.setdefault(
            "fill",
            _(
                "{settings} fills the statement's letters with nothing or almost transparent colour"
            ).format(settings=settings["textFill"][1]),
        )
    size_node, size_source = settings.get("sz", (None, _("the document's default text settings")))
    size: float = number(size_node, "val", DEFAULT_SIZE)
    shift = settings.get("vertAlign", (None, ""))
    if shift[0] is not None and shift[0].get(f"{_W}val") in ("superscript", "subscript"):
        size = size * SHIFTED  # Word draws a superscript or subscript smaller
        by = "" if shift[1] == size_source else _(" and {source}").format(source=shift[1])
        size_source += _("{by} (as superscript or subscript)").format(by=by)
    if size < MIN_SIZE * 2:
        problems.setdefault(
            "size",
            _(
                "{source} sets the statement {size:.1f} pt high, less than the "
                "{least:.0f} pt a reader needs"
            ).format(source=size_source, size=size / 2, least=MIN_SIZE),
        )
    if "w" in settings and number(settings["w"][0], "val", 100) < MIN_WIDTH:
        problems.setdefault(
            "width",
            _("{settings} squeezes the statement's letters").format(settings=settings["w"][1]),
        )
    layout = settings.get("eastAsianLayout", (None, ""))
    if layout[0] is not None and layout[0].get(f"{_W}combine") in ("1", "true", "on"):
        problems.setdefault(
            "width",
            _(
                "{layout} squeezes the statement's letters into one character's space "
                "(combine characters)"
            ).format(layout=layout[1]),
        )
    if "rFonts" in settings:
        face = _face(package, settings["rFonts"][0])
        if face.lower() in SYMBOL_FONTS:
            problems.setdefault(
                "symbols",
                _("{settings} sets the statement in {face}, a font of symbols, not letters").format(
                    settings=settings["rFonts"][1], face=face
                ),
            )
    if "fitText" in settings:
        problems.setdefault(
            "width",
            _("{settings} squeezes the statement's letters into a set width (fit text)").format(
                settings=settings["fitText"][1]
            ),
        )
    for name in ("strike", "dstrike"):
        if name in settings and _on(settings[name][0]):
            problems.setdefault(
                "strike",
                _("{settings} strikes the statement through, as if it were withdrawn").format(
                    settings=settings[name][1]
                ),
            )
    behind, behind_source = _behind(settings, behind_at)
    colour_node, colour_source = settings.get("color", (None, ""))
    colour = _colour(package, colour_node) if colour_node is not None else None
    if colour is None:
        return  # "auto": Word picks black or white against what is behind
    ratio = contrast(_rgb(colour), _rgb(behind))
    if ratio < MIN_CONTRAST:
        problems.setdefault(
            "contrast",
            _(
                "{source} draws the statement in {colour} on {background}{from_source}: a "
                "contrast of {ratio:.1f} to 1, where a reader needs at least {least:.0f} to 1"
            ).format(
                source=colour_source,
                colour=colour_name(_rgb(colour)),
                background=colour_name(_rgb(behind)),
                from_source=_(", from {source}").format(source=behind_source)
                if behind_source
                else "",
                ratio=ratio,
                least=MIN_CONTRAST,
            ),
        )


def _face(package: Package, fonts: etree._Element) -> str:
    """The font Word sets Latin letters in, from ``w:rFonts``: named, or the theme's."""
    theme = fonts.get(f"{_W}asciiTheme") or fonts.get(f"{_W}hAnsiTheme")
    if theme:
        names = [n for n in package.zip.namelist() if n.startswith("word/theme/")]
        which = "a:majorFont" if theme.startswith("major") else "a:minorFont"
        latin = package.xml(names[0]).find(f".//{which}/a:latin", NS) if names else None
        return latin.get("typeface", "") if latin is not None else ""
    return fonts.get(f"{_W}ascii") or fonts.get(f"{_W}hAnsi") or ""


def _unfilled(fill: etree._Element) -> bool:
    """Whether a ``w14:textFill`` leaves the letters empty or mostly transparent."""
    for node in fill.iter():
        name = etree.QName(node).localname if isinstance(node.tag, str) else ""
        if name == "noFill":
            return True
        if name == "alpha" and number(node, "val", 0, W14) >= MAX_ALPHA:
            return True
    return False


def _on(node: etree._Element) -> bool:
    return node.get(f"{_W}val", "true") not in ("0", "false", "off")


def _colour(package: Package, node: etree._Element) -> str | None:
    theme = node.get(f"{_W}themeColor")
    value = node.get(f"{_W}val", "auto")
    if theme:
        value = package.theme.get(_THEME_NAMES.get(theme, theme), value)
        tint, shade = node.get(f"{_W}themeTint"), node.get(f"{_W}themeShade")
        if value != "auto" and (tint or shade):
            value = _tinted(value, tint, shade)
    return None if value == "auto" else value


def _tinted(value: str, tint: str | None, shade: str | None) -> str:
    r, g, b = _rgb(value)
    if shade:
        factor = _hex(shade) / 255
        r, g, b = (round(c * factor) for c in (r, g, b))
    if tint:
        factor = _hex(tint) / 255
        r, g, b = (round(c * factor + 255 * (1 - factor)) for c in (r, g, b))
    return f"{r:02X}{g:02X}{b:02X}"


def _hex(value: str) -> int:
    try:
        return min(int(value, 16), 255)
    except ValueError:
        return 255


def _fill(shading: etree._Element | None) -> str | None:
    """The colour a shading shows: its fill, with its pattern's colour laid over it in the
    share its pattern says ("solid" is the pattern's colour alone, "pct25" a quarter)."""
    if shading is None:
        return None
    fill = shading.get(f"{_W}fill", "auto")
    pattern = shading.get(f"{_W}val", "clear")
    share = 1.0 if pattern == "solid" else 0.0
    if pattern.startswith("pct") and pattern[3:].isdigit():
        share = int(pattern[3:]) / 100
    if share == 0:
        return None if fill == "auto" else fill
    colour = shading.get(f"{_W}color", "auto")
    over = _rgb("000000" if colour == "auto" else colour)
    under = _rgb("FFFFFF" if fill == "auto" else fill)
    mixed = (round(share * a + (1 - share) * b) for a, b in zip(over, under, strict=True))
    return "".join(f"{c:02X}" for c in mixed)


def _rgb(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    try:
        return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))
    except ValueError:
        return (0, 0, 0)  # not a colour Word shows either: it falls back to black


def _page_colour(package: Package) -> tuple[str, str]:
    colour = _fill_colour(package.document.find("w:background", NS))
    return (colour, _("the page's colour")) if colour else ("FFFFFF", "")


def _fill_colour(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    value = node.get(f"{_W}color", "auto")
    return None if value == "auto" else value


def twips(node: etree._Element | None, name: str, default: int) -> int:
    return number(node, name, default)


def number(node: etree._Element | None, name: str, default: int, namespace: str = W) -> int:
    """An attribute's whole number ("23", "50%", "1.5"); ``default`` if none can be read."""
    value = node.get(f"{{{namespace}}}{name}" if namespace else name) if node is not None else None
    try:
        return int(float((value or "").rstrip("%"))) if value else default
    except ValueError:
        return default


def plain(node: etree._Element) -> str:
    text = " ".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in node.iter(f"{_W}p"))
    return " ".join(text.split())[:60]
