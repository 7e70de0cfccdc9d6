"""Separation of duties on a union's server: an approval is recorded with the account that
gave it, and once the workspace has accounts only a board account's approval meets
``approval: required`` (a name typed after ``--by`` no longer does, and ``send`` says so)."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith import Project
from lettersmith.app.access import Account, NotAllowed
from lettersmith.cli import main
from lettersmith.errors import DeliveryError
from lettersmith.web.app import create_app
from lettersmith.web.security import CSRF_HEADER
from webapp import TOKEN, client, session_as

LETTER = "menneskehandel-2024"
BOARD = Account("bodil", "board")
SECRETARY = Account("siri", "secretary")
BERGEN = Account("berit", "club:bergen")
NOT_BY_BOARD = (
    "approved by Kari, but approvals must now come from a board account: ask a board member "
    "to approve it in the web app"
)


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


def add_accounts(root: Path) -> None:
    """The workspace becomes a union's server: a board account in .lettersmith/accounts.sqlite."""
    Project.open(root).add_user("bodil", "board", "et langt passord")


def approval_rows(root: Path) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(root / ".lettersmith" / "journal.sqlite")) as db:
        return db.execute("SELECT approved_by, account, role FROM approvals").fetchall()


def test_a_board_account_approval_is_recorded_as_the_account(required: Path) -> None:
    approval = Project.open(required).acting_as(BOARD).approve(LETTER, note="Styremøte")
    assert (approval.by, approval.account, approval.role) == ("bodil", "bodil", "board")
    assert approval_rows(required) == [("bodil", "bodil", "board")]
    status = run(required, "status", LETTER)
    assert "approved by bodil (board member) on " in status.output
    assert "(Styremøte)" in status.output
    review = Project.open(required).acting_as(BOARD).review_page(LETTER)
    assert review.approval is not None
    assert [a.who for a in review.approval.current] == ["bodil (board member)"]
    overview = Project.open(required).overview()
    assert overview[0].approved_by == ("bodil (board member)",)


def test_an_account_approves_in_its_own_name_only(required: Path) -> None:
    board = Project.open(required).acting_as(BOARD)
    with pytest.raises(NotAllowed, match="bodil may approve only in their own name, not as Kari"):
        board.approve(LETTER, by="Kari")
    assert board.approve(LETTER, by=" bodil ").by == "bodil"  # its own name may be given


@pytest.mark.parametrize("account", [SECRETARY, Account("anne", "admin"), BERGEN])
def test_no_one_but_the_board_approves(required: Path, account: Account) -> None:
    with pytest.raises(NotAllowed, match="may not do this: approve letters"):
        Project.open(required).acting_as(account).approve(LETTER, club="bergen")
    assert not (required / ".lettersmith" / "journal.sqlite").exists()


def test_with_accounts_a_typed_name_does_not_count(required: Path, smtp_server) -> None:
    assert run(required, "approve", LETTER, "--by", "Kari").exit_code == 0  # before accounts
    add_accounts(required)
    refused = run(required, "send", LETTER, "--yes")
    assert refused.exit_code == 1
    assert "lettersmith.yaml: approval: required; menneskehandel-2024 (revision " in refused.output
    assert f"was {NOT_BY_BOARD}. Nothing was sent." in " ".join(refused.output.split())
    assert smtp_server.handler.received == []
    status = run(required, "status", LETTER)
    assert "NOT approved." in status.output and NOT_BY_BOARD in " ".join(status.output.split())

    # The secretary's account cannot approve either; only the board's approval counts.
    secretary = Project.open(required).acting_as(SECRETARY)
    with pytest.raises(NotAllowed):
        secretary.approve(LETTER)
    with pytest.raises(DeliveryError, match="must now come from a board account"):
        secretary.send(LETTER)
    Project.open(required).acting_as(BOARD).approve(LETTER)
    result = secretary.send(LETTER)
    assert result.report is not None and not result.undelivered
    assert len(smtp_server.handler.received) == 3


def test_with_accounts_an_approval_by_a_typed_name_warns_at_once(required: Path) -> None:
    add_accounts(required)
    warned: list[str] = []
    Project.open(required).approve(LETTER, by="Kari", on_event=lambda e: warned.append(e.text))
    assert warned == [NOT_BY_BOARD]


