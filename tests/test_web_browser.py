"""A secretary's day in a real browser (Debian's Chromium through Playwright) against the real
server: the token link, the overview in bokmål, build, review, approve, send with the progress
bar to the end, status. Every page is checked with axe-core (no serious or critical
violation) and saved as a screenshot under tests/artifacts/web/ to look at."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from webapp import PageChecks, chromium, serving

LETTER = "menneskehandel-2024"


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_a_secretarys_day_in_the_browser(browser, mail_workspace: Path, smtp_server) -> None:
    from playwright.sync_api import expect

    with serving(mail_workspace) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
        page = context.new_page()
        pages = PageChecks(page)

        # Without the link: only how to get in.
        page.goto(server.base + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Slik kommer du inn")
        pages.check("00-get-in")

        # The token link: logged in, the token gone from the address bar.
        page.goto(server.link)
        assert page.url == server.base + "/"
        expect(page.get_by_role("heading", level=1)).to_have_text("Brev")
        expect(page.get_by_role("navigation", name="Hovedmeny")).to_contain_text("Mottakere")
        expect(page.locator("tbody tr").first).to_contain_text("0 av 3")
        pages.check("01-overview")

        page.get_by_role("button", name=f"Bygg {LETTER}", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("2 filer laget.")
        pages.check("02-built")

        page.get_by_role("link", name="Se gjennom").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Tiden er inne")
        first_page = page.locator("img.page").first
        expect(first_page).to_have_attribute("alt", re.compile("Side 1 av"))
        assert page.evaluate("i => i.complete && i.naturalWidth > 0", first_page.element_handle())
        pages.check("03-review")

        page.get_by_label("Navnet ditt").fill("Karin Dahlberg Pettersen")
        page.get_by_label("Merknad").fill("Styremøte 2. desember")
        page.get_by_role("button", name="Godkjenn").click()
        expect(page.locator("main")).to_contain_text("Karin Dahlberg Pettersen godkjente revisjon")
        pages.check("04-approved-status")

        page.get_by_role("navigation", name="Dette brevet").get_by_role("link", name="Send").click()
        expect(page.get_by_role("heading", name="Dette blir sendt")).to_be_visible()
        expect(page.locator("main")).to_contain_text("postmottak@jd.dep.no")
        pages.check("05-send-plan")

        # Keyboard only: Tab to the Send button, press Enter. The server holds the second
        # message a moment, so the bar is seen part way.
        release = threading.Event()
        smtp_server.handler.pause_in[("DATA", 2)] = release
        page.locator("body").click(position={"x": 5, "y": 5})
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "send-button":
                break
        else:
            pytest.fail("Tab never reached the Send button")
        page.keyboard.press("Enter")
        try:
            expect(page.locator("#progress")).to_contain_text("Sendt 1 av 3", timeout=60_000)
            assert page.get_attribute("#progress-bar", "value") == "1"
            pages.check("06-sending")
        finally:
            release.set()
        # No reload: htmx asks every second and swaps the bar in.
        expect(page.locator("#progress")).to_contain_text("Ferdig.", timeout=60_000)
        expect(page.locator("#progress")).to_contain_text("Sendt 3 av 3")
        assert page.get_attribute("#progress-bar", "value") == "3"
        pages.check("07-sent")

        page.get_by_role("link", name="Se status for hver mottaker").click()
        expect(page.locator("main")).to_contain_text("Sendt til 3 av 3 mottakere.")
        states = page.locator("tbody td.state").all_inner_texts()
        assert states == ["sendt", "sendt", "sendt"]
        pages.check("08-status")

        page.get_by_label("Språk").select_option("nn")
        page.get_by_role("button", name="Bytt").click()
        expect(page.locator("main")).to_contain_text("Sendt til 3 av 3 mottakarar.")
        pages.check("09-status-nynorsk")
        context.close()

    assert len(smtp_server.handler.received) == 3
    assert pages.blocked == []
    assert len(pages.seen) == 10
