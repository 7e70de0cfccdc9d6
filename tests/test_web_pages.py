"""The letters' pages through Starlette's TestClient, against a copy of the example workspace
whose mail goes to a real SMTP server (aiosmtpd): what a secretary reads on each page, and
what the engine did (files in out/, messages received, the journal)."""

from __future__ import annotations

import re
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import point_mail_at
from lettersmith.app.project import Project
from lettersmith.web.app import create_app
from webapp import TOKEN, client, csrf_of, logged_in

LETTER = "menneskehandel-2024"


@pytest.fixture
def app(mail_workspace: Path):
    app = create_app(mail_workspace, token=TOKEN)
    yield app
    app.state.jobs.wait(60)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def plan_digest(html: str) -> str:
    found = re.search(r'name="plan" value="([0-9a-f]+)"', html)
    assert found, "no Send button on the page"
    return found.group(1)


def send_and_wait(app, browser, letter: str = LETTER, query: str = "") -> str:
    page = browser.get(f"/letters/{letter}/send{query}").text
    answer = browser.post(
        f"/letters/{letter}/send{query}",
        data={"csrf_token": csrf_of(page), "plan": plan_digest(page)},
    )
    assert answer.status_code == 303
    app.state.jobs.wait(60)
    return browser.get(f"/letters/{letter}/send{query}").text


def test_a_secretarys_day_in_bokmal(app, mail_workspace: Path, smtp_server) -> None:
    browser = logged_in(app)
    overview = text_of(browser.get("/").text)
    assert "Tiden er inne for å få en handlingsplan mot menneskehandel" in overview
    assert "unionen Ikke ennå Nei 0 av 3" in overview
    assert "bergen Ikke ennå Nei 0 av 4" in overview
    token = csrf_of(browser.get("/").text)

    built = browser.post(f"/letters/{LETTER}/build", data={"csrf_token": token})
    assert built.status_code == 200
    assert "2 filer laget." in text_of(built.text)
    assert (mail_workspace / "out" / LETTER / f"{LETTER}.pdf").is_file()
    assert "unionen Ja Nei 0 av 3" in text_of(browser.get("/").text)

    review = browser.get(f"/letters/{LETTER}/review")
    assert review.status_code == 200
    shown = text_of(review.text)
    assert "Revisjon" in shown and "postmottak@smk.dep.no" in shown and "Vedlagt følger" in shown
    pictures = re.findall(r'<img class="page" src="([^"]+)"', review.text)
    assert pictures
    picture = browser.get(pictures[0])
    assert picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(b"\x89PNG")

    approved = browser.post(
        f"/letters/{LETTER}/approve",
        data={"csrf_token": token, "by": "Karin Dahlberg Pettersen", "note": "Styremøte"},
    )
    assert approved.status_code == 303
    status = text_of(browser.get(f"/letters/{LETTER}/status").text)
    assert "Karin Dahlberg Pettersen godkjente revisjon" in status and "(Styremøte)" in status

    plan = text_of(browser.get(f"/letters/{LETTER}/send").text)
    assert "Dette blir sendt" in plan and "postmottak@hod.dep.no" in plan
    assert "3 meldinger blir sendt på e-post når du trykker på knappen." in plan
    assert smtp_server.handler.received == []  # showing the plan sends nothing

    done = text_of(send_and_wait(app, browser))
    assert "Sendt 3 av 3" in done and "Ferdig." in done
    assert sorted(r.rcpt_tos[0] for r in smtp_server.handler.received) == [
        "postmottak@hod.dep.no", "postmottak@jd.dep.no", "postmottak@smk.dep.no",
    ]  # fmt: skip
    status = text_of(browser.get(f"/letters/{LETTER}/status").text)
    assert "Sendt til 3 av 3 mottakere." in status
    assert status.count(" sendt ") >= 3
    assert "unionen Ja Ja: Karin Dahlberg Pettersen 3 av 3" in text_of(browser.get("/").text)
    again = text_of(browser.get(f"/letters/{LETTER}/send").text)
    assert "Ingenting å sende" in again


def test_a_clubs_version_has_its_own_pages(app, smtp_server) -> None:
    browser = logged_in(app)
    review = text_of(browser.get(f"/letters/{LETTER}/review?club=bergen").text)
    assert "klubb bergen" in review and "Hva klubben endrer" in review
    done = text_of(send_and_wait(app, browser, query="?club=bergen"))
    assert "Sendt 4 av 4" in done
    assert "postmottak@bergen.kommune.no" in {r.rcpt_tos[0] for r in smtp_server.handler.received}
    assert "bergen Ja Nei 4 av 4" in text_of(browser.get("/").text)


