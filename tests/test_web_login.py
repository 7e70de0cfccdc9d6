"""Getting in and out of a union's server (DESIGN.md, "The web app" and "Accounts and roles"):
the login page, logging out, the users page, one's own password, the cookies, and the switch
from the token link to logins when the first account is made. In-process through Starlette's
TestClient, as a browser would send it; the cookies behind a proxy and ``serve`` itself
against the real server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from lettersmith.app import accounts
from lettersmith.app.access import Account
from lettersmith.app.project import Project
from lettersmith.web.app import create_app
from webapp import (
    TOKEN,
    client,
    csrf_of,
    free_port,
    log_in,
    logged_in,
    logged_in_as,
    serving,
)
from workspaces import REPO, copy_example

PASSWORDS = {
    "anne": "anne sitt passord",
    "siri": "siri sitt passord",
    "bodil": "bodil sitt passord",
    "berit": "berit sitt passord",
}
ROLES = {"anne": "admin", "siri": "secretary", "bodil": "board", "berit": "club:bergen"}
WRONG = "Feil navn eller passord."


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


@pytest.fixture(scope="module")
def union_made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example workspace with an account of each role, made once (each password's hash
    takes a tenth of a second or more, on purpose)."""
    root = copy_example(tmp_path_factory.mktemp("union") / "ws")
    project = Project.open(root)
    for name, role in ROLES.items():
        project.add_user(name, role, PASSWORDS[name])
    return root


@pytest.fixture
def union(union_made: Path, tmp_path: Path) -> Path:
    """A copy of it for one test (its accounts, sessions and failed logins its own)."""
    return Path(shutil.copytree(union_made, tmp_path / "union"))


@pytest.fixture
def app(union: Path):
    return create_app(union, token=TOKEN)


def as_(app, name: str):
    return logged_in_as(app, name, PASSWORDS[name])


def cookie_of(answer: httpx.Response, name: str = "lettersmith-8400") -> str:
    """The Set-Cookie line for ``name`` in an answer."""
    lines = [line for line in answer.headers.get_list("set-cookie") if line.startswith(name + "=")]
    assert len(lines) == 1, answer.headers.get_list("set-cookie")
    return lines[0]


# --------------------------------------------------------------------------- in and out


def test_a_board_member_logs_in_sees_their_name_and_logs_out(app) -> None:
    browser = client(app)
    answer = browser.get("/letters/menneskehandel-2024/status")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fletters%2Fmenneskehandel-2024%2Fstatus"

    form = browser.get("/login")
    assert form.status_code == 200
    assert "<h1>Logg inn</h1>" in form.text
    assert '<label for="login-name">Navn</label>' in form.text
    assert '<label for="login-password">Passord</label>' in form.text
    assert "Logg ut" not in form.text and "Hovedmeny" not in form.text
    assert "script-src 'self'" in form.headers["content-security-policy"]

    answer = log_in(
        browser, "bodil", PASSWORDS["bodil"], next="/letters/menneskehandel-2024/status"
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/letters/menneskehandel-2024/status"
    cookie = cookie_of(answer)
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie

    page = browser.get("/")
    assert page.status_code == 200 and "<h1>Brev</h1>" in page.text
    assert "Logget inn som bodil" in page.text
    assert '<button type="submit">Logg ut</button>' in page.text
    assert 'href="/users"' not in page.text  # a board member manages no accounts

    answer = browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert "Max-Age=0" in cookie_of(answer)
    assert browser.get("/").status_code == 303


def test_login_goes_on_only_to_a_path_of_this_server(app) -> None:
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "evil"):
        answer = log_in(client(app), "siri", PASSWORDS["siri"], next=elsewhere)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/", elsewhere


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(app) -> None:
    wrong = log_in(client(app), "siri", "not her password at all")
    unknown = log_in(client(app), "nobody", "not her password at all")
    for answer in (wrong, unknown):
        assert answer.status_code == 400
        assert WRONG in answer.text
        cookies = answer.headers.get_list("set-cookie")
        assert not any(line.startswith("lettersmith-8400=") for line in cookies)  # no session

    def page(answer: httpx.Response, name: str) -> str:
        text = answer.text.replace(f'value="{name}"', 'value=""')
        return re.sub(r'name="csrf_token" value="[^"]+"', "", text)

    assert page(wrong, "siri") == page(unknown, "nobody")


