"""Signed vs unsigned PDF/A build of N one-letter-per-recipient letters; print ms/letter added.

    python benchmarks/sign_bench.py [--n 200] [--jobs CORES]

A throw-away CA and signer are made first (as in the tests); the key is loaded once per build,
before the workers fork. Each figure is a cold build (--force); signing is B-B (no time stamp).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from certs import PASSWORD, issue, make_ca, write_p12  # noqa: E402
from lettersmith.compose.resolve import resolve  # noqa: E402
from lettersmith.load import workspace  # noqa: E402
from lettersmith.model import SigningSettings  # noqa: E402
from lettersmith.render import build  # noqa: E402
from lettersmith.render.sign import sign_pdf  # noqa: E402
from workspaces import many_recipients  # noqa: E402


def timed(mailings, jobs: int) -> float:
    planned = build.plan(mailings, formats=("pdf",))
    start = time.perf_counter()
    outcomes = build.build(planned, force=True, workers=jobs)
    seconds = time.perf_counter() - start
    failed = [o.error for o in outcomes if o.error]
    if failed:
        raise SystemExit(f"build failed: {failed[0]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="letters to build (default 200)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = many_recipients(Path(folder), args.n)
        ca = make_ca()
        p12 = write_p12(root / "certs" / "union.p12", issue(ca, "Benchmark Signer"), ca)
        os.environ["LETTERSMITH_SIGN_PASSWORD"] = PASSWORD
        unsigned = workspace.load(root)
        signed = dataclasses.replace(unsigned, signing=SigningSettings(p12))
        plain_mailings = [resolve(unsigned, letter_id) for letter_id in unsigned.letters]
        signed_mailings = [resolve(signed, letter_id) for letter_id in signed.letters]
        print(f"{args.n} letters, {args.jobs} workers, PDF/A-3b")
        build.build(build.plan(plain_mailings)[:2], force=True, workers=1)  # warm the caches
        plain = timed(plain_mailings, args.jobs)
        sign = timed(signed_mailings, args.jobs)
        for label, seconds in (("unsigned", plain), ("signed", sign)):
            print(f"  {label:9} {seconds:7.2f} s  {seconds / args.n * 1000:7.1f} ms/letter")
        print(f"  signing adds {(sign - plain) / args.n * 1000:.1f} ms/letter (wall clock)")
        # The same step alone, in one process, on one of the PDFs just built.
        pdf = build.plan(plain_mailings[:1], formats=("pdf",))[0]
        data = build.render(pdf.letter, "pdf")
        sign_pdf(data, signed.signing, root)  # the key is loaded here, once
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(50):
            sign_pdf(data, signed.signing, root)
        alone = (time.perf_counter() - start) / 50 * 1000
        alone_cpu = (time.process_time() - cpu) / 50 * 1000
        cpu = time.process_time()
        for _ in range(10):
            build.render(pdf.letter, "pdf")
        render_cpu = (time.process_time() - cpu) / 10 * 1000
        print(
            f"  sign_pdf alone: {alone:.1f} ms/letter wall, {alone_cpu:.1f} ms CPU "
            f"(one process, key cached); rendering the same PDF: {render_cpu:.1f} ms CPU"
        )


if __name__ == "__main__":
    main()
