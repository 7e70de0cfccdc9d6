"""`lettersmith users` and `approve` as a board account: the password from a hidden prompt or
one line of stdin, never shown; clear one-line refusals (DESIGN.md, "Accounts and roles")."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result

from lettersmith.app import passwords
from lettersmith.app.project import Project
from lettersmith.cli import main
from workspaces import copy_example

LETTER = "menneskehandel-2024"
PASSWORD = "korrekt hest batteri"
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "union")


def run(root: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["-w", str(root), *args], input=stdin)


def state_bytes(root: Path) -> bytes:
    return b"".join(
        path.read_bytes() for path in (root / ".lettersmith").rglob("*") if path.is_file()
    )


def test_add_list_passwd_remove(root: Path) -> None:
    added = run(root, "users", "add", "anne", "--role", "admin", stdin=PASSWORD + "\n")
    assert (added.exit_code, added.stdout) == (0, "Added anne (admin).\n")
    added = run(root, "users", "add", "Berit", "--role", "club:bergen", stdin=PASSWORD)
    assert (added.exit_code, added.stdout) == (0, "Added Berit (club:bergen).\n")

    listed = run(root, "users", "list")
    assert listed.exit_code == 0
    # piped (as here, and `| grep`, `| cut`): a header, then one tab-separated line each
    lines = [line.split("\t") for line in listed.stdout.splitlines()]
    assert lines[0] == ["name", "role", "created", "password_changed", "sessions"]
    assert [line[:2] + line[-1:] for line in lines[1:]] == [
        ["anne", "admin", "0"],
        ["Berit", "club:bergen", "0"],
    ]
    assert run(root, "users").stdout == listed.stdout  # `users` alone lists

    changed = run(root, "users", "passwd", "berit", stdin="et nytt langt passord\n")
    assert changed.exit_code == 0
    assert changed.stdout == "Changed the password of Berit; its sessions have ended.\n"
    project = Project(root)
    assert project.log_in("berit", "et nytt langt passord", address="test")

    removed = run(root, "users", "remove", "BERIT")
    assert removed.exit_code == 0
    assert removed.stdout == "Removed Berit (club:bergen); its sessions have ended.\n"
    assert [account.name for account in project.users()] == ["anne"]
    assert PASSWORD.encode() not in state_bytes(root)
    assert b"et nytt langt passord" not in state_bytes(root)


def test_sessions_end_at_passwd_and_remove(root: Path) -> None:
    run(root, "users", "add", "kari", "--role", "board", stdin=PASSWORD)
    project = Project(root)
    session = project.start_session(project.log_in("kari", PASSWORD, address="x"), language="nb")
    assert run(root, "users", "list").stdout.splitlines()[1].split("\t")[-1] == "1"  # its session
    run(root, "users", "passwd", "kari", stdin="et nytt langt passord")
    assert project.find_session(session.id) is None
    account = project.log_in("kari", "et nytt langt passord", address="x")
    session = project.start_session(account, language="nb")
    run(root, "users", "remove", "kari")
    assert project.find_session(session.id) is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ("add", "kari", "--role", "club:oslo"),
            None,  # said before a password is asked for
            "club:oslo: there is no club oslo (clubs/oslo.yaml); one of: bergen",
        ),
        (
            ("add", "kari", "--role", "chair"),
            None,  # said before a password is asked for
            "chair: not a role; use admin, secretary, board or club:<id> (e.g. club:bergen)",
        ),
        (
            ("add", "kari", "--role", "board"),
            "kort",
            "the password is too short: use at least 10 characters (a few words make a good one)",
        ),
        (
            ("add", "kari", "--role", "board"),
            "KARI",
            "the password is too short: use at least 10 characters (a few words make a good one)",
        ),
        (
            ("add", "kari nordmann", "--role", "board"),
            None,  # said before a password is asked for
            "'kari nordmann': not a login name; use 1 to 64 letters, digits and . _ @ - (no "
            "spaces), such as kari or kari.nordmann@example.org",
        ),
        (
            ("add", "ANNE", "--role", "board"),
            None,  # said before a password is asked for
            "ANNE: there is already an account anne (names are the same in capitals and small "
            "letters); choose another name, or change its password with `lettersmith users "
            "passwd anne`",
        ),
        (
            ("add", "kari", "--role", "board"),
            "",
            "no password was given: type it at the prompt, or give it as one line on stdin "
            "(echo 'the password' | lettersmith ...)",
        ),
        (("remove", "ola"), None, "ola: there is no such account; the accounts are: anne"),
        (("passwd", "ola"), None, "ola: there is no such account; the accounts are: anne"),
        (
            ("remove", "anne"),
            None,
            "anne: is the only admin account, and 1 other account remains: without an admin "
            "no one can manage it in the web app. Add another admin first (`lettersmith users "
            "add NAME --role admin`), or remove the other account first",
        ),
    ],
)
def test_mistakes_are_one_line_and_exit_1(
    root: Path, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    run(root, "users", "add", "anne", "--role", "admin", stdin=PASSWORD)
    if args == ("remove", "anne"):
        run(root, "users", "add", "kari", "--role", "board", stdin=PASSWORD)
    before = run(root, "users", "list").stdout
    result = run(root, "users", *args, stdin=stdin)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")
    assert run(root, "users", "list").stdout == before


def test_the_messages_in_bokmal(root: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["-w", str(root), "users", "add", "kari", "--role", "board"],
        input="kort\n",
        env={"LANG": "nb_NO.UTF-8"},
    )
    assert result.exit_code == 1
    assert result.stderr == (
        "passordet er for kort: bruk minst 10 tegn (noen ord etter hverandre blir et godt "
        "passord)\n"
    )


def test_no_accounts_yet(root: Path) -> None:
    listed = run(root, "users", "list")
    assert listed.exit_code == 0
    assert listed.stdout == (
        "No accounts yet. Add the first, an admin: lettersmith users add NAME --role admin\n"
    )
    assert not (root / ".lettersmith" / "accounts.sqlite").exists()


def test_only_one_line_of_stdin_is_the_password(root: Path) -> None:
    result = run(root, "users", "add", "kari", "--role", "board", stdin=PASSWORD + "\r\nmore\n")
    assert result.exit_code == 0
    assert Project(root).log_in("kari", PASSWORD, address="x")
    assert PASSWORD not in result.output


# ------------------------------------------------------------------------- approve


def approvals(root: Path) -> list[str]:
    from lettersmith.deliver.approval import history

    return [approval.by for approval in history(Project(root).mailing(LETTER))]


def test_approve_without_accounts_is_as_before(root: Path) -> None:
    result = run(root, "approve", LETTER, "--by", "Karin Dahlberg Pettersen")
    assert result.exit_code == 0, result.output
    assert approvals(root) == ["Karin Dahlberg Pettersen"]


def test_approve_with_accounts_asks_the_board_accounts_password(root: Path) -> None:
    run(root, "users", "add", "kari", "--role", "board", stdin=PASSWORD)
    run(root, "users", "add", "siri", "--role", "secretary", stdin=PASSWORD)

    wrong = run(root, "approve", LETTER, "--by", "kari", stdin="feil passord her\n")
    assert (wrong.exit_code, wrong.stderr) == (1, "wrong name or password\n")
    secretary = run(root, "approve", LETTER, "--by", "siri", stdin=PASSWORD)
    assert (secretary.exit_code, secretary.stderr) == (
        1,
        "siri (secretary) may not do this: approve letters (a board account does)\n",
    )
    unknown = run(root, "approve", LETTER, "--by", "Karin Dahlberg Pettersen", stdin=PASSWORD)
    assert (unknown.exit_code, unknown.stderr) == (1, "wrong name or password\n")
    nothing = run(root, "approve", LETTER, "--by", "kari")
    assert nothing.exit_code == 1 and "no password was given" in nothing.stderr
    assert approvals(root) == []

    approved = run(root, "approve", LETTER, "--by", "KARI", stdin=PASSWORD + "\n")
    assert approved.exit_code == 0, approved.output
    assert " approved by kari (board member) on " in approved.stdout
    assert approvals(root) == ["kari"]
    assert PASSWORD not in approved.output


# ------------------------------------------------------------------------- a real terminal


def talk(argv: list[str], answers: list[tuple[str, str]], env: dict[str, str]) -> tuple[str, int]:
    """Run a command on a pseudo-terminal, typing each answer after its prompt appears."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, with the terminal as its own
        os.execve(sys.executable, [sys.executable, "-m", "lettersmith", *argv], env)
    seen = b""
    deadline = time.monotonic() + 60
    pending = list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child is gone (EIO on Linux)
                break
            if not chunk:
                break
            seen += chunk
        if pending and pending[0][0].encode() in seen.split(b"\n")[-1]:
            os.write(fd, (pending.pop(0)[1] + "\n").encode())
            seen += b"\n"
    else:  # still waiting, after a minute, for an answer that will not come: stop it
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)  # the terminal closed: the command has ended
    os.close(fd)
    return seen.decode(errors="replace"), os.waitstatus_to_exitcode(status)


