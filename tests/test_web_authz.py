"""Who may open what in the web app: every route against every role, generated from the app's
own route table, and the attacks a role might try (another club's ids, path tricks in file
routes, a form from another site, a crafted POST by the board).

The expected answer of each request is computed from the route's declared rule
(``web/rules.py``) and the engine's table (``access.allowed``), never written out by hand: a
new route is in the matrix as soon as it is in a page module's ``routes``, and one without a
rule makes ``create_app`` fail (and this test with it).
"""

from __future__ import annotations

import hashlib
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from lettersmith.app.access import Account, allowed
from lettersmith.app.project import Project
from lettersmith.web import app as web_app
from lettersmith.web.app import create_app
from lettersmith.web.rules import ANY_SESSION, Rule, RuledRoute, rule_of
from lettersmith.web.security import OPEN_PATHS
from lettersmith.web.state import project_of
from webapp import TOKEN, account_session, client, serving, session_as
from workspaces import copy_example

LETTER = "menneskehandel-2024"
OWN, OTHER = "bergen", "oslo"
# A real id for each path parameter a route takes. A route with a new parameter fails the
# matrix until it is given one here.
IDS = {"letter": LETTER, "position": "menneskehandel-2024", "recipient": "smk", "number": 0,
       "kind": "csv"}  # fmt: skip
STATIC_FILES = ("app.css", "htmx.min.js")

ACCOUNTS: dict[str, Account | None] = {
    "this computer": None,  # the token link's session: no account, everything allowed
    "admin": Account("anne", "admin"),
    "secretary": Account("siri", "secretary"),
    "board": Account("bodil", "board"),
    "club:bergen": Account("berit", "club:bergen"),
    "club:oslo": Account("olav", "club:oslo"),
}
REFUSED = "Du har ikke tilgang til denne siden"
GATE = "Slik kommer du inn"
FORM_REFUSED = "Dette skjemaet ble avvist"
LOGIN_NEEDED = "Ingenting ble gjort: du er ikke logget inn"


def add_oslo(root: Path) -> Path:
    """A second club (the example has only Bergen): Bergen's file with Oslo's names."""
    text = (root / "clubs" / "bergen.yaml").read_text(encoding="utf-8")
    (root / "clubs" / "oslo.yaml").write_text(
        text.replace("Bergen", "Oslo").replace("bergen", "oslo"), encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starlette]:
    root = add_oslo(copy_example(tmp_path_factory.mktemp("authz") / "ws"))
    app = create_app(root, token=TOKEN)
    yield app
    app.state.jobs.wait(60)  # the sends the matrix started (each refused by its plan's digest)


@pytest.fixture(scope="module")
def local_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starlette]:
    """The app on a workspace without accounts: the token link's session, this computer's."""
    root = add_oslo(copy_example(tmp_path_factory.mktemp("authz-local") / "ws"))
    app = create_app(root, token=TOKEN)
    yield app
    app.state.jobs.wait(60)


def browser_of(app: Starlette, role: str) -> Any:
    return session_as(client(app, raise_server_exceptions=False), ACCOUNTS[role])


def still_logged_in(app: Starlette, browser: Any) -> bool:
    sessions = app.state.sessions
    return sessions.find(browser.cookies.get(sessions.cookie)) is not None


# --------------------------------------------------------------------------- the route table


@dataclass(frozen=True)
class Call:
    """One request of the matrix: a route's method on a path with real ids, and the club the
    request names (by ``?club=`` or in the path; None: the union's things)."""

    method: str
    path: str
    rule: Rule
    club: str | None

    def expected(self, account: Account | None) -> bool:
        """May ``account`` take this request, by the rule and the engine's table?"""
        if self.rule.action is None:
            return True
        return allowed(account, self.rule.action, self.club)

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.rule.describe()}]"


