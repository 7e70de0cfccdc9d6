"""The inbox on the web app's status page: a letter sent to a real SMTP server (aiosmtpd), a
bounce, an archive's receipt and a reply in a real IMAP folder (Dovecot), and the "Les
innboksen" button (``Project.inbox``) that brings them onto the page, recipient by recipient.
Through Starlette's TestClient, and once in Debian's Chromium with axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import point_imap_at
from dovecot import PASSWORD
from lettersmith.web.app import create_app
from test_inbox import LETTER, bounce, receipt, reply, sent  # noqa: F401  (the fixture)
from test_web_pages import text_of
from webapp import TOKEN, PageChecks, chromium, csrf_of, logged_in, serving

STATUS = f"/letters/{LETTER}/status"


def row_of(html: str, rid: str) -> str:
    """The text of recipient ``rid``'s row in the status table."""
    found = re.search(rf'<th scope="row">{rid}</th>(.*?)</tr>', html, re.S)
    assert found, f"no row for {rid}"
    return text_of(found.group(1))


def deliver_the_story(dovecot, ids: dict[str, str], diagnostic: str = "") -> None:
    """hod's message bounced, smk's archive sent a receipt, jd's adviser replied; and a stranger's
    mail that answers none of ours."""
    bounced = bounce(ids["hod"], "postmottak@hod.dep.no")
    if diagnostic:
        bounced = bounced.replace(b"Recipient address rejected: User unknown", diagnostic.encode())
    dovecot.deliver(bounced)
    dovecot.deliver(receipt(ids["smk"]))
    dovecot.deliver(reply(ids["jd"]))
    dovecot.deliver(
        b"From: Ola <ola@example.net>\r\nTo: post@example.org\r\nSubject: Dugnad\r\n"
        b"Message-ID: <dugnad@example.net>\r\n\r\nJa.\r\n"
    )


def test_reading_the_inbox_shows_each_recipients_state(sent, dovecot) -> None:  # noqa: F811
    root, ids = sent
    deliver_the_story(dovecot, ids)
    browser = logged_in(create_app(root, token=TOKEN))
    before = browser.get(STATUS)
    assert before.status_code == 200
    assert "Les innboksen" in before.text
    assert "kom i retur" not in text_of(before.text)

    answer = browser.post(f"/letters/{LETTER}/inbox", data={"csrf_token": csrf_of(before.text)})
    assert answer.status_code == 200, answer.text
    page = text_of(answer.text)
    assert "4 nye meldinger lest i INBOX." in page
    assert "Brevet nådde ikke 1 av dem: det kom i retur (se kolonnen Innboks)." in page
    assert "kom i retur: 1" in page and "mottatt: 1" in page and "besvart: 1" in page
    assert "som ikke svarer på noen av brevene deres (latt være): 1" in page
    assert PASSWORD not in answer.text

    hod = row_of(answer.text, "hod")
    assert "sendt, så i retur" in hod
    assert "kom i retur, kan ikke leveres (5.1.1: 550 5.1.1" in hod
    assert "User unknown" in hod
    assert '<span class="state-bad">sendt, så i retur</span>' in answer.text
    assert "mottatt, saksnummer 24/1234" in row_of(answer.text, "smk")
    jd = row_of(answer.text, "jd")
    assert "Kari Rådgiver &lt;kari.radgiver@jd.dep.no&gt;" in jd and "2026-12-07" in jd

    # The state stays on the page (it is in the journal), and a second run reads nothing new.
    assert "sendt, så i retur" in row_of(browser.get(STATUS).text, "hod")
    again = browser.post(f"/letters/{LETTER}/inbox", data={"csrf_token": csrf_of(answer.text)})
    assert "0 nye meldinger lest i INBOX." in text_of(again.text)
    assert "mottatt, saksnummer 24/1234" in row_of(again.text, "smk")


def test_the_button_needs_the_forms_token(sent, dovecot) -> None:  # noqa: F811
    root, ids = sent
    deliver_the_story(dovecot, ids)
    browser = logged_in(create_app(root, token=TOKEN))
    refused = browser.post(f"/letters/{LETTER}/inbox", data={"csrf_token": "not-the-token"})
    assert refused.status_code == 403
    assert "kom i retur" not in text_of(browser.get(STATUS).text)  # nothing was read
    assert not (root / ".lettersmith" / "inbox").exists() or not list(
        (root / ".lettersmith" / "inbox").glob("*.eml")
    )


def test_html_in_a_bounces_diagnostic_is_shown_as_text(sent, dovecot) -> None:  # noqa: F811
    root, ids = sent
    deliver_the_story(dovecot, ids, diagnostic='<b onclick="x()">Mailbox gone</b>')
    browser = logged_in(create_app(root, token=TOKEN))
    token = csrf_of(browser.get(STATUS).text)
    answer = browser.post(f"/letters/{LETTER}/inbox", data={"csrf_token": token})
    assert answer.status_code == 200, answer.text
    assert "<b onclick" not in answer.text
    assert "&lt;b onclick=" in answer.text and "Mailbox gone" in answer.text


def test_without_imap_settings_the_page_says_so_and_offers_no_button(mail_workspace) -> None:
    browser = logged_in(create_app(mail_workspace, token=TOKEN))
    page = browser.get(STATUS)
    assert page.status_code == 200
    words = text_of(page.text)
    assert "Innboksen kan ikke leses herfra ennå:" in words
    assert "mail.imap mangler; legg til host, username" in words
    assert "Les innboksen" not in page.text
    assert f'action="/letters/{LETTER}/inbox"' not in page.text


