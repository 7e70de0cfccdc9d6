"""Build: composed letters into PDF and DOCX files under out/.

Each file is made only when its fingerprint (the composed letter, the files it shows, the
templates and lettersmith itself) differs from the one recorded beside it, and is written
beside its target and renamed, so out/ never holds half a file.
"""

from __future__ import annotations

import contextvars
import gc
import hashlib
import json
import os
import pickle
import secrets
import signal
import stat
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from lettersmith import __version__
from lettersmith.atomic import OutDir, content_hash
from lettersmith.compose import revision as revisions
from lettersmith.confine import MAX_ASSET, OutsideError, inside_out
from lettersmith.errors import LettersmithError, relative
from lettersmith.model import DEFAULT_PDF_VARIANT, ComposedLetter, SigningSettings, Workspace
from lettersmith.render.locked import check_statement
from lettersmith.translate import Language, _, current_language, use_language

if TYPE_CHECKING:
    from lettersmith.compose.resolve import Mailing
    from lettersmith.render.stamp import Coverage

FORMATS: tuple[str, ...] = ("pdf", "docx")
# Letters that differ only in the address field are laid out once when there are at least
# this many (the base costs two layouts per worker); a worker takes this many at a time.
MIN_GROUP = 6
CHUNK_SIZE = 25
PROBES = 8  # a group's letters sent with its base task: its statement is checked in one
AHEAD = 2  # tasks given to each worker process at a time
WRITERS = 4  # threads per worker that write files (and wait for the disk)
PACKAGE_DIR = Path(__file__).resolve().parents[1]
FINGERPRINTS = ".fingerprints.json"  # in each folder of out/: what its files were made from


@dataclass(frozen=True, slots=True)
class Job:
    """One file to make."""

    letter: ComposedLetter
    fmt: str
    path: Path
    fingerprint: str
    pdf_variant: str | None
    signing: SigningSettings | None = None  # PDFs are signed after rendering when set


class Records:
    """What each file in out/ was made from: ``out/<letter>/.fingerprints.json``, one per
    folder (read once per build, not a file per letter), and which files are there.

    A file is recorded after it is on disk; the records are written every few seconds and
    at the end, so a crash loses at most the last few records, and those files are only
    made again by the next build.
    """

    SAVE_EVERY = 2.0  # seconds

    def __init__(self) -> None:
        self._made: dict[Path, dict[str, str]] = {}
        self._present: dict[Path, set[str]] = {}
        self._changed: set[Path] = set()
        self._roots: dict[Path, Path] = {}  # folder -> its workspace, whose out/ holds it
        self._saved = time.monotonic()

    def _folder(self, folder: Path) -> dict[str, str]:
        if folder not in self._made:
            try:
                with os.scandir(folder) as entries:
                    self._present[folder] = {entry.name for entry in entries}
                made = json.loads((folder / FINGERPRINTS).read_text(encoding="utf-8"))
                if not isinstance(made, dict):
                    made = {}
            except (OSError, ValueError):
                made = {}
            self._made[folder] = {k: v for k, v in made.items() if isinstance(v, str)}
            self._present.setdefault(folder, set())
        return self._made[folder]

    def up_to_date(self, job: Job) -> bool:
        made = self._folder(job.path.parent)
        name = job.path.name
        return name in self._present[job.path.parent] and made.get(name) == job.fingerprint

    def record(self, job: Job) -> None:
        """The job's file is on disk, made from its fingerprint."""
        folder = job.path.parent
        self._folder(folder)[job.path.name] = job.fingerprint
        self._present[folder].add(job.path.name)
        self._changed.add(folder)
        self._roots[folder] = job.letter.root
        if time.monotonic() - self._saved > self.SAVE_EVERY:
            self.save()

    def save(self) -> None:
        for folder in sorted(self._changed):
            made = json.dumps(self._made[folder], indent=0, sort_keys=True)
            # Records lost only make the next build redo those files.
            with suppress(OSError, OutsideError):
                OutDir(self._roots[folder]).write(folder / FINGERPRINTS, made, durable=False)
        self._changed.clear()
        self._saved = time.monotonic()


