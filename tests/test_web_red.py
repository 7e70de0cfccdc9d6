"""The web app attacked as an adversary would, each attack a test: a session fixed or kept
forever, a form posted from another site, a rebound host name, a link planted in out/, a body
that never ends, markup in what the engine echoes, an error that would show a traceback.

Where the transport matters (a slow body, the Host header as sent) the attack goes to the real
server (uvicorn) over a socket; the rest through Starlette's TestClient."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest
from starlette.routing import Mount, Route

from lettersmith.app.project import Project
from lettersmith.web import security
from lettersmith.web.app import create_app
from webapp import TOKEN, client, csrf_of, logged_in, serving
from workspaces import copy_example

LETTER = "menneskehandel-2024"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


@pytest.fixture
def app(root: Path):
    app = create_app(root, token=TOKEN)
    yield app
    app.state.jobs.wait(60)


@pytest.fixture
def mail_app(mail_workspace: Path):
    app = create_app(mail_workspace, token=TOKEN)
    yield app
    app.state.jobs.wait(60)


def session_id(answer) -> str:
    found = re.match(r"lettersmith-8400=([^;]+);", answer.headers["set-cookie"])
    assert found, answer.headers["set-cookie"]
    return found.group(1)


# --------------------------------------------------------------------------- session


def test_a_cookie_planted_before_the_link_is_not_the_session(app) -> None:
    """Session fixation: whatever cookie the browser held, the token link gives a new id,
    and a second browser on the same computer gets one of its own."""
    first = client(app)
    first.cookies.set("lettersmith-8400", "planted-by-someone")
    answer = first.get(f"/?token={TOKEN}")
    assert answer.status_code == 303
    fresh = session_id(answer)
    assert fresh != "planted-by-someone" and len(fresh) >= 32
    second = client(app).get(f"/?token={TOKEN}")
    assert session_id(second) != fresh


def test_a_session_left_idle_expires(app) -> None:
    """A browser left unused longer than SESSION_IDLE is logged out (the gate again)."""
    now = [1000.0]
    app.state.sessions.clock = lambda: now[0]
    browser = logged_in(app)
    assert browser.get("/").status_code == 200
    now[0] += security.SESSION_IDLE - 60
    assert browser.get("/").status_code == 200  # in use: kept
    now[0] += security.SESSION_IDLE - 60
    assert browser.get("/").status_code == 200  # idle time counts from the last request
    now[0] += security.SESSION_IDLE + 1
    answer = browser.get("/")
    assert answer.status_code == 403 and "Slik kommer du inn" in answer.text


def test_a_session_of_one_server_does_not_open_another(root: Path, tmp_path: Path) -> None:
    """Two servers (two ports, or one restarted): a cookie of one is nothing to the other."""
    first = create_app(root, token=TOKEN)
    other = create_app(copy_example(tmp_path / "other"), token=TOKEN)
    cookie = session_id(client(first).get(f"/?token={TOKEN}"))
    stranger = client(other)
    stranger.cookies.set("lettersmith-8400", cookie)
    assert stranger.get("/").status_code == 403


def test_the_token_is_in_no_log_line_and_no_page(root: Path, capfd) -> None:
    """The server as ``serve`` configures it, even at its most talkative: no line it prints
    holds the token (an access log would print the link's query string); no page holds it;
    the answer to the link tells the browser to send no Referer."""
    import httpx

    with serving(root, log_level="debug") as server:
        login = httpx.get(server.link, follow_redirects=False)
        assert login.headers["location"] == "/"
        assert login.headers["referrer-policy"] == "same-origin"
        cookie = login.headers["set-cookie"].split(";")[0]
        pages = [
            httpx.get(f"{server.base}{path}", headers={"cookie": cookie}).text
            for path in ("/", f"/letters/{LETTER}/status", "/nothing")
        ]
        httpx.get(f"{server.base}/?token=wrong")
        assert "server" not in {name.lower() for name in login.headers}
    printed = capfd.readouterr()
    assert TOKEN not in printed.out + printed.err
    assert all(TOKEN not in page for page in pages)


# --------------------------------------------------------------------------- CSRF


def test_a_form_posted_from_another_site_is_refused_even_with_its_token(app) -> None:
    """The second guard: a POST whose Origin is not this server, or that the browser marks
    cross-site (Sec-Fetch-Site), is refused even with the right cookie and token."""
    browser = logged_in(app)
    token = csrf_of(browser.get("/").text)
    form = {"csrf_token": token, "language": "en"}
    for headers in (
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1:9999"},
        {"origin": "http://127.0.0.1.evil.example:8400"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},  # another port on this computer
        {"referer": "http://evil.example/form.html"},
    ):
        answer = browser.post("/language", data=form, headers=headers)
        assert answer.status_code == 403, headers
        assert "Dette skjemaet ble avvist" in answer.text  # in words, in the session's language
    assert "<h1>Brev</h1>" in browser.get("/").text  # the language did not change
    for headers in (
        {"origin": "http://127.0.0.1:8400", "sec-fetch-site": "same-origin"},
        {"referer": "http://127.0.0.1:8400/letters/x/review"},
        {},  # an old browser, or a tool: the cookie and the token still hold
    ):
        assert browser.post("/language", data=form, headers=headers).status_code == 303, headers
    by_name = {"host": "localhost:8400", "origin": "http://localhost:8400"}
    assert browser.post("/language", data=form, headers=by_name).status_code == 303


def test_a_token_from_another_session_is_refused(app) -> None:
    mine, theirs = logged_in(app), logged_in(app)
    their_token = csrf_of(theirs.get("/").text)
    answer = mine.post("/language", data={"csrf_token": their_token, "language": "en"})
    assert answer.status_code == 403


def every_route(app) -> list[tuple[str, set[str]]]:
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            found.append((route.path, set(route.methods or ())))
        elif isinstance(route, Mount):
            found.append((route.path, {"GET"}))
    return found


def test_no_get_changes_anything_but_out(app, root: Path) -> None:
    """Every route answering GET, with a real letter and club, leaves the workspace and the
    journal as they were (out/ may gain a review's pictures: made again at will); every
    route that changes something is POST only."""
    browser = logged_in(app)
    sources = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "out" not in path.relative_to(root).parts[:1]
    }
    ids = {"letter": LETTER, "club": "bergen", "position": LETTER, "recipient": "smk"}
    gets = 0
    for path, methods in every_route(app):
        assert not ({"PUT", "PATCH", "DELETE"} & methods), path
        if "GET" not in methods or path == "/static":
            continue
        urls = [re.sub(r"\{number:int\}", "0", path)]
        for name, value in ids.items():
            urls = [url.replace(f"{{{name}:id}}", value) for url in urls]
        urls = [u.replace("{kind:str}", kind) for u in urls for kind in ("csv", "xlsx", "x")]
        for url in dict.fromkeys(urls):
            assert "{" not in url, f"a route this test does not fill: {url}"
            for query in ("", "?club=bergen"):
                answer = browser.get(url + query)
                assert answer.status_code in (200, 400, 404, 303), (url + query, answer.status_code)
                if answer.status_code == 303:  # /login, /password: no accounts, back to the app
                    assert answer.headers["location"] == "/", url
                gets += 1
    assert gets > 20
    after = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "out" not in path.relative_to(root).parts[:1]
    }
    assert after == sources


# --------------------------------------------------------------------------- Host


def raw(port: int, request: bytes, timeout: float = 30) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(request)
        return connection.recv(65536).decode("latin-1")


def test_rebound_or_odd_host_names_are_refused(app) -> None:
    browser = logged_in(app)
    for host in (
        "127.0.0.1.evil.example:8400",
        "localhost.:8400",
        "127.0.0.1.:8400",
        "[0:0:0:0:0:0:0:1]:8400",
        "[::ffff:127.0.0.1]:8400",
        "2130706433:8400",
        "127.1:8400",
        "LOCALHOST.evil:8400",
        "127.0.0.1:8400@evil.example",
        "",
    ):
        assert browser.get("/", headers={"host": host}).status_code == 400, host
    assert browser.get("/", headers={"host": "[::1]:8400"}).status_code == 200
    assert browser.get("/", headers={"host": "LocalHost:8400"}).status_code == 200
    forwarded = {"host": "evil.example", "x-forwarded-host": "127.0.0.1:8400"}
    assert browser.get("/", headers=forwarded).status_code == 400


def test_a_request_without_host_or_a_forwarded_host_is_refused(root: Path) -> None:
    """Over the socket: HTTP/1.0 with no Host at all, and X-Forwarded-* are not believed."""
    with serving(root) as server:
        answer = raw(server.port, b"GET / HTTP/1.0\r\n\r\n")
        assert answer.split(" ")[1] == "400", answer[:200]
        answer = raw(
            server.port,
            b"GET / HTTP/1.1\r\nHost: evil.example\r\n"
            + f"X-Forwarded-Host: 127.0.0.1:{server.port}\r\n".encode()
            + b"X-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n",
        )
        assert answer.split(" ")[1] == "400", answer[:200]


# --------------------------------------------------------------------------- paths


def test_odd_ids_match_no_route(root: Path) -> None:
    """Over the socket, as sent: NUL, backslashes, look-alike dashes and letters, a very long
    id, a club's id where a letter's goes."""
    with serving(root) as server:
        cookie = httpx_cookie(server)
        for path in (
            f"/letters/{LETTER}%00/review",
            f"/letters/{LETTER}%5c..%5c..%5cetc/status",
            "/letters/..%5c..%5cetc/status",
            "/letters/menneskehandel\u20102024/status".encode("utf-8").decode("latin-1"),
            "/letters/menneskehandel%E2%80%902024/status",  # U+2010, a hyphen that is not '-'
            "/letters/%EF%BD%8Denneskehandel-2024/status",  # a fullwidth m
            "/letters/" + "a" * 5000 + "/status",
            "/letters/bergen/status",  # a club, not a letter
            f"/letters/{LETTER}/status?club={LETTER}",  # a letter, not a club
            f"/letters/{LETTER}/status?club=bergen%00",
            f"/letters/{LETTER}/review/files/99999999999999999999999",
        ):
            request = (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {cookie}\r\nConnection: close\r\n\r\n"
            )
            answer = raw(server.port, request.encode("latin-1"))
            assert answer.split(" ")[1] in ("400", "404"), (path[:80], answer[:100])


def httpx_cookie(server) -> str:
    import httpx

    answer = httpx.get(server.link, follow_redirects=False)
    assert answer.status_code == 303
    return answer.headers["set-cookie"].split(";")[0]


def test_a_link_planted_in_the_review_is_not_followed(app, root: Path, tmp_path: Path) -> None:
    """The review's pictures and files are served from out/; one replaced by a link to a
    file elsewhere (or by a folder link) is refused, never read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret in another folder", encoding="utf-8")
    browser = logged_in(app)
    page = browser.get(f"/letters/{LETTER}/review").text
    numbers = sorted({int(n) for n in re.findall(r"/review/files/(\d+)", page)})
    assert numbers, "the review lists no file"
    first = browser.get(f"/letters/{LETTER}/review/files/{numbers[0]}")
    assert first.status_code == 200
    made = [p for p in (root / "out").rglob("*") if p.is_file() and p.read_bytes() == first.content]
    assert made, "the served file is not in out/"
    made[0].unlink()
    made[0].symlink_to(secret)
    answer = browser.get(f"/letters/{LETTER}/review/files/{numbers[0]}")
    assert "the secret" not in answer.text
    assert answer.status_code in (400, 404)


# --------------------------------------------------------------------------- bodies


def test_a_body_that_stops_coming_is_answered_and_dropped(root: Path, monkeypatch) -> None:
    """Slowloris: a POST that promises 1000 bytes and sends 10 gets 408 once no byte came for
    BODY_TIMEOUT seconds, instead of holding a connection of the server for ever."""
    monkeypatch.setattr(security, "BODY_TIMEOUT", 1.0)
    with serving(root) as server:
        cookie = httpx_cookie(server)
        head = (
            "POST /language HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            f"Cookie: {cookie}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000\r\n\r\n"
        )
        answer = raw(server.port, head.encode() + b"language=e", timeout=30)
        assert answer.startswith("HTTP/1.1 408"), answer[:200]
        assert "content-security-policy" in answer.lower()


def test_a_form_of_10000_fields_or_a_huge_name_is_refused_in_words(app) -> None:
    browser = logged_in(app)
    token = csrf_of(browser.get("/").text)
    boundary = "zz"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}']
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nx'
        for n in range(10000)
    ]
    many = ("\r\n".join(parts) + f"\r\n--{boundary}--\r\n").encode()
    name = "n" * (9 * 1024 * 1024)
    huge = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\nx\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    kind = {"content-type": f"multipart/form-data; boundary={boundary}"}
    for body in (many, huge):
        answer = browser.post(f"/letters/{LETTER}/approve", content=body, headers=kind)
        assert answer.status_code in (400, 403, 413), answer.status_code
        assert "Traceback" not in answer.text
    as_json = browser.post(
        f"/letters/{LETTER}/approve",
        json={"by": "Kari"},
        headers={"x-csrf-token": token},
    )  # JSON is not a form: nothing is approved, the page says a name is wanted
    assert as_json.status_code == 400
    assert "Kari" not in browser.get(f"/letters/{LETTER}/status").text


