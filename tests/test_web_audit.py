"""The audit trail with the letter: who changed which file and how, who approved, who sent,
on the letter's page ("Endringer") and in its CSV export, as each role may see it."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import time
from pathlib import Path

import pytest
from starlette.applications import Starlette

from lettersmith.app.access import Account
from lettersmith.app.project import Project
from lettersmith.web.app import create_app
from lettersmith.web.trail import SHOWN, diff_lines, local_time
from test_web_authz import ACCOUNTS, LETTER, OTHER, OWN, REFUSED, add_oslo
from webapp import TOKEN, client, session_as
from workspaces import copy_example

SECRETARY = ACCOUNTS["secretary"]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return add_oslo(copy_example(tmp_path / "ws"))


@pytest.fixture
def app(root: Path) -> Starlette:
    return create_app(root, token=TOKEN)


def as_(app: Starlette, role: str):
    return session_as(client(app), ACCOUNTS[role])


def letter_form(page: str, **changed: str) -> dict[str, object]:
    """The letter's form as its page fills it (the example letter), with ``changed``."""
    version = re.search(r'name="version" value="([^"]*)"', page)
    assert version
    form: dict[str, object] = {
        "version": version.group(1), "position": LETTER, "to": ["smk", "hod", "jd"],
        "mode": "joint", "date": "2024-12-10", "place": "Halden", "signatory": "president",
        "email": "Vedlagt følger en uttalelse.\n",
    }  # fmt: skip
    return {**form, **changed}


def changes_section(page: str) -> str:
    start = page.index('<section class="audit"')
    return page[start : page.index("</section>", start)]


def test_a_change_through_the_app_is_shown_with_the_letter(app: Starlette) -> None:
    secretary = as_(app, "secretary")
    page = secretary.get(f"/letters/{LETTER}").text
    typed = "<script>alert(1)</script> Ny & bedre tittel"
    answer = secretary.post(f"/letters/{LETTER}", data=letter_form(page, subject=typed))
    assert answer.status_code == 303, answer.text
    board = as_(app, "board")
    section = changes_section(board.get(f"/letters/{LETTER}").text)
    assert '<h2 id="audit-heading">Endringer</h2>' in section
    assert "siri (sekretær)" in section
    assert f"letters/{LETTER}.yaml" in section
    # the difference, line by line, its text escaped: what was typed is text, never markup
    assert "<script>" not in section
    escaped = re.escape(html.escape(typed, quote=False))
    assert re.search(f'<span class="line-add">[+]subject: &#34;{escaped}&#34;</span>', section)
    assert re.search(r'<span class="line-del">-email: \|</span>', section)
    assert f'href="/letters/{LETTER}/audit.csv"' in section


def test_an_approval_is_recorded_with_the_board_account_and_shown(app: Starlette) -> None:
    board = as_(app, "board")
    answer = board.post(f"/letters/{LETTER}/approve", data={"note": "Styremøtet 3. desember"})
    assert answer.status_code == 303, answer.text
    status = board.get(answer.headers["location"]).text
    assert "bodil (styremedlem) godkjente revisjon" in status
    section = changes_section(board.get(f"/letters/{LETTER}").text)
    assert "bodil (styremedlem)" in section and "Styremøtet 3. desember" in section
    # the union's letter's trail has it; the club's version's does not
    club_section = changes_section(board.get(f"/letters/{LETTER}?club={OWN}").text)
    assert "Styremøtet" not in club_section


def test_a_club_sees_its_own_versions_trail_and_not_another_clubs(app: Starlette) -> None:
    project = Project.open(app.state.project.root)
    for club, account in ((OWN, ACCOUNTS["club:bergen"]), (OTHER, ACCOUNTS["club:oslo"])):
        source = project.read_source("club", club)
        assert account is not None
        project.acting_as(account).save_club(
            club, {"place": f"Et sted for {club}"}, expected_version=source.version
        )
    bergen = as_(app, "club:bergen")
    own = changes_section(bergen.get(f"/letters/{LETTER}?club={OWN}").text)
    assert "berit (klubb bergen)" in own and f"clubs/{OWN}.yaml" in own
    assert OTHER not in own
    assert bergen.get(f"/letters/{LETTER}?club={OTHER}").status_code == 403
    assert bergen.get(f"/letters/{LETTER}/audit.csv?club={OTHER}").status_code == 403


