"""The send's outbox: what a send attaches, fixed when it is planned.

A send makes the letters' PDFs afresh (a file in out/ changed after its build, its size and
time put back, would pass the build's records), in a folder of its own, and keeps a copy of
every file it attaches in ``.lettersmith/outbox/<run>/``, named by the sha256 of its bytes.
A build or a ``preview --date`` that rewrites out/ while a (rate-limited) send runs changes
nothing that send attaches, and each copy is read and checked against its hash as each
message is made (``message.Attached.read``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import secrets
import shutil
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from lettersmith.atomic import OutDir, atomic_write, file_version
from lettersmith.compose import mailtext
from lettersmith.compose import revision as revisions
from lettersmith.compose.resolve import Mailing
from lettersmith.confine import inside_out
from lettersmith.deliver import message as mail
from lettersmith.errors import DeliveryError, LettersmithError
from lettersmith.model import ComposedLetter, Workspace
from lettersmith.render import build
from lettersmith.translate import _

if TYPE_CHECKING:
    from lettersmith.deliver.send import Planned

KEEP = dt.timedelta(days=30)  # a run's copies left by a crash are removed after this


class Outbox:
    """One planned run's copies of what it attaches, and the hashes they must keep."""

    def __init__(self, mailing: Mailing) -> None:
        self.mailing = mailing
        ws = mailing.workspace
        self.ws, self.root = ws, ws.root
        self.outbox = ws.state_dir / "outbox"
        # A folder of this run's own: a dry run that ends while a send runs removes only its own.
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.folder = self.outbox / self.token
        # The attachments as the revision (and so the approval) saw them.
        self.approved = dict(mailing.asset_files)
        self._taken: dict[Path, mail.Attached] = {}
        # What leaves with each letter (by stem), as looked at once its PDF was made.
        self.leaving: dict[str, revisions.WhatLeaves] = {}
        _forget_old(self.outbox)

    def make_pdfs(self, letters: Sequence[ComposedLetter]) -> list[Path]:
        """The letters' PDFs made now, from the letters the board approved, each taken into
        the outbox and also written to out/ (to show what was sent); their out/ paths."""
        jobs = [build.job_for(self.ws, letter, "pdf") for letter in letters]
        # Made in a folder of this run's own: nothing else writes there between make and read.
        private = [
            dataclasses.replace(job, path=job.path.parent / f".send-{self.token}" / job.path.name)
            for job in jobs
        ]
        out = OutDir(
            self.root
        )  # through folder handles: a folder swapped for a link is not followed
        try:
            before = self._versions(letters)
            outcomes = build.build(private, force=True)
            if errors := [outcome.error for outcome in outcomes if outcome.error]:
                raise LettersmithError("\n".join(errors))
            self._same_as_resolved(letters, before)
            for job, made in zip(jobs, private, strict=True):
                data = made.path.read_bytes()
                self._keep(job.path, mailtext.attachment_name(job.letter), data)
                out.write(inside_out(job.path, self.root), data)
        finally:
            for folder in {made.path.parent for made in private}:
                with suppress(OSError, LettersmithError):
                    out.remove_tree(folder)
        return [job.path for job in jobs]

    def take(self, letter: ComposedLetter, pdf: Path) -> list[mail.Attached]:
        """What the message of ``letter`` attaches: its PDF (from ``make_pdfs``) and its extra
        attachments, each checked against the revision and kept."""
        attached = [self._taken[pdf]]
        for path in letter.attachments:
            if path not in self._taken:
                self._attachment(path, letter)
            attached.append(dataclasses.replace(self._taken[path], name=path.name))
        return attached

    def _attachment(self, path: Path, letter: ComposedLetter) -> None:
        shown = mail.shown_name(path, self.root)
        data = mail.read_attachment(path, letter)
        sha = hashlib.sha256(data).hexdigest()
        approved = self.approved.get(shown)
        if approved != sha:
            raise DeliveryError(
                _(
                    "{shown} changed since the letter was read (sha256 {approved} then, "
                    "{sha} now); nothing was sent; run the send again"
                ).format(shown=shown, approved=str(approved)[:12], sha=sha[:12])
            )
        self._keep(path, path.name, data)

    def discard(self) -> None:
        """Remove every copy this run took (a plan that stopped half way)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _keep(self, path: Path, name: str, data: bytes) -> None:
        sha = hashlib.sha256(data).hexdigest()
        copy = atomic_write(self.folder / sha, data, durable=False)
        self._taken[path] = mail.Attached(name, copy, mail.shown_name(path, self.root), sha)

    def _versions(self, letters: Sequence[ComposedLetter]) -> dict[Path, tuple[int, ...]]:
        """The version (``file_version``) of every file that what leaves looks at."""
        files = revisions.Files(self.root)
        for letter in letters:
            revisions.what_leaves(
                letter, self.mailing.mode, self.ws.mail, files=files, signing=self.ws.signing
            )
        return {path: _version(path) for path in files.paths()}

    def _same_as_resolved(
        self, letters: Sequence[ComposedLetter], before: dict[Path, tuple[int, ...]]
    ) -> None:
        """What leaves, looked at again once the PDFs are made: a logo, font or template
        changed while they were being made would go out under a revision (an approval) it
        is not in; so would one changed and put back meanwhile (its version tells)."""
        mailing = self.mailing
        changed = DeliveryError(
            _(
                "{letter_id}: the letter's files changed while the send was being "
                "planned; nothing was sent; run the send again"
            ).format(letter_id=mailing.letter_id)
        )
        if {path: _version(path) for path in before} != before:
            raise changed
        files = revisions.Files(self.root)
        for letter in letters:
            now = revisions.what_leaves(
                letter, mailing.mode, self.ws.mail, files=files, signing=self.ws.signing
            )
            if now.revision != mailing.letter_revisions[letter.stem]:
                raise changed
            self.leaving[letter.stem] = now


def _version(path: Path) -> tuple[int, ...]:
    try:
        return file_version(path.stat())
    except OSError:
        return ()


def forget_copies(ws: Workspace, planned: Sequence[Planned]) -> None:
    """The outbox copies of a finished run: the next run plans (and copies) afresh."""
    outbox = ws.state_dir / "outbox"
    folders = set()
    for item in planned:
        for file in item.out.files:
            if file.path.parent.parent == outbox:
                file.path.unlink(missing_ok=True)
                folders.add(file.path.parent)
    for folder in folders:
        with suppress(OSError):
            folder.rmdir()


def _forget_old(outbox: Path) -> None:
    """Runs that ended without removing their copies (a crash, a plan only looked at, as the
    review page does): those of a process no longer running, and any past ``KEEP``."""
    cutoff = (dt.datetime.now() - KEEP).timestamp()
    with suppress(OSError):
        for run in outbox.iterdir():
            with suppress(OSError, ValueError):
                if not run.is_dir() or run.is_symlink():
                    continue
                pid = int(run.name.split("-", 1)[0])
                if not _running(pid) or run.lstat().st_mtime < cutoff:
                    shutil.rmtree(run)


def _running(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows, os.kill would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process: running
    return True
