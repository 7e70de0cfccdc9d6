"""The tables ``send`` and ``status`` print: the plan, the outcome, the journal."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lettersmith.deliver.journal import Entry
from lettersmith.deliver.send import Delivered, Planned, short_time
from lettersmith.translate import N_, _

# The journal's states and notes are kept in English; the tables show them translated.
STATE_WORDS = (N_("sending"), N_("sent"), N_("deferred"), N_("failed"), N_("unknown"))


def plan_table(planned: Sequence[Planned], bcc: str | None) -> Table:
    title = _("To send (archive copy of each to {bcc})").format(bcc=bcc) if bcc else _("To send")
    table = _table(title, _("Attachment"), _("Size"), _("Action"))
    for item in planned:
        out = item.out
        action = (_("send: {note}") if item.send else _("skip: {note}")).format(note=item.note)
        style = "" if item.send else "dim"
        cells = (out.recipient_id, out.address, out.attachments, _size(out.size), action)
        table.add_row(*(Text(cell, style=style) for cell in cells))
    return table


def summary_table(results: Sequence[Delivered]) -> Table:
    table = _table(_("Sent"), _("State"), _("Server reply"))
    for result in results:
        out, outcome = result.planned.out, result.outcome
        table.add_row(
            Text(out.recipient_id),
            Text(out.address),
            Text(_(outcome.state), style=_STATE_STYLES.get(outcome.state, "")),
            Text(_(outcome.reply) if outcome.reply else ""),
        )
    return table


def status_table(
    letter_id: str, club: str | None, rows: Sequence[tuple[str, str, Entry | None]]
) -> Table:
    title = _("{letter} (club {club})").format(letter=letter_id, club=club) if club else letter_id
    table = _table(title, _("State"), _("Time (UTC)"), "Message-ID", _("Server reply"))
    for rid, address, entry in rows:
        if entry is None:
            empty = (Text("") for _cell in range(3))
            table.add_row(Text(rid), Text(address), Text(_("not sent")), *empty)
            continue
        state = _(entry.state)
        if entry.recipient != rid:
            state = _("{state} (as {recipient})").format(state=state, recipient=entry.recipient)
        table.add_row(
            Text(rid),
            Text(address),
            Text(state, style=_STATE_STYLES.get(entry.state, "")),
            Text(short_time(entry.updated_at)),
            Text(entry.message_id),
            Text(_(entry.reply) if entry.reply else ""),
        )
    return table


_STATE_STYLES = {"sent": "green", "deferred": "yellow", "failed": "red", "unknown": "magenta"}


def _table(title: str, *columns: str) -> Table:
    """Recipient and address kept whole on one line; the other columns wrap, never cut."""
    table = Table(title=title)
    table.add_column(_("Recipient"), no_wrap=True)
    table.add_column(_("Address"), no_wrap=True)
    for column in columns:
        right = column == _("Size")
        table.add_column(column, overflow="fold", justify="right" if right else "left")
    return table


def print_hints(console: Console, hints: Sequence[str]) -> None:
    for hint in hints:
        console.print(hint, markup=False, soft_wrap=True)


def _size(size: int) -> str:
    return f"{size / 1024:.0f} kB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
