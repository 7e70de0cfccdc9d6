"""The house: data flows one way, and no module imports from a floor above its own.

Floors, lowest first: the base modules (model, errors, atomic, confine, addresses), load,
compose, render, deliver, the application layer (app/), the web app (web/), the command line.
Every import is counted, also those inside a function or under TYPE_CHECKING: a lazy import up
a floor is still a dependency up a floor.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "lettersmith"
FLOORS = ("base", "load", "compose", "render", "deliver", "app", "web", "cli")
# Top-level modules that are not a stage folder. deliver/ importing load/ is downward (load is
# the lower floor), so message.py's header check from load.yamlfile passes as it is.
TOP_LEVEL = {
    "lettersmith": "base",
    "lettersmith.model": "base",
    "lettersmith.errors": "base",
    "lettersmith.atomic": "base",
    "lettersmith.confine": "base",
    "lettersmith.addresses": "base",
    "lettersmith.scaffold": "load",  # writes a new workspace's files; reads ids as load does
    "lettersmith.cli": "cli",
    "lettersmith.__main__": "cli",
}


# The package's __init__ is imported as a base module (it holds __version__ only), and re-exports
# the public door, ``lettersmith.Project``, lazily: it may reach up to app/.
OWN_FLOOR = {"lettersmith": "app"}


def floor(module: str) -> str:
    if module in TOP_LEVEL:
        return TOP_LEVEL[module]
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in FLOORS:
        return parts[1]
    return "base"  # a new top-level helper module: it may import nothing above the base


def module_name(path: Path, package: Path) -> str:
    parts = ["lettersmith", *path.relative_to(package).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, package: Path) -> set[str]:
    """The lettersmith modules a module imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from lettersmith.render import build` imports lettersmith.render.build
                inner = f"{node.module}.{alias.name}"
                names.add(inner if is_module(inner, package) else node.module)
    return {name for name in names if name == "lettersmith" or name.startswith("lettersmith.")}


def is_module(name: str, package: Path) -> bool:
    path = package.joinpath(*name.split(".")[1:])
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """Every ``module -> imported module`` arrow that runs up a floor."""
    arrows = []
    for path in sorted(package.rglob("*.py")):
        module = module_name(path, package)
        own = FLOORS.index(OWN_FLOOR.get(module) or floor(module))
        for name in sorted(imported(ast.parse(path.read_text(encoding="utf-8")), package)):
            if FLOORS.index(floor(name)) > own:
                arrows.append(f"{module} -> {name}")
    return arrows


def test_no_import_runs_up_a_floor() -> None:
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The test above would notice one: a load module that reaches for the renderer."""
    package = tmp_path / "lettersmith"
    (package / "load").mkdir(parents=True)
    (package / "load" / "fine.py").write_text("from lettersmith.model import Workspace\n")
    (package / "load" / "bad.py").write_text(
        "def f():\n    from lettersmith.render import html\n    return html\n"
    )
    assert upward_imports(package) == ["lettersmith.load.bad -> lettersmith.render"]
