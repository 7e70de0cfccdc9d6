"""The letter a page is about, from its path and ``?club=``: checked before anything is done."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request

from lettersmith.load.yamlfile import is_id
from lettersmith.web.state import project_of


@dataclass(frozen=True)
class Target:
    """The letter a page is about: its id and the club whose version it is (None: the union's)."""

    letter: str
    club: str | None

    @property
    def query(self) -> str:
        """``?club=ID`` for a club's version, to add to this letter's links."""
        return f"?club={quote(self.club)}" if self.club else ""


def target(request: Request) -> Target:
    """The letter and club of the request, checked: both ids by the engine's rule, both in
    the workspace (404 otherwise)."""
    letter = request.path_params["letter"]
    club = request.query_params.get("club") or None
    if not is_id(letter) or (club is not None and not is_id(club)):
        raise HTTPException(404)
    ws = project_of(request).workspace()
    if letter not in ws.letters or (club is not None and club not in ws.clubs):
        raise HTTPException(404)
    return Target(letter, club)