def test_a_second_browser_sees_the_send_under_way(app, smtp_server) -> None:
    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 2)] = release
    first, second = logged_in(app), logged_in(app)
    page = first.get(f"/letters/{LETTER}/send").text
    first.post(
        f"/letters/{LETTER}/send", data={"csrf_token": csrf_of(page), "plan": plan_digest(page)}
    )
    try:
        assert smtp_server.handler.paused.wait(60)
        time.sleep(0.2)
        watching = second.get(f"/letters/{LETTER}/send").text
        assert 'hx-trigger="every 1s"' in watching
        assert '<noscript><meta http-equiv="refresh"' in watching  # without JavaScript too
        assert "Sendt 1 av 3" in text_of(watching)
        assert "Du kan lukke denne siden" in text_of(watching)
        assert 'name="plan"' not in watching  # no second send while one runs
    finally:
        release.set()
    app.state.jobs.wait(60)
    finished = second.get(f"/letters/{LETTER}/send/progress").text
    assert "Sendt 3 av 3" in text_of(finished) and "hx-trigger" not in finished
    assert 'http-equiv="refresh"' not in second.get(f"/letters/{LETTER}/send").text
    assert len(smtp_server.handler.received) == 3


def test_a_plan_that_changed_since_it_was_shown_sends_nothing(
    app, mail_workspace: Path, smtp_server
) -> None:
    browser = logged_in(app)
    page = browser.get(f"/letters/{LETTER}/send").text
    letter = mail_workspace / "letters" / f"{LETTER}.yaml"
    letter.write_text(
        letter.read_text(encoding="utf-8").replace("to: [smk, hod, jd]", "to: [smk, hod]"),
        encoding="utf-8",
    )
    browser.post(
        f"/letters/{LETTER}/send", data={"csrf_token": csrf_of(page), "plan": plan_digest(page)}
    )
    app.state.jobs.wait(60)
    again = text_of(browser.get(f"/letters/{LETTER}/send").text)
    assert "Ingenting ble sendt: brevet eller mottakerne ble endret" in again
    assert "2 meldinger blir sendt" in again  # the new plan, to confirm again
    assert smtp_server.handler.received == []


def test_a_missing_password_is_named_never_shown(app, mail_workspace: Path, smtp_server) -> None:
    point_mail_at(mail_workspace, smtp_server, username="post@example.org")
    browser = logged_in(app)
    page = text_of(browser.get(f"/letters/{LETTER}/send").text)
    assert "LETTERSMITH_SMTP_PASSWORD" in page
    assert 'name="plan"' not in page


def test_under_approval_required_the_refusal_is_shown_in_words(app, required: Path) -> None:
    browser = logged_in(app)
    assert "Ikke ennå (kreves)" in text_of(browser.get("/").text)
    page = browser.get(f"/letters/{LETTER}/send").text
    assert "Brevet kan ikke sendes nå" in text_of(page)
    problems = re.search(r'<div class="problems".*?</div>', page, flags=re.DOTALL)
    assert problems and f"{LETTER}" in problems.group(0)  # the engine's words, naming it
    assert 'name="plan"' not in page


def test_build_shows_the_workspaces_problems_in_words(app, mail_workspace: Path) -> None:
    browser = logged_in(app)
    token = csrf_of(browser.get("/").text)
    (mail_workspace / "recipients.yaml").write_text(
        (mail_workspace / "recipients.yaml").read_text(encoding="utf-8")
        + "\nbroken:\n  title: X\n  email: not-an-address\n",
        encoding="utf-8",
    )
    built = browser.post(f"/letters/{LETTER}/build", data={"csrf_token": token})
    assert built.status_code == 400
    shown = text_of(built.text)
    assert "Noe må rettes" in shown and "recipients.yaml:" in shown
    assert "not-an-address" in shown
    assert not (mail_workspace / "out" / LETTER / f"{LETTER}.pdf").exists()


