"""What every editing page does with a save's answer: the engine's words, each beside the field
it is about; a conflict as both versions to choose from.

The engine decides (``Project.save_*``); this module only sorts its answer for the page. A
problem names its field first (``mode: 'all' is not one of joint, each``, ``kd.email: ...``),
so it is shown beside that field; a problem that names none is shown above the form.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from lettersmith.app.access import NotAllowed
from lettersmith.app.sources import EditConflict
from lettersmith.errors import LettersmithError, Problem, WorkspaceError
from lettersmith.load.yamlfile import is_id

T = TypeVar("T")


@dataclass
class Answer:
    """What a page shows after trying a save: problems by field, the rest, or a conflict."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    conflict: EditConflict | None = None

    @property
    def failed(self) -> bool:
        return bool(self.fields or self.general or self.conflict)

    @property
    def differences(self) -> list[tuple[bool, str]]:
        """A conflict's lines that differ, in the file's order, each marked mine (True) or on
        disk (False): two whole files side by side hide a one-word change in a long file."""
        if self.conflict is None:
            return []
        mine, theirs = self.conflict.mine.splitlines(), self.conflict.theirs.splitlines()
        lines = difflib.unified_diff(mine, theirs, lineterm="", n=0)
        changed = [
            (line.startswith("-"), line[1:])
            for line in lines
            if line[:1] in "-+" and not line.startswith(("---", "+++"))
        ]
        return changed[:MAX_DIFFERENCES]


MAX_DIFFERENCES = 40  # more than this: the two versions below say the rest


def sort_problems(
    problems: Iterable[Problem | str], fields: Sequence[str], *, prefix: str = ""
) -> Answer:
    """Each problem beside the field it names (after ``prefix``, such as ``kd.``); the rest,
    with where they are (``FILE:LINE``), for the top of the form."""
    answer = Answer()
    for problem in problems:
        message = problem.message if isinstance(problem, Problem) else problem
        named, sep, rest = message.partition(": ")
        named = named.removeprefix(prefix)
        key = named.split(".", 1)[0].split("[", 1)[0]
        if sep and key in fields:
            answer.fields.setdefault(key, []).append(message.removeprefix(prefix))
        else:
            answer.general.append(str(problem))
    return answer


def attempt(
    fields: Sequence[str], call: Callable[[], T], *, prefix: str = ""
) -> tuple[T | None, Answer]:
    """``call()`` (a save), and what to show when the engine refuses it."""
    try:
        return call(), Answer()
    except NotAllowed:
        raise  # the 403 page (app.py), never a problem beside a field
    except EditConflict as conflict:
        return None, Answer(conflict=conflict)
    except WorkspaceError as error:
        return None, sort_problems(error.problems, fields, prefix=prefix)
    except LettersmithError as error:
        return None, Answer(general=str(error).splitlines())


def text_of(form: FormData, name: str, limit: int = 200_000) -> str:
    """A text field of a form (bounded: a form is not a way to send megabytes of text)."""
    value = form.get(name, "")
    if not isinstance(value, str):
        raise HTTPException(400)
    if len(value) > limit:
        raise HTTPException(413)
    return value.replace("\r\n", "\n")


def list_of(form: FormData, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes), empty ones left out, each once."""
    values = [value.strip() for value in form.getlist(name) if isinstance(value, str)]
    return list(dict.fromkeys(value for value in values if value))


def expected(form: FormData) -> str | None:
    """The version the form was opened at; None for a form that makes a new file."""
    version = text_of(form, "version", 100).strip()
    return version or None


def checked(value: str) -> str:
    """An id from a form or a query, by the engine's rule, else 404 (no path is made)."""
    if not is_id(value):
        raise HTTPException(404)
    return value