# --------------------------------------------------------------------------- errors


def assert_guarded(answer) -> None:
    assert "script-src 'self'" in answer.headers.get("content-security-policy", ""), answer
    assert answer.headers.get("x-content-type-options") == "nosniff"
    assert answer.headers.get("referrer-policy") == "same-origin"


def test_every_error_answer_carries_the_security_headers(app) -> None:
    browser = logged_in(app)
    assert_guarded(browser.get("/nothing-here"))  # 404
    assert_guarded(browser.post("/language"))  # 403, no token
    assert_guarded(browser.get("/", headers={"host": "evil.example"}))  # 400
    big = browser.post(
        "/language", content=b"x", headers={"content-length": str(security.MAX_BODY + 1)}
    )
    assert big.status_code == 413
    assert_guarded(big)
    assert_guarded(client(app).get("/"))  # the gate, 403


def test_a_body_too_large_is_a_page_in_words_for_a_logged_in_browser(app) -> None:
    """A secretary's 12 MB spreadsheet: told in their language what to do, not 'Too large'."""
    browser = logged_in(app)
    big = b"x" * (security.MAX_BODY + 1)
    answer = browser.post("/language", content=big, headers={"content-type": "text/csv"})
    assert answer.status_code == 413
    assert "for stor" in answer.text and "10 MB" in answer.text
    assert_guarded(answer)
    stranger = client(app).post("/language", content=big)
    assert stranger.status_code == 413 and "<html" not in stranger.text


