"""lettersmith backup of a workspace that has sent a lot, quiet and while a send writes.

    python benchmarks/backup_bench.py [--messages 2000] [--size 60000]

One generated workspace: the example, a journal of MESSAGES rows and as many copies of sent
messages of SIZE bytes in .lettersmith/sent/ (what a union has after a year or two of
mailings). Measured: ``Project.backup`` into a new folder, three times, with nothing else
running (median, range in brackets); then again while another process commits journal rows as
fast as it can, the way a send does (a copy of the message, then its row): how long the backup
took, how many rows the writer committed meanwhile, and the writer's slowest commit during the
backup against its slowest before it (a backup that blocked the journal would show here).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "src"))

from lettersmith.app.backup import BackupResult  # noqa: E402
from lettersmith.app.project import Project  # noqa: E402
from lettersmith.deliver.journal import Journal  # noqa: E402
from workspaces import copy_example  # noqa: E402

REPEAT = 3
WRITER = textwrap.dedent(
    """
    import itertools, sys, time
    from pathlib import Path
    from lettersmith.deliver.journal import Journal
    from lettersmith.deliver.message import Outgoing

    journal = Journal.open(Path(sys.argv[1]))
    body = b"From: a\\r\\n\\r\\n" + b"x" * 60000
    for number in itertools.count():
        rid = f"w{number:06d}"
        out = Outgoing(
            letter_id="bench", club_id=None, recipient_id=rid, address=f"{rid}@example.org",
            message_id=f"<{rid}@example.org>", attachment_hash="h", attachments="", size=1,
            mail_from="post@example.org", rcpt_to=(f"{rid}@example.org",), make=lambda: body,
        )
        start = time.perf_counter()
        journal.record_sending(out)
        journal.record_outcome(out, "sent", "250 2.0.0 Queued")
        print(f"{time.time():.4f} {time.perf_counter() - start:.4f}", flush=True)
    """
)


def workspace(folder: Path, messages: int, size: int) -> Path:
    root = copy_example(folder / "ws")
    state = root / ".lettersmith"
    body = b"From: a\r\n\r\n" + b"x" * size
    rows = []
    for number in range(messages):
        copy = f"sent/old/r{number:06d}-20261203T100000.000000+0000.eml"
        (state / copy).parent.mkdir(parents=True, exist_ok=True)
        (state / copy).write_bytes(body)
        rows.append((f"r{number:06d}", f"<r{number}@example.org>", copy))
    with Journal.open(state) as journal:
        journal._db.executemany(
            "INSERT INTO deliveries (letter, club, recipient, address, message_id, "
            "attachment_hash, state, attempted_at, updated_at, reply, copy) "
            "VALUES ('old', '', ?, 'a@example.org', ?, 'h', 'sent', 't', 't', '250 ok', ?)",
            rows,
        )
    return root


def timed_backup(root: Path, target: Path) -> tuple[float, BackupResult]:
    start = time.perf_counter()
    result = Project(root).backup(target)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--size", type=int, default=60000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        root = workspace(folder, args.messages, args.size)
        times = []
        for run in range(REPEAT):
            seconds, result = timed_backup(root, folder / f"quiet-{run}")
            times.append(seconds)
            shutil.rmtree(folder / f"quiet-{run}")
        print(
            f"quiet: {result.files} files, {len(result.databases)} database(s), "
            f"{result.size / 1e6:.0f} MB: {statistics.median(times):.2f} s "
            f"[{min(times):.2f}-{max(times):.2f}]"
        )

        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root / ".lettersmith")],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert writer.stdout is not None
        warm = [writer.stdout.readline() for _line in range(200)]  # its pace before
        began = time.time()
        seconds, _result = timed_backup(root, folder / "busy")
        ended = time.time()
        time.sleep(0.5)
        writer.kill()
        lines = warm + writer.stdout.read().split("\n")
        writer.wait()
        commits = [tuple(map(float, line.split())) for line in lines if line.strip()]
        during = [took for at, took in commits if began <= at <= ended]
        before = [took for at, took in commits if at < began] or [0.0]
        print(
            f"while a writer commits: {seconds:.2f} s; {len(during)} messages journalled "
            f"meanwhile; slowest commit during the backup {max(during or [0.0]) * 1000:.0f} ms "
            f"(median {statistics.median(during or [0.0]) * 1000:.1f} ms), before it "
            f"{max(before) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
