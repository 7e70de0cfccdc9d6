"""The web app's guards, attacked through Starlette's TestClient: no way in without the token,
no change without the form's CSRF token, no path made from a bad id, no foreign Host."""

from __future__ import annotations

import html
import json
import re
import socket
from pathlib import Path

import httpx
import pytest

from lettersmith.app.project import Project
from lettersmith.web import security
from lettersmith.web.app import create_app
from webapp import PASSWORD, TOKEN, client, csrf_of, logged_in, serving
from workspaces import copy_example


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


@pytest.fixture
def app(root: Path):
    return create_app(root, token=TOKEN)


def test_without_the_token_every_page_says_how_to_get_in(app) -> None:
    browser = client(app)
    for path in ("/", "/letters/menneskehandel-2024/review", "/static/htmx.min.js", "/nothing"):
        answer = browser.get(path)
        assert answer.status_code == 403, path
        assert "Finn vinduet der du startet lettersmith" in answer.text, path
    assert browser.get("/static/app.css").status_code == 200  # the get-in page's look


def test_a_wrong_token_does_not_log_in(app) -> None:
    browser = client(app)
    answer = browser.get("/?token=wrong")
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


def test_the_token_link_sets_a_strict_session_cookie_and_drops_the_token(app) -> None:
    browser = client(app)
    answer = browser.get(f"/?token={TOKEN}")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie
    page = browser.get("/")
    assert page.status_code == 200
    assert "<h1>Brev</h1>" in page.text


def test_a_post_without_the_csrf_token_is_refused(app) -> None:
    browser = logged_in(app)
    assert browser.post("/language", data={"language": "en"}).status_code == 403
    assert browser.post("/language", data={"language": "en", "csrf_token": "x"}).status_code == 403
    token = csrf_of(browser.get("/").text)
    answer = browser.post("/language", data={"language": "en", "csrf_token": token})
    assert answer.status_code == 303
    assert "<h1>Letters</h1>" in browser.get("/").text


def test_a_foreign_host_header_is_refused(app) -> None:
    browser = logged_in(app)
    for host in ("evil.example", "127.0.0.1.evil.example:8400", "127.0.0.1:9999", "localhost"):
        assert browser.get("/", headers={"host": host}).status_code == 400, host
    assert browser.get("/", headers={"host": "localhost:8400"}).status_code == 200


def test_every_answer_carries_the_security_headers(app) -> None:
    for answer in (client(app).get("/"), logged_in(app).get("/")):
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(folder.rglob("*"))
    }


BAD_PATHS = [
    "/letters/%2e%2e/review",
    "/letters/%2E%2E/status",
    "/letters/..%2f..%2fetc/review",
    "/letters/menneskehandel-2024%2f..%2f..%2fx/status",
    "/letters/MENNESKEHANDEL-2024/review",
    "/letters/Menneskehandel-2024/status",
    "/letters/-menneskehandel/review",
    "/letters/menneskehandel-2024/review?club=..",
    "/letters/menneskehandel-2024/review?club=../../etc",
    "/letters/menneskehandel-2024/status?club=Bergen",
    "/letters/menneskehandel-2024/status?club=bergen/..",
    "/letters/no-such-letter/review",
    "/letters/menneskehandel-2024/status?club=no-such-club",
    "/letters/menneskehandel-2024/review/files/0",  # no review made yet: nothing listed
    "/letters/menneskehandel-2024/review/files/-1",
    "/static/",
    "/static/..%2fapp.py",
    "/static/%2e%2e/app.py",
]


def test_a_bad_or_unknown_id_is_not_found_and_touches_no_file(app, root: Path) -> None:
    browser = logged_in(app)
    before = files_under(root.parent)
    for path in BAD_PATHS:
        answer = browser.get(path)
        assert answer.status_code in (400, 404), (path, answer.status_code)
        assert "def create_app" not in answer.text
    token = csrf_of(browser.get("/").text)
    for path in ("/letters/%2e%2e/build", "/letters/..%2fx/approve", "/letters/X/send"):
        answer = browser.post(path, data={"csrf_token": token, "by": "Kari"})
        assert answer.status_code in (400, 404, 405), path
    assert files_under(root.parent) == before


def test_html_typed_in_a_field_is_shown_as_text(app) -> None:
    browser = logged_in(app)
    token = csrf_of(browser.get("/").text)
    typed = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answer = browser.post(
        "/letters/menneskehandel-2024/approve",
        data={"csrf_token": token, "by": typed, "note": "<b>møte</b>"},
    )
    assert answer.status_code == 303
    status = browser.get("/letters/menneskehandel-2024/status").text
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert escaped in status
    assert "&lt;b&gt;møte&lt;/b&gt;" in status
    assert "<script>alert" not in status and "<b>møte" not in status
    overview = browser.get("/").text
    assert "&lt;script&gt;" in overview and "<script>alert" not in overview


