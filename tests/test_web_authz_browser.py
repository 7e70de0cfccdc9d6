"""Three people on a union's server, each in their own browser (Debian's Chromium through
Playwright) against the real server and the test SMTP server: a board member approves the
revision the secretary prepared and sees no button to change or send it; the secretary sends
it; a club's contact changes the club's own file and cannot open another club's page, the
union's register or a form of the union's. Every page is checked with axe-core (no serious or
critical violation) and saved under tests/artifacts/web/roles-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lettersmith.app.project import Project
from test_web_authz import ACCOUNTS, LETTER, OTHER, OWN, add_oslo
from webapp import PASSWORD, PageChecks, chromium, serving


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def log_in(browser: Any, base: str, role: str) -> tuple[Any, PageChecks]:
    account = ACCOUNTS[role]
    assert account is not None
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    page = context.new_page()
    checks = PageChecks(page)
    page.goto(base + "/")
    page.get_by_label("Navn").fill(account.name)
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(base + "/")
    return page, checks


def test_board_approves_secretary_sends_club_keeps_to_its_own(
    browser: Any, required: Path, smtp_server: Any
) -> None:
    from playwright.sync_api import expect

    root = add_oslo(required)
    project = Project.open(root)
    for role in ("secretary", "board", "club:bergen"):
        account = ACCOUNTS[role]
        assert account is not None
        project.add_user(account.name, account.role, PASSWORD)

    with serving(root) as server:
        # The board member: reads, approves; nothing to change or send.
        page, checks = log_in(browser, server.base, "board")
        expect(page.locator("header .account")).to_contain_text("bodil (styremedlem)")
        expect(page.get_by_role("button", name="Bygg")).to_have_count(0)
        expect(page.get_by_role("link", name="Send", exact=True)).to_have_count(0)
        checks.check("roles-01-board-overview")
        page.goto(f"{server.base}/letters/{LETTER}")
        expect(page.get_by_role("button", name="Lagre")).to_have_count(0)
        expect(page.locator("dl.read-only")).to_contain_text("Tiden er inne")
        checks.check("roles-02-board-letter")
        page.goto(f"{server.base}/letters/{LETTER}/review")
        expect(page.get_by_label("Navnet ditt")).to_have_count(0)  # the account is the name
        page.get_by_role("button", name="Godkjenn").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Status")
        expect(page.locator("main")).to_contain_text("bodil (styremedlem) godkjente revisjon")
        checks.check("roles-03-board-approved")
        page.goto(f"{server.base}/letters")  # the new letter's form: not the board's
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Du har ikke tilgang til denne siden"
        )
        expect(page.locator("main")).to_contain_text("godkjenne brev")
        checks.check("roles-04-board-refused")

        # The secretary: sends what the board approved; the approval is in the changes.
        page, checks = log_in(browser, server.base, "secretary")
        page.goto(f"{server.base}/letters/{LETTER}/send")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#progress")).to_contain_text("Ferdig", timeout=60_000)
        checks.check("roles-05-secretary-sent")
        page.goto(f"{server.base}/letters/{LETTER}")
        changes = page.locator("section.audit")
        expect(changes).to_contain_text("bodil (styremedlem)")
        expect(changes).to_contain_text("siri (sekretær)")  # the send
        checks.check("roles-06-secretary-changes")
        assert len(smtp_server.handler.received) >= 3

        # The club's contact: its own file, nothing of another club's or the union's register.
        page, checks = log_in(browser, server.base, "club:bergen")
        expect(page.get_by_role("navigation", name="Hovedmeny")).not_to_contain_text("Mottakere")
        page.goto(f"{server.base}/clubs/{OWN}")
        page.get_by_label("Sted", exact=True).fill("Bergen sentrum")
        page.get_by_role("button", name="Lagre").click()
        expect(page.get_by_role("status")).to_contain_text("Lagret")
        checks.check("roles-07-club-saved")
        page.goto(f"{server.base}/letters/{LETTER}?club={OWN}")
        expect(page.locator("section.audit")).to_contain_text("berit (klubb bergen)")
        expect(page.locator("section.audit .line-add").first).to_contain_text("Bergen sentrum")
        checks.check("roles-08-club-changes")
        for path in (f"/clubs/{OTHER}", f"/letters/{LETTER}/review?club={OTHER}", "/recipients"):
            answer = page.goto(server.base + path)
            assert answer is not None and answer.status == 403, path
        checks.check("roles-09-club-refused")
    assert "Bergen sentrum" in (root / "clubs" / f"{OWN}.yaml").read_text(encoding="utf-8")