def test_an_unexpected_error_is_a_page_in_words_and_the_details_go_to_the_log(
    app, monkeypatch
) -> None:
    def broken(self, *args, **kwargs):
        raise RuntimeError("<b>inner detail</b> at /home/secret/path")

    monkeypatch.setattr(Project, "overview", broken)
    browser = logged_in(app, raise_server_exceptions=False)  # as a browser would see it
    answer = browser.get("/")
    assert answer.status_code == 500
    assert_guarded(answer)
    assert "Traceback" not in answer.text and "inner detail" not in answer.text
    assert "/home/secret" not in answer.text
    assert "lettersmith serve" in answer.text  # where the details are
    assert answer.headers["content-type"].startswith("text/html")


def test_a_failure_inside_the_send_thread_is_on_the_page(mail_app, monkeypatch, caplog) -> None:
    """A bug that stops the send thread is said on the send page (escaped), not only on
    the server's stderr."""

    def send(self, letter, **kwargs):
        raise RuntimeError("<img src=x onerror=alert(1)>")

    app = mail_app
    browser = logged_in(app)
    page = browser.get(f"/letters/{LETTER}/send").text
    monkeypatch.setattr(Project, "send", send)
    digest = re.search(r'name="plan" value="([0-9a-f]+)"', page)
    assert digest
    token = csrf_of(page)
    browser.post(f"/letters/{LETTER}/send", data={"csrf_token": token, "plan": digest.group(1)})
    app.state.jobs.wait(60)
    monkeypatch.undo()  # the page plans again with the real engine
    shown = browser.get(f"/letters/{LETTER}/send").text
    assert "<img src=x" not in shown
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "lettersmith serve" in shown
    logged = [r for r in caplog.records if r.exc_info and "onerror" in str(r.exc_info[1])]
    assert logged, "the traceback is not in the server's log"