def test_htmx_sends_the_token_in_a_header_and_uploads_carry_it_as_a_field(app) -> None:
    browser = logged_in(app)
    page = browser.get("/").text
    token = csrf_of(page)
    found = re.search(r"<body hx-headers='([^']+)'>", page)
    assert found and json.loads(html.unescape(found.group(1))) == {"x-csrf-token": token}
    assert browser.post("/language", headers={"x-csrf-token": token}).status_code == 303
    assert browser.post("/language", headers={"x-csrf-token": token[:-1]}).status_code == 403
    upload = {"file": ("register.csv", b"name,email\nA,a@example.org\n", "text/csv")}
    with_field = browser.post(
        "/language", data={"csrf_token": token, "language": "nn"}, files=upload
    )
    assert with_field.status_code == 303
    assert browser.post("/language", data={"language": "nn"}, files=upload).status_code == 403
    two = browser.post(
        "/language", data={"csrf_token": [token, "other"]}, files=upload
    )  # a second token field is not a way round the first
    assert two.status_code == 403


def test_a_made_up_session_cookie_does_not_get_in(app) -> None:
    browser = client(app)
    browser.cookies.set("lettersmith-8400", "made-up-session-id")
    answer = browser.get("/")
    assert answer.status_code == 403 and "Slik kommer du inn" in answer.text


def test_the_templates_are_sandboxed_and_escaped() -> None:
    from jinja2.exceptions import SecurityError

    from lettersmith.web.templating import environment

    env = environment()
    assert env.autoescape is True
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
    with pytest.raises(SecurityError):
        env.from_string("{{ x.__class__.__mro__ }}").render(x="")
    with pytest.raises(SecurityError):
        env.from_string("{{ f.__globals__ }}").render(f=files_under)


def test_a_malformed_form_is_refused_not_an_error(app) -> None:
    browser = logged_in(app)
    token = csrf_of(browser.get("/").text)
    many = "&".join(f"f{n}=x" for n in range(2000)) + f"&csrf_token={token}"
    kinds = [
        ("application/x-www-form-urlencoded", many.encode()),
        ("multipart/form-data; boundary=zz", b"--zz\r\nnot a header line\r\n\r\nx\r\n--zz--"),
        ("multipart/form-data", f"csrf_token={token}".encode()),  # no boundary
    ]
    for kind, body in kinds:
        answer = browser.post("/language", content=body, headers={"content-type": kind})
        assert answer.status_code == 403, kind


# --------------------------------------------------------------------------- bodies refused

TOO_LARGE = {
    "nb": "er for stort: appen tar imot høyst 10 MB",
    "nn": "er for stort: appen tek imot høgst 10 MB",
    "en": "is too large: the app takes at most 10 MB",
}
TOO_SLOW = {
    "nb": "Skjemaet eller filen sluttet å komme før alt var sendt",
    "nn": "Skjemaet eller fila slutta å kome før alt var sendt",
    "en": "The form or file stopped coming before all of it was sent",
}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_a_body_too_large_is_refused_in_the_servers_language(root: Path, language: str) -> None:
    """A browser not logged in gets plain words in the server's language (no page, which
    would name the organisation), not English."""
    app = create_app(root, token=TOKEN, language=language)
    answer = client(app).post("/language", content=b"x" * (security.MAX_BODY + 1))
    assert answer.status_code == 413
    assert TOO_LARGE[language] in answer.text
    assert "<html" not in answer.text and "Too large" not in answer.text


def slow_post(port: int, path: str, cookie: str = "") -> str:
    """A POST that promises 1000 bytes and sends a few: the server's whole answer."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
    )
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head.encode() + b"name=k")
        while chunk := connection.recv(65536):  # the 408 closes the connection
            answer += chunk
    return answer.decode("utf-8")


@pytest.mark.parametrize("language", ["nn", "en"])
def test_a_body_that_stops_coming_is_refused_in_the_servers_language(
    root: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    """A login form on a union's server that stops coming: 408 in the server's language."""
    monkeypatch.setattr(security, "BODY_TIMEOUT", 1.0)
    Project.open(root).add_user("bodil", "board", PASSWORD)
    with serving(root, language=language) as server:
        answer = slow_post(server.port, "/login")
    assert answer.startswith("HTTP/1.1 408"), answer[:200]
    assert TOO_SLOW[language] in answer and "Request timeout" not in answer


def test_a_body_that_stops_coming_is_refused_in_the_sessions_language(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A logged-in secretary who chose English, on a server that speaks bokmål."""
    monkeypatch.setattr(security, "BODY_TIMEOUT", 1.0)
    with serving(root) as server:
        browser = httpx.Client(base_url=f"http://127.0.0.1:{server.port}")
        assert browser.get(server.link, follow_redirects=False).status_code == 303
        token = csrf_of(browser.get("/").text)
        chosen = browser.post("/language", data={"csrf_token": token, "language": "en"})
        assert chosen.status_code == 303
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        answer = slow_post(server.port, "/language", cookie)
        browser.close()
    assert answer.startswith("HTTP/1.1 408"), answer[:200]
    assert TOO_SLOW["en"] in answer
