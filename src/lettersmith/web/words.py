"""Words the pages show for the engine's codes (a journal row's state), in the reader's
language."""

from __future__ import annotations

from lettersmith.translate import N_, _

STATES = {
    "sent": N_("sent"),
    "deferred": N_("deferred (will be tried again)"),
    "failed": N_("failed"),
    "unknown": N_("unknown: the connection broke as it went out"),
    "sending": N_("being sent"),
}


def state_word(state: str) -> str:
    """A journal state in words (an unknown code as it is)."""
    return _(STATES[state]) if state in STATES else state