def test_guessing_one_accounts_password_is_slowed_down(app) -> None:
    browser = client(app)
    for _ in range(accounts.FREE_TRIES_PER_NAME):
        assert log_in(browser, "siri", "a wrong guess 123").status_code == 400
    answer = log_in(browser, "siri", "a wrong guess 123")
    assert answer.status_code == 429
    wait = int(answer.headers["retry-after"])
    assert wait >= 1
    assert f"Feil navn eller passord for mange ganger: vent {wait} sekund" in answer.text
    # Even the right password waits now, from any address: the name is what is slowed.
    other = client(app, address="203.0.113.9")
    assert log_in(other, "siri", PASSWORDS["siri"]).status_code == 429


def test_guessing_many_names_from_one_address_is_slowed_down(app, monkeypatch) -> None:
    monkeypatch.setattr(accounts, "FREE_TRIES_PER_ADDRESS", 3)
    guesser = client(app, address="198.51.100.7")
    for name in ("a1", "a2", "a3"):
        assert log_in(guesser, name, "a wrong guess 123").status_code == 400
    answer = log_in(guesser, "a4", "a wrong guess 123")
    assert answer.status_code == 429 and "vent" in answer.text
    assert log_in(guesser, "bodil", PASSWORDS["bodil"]).status_code == 429  # that address waits
    assert log_in(client(app), "bodil", PASSWORDS["bodil"]).status_code == 303  # others do not


# --------------------------------------------------------------------------- attacks


def test_a_cookie_set_before_login_is_not_the_session_after(app) -> None:
    browser = client(app)
    browser.cookies.set("lettersmith-8400", "planted-by-someone-else")
    answer = log_in(browser, "siri", PASSWORDS["siri"])
    session = cookie_of(answer).split(";")[0].split("=", 1)[1]
    assert session != "planted-by-someone-else"

    # Logging in again (another account, same browser) ends the session it had.
    again = log_in(browser, "bodil", PASSWORDS["bodil"])
    assert cookie_of(again).split(";")[0].split("=", 1)[1] != session
    thief = client(app)
    thief.cookies.set("lettersmith-8400", session)
    assert thief.get("/").status_code == 303


def test_a_stolen_cookie_is_useless_after_logout(app) -> None:
    browser = as_(app, "siri")
    stolen = browser.cookies["lettersmith-8400"]
    thief = client(app)
    thief.cookies.set("lettersmith-8400", stolen)
    assert thief.get("/").status_code == 200
    browser.post("/logout", data={"csrf_token": csrf_of(browser.get("/").text)})
    answer = thief.get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert thief.post("/language", data={"language": "en"}).status_code == 403


def test_a_stolen_cookie_is_useless_after_a_password_change(app) -> None:
    browser = as_(app, "siri")
    elsewhere = as_(app, "siri")  # her other computer
    thief = client(app)
    thief.cookies.set("lettersmith-8400", browser.cookies["lettersmith-8400"])
    assert thief.get("/").status_code == 200

    form = browser.get("/password")
    assert '<label for="current-password">Passordet ditt nå</label>' in form.text
    new = "siri sitt nye passord"
    data = {"csrf_token": csrf_of(form.text), "current": PASSWORDS["siri"]}
    answer = browser.post("/password", data={**data, "password": new, "password_again": new})
    assert answer.status_code == 200, answer.text
    assert "Passordet ditt er byttet" in answer.text
    assert "Secure" not in cookie_of(answer)  # this browser goes on, with a new session

    assert browser.get("/").status_code == 200
    assert thief.get("/").status_code == 303
    assert elsewhere.get("/").status_code == 303
    assert log_in(client(app), "siri", PASSWORDS["siri"]).status_code == 400
    assert log_in(client(app), "siri", new).status_code == 303


def test_changing_ones_password_needs_the_current_one_and_the_new_twice(app) -> None:
    browser = as_(app, "bodil")
    token = csrf_of(browser.get("/password").text)
    new = "bodil sitt nye passord"
    typo = browser.post(
        "/password",
        data={"csrf_token": token, "current": PASSWORDS["bodil"], "password": new,
              "password_again": new + "x"},
    )  # fmt: skip
    assert typo.status_code == 400 and "De to passordene er ikke like" in typo.text
    wrong = browser.post(
        "/password",
        data={"csrf_token": token, "current": "not the one", "password": new,
              "password_again": new},
    )  # fmt: skip
    assert wrong.status_code == 400
    assert log_in(client(app), "bodil", PASSWORDS["bodil"]).status_code == 303  # unchanged


