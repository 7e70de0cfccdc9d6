"""A union's server set up as the README's "Running it for a union" says, and a day on it over
HTTP: `lettersmith serve --public-url https://brev.example.no --trust-proxy` as a real process,
reached through a stand-in for Caddy (the browser speaks https to brev.example.no; the request
reaches the app on 127.0.0.1 with that Host and the X-Forwarded-Proto/-For Caddy adds).

The secretary edits the letter, a board member approves it, the secretary sends it (to
aiosmtpd); a club's contact makes the club's version, a board member approves it, the contact
sends it; the audit trail shows each of them, in words, as the people read them."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from starlette.testclient import TestClient

from lettersmith.app import passwords
from lettersmith.app.project import Project
from lettersmith.cli import main
from lettersmith.web.app import create_app
from lettersmith.web.serve import public_hosts
from readback import pdf_text
from test_web_audit import letter_form
from webapp import csrf_of, free_port

REPO = Path(__file__).resolve().parents[1]
LETTER = "menneskehandel-2024"
PUBLIC = "https://brev.example.no"
VISITOR = "203.0.113.7"  # the browser's address, as Caddy's X-Forwarded-For says it
PASSWORDS = {
    "anne": ("admin", "anne sitt lange passord"),
    "siri": ("secretary", "siri sitt lange passord"),
    "bodil": ("board", "bodil sitt lange passord"),
    "berit": ("club:bergen", "berit sitt lange passord"),
}


class Caddy(httpx.BaseTransport):
    """What Caddy does in front of the app: the request as the browser sent it to
    https://brev.example.no (Host kept), passed to the app's port on 127.0.0.1 in plain HTTP
    with X-Forwarded-Proto and X-Forwarded-For added; the answer back as it came. The client's
    cookie jar sees only https://brev.example.no, as a browser would (a Secure cookie goes
    back over https only)."""

    def __init__(self, port: int, visitor: str = VISITOR) -> None:
        self.port = port
        self.visitor = visitor
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = httpx.Headers(request.headers)
        headers["x-forwarded-proto"] = request.url.scheme
        headers["x-forwarded-for"] = self.visitor
        upstream = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        answer = self.inner.handle_request(
            httpx.Request(request.method, upstream, headers=headers, content=request.read())
        )
        return httpx.Response(
            answer.status_code, headers=answer.headers, stream=answer.stream, request=request
        )


def words(page: str) -> str:
    """A page's text as a reader sees it: tags out, entities read, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accounts made quickly here; the server checks them as it checks any hash."""
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def server(required: Path) -> Iterator[int]:
    """The union's server as the README's service starts it, on the accounts it needs."""
    for name, (role, password) in PASSWORDS.items():
        added = CliRunner().invoke(
            main, ["-w", str(required), "users", "add", name, "--role", role], input=password
        )
        assert added.exit_code == 0, added.output
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(required), "serve", "--host",
         "127.0.0.1", "--port", str(port), "--no-browser", "--public-url", PUBLIC,
         "--trust-proxy"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert lines == [f"Open http://127.0.0.1:{port}/login\n", f"Open {PUBLIC}/login\n"]
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/login")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=60)
    assert "Traceback" not in err
    assert not any(password in err for _role, password in PASSWORDS.values())


def browser(port: int, visitor: str = VISITOR) -> httpx.Client:
    """A browser at https://brev.example.no, through Caddy; its forms carry its Origin."""
    return httpx.Client(
        base_url=PUBLIC, transport=Caddy(port, visitor), headers={"origin": PUBLIC}, timeout=120
    )


def log_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login", data={"csrf_token": csrf_of(page.text), "name": name, "password": password}
    )


def logged_in(port: int, name: str) -> httpx.Client:
    client = browser(port)
    answer = log_in(client, name, PASSWORDS[name][1])
    assert answer.status_code == 303, words(answer.text)
    return client


def send(client: httpx.Client, query: str = "") -> str:
    """Press Send on the plan, then watch the progress until it is finished; its words."""
    plan = client.get(f"/letters/{LETTER}/send{query}").text
    digest = re.search(r'name="plan" value="([0-9a-f]+)"', plan)
    assert digest, words(plan)
    started = client.post(
        f"/letters/{LETTER}/send{query}",
        data={"csrf_token": csrf_of(plan), "plan": digest.group(1)},
    )
    assert started.status_code == 303
    deadline = time.monotonic() + 120
    while "hx-trigger" in (progress := client.get(f"/letters/{LETTER}/send/progress{query}").text):
        assert time.monotonic() < deadline, words(progress)
        time.sleep(0.3)
    return words(progress)


