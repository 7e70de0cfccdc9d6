"""The audit trail: every change saved through the API (who, when, which file, the
difference), every approval and every send; shown by ``lettersmith audit``, exported as CSV,
and never a change without its row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith import Project
from lettersmith.app.access import Account
from lettersmith.app.audit import MAX_DIFF, AuditLog
from lettersmith.cli import main
from lettersmith.errors import LettersmithError
from workspaces import copy_example

LETTER = "menneskehandel-2024"
SECRETARY = Account("siri", "secretary")
BOARD = Account("bodil", "board")
BERGEN = Account("berit", "club:bergen")
OSLO_CLUB = "name: Klubb Oslo\nplace: Oslo\n"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "ws")
    (root / "clubs" / "oslo.yaml").write_text(OSLO_CLUB, encoding="utf-8")
    return root


def change_place(project: Project, place: str) -> None:
    version = Project(project.root).read_source("letter", LETTER).version
    project.save_letter(LETTER, {"place": place}, expected_version=version)


def test_a_save_is_recorded_with_who_when_file_and_the_changed_line(root: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    change_place(Project.open(root).acting_as(SECRETARY), "Tromsø")
    (entry,) = Project.open(root).audit()
    assert (entry.kind, entry.account, entry.role, entry.who) == (
        "change", "siri", "secretary", "siri (secretary)",
    )  # fmt: skip
    assert entry.file == f"letters/{LETTER}.yaml" and entry.state == "done"
    assert before <= dt.datetime.fromisoformat(entry.at) <= dt.datetime.now(dt.UTC)
    assert "-place: Halden\n+place: Tromsø\n" in entry.diff
    changed = [line for line in entry.diff.splitlines() if line[:1] in "+-"]
    assert len(changed) == 4  # the two file names, the line out and the line in
    mode = stat.S_IMODE(os.stat(root / ".lettersmith" / "audit.sqlite").st_mode)
    assert mode == 0o600


def test_without_an_account_it_is_this_computer(root: Path) -> None:
    change_place(Project.open(root), "Moss")
    (entry,) = Project.open(root).audit(LETTER)
    assert (entry.account, entry.who) == ("", "this computer")


def test_every_kind_of_save_is_recorded(root: Path, tmp_path: Path) -> None:
    project = Project.open(root).acting_as(SECRETARY)
    text = project.read_source("position", LETTER).text
    body = text.split("---\n", 2)[2].replace("stort nasjonalt", "svært nasjonalt", 1)
    project.save_position(
        LETTER, {}, body, expected_version=project.read_source("position", LETTER).version
    )
    register = lambda: project.read_source("recipients").version  # noqa: E731
    project.save_recipient("jd", {"name": "Ny Minister"}, expected_version=register())
    project.add_offices(["no/kld"], expected_version=register())
    project.remove_recipient("kld", expected_version=register())
    club = project.read_source("club", "bergen").version
    project.save_club("bergen", {"place": "Fana"}, expected_version=club)
    attached = project.save_attachment("program.txt", b"Program\n")
    spreadsheet = tmp_path / "nye.csv"
    spreadsheet.write_text("id;organisation;email\nnyx;Nyx AS;post@nyx.example.no\n")
    project.import_recipients(spreadsheet)
    project.add_club("tromso")

    entries = Project.open(root).audit()
    assert [e.file for e in entries] == [
        "clubs/tromso.yaml",
        "recipients.yaml",
        attached,
        "clubs/bergen.yaml",
        "recipients.yaml",
        "recipients.yaml",
        "recipients.yaml",
        f"positions/{LETTER}.md",
    ]  # fmt: skip  (newest first)
    by_file = {e.file: e for e in reversed(entries)}  # the newest of each
    assert "+nyx:" in by_file["recipients.yaml"].diff
    assert "-place: Bergen\n+place: Fana\n" in by_file["clubs/bergen.yaml"].diff
    assert by_file["clubs/bergen.yaml"].club == "bergen"
    assert "svært nasjonalt" in by_file[f"positions/{LETTER}.md"].diff
    assert "program.txt (8 bytes, sha256 " in by_file[attached].note
    assert by_file["clubs/tromso.yaml"].club == "tromso"
    assert all(e.who == "siri (secretary)" and e.state == "done" for e in entries)


def test_a_refused_save_leaves_no_row(root: Path) -> None:
    project = Project.open(root)
    with pytest.raises(LettersmithError, match="changed by someone else"):
        project.save_letter(LETTER, {"place": "X"}, expected_version="0" * 64)
    with pytest.raises(LettersmithError):
        project.save_letter(LETTER, {"signatory": "nobody"}, expected_version=_v(project))
    assert project.audit() == ()


def _v(project: Project) -> str:
    return project.read_source("letter", LETTER).version


def test_no_audit_no_change(root: Path) -> None:
    """A trail that cannot be written refuses the change: nothing is saved unrecorded."""
    (root / ".lettersmith").mkdir()
    (root / ".lettersmith" / "audit.sqlite").mkdir()  # in the way: SQLite cannot open it
    before = (root / "letters" / f"{LETTER}.yaml").read_bytes()
    project = Project.open(root)
    with pytest.raises(LettersmithError, match="the audit trail cannot be written.*nothing was"):
        change_place(project, "Tromsø")
    assert (root / "letters" / f"{LETTER}.yaml").read_bytes() == before


def test_a_crash_between_the_file_and_its_mark_stays_pending_and_says_so(root: Path) -> None:
    crash = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from lettersmith.app.audit import AuditLog\n"
        "log = AuditLog(Path(sys.argv[1]))\n"
        "with log.recording(('siri', 'secretary'), 'change', file='letters/x.yaml'):\n"
        "    os._exit(9)  # killed after the file, before the mark\n"
    )
    state = root / ".lettersmith"
    done = subprocess.run([sys.executable, "-c", crash, str(state)], check=False)
    assert done.returncode == 9
    (entry,) = AuditLog(state).entries()
    assert entry.state == "pending"
    assert "(not confirmed: it may not have happened)" in entry.describe()


def test_approvals_and_sends_are_recorded(required: Path, smtp_server) -> None:
    board = Project.open(required).acting_as(BOARD)
    approval = board.approve(LETTER, note="Styremøte 3. desember")
    result = Project.open(required).acting_as(SECRETARY).send(LETTER)
    assert result.report is not None
    sent, approved = Project.open(required).audit(LETTER)
    assert (approved.kind, approved.letter) == ("approval", LETTER)
    assert approved.who == "bodil (board member)"
    assert approved.revision == approval.short and approved.note == "Styremøte 3. desember"
    assert (sent.kind, sent.who, sent.revision) == ("send", "siri (secretary)", approval.short)
    assert dict(sent.counts) == {"sent": 3} and sent.state == "done"
    assert sent.describe() == f"sent {LETTER}, revision {approval.short}: sent 3"


def test_a_letters_trail_is_its_files_approvals_and_sends(root: Path) -> None:
    project = Project.open(root)
    change_place(project, "Moss")
    version = project.read_source("recipients").version
    project.save_recipient("jd", {"name": "Ny Minister"}, expected_version=version)
    club = project.read_source("club", "bergen").version
    project.save_club("bergen", {"place": "Fana"}, expected_version=club)
    assert [e.file for e in project.audit(LETTER)] == [f"letters/{LETTER}.yaml"]
    assert [e.file for e in project.audit(LETTER, club="bergen")] == [
        "clubs/bergen.yaml",
        f"letters/{LETTER}.yaml",
    ]
    assert [e.file for e in project.audit(club="bergen")] == ["clubs/bergen.yaml"]
    assert len(project.audit()) == 3


def test_a_club_account_sees_its_own_club_and_the_unions_letters(root: Path) -> None:
    project = Project.open(root)
    change_place(project, "Moss")
    register = project.read_source("recipients").version
    project.save_recipient("jd", {"name": "Ny Minister"}, expected_version=register)
    for club, place in (("bergen", "Fana"), ("oslo", "Grorud")):
        version = project.read_source("club", club).version
        project.save_club(club, {"place": place}, expected_version=version)
    bergen = Project.open(root).acting_as(BERGEN)
    assert [e.file for e in bergen.audit()] == ["clubs/bergen.yaml", f"letters/{LETTER}.yaml"]
    stream = io.StringIO()
    assert bergen.export_audit(stream) == 2
    assert "Grorud" not in stream.getvalue() and "Ny Minister" not in stream.getvalue()


def test_the_export_reads_back_as_csv_and_json(root: Path, tmp_path: Path) -> None:
    change_place(Project.open(root).acting_as(SECRETARY), "Tromsø")
    project = Project.open(root)
    assert project.export_audit(tmp_path / "trail.csv") == 1
    text = (tmp_path / "trail.csv").read_text(encoding="utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:5] == ["time_utc", "account", "role", "kind", "file"]
    record = dict(zip(header, row, strict=True))
    assert (record["account"], record["role"], record["file"]) == (
        "siri", "secretary", f"letters/{LETTER}.yaml",
    )  # fmt: skip
    # A diff starts with "-": kept from a spreadsheet's formulas by a ' before it.
    assert record["diff"].startswith("'--- a/letters/") and "+place: Tromsø" in record["diff"]

    assert project.export_audit(tmp_path / "trail.json") == 1
    (entry,) = json.loads((tmp_path / "trail.json").read_text(encoding="utf-8"))
    assert entry["account"] == "siri" and entry["diff"].startswith("--- a/letters/")


def test_a_long_diff_is_cut_and_says_so(root: Path) -> None:
    project = Project.open(root)
    version = project.read_source("position", LETTER).version
    body = "\n\n".join(f"Avsnitt nummer {n} med litt tekst i." for n in range(3000))
    project.save_position(LETTER, {}, body, expected_version=version)
    (entry,) = project.audit()
    assert len(entry.diff) < MAX_DIFF + 200
    assert "more lines of the difference left out" in entry.diff


def test_the_audit_command(root: Path, tmp_path: Path) -> None:
    assert "Nothing recorded yet." in run(root, "audit").output
    change_place(Project.open(root).acting_as(SECRETARY), "Tromsø")
    shown = run(root, "audit", LETTER, "--diff")
    assert shown.exit_code == 0, shown.output
    assert "siri (secretary)" in shown.output and f"letters/{LETTER}.yaml" in shown.output
    assert "+place: Tromsø" in shown.output
    written = run(root, "audit", "--csv", str(tmp_path / "a.csv"))
    assert "Wrote 1 entries to " in written.output and (tmp_path / "a.csv").is_file()
    helped = run(root, "audit", "--help")
    assert "lettersmith audit menneskehandel-2024 --diff" in helped.output
    bad = CliRunner().invoke(main, ["-w", str(root), "audit", "../x"])
    assert bad.exit_code == 1 and "is not a valid id" in bad.output


def test_a_send_cut_short_is_recorded_as_stopped(mail_workspace: Path, smtp_server) -> None:
    from lettersmith.app.events import Progress

    def interrupt_after_the_first(event: object) -> None:
        if event == Progress("send", 1, 3):
            raise KeyboardInterrupt

    project = Project.open(mail_workspace)
    assert project.send(LETTER, on_event=interrupt_after_the_first).undelivered
    project.send(LETTER)
    again, first = project.audit(LETTER)
    assert first.state == "stopped" and first.counts["sent"] == 1
    assert "(stopped before the end)" in first.describe()
    assert again.state == "done" and again.counts["sent"] == 3  # the others, and the first
    declined = project.send(LETTER, resend=True, confirm=lambda plan: False)
    assert not declined.confirmed and len(project.audit(LETTER)) == 2  # nothing went: no row


def test_threads_record_at_once_and_every_row_is_kept(tmp_path: Path) -> None:
    """The web app's threads write the trail at the same time: a connection each, no row lost."""
    import threading

    log = AuditLog(tmp_path / ".lettersmith")
    failures: list[BaseException] = []

    def record(worker: int) -> None:
        try:
            for n in range(20):
                with log.recording((f"w{worker}", "secretary"), "change", file=f"letters/{n}.yaml"):
                    pass
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            failures.append(error)

    threads = [threading.Thread(target=record, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    entries = log.entries()
    assert len(entries) == 80 and {e.state for e in entries} == {"done"}
    assert len({e.id for e in entries}) == 80


def test_a_step_failing_after_the_file_landed_keeps_the_row(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lettersmith.app import audit

    def broken(*args: object) -> str:
        raise RuntimeError("the difference could not be made")

    monkeypatch.setattr(audit, "text_diff", broken)  # fails after the import wrote the file
    spreadsheet = tmp_path / "nye.csv"
    spreadsheet.write_text("id;organisation;email\nnyx;Nyx AS;post@nyx.example.no\n")
    with pytest.raises(RuntimeError):
        Project.open(root).import_recipients(spreadsheet)
    assert "nyx:" in (root / "recipients.yaml").read_text(encoding="utf-8")
    (entry,) = Project.open(root).audit()
    assert (entry.file, entry.state) == ("recipients.yaml", "done")
    with pytest.raises(LettersmithError, match="the club exists already"):
        Project.open(root).add_club("bergen")  # refused before writing: no row
    assert len(Project.open(root).audit()) == 1


def test_a_trail_put_back_readable_by_others_is_made_private_again(root: Path) -> None:
    change_place(Project.open(root), "Moss")
    trail = root / ".lettersmith" / "audit.sqlite"
    os.chmod(trail, 0o644)  # as `cp` of a backup leaves it under a usual umask
    change_place(Project.open(root), "Mysen")
    assert stat.S_IMODE(os.stat(trail).st_mode) == 0o600
    assert len(Project.open(root).audit()) == 2
