"""Changing a person's YAML file the way a careful person would: the fields named, nothing else.

ruamel.yaml's round trip keeps the comments, the order of the keys, the quotes and the flow
or block style of every value it is not asked to change. A new key goes where the declared
order puts it (after the last present key declared before it), not at the end. A removed
entry of a mapping is cut out of the text by its lines, so that the comments after it, which
ruamel would attach to it and drop, stay. Every value written goes through the one quoting
rule (``yamltext.yaml_scalar``), so that any YAML reader gets back exactly the text typed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    PlainScalarString,
)
from ruamel.yaml.util import load_yaml_guess_indent

from lettersmith.errors import LettersmithError
from lettersmith.load.yamlfile import DATE_PATTERN
from lettersmith.load.yamltext import yaml_scalar
from lettersmith.translate import _

# A value: text, a list of texts, a mapping of values; None (or "" or []) removes the key.
Value = str | Sequence[str] | Mapping[str, Any] | None


def _yaml(text: str, file: str) -> tuple[YAML, Any]:
    """A round-trip reader/writer set up as the file is indented, and the file's document."""
    try:
        _, mapping_indent, sequence_offset = load_yaml_guess_indent(text or "{}\n")
        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = 4096  # never re-wrap a long line someone wrote
        indent = mapping_indent or 2
        offset = sequence_offset or 0
        yaml.indent(mapping=indent, sequence=indent + offset, offset=offset)
        document = yaml.load(text) if text.strip() else None
    except YAMLError as error:
        raise LettersmithError(
            _("{file}: cannot be read as YAML: {reason}; fix it by hand first").format(
                file=file, reason=" ".join(str(error).split())[:200]
            )
        ) from None
    return yaml, document


def edit_mapping(
    text: str,
    changes: Mapping[str, Value],
    order: Sequence[str] = (),
    *,
    at: Sequence[str] = (),
    file: str = "",
) -> str:
    """``text`` (a YAML mapping) with ``changes`` made in the mapping at the key path ``at``
    (made when missing); ``order``: the declared order of its keys, for where new keys go."""
    yaml, document = _yaml(text, file)
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise LettersmithError(
            _("{file}: is not a list of fields (a YAML mapping); fix it by hand first").format(
                file=file
            )
        )
    target = document
    for key in at:
        inner = target.get(key)
        if not isinstance(inner, CommentedMap):
            inner = CommentedMap()
            _put(target, key, inner, ())
        target = inner
    _apply(target, changes, order)
    return _dump(yaml, document, text)


def remove_entry(text: str, key: str, *, file: str = "") -> str:
    """``text`` without the top-level entry ``key``: its lines cut out, the rest as it was."""
    lines = text.splitlines(keepends=True)
    start = next(
        (
            number
            for number, line in enumerate(lines)
            if line.startswith((f"{key}:", f'"{key}":', f"'{key}':"))
        ),
        None,
    )
    if start is None:
        raise LettersmithError(_("{file}: no entry '{id}'").format(file=file, id=key))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():  # the blank lines after it stay
        end -= 1
    return "".join(lines[:start] + lines[end:])


def _apply(target: CommentedMap, changes: Mapping[str, Value], order: Sequence[str]) -> None:
    for key, value in changes.items():
        if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
            target.pop(key, None)
        elif isinstance(value, Mapping):
            inner = target.get(key)
            if not isinstance(inner, CommentedMap):
                inner = CommentedMap()
                _put(target, key, inner, order)
            _apply(inner, value, ())
            if not inner:
                target.pop(key, None)
        elif isinstance(value, str):
            _put(target, key, _scalar(value), order)
        else:
            items = [_scalar(item) for item in value]
            existing = target.get(key)
            if isinstance(existing, CommentedSeq):
                existing[:] = items  # its flow or block style and its comment stay
            else:
                seq = CommentedSeq(items)
                seq.fa.set_flow_style()  # short lists, as the README writes them: [a, b]
                _put(target, key, seq, order)


def _put(target: CommentedMap, key: str, value: Any, order: Sequence[str]) -> None:
    if key in target:
        target[key] = value
        return
    position = len(target)
    if key in order:
        before = set(order[: order.index(key)])
        present = [index for index, name in enumerate(target) if name in before]
        after = [index for index, name in enumerate(target) if name in order and name not in before]
        if present:
            position = present[-1] + 1
        elif after:
            position = after[0]
    target.insert(position, key, value)


def _scalar(value: str) -> Any:
    """A text as the one quoting rule writes it; several lines as a ``|`` block."""
    value = value.replace("\r\n", "\n")
    if "\n" in value.strip("\n"):
        return LiteralScalarString(value.rstrip("\n") + "\n")
    value = value.strip()
    if DATE_PATTERN.fullmatch(value):
        with contextlib.suppress(ValueError):  # written plain, as people write dates
            return dt.date.fromisoformat(value)
    written = yaml_scalar(value)
    return PlainScalarString(value) if written == value else DoubleQuotedScalarString(value)


def _dump(yaml: YAML, document: Any, original: str) -> str:
    buffer = io.StringIO()
    yaml.dump(document, buffer)
    text = buffer.getvalue()
    if text.strip() == "{}":
        text = ""
    if "\r\n" in original:  # a file saved on Windows keeps its line ends
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    return text
