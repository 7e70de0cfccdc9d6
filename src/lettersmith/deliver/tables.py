"""The tables the commands print (send's plan and outcome, status, the register, the offices),
fitted to the window: text wraps between words, an id, an address, a date or a size is never
broken, and what cannot fit beside the rest is left out, with a line saying so.

A secretary's terminal is often 80 columns. Rich, left alone, cuts a long word with "…" or
breaks it anywhere ("2025-09-" / "16"); here each column gets at least its longest word (or
its whole value), and columns that are details (a Message-ID, the tags) give way first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from lettersmith.deliver.inbox.news import News, short_date, verdict
from lettersmith.deliver.inbox.store import Event
from lettersmith.deliver.journal import Entry
from lettersmith.deliver.send import Delivered, Planned, short_time
from lettersmith.translate import N_, _

# The journal's states and notes are kept in English; the tables show them translated.
STATE_WORDS = (N_("sending"), N_("sent"), N_("deferred"), N_("failed"), N_("unknown"))


@dataclass(frozen=True)
class Column:
    header: str
    whole: bool = False  # one line, never broken: an id, an address, a date, a size
    justify: Literal["left", "right"] = "left"
    gives_way: int = 0  # > 0: left out when the table does not fit; the highest goes first


Cell = str | Text


def fitted(
    title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int
) -> RenderableType:
    """A table of ``rows`` in at most ``width`` columns (see the module's docstring)."""
    shown = list(range(len(columns)))
    left_out: list[str] = []

    least = [_least(column, [row[i] for row in rows]) for i, column in enumerate(columns)]
    most = [
        max(least[i], *(len(line) for row in rows for line in _plain(row[i]).splitlines() or [""]))
        for i in range(len(columns))
    ]

    def needed(indexes: list[int]) -> int:
        # box.SIMPLE: one space at each edge and between columns, one of padding each side.
        return sum(least[i] for i in indexes) + 3 * len(indexes) + 1

    for i in sorted(
        (i for i, c in enumerate(columns) if c.gives_way), key=lambda i: -columns[i].gives_way
    ):
        if needed(shown) <= width:
            break
        shown.remove(i)
        left_out.append(columns[i].header)
    widths = _spread(
        {i: least[i] for i in shown}, {i: most[i] for i in shown}, width - needed(shown)
    )
    table = Table(title=title, box=box.SIMPLE, title_justify="left")
    for i in shown:
        column = columns[i]
        table.add_column(
            column.header,
            justify=column.justify,
            no_wrap=column.whole,
            overflow="fold",
            width=widths[i],
        )
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    if not left_out:
        return table
    note = _("Left out to fit the window: {columns}. A wider window shows them.").format(
        columns=", ".join(left_out)
    )
    return Group(table, Text(note, style="dim"))


def _spread(least: dict[int, int], most: dict[int, int], room: int) -> dict[int, int]:
    """Each column's width: its least, then the room left goes to the columns that need the
    least of it to show their longest line whole (a short "send: new" stays on one line)."""
    widths = dict(least)
    for i in sorted(widths, key=lambda i: most[i] - least[i]):
        give = min(most[i] - widths[i], room)
        widths[i] += give
        room -= give
    return widths


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _least(column: Column, cells: Sequence[Cell]) -> int:
    """The narrowest the column may be: its longest value (whole) or longest word."""
    texts = [column.header, *(_plain(cell) for cell in cells)]
    if column.whole:
        return max(len(line) for text in texts for line in text.splitlines() or [""])
    header_words = max((len(word) for word in column.header.split()), default=0)
    return max([header_words, *(len(word) for text in texts[1:] for word in text.split())])


def plan_table(planned: Sequence[Planned], bcc: str | None, width: int = 80) -> RenderableType:
    title = _("To send (archive copy of each to {bcc})").format(bcc=bcc) if bcc else _("To send")
    rows = []
    for item in planned:
        out = item.out
        action = (_("send: {note}") if item.send else _("skip: {note}")).format(note=item.note)
        style = "" if item.send else "dim"
        cells = (out.recipient_id, out.address, out.attachments, _size(out.size), action)
        rows.append([Text(cell, style=style) for cell in cells])
    columns = (
        *_recipient(),
        Column(_("Attachment")),
        Column(_("Size"), whole=True, justify="right"),
        Column(_("Action")),
    )
    return fitted(title, columns, rows, width)


def summary_table(results: Sequence[Delivered], width: int = 80) -> RenderableType:
    rows = []
    for result in results:
        out, outcome = result.planned.out, result.outcome
        rows.append(
            [
                Text(out.recipient_id),
                Text(out.address),
                Text(_(outcome.state), style=_STATE_STYLES.get(outcome.state, "")),
                Text(_(outcome.reply) if outcome.reply else ""),
            ]
        )
    columns = (*_recipient(), Column(_("State"), whole=True), Column(_("Server reply")))
    return fitted(_("Sent"), columns, rows, width)


def status_table(
    letter_id: str,
    club: str | None,
    rows: Sequence[tuple[str, str, Entry | None]],
    inbox: Mapping[str, News] | None = None,
    width: int = 80,
) -> RenderableType:
    """One row per recipient; with ``inbox``, what came back (the column only when anything did)."""
    inbox = inbox or {}
    title = _("{letter} (club {club})").format(letter=letter_id, club=club) if club else letter_id
    cells = []
    for rid, address, entry in rows:
        came = inbox.get(rid)
        back = [Text(came.describe(), style=_INBOX_STYLES.get(_style(came), ""))] if came else []
        if inbox and not came:
            back = [Text("")]
        if entry is None:
            empty = [Text("") for _cell in range(3)]
            cells.append([Text(rid), Text(address), Text(_("not sent")), *empty, *back])
            continue
        state = _(entry.state)
        if entry.recipient != rid:
            state = _("{state} (as {recipient})").format(state=state, recipient=entry.recipient)
        if came is not None and came.bounced:
            state = _("{state}, then bounced").format(state=state)
        style = "red" if came and came.bounced else _STATE_STYLES.get(entry.state, "")
        cells.append(
            [
                Text(rid),
                Text(address),
                Text(state, style=style),
                Text(short_time(entry.updated_at)),
                Text(entry.message_id),
                Text(_(entry.reply) if entry.reply else ""),
                *back,
            ]
        )
    columns = (
        *_recipient(),
        Column(_("State")),
        Column(_("Time (UTC)")),  # "2024-12-10 09:30": the date and the time may go on two lines
        Column("Message-ID", whole=True, gives_way=1),
        Column(_("Server reply")),
        *((Column(_("Inbox")),) if inbox else ()),
    )
    return fitted(title, columns, cells, width)


def inbox_table(events: Sequence[Event], width: int = 80) -> RenderableType:
    """What one ``lettersmith inbox`` run recorded, one row per message."""
    rows = []
    for event in events:
        letter = (
            _("{letter} (club {club})").format(letter=event.letter, club=event.club)
            if event.club
            else event.letter
        )
        rows.append(
            [
                Text(letter),
                Text(event.recipient),
                Text(verdict(event).describe(), style=_INBOX_STYLES.get(_kind_style(event), "")),
                Text(event.sender),
                Text(short_date(event.date)),
            ]
        )
    columns = (
        Column(_("Letter"), whole=True),
        Column(_("Recipient"), whole=True),
        Column(_("What")),
        Column(_("From"), whole=True, gives_way=1),
        Column(_("Date (UTC)"), whole=True),
    )
    return fitted(_("Came back"), columns, rows, width)


def _style(came: News) -> str:
    return _kind_style(came.latest)


def _kind_style(event: Event) -> str:
    if event.kind == "bounced":
        return "bounced" if event.permanent else "delayed"
    return event.kind


def _recipient() -> tuple[Column, Column]:
    """The first two columns of every table about recipients, in the current language."""
    return (Column(_("Recipient"), whole=True), Column(_("Address"), whole=True))


_INBOX_STYLES = {"bounced": "red", "delayed": "yellow", "received": "green", "replied": "cyan"}
_STATE_STYLES = {"sent": "green", "deferred": "yellow", "failed": "red", "unknown": "magenta"}


def print_hints(console: Console, hints: Sequence[str]) -> None:
    for hint in hints:
        console.print(hint, markup=False, soft_wrap=True)


def _size(size: int) -> str:
    return f"{size / 1024:.0f} kB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
