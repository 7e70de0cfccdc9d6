"""Words the pages show for the engine's codes (a journal row's state, what a role may do), in
the reader's language. A role's own name in words is ``access.role_word``: the written review
shows it too."""

from __future__ import annotations

from lettersmith.app.access import Account, Action, allowed
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


# What an account may do, by action: on the union's things, and on its own club's.
MAY_UNION = {
    Action.SEE: N_("see the positions, the letters and where each stands"),
    Action.SEE_REGISTER: N_("see the register of recipients"),
    Action.EDIT: N_("change positions, letters and recipients"),
    Action.EDIT_CLUB: N_("change the clubs' files"),
    Action.BUILD: N_("build letters"),
    Action.APPROVE: N_("approve letters"),
    Action.SEND: N_("send letters and read their inbox"),
    Action.ACCOUNTS: N_("manage the accounts"),
}
MAY_CLUB = {
    Action.SEE: N_("see club {club}'s versions of the letters"),
    Action.EDIT_CLUB: N_("change club {club}'s file and folder"),
    Action.BUILD: N_("build club {club}'s versions of the letters"),
    Action.APPROVE: N_("approve club {club}'s versions of the letters"),
    Action.SEND: N_("send club {club}'s versions and read their inbox"),
}


def abilities(account: Account | None) -> list[str]:
    """What ``account`` may do, in words, from the engine's table (``access.allowed``): on the
    union's things, then on its own club's."""
    found = [_(MAY_UNION[action]) for action in Action if allowed(account, action)]
    club = account.club if account is not None else None
    if club is not None:
        found += [
            _(MAY_CLUB[action]).format(club=club)
            for action in Action
            if action in MAY_CLUB and allowed(account, action, club)
        ]
    return found
