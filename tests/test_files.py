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
