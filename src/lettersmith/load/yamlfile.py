"""YAML as the user wrote it: every scalar a string, every value with its line.

PyYAML's own loaders guess types (``NO`` becomes False, ``0030`` becomes 24), silently let a
duplicate key win and expand anchors. Here every scalar stays the exact text typed, a duplicate
key or an anchor is a problem, and :class:`Checker` converts each field to the type it needs,
recording every problem it finds instead of stopping at the first.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import email_validator
import yaml
from yaml.events import AliasEvent, NodeEvent

from lettersmith.addresses import NON_ASCII_LOCAL_PART, MailboxError, parse_mailbox
from lettersmith.errors import Problem
from lettersmith.headers import bidi_problem, header_problem
from lettersmith.load import yamlslips
from lettersmith.model import LANGUAGES, Language
from lettersmith.translate import N_, _

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
LANGUAGE_CODES: dict[str, Language] = {"nb": "nb", "nn": "nn", "en": "en"}  # typed, checked


@dataclass(frozen=True, slots=True)
class Scalar:
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Seq:
    items: tuple[Node, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Map:
    entries: dict[str, tuple[int, Node]]  # key -> (line of the key, value)
    line: int

    def get(self, key: str) -> Node | None:
        entry = self.entries.get(key)
        return None if entry is None else entry[1]

    def key_line(self, key: str) -> int:
        return self.entries[key][0]


Node = Scalar | Seq | Map


ANCHOR_REFUSED = N_(
    "anchors and aliases (&name, *name) are not allowed; write the value out in full"
)


class _AnchorRefused(yaml.YAMLError):
    def __init__(self, line: int):
        self.line = line  # counted from 0, as PyYAML counts
        super().__init__(_(ANCHOR_REFUSED))


class _StrictLoader(yaml.BaseLoader):
    """BaseLoader (every scalar a string) that refuses anchors and aliases."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        peek: Callable[[], yaml.Event] = self.peek_event  # untyped in types-PyYAML
        event = peek()
        if isinstance(event, AliasEvent) or (
            isinstance(event, NodeEvent) and event.anchor is not None
        ):
            raise _AnchorRefused(event.start_mark.line if event.start_mark else 0)
        return super().compose_node(parent, index)


class _NotPlain(Exception):
    """The fast reading met something only the Python loader reports well."""


def _fast_nodes(text: str, file: str, problems: list[Problem], offset: int) -> Node | None:
    """The text's nodes, read with libyaml straight into ``Node``s when the text is plainly
    fine: no node tree of PyYAML's in between (for a register of 10,000 recipients that tree
    took 44 MB, and reading through the Python loader ten times as long). Raises _NotPlain
    for anything else: the Python loader's checks and messages are the ones users see."""
    fast = getattr(yaml, "CBaseLoader", None)
    # No anchor and no alias; and no tab, which libyaml takes as a space after a colon or a
    # value where the Python loader refuses it: that loader alone decides about tabs.
    plain = "&" not in text and "*" not in text and "\t" not in text
    if fast is None or not plain or yaml.reader.Reader.NON_PRINTABLE.search(text):
        raise _NotPlain
    found: list[Problem] = []
    try:
        events = yaml.parse(text, Loader=fast)
        if not isinstance(next(events), yaml.StreamStartEvent):
            raise _NotPlain
        start = next(events)
        if isinstance(start, yaml.StreamEndEvent):
            return None
        root = _event_node(next(events), events, file, found, offset)
        if not isinstance(next(events), yaml.DocumentEndEvent) or not isinstance(
            next(events), yaml.StreamEndEvent
        ):
            raise _NotPlain  # a second document: the Python loader says so
    except (yaml.YAMLError, StopIteration) as err:
        raise _NotPlain from err
    problems.extend(found)
    return root


