"""Workspaces for tests: a copy of the example at the repository root, or one made from text."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_PARTS = ("lettersmith.yaml", "recipients.yaml", "positions", "letters", "assets", "clubs")


def copy_example(target: Path) -> Path:
    """The repository's example workspace, copied to ``target`` (out/ and the journal left out)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in EXAMPLE_PARTS:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.exists():
            shutil.copyfile(source, target / name)
    return target


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write each ``relative path: text`` (dedented) under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


MINIMAL = {
    "lettersmith.yaml": """
        organisation:
          name: Testforeningen
        language: nb
        place: Oslo
        signatories:
          leder: {name: Kari Nordmann, title: Styreleder}
    """,
    "recipients.yaml": """
        a:
          title: Kunnskapsminister
          name: Anne Alfa
          email: postmottak@a.example.no
          tags: [dep]
        b:
          title: Helseminister
          name: Bjørn Beta
          email: postmottak@b.example.no
          tags: [dep]
        c:
          organisation: Casa kommune
          email: post@c.example.no
    """,
    "positions/sak.md": """
        ---
        title: En viktig sak
        adopted_by: Årsmøtet
        adopted_on: 2025-03-01
        ---
        Dette er uttalelsen.
    """,
    "letters/brev.yaml": """
        position: sak
        to: [tag:dep, c]
        mode: each
        date: 2025-03-10
        signatory: leder
    """,
}


def minimal(root: Path, changes: dict[str, str] | None = None) -> Path:
    """A small valid workspace; ``changes`` replace or add files by relative path."""
    return write_files(root, {**MINIMAL, **(changes or {})})


def many_recipients(root: Path, n: int, their_reference_every: int = 0) -> Path:
    """The example workspace with ``n`` generated recipients, one letter each (for benchmarks);
    every ``their_reference_every``-th of them with a case number of its own ("Deres ref.")."""
    copy_example(root)
    lines = []
    for i in range(n):
        lines += [
            f"r{i:05d}:",
            "  title: Ordfører",
            f"  name: Person Nummer {i}",
            f"  email: postmottak{i}@kommune{i}.example.no",
            "  tags: [alle]",
        ]
        if their_reference_every and i % their_reference_every == 0:
            lines.append(f"  their_reference: 24/{i}")
    (root / "recipients.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = root / "letters" / "menneskehandel-2024.yaml"
    letter = path.read_text(encoding="utf-8")
    letter = letter.replace("to: [smk, hod, jd]", "to: [tag:alle]")
    path.write_text(letter.replace("mode: joint", "mode: each"), encoding="utf-8")
    for club in (root / "clubs").glob("*.yaml"):
        club.unlink()
    return root