@dataclass(frozen=True, slots=True)
class Outcome:
    path: Path
    built: bool  # False when the file was already up to date
    error: str | None = None


def letter_dir(ws: Workspace, letter_id: str) -> Path:
    """out/<letter>/, or out/clubs/<club>/<letter>/ in a club's view."""
    return ws.out_dir / letter_id


def plan(
    mailings: Iterable[Mailing],
    *,
    formats: Sequence[str] = FORMATS,
    pdf_variant: str | None = DEFAULT_PDF_VARIANT,
) -> list[Job]:
    """Every file the mailings make, in the order they are listed, each file once.

    Only the letters of the recipients ``--to`` selected; a joint letter is always the
    whole letter, addressed to all. A letter or format named twice (``build x x``,
    ``--format pdf,pdf``) is made once: two workers writing the same file would only race
    and count it twice.
    """
    jobs: dict[Path, Job] = {}
    folders = _FolderHashes()  # each template folder looked through once, not per letter
    for mailing in mailings:
        for letter in mailing.selected_letters:
            for fmt in formats:
                job = job_for(
                    mailing.workspace, letter, fmt, pdf_variant=pdf_variant, folders=folders
                )
                jobs.setdefault(job.path, job)
    return list(jobs.values())


def job_for(
    ws: Workspace,
    letter: ComposedLetter,
    fmt: str,
    *,
    pdf_variant: str | None = DEFAULT_PDF_VARIANT,
    folders: _FolderHashes | None = None,
) -> Job:
    variant = pdf_variant if fmt == "pdf" else None
    signing = ws.signing if fmt == "pdf" else None  # the DOCX is the editable copy
    path = letter_dir(ws, letter.letter_id) / f"{letter.stem}.{fmt}"
    made = fingerprint(letter, fmt, variant, signing, folders)
    return Job(letter, fmt, path, made, variant, signing)


