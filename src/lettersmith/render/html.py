"""The composed letter as HTML: the body blocks (shared with the email) and the whole letter.

Templates see only plain values -- strings, lists, dicts and ready-made ``Markup`` -- never a
``Path`` or a model object, so a club's template in the sandbox cannot reach the file system.

The adopted statement (introduction, title, salutation, body) is locked: a template never sees
its words. It sees ``letter.statement``, a marker that it places once; lettersmith puts the
statement, rendered here, where the marker came out. A template that filters, hides in a
comment, repeats or leaves out the marker fails with an error naming the template.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from lettersmith.compose.markdown import link_allowed
from lettersmith.errors import TemplateError
from lettersmith.model import (
    Addressee,
    Block,
    ComposedLetter,
    Heading,
    ListBlock,
    Paragraph,
    Sender,
    Span,
)
from lettersmith.render.style import house_style
from lettersmith.render.templates import environment, render, statement_marker
from lettersmith.translate import _

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

LETTER_TEMPLATE = "letter.html.j2"

# The window-envelope address field holds this many lines of the address font (below the
# return line, 38 of its 40 mm at a 12 pt line height), each about this many characters wide
# (80 mm of 9 pt IBM Plex Sans holds some 50; the margin is for wide letters). See letter.css.
WINDOW_LINES = 9
WINDOW_CHARS_PER_LINE = 46
# Blank space between two addressees, in lines.
ADDRESSEE_GAP = 0.5
# The page header's line holds the organisation's name beside the place and date and the page
# number: some 55 characters of 8 pt IBM Plex Sans. A longer name gives way to the short name.
HEADER_NAME_CHARS = 50


def blocks_html(blocks: Sequence[Block]) -> Markup:
    """Paragraphs, headings and lists as HTML; text is escaped, so ``&`` and ``<`` appear as typed.

    Headings start at ``<h2>``: the letter's title is the ``<h1>``.
    """
    return Markup("\n").join(_block(block) for block in blocks)


def _block(block: Block) -> Markup:
    if isinstance(block, Paragraph):
        return Markup("<p>{}</p>").format(_spans(block.spans))
    if isinstance(block, Heading):
        level = min(block.level + 1, 6)
        return Markup("<h{0}>{1}</h{0}>").format(level, _spans(block.spans))
    if isinstance(block, ListBlock):
        items = Markup("").join(
            Markup("<li>{}</li>").format(blocks_html(item)) for item in block.items
        )
        if not block.ordered:
            return Markup("<ul>{}</ul>").format(items)
        start = Markup(' start="{}"').format(block.start) if block.start != 1 else ""
        return Markup("<ol{}>{}</ol>").format(start, items)
    raise TypeError(f"not a block: {block!r}")


def _spans(spans: Sequence[Span]) -> Markup:
    return Markup("").join(_span(span) for span in spans)


def _span(span: Span) -> Markup:
    if span.text == "\n":
        return Markup("<br>")
    html = escape(span.text)
    if span.code:
        html = Markup("<code>{}</code>").format(html)
    if span.italic:
        html = Markup("<em>{}</em>").format(html)
    if span.bold:
        html = Markup("<strong>{}</strong>").format(html)
    if link_allowed(span.href):  # checked again: a template may build spans of its own
        html = Markup('<a href="{}">{}</a>').format(span.href, html)
    return html


def address_field_fits(addressees: Sequence[Addressee]) -> bool:
    """Whether every addressee fits in the window field; if not, it shows "see the list"."""
    lines = sum(
        max(1, math.ceil(len(line) / WINDOW_CHARS_PER_LINE)) for a in addressees for line in a.lines
    )
    return lines + ADDRESSEE_GAP * (len(addressees) - 1) <= WINDOW_LINES


def page_phrase(phrase: str) -> Markup:
    """``"Side {page} av {pages}"`` with CSS counters where the numbers go."""
    escaped = escape(phrase)
    return Markup(
        escaped.replace("{page}", Markup('<span class="page-number"></span>')).replace(
            "{pages}", Markup('<span class="page-count"></span>')
        )
    )


def header_name(sender: Sender) -> str:
    """The organisation as the header of pages 2 and on names it, on one line: its short name
    where the whole name is too long for that line (the PDF's and the DOCX's header)."""
    if sender.short_name and len(sender.name) > HEADER_NAME_CHARS:
        return sender.short_name
    return sender.name


def letter_context(letter: ComposedLetter) -> dict[str, Any]:
    """What the letter template sees, as plain values (see the module docstring)."""
    sender = letter.sender
    signature = letter.signature
    addressees = [{"id": a.id, "lines": list(a.lines)} for a in letter.addressees]
    return {
        "letter": {
            "id": letter.letter_id,
            "club": letter.club_id,
            "language": letter.language,
            "sender": {
                "name": sender.name,
                "header_name": header_name(sender),
                "tagline": sender.tagline,
                "address": list(sender.address),
                "email": sender.email,
                "website": sender.website,
                "logo": sender.logo.as_uri() if sender.logo else None,
            },
            "return_address": letter.return_address,
            "addressees": addressees,
            "address_field_fits": address_field_fits(letter.addressees),
            "place": letter.place,
            "date": letter.date.isoformat(),
            "date_line": letter.date_line,
            "reference": letter.reference,
            "their_reference": letter.their_reference,
            "statement": statement_marker(),
            "title": letter.title,
            "subject": letter.subject,
            "appended": blocks_html(letter.appended) if letter.appended else None,
            "closing": letter.closing,
            "signature": {
                "name": signature.name,
                "title": signature.title,
                "image": signature.image.as_uri() if signature.image else None,
            },
            "about": letter.about,
            "style": house_style(letter).css(),
            "attachments": [path.name for path in letter.attachments],
            "phrases": {
                "closing": letter.phrases.closing,
                "see_list": letter.phrases.see_list,
                "list_heading": letter.phrases.list_heading,
                "attachments": letter.phrases.attachments,
                "page": page_phrase(letter.phrases.page),
                "our_reference": letter.phrases.our_reference,
                "their_reference": letter.phrases.their_reference,
            },
        }
    }


def statement_html(letter: ComposedLetter) -> Markup:
    """The adopted statement as lettersmith renders it; no template can change it."""
    salutation = (
        Markup('<p class="salutation">{}</p>\n').format(letter.salutation)
        if letter.salutation
        else ""
    )
    # The adopted title and body in the position's language where the letter is in another (a
    # nynorsk club's letter with the union's bokmål statement; the introduction and salutation
    # are the letter's): screen readers and hyphenation follow the element's lang.
    lang = (
        Markup(' lang="{}"').format(letter.statement_language) if letter.statement_language else ""
    )
    return Markup(
        '<div class="statement">\n<p class="intro">{}</p>\n<h1 class="title"{}>{}</h1>\n'
        '{}<div class="body"{}>\n{}\n</div>\n</div>'
    ).format(letter.intro, lang, letter.title, salutation, lang, blocks_html(letter.body))


def letter_html(letter: ComposedLetter) -> str:
    """The letter as an HTML document, from ``letter.html.j2`` on the letter's template path."""
    env = environment(letter.template_dirs, root=letter.root)
    context = letter_context(letter)
    marker = context["letter"]["statement"]
    html = render(env, LETTER_TEMPLATE, context)
    count = html.count(marker)
    if count != 1 or _in_comment(html, marker):
        name = _template_shown(env)
        how = _("more than once") if count > 1 else _("as it is (not filtered, not in a comment)")
        raise TemplateError(
            _(
                "{name}: must show the adopted statement {how}: write {{{{ "
                "letter.statement }}}} once, where the introduction, title and body go; "
                "a club can change what is around the statement, never its words"
            ).format(name=name, how=how)
        )
    return html.replace(marker, statement_html(letter))


def _in_comment(html: str, marker: str) -> bool:
    before = html[: html.index(marker)]
    return before.rfind("<!--") > before.rfind("-->")


def _template_shown(env: SandboxedEnvironment) -> str:
    from lettersmith.render.templates import template_file

    return template_file(env, LETTER_TEMPLATE)


def template_shown(letter: ComposedLetter) -> str:
    """The letter template this letter is made from, as the user would type its path."""
    return _template_shown(environment(letter.template_dirs, root=letter.root))
