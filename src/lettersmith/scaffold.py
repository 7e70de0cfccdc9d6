"""``lettersmith init``: a new workspace that builds out of the box, or a new club file."""

from __future__ import annotations

import shutil
from pathlib import Path

from lettersmith.errors import LettersmithError
from lettersmith.load.yamlfile import invalid_id, is_id
from lettersmith.translate import _

DATA = Path(__file__).parent / "data"


def new_workspace(directory: Path) -> list[Path]:
    """Copy the starter workspace into ``directory``, which must be empty or new."""
    if directory.exists() and any(directory.iterdir()):
        raise LettersmithError(
            _(
                "{directory}: the folder is not empty; give a new folder: lettersmith "
                "init NEW-FOLDER"
            ).format(directory=directory)
        )
    source = DATA / "init"
    written = []
    for path in sorted(source.rglob("*")):
        target = directory / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            written.append(target)
    return written


def add_club(root: Path, club_id: str) -> Path:
    """Write a commented ``clubs/<club_id>.yaml`` into the workspace at ``root``."""
    if not is_id(club_id):
        raise LettersmithError(
            _("{invalid_id} (for example: bergen)").format(invalid_id=invalid_id(club_id))
        )
    target = root / "clubs" / f"{club_id}.yaml"
    if target.exists():
        raise LettersmithError(
            _("clubs/{club_id}.yaml: the club exists already; edit that file").format(
                club_id=club_id
            )
        )
    text = (DATA / "club.yaml").read_text(encoding="utf-8")
    name = club_id.replace("-", " ").title()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.format(club_id=club_id, club_name=name), encoding="utf-8")
    return target