def _event_node(
    event: yaml.Event, events: Iterator[yaml.Event], file: str, problems: list[Problem], offset: int
) -> Node:
    """The node that starts with ``event``, its events read from ``events``; the same
    nodes and problems as ``_convert`` makes from PyYAML's tree."""
    line = (event.start_mark.line if event.start_mark else 0) + 1 + offset
    if isinstance(event, yaml.ScalarEvent):
        return Scalar(event.value, line)
    if isinstance(event, yaml.SequenceStartEvent):
        items: list[Node] = []
        for item in events:
            if isinstance(item, yaml.SequenceEndEvent):
                return Seq(tuple(items), line)
            items.append(_event_node(item, events, file, problems, offset))
    if not isinstance(event, yaml.MappingStartEvent):
        raise _NotPlain  # an alias
    entries: dict[str, tuple[int, Node]] = {}
    for key_event in events:
        if isinstance(key_event, yaml.MappingEndEvent):
            return Map(entries, line)
        key_line = (key_event.start_mark.line if key_event.start_mark else 0) + 1 + offset
        key = key_event.value if isinstance(key_event, yaml.ScalarEvent) else None
        if key is None:
            _event_node(key_event, events, file, [], offset)  # read past the key
        value = next(events)
        wrong = _key_problem(key, entries)
        if wrong or key is None:
            _event_node(value, events, file, [], offset)  # read past its value
            problems.append(Problem(file, key_line, wrong or ""))
            continue
        entries[key] = (key_line, _event_node(value, events, file, problems, offset))
    raise _NotPlain


def _key_problem(key: str | None, entries: dict[str, tuple[int, Node]]) -> str | None:
    """Why a mapping's key (None: a list or map) cannot be taken, or None."""
    if key is None:
        return _("a key must be a plain name, not a list or map")
    if bad := _control_characters(key, multiline=False):
        return _("a key contains {character}; remove it").format(character=_describe(bad[0]))
    if key in entries:
        return _(
            "duplicate key '{key}' (first on line {line}); each key may appear "
            "only once: rename or remove one of them"
        ).format(key=key, line=entries[key][0])
    return None


def parse_yaml(text: str, file: str, problems: list[Problem], first_line: int = 1) -> Node | None:
    """The document in ``text`` as nodes, or None if it is empty or broken (a problem is added).

    ``first_line`` is the file line of the text's first line (front matter starts on line 2).
    """
    offset = first_line - 1
    try:
        return _fast_nodes(text, file, problems, offset)
    except (_NotPlain, RecursionError):
        pass  # read again by the Python loader, whose words users see
    try:
        root = yaml.compose(text, Loader=_StrictLoader)
        return None if root is None else _convert(root, file, problems, offset)
    except _AnchorRefused as err:
        problems.append(Problem(file, err.line + 1 + offset, _(ANCHOR_REFUSED)))
        return None
    except yaml.MarkedYAMLError as err:
        if (slip := yamlslips.diagnose(err, text)) is not None:  # on the line where it is
            problems.append(Problem(file, slip.line + 1 + offset, slip.message))
            return None
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 + offset if mark else None
        problems.append(Problem(file, line, _yaml_message(err, text)))
        return None
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1 + offset
        problems.append(
            Problem(
                file,
                line,
                _("character U+{character:04X} is not allowed; remove it").format(
                    character=err.character
                ),
            )
        )
        return None
    except yaml.YAMLError as err:
        problems.append(Problem(file, None, _("not valid YAML: {err}").format(err=err)))
        return None
    except RecursionError:  # in PyYAML's composer or in _convert
        problems.append(Problem(file, None, _("nested too deeply to be read; simplify the file")))
        return None


def _yaml_message(err: yaml.MarkedYAMLError, text: str) -> str:
    """PyYAML's complaint in a secretary's words, for the mistakes people make most."""
    problem = err.problem or ""
    if "'\\t'" in problem:  # "found character '\t' that cannot start any token"
        mark = err.problem_mark
        line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
        before = line[: mark.column].strip() if mark else ""
        if before:
            return _(
                "a tab after '{before}'; YAML needs a space there: replace the tab with a space"
            ).format(before=before[-30:])
        return _("a tab character; indent with spaces, not tabs")
    if "mapping values are not allowed here" in problem:
        return _(
            "a ': ' inside a value; put the value in quotes when it contains ': ', "
            'for example title: "NOU 2024: 4"'
        )
    what = " ".join(part for part in (err.context, problem) if part)
    return _("not valid YAML: {what}; check the indentation and quoting here").format(what=what)


