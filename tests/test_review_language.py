"""The board's review page speaks the language of whoever makes it (LANG), and tells the
board how approval works in this workspace: a typed name, or a board account on a server."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from lettersmith.app import passwords
from lettersmith.app.project import Project
from lettersmith.cli import main
from workspaces import copy_example

LETTER = "menneskehandel-2024"
PASSWORD = "lang nok passordfrase"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with little memory and one pass (as tests/test_accounts.py): quicker."""
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "union")


class Page:
    """The written review page as a reader sees it: its language, headings, table heads and
    the approval section's text."""

    def __init__(self, root: Path, *, lang: str) -> None:
        result = CliRunner().invoke(main, ["-w", str(root), "review", LETTER], env={"LANG": lang})
        assert result.exit_code == 0, result.output
        path = root / "out" / LETTER / "review" / "index.html"
        self.tree = lxml.html.fromstring(path.read_bytes())
        self.output = result.output

    @property
    def lang(self) -> str:
        return str(self.tree.get("lang"))

    def texts(self, xpath: str) -> list[str]:
        return [" ".join(node.text_content().split()) for node in self.tree.xpath(xpath)]

    @property
    def approval(self) -> str:
        return " ".join(self.texts("//section[@id='approval']"))

    @property
    def body(self) -> str:
        return " ".join(self.texts("//body"))


def test_bokmal_under_a_norwegian_lang(example):
    page = Page(example, lang="nb_NO.UTF-8")
    assert page.lang == "nb"
    assert "skrev out/" in page.output
    assert page.texts("//h2") == ["Brevet", "Mottakere (3)", "3 e-poster, slik de blir sendt"]
    assert page.texts("//thead//th") == [
        "Navn",
        "Embete",
        "E-post",
        "Postadresse",
        "Språk",
        "Allerede sendt?",
    ]
    assert page.texts("//div[@class='email']/div/b")[:4] == ["Til:", "Fra:", "Emne:", "Vedlegg:"]
    assert page.texts("//tbody/tr/td[6]") == ["ikke sendt"] * 3
    meta = page.texts("//p[@class='meta']")[0]
    assert "ett brev til alle mottakerne" in meta and "signert av Karin Dahlberg Pettersen" in meta
    assert "Revisjon " in meta and " desember 20" in meta  # made: a date in words, through Babel
    assert "Slik godkjenner du akkurat denne revisjonen:" in page.approval
    assert 'lettersmith approve menneskehandel-2024 --by "NAVN"' in page.approval
    assert "ikke godkjent" in page.approval
    for english in ("Recipients", "Postal address", "Already sent?", "Subject:", "To approve"):
        assert english not in page.body
    # The letter itself stays in its own language, marked as such.
    assert page.tree.xpath("//h1/@lang") == ["nb"]


def test_nynorsk_under_lang_nn(example):
    page = Page(example, lang="nn_NO.UTF-8")
    assert page.lang == "nn"
    assert page.texts("//h2") == ["Brevet", "Mottakarar (3)", "3 e-postar, slik dei blir sende"]
    assert page.texts("//thead//th")[0] == "Namn"
    assert page.texts("//div[@class='email']/div/b")[1] == "Frå:"
    assert "eitt brev til alle mottakarane" in page.texts("//p[@class='meta']")[0]
    assert '--by "NAMN"' in page.approval and "ikkje godkjend" in page.approval


def test_english_under_lang_c(example):
    page = Page(example, lang="C")
    assert page.lang == "en"
    assert page.texts("//h2") == ["The letter", "Recipients (3)", "3 emails, as they will be sent"]
    assert page.texts("//thead//th")[3:] == ["Postal address", "Language", "Already sent?"]
    assert page.texts("//tbody/tr/td[6]") == ["not sent"] * 3
    assert "one letter to all recipients" in page.texts("//p[@class='meta']")[0]
    assert " December 20" in page.texts("//p[@class='meta']")[0]
    assert (
        'To approve exactly this revision: lettersmith approve menneskehandel-2024 --by "NAME"'
        in page.approval
    )


def test_without_accounts_a_typed_name_approves_and_is_shown(example):
    Project(example).approve(LETTER, by="Karin Dahlberg Pettersen", note="Styremøte 3.12.")
    page = Page(example, lang="nb_NO.UTF-8")
    assert "godkjent." in page.approval and "IKKE" not in page.approval
    assert "Karin Dahlberg Pettersen godkjente revisjon " in page.approval
    assert "(Styremøte 3.12.)" in page.approval
    assert '--by "NAVN"' in page.approval


def test_with_accounts_a_board_member_approves_in_the_web_app_or_at_the_server(example):
    project = Project(example)
    project.approve(LETTER, by="Per Hansen")  # a typed name, before the accounts
    project.add_user("anne", "admin", PASSWORD)
    project.add_user("kari", "board", PASSWORD)

    before = Page(example, lang="C")
    assert "Revision " in before.approval and "NOT approved." in before.approval
    assert "approvals must now come from a board account" in before.approval  # Per's no longer
    assert (
        "A board member approves exactly this revision in the web app, with the button "
        "“Approve” on the letter's review page: /letters/menneskehandel-2024/review"
    ) in before.approval
    assert (
        "Or at the server, with the board account's name (the command asks for its password): "
        "lettersmith approve menneskehandel-2024 --by ACCOUNT"
    ) in before.approval
    assert '--by "NAME"' not in before.approval

    project.approver("kari", PASSWORD).approve(LETTER)
    after = Page(example, lang="nb_NO.UTF-8")
    assert after.approval.startswith("Revisjon ") and ": godkjent." in after.approval
    assert "kari (styremedlem) godkjente revisjon " in after.approval
    assert "Per Hansen godkjente revisjon " in after.approval  # listed, without a role,
    assert "teller ikke: ikke gitt av en styrekonto" in after.approval  # and said not to count
    assert after.approval.count("teller ikke") == 1  # kari's counts
    assert "med knappen «Godkjenn» på brevets side for gjennomsyn:" in after.approval
    assert "--by KONTO" in after.approval and "NAVN" not in after.approval


def test_a_clubs_page_points_to_the_clubs_review_in_the_web_app(example):
    project = Project(example)
    project.add_user("kari", "board", PASSWORD)
    result = CliRunner().invoke(
        main, ["-w", str(example), "review", LETTER, "--club", "bergen"], env={"LANG": "C"}
    )
    assert result.exit_code == 0, result.output
    path = example / "out" / "clubs" / "bergen" / LETTER / "review" / "index.html"
    text = " ".join(lxml.html.fromstring(path.read_bytes()).text_content().split())
    assert "/letters/menneskehandel-2024/review?club=bergen" in text
    assert "lettersmith approve menneskehandel-2024 --club bergen --by ACCOUNT" in text