def calls(app: Starlette) -> list[Call]:
    """Every route × every method it takes × the clubs it may name, from ``app.routes``."""
    found = []
    for route in app.routes:
        rule = rule_of(route)
        assert rule is not None, f"{route!r} has no rule"
        if isinstance(route, Mount):
            found += [Call("GET", f"{route.path}/{name}", rule, None) for name in STATIC_FILES]
            continue
        assert isinstance(route, Route)
        names = set(route.param_convertors) - {"club"}
        missing = names - set(IDS)
        assert not missing, f"{route.path}: give the matrix a real id for {missing} (IDS)"
        for method in sorted(route.methods or ()):
            clubs: tuple[str | None, ...] = (None,)
            if rule.club == "query":
                clubs = (None, OWN, OTHER)
            elif rule.club == "path":
                clubs = (OWN, OTHER)
            for club in clubs:
                path = route.path_format.format(**IDS, club=club)
                if rule.club == "query" and club is not None:
                    path += f"?club={club}"
                found.append(Call(method, path, rule, club))
    return found


def test_every_route_has_a_rule_and_the_matrix_reaches_them_all(matrix_app: Starlette) -> None:
    found = calls(matrix_app)
    assert all(rule_of(route) is not None for route in matrix_app.routes)
    methods = {(call.method, call.path.split("?")[0]) for call in found}
    expected = {
        ("GET", "/"), ("POST", f"/letters/{LETTER}/approve"), ("POST", f"/clubs/{OTHER}"),
        ("GET", f"/letters/{LETTER}/audit.csv"), ("HEAD", f"/letters/{LETTER}/review/files/0"),
        ("POST", "/language"), ("GET", "/static/app.css"),
    }  # fmt: skip
    assert expected <= methods


README_RULES = {
    "see the register": "see-register", "see": "see", "edit the club": "edit-club",
    "edit": "edit", "build": "build", "approve": "approve", "send": "send",
    "accounts": "accounts", "any session": "any session", "open": "open",
}  # fmt: skip


def test_the_readme_names_each_routes_rule(matrix_app: Starlette) -> None:
    """The README's table of rules (under "What each role sees and may do") has every route
    with the rule it is declared with."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| Route | Rule |") :].split("\n\n", 1)[0]
    rows = []  # (the paths a row names, its rule)
    for line in table.splitlines()[2:]:
        routes, rule = line.strip("|").split("|")[:2]
        word = next(
            w for w in sorted(README_RULES, key=len, reverse=True) if rule.strip().startswith(w)
        )
        rows.append((set(re.findall(r"`(?:GET |POST )?(/[^`]*)`", routes)), README_RULES[word]))
    wrong = []
    for route in matrix_app.routes:
        rule = rule_of(route)
        assert rule is not None
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PLACEHOLDERS.get(m[1], "<id>"), route.path)
        path += "/" if isinstance(route, Mount) else ""
        declared = rule.describe().split(" (")[0]
        if not any(path in paths and word == declared for paths, word in rows):
            wrong.append(f"{path}: {declared}")
    assert wrong == [], "not in the README's table of rules as declared"


PLACEHOLDERS = {"number": "<n>", "kind": "<kind>"}


def test_a_route_without_a_rule_stops_the_app_from_starting(tmp_path, monkeypatch) -> None:
    root = copy_example(tmp_path / "ws")

    def plain(request: Request) -> Response:
        return Response("anyone's")

    ruled_routes = web_app.page_routes()
    monkeypatch.setattr(web_app, "page_routes", lambda: [*ruled_routes, Route("/new", plain)])
    with pytest.raises(RuntimeError, match="routes without a rule.*/new"):
        create_app(root, token=TOKEN)


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_the_authorisation_matrix(matrix_app: Starlette, local_app: Starlette, role: str) -> None:
    """Each route, method and club as ``role``: refused (403, the page in words) exactly when
    the rule and the engine's table say so; otherwise the page, never a 500. (The token
    link's session, "this computer", exists only while the workspace has no account.)"""
    app = local_app if ACCOUNTS[role] is None else matrix_app
    browser = browser_of(app, role)
    account = ACCOUNTS[role]
    wrong = []
    for call in calls(app):
        answer = browser.request(call.method, call.path)
        may = call.expected(account)
        refused = answer.status_code == 403
        if not still_logged_in(app, browser):  # /logout, a password changed: in again
            browser = browser_of(app, role)
        if may and refused and call.rule.session is False and REFUSED not in answer.text:
            continue  # an open route's own refusal (a login form without its token)
        if may and (refused or answer.status_code >= 500):
            wrong.append(f"{call}: {answer.status_code}, expected the page")
        elif not may and not refused:
            wrong.append(f"{call}: {answer.status_code}, expected 403")
        elif not may and call.method != "HEAD" and REFUSED not in answer.text:
            wrong.append(f"{call}: 403 without the refusal's words")
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)