def test_at_a_terminal_the_password_is_asked_twice_and_not_shown(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "LANG": "C.UTF-8", "COLUMNS": "80"}
    argv = ["-w", str(root), "users", "add", "kari", "--role", "board"]
    answers = [("New password for kari:", PASSWORD), ("Repeat it:", PASSWORD)]
    shown, code = talk(argv, answers, env)
    assert code == 0, shown
    assert "New password for kari:" in shown and "Repeat it:" in shown
    assert "Added kari (board)." in shown
    assert PASSWORD not in shown  # the terminal did not echo it
    assert Project(root).log_in("kari", PASSWORD, address="x")

    approve = ["-w", str(root), "approve", LETTER, "--by", "kari"]
    shown, code = talk(approve, [("Password for kari:", PASSWORD)], env)
    assert code == 0, shown
    assert "approved by kari (board member) on" in shown and PASSWORD not in shown


def test_two_different_passwords_at_the_terminal_change_nothing(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "LANG": "C.UTF-8", "COLUMNS": "80"}
    argv = ["-w", str(root), "users", "add", "kari", "--role", "board"]
    answers = [("New password for kari:", PASSWORD), ("Repeat it:", PASSWORD + "!")]
    shown, code = talk(argv, answers, env)
    assert code == 1, shown
    assert "the two passwords typed differ; nothing was changed" in shown
    assert not Project(root).has_accounts()


