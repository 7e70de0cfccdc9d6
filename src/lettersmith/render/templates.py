"""Jinja2 templates: an ordered search path, a sandbox, and bounded rendering.

Templates come from three places, searched in order: a club's ``templates/``, the workspace's
``templates/``, then the built-in ones. ``builtin/NAME`` always reaches the built-in template,
so an override can ``{% extends "builtin/letter.html.j2" %}`` instead of copying it.

Club templates are written by people we do not control, so they run in Jinja2's sandbox and
under limits: a template that loops for ever, builds a huge string or output, or asks for huge
numbers is stopped with a ``TemplateError`` that names the template file and line.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import operator
import os
import re
import secrets
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from markupsafe import Markup

from lettersmith.atomic import file_version
from lettersmith.confine import MAX_TEMPLATE, RefusedFileError, read_limited
from lettersmith.errors import TemplateError
from lettersmith.translate import N_, _

try:  # not on Windows: there the memory check is left to the operating system
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

BUILTIN_DIR = Path(__file__).resolve().parents[1] / "data" / "templates"
BUILTIN_PREFIX = "builtin"
DEFAULT_TIME_LIMIT = 10.0  # seconds
DEFAULT_MAX_CHARS = 2_000_000  # also the largest number, width or repeat count a template may use
# A template may not grow the process by more than this while it renders.
MAX_MEMORY_GROWTH_KB = 256 * 1024
MEMORY_CHECK_INTERVAL = 0.002  # seconds
# The width and precision in ``%08.3f`` and ``{:>8.3}``.
_FORMAT_WIDTH = re.compile(r"(?:%[-#0 +]*|\{[^{}]*:[^{}\d]*)(\d+)(?:\.(\d+))?")


class RenderLimitError(SecurityError):
    """A template ran too long, grew too large, or asked for a number too large to be sane."""


@dataclass(frozen=True)
class _Limits:
    time_limit: float  # seconds, as the message says it
    deadline: float
    max_chars: int
    max_rss_kb: int

    @classmethod
    def starting_now(cls, time_limit: float, max_chars: int) -> _Limits:
        deadline = time.monotonic() + time_limit
        return cls(time_limit, deadline, max_chars, _rss_kb() + MAX_MEMORY_GROWTH_KB)

    def check_time(self, now: float) -> None:
        if now > self.deadline:
            raise RenderLimitError(
                _("rendering took longer than {time_limit:g} seconds").format(
                    time_limit=self.time_limit
                )
            )


_limits: contextvars.ContextVar[_Limits | None] = contextvars.ContextVar("limits", default=None)
_environments: dict[tuple[object, ...], SandboxedEnvironment] = {}
MAX_ENVIRONMENTS = 32
_environments_lock = threading.Lock()


class _LimitedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, plus limits on operators and calls that can make huge values in one step."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        _check_numbers(left, right)
        if op == "*" and isinstance(right, int) and hasattr(left, "__len__"):
            _check_size(len(left) * right)
        if op == "*" and isinstance(left, int) and hasattr(right, "__len__"):
            _check_size(len(right) * left)
        if op == "**" and isinstance(right, int) and right > 64:
            raise RenderLimitError(
                _("exponent {right} is too large for a template").format(right=right)
            )
        if op == "%" and isinstance(left, str):
            _check_format_widths(left)
        return {"*": operator.mul, "**": operator.pow, "%": operator.mod}[op](left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_numbers(*args, *kwargs.values())
        # The sandbox wraps str.format; the format string is the wrapped method's __self__.
        method = getattr(__obj, "__wrapped__", __obj)
        if isinstance(getattr(method, "__self__", None), str):
            _check_format_widths(method.__self__)
        return super().call(__context, __obj, *args, **kwargs)


def _current_limits() -> _Limits:
    limits = _limits.get()
    if limits is None:  # rendered outside render(): apply the defaults
        return _Limits.starting_now(DEFAULT_TIME_LIMIT, DEFAULT_MAX_CHARS)
    return limits


def _check_numbers(*values: Any) -> None:
    limit = _current_limits().max_chars
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit:
            raise RenderLimitError(
                _("the number {value} is too large for a template").format(value=value)
            )


def _check_size(size: int) -> None:
    if size > _current_limits().max_chars:
        raise RenderLimitError(
            _("a value of {size} characters or items is too large").format(size=size)
        )


def _check_format_widths(fmt: str) -> None:
    """Refuse ``"%0999999999d"`` and ``"{:>999999999}"``: one short string, a huge result."""
    for match in _FORMAT_WIDTH.finditer(fmt):
        for digits in match.groups():
            if digits and int(digits) > _current_limits().max_chars:
                raise RenderLimitError(
                    _("the field width {digits} is too large").format(digits=digits)
                )


def _limit_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter so that ``"x"|center(10**9)`` is refused before it allocates anything."""

    @functools.wraps(function)  # keeps Jinja's pass_context/pass_environment marker
    def limited(*args: Any, **kwargs: Any) -> Any:
        # Skip the context (if passed) and the filtered value: only the options can blow up.
        skip = 2 if hasattr(function, "jinja_pass_arg") else 1
        _check_numbers(*args[skip:], *kwargs.values())
        if name == "format":
            for value in args:
                if isinstance(value, str):
                    _check_format_widths(value)
        return function(*args, **kwargs)

    return limited