def build(
    jobs: Sequence[Job],
    *,
    force: bool = False,
    workers: int | Workers | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Make the jobs' files (those out of date, or all with ``force``), ``workers`` at a time
    (a number, or worker processes started earlier with ``Workers``).

    A letter that fails to render is reported in its Outcome; the others are still built.
    """
    records = Records()
    try:
        return _build(jobs, records, force=force, workers=workers, on_done=on_done)
    finally:
        records.save()  # also when stopped: what was made is not made again


class Workers:
    """Worker processes, started before the work is known.

    One of them lays out the groups' bases and so loads WeasyPrint (a second of imports)
    as soon as it starts; the others stamp, make DOCX files and write, which needs none of
    it (they load it only if given a letter to lay out whole). ``build`` starts them once
    it knows there is work; the command line starts them first, so that they load what
    they need while it reads the workspace. The letters travel to them in chunks.
    """

    def __init__(self, count: int, formats: Sequence[str]) -> None:
        # What this process needs as well (to group the letters) and every worker would
        # load: loaded once, before they fork, rather than once in each.
        import lettersmith.render.stamp  # noqa: F401

        if "pdf" in formats:
            import pikepdf  # noqa: F401
        self.layout = ProcessPoolExecutor(
            max_workers=1, initializer=_start_worker, initargs=(tuple(formats), True)
        )
        self.pools = [self.layout]
        if count > 1:
            self.pools.append(
                ProcessPoolExecutor(
                    max_workers=count - 1,
                    initializer=_start_worker,
                    initargs=(tuple(formats), False),
                )
            )
        self.sizes = {id(self.layout): 1, id(self.pools[-1]): max(1, count - 1)}
        for pool in self.pools:
            for _process in range(self.sizes[id(pool)]):  # a pool starts its processes on work
                pool.submit(int)
        self.given: dict[int, set[Future[Any]]] = {id(pool): set() for pool in self.pools}

    def free(self) -> ProcessPoolExecutor | None:
        """A pool with a process that has nothing to do after its task, the layout worker's
        first: each is given its next task before it finishes one, so that it never waits
        for this process (busy, or not yet scheduled) to hand it more."""
        for pool in self.pools:
            given = self.given[id(pool)]
            given -= {future for future in given if future.done()}
            if len(given) < AHEAD * self.sizes[id(pool)]:
                return pool
        return None

    def submit(
        self, task: Callable[..., Any], *args: Any, pool: ProcessPoolExecutor | None = None
    ) -> Future[Any]:
        """Run ``task`` in ``pool`` (by default the layout worker's)."""
        pool = pool or self.layout
        # The worker speaks the language of the caller (a web request's, a command's): its
        # error messages end up in the caller's report.
        future = pool.submit(_in_language, current_language(), task, *args)
        self.given[id(pool)].add(future)
        return future

    def shutdown(self) -> None:
        """Drop the work not started and wait for what is under way (files finish whole)."""
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *failed: object) -> None:
        self.shutdown()


def _in_language(language: Language, task: Callable[..., Any], *args: Any) -> Any:
    with use_language(language):
        return task(*args)


def _start_worker(formats: tuple[str, ...], layout: bool) -> None:
    _ignore_interrupts()
    if layout:
        # The first base waits for this worker: WeasyPrint first, the rest when needed.
        if "pdf" in formats:
            # Should the load fail so, it is done again the usual way at the first layout.
            with _libraries_from_cache(), suppress(ImportError, OSError):
                import lettersmith.render.pdf  # noqa: F401
            import lettersmith.render.stamp  # noqa: F401
        return
    # Not run at a lower priority: what it loads is mostly loaded before the fork (see
    # ``Workers``), and its first task, a DOCX base, is what the DOCX files wait for; on a
    # machine busy with other work, a niced worker was the last to finish.
    _import_renderers(set(formats), layout=False)


@contextmanager
def _libraries_from_cache() -> Iterator[None]:
    """While WeasyPrint loads, ctypes' ``find_library`` answers from the dynamic linker's
    cache alone (Linux).

    WeasyPrint tries each native library under every platform's name (``libpango-1.0-0``,
    ``pango-1.0``, ...), and for each name cffi asks ``find_library``, which, for a name
    the cache lacks, runs gcc and ld (20 ms each): a third of a second before the first
    layout can start. Those answer a soname that the linker then looks up the usual way,
    and WeasyPrint's names end in the sonames themselves; a load that fails here is done
    again without this.
    """
    import ctypes.util

    from_cache = getattr(ctypes.util, "_findSoname_ldconfig", None)
    if from_cache is None:
        yield
        return
    usual = ctypes.util.find_library
    ctypes.util.find_library = from_cache
    try:
        yield
    finally:
        ctypes.util.find_library = usual


def _build(
    jobs: Sequence[Job],
    records: Records,
    *,
    force: bool,
    workers: int | Workers | None,
    on_done: Callable[[Outcome], None] | None,
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    by_path = {job.path: job for job in jobs}

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if outcome.built:
            records.record(by_path[outcome.path])
        if on_done:
            on_done(outcome)

    todo = []
    for job in jobs:
        if force or not records.up_to_date(job):
            todo.append(job)
        else:
            done(Outcome(job.path, built=False))
    _load_keys(todo)  # once here, before any render: a wrong password stops it all
    groups, singles = _groups(todo)
    if not todo:
        return outcomes
    if isinstance(workers, Workers):
        _run_in(workers, groups, singles, done)
        return outcomes
    count = max(1, min(workers or os.cpu_count() or 1, len(groups) * 2 + len(singles)))
    if count == 1:
        for group in groups:
            task, *args = group.base_task()
            for chunk in group.chunks(task(*args), count):
                for outcome in run_chunk(chunk):
                    done(outcome)
        for job in singles:
            for outcome in run_chunk(Chunk((job,))):
                done(outcome)
        return outcomes
    _import_renderers({job.fmt for job in todo})  # once here, not once in every worker
    with _frozen_heap(), Workers(count, ()) as started:
        _run_in(started, groups, singles, done)
    return outcomes


def _run_in(
    workers: Workers,
    groups: Sequence[Group],
    singles: Sequence[Job],
    done: Callable[[Outcome], None],
) -> None:
    """Make the groups and the single letters in the worker processes.

    The groups' bases go first, a PDF's to the layout worker; the single letters and a
    group's chunks (once its base is back) wait here and go to whichever worker is free, so
    that none waits behind another's long task.
    """
    count = sum(workers.sizes.values())
    with (
        _interrupt_flag() as interrupted,
        tempfile.TemporaryDirectory(prefix="lettersmith-") as stored,
    ):
        bases: dict[Future[Any], Group] = {}
        chunks: set[Future[Any]] = set()
        waiting: deque[Chunk] = deque(Chunk((job,)) for job in singles)
        for group in groups:
            task, *args = group.base_task()
            pool = workers.layout if group.jobs[0].fmt == "pdf" else workers.pools[-1]
            bases[workers.submit(task, *args, pool=pool)] = group

        def feed() -> None:
            while waiting and (pool := workers.free()) is not None:
                chunks.add(workers.submit(run_chunk, waiting.popleft(), pool=pool))

        feed()
        while (bases or chunks or waiting) and not interrupted.is_set():
            finished, _pending = wait({*bases, *chunks}, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in finished:
                if future in bases:
                    made = future.result()
                    if made is not None:
                        made = Made(StoredBase.store(made.base, Path(stored)), made.token)
                    waiting.extend(bases.pop(future).chunks(made, count))
                else:
                    chunks.discard(future)
                    for outcome in future.result():
                        done(outcome)
            feed()
        if interrupted.is_set():
            # Drop the chunks not started; the files being written finish whole.
            workers.shutdown()
            raise KeyboardInterrupt


def _load_keys(jobs: Sequence[Job]) -> None:
    for settings, root in {(job.signing, job.letter.root) for job in jobs if job.signing}:
        from lettersmith.render.sign import load_key

        load_key(settings, root)


@dataclass(frozen=True)
class Chunk:
    """Files a worker makes in one go: of one group (see render/stamp.py) or single letters."""

    jobs: tuple[Job, ...]
    group: str | None = None  # the group's key when its letters are stamped into one base
    base: Any = None  # the group's stamp.PdfBase or stamp.DocxBase, or a StoredBase
    token: str = ""  # names the base: a worker makes its stamper once


@dataclass(frozen=True)
class Made:
    """A group's base, checked, and the token that names it (see ``_base_task``)."""

    base: Any  # stamp.PdfBase or stamp.DocxBase, or a StoredBase
    token: str


@dataclass(frozen=True)
class StoredBase:
    """A base in a file of the build's own, read once by each worker: sent with every chunk,
    a DOCX base (fonts and all, 600 kB) would be copied to the workers hundreds of times."""

    path: Path

    @classmethod
    def store(cls, base: Any, folder: Path) -> StoredBase:
        path = folder / f"{secrets.token_hex(8)}.base"
        path.write_bytes(pickle.dumps(base))
        return cls(path)

    def load(self) -> Any:
        return pickle.loads(self.path.read_bytes())  # noqa: S301 -- written by this build


@dataclass(frozen=True)
class Group:
    """Files of letters that differ only in the address field: laid out once, then stamped."""

    key: str
    jobs: tuple[Job, ...]
    chars: Coverage  # every character (and joined pair) the group's fields need

    def base_task(self) -> tuple[Any, ...]:
        """What makes the base, as (function, arguments...): run here or in a worker."""
        from lettersmith.render import stamp

        job = self.jobs[0]
        # The letters the statement may be checked in: the first that stamps is (a few are
        # enough: a letter that does not stamp is one whose address does not fit the field).
        letters = tuple(job.letter for job in self.jobs[:PROBES])
        if job.fmt == "docx":
            return (_base_task, letters, job.fmt, stamp.docx_base, job.letter)
        prove = not stamp.builtin_template(job.letter)
        return (
            _base_task, letters, job.fmt, stamp.pdf_base, job.letter, self.chars,
            job.pdf_variant, prove,
        )  # fmt: skip

    def chunks(self, made: Made | None, workers: int) -> list[Chunk]:
        """The group's jobs in chunks small enough that every worker has some and that Ctrl-C
        stops soon; without a base, in smaller ones (each letter is a whole layout)."""
        if made is None:
            size = max(1, min(4, len(self.jobs) // (4 * workers)))
            return [Chunk(self.jobs[at : at + size]) for at in range(0, len(self.jobs), size)]
        size = max(1, min(CHUNK_SIZE, len(self.jobs) // (4 * workers)))
        return [
            Chunk(self.jobs[at : at + size], self.key, made.base, made.token)
            for at in range(0, len(self.jobs), size)
        ]


def _base_task(
    letters: Sequence[ComposedLetter], fmt: str, make: Callable[..., Any], *args: Any
) -> Made | None:
    """A group's base, its statement checked, or None when it cannot be made or a letter
    stamped from it does not show the statement as adopted (each letter then goes the
    ordinary way, which reports the problem).

    The statement is read back once here, in the first of the group's letters that stamps,
    not once per chunk: a stamped letter is the base but for the field's slot (its
    instructions set by the stamper, read back for remnants in every letter), so the
    statement every letter shows is the one checked here.
    """
    try:
        base = make(*args)
        if base is None:
            return None
        stamper = base.stamper()
        for letter in letters:
            stamped = stamper.stamp(letter) if stamper is not None else None
            if stamped is not None:
                check_statement(stamped, letter, fmt)
                # A new token each build, though the letters be the same; this worker
                # keeps the stamper it made for the chunks it is given.
                made = Made(base, secrets.token_hex(8))
                _keep_stamper(made.token, stamper)
                return made
        return None  # no letter fits the field: each is laid out whole
    except LettersmithError:
        return None


def _groups(todo: Sequence[Job]) -> tuple[list[Group], list[Job]]:
    """The jobs whose letters can be stamped, by group (those of at least MIN_GROUP letters),
    and the rest."""
    from lettersmith.render import stamp

    by_key: dict[str | None, list[Job]] = {}
    for job in todo:
        by_key.setdefault(stamp.group_key(job.letter, job.fmt, job.pdf_variant), []).append(job)
    groups, singles = [], []
    for key, jobs in by_key.items():
        if key is None or len(jobs) < MIN_GROUP:
            singles += jobs
        else:
            chars = stamp.coverage(job.letter for job in jobs)
            groups.append(Group(key, tuple(jobs), chars))
    return groups, singles


def run_chunk(chunk: Chunk) -> list[Outcome]:
    """Make a chunk's files; runs in a worker process when building in parallel.

    Files are rendered here and written by a few threads, so that the wait for the disk
    (each file is flushed to it before it is renamed into place) overlaps the next render.
    """
    # A group's base had its statement read back when it was made (see ``_base_task``).
    stamper = _stamper(chunk) if chunk.group is not None else None
    with ThreadPoolExecutor(max_workers=WRITERS) as writers:
        pending: list[Outcome | Future[Outcome]] = []
        confined: set[Path] = set()
        for job in chunk.jobs:
            stamped = stamper.stamp(job.letter) if stamper is not None else None
            try:
                data = make(job, stamped, confined)
            except LettersmithError as error:
                pending.append(Outcome(job.path, built=False, error=str(error)))
                continue
            # A writer thread speaks this one's language (a thread starts with none of its own).
            pending.append(writers.submit(contextvars.copy_context().run, put, job, data))
    return [item if isinstance(item, Outcome) else item.result() for item in pending]


# A worker keeps the stampers of the last few groups it made (a build has one per letter,
# language and salutation shape); each holds one letter's PDF or DOCX.
_stampers: dict[str, Any] = {}
MAX_STAMPERS = 4


def _stamper(chunk: Chunk) -> Any:
    """The chunk's group's PdfStamper or DocxStamper, or None: made once per worker."""
    key = chunk.token
    if key not in _stampers:
        base = chunk.base.load() if isinstance(chunk.base, StoredBase) else chunk.base
        _keep_stamper(key, base.stamper() if base is not None else None)
    return _stampers[key]


def _keep_stamper(token: str, stamper: Any) -> None:
    if len(_stampers) >= MAX_STAMPERS:
        _stampers.clear()
    _stampers[token] = stamper


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep the garbage collector of forked workers off the objects they inherit.

    A worker forked from the parent shares its memory (the plan of 10,000 letters) until it
    writes to it, and a collection writes to every object it visits: without this, each
    worker would end up with its own copy, and memory would grow with the letters.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _interrupt_flag() -> Iterator[threading.Event]:
    """Ctrl-C sets a flag instead of raising wherever the main thread happens to be.

    A KeyboardInterrupt raised inside ProcessPoolExecutor's own code can leave its workers
    waiting for ever (the build then hangs instead of stopping); the loop above checks the
    flag between waits and stops the pool itself.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted  # signals reach only the main thread
        return
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the main process's to handle (it stops handing out work)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ensure_pdfs(
    ws: Workspace,
    letters: Sequence[ComposedLetter],
    *,
    workers: int | None = None,
    pdf_variant: str | None = DEFAULT_PDF_VARIANT,
) -> list[Path]:
    """The letters' PDFs in out/, those missing or stale built first (in parallel)."""
    jobs = [job_for(ws, letter, "pdf", pdf_variant=pdf_variant) for letter in letters]
    errors = [outcome.error for outcome in build(jobs, workers=workers) if outcome.error]
    if errors:
        raise LettersmithError("\n".join(errors))
    return [job.path for job in jobs]


def ensure_pdf(ws: Workspace, letter: ComposedLetter) -> Path:
    """The letter's PDF in out/, built first if it is missing or stale."""
    return ensure_pdfs(ws, [letter], workers=1)[0]


def make(job: Job, stamped: bytes | None = None, confined: set[Path] | None = None) -> bytes:
    """The file's bytes: rendered (unless ``stamped`` gives them), a PDF signed when set.

    ``confined``: folders already found inside out/ (a chunk's letters share one)."""
    if confined is None or job.path.parent not in confined:
        inside_out(job.path, job.letter.root)
        if confined is not None:
            confined.add(job.path.parent)
    data = stamped if stamped is not None else render(job.letter, job.fmt, job.pdf_variant)
    if job.signing is not None:
        from lettersmith.render.sign import sign_pdf

        data = sign_pdf(data, job.signing, job.letter.root)
    return data


def put(job: Job, data: bytes) -> Outcome:
    """Write a file's bytes into place (its fingerprint is recorded by the caller)."""
    try:
        OutDir(job.letter.root).write(job.path, data)
    except OutsideError as error:  # a folder swapped for a link since it was checked
        return Outcome(job.path, built=False, error=str(error))
    except OSError as error:
        return Outcome(job.path, built=False, error=_write_error(job, error))
    return Outcome(job.path, built=True)


def _write_error(job: Job, error: OSError) -> str:
    shown = relative(job.path, job.letter.root)
    return _(
        "{shown}: cannot be written: {strerror}; check that you may write to "
        "{parent}/ (or delete out/: it is remade) and that the disk is not full"
    ).format(shown=shown, strerror=error.strerror or error, parent=Path(shown).parent)


def render(
    letter: ComposedLetter, fmt: str, pdf_variant: str | None = DEFAULT_PDF_VARIANT
) -> bytes:
    """The file's bytes, its adopted statement checked word for word; a club's letter is made
    in a worker process under the limits of ``render.worker``."""
    from lettersmith.render.worker import run_limited

    data: bytes = run_limited(letter, fmt.upper(), render_checked, letter, fmt, pdf_variant)
    return data


def render_checked(letter: ComposedLetter, fmt: str, pdf_variant: str | None) -> bytes:
    if fmt == "pdf":
        from lettersmith.render.pdf import render_pdf

        data = render_pdf(letter, variant=pdf_variant)
    elif fmt == "docx":
        from lettersmith.render.docx import render_docx

        data = render_docx(letter)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    check_statement(data, letter, fmt)
    return data


def _import_renderers(formats: set[str], *, layout: bool = True) -> None:
    """What making the files needs, loaded once (before the workers fork, or in each);
    WeasyPrint only with ``layout``."""
    import lettersmith.render.locked
    import lettersmith.render.stamp  # noqa: F401

    if "pdf" in formats:
        import pikepdf  # noqa: F401
        import pypdfium2  # noqa: F401

        import lettersmith.render.html  # noqa: F401

        if layout:
            import lettersmith.render.pdf  # noqa: F401
    if "docx" in formats:
        import lettersmith.render.docx  # noqa: F401


def fingerprint(
    letter: ComposedLetter,
    fmt: str,
    pdf_variant: str | None,
    signing: SigningSettings | None = None,
    folders: _FolderHashes | None = None,
) -> str:
    """A hash of everything a file is made from; equal hashes mean an equal file.

    Signing counts (its settings and the certificate file, never the password): a PDF built
    before a certificate was set, or with another one, is made again. It includes
    lettersmith's version and code, so an upgrade rebuilds the files; whether a letter was
    changed since it was sent is decided by the mailing's revision, never by this.
    """
    signed = (signing.certificate, signing.timestamp_url, signing.reason) if signing else None
    digest = hashlib.sha256(f"{fmt}\0{pdf_variant}\0{signed!r}\0".encode())
    digest.update(_letter_hash(letter, folders or _FolderHashes()).encode())
    if signing is not None:
        digest.update(_file_hash(signing.certificate).encode())
    return digest.hexdigest()


_last_letter: list[Any] = [None, ""]  # the letter hashed last and its hash: a letter's formats


def _letter_hash(letter: ComposedLetter, folders: _FolderHashes) -> str:
    """The letter, the files it shows and lettersmith's code; once for all of a letter's formats."""
    if _last_letter[0] is letter:
        return cast(str, _last_letter[1])
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{letter!r}\0".encode())
    digest.update(code_hash().encode())
    digest.update(folders.digest(letter.template_dirs).encode())
    # The text is in the letter; the look of what leaves by content (font, logos, signature).
    digest.update(folders.files(letter.root).look_hash(letter).encode())
    _last_letter[:] = [letter, digest.hexdigest()]
    return cast(str, _last_letter[1])


class _FolderHashes:
    """The hash of every file in some template folders, each set of folders looked through
    once (a plan of 1,000 letters would otherwise list the same folders 1,000 times)."""

    def __init__(self) -> None:
        self._known: dict[tuple[Path, ...], str] = {}
        self._files: dict[Path, revisions.Files] = {}

    def files(self, root: Path) -> revisions.Files:
        """The letters' files looked up once per plan (what_leaves' cache)."""
        if root not in self._files:
            self._files[root] = revisions.Files(root)
        return self._files[root]

    def digest(self, folders: Sequence[Path]) -> str:
        key = tuple(folders)
        if key not in self._known:
            digest = hashlib.sha256()
            for folder in key:
                for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
                    digest.update(f"{path}\0".encode())
                    digest.update(_file_hash(path).encode())
            self._known[key] = digest.hexdigest()
        return self._known[key]


def _file_hash(path: Path) -> str:
    """A file's content hash; a link by where it points, and nothing read past the size limit
    (a club's templates/ may hold a link to /dev/zero or a FIFO: it must not hang the build)."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            return f"link:{os.readlink(path)}"
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ASSET:
            return f"size:{info.st_size}:{info.st_mtime_ns}"
        return content_hash(path, info)
    except OSError:
        return "missing"


@cache
def code_hash() -> str:
    """lettersmith's own code and built-in templates: a change to either rebuilds everything."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and path.suffix not in (".pyc",):
            digest.update(path.read_bytes())
    return digest.hexdigest()
