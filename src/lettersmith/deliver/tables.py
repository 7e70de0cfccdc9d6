"""The tables ``send`` and ``status`` print: the plan, the outcome, the journal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lettersmith.deliver.journal import Entry
from lettersmith.deliver.send import Delivered, Planned, short_time


def plan_table(planned: Sequence[Planned], bcc: str | None) -> Table:
    title = "To send" + (f" (archive copy of each to {bcc})" if bcc else "")
    table = _table(title, "Attachment", "Size", "Action")
    for item in planned:
        out = item.out
        action = f"send: {item.note}" if item.send else f"skip: {item.note}"
        style = "" if item.send else "dim"
        cells = (out.recipient_id, out.address, out.attachments, _size(out.size), action)
        table.add_row(*(Text(cell, style=style) for cell in cells))
    return table


def summary_table(results: Sequence[Delivered]) -> Table:
    table = _table("Sent", "State", "Server reply")
    for result in results:
        out, outcome = result.planned.out, result.outcome
        table.add_row(
            Text(out.recipient_id),
            Text(out.address),
            Text(outcome.state, style=_STATE_STYLES.get(outcome.state, "")),
            Text(outcome.reply),
        )
    return table


def status_table(
    letter_id: str, club: str | None, rows: Sequence[tuple[str, str, Entry | None]]
) -> Table:
    title = letter_id + (f" (club {club})" if club else "")
    table = _table(title, "State", "Time (UTC)", "Message-ID", "Server reply")
    for rid, address, entry in rows:
        if entry is None:
            table.add_row(Text(rid), Text(address), Text("not sent"), *(Text("") for _ in range(3)))
            continue
        state = entry.state if entry.recipient == rid else f"{entry.state} (as {entry.recipient})"
        table.add_row(
            Text(rid),
            Text(address),
            Text(state, style=_STATE_STYLES.get(entry.state, "")),
            Text(short_time(entry.updated_at)),
            Text(entry.message_id),
            Text(entry.reply or ""),
        )
    return table


_STATE_STYLES = {"sent": "green", "deferred": "yellow", "failed": "red", "unknown": "magenta"}


def _table(title: str, *columns: str) -> Table:
    """Recipient and address kept whole on one line; the other columns wrap, never cut."""
    table = Table(title=title)
    table.add_column("Recipient", no_wrap=True)
    table.add_column("Address", no_wrap=True)
    for column in columns:
        table.add_column(column, overflow="fold", justify="right" if column == "Size" else "left")
    return table


def print_hints(console: Console, hints: Sequence[str]) -> None:
    for hint in hints:
        console.print(hint, markup=False, soft_wrap=True)


def _size(size: int) -> str:
    return f"{size / 1024:.0f} kB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