def environment(template_dirs: Sequence[Path], *, root: Path | None = None) -> SandboxedEnvironment:
    """The sandboxed environment for ``template_dirs`` (searched in order), then the built-ins.

    ``root`` is the workspace root, used only to show template paths in error messages.
    Environments are cached, so templates are compiled once per process.
    """
    dirs = tuple(Path(d) for d in template_dirs)
    # Keyed by the folders' files too: Jinja would keep using a built-in template after a
    # workspace's override of it appeared, in a process that stays open (the web app).
    key = (dirs, root, _listing(dirs))
    with _environments_lock:
        env = _environments.get(key)
        if env is None:
            if len(_environments) >= MAX_ENVIRONMENTS:
                _environments.clear()
            env = _environments[key] = _make_environment(dirs, root)
        return env


def _listing(dirs: tuple[Path, ...]) -> tuple[tuple[str | int, ...], ...]:
    """Every file in the template folders, by name and version (``file_version``)."""
    found: list[tuple[str | int, ...]] = []
    for folder in dirs:
        for parent, _folders, files in os.walk(folder):  # links to folders not followed: no loops
            for name in sorted(files):
                with contextlib.suppress(OSError):
                    info = os.stat(os.path.join(parent, name))
                    found.append((os.path.join(parent, name), *file_version(info)))
    return tuple(sorted(found))


class RefusedTemplate(TemplateError):
    """A template file refused by the loader (a link out, too large, unreadable)."""


class ConfinedLoader(jinja2.FileSystemLoader):
    """A folder of templates whose files must really be in it and small.

    Jinja's own loader follows a symlink anywhere (``env.txt -> /proc/self/environ``); this
    one resolves every file and refuses one whose real path leaves the folder, and one past
    ``MAX_TEMPLATE`` bytes, before reading it.
    """

    def __init__(self, folder: Path, root: Path | None = None):
        super().__init__(folder)
        self.folder = Path(os.path.realpath(folder))
        self.root = root  # the workspace: a club's template there must have one name

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        path = Path(self.folder, *pieces)
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(self.folder):
            raise RefusedTemplate(
                _(
                    "{display}: refused: it is a link to a file outside {folder}/; put the "
                    "file itself there"
                ).format(
                    display=_display(environment, str(path)),
                    folder=_display(environment, str(self.folder)),
                )
            )
        shown = _display(environment, str(path))
        try:
            data = read_limited(real, MAX_TEMPLATE, shown, N_("template"), root=self.root)
        except RefusedFileError as error:
            raise RefusedTemplate(str(error)) from None
        except OSError as error:
            raise RefusedTemplate(
                _("{shown}: cannot be read: {strerror}").format(
                    shown=shown, strerror=error.strerror
                )
            ) from None
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RefusedTemplate(
                _("{shown}: is not UTF-8 text; save it as UTF-8").format(shown=shown)
            ) from None
        read = file_version(real.stat())
        return source, str(path), lambda: _unchanged(real, read)