def test_without_a_session_every_route_is_the_way_in(
    matrix_app: Starlette, local_app: Starlette
) -> None:
    """No session: without accounts every route is the page saying how to get in; with
    accounts a page redirects to /login and a form is refused. Only the open routes answer
    (the login page's look; once accounts exist, the login page and every static file), and
    their rule says so."""
    browser_of(matrix_app, "admin")  # the matrix's workspace has accounts
    wrong = []
    for app, accounts in ((local_app, False), (matrix_app, True)):
        browser = client(app)
        for call in calls(app):
            answer = browser.request(call.method, call.path)
            page = call.method == "HEAD" or answer.status_code == 200
            if call.path in OPEN_PATHS or (accounts and call.rule.session is False):
                if call.rule.session is not False:
                    wrong.append(f"{call}: served without a session, its rule must be OPEN")
                if call.method != "POST" and not page:
                    wrong.append(f"{call}: {answer.status_code}, expected the open page")
            elif not accounts:
                if answer.status_code != 403 or (call.method != "HEAD" and GATE not in answer.text):
                    wrong.append(f"{call}: {answer.status_code}, expected the gate")
            elif call.method in ("GET", "HEAD"):
                if not answer.headers.get("location", "").startswith("/login"):
                    wrong.append(f"{call}: {answer.status_code}, expected the way to /login")
            elif answer.status_code != 403 or LOGIN_NEEDED not in answer.text:
                wrong.append(f"{call}: {answer.status_code}, expected 'log in again'")
    assert wrong == []


# --------------------------------------------------------------------------- what each sees


def test_the_refusal_says_what_the_role_may_do(matrix_app: Starlette) -> None:
    answer = browser_of(matrix_app, "board").post(f"/letters/{LETTER}", data={})
    assert answer.status_code == 403
    assert REFUSED in answer.text
    assert "bodil (styremedlem)" in answer.text
    assert "godkjenne brev" in answer.text and "sende brev" not in answer.text
    club = browser_of(matrix_app, "club:bergen").get(f"/letters/{LETTER}/send?club={OTHER}")
    assert club.status_code == 403
    assert "endre klubben bergen sin fil og mappe" in club.text
    assert "oslo" not in club.text.lower()


def test_the_engine_refusing_a_verb_answers_403_not_400(tmp_path) -> None:
    """A route whose rule let the request through, and a verb the engine refuses: the same
    403 page (never the problem page, never a 500)."""
    app = create_app(copy_example(tmp_path / "ws"), token=TOKEN)

    def approve_anyway(request: Request) -> Response:
        project_of(request).approve(LETTER, by="siri")
        return Response("approved")

    app.router.routes.append(RuledRoute("/test/approve", approve_anyway, ANY_SESSION))
    answer = browser_of(app, "secretary").get("/test/approve")
    assert answer.status_code == 403
    assert REFUSED in answer.text


