"""The web app under load: how long pages take with 10 browsers at once, and the server's
memory through 100 builds.

    python benchmarks/web_bench.py [--clients 10] [--requests 20] [--builds 100]

``lettersmith serve`` runs as a real process (uvicorn) on a copy of the example workspace.
Page times: ``--clients`` threads, each with its own session (httpx), ask for ``/`` and for
the letter's review page (which makes the review: the letter's PDF and page pictures) at
once; the median and the 95th percentile of the answer times are shown. Memory: the
server's resident size (VmRSS, from /proc) before the first build and after builds 1, 10,
50 and 100, each through the "Build" button's endpoint with out/ emptied before, so each
one renders the letter again.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from workspaces import copy_example  # noqa: E402

LETTER = "menneskehandel-2024"
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}


def start_server(root: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(root), "serve", "--no-browser",
         "--port", str(port)],
        stdout=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    assert process.stdout is not None
    link = process.stdout.readline().removeprefix("Open ").strip()
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(link.split("?")[0], timeout=5)
            return process, link
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def session(link: str) -> httpx.Client:
    client = httpx.Client(timeout=300, follow_redirects=False)
    answer = client.get(link)
    assert answer.status_code == 303, answer.status_code
    return client


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def timed(clients: list[httpx.Client], url: str, each: int) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()

    def run(client: httpx.Client) -> None:
        for _ in range(each):
            start = time.perf_counter()
            answer = client.get(url)
            took = time.perf_counter() - start
            assert answer.status_code == 200, (url, answer.status_code)
            with lock:
                times.append(took)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--requests", type=int, default=20, help="per client, for /")
    parser.add_argument("--reviews", type=int, default=3, help="per client, review pages")
    parser.add_argument("--builds", type=int, default=100)
    parser.add_argument("--port", type=int, default=8499)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="web-bench-"))
    root = copy_example(folder / "ws")
    process, link = start_server(root, args.port)
    base = link.split("/?")[0]
    try:
        clients = [session(link) for _ in range(args.clients)]
        timed(clients[:1], base + "/", 1)  # warm: the first request loads the engine
        overview = timed(clients, base + "/", args.requests)
        print(
            f"/ with {args.clients} clients: {len(overview)} requests, "
            f"median {statistics.median(overview) * 1000:.0f} ms, "
            f"p95 {p95(overview) * 1000:.0f} ms"
        )
        review_url = f"{base}/letters/{LETTER}/review"
        timed(clients[:1], review_url, 1)
        reviews = timed(clients, review_url, args.reviews)
        print(
            f"review page with {args.clients} clients: {len(reviews)} requests, "
            f"median {statistics.median(reviews) * 1000:.0f} ms, "
            f"p95 {p95(reviews) * 1000:.0f} ms"
        )
        client = clients[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(base + "/").text)
        assert token
        print(f"server memory before the builds: {rss_mb(process.pid):.0f} MB")
        took: list[float] = []
        for number in range(1, args.builds + 1):
            shutil.rmtree(root / "out", ignore_errors=True)
            start = time.perf_counter()
            answer = client.post(
                f"{base}/letters/{LETTER}/build", data={"csrf_token": token.group(1)}
            )
            took.append(time.perf_counter() - start)
            assert answer.status_code == 200 and "2 fil" in answer.text, answer.status_code
            if number in (1, 10, 50, 100) or number == args.builds:
                print(
                    f"after build {number}: {rss_mb(process.pid):.0f} MB "
                    f"(builds so far: median {statistics.median(took):.2f} s)"
                )
    finally:
        process.terminate()
        process.wait(timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