def test_a_login_sent_from_another_site_is_refused(app) -> None:
    browser = client(app)
    token = csrf_of(browser.get("/login").text)
    form = {"csrf_token": token, "name": "siri", "password": PASSWORDS["siri"]}
    for headers in (
        {"origin": "http://evil.example"},
        {"sec-fetch-site": "cross-site"},
        {"referer": "http://evil.example/login.html"},
    ):
        answer = browser.post("/login", data=form, headers=headers)
        assert answer.status_code == 403, headers
        cookies = answer.headers.get_list("set-cookie")
        assert not any(line.startswith("lettersmith-8400=") for line in cookies)
    # Without the login page's cookie (a form on another site has none), or without its token.
    stranger = client(app)
    assert stranger.post("/login", data=form).status_code == 403
    assert "lettersmith-8400=" not in str(stranger.cookies)
    no_token = {"name": "siri", "password": PASSWORDS["siri"]}
    assert browser.post("/login", data=no_token).status_code == 403
    assert browser.post("/login", data=form).status_code == 303  # the page's own form


def test_a_login_form_opened_before_a_restart_is_shown_again(app, union: Path) -> None:
    browser = client(app)
    form = browser.get("/login")
    restarted = create_app(union, token=TOKEN)
    after = client(restarted)
    after.cookies = browser.cookies
    data = {"csrf_token": csrf_of(form.text), "name": "siri", "password": PASSWORDS["siri"]}
    answer = after.post("/login", data=data)
    assert answer.status_code == 403
    assert "Innloggingsskjemaet var gammelt" in answer.text and "<h1>Logg inn</h1>" in answer.text
    assert not any(
        line.startswith("lettersmith-8400=") for line in answer.headers.get_list("set-cookie")
    )
    again = after.post("/login", data={**data, "csrf_token": csrf_of(answer.text)})
    assert again.status_code == 303


def test_without_a_session_a_form_is_refused_and_static_files_need_none(app) -> None:
    browser = client(app)
    answer = browser.post("/letters/menneskehandel-2024/approve", data={"note": "x"})
    assert answer.status_code == 403
    assert "du er ikke logget inn" in answer.text
    assert browser.get("/static/app.css").status_code == 200
    assert browser.get("/static/htmx.min.js").status_code == 200
    assert browser.get("/static/nothing.js").status_code == 404


def test_the_host_names_of_a_union_are_accepted_and_no_other(union: Path) -> None:
    app = create_app(union, token=TOKEN, public_hosts=frozenset({"brev.example.no"}))
    browser = client(app)
    assert browser.get("/login", headers={"host": "brev.example.no"}).status_code == 200
    assert browser.get("/login", headers={"host": "evil.example"}).status_code == 400
    assert (
        browser.get("/login", headers={"host": "brev.example.no.evil.example"}).status_code == 400
    )


# --------------------------------------------------------------------------- the switch


def test_the_token_link_stops_working_once_an_account_exists(root: Path) -> None:
    app = create_app(root, token=TOKEN, public_hosts=frozenset({"brev.example.no"}))
    browser = logged_in(app)
    page = browser.get("/")
    assert page.status_code == 200
    assert "Logg ut" not in page.text  # the token link's session has no account
    assert 'href="/users"' in page.text  # the person at the computer may make the first one
    # No public name while there are no accounts: that way lies no login at all.
    assert client(app).get("/", headers={"host": "brev.example.no"}).status_code == 400

    users = browser.get("/users")
    assert "Ingen kontoer ennå" in users.text
    answer = browser.post(
        "/users",
        data={"csrf_token": csrf_of(users.text), "name": "anne", "role": "admin",
              "password": PASSWORDS["anne"], "password_again": PASSWORDS["anne"]},
    )  # fmt: skip
    assert answer.status_code == 303

    # At once: the token link's session and the link itself get nobody in.
    assert browser.get("/").status_code == 303
    again = client(app).get(f"/?token={TOKEN}")
    assert again.status_code == 303 and again.headers["location"] == "/login?next=%2F"
    assert "set-cookie" not in again.headers
    assert log_in(client(app), "anne", PASSWORDS["anne"]).status_code == 303