def buttons(html: str) -> set[str]:
    """What a page offers to change: the actions of its POST forms (the header's language
    and "Logg ut" left out: every page has them)."""
    found = set(re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html))
    return found - {"/language", "/logout"}


def test_the_board_reads_and_approves_and_is_offered_nothing_else(matrix_app: Starlette) -> None:
    board = browser_of(matrix_app, "board")
    overview = board.get("/").text
    assert "bodil (styremedlem)" in overview  # who is logged in, in the header
    assert buttons(overview) == set()  # no "Bygg"
    assert f'href="/letters/{LETTER}/send' not in overview and "Nytt brev" not in overview
    letter = board.get(f"/letters/{LETTER}").text
    assert buttons(letter) == set() and "Lagre" not in letter
    assert "Tiden er inne" in letter  # the letter read-only: its position by title
    position = board.get(f"/positions/{LETTER}").text
    assert buttons(position) == set() and "Lagre" not in position
    assert "menneskehandel" in position.lower()
    review = board.get(f"/letters/{LETTER}/review").text
    assert buttons(review) == {f"/letters/{LETTER}/approve"}
    assert ">Godkjenn</button>" in review
    assert "bodil (styremedlem)" in review and 'name="by"' not in review
    assert buttons(board.get("/recipients").text) == set()
    assert buttons(board.get(f"/clubs/{OWN}").text) == set()
    status = board.get(f"/letters/{LETTER}/status").text
    assert f"/letters/{LETTER}/inbox" not in status


def test_the_secretary_does_everything_but_approve(matrix_app: Starlette) -> None:
    secretary = browser_of(matrix_app, "secretary")
    overview = secretary.get("/").text
    assert f"/letters/{LETTER}/build" in buttons(overview)
    assert f'href="/letters/{LETTER}/send"' in overview and "siri (sekretær)" in overview
    assert f"/letters/{LETTER}" in buttons(secretary.get(f"/letters/{LETTER}").text)
    review = secretary.get(f"/letters/{LETTER}/review").text
    assert f"/letters/{LETTER}/approve" not in buttons(review)
    assert "Et styremedlem godkjenner brevet" in review
    assert "/recipients" in buttons(secretary.get("/recipients").text)


def test_a_club_sees_its_own_and_the_unions_and_no_other_club(matrix_app: Starlette) -> None:
    club = browser_of(matrix_app, "club:bergen")
    overview = club.get("/").text
    assert "berit (klubb bergen)" in overview
    assert f"?club={OWN}" in overview and OTHER not in overview
    assert buttons(overview) == {f"/letters/{LETTER}/build?club={OWN}"}
    assert 'href="/recipients"' not in overview  # not in the menu
    clubs = club.get("/clubs").text
    assert f'href="/clubs/{OWN}"' in clubs and f'href="/clubs/{OTHER}"' not in clubs
    assert f"/clubs/{OWN}" in buttons(club.get(f"/clubs/{OWN}").text)  # its own: editable
    assert buttons(club.get(f"/letters/{LETTER}").text) == set()  # the union's: read
    assert buttons(club.get(f"/positions/{LETTER}").text) == set()
    assert club.get("/recipients").status_code == 403
    assert club.get("/recipients/export.csv").status_code == 403


# --------------------------------------------------------------------------- attacks


def test_a_club_account_gets_nothing_of_another_club(matrix_app: Starlette) -> None:
    """Every route that names a club, with the other club's id (in the path or ``?club=``):
    403, and not a word of the other club's."""
    for role, other, name in (("club:bergen", OTHER, "Oslo"), ("club:oslo", OWN, "Bergen")):
        browser = browser_of(matrix_app, role)
        for call in calls(matrix_app):
            if call.club != other:
                continue
            answer = browser.request(call.method, call.path)
            assert answer.status_code == 403, (role, str(call))
            assert f"Soroptimist International {name}" not in answer.text, (role, str(call))


