"""Project.overview: every letter and club version, and where it stands (made, approved, sent)."""

from __future__ import annotations

from pathlib import Path

from lettersmith.app.project import Project

LETTER = "menneskehandel-2024"


def states(root: Path) -> dict[tuple[str, str | None], object]:
    return {(s.letter_id, s.club): s for s in Project.open(root).overview()}


def test_a_letter_goes_from_nothing_to_sent(mail_workspace: Path, smtp_server) -> None:
    project = Project.open(mail_workspace)
    before = states(mail_workspace)
    assert list(before) == [(LETTER, None), (LETTER, "bergen")]
    union = before[(LETTER, None)]
    assert union.subject.startswith("Tiden er inne")
    assert (union.built, union.approved, union.sent, union.recipients) == (False, False, 0, 3)
    assert before[(LETTER, "bergen")].recipients == 4

    project.build([LETTER], jobs=1)
    assert states(mail_workspace)[(LETTER, None)].built
    assert not states(mail_workspace)[(LETTER, "bergen")].built  # its own files, not made

    project.approve(LETTER, by="Kari Nordmann")
    union = states(mail_workspace)[(LETTER, None)]
    assert union.approved and union.approved_by == ("Kari Nordmann",)

    project.send(LETTER)
    union = states(mail_workspace)[(LETTER, None)]
    assert (union.sent, union.recipients, union.all_sent) == (3, 3, True)
    assert states(mail_workspace)[(LETTER, "bergen")].sent == 0


def test_a_changed_letter_is_no_longer_made_nor_approved(mail_workspace: Path) -> None:
    project = Project.open(mail_workspace)
    project.build([LETTER], jobs=1)
    project.approve(LETTER, by="Kari Nordmann")
    position = mail_workspace / "positions" / f"{LETTER}.md"
    position.write_text(position.read_text(encoding="utf-8") + "\nEn ny setning.\n", "utf-8")
    union = states(mail_workspace)[(LETTER, None)]
    assert not union.built and not union.approved


def test_a_club_with_problems_is_left_out_with_a_warning(mail_workspace: Path) -> None:
    club = mail_workspace / "clubs" / "bergen.yaml"
    club.write_text(club.read_text(encoding="utf-8") + "\nlanguage: klingon\n", "utf-8")
    warned: list[str] = []
    found = Project.open(mail_workspace).overview(on_event=lambda e: warned.append(e.text))
    assert [(s.letter_id, s.club) for s in found] == [(LETTER, None)]
    assert any("clubs/bergen.yaml has problems" in text for text in warned)
