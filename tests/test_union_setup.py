"""What the union's volunteer admin meets at the server's terminal while setting it up from the
README: `users list` piped to another program, an account name with æøå, a club removed while
its account stays, and the audit trail in Norwegian naming roles in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner, Result

from lettersmith.app import passwords
from lettersmith.app.access import Account
from lettersmith.app.accounts import ClubGone
from lettersmith.app.project import Project
from lettersmith.cli import main
from workspaces import copy_example

PASSWORD = "korrekt hest batteri"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "union")
    for name, role in (("anne", "admin"), ("bjørn.ødegård", "board"), ("berit", "club:bergen")):
        assert run(root, "users", "add", name, "--role", role, stdin=PASSWORD).exit_code == 0
    return root


def run(root: Path, *args: str, stdin: str | None = None, lang: str = "C.UTF-8") -> Result:
    return CliRunner().invoke(main, ["-w", str(root), *args], input=stdin, env={"LANG": lang})


def test_users_list_piped_is_a_header_and_a_tab_separated_line_each(root: Path) -> None:
    listed = run(root, "users", "list")  # CliRunner's stdout is no terminal: as `| grep`
    assert listed.exit_code == 0
    lines = listed.stdout.splitlines()
    assert lines[0] == "name\trole\tcreated\tpassword_changed\tsessions"
    assert [line.split("\t")[:2] for line in lines[1:]] == [
        ["anne", "admin"],
        ["berit", "club:bergen"],
        ["bjørn.ødegård", "board"],
    ]
    assert "─" not in listed.stdout and not any(line.strip() == "" for line in lines)


def test_an_account_name_with_norwegian_letters_logs_in_in_any_capitals(root: Path) -> None:
    project = Project.open(root)
    assert project.log_in("Bjørn.Ødegård", PASSWORD, address="x") == Account(
        "bjørn.ødegård", "board"
    )


def test_a_club_removed_while_its_account_stays(root: Path) -> None:
    project = Project.open(root)
    session = project.start_session(project.log_in("berit", PASSWORD, address="x"), language="nb")
    club_file = root / "clubs" / "bergen.yaml"
    kept = club_file.read_bytes()
    club_file.unlink()

    # the browser is logged out, and the login says why, not "wrong password"
    assert project.find_session(session.id) is None
    with pytest.raises(ClubGone, match=r"^berit is the account of club bergen, and this "):
        project.log_in("berit", PASSWORD, address="x")
    with pytest.raises(passwords.AccountError, match="wrong name or password"):
        project.log_in("berit", "not the password", address="x")

    listed = run(root, "users", "list")
    assert listed.exit_code == 0
    assert "\nberit\tclub:bergen\t" in listed.stdout  # the stored role, for programs
    assert listed.stderr == (
        "berit: warning: the account of club bergen, which has no file now (clubs/bergen.yaml): "
        "it cannot log in; put the file back, or remove the account (lettersmith users remove "
        "berit)\n"
    )
    nb = run(root, "users", "list", lang="nb_NO.UTF-8")
    assert nb.stderr.startswith("berit: advarsel: kontoen til klubb bergen, som ikke har noen")

    club_file.write_bytes(kept)  # put back: in again
    assert project.log_in("berit", PASSWORD, address="x") == Account("berit", "club:bergen")
    assert run(root, "users", "list").stderr == ""


def test_the_audit_trail_names_roles_in_the_readers_words(root: Path) -> None:
    project = Project.open(root)
    board = project.acting_as(Account("bjørn.ødegård", "board"))
    board.approve("menneskehandel-2024", note="Styremøte")
    bergen = project.acting_as(Account("berit", "club:bergen"))
    source = project.read_source("club", "bergen")
    bergen.save_club("bergen", {"place": "Bergen sentrum"}, expected_version=source.version)

    shown = run(root, "audit", lang="nb_NO.UTF-8")
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "bjørn.ødegård (styremedlem)" in text and "berit (klubb bergen)" in text
    assert "(board)" not in text and "club:bergen" not in text
    status = run(root, "status", "menneskehandel-2024", lang="nb_NO.UTF-8")
    assert "godkjent av bjørn.ødegård (styremedlem)" in " ".join(status.stdout.split())

    refused = run(root, "approve", "menneskehandel-2024", "--by", "berit", stdin=PASSWORD,
                  lang="nb_NO.UTF-8")  # fmt: skip
    assert refused.exit_code == 1
    assert refused.stderr.startswith("berit (klubb bergen) har ikke lov til dette: ")


def test_serve_says_why_it_cannot_listen(root: Path) -> None:
    """A --host this computer does not have is a typo (or the public address of a machine
    that only has a private one), not a port in use; each is said as what it is."""
    import socket

    elsewhere = run(root, "serve", "--no-browser", "--host", "192.0.2.1", "--port", "8400")
    assert elsewhere.exit_code == 1
    assert elsewhere.stderr.startswith("192.0.2.1:8400: ")
    assert elsewhere.stderr.endswith(
        "; this computer has no such address: give --host one of its own addresses "
        "(`ip -brief address` lists them), or 0.0.0.0 for all of them\n"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        in_use = run(root, "serve", "--no-browser", "--port", port, lang="nb_NO.UTF-8")
    assert in_use.exit_code == 1
    assert in_use.stderr.startswith(f"127.0.0.1:{port}: ")
    assert "et annet program (eller en annen lettersmith serve) bruker denne porten" in (
        in_use.stderr
    )


def test_audit_of_a_letter_or_club_that_does_not_exist_says_so(root: Path) -> None:
    """A typo in the letter's id was answered "Nothing recorded yet." (exit 0), as if the
    letter had a clean history."""
    typo = run(root, "audit", "menneskehandel-2042")
    assert typo.exit_code == 1
    assert typo.stderr.startswith("letters/: no letter 'menneskehandel-2042'")
    assert "menneskehandel-2024" in typo.stderr
    club = run(root, "audit", "menneskehandel-2024", "--club", "oslo")
    assert club.exit_code == 1 and club.stderr.startswith("clubs/oslo.yaml: no club 'oslo'.")
    assert run(root, "audit", "menneskehandel-2024").stdout == "Nothing recorded yet.\n"

    # a letter removed since keeps its history
    project = Project.open(root).acting_as(Account("bjørn.ødegård", "board"))
    project.approve("menneskehandel-2024", note="Styremøte")
    (root / "letters" / "menneskehandel-2024.yaml").unlink()
    kept = run(root, "audit", "menneskehandel-2024")
    assert kept.exit_code == 0 and "Styremøte" in kept.stdout


def test_audit_csv_names_every_kind_of_file_it_writes(root: Path, tmp_path: Path) -> None:
    wrong = run(root, "audit", "--csv", str(tmp_path / "revisjon.txt"))
    assert wrong.exit_code == 1
    assert wrong.stderr == f"{tmp_path / 'revisjon.txt'}: write to a .csv, .xlsx or .json file\n"
    assert not (tmp_path / "revisjon.txt").exists()
