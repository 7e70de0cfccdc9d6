"""Read, classify and match messages: the corpus of tests/data/inbox/ and messages built to be
expensive; print the time per message.

    python benchmarks/classify_bench.py [--rounds 20]

Every message of the corpus is read (``read_message``), matched against a journal of 1,000
messages (``SentList``) and classified, ``rounds`` times; then each hostile shape once (a 2 MB
message of 40,000 parts, a 600 kB References header, 5 MB bodies meant to make patterns
backtrack, read with ``max_bytes`` = 2 MB and with the whole 5 MB).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lettersmith.deliver.inbox import Sent, SentList, classify, match, read_message

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "inbox"
FIVE_MB = 5 * 1024 * 1024


def journal(n: int) -> SentList:
    return SentList(
        Sent(f"brev-{i % 20}", None, f"r{i}", f"postmottak@org{i}.example.no",
             f"<{i:032x}@eksempelforeningen.no>", f"Innspill nummer {i % 20}")
        for i in range(n)
    )  # fmt: skip


def hostile() -> dict[str, bytes]:
    part = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    head = b"From: MAILER-DAEMON@x.no\r\nReturn-Path: <>\r\nSubject: x\r\n"
    return {
        "40,000 parts": b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + part * 40_000,
        "600 kB References": b"References: " + b"<a@b> " * 100_000 + b"\r\n\r\nx",
        "5 MB of 'Vaar ref' bait": head + b"\r\n" + "Vår ref. ".encode() * (FIVE_MB // 10),
        "5 MB of status codes": head + b"\r\n" + b"5.1." * (FIVE_MB // 4),
        "5 MB of HTML tags": head + b"Content-Type: text/html\r\n\r\n" + b"<b>" * (FIVE_MB // 3),
        "5 MB of '<'": head + b"Content-Type: text/html\r\n\r\n" + b"<" * FIVE_MB,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    view = journal(1000)
    messages = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
    start = time.perf_counter()
    for _ in range(rounds):
        for raw in messages:
            incoming = read_message(raw)
            found = match(incoming, view)
            classify(incoming, address=found.sent.address if found else "")
    each = (time.perf_counter() - start) / (rounds * len(messages))
    print(f"corpus: {len(messages)} messages x {rounds}: {each * 1000:.2f} ms per message")
    for name, raw in hostile().items():
        for max_bytes in (2 * 1024 * 1024, len(raw)):
            start = time.perf_counter()
            incoming = read_message(raw, max_bytes=max_bytes)
            classify(incoming)
            match(incoming, view)
            took = time.perf_counter() - start
            print(f"{name} ({len(raw) / 1e6:.1f} MB, max_bytes {max_bytes / 1e6:.1f} MB): "
                  f"{took * 1000:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