# --------------------------------------------------------------------------- output

MARKUP = "<img src=x onerror=alert(1)>"


def assert_text_only(html: str, where: str) -> None:
    assert "<img src=x" not in html and "<script>alert" not in html, where
    assert "javascript:" not in html, where


def test_markup_in_every_field_the_engine_echoes_is_text(mail_app, mail_workspace: Path) -> None:
    """A recipient's name, a club's name, a YAML value quoted in a check problem: each shown
    as text on every page that shows it, never markup."""
    register = mail_workspace / "recipients.yaml"
    text = register.read_text(encoding="utf-8")
    text = text.replace("name: Jan Kristian Vestre", f'name: "{MARKUP}</script>"')
    register.write_text(text, encoding="utf-8")
    club = mail_workspace / "clubs" / "bergen.yaml"
    club.write_text(
        club.read_text(encoding="utf-8").replace(
            "name: Soroptimist International Bergen",
            'name: "Bergen <script>alert(2)</script>"',
        ),
        encoding="utf-8",
    )
    browser = logged_in(mail_app)
    pages = []
    for path in (
        "/",
        f"/letters/{LETTER}/review",
        f"/letters/{LETTER}/send",
        f"/letters/{LETTER}/status",
        f"/letters/{LETTER}/review?club=bergen",
        f"/letters/{LETTER}/send?club=bergen",
    ):
        answer = browser.get(path)
        assert answer.status_code in (200, 400), path
        assert_text_only(answer.text, path)
        pages.append(answer.text)
    shown = "".join(pages)
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown and "&lt;script&gt;" in shown
    # A value the check refuses, quoted in its problem, on the overview and the build page.
    register.write_text(
        text.replace("tags: [regjeringen]", f'tags: ["{MARKUP}"]', 1)
        + f'\nbad:\n  title: "{MARKUP}"\n  email: "javascript:alert(3)//{MARKUP}"\n',
        encoding="utf-8",
    )
    token = csrf_of(browser.get(f"/letters/{LETTER}/status").text)
    for answer in (
        browser.get("/"),
        browser.post(f"/letters/{LETTER}/build", data={"csrf_token": token}),
    ):
        assert answer.status_code == 400, answer.status_code
        assert "&lt;img src=x" in answer.text  # the problem quotes it, as text
        assert "<img src=x" not in answer.text
        assert 'href="javascript:' not in answer.text


