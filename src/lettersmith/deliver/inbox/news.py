"""What the inbox says about one recipient's letter: the state ``status`` shows, decided once.

The events recorded for a recipient (``store.Event``) come down to one line: the latest
event that still counts, and the case number the archive gave (a later reply keeps the
receipt's number). A bounce counts only for the message it is about: once the letter has
been sent again (a new Message-ID, after the address was corrected), an old bounce is
history, not the state. A permanent bounce of the message the recipient has now means the
letter did not reach them, whatever the mail server said when it took it: ``send`` and
``status`` never count such a recipient as reached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lettersmith.deliver.inbox.classify import Kind, Verdict
from lettersmith.deliver.inbox.store import Event, InboxStore
from lettersmith.deliver.journal import Entry
from lettersmith.translate import _


@dataclass(frozen=True)
class News:
    """One recipient's state from the inbox."""

    latest: Event  # the last event that counts (by the message's date)
    case_number: str = ""  # the archive's case number, from any event
    events: tuple[Event, ...] = ()  # every event that counts, oldest first

    @property
    def kind(self) -> str:
        return self.latest.kind

    @property
    def bounced(self) -> bool:
        """The letter the recipient has now bounced for good: it did not reach them."""
        return self.latest.kind == "bounced" and self.latest.permanent is True

    def describe(self) -> str:
        """One line, in the current language, in classify's words: "replied by Kari
        <kari@kd.dep.no>, on 2026-12-05, case number 24/1234", "bounced permanently (5.1.1:
        User unknown), on 2026-12-03"; a receipt's case number stays after a later reply."""
        event = self.latest
        when = parse_time(event.date)
        if event.kind == "replied":
            line = verdict(event).describe(event.sender, when)
        else:
            line = verdict(event).describe()
            if when is not None:
                line += ", " + _("on {date}").format(date=when.date().isoformat())
        if self.case_number and self.case_number != event.case_number:
            line += ", " + _("case number {case}").format(case=self.case_number)
        return line


def news(events: Iterable[Event], message_id: str | None = None) -> News | None:
    """The state of one recipient's letter from its events (None: nothing came back).

    ``message_id``: the message the journal says the recipient has now; bounces of earlier
    messages no longer count.
    """
    counting = [
        event
        for event in events
        if event.kind != "bounced" or not message_id or event.message_id == message_id
    ]
    if not counting:
        return None
    ordered = sorted(counting, key=lambda event: (event.date, event.read_at))
    case = next((e.case_number for e in reversed(ordered) if e.case_number), "")
    return News(ordered[-1], case, tuple(ordered))


def by_recipient(
    state_dir: Path,
    letter: str,
    club: str | None,
    rows: Sequence[tuple[str, str, Entry | None]],
) -> dict[str, News]:
    """``status``'s rows (recipient id, address, journal row) with what came back for each."""
    with InboxStore.open_readonly(state_dir) as store:
        events = store.events(letter, club)
    by_key: dict[str, list[Event]] = {}
    for event in events:
        by_key.setdefault(event.recipient, []).append(event)
    found = {}
    for rid, _address, entry in rows:
        if entry is None:
            continue
        state = news(by_key.get(entry.recipient, ()), entry.message_id)
        if state is not None:
            found[rid] = state
    return found


def bounced_addresses(state_dir: Path) -> dict[str, Event]:
    """Each mailbox (comparable form) whose last word from the inbox is a permanent bounce
    that blames the address (no such user, 5.1.x; mailbox disabled, 5.2.1).

    The address is recorded with the bounce, so the register's entry is known to have
    changed when its address no longer is this one; a later receipt or reply from the same
    mailbox (it works again) ends it too. A refusal by a spam filter (5.7.1) or a full mailbox
    is not the address's fault: correcting the register would not help.
    """
    with InboxStore.open_readonly(state_dir) as store:
        events = store.events()
    last: dict[str, Event] = {}
    for event in sorted(events, key=lambda event: (event.date, event.read_at)):
        if event.address and (event.kind != "bounced" or event.permanent is not False):
            last[event.address] = event
    return {address: event for address, event in last.items() if verdict(event).bad_address}


def bounced_messages(state_dir: Path) -> dict[str, Event]:
    """Our Message-IDs that bounced permanently (the latest such bounce of each)."""
    with InboxStore.open_readonly(state_dir) as store:
        events = store.permanent_bounces()
    return {event.message_id: event for event in events if event.message_id}


def verdict(event: Event) -> Verdict:
    """The classification an event was recorded from, to be said in words again."""
    return Verdict(
        Kind(event.kind),
        permanent=event.permanent,
        status=event.status,
        diagnostic=event.diagnostic,
        address=event.address,
        case_number=event.case_number,
        away=event.away,
        reason=event.reason,
    )


def parse_time(stamp: str) -> dt.datetime | None:
    """An event's ISO time (UTC); None when it cannot be read."""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone(dt.UTC)
    except ValueError:
        return None


def short_date(stamp: str) -> str:
    """An ISO time in UTC as people read it: 2026-12-03 14:03."""
    try:
        return dt.datetime.fromisoformat(stamp).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp[:16]
