"""The rule table between roles and actions (DESIGN.md, "Accounts and roles")."""

from __future__ import annotations

import pytest

from lettersmith.app.access import Account, Action, NotAllowed, allowed, parse_role, require

ADMIN = Account("anne", "admin")
SECRETARY = Account("siri", "secretary")
BOARD = Account("bodil", "board")
BERGEN = Account("berit", "club:bergen")


def test_the_board_sees_and_approves_and_does_nothing_else() -> None:
    assert allowed(BOARD, Action.SEE) and allowed(BOARD, Action.APPROVE, "bergen")
    for action in (Action.EDIT, Action.EDIT_CLUB, Action.BUILD, Action.SEND, Action.ACCOUNTS):
        assert not allowed(BOARD, action)
        assert not allowed(BOARD, action, "bergen")


def test_only_the_board_approves() -> None:
    for account in (ADMIN, SECRETARY, BERGEN):
        assert not allowed(account, Action.APPROVE)
        assert not allowed(account, Action.APPROVE, "bergen")


def test_the_secretary_does_the_work_but_not_the_accounts() -> None:
    for action in (Action.SEE, Action.EDIT, Action.EDIT_CLUB, Action.BUILD, Action.SEND):
        assert allowed(SECRETARY, action) and allowed(SECRETARY, action, "oslo")
    assert not allowed(SECRETARY, Action.ACCOUNTS)
    assert allowed(ADMIN, Action.ACCOUNTS) and allowed(ADMIN, Action.SEND)


def test_a_club_works_on_its_own_versions_and_sees_the_unions() -> None:
    assert allowed(BERGEN, Action.SEE)  # the union's positions and letters
    for action in (Action.SEE, Action.EDIT_CLUB, Action.BUILD, Action.SEND):
        assert allowed(BERGEN, action, "bergen")
        assert not allowed(BERGEN, action, "oslo")
    for action in (Action.EDIT, Action.EDIT_CLUB, Action.BUILD, Action.SEND, Action.ACCOUNTS):
        assert not allowed(BERGEN, action)  # the union's own: read only


def test_no_account_is_the_workspace_own_computer() -> None:
    assert all(allowed(None, action, club) for action in Action for club in (None, "x"))


def test_a_refusal_names_the_account_and_what_it_may_not_do() -> None:
    with pytest.raises(NotAllowed, match=r"berit \(club bergen\) may not do this: send"):
        require(BERGEN, Action.SEND, "oslo")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("admin", "admin"), (" Board ", "board"), ("club:bergen", "club:bergen")],
)
def test_roles_as_typed(typed: str, stored: str) -> None:
    assert parse_role(typed, frozenset({"bergen"})) == stored


@pytest.mark.parametrize(
    ("typed", "words"),
    [("boss", "not a role"), ("club:", "not a role"), ("club:../x", "not a role"),
     ("club:oslo", "there is no club oslo")],
)  # fmt: skip
def test_roles_that_do_not_exist(typed: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_role(typed, frozenset({"bergen"}))