def test_a_mail_servers_reply_is_text(mail_app, smtp_server) -> None:
    """What an SMTP server answers is the server's text, shown as text."""
    smtp_server.handler.mail_reply = f"550 {MARKUP} go away"
    browser = logged_in(mail_app)
    page = browser.get(f"/letters/{LETTER}/send").text
    digest = re.search(r'name="plan" value="([0-9a-f]+)"', page)
    assert digest
    browser.post(
        f"/letters/{LETTER}/send", data={"csrf_token": csrf_of(page), "plan": digest.group(1)}
    )
    mail_app.state.jobs.wait(60)
    for path in (f"/letters/{LETTER}/send", f"/letters/{LETTER}/status"):
        shown = browser.get(path).text
        assert "go away" in shown, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in shown, path
        assert_text_only(shown, path)


# --------------------------------------------------------------------------- the send job


def test_two_clicks_on_send_at_once_send_each_message_once(
    mail_app, smtp_server, mail_workspace: Path
) -> None:
    """Two browsers press Send in the same instant (threads through the app): one send; the
    SMTP server gets each message once."""
    import threading

    first, second = logged_in(mail_app), logged_in(mail_app)
    forms = []
    for browser in (first, second):
        page = browser.get(f"/letters/{LETTER}/send").text
        digest = re.search(r'name="plan" value="([0-9a-f]+)"', page)
        assert digest
        forms.append((browser, {"csrf_token": csrf_of(page), "plan": digest.group(1)}))
    ready = threading.Barrier(2)
    answers: list[int] = []

    def press(browser, form) -> None:
        ready.wait()
        answers.append(browser.post(f"/letters/{LETTER}/send", data=form).status_code)

    threads = [threading.Thread(target=press, args=pair) for pair in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    mail_app.state.jobs.wait(60)
    assert answers == [303, 303]
    recipients = [str(received.message["To"]) for received in smtp_server.handler.received]
    assert recipients, "nothing was sent"
    assert len(recipients) == len(set(recipients)), recipients


def start_serve(root: Path, port: int):
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(root), "serve", "--no-browser",
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert process.stdout is not None
    link = process.stdout.readline().removeprefix("Open ").strip()
    assert link.startswith("http://"), link
    return process, link


def login(link: str):
    import time

    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            answer = httpx.get(link, follow_redirects=False)
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)
    base = link.split("/?")[0]
    return httpx.Client(base_url=base, headers={"cookie": answer.headers["set-cookie"]})


