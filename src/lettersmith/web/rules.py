"""Each route's rule, declared with the route: the action it takes, on whose things.

A rule names one action of the engine's table (``app/access.py``) and where the club it
concerns comes from: nowhere (the union's things), the ``?club=`` of a letter's page, or the
``{club}`` in the path of a club's page. Before the endpoint runs, ``RuledRoute`` asks
``access.allowed(account, action, club)``, the engine's own table, and answers 403 (a page
in words, saying what the account's role may do) when it says no. The web app keeps no rule
of its own: the engine checks each verb again, and a ``NotAllowed`` from it answers the same
403 (``app.py``).

Every route carries a rule (``create_app`` refuses to start with one that has none, and the
authorisation matrix test walks the route table), so a new page is declared like this::

    routes = [
        ruled("/letters/{letter:id}/status", status, needs(Action.SEE, club=QUERY)),
        ruled("/letters/{letter:id}/build", build, needs(Action.BUILD, club=QUERY), "POST"),
    ]

Two rules ask no role: ``OPEN`` (served without a session: the static files, the login page;
which of them the guard lets through is the guard's list) and ``ANY_SESSION`` (every logged-in
browser, whatever its role: the language, the logout).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from lettersmith.app import access
from lettersmith.app.access import Account, Action
from lettersmith.web.security import Receive, Scope, Send
from lettersmith.web.sessions import Session

ClubFrom = Literal["none", "query", "path"]
QUERY: ClubFrom = "query"  # the ``?club=`` of a letter's pages: the club's version
PATH: ClubFrom = "path"  # the ``{club}`` of a club's page


@dataclass(frozen=True)
class Rule:
    """What a route needs: ``action`` on the union's things or a club's (``club``); or, with
    ``action`` None, only a session (``session``) or nothing at all."""

    action: Action | None
    club: ClubFrom = "none"
    session: bool = True

    def club_of(self, request: Request) -> str | None:
        """The club the request is about (None: the union's own things)."""
        if self.club == "query":
            return request.query_params.get("club") or None
        if self.club == "path":
            return str(request.path_params.get("club", "")) or None
        return None

    def allows(self, session: Session | None, request: Request) -> bool:
        """May the request's session (its account) take this route?"""
        if not self.session:
            return True
        if session is None:
            return False
        if self.action is None:
            return True
        return access.allowed(session.account, self.action, self.club_of(request))

    def refusal(self, session: Session | None, request: Request) -> str:
        """Why the rule refuses ``session``'s account: the engine's own words for it."""
        if session is None or self.action is None:
            return ""
        try:
            access.require(session.account, self.action, self.club_of(request))
        except access.NotAllowed as refused:
            return str(refused)
        return ""

    def describe(self) -> str:
        """The rule in a few words (the matrix test's messages, the README's table)."""
        if not self.session:
            return "open"
        if self.action is None:
            return "any session"
        where = {"none": "", "query": " (?club=)", "path": " ({club})"}[self.club]
        return self.action.value + where


OPEN = Rule(None, session=False)
ANY_SESSION = Rule(None)


def needs(action: Action, *, club: ClubFrom = "none") -> Rule:
    """The rule of a route that takes ``action`` (on the club named by ``club``, if any)."""
    return Rule(action, club)


class RuledRoute(Route):
    """A Starlette route with its rule, checked before the endpoint runs."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        rule: Rule,
        *,
        methods: Iterable[str] | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods) if methods else None, name=name)
        self.rule = rule

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await refused(self.rule, scope, receive, send):
            return
        await super().handle(scope, receive, send)


class RuledMount(Mount):
    """A mounted app (the static files) with its rule, checked before it answers."""

    def __init__(self, path: str, app: Any, rule: Rule, *, name: str | None = None) -> None:
        super().__init__(path, app=app, name=name)
        self.rule = rule

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if await refused(self.rule, scope, receive, send):
            return
        await super().handle(scope, receive, send)


async def refused(rule: Rule, scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer 403 if ``rule`` refuses the request's session; whether it did."""
    request = Request(scope, receive)
    found = scope.get("lettersmith.session")
    session = found if isinstance(found, Session) else None
    if rule.allows(session, request):
        return False
    await forbidden(request, rule.refusal(session, request))(scope, receive, send)
    return True


def ruled(
    path: str, endpoint: Callable[..., Any], rule: Rule, *methods: str, name: str | None = None
) -> RuledRoute:
    """A route with its rule; ``methods`` as Starlette's (none: GET, and HEAD with it)."""
    return RuledRoute(path, endpoint, rule, methods=methods or None, name=name)


def rule_of(route: BaseRoute) -> Rule | None:
    """The rule a route was declared with (None: it has none, which ``create_app`` refuses)."""
    rule = getattr(route, "rule", None)
    return rule if isinstance(rule, Rule) else None


def unruled(routes: Iterable[BaseRoute]) -> list[str]:
    """The routes without a rule, by path and methods (for the refusal to start)."""
    missing = []
    for route in routes:
        if rule_of(route) is None:
            methods = ",".join(sorted(getattr(route, "methods", None) or ()))
            missing.append(f"{getattr(route, 'path', route)!s} {methods}".strip())
    return missing


def forbidden(request: Request, reason: str = "") -> Response:
    """The 403 page: the refusal in words (``reason``: what was refused), and what the
    account's role may do instead."""
    from lettersmith.web.templating import render  # templating imports the words of roles
    from lettersmith.web.words import abilities

    session = request.scope.get("lettersmith.session")
    account: Account | None = session.account if isinstance(session, Session) else None
    return render(
        request, "forbidden.html", status_code=403, abilities=abilities(account),
        reason=reason.splitlines(),
    )  # fmt: skip
