"""The web app's guards, attacked through Starlette's TestClient: no way in without the token,
no change without the form's CSRF token, no path made from a bad id, no foreign Host."""

from __future__ import annotations

from pathlib import Path

import pytest

from lettersmith.web.app import create_app
from webapp import BASE, TOKEN, client, csrf_of, logged_in
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
        assert answer.headers["referrer-policy"] == "no-referrer"


def test_base_url_is_loopback() -> None:
    assert BASE.startswith("http://127.0.0.1:")