def _unchanged(path: Path, read: tuple[int, ...]) -> bool:
    try:
        info = path.stat()
    except OSError:
        return False
    # Changed in the last two seconds: perhaps written again in the same tick of the clock.
    racy = time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < 2 * 10**9
    return stat.S_ISREG(info.st_mode) and not racy and file_version(info) == read


def _make_environment(template_dirs: tuple[Path, ...], root: Path | None) -> SandboxedEnvironment:
    builtin = ConfinedLoader(BUILTIN_DIR)
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({BUILTIN_PREFIX: builtin}),
            *(ConfinedLoader(d, root) for d in template_dirs),
            builtin,
        ]
    )
    env = _LimitedSandbox(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters = {name: _limit_filter(name, f) for name, f in env.filters.items()}
    env.lettersmith_root = root  # type: ignore[attr-defined]
    return env


def statement_marker() -> Markup:
    """A fresh marker for the place of the adopted statement (see ``render.html``)."""
    return Markup(f"<lettersmith-statement-{secrets.token_hex(8)}>")


def template_file(env: SandboxedEnvironment, name: str) -> str:
    """Where template ``name`` comes from, as the user would type it."""
    try:
        template = env.get_template(name)
    except Exception:  # noqa: BLE001 - only for a message
        return name
    return _display(env, template.filename or name)


def render(
    env: SandboxedEnvironment,
    name: str,
    context: dict[str, Any],
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> str:
    """Render template ``name`` with ``context``, within ``time_limit`` seconds and ``max_chars``.

    Every failure -- a syntax error, an undefined name, a sandbox violation, a limit -- becomes
    a ``TemplateError`` whose message starts with the template's file and line.
    """
    limits = _Limits.starting_now(time_limit, max_chars)
    token = _limits.set(limits)
    shown = name
    try:
        template = env.get_template(name)
        shown = _display(env, template.filename or name)
        with _Watchdog(env, limits):
            return _collect(template.generate(context), limits)
    except jinja2.TemplateSyntaxError as error:
        where = _where(env, error.filename or name, error.lineno)
        raise TemplateError(f"{where}: {error.message}") from None
    except jinja2.TemplateNotFound as error:
        searched = ", ".join(_display(env, str(d)) for d in _search_dirs(env))
        where = _where_raised(env, error, "")  # the include or import that named it
        prefix = f"{where}: " if where else ""
        raise TemplateError(
            _("{prefix}{name}: template not found (searched {searched})").format(
                prefix=prefix, name=error.name, searched=searched
            )
        ) from None
    except RefusedTemplate as error:
        where = _where_raised(env, error, "")  # the include, import or extends that named it
        raise TemplateError(f"{where}: {error}" if where else str(error)) from None
    except TemplateError:
        raise
    except Exception as error:  # anything a template can provoke; the message says where
        raise TemplateError(f"{_where_raised(env, error, shown)}: {_describe(error)}") from None
    finally:
        _limits.reset(token)


def _collect(chunks: Iterator[str], limits: _Limits) -> str:
    """Join the output as it comes, stopping as soon as it grows too large or too slow."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limits.max_chars:
            raise RenderLimitError(
                _("output passed {max_chars} characters").format(max_chars=limits.max_chars)
            )
        limits.check_time(time.monotonic())
        parts.append(chunk)
    return "".join(parts)


class _Watchdog:
    """Check the limits on every line a template executes, so that a loop with no output stops.

    A trace function is the one hook that sees a tight ``{% for %}`` loop: it is installed for
    this thread only, and only template frames (whose globals hold this environment) get line
    events, so Python code called from the template runs at full speed.
    """

    def __init__(self, env: SandboxedEnvironment, limits: _Limits):
        self.env, self.limits = env, limits

    def __enter__(self) -> None:
        self.next_memory_check = 0.0
        self.stopped = False
        self.previous = sys.gettrace()
        sys.settrace(self._on_call)

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self.previous)

    def _on_call(self, frame: Any, event: str, arg: Any) -> Any:
        if not self.stopped and frame.f_globals.get("environment") is self.env:
            return self._on_line
        return None

    def _on_line(self, frame: Any, event: str, arg: Any) -> Any:
        if self.stopped:
            return None
        now = time.monotonic()
        try:
            self.limits.check_time(now)
            # Asking the kernel costs a system call: often enough to catch a doubling string.
            if now >= self.next_memory_check:
                self.next_memory_check = now + MEMORY_CHECK_INTERVAL
                if resource is not None and _rss_kb() > self.limits.max_rss_kb:
                    raise RenderLimitError(_("rendering used too much memory"))
        except RenderLimitError:
            # Once, then quiet: Jinja rewrites the traceback of the error by running code in
            # the template's globals, and a second error raised in there would replace ours
            # with a confusing one ("'traceback' object is not callable").
            self.stopped = True
            raise
        return self._on_line


def _rss_kb() -> int:
    """The process's memory in kB now where the platform tells (Linux), else its peak (0
    where it cannot tell at all). Now rather than the peak: a peak reached by other work
    of the process (another thread, a test before) is not this template's doing."""
    if resource is None:
        return 0
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/statm", "rb") as statm:
                resident_pages = int(statm.read().split()[1])
            return resident_pages * (resource.getpagesize() // 1024)
        except (OSError, ValueError, IndexError):
            pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes, Linux kB


def _describe(error: Exception) -> str:
    if isinstance(error, jinja2.UndefinedError):
        return _("{message} (is the name spelt as in the built-in template?)").format(
            message=error.message
        )
    if isinstance(error, RenderLimitError):
        return _("stopped: {reason}").format(reason=error)
    if isinstance(error, SecurityError):
        return _("not allowed in a template: {error}").format(error=error)
    if isinstance(error, MemoryError):
        from lettersmith.render import worker

        if worker.active is not None:
            return _(
                "stopped: it needed more than {limit} MB of memory, the limit for a "
                "club's letter; look for a loop that repeats text"
            ).format(limit=worker.active.memory // 1000000)
    if isinstance(error, OverflowError | MemoryError | RecursionError):
        return _("stopped: {reason}").format(reason=str(error) or type(error).__name__)
    return f"{type(error).__name__}: {error}"


def _where_raised(env: SandboxedEnvironment, error: BaseException, fallback: str) -> str:
    """The innermost template frame in the traceback (Jinja rewrites them to template lines)."""
    folders = _search_dirs(env)
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if not frame.filename.endswith(".py") and any(
            Path(frame.filename).is_relative_to(folder) for folder in folders
        ):
            return _where(env, frame.filename, frame.lineno)
    return fallback


def _where(env: SandboxedEnvironment, filename: str, line: int | None) -> str:
    shown = _display(env, filename)
    return shown if line is None else f"{shown}:{line}"


def _display(env: jinja2.Environment, filename: str) -> str:
    """A template path as the user would type it: relative to the workspace, or ``builtin/``."""
    path = Path(filename)
    if path.is_relative_to(BUILTIN_DIR):
        return f"{BUILTIN_PREFIX}/{path.relative_to(BUILTIN_DIR)}"
    root: Path | None = getattr(env, "lettersmith_root", None)
    for base in (root, Path.cwd()):
        if base is not None and path.is_absolute() and path.is_relative_to(base):
            return str(path.relative_to(base))
    return filename


def _search_dirs(env: SandboxedEnvironment) -> list[Path]:
    loader = env.loader
    assert isinstance(loader, jinja2.ChoiceLoader)
    dirs: list[Path] = []
    for choice in loader.loaders:
        if isinstance(choice, jinja2.FileSystemLoader):
            dirs.extend(Path(p) for p in choice.searchpath)
    return dirs