def test_a_server_killed_mid_send_shows_the_truth_after_a_restart(
    mail_workspace: Path, smtp_server
) -> None:
    """``lettersmith serve`` killed (SIGKILL) while its send waits on the second message: the
    next server's status page says what the journal knows (the first sent, the second not
    known), and a new send sends no message twice. That one stopped (SIGTERM) mid-message
    finishes it before it goes."""
    import signal
    import subprocess
    import threading

    from webapp import free_port

    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 2)] = release
    port = free_port()
    process, link = start_serve(mail_workspace, port)
    try:
        browser = login(link)
        page = browser.get(f"/letters/{LETTER}/send").text
        digest = re.search(r'name="plan" value="([0-9a-f]+)"', page)
        assert digest
        started = browser.post(
            f"/letters/{LETTER}/send", data={"csrf_token": csrf_of(page), "plan": digest.group(1)}
        )
        assert started.status_code == 303
        assert smtp_server.handler.paused.wait(60)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)
        release.set()
    smtp_server.handler.healthy()
    smtp_server.handler.paused.clear()
    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 3)] = release
    process, link = start_serve(mail_workspace, free_port())
    try:
        browser = login(link)
        status = text_of(browser.get(f"/letters/{LETTER}/status").text)
        assert "smk postmottak@smk.dep.no sendt" in status
        assert "hod postmottak@hod.dep.no ukjent" in status
        assert "jd postmottak@jd.dep.no ikke sendt" in status
        page = browser.get(f"/letters/{LETTER}/send").text
        assert "sjekk om den kom fram, og bruk så --resend --to hod" in page  # held back
        digest = re.search(r'name="plan" value="([0-9a-f]+)"', page)
        assert digest
        again = browser.post(
            f"/letters/{LETTER}/send", data={"csrf_token": csrf_of(page), "plan": digest.group(1)}
        )
        assert again.status_code == 303, again.text
        # Stopped (SIGTERM, as a shutdown does) while that send waits on its message: the
        # server stays until the send has finished, and leaves no message half-sent.
        assert smtp_server.handler.paused.wait(60)
        process.terminate()
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=2)  # still there: the send is under way
        release.set()
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        _, err = process.communicate(timeout=60)
    assert "Traceback" not in err, err
    recipients = [str(received.message["To"]) for received in smtp_server.handler.received]
    assert len(recipients) == len(set(recipients)) == 2, recipients
    status = Project.open(mail_workspace).status(LETTER)
    states = {rid: entry.state if entry else None for rid, _, entry in status.rows}
    assert states == {"smk": "sent", "hod": "unknown", "jd": "sent"}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_bugs_traceback_goes_to_the_terminal_not_the_browser(
    root: Path, monkeypatch, capfd
) -> None:
    """Through the real server: the browser gets the page in words, the terminal where the
    server runs gets the traceback."""
    import httpx

    def broken(self, *args, **kwargs):
        raise RuntimeError("the inner detail of a bug")

    monkeypatch.setattr(Project, "overview", broken)
    with serving(root) as server:
        login = httpx.get(server.link, follow_redirects=False)
        cookie = login.headers["set-cookie"].split(";")[0]
        answer = httpx.get(f"{server.base}/", headers={"cookie": cookie})
    assert answer.status_code == 500
    assert "Noe gikk galt" in answer.text
    assert "inner detail" not in answer.text and "Traceback" not in answer.text
    assert_guarded(answer)
    printed = capfd.readouterr().err
    assert "Traceback" in printed and "the inner detail of a bug" in printed


