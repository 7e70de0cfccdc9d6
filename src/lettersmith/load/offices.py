"""The built-in register of offices: who holds which office, where its mail goes, and how sure
we are of it.

One YAML file per country in ``data/offices/`` (``no.yaml`` holds Norway's ministries). An office
is named ``<country>/<id>``, such as ``no/hod``; a recipient that says ``office: no/hod``
inherits its title, name, ministry, mailbox and postal address (see ``load/entries``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from lettersmith.errors import LettersmithError
from lettersmith.translate import _

DATA = Path(__file__).resolve().parents[1] / "data" / "offices"
# A name checked longer ago than this before a letter's date may belong to someone who has left.
STALE_AFTER_DAYS = 180


@dataclass(frozen=True)
class OfficeSource:
    url: str
    shows: str
    date: dt.date | None = None


@dataclass(frozen=True)
class Office:
    id: str  # "no/hod"
    title: str
    ministry: str
    email: str | None = None
    address: tuple[str, ...] = ()
    holder: str | None = None
    since: dt.date | None = None
    verified: dt.date | None = None
    sources: tuple[OfficeSource, ...] = ()

    def describe(self) -> str:
        """One line: "Helse- og omsorgsminister Jan Christian Vestre (since 2024-04-19)"."""
        if not self.holder:
            return _("{title} (holder not recorded)").format(title=self.title)
        if self.since:
            return _("{title} {holder} (since {date})").format(
                title=self.title, holder=self.holder, date=self.since
            )
        return f"{self.title} {self.holder}"


@functools.cache
def register() -> dict[str, Office]:
    """Every office of every country file, by id."""
    offices: dict[str, Office] = {}
    for path in sorted(DATA.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key, entry in data["offices"].items():
            office_id = f"{path.stem}/{key}"
            offices[office_id] = Office(
                id=office_id,
                title=entry["title"],
                ministry=entry["ministry"],
                email=entry.get("email"),
                address=tuple(entry.get("address", ())),
                holder=entry.get("holder"),
                since=_date(entry.get("since")),
                verified=_date(entry.get("verified")),
                sources=tuple(
                    OfficeSource(url=s["url"], shows=s["shows"], date=_date(s.get("date")))
                    for s in entry.get("sources", ())
                ),
            )
    return offices


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def search(text: str | None) -> list[Office]:
    """The offices whose id, title, ministry or holder contains ``text`` (any case)."""
    offices = list(register().values())
    if not text:
        return offices
    needle = text.casefold()
    exact = [office for office in offices if needle in (office.id, office.id.split("/", 1)[1])]
    if exact:  # "kd" is the education ministry, not every id that contains kd
        return exact
    return [
        office
        for office in offices
        if any(
            needle in (part or "").casefold()
            for part in (office.id, office.title, office.ministry, office.holder, office.email)
        )
    ]


def oldest_verification() -> dt.date | None:
    """The verified date of the entry checked longest ago: how old the register is."""
    dates = [office.verified for office in register().values() if office.verified]
    return min(dates) if dates else None


def is_stale(verified: dt.date | None, on: dt.date) -> bool:
    return verified is not None and (on - verified).days > STALE_AFTER_DAYS


def unknown_office(office_id: str) -> str:
    from lettersmith.load.yamlfile import did_you_mean

    return _(
        "no office '{office_id}' in the built-in register{did_you_mean} "
        "`lettersmith offices` lists them"
    ).format(office_id=office_id, did_you_mean=did_you_mean(office_id, register()) or ".")


def get(office_id: str) -> Office:
    try:
        return register()[office_id]
    except KeyError:
        raise LettersmithError(unknown_office(office_id)) from None
