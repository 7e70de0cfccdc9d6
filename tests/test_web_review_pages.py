"""The web app's review page of a big batch, paged as the written review is: 50 letters and
emails a page (app/review.py PER_PAGE), links to the others, the approval form on each page,
and a page number that is not one answered with the first page, never an error."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from lettersmith.web.app import create_app
from lettersmith.web.pages.letters import page_links
from lettersmith.web.targets import Target
from webapp import TOKEN, csrf_of, logged_in
from workspaces import many_recipients

LETTER = "menneskehandel-2024"
REVIEW = f"/letters/{LETTER}/review"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A secretary logged in to a workspace whose letter goes to 120 recipients, one each."""
    root = many_recipients(tmp_path_factory.mktemp("big") / "ws", 120)
    app = create_app(root, token=TOKEN)
    yield logged_in(app)
    app.state.jobs.wait(60)


def letters_on(html: str) -> list[str]:
    """The recipient of each letter shown (each letter's PDF is named for its recipient)."""
    return re.findall(r"<b>(r\d{5})</b> –", html)


def emails_on(html: str) -> list[str]:
    return re.findall(r"<b>Til:</b> [^<]*postmottak(\d+)@", html)


def approval_form(html: str) -> bool:
    return f'action="/letters/{LETTER}/approve"' in html and 'name="by"' in html


def test_120_letters_are_shown_50_a_page_with_the_approval_form(browser: TestClient) -> None:
    pages = {number: browser.get(f"{REVIEW}?page={number}") for number in (1, 2, 3)}
    assert all(answer.status_code == 200 for answer in pages.values())
    shown = {number: letters_on(answer.text) for number, answer in pages.items()}
    assert [len(shown[n]) for n in (1, 2, 3)] == [50, 50, 20]
    every = shown[1] + shown[2] + shown[3]
    assert every == [f"r{i:05d}" for i in range(120)]  # each once, in order
    emails = {number: emails_on(answer.text) for number, answer in pages.items()}
    assert [len(emails[n]) for n in (1, 2, 3)] == [50, 50, 20]
    assert emails[3] == [str(i) for i in range(100, 120)]  # with the same recipients' letters
    # Each picture and file linked is one the app serves.
    picture = re.findall(r'<img class="page" src="([^"]+)"', pages[3].text)[0]
    assert browser.get(picture).content.startswith(b"\x89PNG")

    first, second, third = (pages[n].text for n in (1, 2, 3))
    assert "Brevene 1–50 av 120" in first and "Brevene 101–120 av 120" in third
    assert "Side 1 av 3:" in first and "Side 2 av 3:" in second
    assert "Mottakere (120)" in first and "Mottakere (120)" not in second  # as the written page
    for html in (first, second, third):
        assert approval_form(html)
        csrf_of(html)
    # Forrige and Neste, and the number of every other page.
    assert f'href="{REVIEW}?page=2" rel="next">Neste' in first and "Forrige" not in first
    assert f'href="{REVIEW}" rel="prev">Forrige' in second
    assert f'href="{REVIEW}?page=3" rel="next">Neste' in second
    assert f'href="{REVIEW}?page=2" rel="prev">Forrige' in third and "Neste" not in third
    assert f'<a href="{REVIEW}">1</a>' in third and '<b aria-current="page">3</b>' in third
    # The plain address is page 1.
    assert letters_on(browser.get(REVIEW).text) == shown[1]


@pytest.mark.parametrize("asked", ["0", "4", "-1", "abc", "2.5", "١", "9" * 40, ""])
def test_a_page_that_is_not_one_shows_the_first(browser: TestClient, asked: str) -> None:
    answer = browser.get(REVIEW, params={"page": asked})
    assert answer.status_code == 200
    assert letters_on(answer.text)[:2] == ["r00000", "r00001"]
    assert approval_form(answer.text)


def test_the_pages_speak_nynorsk(browser: TestClient) -> None:
    token = csrf_of(browser.get("/").text)
    chosen = browser.post("/language", data={"csrf_token": token, "language": "nn", "next": "/"})
    assert chosen.status_code == 303
    try:
        second = browser.get(f"{REVIEW}?page=2").text
        assert 'rel="prev">Førre' in second and 'rel="next">Neste' in second
        assert "Breva 51–100 av 120" in second and "Side 2 av 3:" in second
    finally:
        token = csrf_of(browser.get("/").text)
        browser.post("/language", data={"csrf_token": token, "language": "nb", "next": "/"})


def test_a_clubs_pages_keep_the_club() -> None:
    links = page_links(Target(LETTER, "bergen"), 3)
    assert links == {
        1: f"{REVIEW}?club=bergen",
        2: f"{REVIEW}?page=2&club=bergen",
        3: f"{REVIEW}?page=3&club=bergen",
    }