def approve(board: httpx.Client, note: str, query: str = "") -> str:
    review = board.get(f"/letters/{LETTER}/review{query}").text
    assert "Godkjenningen registreres med kontoen din: bodil (styremedlem)." in words(review)
    answer = board.post(
        f"/letters/{LETTER}/approve{query}", data={"csrf_token": csrf_of(review), "note": note}
    )
    assert answer.status_code == 303
    return words(board.get(answer.headers["location"]).text)


def test_the_setup_refuses_other_computers_until_an_admin_exists(required: Path) -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "lettersmith", "-w", str(required), "serve", "--host", "0.0.0.0",
         "--port", str(free_port()), "--no-browser"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith(
        "--host 0.0.0.0: other computers would reach the web app, and this workspace has no "
        "admin account yet; create one with `lettersmith users add NAME --role admin`"
    )


def test_the_proxy_the_cookies_and_the_names_the_server_answers_to(server: int) -> None:
    client = browser(server)
    assert client.get("/").headers["location"] == "/login?next=%2F"
    page = client.get("/login")
    assert 'for="login-name"' in page.text and 'id="login-name" name="name"' in page.text
    answer = client.post(
        "/login",
        data={"csrf_token": csrf_of(page.text), "name": "siri", "password": PASSWORDS["siri"][1]},
    )
    assert answer.status_code == 303
    for cookie in answer.headers.get_list("set-cookie"):  # came over https: Secure
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Logget inn som siri (sekretær)" in words(client.get("/").text)

    # a form whose Origin is not the https address people use: refused, nothing done
    plain = client.post("/logout", headers={"origin": "http://brev.example.no"})
    assert plain.status_code == 403
    assert client.get("/").status_code == 200  # still logged in

    # another name pointed at the server (DNS rebinding, or a mistyped address): in words
    other = httpx.get(f"http://127.0.0.1:{server}/login", headers={"host": "evil.example"})
    assert other.status_code == 400
    assert other.text.startswith("Ukjent adresse: denne serveren svarer ikke på navnet ")


def test_failed_logins_are_slowed_per_visitor_not_for_everyone_behind_the_proxy(
    server: int,
) -> None:
    """Every request reaches the app from the proxy's 127.0.0.1: with --trust-proxy the
    visitor's own address (X-Forwarded-For) is the one counted, so a guesser is slowed and
    the union's other people are not."""
    guesser = browser(server, visitor="198.51.100.1")
    answers = [log_in(guesser, f"gjetning{n}", "ikke passordet 1234") for n in range(20)]
    assert {a.status_code for a in answers} == {400}
    # the next try comes within the wait (1 s, then 2, 4...: a slow machine meets one soon)
    for n in range(20, 26):
        slowed = log_in(guesser, f"gjetning{n}", "ikke passordet 1234")
        if slowed.status_code == 429:
            break
    assert slowed.status_code == 429
    assert re.search(r"vent \d+ sekunde?r? før du prøver igjen", words(slowed.text))
    colleague = browser(server, visitor="198.51.100.2")  # meanwhile, from elsewhere: in
    assert log_in(colleague, "siri", PASSWORDS["siri"][1]).status_code == 303


