"""Time ``Project.review_page`` for a big `each` mailing: what the web app's review page (and
``lettersmith review``) waits for the first time, since every letter is built and every page of
every letter is drawn as a picture up front (app/review.py), paged or not.

    python benchmarks/review_bench.py [--n 200]

Prints the seconds of the first review (letters built, PDF and DOCX, pictures drawn), of a
second one (the letters already built: only the pictures and the page), and the number of
pictures and page files written.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lettersmith import Project  # noqa: E402
from workspaces import many_recipients  # noqa: E402

LETTER = "menneskehandel-2024"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="recipients, one letter each")
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        root = many_recipients(Path(tmp) / "ws", n)
        project = Project.open(root)
        for label in ("first (build + pictures)", "again (pictures only)"):
            start = time.perf_counter()
            review = project.review_page(LETTER)
            seconds = time.perf_counter() - start
            pictures = sum(len(shown.pages) for shown in review.shown)
            print(
                f"{label}: {seconds:.1f} s for {len(review.shown)} letters, "
                f"{pictures} pictures, {len(review.written)} page files"
            )


if __name__ == "__main__":
    main()
