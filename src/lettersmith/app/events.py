"""What long work tells its caller while it runs: the command line draws a progress bar and
prints warning lines from these; a web app can stream them to a browser.

A method of ``Project`` that reports takes ``on_event``, a function called with each event,
in the caller's thread or in one of the build's threads (keep it quick; it must not raise).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """``done`` of ``total`` items of ``stage`` ("build", "send") are finished."""

    stage: str
    done: int
    total: int


@dataclass(frozen=True)
class Warning:  # shadows the built-in only inside this module, which never needs it
    """Something the user should know that does not stop the work (``FILE: warning: ...``)."""

    text: str


Event = Progress | Warning
OnEvent = Callable[[Event], None]


def ignore(event: Event) -> None:
    """The default listener: a caller that shows nothing."""