def _convert(node: yaml.Node, file: str, problems: list[Problem], offset: int) -> Node:
    line = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.ScalarNode):
        return Scalar(node.value, line)
    if isinstance(node, yaml.SequenceNode):
        return Seq(tuple(_convert(item, file, problems, offset) for item in node.value), line)
    entries: dict[str, tuple[int, Node]] = {}
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1 + offset
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if wrong := _key_problem(key, entries):
            problems.append(Problem(file, key_line, wrong))
            continue
        entries[key_node.value] = (key_line, _convert(value_node, file, problems, offset))
    return Map(entries, line)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return _("; did you mean '{choice}'?").format(choice=close[0]) if close else ""


def _control_characters(text: str, multiline: bool) -> list[str]:
    allowed = "\t\n" if multiline else ""
    return [
        char
        for char in text
        if char not in allowed and unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs")
    ]


class Checker:
    """Reads typed values from one file's nodes; each method records problems and returns None.

    ``field`` is the dotted path the user sees in messages, such as ``smk.email``.
    """

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems

    def problem(self, line: int | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def mapping(
        self,
        node: Node | None,
        field: str,
        known: Sequence[str],
        required: Sequence[str] = (),
        line: int | None = None,
    ) -> Map | None:
        """``node`` as a mapping whose keys are all ``known``, with every ``required`` key.

        ``line`` is where the mapping is named (its key), the place to report what it lacks.
        """
        if not isinstance(node, Map):
            where = node.line if node is not None else line
            prefix = f"{field}: " if field else ""
            self.problem(
                where,
                _("{prefix}expected a mapping of fields ({names})").format(
                    prefix=prefix, names=", ".join(known)
                ),
            )
            return None
        for key, (key_line, _value) in node.entries.items():
            if key not in known:
                self.problem(
                    key_line,
                    _("{field}: unknown field{did_you_mean} Known fields: {names}").format(
                        field=_join(field, key),
                        did_you_mean=did_you_mean(key, known) or ".",
                        names=", ".join(known),
                    ),
                )
        for key in required:
            if is_empty(node.get(key)):
                self.problem(
                    line or node.line,
                    _("{field}: required field is missing; add it").format(field=_join(field, key)),
                )
        return node

    def text(self, node: Node | None, field: str, multiline: bool = False) -> str | None:
        """A string; single-line unless ``multiline`` (the only place tabs and newlines go)."""
        if node is None:
            return None
        if not isinstance(node, Scalar):
            self.problem(
                node.line, _("{field}: expected text, not a list or mapping").format(field=field)
            )
            return None
        bad = _control_characters(node.value, multiline)
        if bad:
            names = ", ".join(sorted({_describe(char) for char in bad}))
            hint = "" if multiline else _("; this field must be a single line")
            self.problem(
                node.line,
                _("{field}: contains {names}, which is not allowed here{hint}").format(
                    field=field, names=names, hint=hint
                ),
            )
            return None
        # Single-line values are names, titles, subjects, paths: what reaches headers.
        problem = header_problem(node.value) if not multiline else bidi_problem(node.value)
        if problem:
            self.problem(node.line, f"{field}: {problem}")
            return None
        return node.value.strip() or None

    def text_list(self, node: Node | None, field: str) -> tuple[str, ...]:
        """A list of single-line strings; a single string counts as a list of one."""
        if node is None:
            return ()
        if isinstance(node, Scalar):
            value = self.text(node, field)
            return (value,) if value else ()
        if isinstance(node, Map):
            self.problem(
                node.line, _("{field}: expected a list such as [first, second]").format(field=field)
            )
            return ()
        values = (self.text(item, f"{field}[{index}]") for index, item in enumerate(node.items))
        return tuple(value for value in values if value)

    def ident(self, node: Node | None, field: str) -> str | None:
        value = self.text(node, field)
        if value is not None and not is_id(value):
            self.problem(line_of(node), f"{field}: {invalid_id(value)}")
            return None
        return value

    def choice(self, node: Node | None, field: str, choices: Sequence[str]) -> str | None:
        value = self.text(node, field)
        if value is not None and value not in choices:
            self.problem(
                line_of(node),
                _("{field}: '{value}' is not one of {names}{did_you_mean}").format(
                    field=field,
                    value=value,
                    names=", ".join(choices),
                    did_you_mean=did_you_mean(value, choices),
                ),
            )
            return None
        return value

    def language(self, node: Node | None, field: str) -> Language | None:
        value = self.choice(node, field, LANGUAGES)
        return None if value is None else LANGUAGE_CODES[value]

    def date(self, node: Node | None, field: str) -> dt.date | None:
        value = self.text(node, field)
        if value is None:
            return None
        if DATE_PATTERN.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.problem(
                    line_of(node),
                    _("{field}: '{value}' is not a date: {impossible}").format(
                        field=field, value=value, impossible=_impossible(value)
                    ),
                )
                return None
        self.problem(
            line_of(node),
            _("{field}: '{value}' is not a date; write it as YYYY-MM-DD").format(
                field=field, value=value
            ),
        )
        return None

    def integer(self, node: Node | None, field: str, low: int, high: int) -> int | None:
        value = self.text(node, field)
        if value is None:
            return None
        if value.isascii() and value.isdigit() and low <= int(value) <= high:
            return int(value)
        self.problem(
            line_of(node),
            _("{field}: '{value}' must be a whole number from {low} to {high}").format(
                field=field, value=value, low=low, high=high
            ),
        )
        return None

    def email(self, node: Node | None, field: str) -> str | None:
        value = self.text(node, field)
        if value is not None and (reason := email_problem(value)):
            self.problem(
                line_of(node),
                _("{field}: '{value}' is not a valid email address: {reason}").format(
                    field=field, value=value, reason=reason
                ),
            )
            return None
        return value

    def mailbox(self, node: Node | None, field: str) -> str | None:
        """One address, a display name allowed: ``SI Norge <post@example.org>``."""
        value = self.text(node, field)
        if value is not None and (reason := mailbox_problem(value)):
            self.problem(
                line_of(node),
                _(
                    "{field}: '{value}' {reason}; write one address, such as "
                    'post@example.org or "Name" <post@example.org>'
                ).format(field=field, value=value, reason=reason),
            )
            return None
        return value


def is_id(value: str) -> bool:
    return ID_PATTERN.fullmatch(value) is not None


def invalid_id(value: str) -> str:
    return _(
        "'{value}' is not a valid id; use lowercase letters, digits and '-', "
        "starting with a letter or digit"
    ).format(value=value)


def email_problem(value: str) -> str | None:
    try:
        checked = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as err:
        return str(err)
    if checked.ascii_email is None:
        return _(NON_ASCII_LOCAL_PART)
    return None


def mailbox_problem(value: str) -> str | None:
    try:
        parse_mailbox(value)
    except MailboxError as err:
        return str(err)
    return None


def line_of(node: Node | None) -> int | None:
    """The line of ``node``, None when there is no node (the field is not written)."""
    return None if node is None else node.line


def is_empty(node: Node | None) -> bool:
    return node is None or (isinstance(node, Scalar) and not node.value.strip())


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _describe(char: str) -> str:
    if char in "\n\r\x85\u2028\u2029":
        return _("a line break")
    if char == "\t":
        return _("a tab")
    if unicodedata.category(char) == "Cc":
        return _("control character U+{code:04X}").format(code=ord(char))
    return _("character U+{code:04X}").format(code=ord(char))


def _impossible(value: str) -> str:
    """Why a YYYY-MM-DD date does not exist: "month 13 does not exist"."""
    year, month, day = (int(part) for part in value.split("-"))
    if not 1 <= month <= 12:
        return _("month {month} does not exist").format(month=month)
    last = calendar.monthrange(year, month)[1]
    return _("day {day} does not exist in {year}-{month:02d}, which has {last} days").format(
        day=day, year=year, month=month, last=last
    )
