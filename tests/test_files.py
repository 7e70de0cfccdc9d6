"""Files in out/ appear whole or not at all."""

import os

import pytest

from lettersmith.atomic import atomic_write


def test_atomic_write_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    target = tmp_path / "out" / "letter.pdf"
    atomic_write(target, b"first")
    atomic_write(target, "second")
    assert target.read_text() == "second"
    assert [p.name for p in target.parent.iterdir()] == ["letter.pdf"]
    assert target.stat().st_mode & 0o044 == 0o044 & ~_umask()  # readable like any other file


def test_a_failed_write_keeps_the_old_file_and_leaves_no_part_file(tmp_path, monkeypatch):
    target = tmp_path / "letter.pdf"
    atomic_write(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["letter.pdf"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- no window in out/
# A folder of out/ swapped for a link to somewhere else after lettersmith checked it and before
# it writes or deletes there: the write and the deletion must not follow the link.

LETTER = "menneskehandel-2024"


def run(root, *args):
    from click.testing import CliRunner

    from lettersmith.cli import main

    return CliRunner().invoke(main, ["-w", str(root), *args])


@pytest.fixture
def ws(tmp_path):
    from workspaces import copy_example

    root = copy_example(tmp_path / "ws")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine", encoding="utf-8")
    return root


def swap_for_link(folder, elsewhere):
    """What an attacker does between the check and the write: the folder becomes a link."""
    if folder.is_dir() and not folder.is_symlink():
        folder.rename(folder.with_name(folder.name + "-moved"))
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(elsewhere, target_is_directory=True)


def after_check(monkeypatch, module, folder, elsewhere):
    """Swap ``folder`` for a link right after ``module``'s check that its path is inside out/."""
    original = module.inside_out
    swapped = []

    def check_then_swap(path, root):
        result = original(path, root)
        if not swapped:
            swap_for_link(folder, elsewhere)
            swapped.append(path)
        return result

    monkeypatch.setattr(module, "inside_out", check_then_swap)
    return swapped


def untouched(elsewhere):
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]
    assert (elsewhere / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_build_does_not_write_into_a_folder_swapped_for_a_link(ws, monkeypatch, tmp_path):
    from lettersmith.render import build

    elsewhere = tmp_path / "elsewhere"
    swapped = after_check(monkeypatch, build, ws / "out" / LETTER, elsewhere)
    result = run(ws, "build", LETTER, "--format", "pdf", "--jobs", "1")
    assert swapped, "the check ran"
    assert result.exit_code == 1, result.output
    assert f"out/{LETTER}" in result.output
    untouched(elsewhere)


def test_preview_does_not_write_or_delete_in_a_folder_swapped_for_a_link(ws, monkeypatch, tmp_path):
    from lettersmith.render import preview

    elsewhere = tmp_path / "elsewhere"
    assert run(ws, "build", LETTER, "--format", "pdf", "--jobs", "1").exit_code == 0
    (elsewhere / f"{LETTER}-9.png").write_bytes(b"someone's picture")
    swapped = after_check(monkeypatch, preview, ws / "out" / LETTER / "preview", elsewhere)
    result = run(ws, "preview", LETTER)
    assert swapped, "the check ran"
    assert result.exit_code == 1, result.output
    assert (elsewhere / f"{LETTER}-9.png").read_bytes() == b"someone's picture"
    (elsewhere / f"{LETTER}-9.png").unlink()
    untouched(elsewhere)


def test_a_dry_run_does_not_delete_in_a_folder_swapped_for_a_link(ws, monkeypatch, tmp_path):
    from lettersmith.deliver import send

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "someone.eml").write_text("theirs", encoding="utf-8")
    mail = ws / "out" / LETTER / "mail"
    mail.mkdir(parents=True)
    (mail / "old.eml").write_text("an earlier dry run", encoding="utf-8")
    swapped = after_check(monkeypatch, send, mail, elsewhere)
    result = run(ws, "send", LETTER, "--dry-run")
    assert swapped, "the check ran"
    assert result.exit_code == 1, result.output
    assert (elsewhere / "someone.eml").read_text(encoding="utf-8") == "theirs"
    (elsewhere / "someone.eml").unlink()
    untouched(elsewhere)


def test_review_does_not_write_into_a_folder_swapped_for_a_link(ws, monkeypatch, tmp_path):
    from lettersmith.app import review

    elsewhere = tmp_path / "elsewhere"
    swapped = after_check(monkeypatch, review, ws / "out" / LETTER, elsewhere)
    result = run(ws, "review", LETTER)
    assert swapped, "the check ran"
    assert result.exit_code == 1, result.output
    untouched(elsewhere)


def test_the_build_memo_is_not_written_through_a_linked_out(ws, tmp_path):
    from lettersmith.render import memo

    elsewhere = tmp_path / "elsewhere"
    (ws / "out").symlink_to(elsewhere, target_is_directory=True)
    memo.remember(ws / "out", "key", [], [])
    memo.forget(ws / "out")
    untouched(elsewhere)


@pytest.mark.parametrize("handles", [True, False], ids=["linux-macos", "by-path"])
def test_writes_in_out_go_through_folder_handles(tmp_path, monkeypatch, handles):
    from lettersmith import atomic
    from lettersmith.atomic import OutDir
    from lettersmith.confine import OutsideError

    monkeypatch.setattr(atomic, "HANDLES", handles and atomic.HANDLES)

    root = tmp_path / "ws"
    root.mkdir()
    out = OutDir(root)
    written = out.write(root / "out" / "a" / "b" / "x.txt", b"one")
    assert written.read_bytes() == b"one"
    assert out.names(root / "out" / "a" / "b") == ["x.txt"]
    out.remove(root / "out" / "a" / "b" / "x.txt")
    assert out.names(root / "out" / "a" / "b") == []
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / "out" / "a" / "c").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(OutsideError, match="out/a/c: is a link to"):
        out.write(root / "out" / "a" / "c" / "x.txt", b"two")
    with pytest.raises(OutsideError):
        out.write(root / "elsewhere.txt", b"two")
    out.remove_tree(root / "out" / "a")
    assert out.names(root / "out") == []
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("club", [None, "bergen"])
def test_a_send_does_not_attach_or_write_through_a_folder_swapped_while_it_makes_the_pdf(
    mail_workspace, smtp_server, monkeypatch, tmp_path, club
):
    """The send made its PDF in a folder of its own in out/; then the letter's folder (for a
    club, out/clubs/<club>/) becomes a link to a folder holding another PDF under that name."""
    from lettersmith.render import build as building

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    swapped_folder = mail_workspace / "out" / ("clubs/bergen" if club else LETTER)
    made = building.build

    def build_then_swap(jobs, **kwargs):
        outcomes = made(jobs, **kwargs)
        for job in jobs:  # someone else's PDF where the send's own is
            fake = elsewhere / job.path.relative_to(swapped_folder)
            fake.parent.mkdir(parents=True, exist_ok=True)
            fake.write_bytes(b"%PDF-1.7\nsomeone else's letter\n%%EOF\n")
        swap_for_link(swapped_folder, elsewhere)
        return outcomes

    monkeypatch.setattr(building, "build", build_then_swap)
    args = ["--club", club] if club else []
    result = run(mail_workspace, "send", LETTER, *args, "--yes")
    assert result.exit_code == 1, result.output
    assert "is a link to" in result.output and "Traceback" not in result.output
    assert smtp_server.handler.received == []
    pdfs = sorted(p.relative_to(elsewhere) for p in elsewhere.rglob("*") if p.is_file())
    assert len(pdfs) == 1 and (elsewhere / pdfs[0]).read_bytes().endswith(b"letter\n%%EOF\n")
