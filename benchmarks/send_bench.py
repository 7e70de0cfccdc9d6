"""Send N messages, each with a one-page PDF, to a local SMTP server; print messages per second.

    python benchmarks/send_bench.py [--n 1000] [--attachment-mb 0]
    python benchmarks/send_bench.py --n 500 --attachment-mb 5     # peak memory of a big batch

The server (aiosmtpd, discarding what it receives) runs in its own process. The journal is
on, exactly as in `lettersmith send`: every message is committed as `sending` (with its
copy under .lettersmith/sent/) before its data goes out and as `sent` after. One PDF is
rendered once and attached to every message, so the figure is the delivery path's own,
not WeasyPrint's (see build_bench.py for that). ``--attachment-mb`` adds an extra attachment
of that size to every message; the peak RSS printed is this process's (the server's apart).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lettersmith.compose.resolve import resolve  # noqa: E402
from lettersmith.deliver import message as mail  # noqa: E402
from lettersmith.deliver import send  # noqa: E402
from lettersmith.deliver.journal import Journal  # noqa: E402
from lettersmith.deliver.smtp import Session  # noqa: E402
from lettersmith.load import workspace  # noqa: E402
from lettersmith.model import SmtpSettings  # noqa: E402
from lettersmith.render import build  # noqa: E402
from workspaces import many_recipients  # noqa: E402

LETTER = "menneskehandel-2024"


def start_server() -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the SMTP server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="messages to send (default 1000)")
    parser.add_argument("--attachment-mb", type=float, default=0, help="extra attachment, MB")
    args = parser.parse_args()
    server, port = start_server()
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = many_recipients(Path(folder), args.n)
            if args.attachment_mb:
                (root / "assets" / "vedlegg.pdf").write_bytes(
                    os.urandom(int(args.attachment_mb * 1024 * 1024))
                )
                path = root / "letters" / f"{LETTER}.yaml"
                path.write_text(path.read_text() + "attachments: [assets/vedlegg.pdf]\n")
            ws = workspace.load(root)
            mailing = resolve(ws, LETTER)
            letters = mailing.letters
            pdf = build.ensure_pdf(ws, letters[0])
            pdf_size = pdf.stat().st_size
            envelope = mail.Envelope.from_settings(ws.mail)

            start = time.perf_counter()
            with Journal.open(ws.state_dir) as journal:
                journal.lock()
                planned = [
                    send.decide(
                        mail.build_message(
                            letter,
                            letter.addressees[0],
                            envelope,
                            pdf,
                            revision=mailing.letter_revisions[letter.stem],
                        ),
                        None,
                        resend=False,
                    )
                    for letter in letters
                ]
                built = time.perf_counter()
                smtp = SmtpSettings("127.0.0.1", port, "none")
                with Session(smtp) as session:
                    results = list(send.deliver(planned, journal, session))
                done = time.perf_counter()
            sent = sum(result.outcome.state == "sent" for result in results)
    finally:
        server.terminate()
        server.wait()
    size = planned[0].out.size / 1024
    print(f"{args.n} messages of {size:.0f} kB (PDF {pdf_size / 1024:.0f} kB), {sent} accepted")
    print(f"  building messages: {args.n / (built - start):8.1f} messages/s")
    print(f"  sending + journal: {args.n / (done - built):8.1f} messages/s")
    print(f"  overall:           {args.n / (done - start):8.1f} messages/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # kB on Linux
    print(f"  peak RSS:          {peak:8d} MB")


if __name__ == "__main__":
    main()