def test_a_missing_password_is_named_and_the_server_refusal_in_words(
    mail_workspace, dovecot, monkeypatch
) -> None:
    root = point_imap_at(mail_workspace, dovecot)
    monkeypatch.delenv("LETTERSMITH_IMAP_PASSWORD", raising=False)
    monkeypatch.delenv("LETTERSMITH_SMTP_PASSWORD", raising=False)
    browser = logged_in(create_app(root, token=TOKEN))
    words = text_of(browser.get(STATUS).text)
    assert "verken LETTERSMITH_IMAP_PASSWORD eller LETTERSMITH_SMTP_PASSWORD er satt" in words
    assert "Les innboksen" not in words

    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", "wrong-secret-4711")
    page = browser.get(STATUS)
    assert "Les innboksen" in page.text
    answer = browser.post(f"/letters/{LETTER}/inbox", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 400
    words = text_of(answer.text)
    assert f"127.0.0.1:{dovecot.port}" in words  # where, in the engine's words
    assert "wrong-secret-4711" not in answer.text
    assert 'role="alert"' in answer.text


def test_a_clubs_status_page_reads_its_own_version(mail_workspace, dovecot, monkeypatch) -> None:
    root = point_imap_at(mail_workspace, dovecot)
    monkeypatch.setenv("LETTERSMITH_IMAP_PASSWORD", PASSWORD)
    browser = logged_in(create_app(root, token=TOKEN))
    page = browser.get(STATUS + "?club=bergen")
    assert page.status_code == 200
    assert f'action="/letters/{LETTER}/inbox?club=bergen"' in page.text
    answer = browser.post(
        f"/letters/{LETTER}/inbox?club=bergen", data={"csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 200, answer.text
    assert "0 nye meldinger lest i INBOX." in text_of(answer.text)
    unknown = browser.post(
        f"/letters/{LETTER}/inbox?club=nowhere", data={"csrf_token": csrf_of(page.text)}
    )
    assert unknown.status_code == 404


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_the_status_page_with_what_came_back_in_chromium(
    browser,
    sent,  # noqa: F811
    dovecot,
) -> None:
    """The page a secretary sees after clicking "Les innboksen": looked at (the screenshot in
    tests/artifacts/web/inbox-status.png) and checked by axe-core."""
    from playwright.sync_api import expect

    root, ids = sent
    deliver_the_story(dovecot, ids)
    with serving(Path(root)) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
        page = context.new_page()
        checks = PageChecks(page)
        page.goto(server.link)
        page.goto(server.base + STATUS)
        page.get_by_role("button", name="Les innboksen").click()
        page.wait_for_load_state("load")
        expect(page.get_by_role("status")).to_contain_text("4 nye meldinger lest i INBOX.")
        hod = page.get_by_role("row", name=re.compile("^hod"))
        expect(hod).to_contain_text("sendt, så i retur")
        expect(page.get_by_role("row", name=re.compile("^smk"))).to_contain_text(
            "saksnummer 24/1234"
        )
        expect(page.get_by_role("row", name=re.compile("^jd"))).to_contain_text("Kari Rådgiver")
        checks.check("inbox-status")
        assert checks.blocked == []
        context.close()


def test_a_run_elsewhere_meanwhile_is_said_in_words(sent, dovecot) -> None:  # noqa: F811
    """While `lettersmith inbox` reads the mailbox (its lock held), the button reads nothing and
    the page says why; the table is still there."""
    from lettersmith.deliver.inbox.store import InboxStore

    root, ids = sent
    deliver_the_story(dovecot, ids)
    browser = logged_in(create_app(root, token=TOKEN))
    token = csrf_of(browser.get(STATUS).text)
    with InboxStore.open(root / ".lettersmith"):
        answer = browser.post(f"/letters/{LETTER}/inbox", data={"csrf_token": token})
    assert answer.status_code == 400
    words = text_of(answer.text)
    assert "inbox.lock: en annen `lettersmith inbox` leser innboksen for dette" in words
    assert row_of(answer.text, "hod").strip().startswith("postmottak@hod.dep.no sendt ")
    assert "så i retur" not in words


def test_the_run_speaks_the_sessions_language(sent, dovecot) -> None:  # noqa: F811
    root, ids = sent
    deliver_the_story(dovecot, ids)
    browser = logged_in(create_app(root, token=TOKEN))
    token = csrf_of(browser.get(STATUS).text)
    browser.post("/language", data={"csrf_token": token, "language": "en", "next": STATUS})
    page = browser.get(STATUS)
    assert "Read the inbox" in page.text
    answer = browser.post(f"/letters/{LETTER}/inbox", data={"csrf_token": csrf_of(page.text)})
    words = text_of(answer.text)
    assert "4 new messages read in INBOX." in words
    assert "bounced: 1" in words and "received: 1" in words and "replied: 1" in words
    assert "sent, then bounced" in row_of(answer.text, "hod")
    assert "received, case number 24/1234" in row_of(answer.text, "smk")
    browser.post("/language", data={"csrf_token": token, "language": "nn", "next": STATUS})
    words = text_of(browser.get(STATUS).text)
    assert "Kva som kom tilbake" in words and "Brevet nådde ikkje 1 av dei" in words