def test_the_trail_exports_as_csv(app: Starlette) -> None:
    secretary = as_(app, "secretary")
    page = secretary.get(f"/letters/{LETTER}").text
    secretary.post(f"/letters/{LETTER}", data=letter_form(page, subject="=1+1 Ny"))
    answer = as_(app, "board").get(f"/letters/{LETTER}/audit.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert f'filename="endringer-{LETTER}.csv"' in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["time_utc", "account", "role", "kind"]
    assert rows[1][1:5] == ["siri", "secretary", "change", f"letters/{LETTER}.yaml"]
    assert "=1+1" not in rows[1][-1].split("\n")[0]  # a cell a spreadsheet would not run
    club = as_(app, "club:bergen").get(f"/letters/{LETTER}/audit.csv?club={OWN}")
    assert club.status_code == 200
    assert "endringer-menneskehandel-2024-bergen.csv" in club.headers["content-disposition"]


def test_a_long_trail_shows_the_newest_and_links_to_all(app: Starlette) -> None:
    project = Project.open(app.state.project.root).acting_as(SECRETARY)
    for number in range(SHOWN + 2):
        version = project.read_source("letter", LETTER).version
        project.save_letter(LETTER, {"subject": f"Utgave {number}"}, expected_version=version)
    secretary = as_(app, "secretary")
    section = changes_section(secretary.get(f"/letters/{LETTER}").text)
    assert section.count("<li>") == SHOWN
    assert f"Utgave {SHOWN + 1}" in section and "Utgave 0" not in section  # newest first
    assert f"De nyeste {SHOWN} av {SHOWN + 2} vises." in section
    assert f'href="/letters/{LETTER}?changes=all#audit-heading"' in section
    everything = changes_section(secretary.get(f"/letters/{LETTER}?changes=all").text)
    assert everything.count("<li>") == SHOWN + 2 and "Utgave 0" in everything


def test_a_letter_without_changes_says_so(app: Starlette) -> None:
    section = changes_section(as_(app, "secretary").get(f"/letters/{LETTER}").text)
    assert "Ingen endringer registrert ennå." in section


def test_times_are_shown_in_the_servers_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Oslo")
    time.tzset()
    try:
        assert local_time("2026-12-03T13:40:05+00:00") == "2026-12-03 14:40"
        assert local_time("2026-07-01T10:00:00+00:00") == "2026-07-01 12:00"  # summer time
        assert local_time("not a time") == "not a time"
    finally:
        monkeypatch.undo()
        time.tzset()
    assert dt.datetime.now().tzinfo is None


def test_a_diff_is_split_into_lines_marked_by_kind() -> None:
    diff = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n same\n-old\n+new\n"
    assert diff_lines(diff) == (
        ("hunk", "@@ -1,2 +1,2 @@"), ("same", " same"), ("del", "-old"), ("add", "+new"),
    )  # fmt: skip


def test_a_refused_change_leaves_no_entry(app: Starlette) -> None:
    board = session_as(client(app), Account("bodil", "board"))
    page = board.get(f"/letters/{LETTER}").text
    version = Project.open(app.state.project.root).read_source("letter", LETTER).version
    answer = board.post(f"/letters/{LETTER}", data={"version": version, "subject": "Nei"})
    assert answer.status_code == 403 and REFUSED in answer.text
    assert "Ingen endringer registrert ennå." in changes_section(page)
    assert "Ingen endringer registrert ennå." in changes_section(
        board.get(f"/letters/{LETTER}").text
    )
