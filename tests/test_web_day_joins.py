"""Where the web app's two halves (letters: build, review, send; editing: positions, letters,
the register, clubs) meet, through Starlette's TestClient: the overview leads to the forms, a
recipient may be called ``import``, the contract's pages and button names are there, and a file
changed on disk while its form is open is shown, never overwritten, on every editing page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from lettersmith.web.app import create_app
from webapp import TOKEN, form_of, logged_in
from workspaces import copy_example

LETTER = "menneskehandel-2024"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


@pytest.fixture
def browser(root: Path):
    return logged_in(create_app(root, token=TOKEN))


def buttons(page: str) -> list[str]:
    return [html.unescape(b).strip() for b in re.findall(r"<button[^>]*>(.*?)</button>", page)]


def test_the_overview_leads_to_each_letter_s_form_and_to_new_ones(browser) -> None:
    page = browser.get("/").text
    assert f'href="/letters/{LETTER}"' in page  # the letter's name opens its form
    assert 'href="/letters">Nytt brev</a>' in page
    assert 'href="/positions#new-heading">Ny uttalelse</a>' in page
    assert browser.get("/positions").text.count('id="new-heading"') == 1


def test_a_recipient_called_import_is_saved_like_any_other(browser, root) -> None:
    page = browser.get("/recipients").text
    data = {**form_of(page, "/recipients"), "id": "import", "title": "Importør",
            "email": "post@import.example.no"}  # fmt: skip
    assert browser.post("/recipients", data=data).status_code == 303
    entry = browser.get("/recipients/import")
    assert entry.status_code == 200 and "post@import.example.no" in entry.text
    form = {**form_of(entry.text, "/recipients/import"), "title": "Importør",
            "email": "ny@import.example.no"}  # fmt: skip
    answer = browser.post("/recipients/import", data=form)
    assert answer.status_code == 303, answer.text
    assert "  email: ny@import.example.no\n" in (root / "recipients.yaml").read_text("utf-8")


@pytest.mark.parametrize(
    "path",
    ["/", f"/positions/{LETTER}", f"/letters/{LETTER}", f"/letters/{LETTER}/review",
     f"/letters/{LETTER}/status", "/recipients", "/offices", "/clubs/bergen"],
)  # fmt: skip
def test_the_contract_s_pages_answer(browser, path: str) -> None:
    answer = browser.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_the_contract_s_buttons_have_their_bokmal_names(mail_workspace) -> None:
    browser = logged_in(create_app(mail_workspace, token=TOKEN))
    for path in (f"/positions/{LETTER}", f"/letters/{LETTER}", "/recipients/smk", "/clubs/bergen"):
        assert "Lagre" in buttons(browser.get(path).text), path
    page = browser.get("/").text
    browser.post(f"/letters/{LETTER}/build", data=form_of(page, f"/letters/{LETTER}/build"))
    assert "Godkjenn" in buttons(browser.get(f"/letters/{LETTER}/review").text)
    assert "Send" in buttons(browser.get(f"/letters/{LETTER}/send").text)


def changed_behind_the_form(root: Path, rel: str, old: str, new: str) -> str:
    path = root / rel
    theirs = path.read_text(encoding="utf-8").replace(old, new)
    assert new in theirs
    path.write_text(theirs, encoding="utf-8")
    return theirs


def assert_both_versions_shown(answer, mine: str, theirs_words: str) -> None:
    assert answer.status_code == 400
    assert "Noen andre har endret denne fila" in answer.text
    versions = answer.text[answer.text.index('class="versions"') :]
    assert html.escape(mine, quote=False) in versions
    assert html.escape(theirs_words, quote=False) in versions
    assert "Behold min" in buttons(answer.text) and "Ta deres" in answer.text
    # Above them, only the lines that differ, each with whose it is.
    table = answer.text[answer.text.index('class="differences"') : answer.text.index("</table>")]
    assert (
        html.escape(mine, quote=False) in table and html.escape(theirs_words, quote=False) in table
    )
    assert "Din versjon" in table and "Versjonen på disken nå" in table


def test_a_letter_changed_on_disk_is_not_overwritten(browser, root) -> None:
    page = browser.get(f"/letters/{LETTER}").text
    data = {**form_of(page, f"/letters/{LETTER}"), "position": LETTER,
            "to": ["smk", "hod", "jd"], "mode": "joint", "date": "2024-12-10",
            "place": "Tromsø", "signatory": "president", "email": "Vedlagt."}  # fmt: skip
    theirs = changed_behind_the_form(root, f"letters/{LETTER}.yaml", "place: Halden", "place: Bodø")
    answer = browser.post(f"/letters/{LETTER}", data=data)
    assert_both_versions_shown(answer, "place: Tromsø", "place: Bodø")
    assert (root / "letters" / f"{LETTER}.yaml").read_text(encoding="utf-8") == theirs
    kept = form_of(answer.text, f"/letters/{LETTER}")  # "Behold min": the newer version
    assert browser.post(f"/letters/{LETTER}", data={**data, **kept}).status_code == 303
    assert "place: Tromsø" in (root / "letters" / f"{LETTER}.yaml").read_text(encoding="utf-8")


def test_a_club_changed_on_disk_is_not_overwritten(browser, root) -> None:
    page = browser.get("/clubs/bergen").text
    form = form_of(page, "/clubs/bergen")
    letters = re.findall(r'name="letter" value="([^"]+)"', page)
    signatories = re.findall(r'name="signatory" value="([^"]+)"', page)
    data = {**form, "name": "Soroptimist International Bergen", "place": "Bergen",
            "language": "nb", "letter": letters, "signatory": signatories}  # fmt: skip
    for key in signatories:
        data[f"signatory-{key}-name"] = "Kari Nordmann"
        data[f"signatory-{key}-title"] = "Klubbpresident"
    rel = "clubs/bergen.yaml"
    before = (root / rel).read_text(encoding="utf-8")
    old = re.search(r"name: (.+)", before)
    assert old
    theirs = changed_behind_the_form(root, rel, old.group(0), "name: SI Bergen (endret i fila)")
    answer = browser.post("/clubs/bergen", data=data)
    assert_both_versions_shown(answer, "Kari Nordmann", "SI Bergen (endret i fila)")
    assert (root / rel).read_text(encoding="utf-8") == theirs


def test_a_recipient_changed_on_disk_is_not_overwritten(browser, root) -> None:
    entry = browser.get("/recipients/jd").text
    data = {**form_of(entry, "/recipients/jd"), "title": "Justisminister",
            "name": "Emilie Enger Mehl", "tags": "regjeringen"}  # fmt: skip
    theirs = changed_behind_the_form(
        root, "recipients.yaml", "Emilie Enger Mehl", "Astri Aas-Hansen"
    )
    answer = browser.post("/recipients/jd", data=data)
    assert_both_versions_shown(answer, "title: Justisminister", "Astri Aas-Hansen")
    assert (root / "recipients.yaml").read_text(encoding="utf-8") == theirs