@pytest.mark.parametrize(
    "query", [f"?club={OWN}&club={OTHER}", f"?club={OTHER}&club={OWN}", "?club=Oslo",
              f"?club={OTHER}%00", f"?club=%20{OTHER}", "?club=*", "?club=../oslo"],
)  # fmt: skip
def test_a_club_cannot_reach_another_through_a_crafted_query(
    matrix_app: Starlette, query: str
) -> None:
    """Two ``club`` values, another spelling, the engine's every-club mark: the rule and the
    page read the same value, so the answer is a refusal or the own club's page, never a
    word of the other club's."""
    browser = browser_of(matrix_app, "club:bergen")
    for path in (f"/letters/{LETTER}/status", f"/letters/{LETTER}", f"/letters/{LETTER}/send",
                 f"/letters/{LETTER}/audit.csv", f"/letters/{LETTER}/review"):  # fmt: skip
        answer = browser.get(path + query)
        assert answer.status_code in (200, 403, 404), (path + query, answer.status_code)
        assert "Oslo" not in answer.text and "olav" not in answer.text, path + query


FILE_TRICKS = [
    f"/letters/{LETTER}/review/files/..",
    f"/letters/{LETTER}/review/files/../../../secret.txt",
    f"/letters/{LETTER}/review/files/%2e%2e/%2e%2e/secret.txt",
    f"/letters/{LETTER}/review/files/..%2f..%2f..%2fsecret.txt",
    f"/letters/{LETTER}/review/files/-1",
    f"/letters/{LETTER}/review/files/0%00",
    f"/letters/{LETTER}/review/files//etc/passwd",
    "/letters/..%2f..%2fsecret/review/files/0",
    "/letters/%2e%2e/review/files/0",
    f"/letters/{LETTER}/audit.csv%00.txt",
    f"/letters/{LETTER}/audit.csv?club=..%2f..%2fsecret",
    f"/letters/{LETTER}/review/files/0?club=..%2f..",
    "/recipients/export.csv%00",
    "/recipients/export.%2e%2e%2fsecret.txt",
    "/recipients/export.../secret.txt",
    "/static/../../secret.txt",
    "/static/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/static/..%2f..%2f..%2fsecret.txt",
    "/static//etc/passwd",
    "/static/app.css%00",
    "/static/%2fetc%2fpasswd",
    "/clubs/..%2foslo",
    "/clubs/%2e%2e",
]


def raw_get(port: int, target: str, cookie: str) -> tuple[int, bytes]:
    """A GET with ``target`` exactly as written (no client tidies ``..`` or ``%2e`` away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\n"
            "Connection: close\r\n\r\n".encode("latin-1")
        )
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


def test_path_tricks_in_file_routes_read_nothing_outside(tmp_path: Path) -> None:
    """Through the real server (uvicorn), as the account that may see everything and as a
    club's: every trick answers 400, 403 or 404, and no byte of a file outside."""
    root = add_oslo(copy_example(tmp_path / "ws"))
    secret = "SECRET-0f3a9c outside the workspace"
    for place in (tmp_path / "secret.txt", root / "secret.txt"):
        place.write_text(secret)
    with serving(root) as server:
        assert server.app is not None
        sessions = server.app.state.sessions
        for account in (None, ACCOUNTS["club:bergen"]):
            session_id, _csrf = account_session(server.app, account)
            cookie = f"{sessions.cookie}={session_id}"
            # a review made first, so its files are listed and a number names one
            assert raw_get(server.port, f"/letters/{LETTER}/review", cookie)[0] == 200
            for target in FILE_TRICKS:
                status, data = raw_get(server.port, target, cookie)
                assert status in (400, 403, 404), (account, target, status)
                assert secret.encode() not in data and b"root:x:" not in data, (account, target)
                assert b"Oslo" not in data, (account, target)


def post_routes(app: Starlette) -> list[Call]:
    return [call for call in calls(app) if call.method == "POST" and call.club != OTHER]