def test_a_session_of_an_account_survives_a_restart_with_its_language(app, union: Path) -> None:
    browser = as_(app, "berit")
    token = csrf_of(browser.get("/").text)
    assert (
        browser.post("/language", data={"language": "en", "csrf_token": token}).status_code == 303
    )
    restarted = create_app(union, token="another-token-0123456789")
    after = client(restarted)
    after.cookies.set("lettersmith-8400", browser.cookies["lettersmith-8400"])
    page = after.get("/")
    assert page.status_code == 200 and "<h1>Letters</h1>" in page.text
    assert "Logged in as berit" in page.text


def test_the_guards_sessions_are_the_engines_once_accounts_exist(app, union: Path) -> None:
    """``app.state.sessions``, as the guard and other tests use it: a session started for an
    account is the engine's stored one, found with its account, CSRF token and language."""
    bodil = Account("bodil", "board")
    session_id, session = app.state.sessions.start(bodil)
    stored = Project.open(union).find_session(session_id)
    assert stored is not None and stored.account == bodil and stored.csrf == session.csrf
    found = app.state.sessions.find(session_id)
    assert found is not None and found.account == bodil and found.csrf == session.csrf
    app.state.sessions.end(session_id)
    assert Project.open(union).find_session(session_id) is None


# --------------------------------------------------------------------------- /users


def test_only_an_admin_manages_the_accounts(app) -> None:
    for name in ("siri", "bodil", "berit"):
        browser = as_(app, name)
        token = csrf_of(browser.get("/").text)
        assert 'href="/users"' not in browser.get("/").text
        assert browser.get("/users").status_code == 403, name
        assert browser.get("/users/remove?name=anne").status_code == 403, name
        assert browser.get("/users/password?name=anne").status_code == 403, name
        data = {"csrf_token": token, "name": name, "role": "admin", "password": "x" * 12,
                "password_again": "x" * 12}  # fmt: skip
        for path in ("/users", "/users/remove", "/users/password"):
            answer = browser.post(path, data=data)
            assert answer.status_code == 403, (name, path)
            assert "administrere kontoer" in answer.text
    assert [a.role for a in Project.open(app.state.project.root).users()] == [
        "admin", "club:bergen", "board", "secretary"
    ]  # fmt: skip


def test_an_admin_adds_resets_and_removes_accounts(app) -> None:
    admin = as_(app, "anne")
    page = admin.get("/users")
    assert page.status_code == 200
    assert '<th scope="row">bodil</th>' in page.text
    assert "Styremedlem: ser alt, godkjenner brev" in page.text
    assert '<option value="club:bergen">Klubben' in page.text
    assert '<label for="user-name">Navn</label>' in page.text
    assert '<label for="new-password-again">Det nye passordet en gang til</label>' in page.text
    token = csrf_of(page.text)

    new = {"csrf_token": token, "name": "kari", "role": "club:bergen",
           "password": "karis passord 1", "password_again": "karis passord 1"}  # fmt: skip
    typo = admin.post("/users", data={**new, "password_again": "karis passord 2"})
    assert typo.status_code == 400 and "De to passordene er ikke like" in typo.text
    assert 'value="kari"' in typo.text  # what was typed stays (not the passwords)
    short = admin.post("/users", data={**new, "password": "kort", "password_again": "kort"})
    assert short.status_code == 400 and "passordet er for kort" in short.text
    added = admin.post("/users", data=new)
    assert added.status_code == 303
    assert "kari kan nå logge inn." in admin.get(added.headers["location"]).text
    assert "kan nå logge inn" not in admin.get("/users?done=added&name=mallory").text
    kari = logged_in_as(app, "kari", "karis passord 1")
    assert "Logget inn som kari" in kari.get("/").text

    # A new password for kari: her sessions end; she logs in with the new one.
    form = admin.get("/users/password?name=kari")
    assert '<label for="new-password">Nytt passord</label>' in form.text
    reset = admin.post(
        "/users/password",
        data={"csrf_token": token, "name": "kari", "password": "nytt passord 22",
              "password_again": "nytt passord 22"},
    )  # fmt: skip
    assert reset.status_code == 303
    assert kari.get("/").status_code == 303
    kari = logged_in_as(app, "kari", "nytt passord 22")

    # Removed: asked first, then her sessions end and she cannot log in.
    confirm = admin.get("/users/remove?name=kari")
    assert "<h1>Fjern kari</h1>" in confirm.text
    removed = admin.post("/users/remove", data={"csrf_token": token, "name": "kari"})
    assert removed.status_code == 303
    assert "kari er fjernet" in admin.get(removed.headers["location"]).text
    assert kari.get("/").status_code == 303
    assert log_in(client(app), "kari", "nytt passord 22").status_code == 400
    assert admin.get("/users/remove?name=kari").status_code == 404


