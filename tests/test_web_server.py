"""The web app behind the real server (uvicorn), spoken to over a socket as a browser or an
attacker would: what a test client would tidy up (``..`` in a path, a body that never ends)
goes through as sent. And ``lettersmith serve`` as a real process."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from webapp import free_port, serving
from workspaces import copy_example

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


def session_cookie(server) -> str:
    answer = httpx.get(server.link, follow_redirects=False)
    assert answer.status_code == 303
    return answer.headers["set-cookie"].split(";")[0]


def raw_get(port: int, path: str, cookie: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.putheader("Cookie", cookie)
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def test_dot_segments_sent_as_they_are_are_not_found(root: Path) -> None:
    with serving(root) as server:
        cookie = session_cookie(server)
        assert raw_get(server.port, "/letters/menneskehandel-2024/status", cookie) == 200
        for path in (
            "/letters/../review",
            "/letters/menneskehandel-2024/../../status",
            "/letters/..%2f..%2fetc%2fpasswd/status",
            "/static/../app.py",
            "/static/../../../../etc/passwd",
            "/static/%2e%2e/app.py",
        ):
            assert raw_get(server.port, path, cookie) in (400, 404), path


def test_a_50_mb_upload_is_refused_before_it_is_read(root: Path) -> None:
    """Content-Length says 50 MB: the answer (413) comes after the headers, with only a few
    bytes of the body sent; the server never waits for the rest."""
    with serving(root) as server:
        cookie = session_cookie(server)
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            head = (
                "POST /language HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {cookie}\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
            )
            connection.sendall(head.encode() + b"--x\r\n" + b"A" * 1000)
            answer = connection.recv(65536).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), answer[:200]


def test_a_chunked_upload_is_stopped_at_the_limit(root: Path) -> None:
    """No Content-Length: the server counts as it reads and answers 413 once past 10 MB,
    while the body has not ended (its last chunk is never sent)."""
    with serving(root) as server:
        cookie = session_cookie(server)
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            head = (
                "POST /language HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{server.port}\r\n"
                f"Cookie: {cookie}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            )
            connection.sendall(head.encode())
            chunk = b"a" * (1024 * 1024)
            for _ in range(11):
                connection.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            answer = connection.recv(65536).decode("latin-1")
        assert answer.startswith("HTTP/1.1 413"), answer[:200]


def test_lettersmith_serve_prints_one_line_and_answers(root: Path) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(root), "serve", "--no-browser",
         "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        expected = rf"Open http://127\.0\.0\.1:{port}/\?token=([A-Za-z0-9_-]{{32,}})\n"
        found = re.fullmatch(expected, line)
        assert found, line
        link = line.removeprefix("Open ").strip()
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(link, follow_redirects=True)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.1)
        assert answer.status_code == 200
        assert "<h1>Brev</h1>" in answer.text
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 403  # no cookie: no way in
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert out == ""  # nothing printed after the one line
    assert found.group(1) not in err and "Traceback" not in err


def test_lettersmith_serve_refuses_a_host_other_computers_reach(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for host in ("0.0.0.0", "192.168.1.10", "example.org"):
        done = subprocess.run(
            [sys.executable, "-m", "lettersmith", "-w", str(root), "serve", "--host", host,
             "--no-browser"],
            capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert "no admin account yet" in done.stderr  # see test_web_login.py for the rest
        assert done.stdout == ""
