"""Accounts of a union's server (DESIGN.md, "Accounts and roles"): the store in
.lettersmith/accounts.sqlite, passwords as Argon2id hashes, sessions and slowed logins."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher

from lettersmith.app import accounts, passwords
from lettersmith.app.access import Account, NotAllowed
from lettersmith.app.accounts import LoginRefused
from lettersmith.app.project import Project

PASSWORD = "korrekt hest batteri"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with little memory and one pass: the same code, quicker (one test below keeps
    the real parameters)."""
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "union"
    (root / "clubs").mkdir(parents=True)
    (root / "lettersmith.yaml").write_text("name: Unionen\n")
    (root / "clubs" / "bergen.yaml").write_text("name: Bergen\n")
    return Project(root)


def test_no_accounts_until_one_is_added_and_asking_writes_nothing(project: Project) -> None:
    assert not project.has_accounts() and not project.has_admin()
    assert project.users() == ()
    assert not (project.root / ".lettersmith").exists()
    project.add_user("Kari", "admin", PASSWORD)
    assert project.has_accounts() and project.has_admin()
    assert project.users() == (Account("Kari", "admin"),)


def test_a_login_and_its_session(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    account = project.log_in("KARI", PASSWORD, address="192.0.2.1")
    assert account == Account("kari", "board")
    session = project.start_session(account, language="nn")
    assert project.find_session(session.id) == session
    project.end_session(session.id)
    assert project.find_session(session.id) is None


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    answers = []
    for name, password in (("kari", "feil passord her"), ("ola", PASSWORD)):
        with pytest.raises(LoginRefused) as refused:
            project.log_in(name, password, address="192.0.2.1")
        answers.append((str(refused.value), refused.value.wait))
    assert answers == [("wrong name or password", 0)] * 2


def test_only_an_admin_manages_accounts(project: Project) -> None:
    project.add_user("kari", "admin", PASSWORD)
    with pytest.raises(NotAllowed):
        project.acting_as(Account("siri", "secretary")).add_user("ola", "board", PASSWORD)
    assert project.acting_as(Account("kari", "admin")).users() == (Account("kari", "admin"),)


def test_the_hash_is_argon2id_and_the_password_is_nowhere(project: Project) -> None:
    project.add_user("kari", "admin", PASSWORD)
    data = (project.root / ".lettersmith" / accounts.ACCOUNTS_FILE).read_bytes()
    assert b"$argon2id$" in data
    assert PASSWORD.encode() not in data
