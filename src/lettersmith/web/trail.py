"""The audit trail as a letter's page shows it: who did what when, newest first.

The engine keeps the trail and decides what an account may see of it (``Project.audit``);
this module only lays its entries out for the page: the time in the server's local time
(the trail keeps UTC), the account's role in words, and a change's difference split into
lines marked added, taken out or context, so the template styles them and autoescapes the
text (a diff holds whatever people typed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from lettersmith.app.access import role_word
from lettersmith.app.audit import AuditEntry
from lettersmith.translate import _

SHOWN = 20  # entries on the page; the rest by "show all", or in the CSV export
LineKind = Literal["add", "del", "hunk", "same"]


@dataclass(frozen=True)
class ShownEntry:
    who: str  # "kari (board member)", or "this computer"
    when: str  # the server's local time, "2026-12-03 14:40"
    kind: str  # change, approval, send
    what: str  # the engine's line: "changed letters/x.yaml", "approved x, revision ..."
    file: str
    lines: tuple[tuple[LineKind, str], ...]  # a change's difference, line by line


def shown(entry: AuditEntry) -> ShownEntry:
    who = (
        _("{name} ({role})").format(name=entry.account, role=role_word(entry.role))
        if entry.account
        else _("this computer")
    )
    return ShownEntry(who, local_time(entry.at), entry.kind, entry.describe(), entry.file,
                      diff_lines(entry.diff))  # fmt: skip


def local_time(stamp: str) -> str:
    """A UTC ISO 8601 time in the server's local time (as it stands, if it is not one)."""
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def diff_lines(diff: str) -> tuple[tuple[LineKind, str], ...]:
    """A unified diff's lines, each with its kind; the two file-name lines left out (the
    entry names its file)."""
    found: list[tuple[LineKind, str]] = []
    for line in diff.splitlines():
        if line.startswith(("--- ", "+++ ")):
            continue
        kind: LineKind = (
            "add" if line.startswith("+")
            else "del" if line.startswith("-")
            else "hunk" if line.startswith("@@")
            else "same"
        )  # fmt: skip
        found.append((kind, line))
    return tuple(found)


def page_entries(entries: Sequence[AuditEntry], everything: bool) -> list[ShownEntry]:
    """The entries the page shows: the newest ``SHOWN``, or all of them."""
    return [shown(entry) for entry in (entries if everything else entries[:SHOWN])]