# --------------------------------------------------------------------------- the real server


def test_the_cookie_is_secure_behind_a_trusted_proxy_that_says_https(union: Path) -> None:
    """As the proxy passes it on: the browser spoke https to the proxy, which says so. (The
    cookies are sent by hand: httpx, rightly, sends no Secure cookie over plain http.)"""
    with serving(union, trust_proxy="127.0.0.1") as server:
        forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.5"}
        own = {"origin": f"https://127.0.0.1:{server.port}"}
        with httpx.Client(base_url=server.base, headers=forwarded) as proxy:
            form = proxy.get("/login")
            login_cookie = cookie_of(form, f"lettersmith-{server.port}-login")
            assert "Secure" in login_cookie and "HttpOnly" in login_cookie
            answer = proxy.post(
                "/login",
                data={"csrf_token": csrf_of(form.text), "name": "siri",
                      "password": PASSWORDS["siri"]},
                headers={**own, "cookie": login_cookie.split(";")[0]},
            )  # fmt: skip
            assert answer.status_code == 303, answer.text
            session_cookie = cookie_of(answer, f"lettersmith-{server.port}")
            assert "Secure" in session_cookie and "SameSite=Strict" in session_cookie
            cookie = {"cookie": session_cookie.split(";")[0]}
            # The browser's own origin over https is this server; over http it is not.
            page = proxy.get("/", headers=cookie)
            assert page.status_code == 200
            data = {"csrf_token": csrf_of(page.text), "language": "en"}
            assert proxy.post("/language", data=data, headers={**own, **cookie}).status_code == 303
            plain = {"origin": f"http://127.0.0.1:{server.port}"}
            assert (
                proxy.post("/language", data=data, headers={**plain, **cookie}).status_code == 403
            )


def test_forwarded_headers_are_ignored_without_trust_proxy(union: Path) -> None:
    with serving(union) as server:
        forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.5"}
        with httpx.Client(base_url=server.base, headers=forwarded) as browser:
            form = browser.get("/login")
            data = {"csrf_token": csrf_of(form.text), "name": "siri",
                    "password": PASSWORDS["siri"]}  # fmt: skip
            https = {"origin": f"https://127.0.0.1:{server.port}"}
            assert browser.post("/login", data=data, headers=https).status_code == 403
            answer = browser.post("/login", data=data)
            assert answer.status_code == 303
            assert "Secure" not in cookie_of(answer, f"lettersmith-{server.port}")


def test_the_address_slowed_down_is_the_proxys_client_only_with_trust_proxy(
    union: Path, monkeypatch
) -> None:
    monkeypatch.setattr(accounts, "FREE_TRIES_PER_ADDRESS", 2)

    def tries(server, address: str, names: list[str]) -> list[int]:
        with httpx.Client(base_url=server.base, headers={"x-forwarded-for": address}) as b:
            token = csrf_of(b.get("/login").text)
            return [
                b.post("/login", data={"csrf_token": token, "name": name,
                                       "password": "a wrong guess 123"}).status_code
                for name in names
            ]  # fmt: skip

    with serving(union, trust_proxy="127.0.0.1") as server:
        assert tries(server, "203.0.113.5", ["g1", "g2", "g3"]) == [400, 400, 429]
        assert tries(server, "203.0.113.6", ["g4"]) == [400]  # another client behind the proxy
    with serving(union) as server:  # without the option: every try is from 127.0.0.1
        assert tries(server, "203.0.113.7", ["g5", "g6"]) == [400, 400]
        assert tries(server, "203.0.113.8", ["g7"]) == [429]


def lettersmith(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "lettersmith", *args],
        capture_output=True, text=True, env=env, timeout=60, **kwargs,
    )  # fmt: skip


