"""A club's letter is rendered in a worker process held to limits on time, memory and pages.

Limits inside one process (the template sandbox's watchdog) cannot stop a single call that
allocates gigabytes (``s|replace("x", s)``) or a layout that runs for minutes (an SVG of
nested ``<use>``). A separate process can be: the kernel refuses it memory past the limit
(``RLIMIT_AS`` on Linux; elsewhere a watchdog thread checks its peak memory), and the parent
kills it when the time is up. The error names the club's files and the limit.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from lettersmith import confine
from lettersmith.errors import LettersmithError, RenderError
from lettersmith.model import ComposedLetter
from lettersmith.translate import Language, _, current_language, use_language

T = TypeVar("T")

try:
    import resource
except ImportError:  # pragma: no cover - Windows has no resource limits; the timeout still holds
    resource = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Limits:
    seconds: float
    memory: int  # bytes the worker may grow by

    @classmethod
    def current(cls) -> Limits:
        """Read when a render starts, so that a test (or a future setting) can change them."""
        return cls(confine.RENDER_SECONDS, confine.RENDER_MEMORY)


def run_limited(letter: ComposedLetter, what: str, function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` for a club's letter, in a worker process under ``Limits.current()``.

    ``what`` names the kind of file ("PDF", "DOCX", "template") in the message. A letter of the
    organisation itself is rendered here in this process, as before: its files are trusted.
    """
    if letter.club_id is None:
        return function(*args)
    limits = Limits.current()
    context = multiprocessing.get_context(_start_method())
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(  # type: ignore[attr-defined]
        target=_child,
        args=(sender, limits, current_language(), function, args),
        daemon=True,
        name="lettersmith-render",
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            kind, value = "time", None
        else:
            try:
                kind, value = receiver.recv()
            except (EOFError, OSError):  # killed: by the kernel past a limit, or crashed
                process.join(5)
                cpu_limit = getattr(signal, "SIGXCPU", None)
                kind = "time" if cpu_limit and process.exitcode == -cpu_limit else "memory"
                value = None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if kind == "ok":
        return cast(T, value)  # what ``function`` returned in the child
    if kind == "time":
        raise RenderError(
            _(
                "{club_files}: stopped: rendering the {what} of {stem} took longer than "
                "{seconds:g} seconds, the limit for a club's letter; look for a loop or "
                "a very large picture"
            ).format(
                club_files=club_files(letter, what),
                what=_(what),
                stem=letter.stem,
                seconds=limits.seconds,
            )
        )
    if kind == "memory":
        raise RenderError(
            _(
                "{club_files}: stopped: rendering the {what} of {stem} needed more than "
                "{number} MB of memory, the limit for a club's letter; look for a loop "
                "that repeats text or a very large picture"
            ).format(
                club_files=club_files(letter, what),
                what=_(what),
                stem=letter.stem,
                number=limits.memory // 1000000,
            )
        )
    if kind == "error":
        raise LettersmithError(value)
    raise RenderError(
        _("{club_files}: rendering the {what} failed: {value}").format(
            club_files=club_files(letter, what), what=_(what), value=value
        )
    )


def club_files(letter: ComposedLetter, what: str) -> str:
    """The club's files a render used, as the user would type them: whom the error is about."""
    club_dir = Path("clubs") / str(letter.club_id)
    name = "letter.docx" if what == "DOCX" else "letter.html.j2"
    for candidate in (club_dir / "templates" / name, club_dir / "templates" / "letter.css"):
        if (letter.root / candidate).is_file():
            return str(candidate)
    return f"clubs/{letter.club_id}.yaml"


def _start_method() -> str:
    # fork is quick and shares the imported renderers; macOS's system libraries dislike it.
    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods and sys.platform != "darwin" else "spawn"


# The limits this process is held to, when it is a render worker (for messages).
active: Limits | None = None


def _child(
    sender: Any,
    limits: Limits,
    language: Language,
    function: Callable[..., Any],
    args: tuple[Any, ...],
) -> None:
    global active
    active = limits
    try:
        _hold_to(limits)
        with use_language(language):  # spawned (macOS), the child would start in English
            result: tuple[str, Any] = ("ok", function(*args))
    except MemoryError:
        result = ("memory", None)
    except LettersmithError as error:
        result = ("error", str(error))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which raises
        result = ("crash", f"{type(error).__name__}: {error}")
    try:
        sender.send(result)
    except MemoryError:
        sender.send(("memory", None))
    finally:
        sender.close()
    os._exit(0)  # no cleanup inherited from the parent (atexit, open pools)


def _hold_to(limits: Limits) -> None:
    if resource is None:
        return
    cpu = int(limits.seconds) + 1
    _set_limit(resource.RLIMIT_CPU, cpu)
    if sys.platform.startswith("linux"):
        _set_limit(resource.RLIMIT_AS, _address_space() + limits.memory)
    else:  # macOS does not enforce RLIMIT_AS: watch the peak memory instead
        baseline = _peak_bytes()
        threading.Thread(
            target=_watch_memory, args=(baseline + limits.memory,), daemon=True
        ).start()


def _set_limit(kind: int, value: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    # A limit the platform will not take is left out: the timeout still holds.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(kind, (value, hard))


def _address_space() -> int:
    """This process's current virtual size in bytes (Linux)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _peak_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS counts bytes, Linux kB


def _watch_memory(limit: int) -> None:
    while True:
        if _peak_bytes() > limit:
            os._exit(3)  # the parent sees the pipe close: "memory"
        time.sleep(0.01)