def test_the_language_is_kept_in_the_session(app) -> None:
    browser = logged_in(app)
    other = logged_in(app)
    token = csrf_of(browser.get("/").text)
    answer = browser.post(
        "/language", data={"csrf_token": token, "language": "nn", "next": "/letters/x/status"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/letters/x/status"
    assert "Alle brev, og kvar klubb si utgåve" in browser.get("/").text
    assert "Alle brev, og hver klubbs utgave" in other.get("/").text  # still bokmål
    browser.post("/language", data={"csrf_token": token, "language": "en", "next": "//evil"})
    page = browser.get("/").text
    assert '<html lang="en">' in page and "Every letter, and each club" in page


class Scripts(HTMLParser):
    """What in a page would need inline script or style: <script> with text, on* handlers,
    style attributes and elements."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script":
            self.in_script = True
            if "src" not in names:
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names if name.startswith("on")]
        self.found += [f"{tag} style=" for name in names if name == "style"]
        self.found += [
            f"{tag} {name}=javascript:"
            for name, value in attrs
            if value and value.strip().lower().startswith("javascript:")
        ]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.found.append("inline script text")


def test_no_page_has_inline_script_and_every_page_has_the_policy(app) -> None:
    browser = logged_in(app)
    token = csrf_of(browser.get("/").text)
    pages = [
        client(app).get("/"),
        browser.get("/"),
        browser.post(f"/letters/{LETTER}/build", data={"csrf_token": token}),
        browser.get(f"/letters/{LETTER}/review"),
        browser.get(f"/letters/{LETTER}/review?club=bergen"),
        browser.get(f"/letters/{LETTER}/send"),
        browser.get(f"/letters/{LETTER}/send/progress"),
        browser.get(f"/letters/{LETTER}/status"),
        browser.get("/no/such/page"),
    ]
    for page in pages:
        assert "script-src 'self'" in page.headers["content-security-policy"], page.url
        parser = Scripts()
        parser.feed(page.text)
        assert parser.found == [], (page.url, parser.found)


def test_the_overview_comes_from_the_engine(app, mail_workspace: Path) -> None:
    """What / shows is Project.overview, not a count of its own."""
    states = Project.open(mail_workspace).overview()
    shown = text_of(logged_in(app).get("/").text)
    for state in states:
        assert f"{state.sent} av {state.recipients}" in shown


def test_a_club_left_out_is_said_on_the_overview(app, mail_workspace: Path) -> None:
    club = mail_workspace / "clubs" / "bergen.yaml"
    club.write_text(club.read_text(encoding="utf-8") + "\nlanguage: klingon\n", "utf-8")
    shown = text_of(logged_in(app).get("/").text)
    assert "clubs/bergen.yaml har feil, så klubben" in shown
    assert " bergen " not in shown


def test_a_review_is_made_again_only_when_what_it_shows_changed(app, mail_workspace: Path) -> None:
    browser = logged_in(app)
    page = mail_workspace / "out" / LETTER / "review" / "index.html"
    first = browser.get(f"/letters/{LETTER}/review").text
    made = page.stat().st_mtime_ns
    again = browser.get(f"/letters/{LETTER}/review")
    assert page.stat().st_mtime_ns == made  # the same review, shown again
    pictures = re.findall(r'<img class="page" src="([^"]+)"', again.text)
    assert browser.get(pictures[0]).status_code == 200
    position = mail_workspace / "positions" / f"{LETTER}.md"
    position.write_text(
        position.read_text(encoding="utf-8") + "\nEn helt ny avsluttende setning.\n", "utf-8"
    )
    changed = browser.get(f"/letters/{LETTER}/review")
    assert page.stat().st_mtime_ns != made
    revision = re.compile(r"<code title=\"[0-9a-f]+\">([0-9a-f]+)</code>")
    assert revision.search(changed.text).group(1) != revision.search(first).group(1)


def test_a_send_from_elsewhere_holds_the_engines_lock(app, mail_workspace: Path, smtp_server):
    """A send under way outside the app (as the command line would run it): the send page
    says so in words, and the app starts no second send."""
    release = threading.Event()
    smtp_server.handler.pause_in[("DATA", 1)] = release
    elsewhere = threading.Thread(target=Project.open(mail_workspace).send, args=(LETTER,))
    elsewhere.start()
    try:
        assert smtp_server.handler.paused.wait(60)
        page = logged_in(app).get(f"/letters/{LETTER}/send").text
        assert "Brevet kan ikke sendes nå" in text_of(page)
        assert "send.lock" in page  # the engine's words: another send is running
        assert 'name="plan"' not in page
    finally:
        release.set()
        elsewhere.join(60)
    assert len(smtp_server.handler.received) == 3


def test_a_refused_recipient_is_shown_in_words(app, smtp_server) -> None:
    smtp_server.handler.refuse.add("postmottak@jd.dep.no")
    browser = logged_in(app)
    done = text_of(send_and_wait(app, browser))
    assert "jd postmottak@jd.dep.no feilet 550 5.1.1 No such mailbox here" in done
    status = text_of(browser.get(f"/letters/{LETTER}/status").text)
    assert "Sendt til 2 av 3 mottakere." in status and "feilet" in status


def test_build_runs_check_first_and_shows_every_problem(app, mail_workspace: Path) -> None:
    """A club with a problem does not stop the union's letter from loading, but check (which
    Bygg runs first) finds it: nothing is built, the problem is on the page."""
    browser = logged_in(app)
    token = csrf_of(browser.get("/").text)
    club = mail_workspace / "clubs" / "bergen.yaml"
    text = club.read_text(encoding="utf-8")
    club.write_text(text.replace("language: nn", "language: klingon"), "utf-8")
    built = browser.post(f"/letters/{LETTER}/build", data={"csrf_token": token})
    assert built.status_code == 400
    shown = text_of(built.text)
    assert "Brevet kunne ikke lages. Dette må rettes:" in shown
    assert "clubs/bergen.yaml:5:" in shown and "klingon" in shown  # the engine's words
    assert not (mail_workspace / "out" / LETTER).exists()
