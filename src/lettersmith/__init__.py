"""lettersmith: adopted statements and a recipient register in, signed letters out.

The Python API is ``lettersmith.Project`` (see the README, "The Python API").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["Project", "__version__"]

if TYPE_CHECKING:
    from lettersmith.app.project import Project


def __getattr__(name: str) -> object:
    # Imported on first use: `lettersmith --version` and the worker processes need none of it.
    if name == "Project":
        from lettersmith.app.project import Project

        return Project
    raise AttributeError(f"module 'lettersmith' has no attribute {name!r}")