def test_a_command_line_send_while_the_web_send_runs_is_refused(
    mail_app, mail_workspace: Path, smtp_server
) -> None:
    """The web send holds the engine's lock: ``lettersmith send`` at the same moment is
    refused in words, and no message goes twice."""
    import threading

    from lettersmith.errors import LettersmithError

    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 1)] = release
    browser = logged_in(mail_app)
    page = browser.get(f"/letters/{LETTER}/send").text
    digest = re.search(r'name="plan" value="([0-9a-f]+)"', page)
    assert digest
    browser.post(
        f"/letters/{LETTER}/send", data={"csrf_token": csrf_of(page), "plan": digest.group(1)}
    )
    try:
        assert smtp_server.handler.paused.wait(60)
        with pytest.raises(LettersmithError, match="send.lock"):
            Project.open(mail_workspace).send(LETTER)
    finally:
        release.set()
        mail_app.state.jobs.wait(60)
    recipients = [str(received.message["To"]) for received in smtp_server.handler.received]
    assert len(recipients) == len(set(recipients)) == 3, recipients


def test_a_review_into_an_out_folder_linked_elsewhere_is_refused(
    app, root: Path, tmp_path: Path
) -> None:
    """out/<letter> made a link to a folder elsewhere before the review is asked for: the
    review writes nothing there and the page says why."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "out").mkdir(exist_ok=True)
    (root / "out" / LETTER).symlink_to(elsewhere, target_is_directory=True)
    answer = logged_in(app).get(f"/letters/{LETTER}/review")
    assert answer.status_code == 400
    assert "out/" in answer.text
    assert list(elsewhere.iterdir()) == []


# --------------------------------------------------------------------------- in a browser


def test_a_page_on_another_port_cannot_post_to_the_app_in_chromium(root: Path) -> None:
    """The attack as a browser makes it: a page served by another program on this computer
    (http://127.0.0.1:<other port>/) submits a form to the app. Ports do not separate sites,
    so Chromium sends the SameSite=Strict cookie along; even with the CSRF token (as if it had
    leaked) the app refuses, because the browser's Origin names the other port."""
    import http.server
    import threading

    from webapp import chromium, free_port

    with serving(root) as server, chromium() as browser:
        page = browser.new_page()
        page.goto(server.link)
        token = csrf_of(page.content())
        evil_port = free_port()
        form = (
            "<!doctype html><title>x</title><body>"
            f'<form id="f" method="post" action="{server.base}/language">'
            '<input name="language" value="en">'
            f'<input name="csrf_token" value="{token}"></form>'
            "<script>document.getElementById('f').submit()</script></body>"
        ).encode()

        class Evil(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/html")
                self.end_headers()
                self.wfile.write(form)

            def log_message(self, *args) -> None:
                pass

        evil = http.server.HTTPServer(("127.0.0.1", evil_port), Evil)
        threading.Thread(target=evil.serve_forever, daemon=True).start()
        try:
            page.goto(f"http://127.0.0.1:{evil_port}/")
            page.wait_for_url(re.compile(re.escape(server.base) + "/.*"))
            page.wait_for_load_state("load")
            refused = page.content()
        finally:
            evil.shutdown()
        assert "Dette skjemaet ble avvist" in refused
        page.goto(server.base + "/")
        assert "<h1>Brev</h1>" in page.content()  # still bokmål: the form changed nothing
