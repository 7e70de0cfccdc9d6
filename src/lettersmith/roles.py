"""The roles of a union's accounts as people read them: ``board`` is "board member" ("styremedlem"),
``club:bergen`` "club bergen" ("klubb bergen").

A base module because every floor names an account's role to its reader: an approval in the
journal (deliver/), a refusal and the audit trail (app/), the pages (web/). One table, so a
Norwegian page, a status line and an audit line never show a role code in English.
"""

from __future__ import annotations

from lettersmith.translate import N_, _

CLUB_PREFIX = "club:"
ROLE_WORDS = {
    "admin": N_("administrator"),
    "secretary": N_("secretary"),
    "board": N_("board member"),
}


def role_word(role: str) -> str:
    """A stored role in the reader's words (``club:bergen``: "club bergen"; a code this table
    does not know, as it is)."""
    if role.startswith(CLUB_PREFIX):
        return _("club {club}").format(club=role[len(CLUB_PREFIX) :])
    return _(ROLE_WORDS[role]) if role in ROLE_WORDS else role
