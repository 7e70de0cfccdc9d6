"""The review pages the app has made, kept while they are still true.

Making a review renders the letter's pages as pictures (a second or more); ten board members
opening the page at once would make it ten times, one after the other. So a review is made
again only when what it shows has changed: the letter's revision (what the reader gets,
envelope included) or a recipient's row in the journal. Until then every browser is shown
the one already made; one made while others wait is shared with them.

A review's pictures and files are served only if the review listed them (by number in that
list): no path is made from what a request says.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

from lettersmith.app.project import Project
from lettersmith.app.review import Review
from lettersmith.web.targets import Target


@dataclass(frozen=True)
class Made:
    fresh: Hashable  # what the review showed was true while this stays the same
    review: Review
    files: tuple[Path, ...]

    @property
    def numbers(self) -> dict[str, int]:
        """Each picture's and file's number, by its path in the review (as ``shown`` names it)."""
        return {str(path.relative_to(self.review.folder)): n for n, path in enumerate(self.files)}


class Reviews:
    """The latest review of each letter (and club version); safe to use from any thread."""

    def __init__(self) -> None:
        self._made: dict[Target, Made] = {}
        self._making: dict[Target, threading.Lock] = {}
        self._lock = threading.Lock()

    def page(self, project: Project, chosen: Target, writing: threading.Lock) -> Made:
        """The review of ``chosen``: the one made before if still true, else a new one
        (written under ``writing``, the lock of out/)."""
        fresh = freshness(project, chosen)
        with self._lock:
            making = self._making.setdefault(chosen, threading.Lock())
        with making:
            with self._lock:
                made = self._made.get(chosen)
            if made is not None and made.fresh == fresh and all(p.is_file() for p in made.files):
                return made
            with writing:
                review = project.review_page(chosen.letter, club=chosen.club)
            files = [review.folder / path for shown in review.shown for path in shown.pages]
            files += [review.folder / shown.pdf for shown in review.shown]
            files += [review.folder / shown.docx for shown in review.shown]
            made = Made(fresh, review, tuple(files))
            with self._lock:
                self._made[chosen] = made
            return made

    def file(self, chosen: Target, number: int) -> Path | None:
        with self._lock:
            made = self._made.get(chosen)
        files = made.files if made is not None else ()
        return files[number] if 0 <= number < len(files) else None


def freshness(project: Project, chosen: Target) -> Hashable:
    """The letter's revision and each recipient's row in the journal (state and time)."""
    status = project.status(chosen.letter, club=chosen.club)
    rows = tuple(
        (rid, address, entry.state if entry else None, entry.updated_at if entry else None)
        for rid, address, entry in status.rows
    )
    return (status.approval.revision, rows)