def fingerprint(root: Path) -> dict[str, str]:
    """Every file of the workspace (the journal and the trail too) by its content's hash; not
    the accounts' file, where each request marks its session as used."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.name.startswith("accounts.sqlite")
    }


@pytest.mark.parametrize("role", ["this computer", "secretary", "board"])
def test_a_form_from_another_site_is_refused_on_every_post_route(tmp_path, role: str) -> None:
    """A page elsewhere posting to each POST route with the person's cookie: refused with
    the form's words, whether it guessed a token or sent none; nothing changed."""
    root = add_oslo(copy_example(tmp_path / "ws"))
    app = create_app(root, token=TOKEN)
    before = fingerprint(root)
    browser = browser_of(app, role)
    token = browser.headers.pop("x-csrf-token")
    for call in post_routes(app):
        for headers, data in (
            ({"origin": "http://evil.example"}, {"csrf_token": token}),  # the token leaked
            ({"sec-fetch-site": "cross-site"}, {"csrf_token": token}),
            ({}, {"csrf_token": "guessed"}),
            ({}, {}),
        ):
            answer = browser.post(call.path, data=data, headers=headers)
            assert answer.status_code == 403, (str(call), headers, data)
            if call.rule.session is False:  # /login: its own form again, nobody logged in
                session_cookie = app.state.sessions.cookie + "="
                assert not answer.headers.get("set-cookie", "").startswith(session_cookie)
            else:
                assert FORM_REFUSED in answer.text, (str(call), headers, data)
    assert fingerprint(root) == before


def test_the_board_cannot_save_build_or_send_with_a_valid_token(
    mail_workspace: Path, smtp_server
) -> None:
    """The board's own session and CSRF token, and forms crafted as the secretary's pages
    would send them: every one 403, no file changed, nothing built, no message sent."""
    root = mail_workspace
    app = create_app(root, token=TOKEN)
    board = browser_of(app, "board")
    token = board.headers.pop("x-csrf-token")
    secretary = browser_of(app, "secretary")
    letter_page = secretary.get(f"/letters/{LETTER}").text
    version = letter_page.split('name="version" value="', 1)[1].split('"', 1)[0]
    plan = Project.open(root).send(LETTER, confirm=lambda _: False).plan  # what "Send" carries
    assert plan.todo > 0
    before = fingerprint(root)  # the letter built for the plan, as the send page would have
    attempts = {
        f"/letters/{LETTER}": {"version": version, "position": LETTER, "to": "smk",
                               "mode": "joint", "signatory": "president", "subject": "Endret"},
        f"/positions/{LETTER}": {"title": "Endret", "adopted_by": "Styret",
                                 "adopted_on": "2024-03-01", "body": "Ny tekst."},
        "/positions": {"id": "ny", "title": "Ny", "adopted_by": "Styret",
                       "adopted_on": "2024-03-01", "body": "Ny tekst."},
        "/recipients": {"id": "ny", "name": "Ny Person", "email": "ny@example.org"},
        "/recipients/smk": {"remove": "1"},
        f"/clubs/{OWN}": {"name": "Endret klubb"},
        "/letters": {"id": "nytt-brev"},
        f"/letters/{LETTER}/build": {},
        f"/letters/{LETTER}/send": {"plan": plan.digest},
        f"/letters/{LETTER}/inbox": {},
        "/users": {"name": "mallory", "role": "admin", "password": "et langt passord 1",
                   "password_again": "et langt passord 1"},
    }  # fmt: skip
    for path, form in attempts.items():
        answer = board.post(path, data={**form, "csrf_token": token})
        assert answer.status_code == 403, path
        assert REFUSED in answer.text, path
    app.state.jobs.wait(30)
    assert smtp_server.handler.received == []
    assert fingerprint(root) == before
    assert "mallory" not in {account.name for account in Project.open(root).users()}
