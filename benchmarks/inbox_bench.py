"""``lettersmith inbox`` on a big folder: 10,000 messages read incrementally from a real Dovecot.

    python benchmarks/inbox_bench.py [--n 10000] [--matching 100] [--new 10]

A Dovecot of its own (tests/dovecot.py) gets N messages in its INBOX: mostly unrelated mail
(newsletters, other correspondence, a few with a 200 kB attachment), and ``--matching`` of them
answering letters in the journal (receipts, replies, bounces). Then, timed:

1. the first run, reading all N (the per-run limit raised to N; by default a run stops at
   2,000 and the next goes on);
2. a run after ``--new`` more messages arrived: it reads only those;
3. a run with nothing new.

Each prints its seconds and messages per second. The server has indexed the folder before the
first run (a real mailbox has been), so what is timed is lettersmith's work: the IMAP round
trips, reading and classifying each message, and the journal's writes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

import dovecot  # noqa: E402
from lettersmith.deliver.inbox.imap import Limits  # noqa: E402
from lettersmith.deliver.inbox.match import Sent  # noqa: E402
from lettersmith.deliver.inbox.run import read_inbox  # noqa: E402
from lettersmith.model import ImapSettings  # noqa: E402

SUBJECT = "Tiden er inne for å få en handlingsplan mot menneskehandel"


def sent_list(count: int) -> list[Sent]:
    return list(
        Sent("bench", None, f"r{i}", f"postmottak@dep{i}.no", f"<sent-{i}@example.org>", SUBJECT)
        for i in range(count)
    )


def unrelated(number: int) -> bytes:
    attachment = ""
    if number % 100 == 0:  # now and then a message with a PDF
        attachment = (
            "--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + ("JVBERi0xLjcKJcfsj6IK" * 4 + "\r\n") * 2500
        )
    body = "Hei,\r\n\r\n" + "Her er ukens nyheter fra foreningen. " * 30 + "\r\n"
    return (
        f"From: Avsender {number} <avsender{number}@example.com>\r\n"
        "To: post@example.org\r\n"
        f"Subject: Melding nummer {number}\r\n"
        f"Message-ID: <u{number}@example.com>\r\n"
        "Date: Thu, 03 Dec 2026 10:00:00 +0100\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        f"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n{attachment}--B--\r\n"
    ).encode()


def answer(number: int, sent: int) -> bytes:
    index = number % sent
    kind = number % 3
    if kind == 0:
        head = "Auto-Submitted: auto-replied\r\nSubject: Kvittering\r\n"
        text = f"Vi har mottatt din henvendelse.\r\nVår ref.: 26/{1000 + number}\r\n"
    elif kind == 1:
        head = f"Subject: SV: {SUBJECT}\r\n"
        text = "Takk for brevet, vi kommer tilbake til saken.\r\n"
    else:
        head = "Subject: Automatisk svar: fravær\r\nAuto-Submitted: auto-replied\r\n"
        text = "Jeg er på ferie til 10. januar.\r\n"
    return (
        f"From: Saksbehandler <saksbehandler@dep{index}.no>\r\nTo: post@example.org\r\n{head}"
        f"Message-ID: <a{number}@dep{index}.no>\r\nIn-Reply-To: <sent-{index}@example.org>\r\n"
        "Date: Fri, 04 Dec 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}"
    ).encode()


def fill(server: dovecot.Dovecot, start: int, count: int, matching_every: int, sent: int) -> None:
    for number in range(start, start + count):
        if matching_every and number % matching_every == 0:
            server.deliver(answer(number, sent))
        else:
            server.deliver(unrelated(number))


def warm(server: dovecot.Dovecot) -> None:
    conn = server.client()
    conn.select("INBOX", readonly=True)
    conn.uid("FETCH", "1:*", "(UID RFC822.SIZE)")
    conn.logout()


def timed(label: str, settings: ImapSettings, state: Path, view: list[Sent], limit: int) -> None:
    started = time.perf_counter()
    outcome = read_inbox(settings, state, sent=view, limits=Limits(messages=limit))
    seconds = time.perf_counter() - started
    rate = outcome.read / seconds if seconds else 0.0
    print(
        f"{label:<28} {outcome.read:>6} read  {len(outcome.events):>4} recorded  "
        f"{seconds:7.2f} s  {rate:8.0f} messages/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--matching", type=int, default=100)
    parser.add_argument("--new", type=int, default=10)
    args = parser.parse_args()
    reason = dovecot.available()
    if reason is not None:  # `make bench` goes on with the others
        print(f"inbox_bench: skipped: {reason}")
        return
    server = dovecot.make()
    os.environ["LETTERSMITH_IMAP_PASSWORD"] = server.password
    every = max(args.n // args.matching, 1) if args.matching else 0
    try:
        server.start()
        started = time.perf_counter()
        fill(server, 0, args.n, every, 50)
        warm(server)
        print(f"{args.n} messages put in the folder in {time.perf_counter() - started:.1f} s")
        settings = ImapSettings("127.0.0.1", server.port, server.user, security="none")
        view = sent_list(50)
        with tempfile.TemporaryDirectory(prefix="lettersmith-inbox-bench-") as folder:
            state = Path(folder) / ".lettersmith"
            timed(f"first run ({args.n})", settings, state, view, args.n)
            fill(server, args.n, args.new, 2, 50)
            timed(f"{args.new} new", settings, state, view, args.n)
            timed("nothing new", settings, state, view, args.n)
    finally:
        dovecot.remove(server)


if __name__ == "__main__":
    main()
