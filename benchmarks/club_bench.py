"""What a club's safety costs per letter: the render worker and the read-back of the statement.

    python benchmarks/club_bench.py [--n 20]

Renders the example's club letter N times in this process (as the union's letters are) and N
times through the limited worker process, and times reading the statement back from the PDF
and the DOCX.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lettersmith.compose.resolve import resolve  # noqa: E402
from lettersmith.load import workspace  # noqa: E402
from lettersmith.render import build, locked  # noqa: E402
from lettersmith.render.docx import render_docx  # noqa: E402
from lettersmith.render.html import template_shown  # noqa: E402
from lettersmith.render.pdf import render_pdf  # noqa: E402
from lettersmith.render.worker import run_limited  # noqa: E402
from workspaces import copy_example  # noqa: E402


def per_letter(n: int, function) -> float:
    start = time.perf_counter()
    for _ in range(n):
        function()
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="letters per figure (default 20)")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as folder:
        ws = workspace.load(copy_example(Path(folder)))
        letter = resolve(ws, "menneskehandel-2024", club="bergen").letters[0]
        render_pdf(letter)  # warm the font caches
        pdf, docx = render_pdf(letter), render_docx(letter)
        figures = [
            ("pdf in process", lambda: render_pdf(letter)),
            ("pdf in the worker", lambda: run_limited(letter, "PDF", render_pdf, letter)),
            ("pdf read-back", lambda: locked.check_pdf(pdf, letter, template_shown(letter))),
            ("docx in process", lambda: render_docx(letter)),
            ("docx read-back", lambda: locked.check_docx(docx, letter, "letter.docx")),
            ("club build (worker + read-back)", lambda: build.render(letter, "pdf")),
        ]
        print(f"{n} renders of the Bergen club letter, one at a time")
        for label, function in figures:
            print(f"  {label:32} {per_letter(n, function):7.1f} ms/letter")


if __name__ == "__main__":
    main()
