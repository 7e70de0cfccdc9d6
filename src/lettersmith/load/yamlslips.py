"""The YAML slips people make most, found on the line where they are and said in plain words.

PyYAML reports where it gave up, which is often the line *after* the mistake, in a parser's
words ("while scanning a simple key could not find expected ':'"). A secretary made one of a
few slips: a missing colon, no space after the colon, a list item without ``- ``, a quote
never closed, a line indented wrongly. :func:`diagnose` looks at the lines around the marks
PyYAML gives and names the slip, on the line where it is, with the line as it should be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from lettersmith.translate import _, ngettext

_KEY_NO_SPACE = re.compile(r"^(-\s+)?([\w.-]+):(\S.*)$")  # "email:post@example.org"
_KEY_VALUE = re.compile(r"^(-\s+)?[\w.-]+:(\s|$)")  # "email: ..." or "organisation:"
_WORDS = re.compile(r"^([\w.-]+)\s+(\S.*)$")  # "email post@example.org"


@dataclass(frozen=True, slots=True)
class Slip:
    line: int  # counted from 0, as PyYAML counts
    message: str


def diagnose(err: yaml.MarkedYAMLError, text: str) -> Slip | None:
    """The slip behind PyYAML's complaint, or None when it is none of the common ones."""
    lines = text.splitlines()
    context, problem = err.context or "", err.problem or ""
    start = err.context_mark.line if err.context_mark else None
    end = err.problem_mark.line if err.problem_mark else None
    if "quoted scalar" in context and start is not None:
        return _unclosed_quote(lines, start, err.context_mark.column if err.context_mark else 0)
    if "could not find expected ':'" in problem and start is not None:
        return _not_a_field(lines, start)
    if "mapping values are not allowed here" in problem and end is not None:
        return _colon_after_a_line(lines, end)
    if "expected <block end>" in problem and end is not None:
        return _wrong_indent(lines, end)
    return None


def _unclosed_quote(lines: list[str], line: int, column: int) -> Slip:
    quote = lines[line][column] if column < len(lines[line]) else '"'
    return Slip(
        line,
        _(
            "the quote {quote} before '{text}' is never closed; end the text with {quote} on "
            "the same line"
        ).format(quote=quote, text=_short(lines[line][column + 1 :])),
    )


def _not_a_field(lines: list[str], line: int) -> Slip:
    """A line inside a mapping (or list) that is not ``key: value``."""
    written = lines[line].strip()
    if match := _KEY_NO_SPACE.match(written):
        dash, key, value = match.groups()
        fixed = f"{dash or ''}{key}: {value}"
        return Slip(
            line,
            _("a space is missing after the colon; write '{fixed}'").format(fixed=_short(fixed)),
        )
    above = _previous(lines, line)
    if (
        above is not None
        and lines[above].strip().startswith("- ")
        and _indent(lines[above]) == _indent(lines[line])
    ):
        return Slip(
            line,
            _(
                "'{text}' is in a list but does not start with '- '; write '- {text}' "
                "like the items above"
            ).format(text=_short(written)),
        )
    if match := _WORDS.match(written):
        key, value = match.groups()
        return Slip(
            line,
            _("a colon is missing after '{key}'; write '{key}: {value}'").format(
                key=key, value=_short(value)
            ),
        )
    if re.fullmatch(r"[\w.-]+", written):  # a name above its fields
        return Slip(
            line,
            _("a colon is missing after '{key}'; write '{key}:'").format(key=written),
        )
    return Slip(
        line,
        _("'{text}' is not a field; write it as 'name: value'").format(text=_short(written)),
    )


def _colon_after_a_line(lines: list[str], line: int) -> Slip | None:
    """``key: value`` where PyYAML was still reading the value begun above: either the line
    above lacks its colon, or this line is indented deeper than the fields beside it."""
    above = _previous(lines, line)
    written = lines[line].strip()
    if above is None or not _KEY_VALUE.match(written):
        return None  # a ': ' inside a value: said as before
    before = lines[above].strip()
    if not _KEY_VALUE.match(before) and not before.startswith(("- ", "#")):
        if match := _WORDS.match(before):
            key, value = match.groups()
            return Slip(
                above,
                _("a colon is missing after '{key}'; write '{key}: {value}'").format(
                    key=key, value=_short(value)
                ),
            )
        return Slip(
            above,
            _("a colon is missing after '{key}'; write '{key}:'").format(key=_short(before)),
        )
    if _indent(lines[line]) > _indent(lines[above]) and not before.endswith(":"):
        return _indented(lines, line, _indent(lines[above]))
    return None


def _wrong_indent(lines: list[str], line: int) -> Slip:
    above = _previous(lines, line)
    expected = _indent(lines[above]) if above is not None else 0
    return _indented(lines, line, expected)


def _indented(lines: list[str], line: int, expected: int) -> Slip:
    """A field out of line: said with the columns the fields above it start in."""
    levels = [expected]
    for number in range(line - 1, -1, -1):
        text = lines[number]
        if text.strip() and not text.strip().startswith("#") and _indent(text) < levels[-1]:
            levels.append(_indent(text))
    choices = _(" or ").join(str(level) for level in levels)
    found = _indent(lines[line])
    return Slip(
        line,
        ngettext(
            "this line is indented {found} space, the fields above it {choices}; a field "
            "starts in the same column as the others of its entry: indent it as one of them",
            "this line is indented {found} spaces, the fields above it {choices}; a field "
            "starts in the same column as the others of its entry: indent it as one of them",
            found,
        ).format(found=found, choices=choices),
    )


def _previous(lines: list[str], line: int) -> int | None:
    """The nearest line above that holds something (not blank, not only a comment)."""
    for number in range(line - 1, -1, -1):
        if lines[number].strip() and not lines[number].strip().startswith("#"):
            return number
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _short(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