def test_check_warns_of_an_account_whose_club_is_gone(root: Path, monkeypatch) -> None:
    """clubs/oslo.yaml removed while olav's club:oslo account stayed: check says so, as a
    warning (the files are fine: exit 0), in English and in bokmål, naming the way out."""
    bergen = (root / "clubs" / "bergen.yaml").read_text(encoding="utf-8")
    oslo = root / "clubs" / "oslo.yaml"
    oslo.write_text(bergen.replace("Bergen", "Oslo").replace("bergen", "oslo"), encoding="utf-8")
    for name, role in (("anne", "admin"), ("olav", "club:oslo"), ("berit", "club:bergen")):
        assert run(root, "users", "add", name, "--role", role, stdin=PASSWORD).exit_code == 0
    before = run(root, "check")
    assert before.exit_code == 0 and "accounts.sqlite" not in before.output

    oslo.unlink()
    after = run(root, "check")
    assert after.exit_code == 0, after.output
    assert (
        ".lettersmith/accounts.sqlite: warning: account olav has role club:oslo, but there is "
        "no clubs/oslo.yaml; remove it with `lettersmith users remove olav` or put the club's "
        "file back"
    ) in " ".join(after.output.split())
    assert "berit" not in after.output and "anne" not in after.output

    monkeypatch.setenv("LANG", "nb_NO.UTF-8")
    norsk = " ".join(run(root, "check").output.split())
    assert "advarsel: kontoen olav har rollen club:oslo, men det finnes ingen" in norsk

    assert run(root, "users", "remove", "olav").exit_code == 0
    assert "accounts.sqlite" not in run(root, "check").output


def test_check_reads_past_an_accounts_file_it_cannot_use(root: Path) -> None:
    """A damaged accounts file is the server's trouble, not the workspace files': check still
    checks them (exit 0) and says what is wrong with the accounts as a warning."""
    state = root / ".lettersmith"
    state.mkdir(exist_ok=True)
    (state / "accounts.sqlite").write_bytes(b"not a database, " * 100)
    result = run(root, "check")
    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert "warning: " in shown and "accounts.sqlite: the accounts cannot be used" in shown
    assert "ok:" in shown  # the files were checked
