"""What the wheel holds: every template, stylesheet, script, font and catalogue the program
reads at run time must be inside it, or ``pipx install .`` gives a ``lettersmith serve`` whose
pages fail on a fresh machine. The venv's setuptools is too old to build this project's wheel
without build isolation (``license = "MIT"`` wants setuptools 77), so the test applies
setuptools' own rule instead: each file must match a ``package-data`` glob, each folder of
modules must be a package."""

from __future__ import annotations

import glob
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "lettersmith"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def data_files(folder: Path) -> set[str]:
    """The files under ``folder`` the program reads that are not modules (caches left out)."""
    return {
        str(path.relative_to(PACKAGE))
        for path in folder.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }


def in_the_wheel() -> set[str]:
    """What setuptools puts in the wheel by the ``package-data`` globs (it globs with
    recursive=True, and like glob skips names that start with a dot)."""
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["lettersmith"]
    found: set[str] = set()
    for pattern in patterns:
        for name in glob.glob(pattern, root_dir=PACKAGE, recursive=True):
            if (PACKAGE / name).is_file():
                found.add(name)
    return found


def test_every_file_the_web_app_and_the_engine_read_is_in_the_wheel() -> None:
    wanted = data_files(PACKAGE / "web") | data_files(PACKAGE / "data")
    assert any(name.startswith("web/templates/") for name in wanted)
    assert any(name.startswith("web/static/") for name in wanted)
    assert any(name.endswith(".po") for name in wanted)
    left_out = sorted(wanted - in_the_wheel())
    assert left_out == [], f"not in the wheel: widen package-data in pyproject.toml: {left_out}"


def test_every_folder_of_modules_is_a_package() -> None:
    """setuptools' find (not find_namespace) takes a folder only with an __init__.py."""
    folders = {path.parent for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts}
    assert sorted(str(f) for f in folders if not (f / "__init__.py").is_file()) == []


def test_the_build_asks_for_a_setuptools_that_reads_the_licence_field() -> None:
    """``license = "MIT"`` (a licence expression) needs setuptools 77 or later; an older one
    stops the build with a configuration error."""
    if not isinstance(PYPROJECT["project"].get("license"), str):
        return
    required = " ".join(PYPROJECT["build-system"]["requires"])
    found = re.search(r"setuptools\s*>=\s*(\d+)", required)
    assert found and int(found.group(1)) >= 77, required
