"""``lettersmith backup DIR``: a copy that opens whole while the journal is written, restores,
and never leaves half a backup, mixes two, writes into the workspace or follows a link out."""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith.app import backup as backing_up
from lettersmith.app.access import Account, NotAllowed
from lettersmith.app.events import Progress, Warning
from lettersmith.app.project import Project
from lettersmith.cli import main
from lettersmith.deliver.journal import Journal
from workspaces import copy_example

LETTER = "menneskehandel-2024"
SUMMARY = re.compile(
    r"Backed up (?P<root>\S+) to (?P<dir>\S+): (?P<files>\d+) files?, (?P<dbs>\d+) databases?, "
    r"[\d.]+ (?:bytes?|kB|MB|GB) in all\."
)


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], env={"COLUMNS": "250"})


def listing(folder: Path) -> dict[str, bytes | str]:
    """Every path under ``folder``: a file's bytes, a link's target, a folder as '/'."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[name] = "/"
        else:
            found[name] = path.read_bytes()
    return found


def integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def states(path: Path) -> dict[str, str]:
    db = sqlite3.connect(path)
    try:
        return dict(
            db.execute("SELECT recipient, state FROM deliveries WHERE letter = ?", (LETTER,))
        )
    finally:
        db.close()


# --------------------------------------------------------------------------- while it is written


def test_a_backup_during_a_send_opens_whole_and_a_restore_never_sends_twice(
    mail_workspace, smtp_server, tmp_path
):
    """The send holds its third message at the server (DATA) while the backup runs."""
    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 3)] = release
    sending = subprocess.Popen(
        [sys.executable, "-m", "lettersmith", "-w", str(mail_workspace), "send", LETTER, "--yes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert smtp_server.handler.paused.wait(timeout=120), sending.communicate()[0]
        committed = states(mail_workspace / ".lettersmith" / "journal.sqlite")
        result = cli(mail_workspace, "backup", str(tmp_path / "backup"))
    finally:
        release.set()
    assert sending.wait(timeout=120) == 0, sending.communicate()[0]
    assert result.exit_code == 0, result.output
    match = SUMMARY.search(result.output)
    assert match, result.output
    assert (
        match["dir"] == str(tmp_path / "backup") and int(match["dbs"]) == 2
    )  # the journal, the audit trail
    assert integrity(tmp_path / "backup" / ".lettersmith" / "audit.sqlite") == "ok"

    copied = tmp_path / "backup" / ".lettersmith" / "journal.sqlite"
    assert integrity(copied) == "ok"
    assert committed == {"smk": "sent", "hod": "sent", "jd": "sending"}
    assert states(copied) == committed  # every row committed before it began, as it stood
    assert not (tmp_path / "backup" / "out").exists()  # build makes it again
    assert not (tmp_path / "backup" / ".lettersmith" / "journal.sqlite-wal").exists()
    with sqlite3.connect(copied) as db:  # each row's copy of its message came along
        copies = [row[0] for row in db.execute("SELECT copy FROM deliveries")]
    assert len(copies) == 3 and all(
        (tmp_path / "backup" / ".lettersmith" / copy).is_file() for copy in copies
    )

    # Restore as the README says: the server stopped, the folder copied back.
    shutil.rmtree(mail_workspace)
    shutil.copytree(tmp_path / "backup", mail_workspace, symlinks=True)
    status = cli(mail_workspace, "status", LETTER)
    assert status.exit_code == 0, status.output
    assert re.search(r"(?m)^ +smk +\S+ +sent ", status.output), status.output
    assert re.search(r"(?m)^ +hod +\S+ +sent ", status.output), status.output
    # jd's message was at the server when the backup was taken: its fate is unknown to the
    # restored journal, so the next send never sends it again on its own.
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert "jd" in again.output and "unknown" in again.output, again.output
    assert len(smtp_server.handler.received) == 3
    assert len(smtp_server.handler.to("postmottak@jd.dep.no")) == 1

    # A journal lost after the restore comes back from the copies in .lettersmith/sent/.
    (mail_workspace / ".lettersmith" / "journal.sqlite").unlink()
    for sidecar in ("-wal", "-shm"):
        (mail_workspace / ".lettersmith" / f"journal.sqlite{sidecar}").unlink(missing_ok=True)
    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "3 row(s) restored" in rebuilt.output
    status = cli(mail_workspace, "status", LETTER)
    assert status.exit_code == 0, status.output
    assert re.search(r"(?m)^ +smk +\S+ +sent ", status.output), status.output


def test_a_message_sent_after_the_journals_snapshot_is_in_the_backup_and_never_sent_twice(
    mail_workspace, smtp_server, tmp_path, monkeypatch
):
    """The whole send happens between the journal's copy and the files' copy."""
    copy_database = backing_up._copy_database

    def then_send(source, target, shown, on_event):
        size = copy_database(source, target, shown, on_event)
        sent = Project.open(mail_workspace).send(LETTER, confirm=lambda plan: True)
        assert not sent.undelivered
        return size

    with Journal.open(mail_workspace / ".lettersmith"):
        pass  # a journal, with nothing sent yet
    monkeypatch.setattr(backing_up, "_copy_database", then_send)
    result = cli(mail_workspace, "backup", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert len(smtp_server.handler.received) == 3
    assert states(tmp_path / "backup" / ".lettersmith" / "journal.sqlite") == {}
    monkeypatch.undo()

    shutil.rmtree(mail_workspace)
    shutil.copytree(tmp_path / "backup", mail_workspace, symlinks=True)
    refused = cli(mail_workspace, "send", LETTER, "--yes")
    assert refused.exit_code == 1, refused.output
    assert "lettersmith journal rebuild" in refused.output
    assert len(smtp_server.handler.received) == 3
    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert "3 row(s) restored" in rebuilt.output, rebuilt.output
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0 and "Nothing to send." in again.output, again.output
    assert len(smtp_server.handler.received) == 3


def test_the_readmes_restore_knows_what_was_sent_after_the_backup(
    mail_workspace, smtp_server, tmp_path
):
    """Backup, then a send; restore as the README says, the copies sent since brought over."""
    with Journal.open(mail_workspace / ".lettersmith"):
        pass
    assert cli(mail_workspace, "backup", str(tmp_path / "backup")).exit_code == 0
    assert cli(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    assert len(smtp_server.handler.received) == 3

    old = tmp_path / "union.before-restore"
    mail_workspace.rename(old)
    subprocess.run(["cp", "-a", str(tmp_path / "backup"), str(mail_workspace)], check=True)
    sent = mail_workspace / ".lettersmith" / "sent"
    subprocess.run(
        ["cp", "-a", "--no-clobber", f"{old}/.lettersmith/sent/.", f"{sent}/"], check=True
    )
    rebuilt = cli(mail_workspace, "journal", "rebuild")
    assert "3 row(s) restored" in rebuilt.output, rebuilt.output
    assert cli(mail_workspace, "check").exit_code == 0
    again = cli(mail_workspace, "send", LETTER, "--yes")
    assert again.exit_code == 0 and "Nothing to send." in again.output, again.output
    assert len(smtp_server.handler.received) == 3


WRITER = textwrap.dedent(
    """
    import itertools, sys
    from pathlib import Path
    from lettersmith.deliver.journal import Journal
    from lettersmith.deliver.message import Outgoing

    journal = Journal.open(Path(sys.argv[1]))
    for number in itertools.count():
        rid = f"w{number:06d}"
        out = Outgoing(
            letter_id="hammer", club_id=None, recipient_id=rid, address=f"{rid}@example.org",
            message_id=f"<{rid}@example.org>", attachment_hash="h", attachments="", size=10,
            mail_from="post@example.org", rcpt_to=(f"{rid}@example.org",),
            make=lambda: b"From: a\\r\\n\\r\\nbody\\r\\n",
        )
        journal.record_sending(out)
        journal.record_outcome(out, "sent", "250 2.0.0 Queued")
        if number == 10:
            print("writing", flush=True)
    """
)


def test_a_backup_while_another_process_keeps_writing_holds_a_consistent_snapshot(tmp_path):
    root = copy_example(tmp_path / "ws")
    state = root / ".lettersmith"
    with Journal.open(state) as journal:  # a journal of some size: the copy takes a while
        journal._db.executemany(
            "INSERT INTO deliveries (letter, club, recipient, address, message_id, "
            "attachment_hash, state, attempted_at, updated_at, reply) "
            "VALUES ('old', '', ?, 'a@example.org', ?, 'h', 'sent', 't', 't', ?)",
            [(f"o{i:05d}", f"<o{i}@example.org>", "x" * 2000) for i in range(4000)],
        )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(state)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
        with sqlite3.connect(f"{(state / 'journal.sqlite').as_uri()}?mode=ro", uri=True) as db:
            before = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        result = Project.open(root).backup(tmp_path / "backup")
        with sqlite3.connect(f"{(state / 'journal.sqlite').as_uri()}?mode=ro", uri=True) as db:
            after = db.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    finally:
        writer.kill()
        writer.wait()
    assert result.databases == (".lettersmith/journal.sqlite",)
    copied = tmp_path / "backup" / ".lettersmith" / "journal.sqlite"
    assert integrity(copied) == "ok"
    db = sqlite3.connect(copied)
    rows = dict(db.execute("SELECT recipient, state FROM deliveries WHERE letter = 'hammer'"))
    copies = [row[0] for row in db.execute("SELECT copy FROM deliveries WHERE copy IS NOT NULL")]
    assert db.execute("SELECT count(*) FROM deliveries WHERE letter = 'old'").fetchone()[0] == 4000
    db.close()
    assert after > before  # the writer went on meanwhile
    # Every row committed before the backup began, and a snapshot: rows 0..k-1, none missing,
    # each sent but perhaps the last one (its `sent` was committed after the instant taken).
    assert len(rows) + 4000 >= before
    assert sorted(rows) == [f"w{number:06d}" for number in range(len(rows))]
    assert all(state == "sent" for rid, state in sorted(rows.items())[:-1])
    # The databases first, the files after: every row's copy of its message is there.
    assert copies and all((copied.parent / copy).is_file() for copy in copies)


def test_every_database_is_found_by_its_first_bytes_and_copied_through_sqlite(tmp_path):
    root = copy_example(tmp_path / "ws")
    state = root / ".lettersmith"
    with Journal.open(state):
        pass
    accounts = sqlite3.connect(state / "accounts.sqlite")  # rollback journal, not WAL
    accounts.execute("CREATE TABLE users (name TEXT)")
    accounts.execute("INSERT INTO users VALUES ('karin')")
    accounts.commit()
    (state / "audit").mkdir()
    with sqlite3.connect(state / "audit" / "trail") as audit:  # no telling name at all
        audit.execute("PRAGMA journal_mode=WAL")
        audit.execute("CREATE TABLE changes (what TEXT)")
        audit.execute("INSERT INTO changes VALUES ('letters/a.yaml')")
    (state / "fake.sqlite").write_text("not a database\n", encoding="utf-8")
    (state / "sent" / LETTER).mkdir(parents=True)
    (state / "sent" / LETTER / "smk-1.eml").write_bytes(b"From: a\r\n\r\nbody\r\n")
    (state / "outbox" / "123-abc").mkdir(parents=True)
    (state / "outbox" / "123-abc" / "x.pdf").write_bytes(b"%PDF")
    (root / "out" / LETTER).mkdir(parents=True)
    (root / "out" / LETTER / "x.pdf").write_bytes(b"%PDF")
    events: list[object] = []

    result = Project.open(root).backup(tmp_path / "backup", on_event=events.append)
    accounts.close()

    assert result.databases == (
        ".lettersmith/accounts.sqlite",
        ".lettersmith/audit/trail",
        ".lettersmith/journal.sqlite",
    )
    copy = tmp_path / "backup"
    for name in result.databases:
        assert integrity(copy / name) == "ok"
    with sqlite3.connect(copy / ".lettersmith" / "accounts.sqlite") as db:
        assert db.execute("SELECT name FROM users").fetchall() == [("karin",)]
    with sqlite3.connect(copy / ".lettersmith" / "audit" / "trail") as db:
        assert db.execute("SELECT what FROM changes").fetchall() == [("letters/a.yaml",)]
    assert (copy / ".lettersmith" / "fake.sqlite").read_text() == "not a database\n"
    assert (
        (copy / ".lettersmith" / "sent" / LETTER / "smk-1.eml").read_bytes().endswith(b"body\r\n")
    )
    assert not (copy / "out").exists() and not (copy / ".lettersmith" / "outbox").exists()
    wanted = {
        name: data
        for name, data in listing(root).items()
        if not name.startswith(("out", ".lettersmith"))
    }
    got = listing(copy)
    assert {name: got.get(name) for name in wanted} == wanted  # the person's files, byte for byte
    # and in .lettersmith/: fake.sqlite and the copy in sent/ (not the -wal, -shm of the audit)
    assert result.files == sum(1 for data in wanted.values() if data != "/") + 2
    progress = [event for event in events if isinstance(event, Progress)]
    assert progress[-1] == Progress("backup", result.files + 3, result.files + 3)
    assert not [event for event in events if isinstance(event, Warning)]
    assert oct(copy.stat().st_mode & 0o777) == "0o700"  # the copies of messages are private


# --------------------------------------------------------------------------- refused, stopped


@pytest.mark.parametrize(
    ("role", "word"),
    [("secretary", "secretary"), ("board", "board member"), ("club:bergen", "club bergen")],
)
def test_only_an_admin_account_may_take_a_backup(tmp_path, role, word):
    """It holds every account's password hash and every club's files."""
    root = copy_example(tmp_path / "ws")
    project = Project.open(root)
    with pytest.raises(NotAllowed, match=rf"karin \({word}\) may not do this"):
        project.acting_as(Account("karin", role)).backup(tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    assert [path.name for path in tmp_path.iterdir()] == ["ws"]
    project.acting_as(Account("kari", "admin")).backup(tmp_path / "taken")
    assert (tmp_path / "taken" / "lettersmith.yaml").is_file()


def refused(root: Path, target: Path, message: str) -> None:
    before_ws, before_parent = (
        listing(root),
        listing(target.parent) if target.parent.is_dir() else {},
    )
    result = cli(root, "backup", str(target))
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert listing(root) == before_ws  # nothing written in the workspace
    if before_parent:
        assert listing(target.parent) == before_parent  # nor beside the folder


def test_a_folder_that_is_not_empty_is_refused(tmp_path):
    root = copy_example(tmp_path / "ws")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "lettersmith.yaml").write_text("an older backup\n", encoding="utf-8")
    refused(root, tmp_path / "old", f"{tmp_path / 'old'}: is not empty; a backup goes into a new")


@pytest.mark.parametrize("inside", [".", "backup", "out/backup", "assets/../letters/x"])
def test_a_folder_inside_the_workspace_is_refused(tmp_path, inside):
    root = copy_example(tmp_path / "ws")
    (root / "out").mkdir()
    refused(root, root / inside, "is inside the workspace")


def test_a_link_into_the_workspace_is_inside_it_too(tmp_path):
    root = copy_example(tmp_path / "ws")
    (tmp_path / "backups").symlink_to(root / "assets")
    refused(root, tmp_path / "backups" / "today", "is inside the workspace")


def test_a_file_and_a_folder_that_cannot_be_made_are_refused(tmp_path):
    root = copy_example(tmp_path / "ws")
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    refused(root, tmp_path / "taken", "taken: is a file; give a new folder for the backup")
    refused(root, tmp_path / "taken" / "backup", "backup: cannot be written: Not a directory;")


def test_an_empty_folder_is_used_and_missing_parents_are_made(tmp_path):
    root = copy_example(tmp_path / "ws")
    (tmp_path / "empty").mkdir()
    assert cli(root, "backup", str(tmp_path / "empty")).exit_code == 0
    assert (tmp_path / "empty" / "lettersmith.yaml").is_file()
    made = cli(root, "backup", str(tmp_path / "backups" / "union" / "2026-12-03"))
    assert made.exit_code == 0, made.output
    assert (tmp_path / "backups" / "union" / "2026-12-03" / "recipients.yaml").is_file()
    assert [path.name for path in (tmp_path / "backups" / "union").iterdir()] == ["2026-12-03"]


@pytest.mark.parametrize("failure", ["disk full", "ctrl-c"])
def test_a_backup_stopped_halfway_leaves_no_folder(tmp_path, monkeypatch, failure):
    root = copy_example(tmp_path / "ws")
    with Journal.open(root / ".lettersmith"):
        pass
    real_copy = shutil.copy2
    copied: list[str] = []

    def copy_then_fail(source, target, **options):
        if len(copied) == 4:
            if failure == "ctrl-c":
                raise KeyboardInterrupt
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        copied.append(str(source))
        return real_copy(source, target, **options)

    monkeypatch.setattr(backing_up.shutil, "copy2", copy_then_fail)
    (tmp_path / "backups").mkdir()
    result = cli(root, "backup", str(tmp_path / "backups" / "today"))
    if failure == "ctrl-c":
        assert result.exit_code == 130 and "Interrupted." in result.output
    else:
        assert result.exit_code == 1, result.output
        today = tmp_path / "backups" / "today"
        assert f"{today}: No space left on device; the backup stopped and nothing was left in " in (
            " ".join(result.output.split())
        )
    assert len(copied) == 4  # it had begun: the journal and four files were copied
    assert list((tmp_path / "backups").iterdir()) == []  # no DIR, no half folder beside it


KILLED_MIDWAY = textwrap.dedent(
    """
    import shutil, sys, time
    from lettersmith.app import backup
    from lettersmith.cli import main

    copied = []
    real_copy = shutil.copy2

    def copy_then_hang(source, target, **options):
        copied.append(source)
        if len(copied) == 4:
            print("halfway", flush=True)
            time.sleep(600)
        return real_copy(source, target, **options)

    backup.shutil.copy2 = copy_then_hang
    main(["-w", sys.argv[1], "backup", sys.argv[2]])
    """
)


def test_a_backup_killed_halfway_leaves_only_a_hidden_partial_folder(tmp_path):
    root = copy_example(tmp_path / "ws")
    (tmp_path / "backups").mkdir()
    today = tmp_path / "backups" / "today"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_MIDWAY, str(root), str(today)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline() == "halfway\n"
    finally:
        process.kill()
        process.wait()
    (left,) = (tmp_path / "backups").iterdir()
    assert not today.exists()  # nothing named DIR: nothing that looks like a whole backup
    assert left.name.startswith(".today.") and left.name.endswith(".partial")
    assert cli(root, "backup", str(today)).exit_code == 0  # the next one is not in its way
    assert (today / "lettersmith.yaml").is_file()


# --------------------------------------------------------------------------- links


def test_a_link_out_of_the_workspace_is_copied_as_a_link_never_followed(tmp_path):
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "passwords.txt").write_text("hunter2\n", encoding="utf-8")
    root = copy_example(tmp_path / "ws")
    (root / "assets" / "passwords.txt").symlink_to(secret / "passwords.txt")
    (root / "assets" / "private").symlink_to(secret)
    (root / "assets" / "logo-link.svg").symlink_to("logo.svg")  # inside: fine, still a link

    result = cli(root, "backup", str(tmp_path / "backup"))

    assert result.exit_code == 0, result.output
    for name in ("passwords.txt", "private"):
        assert (
            f"assets/{name}: warning: a link to {secret / name if name != 'private' else secret}"
            f", outside the workspace; the backup holds the link, not what it points to"
        ) in " ".join(result.output.split()), result.output
    assert "logo-link.svg" not in result.output
    copy = tmp_path / "backup" / "assets"
    assert os.readlink(copy / "passwords.txt") == str(secret / "passwords.txt")
    assert os.readlink(copy / "private") == str(secret)
    assert os.readlink(copy / "logo-link.svg") == "logo.svg"
    assert (copy / "logo-link.svg").read_bytes() == (copy / "logo.svg").read_bytes()
    held = [
        path
        for path in (tmp_path / "backup").rglob("*")
        if not path.is_symlink() and path.is_file() and b"hunter2" in path.read_bytes()
    ]
    assert held == []


def test_a_workspace_with_broken_files_and_a_damaged_database_is_still_backed_up(tmp_path):
    """A backup is for the bad day: it reads no setting, and copies a damaged database as it
    is, saying so, rather than stopping."""
    root = copy_example(tmp_path / "ws")
    (root / "lettersmith.yaml").write_text("organisation: [\n", encoding="utf-8")
    state = root / ".lettersmith"
    state.mkdir()
    with sqlite3.connect(state / "audit.sqlite") as db:
        db.execute("CREATE TABLE changes (what TEXT)")
        db.executemany("INSERT INTO changes VALUES (?)", [("x" * 500,)] * 100)
    db.close()
    data = bytearray((state / "audit.sqlite").read_bytes())
    data[4096 : 4096 * 2] = b"\xff" * 4096  # page 2, where the table starts
    (state / "audit.sqlite").write_bytes(bytes(data))

    result = cli(root, "backup", str(tmp_path / "backup"))

    assert result.exit_code == 0, result.output
    assert ".lettersmith/audit.sqlite: warning: the database is damaged (" in result.output
    assert (tmp_path / "backup" / ".lettersmith" / "audit.sqlite").read_bytes() == bytes(data)
    assert (tmp_path / "backup" / "lettersmith.yaml").read_text() == "organisation: [\n"


# --------------------------------------------------------------------------- words


def test_the_summary_names_files_databases_and_size(tmp_path):
    root = copy_example(tmp_path / "ws")
    result = cli(root, "backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    match = SUMMARY.search(result.output)
    assert match and match["root"] == str(root) and match["dbs"] == "0", result.output
    files = sum(1 for path in root.rglob("*") if path.is_file())
    assert int(match["files"]) == files


def test_the_summary_in_bokmal(tmp_path, monkeypatch):
    monkeypatch.setenv("LANG", "nb_NO.UTF-8")
    root = copy_example(tmp_path / "ws")
    with Journal.open(root / ".lettersmith"):
        pass
    result = cli(root, "backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    assert re.search(r"Sikkerhetskopierte \S+ til \S+: \d+ filer, 1 database, ", result.output)
