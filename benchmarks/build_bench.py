"""Build N one-letter-per-recipient letters in a generated workspace; print letters per second.

    python benchmarks/build_bench.py [--n 200] [--jobs CORES]

Each figure is a cold build (--force) of every letter in the given format(s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lettersmith.compose.resolve import resolve  # noqa: E402
from lettersmith.load import workspace  # noqa: E402
from lettersmith.render import build  # noqa: E402
from workspaces import many_recipients  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="letters to build (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ws = workspace.load(many_recipients(Path(folder), args.n))
        start = time.perf_counter()
        mailings = [resolve(ws, letter_id) for letter_id in ws.letters]
        seconds = time.perf_counter() - start
        print(f"{args.n} letters, {args.jobs} workers")
        print(f"  resolve {seconds:7.2f} s  {seconds / args.n * 1000:7.1f} ms/letter, revision too")
        build.build(build.plan(mailings)[:2], force=True, workers=1)  # warm the font caches
        runs = [
            ("pdf/a-3b", ("pdf",), "pdf/a-3b"),
            ("pdf plain", ("pdf",), None),
            ("docx", ("docx",), None),
            ("pdf+docx", ("pdf", "docx"), "pdf/a-3b"),
        ]
        for label, formats, variant in runs:
            jobs = build.plan(mailings, formats=formats, pdf_variant=variant)
            start = time.perf_counter()
            outcomes = build.build(jobs, force=True, workers=args.jobs)
            seconds = time.perf_counter() - start
            failed = [o.error for o in outcomes if o.error]
            if failed:
                raise SystemExit(f"build failed: {failed[0]}")
            size = sum(job.path.stat().st_size for job in jobs) / len(jobs) / 1024
            print(
                f"  {label:10} {seconds:7.2f} s  {args.n / seconds:7.2f} letters/s"
                f"  {seconds / args.n * 1000:7.1f} ms/letter  {size:6.1f} kB/file"
            )


if __name__ == "__main__":
    main()