def test_serve_beyond_this_computer_needs_an_admin_account(root: Path) -> None:
    for option in (["--host", "0.0.0.0"], ["--public-url", "https://brev.example.no"],
                   ["--trust-proxy"]):  # fmt: skip
        done = lettersmith("-w", str(root), "serve", "--no-browser", *option)
        assert done.returncode == 1, done.stderr
        assert "lettersmith users add NAME --role admin" in done.stderr
        assert done.stdout == "" and "Traceback" not in done.stderr
    Project.open(root).add_user("siri", "secretary", PASSWORDS["siri"])
    done = lettersmith("-w", str(root), "serve", "--no-browser", "--host", "0.0.0.0")
    assert done.returncode == 1 and "no admin account" in done.stderr  # a secretary is not one


def test_serve_with_an_admin_listens_beyond_and_prints_the_login_page(union: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(union), "serve", "--host", "0.0.0.0",
         "--port", str(port), "--public-url", "https://brev.example.no", "--trust-proxy"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        assert first == f"Open http://0.0.0.0:{port}/login\n"
        assert second == "Open https://brev.example.no/login\n"
        answer = _wait_for(f"http://127.0.0.1:{port}/login")
        assert answer.status_code == 200 and "<h1>Logg inn</h1>" in answer.text
        public = httpx.get(f"http://127.0.0.1:{port}/login", headers={"host": "brev.example.no"})
        assert public.status_code == 200
        rebound = httpx.get(f"http://127.0.0.1:{port}/login", headers={"host": "evil.example"})
        assert rebound.status_code == 400
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert "Traceback" not in err


def test_serve_refuses_a_public_url_that_is_not_one(union: Path) -> None:
    for url in ("brev.example.no", "https://brev.example.no/lettersmith", "ftp://x.example"):
        done = lettersmith("-w", str(union), "serve", "--no-browser", "--public-url", url)
        assert done.returncode == 2, done.stderr
        assert "--public-url https://brev.example.no" in done.stderr
    done = lettersmith("-w", str(union), "serve", "--no-browser", "--trust-proxy", "proxy.lan")
    assert done.returncode == 2 and "not an IP address" in done.stderr


def _wait_for(url: str) -> httpx.Response:
    import time

    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(url)
        except httpx.ConnectError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)


# --------------------------------------------------------------------------- in Chromium


def test_a_board_member_logs_in_and_out_in_the_browser(union: Path) -> None:
    from playwright.sync_api import expect

    from webapp import PageChecks, chromium

    with serving(union) as server, chromium() as browser:
        page = browser.new_context(locale="nb-NO").new_page()
        checks = PageChecks(page)

        page.goto(server.base + "/letters/menneskehandel-2024/status")
        expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")
        checks.check("login-01-form")
        assert every_violation(checks) == []

        page.get_by_label("Navn").fill("bodil")
        page.get_by_label("Passord").fill("not her password")
        page.get_by_role("button", name="Logg inn").click()
        expect(page.get_by_role("alert")).to_have_text("Feil navn eller passord.")
        checks.check("login-02-wrong")

        page.get_by_label("Passord").fill(PASSWORDS["bodil"])
        page.get_by_role("button", name="Logg inn").click()
        assert page.url == server.base + "/letters/menneskehandel-2024/status"
        header = page.get_by_role("banner")
        expect(header).to_contain_text("Logget inn som bodil")
        expect(header.get_by_role("button", name="Logg ut")).to_be_visible()
        expect(header.get_by_role("link", name="Brukere")).to_have_count(0)

        header.get_by_role("button", name="Logg ut").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")
        page.goto(server.base + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Logg inn")

        # The admin's users page, typed into as a person does.
        page.get_by_label("Navn").fill("anne")
        page.get_by_label("Passord").fill(PASSWORDS["anne"])
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Brev")
        page.get_by_role("banner").get_by_role("link", name="Brukere").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Brukere")
        expect(page.get_by_role("table")).to_contain_text("Klubben")
        checks.check("login-03-users")
        assert every_violation(checks) == []
        assert checks.blocked == []


def every_violation(checks) -> list[str]:
    """axe-core's violations of any impact (PageChecks fails on serious and critical ones)."""
    results = checks.axe.run(checks.page)
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in results.response["violations"]]
