"""The DOCX, laid out by LibreOffice, is the same letter as the PDF: each key line within 3 mm
on the same page, for the reference letter, a club's letter and a three-page letter.

``make parity`` prints the same measures and writes page 1 of both files side by side to
``out/parity/``. In CI (``CI`` set) a missing LibreOffice fails instead of skipping. Both files
hyphenate Norwegian: LibreOffice needs the patterns for it (``hyphen-no``, which
``make system-deps`` installs), or its lines are longer than the PDF's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lettersmith.render.docx import render_docx
from lettersmith.render.pdf import render_pdf
from parity import TOLERANCE_MM, measure, parity_letters, report, soffice_pdf

if shutil.which("soffice") is None:
    if os.environ.get("CI"):
        raise RuntimeError(
            "LibreOffice is required in CI: apt-get install libreoffice-writer-nogui hyphen-no"
        )
    pytest.skip("LibreOffice is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    return parity_letters(tmp_path_factory.mktemp("parity"))


@pytest.mark.parametrize("name", ["reference", "club", "three-pages"])
def test_key_lines_lie_within_3_mm(letters, name, tmp_path: Path) -> None:
    letter = letters[name]
    pdf = render_pdf(letter)
    measures = measure(letter, pdf, soffice_pdf(render_docx(letter), tmp_path))
    assert all(m.pdf and m.docx for m in measures), report(name, measures)
    assert all(m.ok for m in measures), f"off by more than {TOLERANCE_MM} mm:\n" + report(
        name, measures
    )
    pages = {m.line: m.pdf.page for m in measures if m.pdf}
    if name == "three-pages":
        assert pages["closing"] == 3 and "'Side 2 av 3'" in pages


def test_the_measure_sees_a_moved_line(letters, tmp_path: Path) -> None:
    """A letter compared with a different one fails: the measure is not blind."""
    reference, club = letters["reference"], letters["three-pages"]
    measures = measure(reference, render_pdf(reference), render_pdf(club))
    assert not all(m.ok for m in measures)
