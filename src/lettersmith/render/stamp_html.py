"""What a workspace template makes of one recipient, outside the address field.

The proof in ``stamp.py`` lays a letter out for two made-up addressees; a template that only
*tests* a recipient's field -- ``{% if 'dep.no' in lines | last %}``, the length of a line,
the number of lines, the recipient's id -- gives the same layout for both, and another
letter for a real recipient. So each letter of a group stamped from a workspace template is
first rendered to HTML (a template's render is cheap; its layout is what the fast path
saves): the HTML must be the base's, the field's lines apart, or the letter is laid out
alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from markupsafe import escape

from lettersmith.errors import LettersmithError
from lettersmith.model import ComposedLetter
from lettersmith.render.html import LETTER_TEMPLATE, letter_context
from lettersmith.render.templates import environment, render

# The statement's place: a fresh random marker each render, so one fixed text stands in.
STATEMENT = "<lettersmith-statement>"


class Window(NamedTuple):
    """The template's HTML for the base: before the field's first line, between two of its
    lines, and after its last."""

    before: str
    between: str
    after: str

    def html(self, lines: Sequence[str]) -> str:
        return self.before + self.between.join(str(escape(line)) for line in lines) + self.after


def template_html(letter: ComposedLetter) -> str | None:
    """The letter template's output for the letter (the statement left out), or None when it
    does not render: the per-letter path reports why."""
    context = letter_context(letter)
    marker = str(context["letter"]["statement"])
    try:
        html = render(environment(letter.template_dirs, root=letter.root), LETTER_TEMPLATE, context)
    except LettersmithError:
        return None
    return html.replace(marker, STATEMENT)


def window(base: ComposedLetter) -> Window | None:
    """The base's HTML around its field's lines (at least two, shown once, in order, the same
    text between each two), or None when the template does not show them so."""
    html = template_html(base)
    lines = [str(escape(line)) for line in base.addressees[0].lines]
    if html is None or len(lines) < 2 or html.count(lines[0]) != 1:
        return None
    start = html.index(lines[0])
    end = html.find(lines[1], start + len(lines[0]))
    between = html[start + len(lines[0]) : end]
    field = between.join(lines)
    if end < 0 or not html.startswith(field, start) or html.count(field) != 1:
        return None
    return Window(html[:start], between, html[start + len(field) :])


def same_outside(letter: ComposedLetter, base: Window) -> bool:
    """Whether the template makes of ``letter`` what it made of the base but for the field's
    lines (the salutation is no template's: it is in the statement)."""
    html = template_html(letter)
    return html is not None and html == base.html(letter.addressees[0].lines)