def test_with_accounts_and_no_approval_the_refusal_asks_the_board(required: Path) -> None:
    add_accounts(required)
    with pytest.raises(DeliveryError, match="ask a board member to look at it and approve it"):
        Project.open(required).send(LETTER)


def test_an_accounts_file_that_cannot_be_read_keeps_the_stricter_rule(
    required: Path, smtp_server
) -> None:
    """A damaged accounts file may be hiding a board: a typed name's approval does not count
    then either, and nothing is sent."""
    assert run(required, "approve", LETTER, "--by", "Kari").exit_code == 0
    (required / ".lettersmith" / "accounts.sqlite").write_bytes(b"not a database, " * 100)
    refused = run(required, "send", LETTER, "--yes")
    assert refused.exit_code == 1
    assert f"was {NOT_BY_BOARD}. Nothing was sent." in " ".join(refused.output.split())
    assert smtp_server.handler.received == []


def test_without_accounts_a_typed_name_counts_as_before(required: Path, smtp_server) -> None:
    Project.open(required).approve(LETTER, by="Kari")
    assert not Project.open(required).send(LETTER).undelivered
    assert len(smtp_server.handler.received) == 3


def test_a_journal_from_before_the_accounts_gets_the_columns(required: Path, smtp_server) -> None:
    """An approvals table of the first version: read (read only: no columns added), then
    given the two columns at the next approval; journal rebuild works on it after."""
    state = required / ".lettersmith"
    state.mkdir()
    with closing(sqlite3.connect(state / "journal.sqlite")) as db, db:
        db.execute(
            "CREATE TABLE approvals (letter TEXT NOT NULL, club TEXT NOT NULL, revision TEXT "
            "NOT NULL, approved_by TEXT NOT NULL, note TEXT, approved_at TEXT NOT NULL, "
            "snapshot TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO approvals VALUES (?, '', 'old', 'Kari', NULL, "
            "'2024-12-01T10:00:00+00:00', '{}')",
            (LETTER,),
        )
    status = run(required, "status", LETTER)
    assert "approved by Kari on 2024-12-01 10:00 UTC" in status.output
    Project.open(required).acting_as(BOARD).approve(LETTER)
    assert approval_rows(required) == [("Kari", "", ""), ("bodil", "bodil", "board")]

    assert not Project.open(required).send(LETTER).undelivered
    with closing(sqlite3.connect(state / "journal.sqlite")) as db, db:
        db.execute("DELETE FROM deliveries")
    rebuilt = run(required, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert len(Project.open(required).status(LETTER).rows) == 3
    assert Project.open(required).status(LETTER).reached() == 3
    assert approval_rows(required)[-1] == ("bodil", "bodil", "board")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nb", "Ja: bodil (styremedlem)"),
        ("nn", "Ja: bodil (styremedlem)"),
        ("en", "Yes: bodil (board member)"),
    ],
)
def test_the_overview_names_the_approving_account_plainly(
    required: Path, language: str, words: str
) -> None:
    """The overview's Approved column: the answer, then who, with no brackets in brackets."""
    Project.open(required).acting_as(BOARD).approve(LETTER)
    browser = session_as(client(create_app(required, token=TOKEN)), SECRETARY)
    token = browser.headers[CSRF_HEADER]
    browser.post("/language", data={"csrf_token": token, "language": language, "next": "/"})
    cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
             for cell in re.findall(r"<td>(.*?)</td>", browser.get("/").text, re.S)]  # fmt: skip
    assert words in cells
    assert not any("((" in cell or "))" in cell for cell in cells)


def test_in_the_web_app_a_board_member_approves_as_themselves(required: Path) -> None:
    """The form's name is for a browser without an account: a board member who sends another
    name is refused by the engine (not quietly recorded as themselves), and nothing is kept."""
    board = session_as(client(create_app(required, token=TOKEN)), BOARD)
    url = f"/letters/{LETTER}/approve"
    refused = board.post(url, data={"csrf_token": board.headers[CSRF_HEADER], "by": "Kari"})
    assert refused.status_code == 403
    assert not (required / ".lettersmith" / "journal.sqlite").exists() or not approval_rows(
        required
    )
    approved = board.post(url, data={"csrf_token": board.headers[CSRF_HEADER]})
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"] == f"/letters/{LETTER}/status"
    assert approval_rows(required) == [("bodil", "bodil", "board")]
