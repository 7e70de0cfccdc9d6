"""Accounts of a union's server (DESIGN.md, "Accounts and roles"): the store in
.lettersmith/accounts.sqlite, passwords as Argon2id hashes, sessions and slowed logins."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from lettersmith.app import accountdb, accounts, passwords
from lettersmith.app.access import Account, NotAllowed
from lettersmith.app.accounts import LoginRefused
from lettersmith.app.passwords import AccountError
from lettersmith.app.project import Project

PASSWORD = "korrekt hest batteri"
OTHER = "et annet langt passord"
HOUR = 3600.0


class Clock:
    """The accounts' clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now

    def move(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with little memory and one pass: the same code, quicker (one test below keeps
    the real parameters)."""
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(accounts, "clock", moved)
    return moved


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "union"
    (root / "clubs").mkdir(parents=True)
    (root / "lettersmith.yaml").write_text("name: Unionen\n")
    (root / "clubs" / "bergen.yaml").write_text("name: Bergen\n")
    return Project(root)


def state_bytes(project: Project) -> bytes:
    """Everything in .lettersmith/, the database's log and shared memory included."""
    return b"".join(p.read_bytes() for p in (project.root / ".lettersmith").iterdir())


def rows(project: Project, query: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(project.root / ".lettersmith" / accounts.ACCOUNTS_FILE)
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


# ------------------------------------------------------------------------- accounts


def test_no_accounts_until_one_is_added_and_asking_writes_nothing(project: Project) -> None:
    assert not project.has_accounts() and not project.has_admin()
    assert project.users() == () and project.user_details() == ()
    assert project.find_session("x" * 43) is None
    assert not (project.root / ".lettersmith").exists()
    project.add_user("Kari", "admin", PASSWORD)
    assert project.has_accounts() and project.has_admin()
    assert project.users() == (Account("Kari", "admin"),)


def test_roles_are_read_as_typed_and_a_club_must_have_its_file(project: Project) -> None:
    assert project.add_user("berit", " Club:Bergen ", PASSWORD).role == "club:bergen"
    with pytest.raises(AccountError, match=r"^club:oslo: there is no club oslo .*one of: bergen$"):
        project.add_user("ole", "club:oslo", PASSWORD)
    with pytest.raises(AccountError, match=r"^boss: not a role; use admin, secretary, board"):
        project.add_user("ole", "boss", PASSWORD)
    assert not project.has_admin()  # a board or club account is not an admin


def test_a_name_is_one_account_whatever_its_capitals(project: Project) -> None:
    assert project.check_new_user("Øystein", "Board") == Account("Øystein", "board")
    project.add_user("Øystein", "board", PASSWORD)
    with pytest.raises(AccountError, match=r"^øystein: there is already an account Øystein"):
        project.check_new_user("øystein", "board")
    with pytest.raises(AccountError, match=r"^øYSTEIN: there is already an account Øystein"):
        project.add_user("øYSTEIN", "secretary", PASSWORD)
    assert project.log_in("ØYSTEIN", PASSWORD, address="192.0.2.1") == Account("Øystein", "board")


@pytest.mark.parametrize(
    "name", ["", "kari nordmann", "x" * 65, "kari\n", "kari\x00", "kari/../x", "<b>kari</b>"]
)
def test_names_that_are_refused(project: Project, name: str) -> None:
    with pytest.raises(AccountError, match=r"not a login name; use 1 to 64 letters, digits"):
        project.add_user(name, "board", PASSWORD)
    assert not project.has_accounts()


@pytest.mark.parametrize("name", ["kari", "kari.nordmann@example.org", "K_01-x", "x" * 64])
def test_names_that_are_taken(project: Project, name: str) -> None:
    assert project.add_user(name, "board", PASSWORD).name == name


@pytest.mark.parametrize(
    ("name", "password", "words"),
    [
        ("kari", "kort", "the password is too short: use at least 10 characters"),
        ("kari", "123456789", "the password is too short: use at least 10 characters"),
        ("kari.nordmann", "Kari.Nordmann", "the password may not be the login name"),
        ("kari", "x" * 1025, "the password is too long: use at most 1024 characters"),
    ],
)
def test_weak_passwords_are_refused(project: Project, name: str, password: str, words: str) -> None:
    with pytest.raises(AccountError, match=words):
        project.add_user(name, "board", password)
    project.add_user(name, "board", PASSWORD)
    with pytest.raises(AccountError, match=words):
        project.set_password(name, password)


def test_only_an_admin_manages_accounts(project: Project) -> None:
    project.add_user("anne", "admin", PASSWORD)
    for role in ("secretary", "board", "club:bergen"):
        someone = project.acting_as(Account("x", role))
        for manage in (
            someone.users,
            someone.user_details,
            lambda p=someone: p.add_user("ola", "admin", PASSWORD),
            lambda p=someone: p.remove_user("anne"),
            lambda p=someone: p.set_password("anne", OTHER),
        ):
            with pytest.raises(NotAllowed, match="may not do this: manage accounts"):
                manage()
    assert project.acting_as(Account("anne", "admin")).users() == (Account("anne", "admin"),)
    assert project.log_in("anne", PASSWORD, address="192.0.2.1")  # the password unchanged


def test_the_last_admin_stays_while_others_remain(project: Project) -> None:
    project.add_user("anne", "admin", PASSWORD)
    project.add_user("kari", "board", PASSWORD)
    with pytest.raises(AccountError, match=r"^anne: is the only admin account, and 1 other"):
        project.remove_user("anne")
    project.add_user("arne", "admin", PASSWORD)
    assert project.remove_user("ANNE") == Account("anne", "admin")
    project.remove_user("kari")
    project.remove_user("arne")  # the last account of all: then there is no one to manage
    assert not project.has_accounts()


def test_an_unknown_name_is_said_with_the_names_there_are(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    project.add_user("anne", "admin", PASSWORD)
    assert project.user("KARI") == Account("kari", "board")
    for change in (
        project.user,
        project.remove_user,
        lambda name: project.set_password(name, OTHER),
    ):
        with pytest.raises(AccountError, match=r"^ola: there is no such account; the accounts "):
            change("ola")
    with pytest.raises(AccountError, match=r"the accounts are: anne, kari$"):
        project.remove_user("ola")


def test_two_threads_add_and_log_in_at_once(project: Project) -> None:
    project.add_user("anne", "admin", PASSWORD)
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            for round_ in range(3):
                name = f"person{index}-{round_}"
                project.add_user(name, "board", PASSWORD)
                account = project.log_in(name, PASSWORD, address=f"192.0.2.{index}")
                session = project.start_session(account, language="nb")
                assert project.find_session(session.id) == session
                project.log_in("anne", PASSWORD, address=f"192.0.2.{index}")
        except BaseException as error:  # noqa: BLE001 - shown by the assert below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(project.users()) == 13
    assert [detail.sessions for detail in project.user_details()][1:] == [1] * 12


# ------------------------------------------------------------------------- the file


def test_the_hash_is_argon2id_and_no_password_is_kept(project: Project) -> None:
    project.add_user("kari", "admin", PASSWORD)
    project.set_password("kari", OTHER)
    project.log_in("kari", OTHER, address="192.0.2.1")
    with pytest.raises(LoginRefused):
        project.log_in("kari", PASSWORD, address="192.0.2.1")
    [(stored,)] = rows(project, "SELECT hash FROM accounts")
    assert str(stored).startswith("$argon2id$v=19$")
    data = state_bytes(project)
    assert PASSWORD.encode() not in data and OTHER.encode() not in data


def test_the_real_parameters_rfc_9106_low_memory(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passwords, "hasher", PasswordHasher.from_parameters(
        passwords.profiles.RFC_9106_LOW_MEMORY
    ))  # fmt: skip
    project.add_user("kari", "board", PASSWORD)
    [(stored,)] = rows(project, "SELECT hash FROM accounts")
    assert str(stored).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert project.log_in("kari", PASSWORD, address="192.0.2.1") == Account("kari", "board")
    with pytest.raises(LoginRefused, match="^wrong name or password$"):
        project.log_in("kari", OTHER, address="192.0.2.1")


def test_a_hash_with_old_parameters_is_made_anew_at_login(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.add_user("kari", "board", PASSWORD)
    session = project.start_session(Account("kari", "board"), language="nb")
    [(old,)] = rows(project, "SELECT hash FROM accounts")
    assert "m=64,t=1" in str(old)
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=2, memory_cost=128))
    project.log_in("kari", PASSWORD, address="192.0.2.1")
    [(new,)] = rows(project, "SELECT hash FROM accounts")
    assert "m=128,t=2" in str(new)
    assert project.log_in("kari", PASSWORD, address="192.0.2.1")
    assert project.find_session(session.id) == session  # the same password: still logged in


def test_the_file_is_its_owners_only(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    state = project.root / ".lettersmith"
    db = sqlite3.connect(state / accounts.ACCOUNTS_FILE)  # held open: the log stays
    try:
        db.execute("SELECT * FROM accounts").fetchall()
        project.start_session(Account("kari", "board"), language="nb")
        files = sorted(path.name for path in state.iterdir())
        assert files == ["accounts.sqlite", "accounts.sqlite-shm", "accounts.sqlite-wal"]
        for path in state.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    finally:
        db.close()


def test_a_file_put_back_with_a_wider_mode_is_made_the_owners_only_again(
    project: Project,
) -> None:
    project.add_user("kari", "board", PASSWORD)
    path = project.root / ".lettersmith" / accounts.ACCOUNTS_FILE
    path.chmod(0o644)  # as a copy from a backup may come back
    accountdb._ready.clear()  # a new process (the server started again)
    assert project.has_accounts()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_damaged_file_is_said_in_one_line(project: Project) -> None:
    state = project.root / ".lettersmith"
    state.mkdir()
    (state / accounts.ACCOUNTS_FILE).write_bytes(b"this is not a database" * 100)
    with pytest.raises(AccountError, match=r"accounts.sqlite: the accounts cannot be used \("):
        project.has_accounts()


# ------------------------------------------------------------------------- sessions


def test_a_session_is_kept_by_the_hash_of_its_id(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    account = project.log_in("kari", PASSWORD, address="192.0.2.1")
    session = project.start_session(account, language="nn")
    assert (session.account, session.language) == (Account("kari", "board"), "nn")
    assert len(session.id) >= 43 and len(session.csrf) >= 43 and session.id != session.csrf
    [(digest,)] = rows(project, "SELECT digest FROM sessions")
    assert digest == hashlib.sha256(session.id.encode()).hexdigest()
    assert session.id.encode() not in state_bytes(project)
    assert project.find_session(session.id) == session
    assert project.start_session(account, language="nn").id != session.id


@pytest.mark.parametrize("given", ["", "nonsense", "x" * 100_000, "\udcff", "'; DROP TABLE x"])
def test_an_id_that_is_no_session(project: Project, given: str) -> None:
    project.add_user("kari", "board", PASSWORD)
    project.start_session(Account("kari", "board"), language="nb")
    assert project.find_session(given) is None
    project.end_session(given)  # nothing to end: nothing happens
    assert project.user_details()[0].sessions == 1


def test_the_language_of_a_session(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    session = project.start_session(Account("kari", "board"), language="nb")
    project.set_session_language(session.id, "en")
    found = project.find_session(session.id)
    assert found is not None and found.language == "en"
    with pytest.raises(AccountError, match=r"^'de': not a language; use one of nb, nn, en$"):
        project.set_session_language(session.id, "de")


def test_logout_ends_a_session(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    first = project.start_session(Account("kari", "board"), language="nb")
    second = project.start_session(Account("kari", "board"), language="nb")
    project.end_session(first.id)
    assert project.find_session(first.id) is None
    assert project.find_session(second.id) == second


def test_sessions_end_when_the_account_goes_or_its_password_changes(project: Project) -> None:
    project.add_user("anne", "admin", PASSWORD)
    project.add_user("kari", "board", PASSWORD)
    anne = project.start_session(Account("anne", "admin"), language="nb")
    kari = [project.start_session(Account("kari", "board"), language="nb") for _ in range(2)]

    project.set_password("kari", OTHER)
    assert [project.find_session(s.id) for s in kari] == [None, None]
    assert project.find_session(anne.id) == anne

    again = project.start_session(project.log_in("kari", OTHER, address="192.0.2.1"), language="nb")
    project.remove_user("kari")
    assert project.find_session(again.id) is None
    project.add_user("kari", "board", PASSWORD)  # the same name again is a new account
    assert project.find_session(again.id) is None
    assert rows(project, "SELECT COUNT(*) FROM sessions") == [(1,)]  # anne's


def test_changing_ones_own_password_keeps_only_this_browser(project: Project) -> None:
    project.add_user("kari", "club:bergen", PASSWORD)
    here, there = (
        project.start_session(Account("kari", "club:bergen"), language="nb") for _ in range(2)
    )
    kari = project.acting_as(Account("kari", "club:bergen"))
    with pytest.raises(LoginRefused, match="^the current password is not right; your password"):
        kari.change_own_password(OTHER, "et tredje langt passord", keep_session=here.id)
    with pytest.raises(AccountError, match="the password is too short"):
        kari.change_own_password(PASSWORD, "kort", keep_session=here.id)
    assert project.find_session(there.id) == there  # nothing changed yet

    kari.change_own_password(PASSWORD, OTHER, keep_session=here.id)
    assert project.find_session(here.id) == here
    assert project.find_session(there.id) is None
    assert project.log_in("kari", OTHER, address="192.0.2.1")
    with pytest.raises(AccountError, match="no account is logged in"):
        project.change_own_password(OTHER, PASSWORD)


def test_a_session_ends_after_12_idle_hours_and_after_14_days(
    project: Project, clock: Clock
) -> None:
    project.add_user("kari", "board", PASSWORD)
    idle = project.start_session(Account("kari", "board"), language="nb")
    busy = project.start_session(Account("kari", "board"), language="nb")
    clock.move(11 * HOUR)
    assert project.find_session(busy.id) == busy
    clock.move(1.5 * HOUR)
    assert project.find_session(idle.id) is None  # 12.5 hours unused
    assert project.find_session(busy.id) == busy  # used 1.5 hours ago
    for _ in range(29):  # used every 12 hours, until 14 days have passed since it started
        clock.move(11.9 * HOUR)
        project.find_session(busy.id)
    assert clock.now - 1_790_000_000.0 > 14 * 24 * HOUR
    assert project.find_session(busy.id) is None
    assert project.user_details()[0].sessions == 0


def test_last_used_is_written_at_most_once_a_minute(project: Project, clock: Clock) -> None:
    project.add_user("kari", "board", PASSWORD)
    session = project.start_session(Account("kari", "board"), language="nb")
    start = clock.now
    clock.move(30)
    project.find_session(session.id)
    assert rows(project, "SELECT used FROM sessions") == [(start,)]
    clock.move(31)
    project.find_session(session.id)
    assert rows(project, "SELECT used FROM sessions") == [(start + 61,)]


# ------------------------------------------------------------------------- logins slowed


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    answers = []
    for name, password in (("kari", OTHER), ("ola", PASSWORD), ("", ""), ("x" * 10_000, "y")):
        with pytest.raises(LoginRefused) as refused:
            project.log_in(name, password, address="192.0.2.1")
        answers.append((str(refused.value), refused.value.wait))
    assert answers == [("wrong name or password", 0)] * 4


def refusals(project: Project, name: str, password: str, address: str, times: int) -> list[int]:
    waits = []
    for _ in range(times):
        try:
            project.log_in(name, password, address=address)
            waits.append(-1)
        except LoginRefused as refused:
            waits.append(refused.wait)
    return waits


@pytest.mark.parametrize("name", ["kari", "nobody"])
def test_failed_logins_for_one_name_are_slowed(project: Project, clock: Clock, name: str) -> None:
    project.add_user("kari", "board", PASSWORD)
    # From five different addresses: the name's own count.
    waits = [refusals(project, name, OTHER, f"192.0.2.{i}", 1)[0] for i in range(5)]
    assert waits == [0] * 5  # five wrong passwords, each answered
    with pytest.raises(LoginRefused, match=r"from this address; try again in 1 second$") as refused:
        project.log_in(name, PASSWORD, address="198.51.100.7")  # even the right one, now
    assert refused.value.wait == 1
    clock.move(1)
    assert refusals(project, name, OTHER, "198.51.100.7", 2) == [0, 2]
    clock.move(2)
    assert refusals(project, name, OTHER, "198.51.100.7", 2) == [0, 4]
    with pytest.raises(LoginRefused, match=r"try again in 4 seconds$"):
        project.log_in(name, PASSWORD, address="198.51.100.7")
    for _ in range(12):
        clock.move(project_wait(project, name))
        refusals(project, name, OTHER, "198.51.100.7", 1)
    assert project_wait(project, name) == 15 * 60  # at most a quarter of an hour
    if name == "kari":
        clock.move(15 * 60)
        assert project.log_in("kari", PASSWORD, address="198.51.100.7")  # clears the count
        assert refusals(project, "kari", OTHER, "198.51.100.7", 1) == [0]


def project_wait(project: Project, name: str) -> int:
    try:
        project.log_in(name, "a wrong password", address="203.0.113.200")
    except LoginRefused as refused:
        return refused.wait
    raise AssertionError("logged in")


def test_failed_logins_from_one_address_are_slowed(project: Project, clock: Clock) -> None:
    project.add_user("kari", "board", PASSWORD)
    names = [f"name{i}" for i in range(accounts.FREE_TRIES_PER_ADDRESS)]
    for name in names:  # one try per name: no name's count reaches five
        assert refusals(project, name, OTHER, "192.0.2.66", 1) == [0]
    with pytest.raises(LoginRefused) as refused:
        project.log_in("kari", PASSWORD, address="192.0.2.66")
    assert refused.value.wait == 1
    assert project.log_in("kari", PASSWORD, address="192.0.2.67")  # another address
    clock.move(1)
    assert project.log_in("kari", PASSWORD, address="192.0.2.66")  # a success is not counted
    assert refusals(project, "x", OTHER, "192.0.2.66", 2) == [0, 2]


def test_the_count_forgets_after_a_day(project: Project, clock: Clock) -> None:
    project.add_user("kari", "board", PASSWORD)
    assert refusals(project, "kari", OTHER, "192.0.2.1", 6) == [0] * 5 + [1]
    clock.move(24 * HOUR + 1)
    assert refusals(project, "kari", OTHER, "192.0.2.1", 6) == [0] * 5 + [1]
    assert rows(project, "SELECT COUNT(*) FROM failures") == [(10,)]  # the old ones deleted


def test_many_tries_at_once_are_counted_before_their_passwords_are_checked(
    project: Project, clock: Clock
) -> None:
    project.add_user("kari", "board", PASSWORD)
    results: list[int] = []
    lock = threading.Lock()

    def attempt(address: str) -> None:
        waits = refusals(project, "kari", OTHER, address, 1)
        with lock:
            results.extend(waits)

    threads = [threading.Thread(target=attempt, args=(f"192.0.2.{i}",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0] * 5 + [1] * 7  # five checked, seven refused unchecked


def test_an_approver_is_a_board_account_with_its_password(project: Project) -> None:
    project.add_user("kari", "board", PASSWORD)
    project.add_user("siri", "secretary", PASSWORD)
    approving = project.approver("KARI", PASSWORD)
    assert approving.account == Account("kari", "board") and approving.root == project.root
    with pytest.raises(NotAllowed, match=r"^siri \(secretary\) may not do this: approve"):
        project.approver("siri", PASSWORD)
    with pytest.raises(LoginRefused, match="^wrong name or password$"):
        project.approver("kari", OTHER)
