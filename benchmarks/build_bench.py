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

from lettersmith import build, workspace  # noqa: E402
from workspaces import copy_example  # noqa: E402


def make_workspace(root: Path, n: int) -> Path:
    copy_example(root)
    lines = []
    for i in range(n):
        lines += [
            f"r{i:04d}:",
            "  title: Ordfører",
            f"  name: Person Nummer {i}",
            f"  email: postmottak{i}@kommune{i}.example.no",
            "  tags: [alle]",
        ]
    (root / "recipients.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    letter = (root / "letters" / "menneskehandel-2024.yaml").read_text(encoding="utf-8")
    letter = letter.replace("to: [smk, hod, jd]", "to: [tag:alle]").replace(
        "mode: joint", "mode: each"
    )
    (root / "letters" / "menneskehandel-2024.yaml").write_text(letter, encoding="utf-8")
    for club in (root / "clubs").glob("*.yaml"):
        club.unlink()
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="letters to build (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ws = workspace.load(make_workspace(Path(folder), args.n))
        specs = list(ws.letters.values())
        print(f"{args.n} letters, {args.jobs} workers")
        build.build(build.plan(ws, specs)[:2], force=True, workers=1)  # warm the font caches
        for formats in (("pdf",), ("docx",), ("pdf", "docx")):
            jobs = build.plan(ws, specs, formats=formats)
            start = time.perf_counter()
            outcomes = build.build(jobs, force=True, workers=args.jobs)
            seconds = time.perf_counter() - start
            failed = [o.error for o in outcomes if o.error]
            if failed:
                raise SystemExit(f"build failed: {failed[0]}")
            print(
                f"  {'+'.join(formats):9} {seconds:7.2f} s  {args.n / seconds:7.2f} letters/s"
                f"  {seconds / args.n * 1000:7.1f} ms/letter"
            )


if __name__ == "__main__":
    main()
