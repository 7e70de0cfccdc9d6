"""Who may do what on a union's server: the roles, the actions, and the one table between them.

Every face asks this module (through ``Project``, which checks each verb against its
account): the web app names a route's action to answer 403 before any work, and the engine
refuses the same action again inside the verb. So a route that forgot its rule, or a program
calling the API with an account, still meets the rule.

Roles (DESIGN.md, "Accounts and roles"):

- ``admin``: accounts and settings, and everything a secretary does;
- ``secretary``: positions, letters, recipients, clubs, building and sending;
- ``board``: sees everything, approves; edits and sends nothing;
- ``club:<id>``: sees the union's positions and letters (not the union's register of
  recipients: its own are in its club file); edits only its own club's file and folder;
  builds, reviews, sends and reads the inbox only for its own club's versions.

No account (``None``) is the person at the workspace's own computer: the commands, and the
web app opened by its one-time link without accounts. They may do everything, as whoever can
edit the files could anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from lettersmith.errors import LettersmithError
from lettersmith.roles import CLUB_PREFIX as CLUB_PREFIX
from lettersmith.roles import ROLE_WORDS as ROLE_WORDS
from lettersmith.roles import role_word as role_word  # the engine's and the pages' name for it
from lettersmith.translate import _

ROLES = ("admin", "secretary", "board")
# The ``club`` of an action on every club at once (the journal's rebuild): no club account's.
EVERY_CLUB = "*"


class Action(Enum):
    """What a request or a verb does, as far as the roles are concerned."""

    SEE = "see"  # read positions, letters, the overview, a review, a status (a club: its own)
    # read the union's register of recipients (recipients.yaml) and export it: the union's
    # roles; a club keeps its own recipients in its club file
    SEE_REGISTER = "see-register"
    EDIT = "edit"  # change the union's files: positions, letters, recipients.yaml, offices
    EDIT_CLUB = "edit-club"  # change a club's file and folder (clubs/<id>.yaml, clubs/<id>/)
    BUILD = "build"  # build a letter (into out/) or its review
    APPROVE = "approve"  # approve a letter's revision
    SEND = "send"  # send a letter, read the inbox for it
    ACCOUNTS = "accounts"  # add, remove and change others' accounts


@dataclass(frozen=True)
class Account:
    """A person's account on the server: their name (what they log in with) and role."""

    name: str
    role: str

    @property
    def club(self) -> str | None:
        """The club of a ``club:<id>`` account (None for the union's roles)."""
        return self.role[len(CLUB_PREFIX) :] if self.role.startswith(CLUB_PREFIX) else None


class NotAllowed(LettersmithError):
    """An account asked for something its role does not allow (a web page answers 403)."""


# The union's roles: the actions each may take on anything (any club's version too).
_UNION_ROLES: dict[str, frozenset[Action]] = {
    "admin": frozenset(Action) - {Action.APPROVE},
    "secretary": frozenset(Action) - {Action.APPROVE, Action.ACCOUNTS},
    "board": frozenset({Action.SEE, Action.SEE_REGISTER, Action.APPROVE}),
}
# A club's account: on its own club's versions and files.
_CLUB_OWN = frozenset({Action.SEE, Action.EDIT_CLUB, Action.BUILD, Action.SEND})


def allowed(account: Account | None, action: Action, club: str | None = None) -> bool:
    """May ``account`` take ``action`` on the union's things (``club`` None) or a club's?

    For a club account, ``club`` None means the union's own positions and letters: it may
    see them (to make its version), and nothing else; another club's are closed to it.
    """
    if account is None:
        return True
    if account.club is not None:
        if club is None:
            return action is Action.SEE
        return club == account.club and action in _CLUB_OWN
    return action in _UNION_ROLES.get(account.role, frozenset())


def require(account: Account | None, action: Action, club: str | None = None) -> None:
    """Raise ``NotAllowed`` unless ``allowed``: the engine's own check inside each verb."""
    if not allowed(account, action, club):
        assert account is not None
        raise NotAllowed(
            _("{name} ({role}) may not do this: {what}").format(
                name=account.name, role=role_word(account.role), what=describe(action)
            )
        )


def describe(action: Action) -> str:
    """The action in words, for a refusal."""
    return {
        Action.SEE: _("see this"),
        Action.SEE_REGISTER: _("see the union's register of recipients"),
        Action.EDIT: _("change the union's positions, letters or recipients"),
        Action.EDIT_CLUB: _("change this club's files"),
        Action.BUILD: _("build this letter"),
        Action.APPROVE: _("approve letters (a board account does)"),
        Action.SEND: _("send this letter or read its inbox"),
        Action.ACCOUNTS: _("manage accounts (an admin account does)"),
    }[action]


def parse_role(text: str, clubs: frozenset[str] | None = None) -> str:
    """The role as stored, from what a person typed (``admin``, ``club:bergen``...).

    Raises ``ValueError`` with the words to show for a role that does not exist, or a club
    not in ``clubs`` (when given).
    """
    from lettersmith.load.yamlfile import is_id  # not at import: the command line starts light

    role = text.strip().lower()
    if role in ROLES:
        return role
    if role.startswith(CLUB_PREFIX):
        club = role[len(CLUB_PREFIX) :]
        if is_id(club) and (clubs is None or club in clubs):
            return role
        if is_id(club) and clubs is not None:
            raise ValueError(
                _("{role}: there is no club {club} (clubs/{club}.yaml); one of: {known}").format(
                    role=text, club=club, known=", ".join(sorted(clubs)) or _("(none)")
                )
            )
    raise ValueError(
        _("{role}: not a role; use admin, secretary, board or club:<id> (e.g. club:bergen)").format(
            role=text
        )
    )
