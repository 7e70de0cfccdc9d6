"""The tables ``send`` and ``status`` print: the plan, the outcome, the journal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lettersmith.deliver.inbox.news import News, short_date, verdict
from lettersmith.deliver.inbox.store import Event
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
    letter_id: str,
    club: str | None,
    rows: Sequence[tuple[str, str, Entry | None]],
    inbox: Mapping[str, News] | None = None,
) -> Table:
    """One row per recipient; with ``inbox``, what came back (the column only when anything did)."""
    inbox = inbox or {}
    title = _("{letter} (club {club})").format(letter=letter_id, club=club) if club else letter_id
    extra = (_("Inbox"),) if inbox else ()
    table = _table(title, _("State"), _("Time (UTC)"), "Message-ID", _("Server reply"), *extra)
    for rid, address, entry in rows:
        came = inbox.get(rid)
        back = (Text(came.describe(), style=_INBOX_STYLES.get(_style(came), "")),) if came else ()
        if inbox and not came:
            back = (Text(""),)
        if entry is None:
            empty = (Text("") for _cell in range(3))
            table.add_row(Text(rid), Text(address), Text(_("not sent")), *empty, *back)
            continue
        state = _(entry.state)
        if entry.recipient != rid:
            state = _("{state} (as {recipient})").format(state=state, recipient=entry.recipient)
        if came is not None and came.bounced:
            state = _("{state}, then bounced").format(state=state)
        table.add_row(
            Text(rid),
            Text(address),
            Text(
                state, style="red" if came and came.bounced else _STATE_STYLES.get(entry.state, "")
            ),
            Text(short_time(entry.updated_at)),
            Text(entry.message_id),
            Text(_(entry.reply) if entry.reply else ""),
            *back,
        )
    return table


def inbox_table(events: Sequence[Event]) -> Table:
    """What one ``lettersmith inbox`` run recorded, one row per message."""
    table = Table(title=_("Came back"))
    for column in (_("Letter"), _("Recipient"), _("What"), _("From"), _("Date (UTC)")):
        table.add_column(column, overflow="fold")
    for event in events:
        letter = (
            _("{letter} (club {club})").format(letter=event.letter, club=event.club)
            if event.club
            else event.letter
        )
        table.add_row(
            Text(letter),
            Text(event.recipient),
            Text(verdict(event).describe(), style=_INBOX_STYLES.get(_kind_style(event), "")),
            Text(event.sender),
            Text(short_date(event.date)),
        )
    return table


def _style(came: News) -> str:
    return _kind_style(came.latest)


def _kind_style(event: Event) -> str:
    if event.kind == "bounced":
        return "bounced" if event.permanent else "delayed"
    return event.kind


_INBOX_STYLES = {"bounced": "red", "delayed": "yellow", "received": "green", "replied": "cyan"}
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