def test_a_day_on_the_union_server(
    server: int, required: Path, smtp_server, tmp_path: Path
) -> None:
    secretary = logged_in(server, "siri")
    page = secretary.get(f"/letters/{LETTER}").text
    saved = secretary.post(
        f"/letters/{LETTER}",
        data={**letter_form(page, subject="Handlingsplan nå"), "csrf_token": csrf_of(page)},
    )
    assert saved.status_code == 303, words(saved.text)
    refused = words(secretary.get(f"/letters/{LETTER}/send").text)
    assert "be et styremedlem se på det og godkjenne det" in refused

    board = logged_in(server, "bodil")
    assert "Denne revisjonen er godkjent" not in words(board.get(f"/letters/{LETTER}/review").text)
    status = approve(board, "Styremøtet 3. desember")
    assert "bodil (styremedlem) godkjente revisjon" in status
    review = words(board.get(f"/letters/{LETTER}/review").text)  # by whom, on the review too
    assert "Denne revisjonen er godkjent: bodil (styremedlem) godkjente revisjon" in review
    assert "(board)" not in status and "Styremøtet 3. desember" in status
    assert "bodil (styremedlem)" in words(secretary.get("/").text)  # the overview's Godkjent
    not_hers = board.get(f"/letters/{LETTER}/send")
    assert not_hers.status_code == 403
    assert "bodil (styremedlem) har ikke lov til dette: sende dette brevet" in words(not_hers.text)

    progress = send(secretary)
    assert "Ferdig." in progress
    for address in ("postmottak@smk.dep.no", "postmottak@hod.dep.no", "postmottak@jd.dep.no"):
        (message,) = smtp_server.handler.to(address)
        assert message.message["Subject"] == "Handlingsplan nå"
    status = words(secretary.get(f"/letters/{LETTER}/status").text)
    assert "Sendt til 3 av 3 mottakere" in status and "bodil (styremedlem) godkjente" in status

    # the club's contact: its own file and version, nothing of another's or the register
    club = logged_in(server, "berit")
    page = club.get("/clubs/bergen").text
    assert "Logget inn som berit (klubb bergen)" in words(page)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    saved = club.post(
        "/clubs/bergen",
        data={
            "csrf_token": csrf_of(page), "version": html.unescape(fields["version"]),
            "name": "Soroptimist International Bergen", "place": "Bergen", "language": "nn",
            "signatory": ["president"], "signatory-president-name": "Ingrid Haugland",
            "signatory-president-title": "Klubbpresident", "letter": [LETTER],
            f"append-{LETTER}": "Bergen-klubben stiller seg bak fråsegna.",
        },
    )  # fmt: skip
    assert saved.status_code == 303, words(saved.text)
    register = club.get("/recipients")
    assert register.status_code == 403
    assert "berit (klubb bergen) har ikke lov til dette" in words(register.text)
    assert "club:bergen" not in register.text
    status = approve(board, "Klubbens versjon", "?club=bergen")
    assert "bodil (styremedlem) godkjente revisjon" in status
    assert "Ferdig." in send(club, "?club=bergen")
    (message,) = smtp_server.handler.to("postmottak@bergen.kommune.no")
    (attachment,) = list(message.message.iter_attachments())
    letter = tmp_path / "bergen.pdf"
    letter.write_bytes(attachment.get_content())
    text = pdf_text(letter)  # the club's letter, with the paragraph its contact wrote
    assert "Bergen-klubben stiller seg bak fråsegna." in text and "Ingrid Haugland" in text

    # the trail: each of them, in the reader's words, on the command line and in the export
    trail = CliRunner().invoke(main, ["-w", str(required), "audit"], env={"LANG": "nb_NO.UTF-8"})
    text = " ".join(trail.stdout.split())
    for line in (
        "siri (sekretær) endret letters/menneskehandel-2024.yaml",
        "bodil (styremedlem) godkjente menneskehandel-2024, revisjon",
        "siri (sekretær) sendte menneskehandel-2024, revisjon",
        "berit (klubb bergen) endret clubs/bergen.yaml",
        "berit (klubb bergen) sendte menneskehandel-2024 (klubb bergen)",
    ):
        assert line in text, (line, text)
    exported = secretary.get(f"/letters/{LETTER}/audit.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert [(r["account"], r["role"], r["kind"]) for r in rows] == [
        ("siri", "secretary", "send"),
        ("bodil", "board", "approval"),
        ("siri", "secretary", "change"),
    ]
    assert Project.open(required).audit(LETTER)[0].counts == {"sent": 3}


def test_https_in_front_without_trust_proxy_is_named_in_the_refusal(required: Path) -> None:
    """The admin forgot --trust-proxy behind Caddy: the app sees plain HTTP while the browser's
    forms say https://brev.example.no. Every login is refused (the app cannot tell the form is
    its own), and the page says what to change instead of blaming an old page."""
    Project.open(required).add_user("siri", "secretary", PASSWORDS["siri"][1])
    app = create_app(required, token="t", port=None, public_hosts=public_hosts([PUBLIC]))
    client = TestClient(app, base_url="http://brev.example.no", follow_redirects=False)
    page = client.get("/login")
    form = {"csrf_token": csrf_of(page.text), "name": "siri", "password": PASSWORDS["siri"][1]}
    refused = client.post("/login", data=form, headers={"origin": PUBLIC})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    assert (
        "nettleseren din nådde appen over HTTPS (https://brev.example.no), men appen har ikke "
        "fått vite at en webserver som tar seg av HTTPS står foran den"
    ) in words(refused.text)
    assert "start den med --trust-proxy" in words(refused.text)
    # from another site it is the plain refusal, and over plain HTTP the login goes through
    elsewhere = client.post("/login", data=form, headers={"origin": "https://evil.example"})
    assert "--trust-proxy" not in elsewhere.text
    plain = client.post("/login", data=form, headers={"origin": "http://brev.example.no"})
    assert plain.status_code == 303

    # nginx without `proxy_set_header Host $host`: the app is asked for as 127.0.0.1
    nginx = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    page = nginx.get("/login")
    form["csrf_token"] = csrf_of(page.text)
    refused = nginx.post("/login", data=form, headers={"origin": PUBLIC})
    assert refused.status_code == 403
    assert (
        "nettleseren din nådde appen som https://brev.example.no, men webserveren foran den "
        "sendte forespørselen videre som 127.0.0.1"
    ) in words(refused.text)
    assert "proxy_set_header Host $host;" in words(refused.text)
