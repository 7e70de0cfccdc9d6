"""Regenerate tests/golden/letter-page1.png after an intended change of the letter's layout.

Run ``make refresh-golden``, look at the new image, and commit it with the change.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS))

from lettersmith.atomic import atomic_write  # noqa: E402
from lettersmith.render.pdf import render_pdf  # noqa: E402
from test_visual import GOLDEN_PAGE1, page1_image, reference_letter  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        image = page1_image(render_pdf(reference_letter(Path(folder))))
        target = Path(folder) / GOLDEN_PAGE1.name
        image.save(target, format="PNG", optimize=True)
        atomic_write(GOLDEN_PAGE1, target.read_bytes())
    print(f"wrote {GOLDEN_PAGE1.relative_to(TESTS.parent)}")


if __name__ == "__main__":
    main()
