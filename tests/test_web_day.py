"""A secretary's whole day in one browser (Debian's Chromium through Playwright) against the
real server and the test SMTP server: the token link; a statement edited, its preview changing;
a new letter for it to three built-in offices; a spreadsheet of recipients imported (the dry
run first); the register changed on disk behind the form's back (both versions shown, nothing
overwritten); build, review, approve, send with the progress bar to the end, status with each
recipient sent; the overview in nynorsk at the end; and the email as it arrived, its PDF read
back with the statement's new words.

Every page is saved as tests/artifacts/web/day-*.png (to look at) and checked with axe-core
(no serious or critical violation). Saving, sending and the first step of a new letter are
done by keyboard: Tab to the button, Enter.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pypdf import PdfReader

from webapp import PageChecks, chromium, serving

STATEMENT = "menneskehandel-2024"
TITLE = "Tiden er inne for å få en handlingsplan mot menneskehandel"
LETTER = "handlingsplan-2025"
WORDS = "Sjiraffen Gustav støtter uttalelsen."
ARCHIVE = "arkiv@example.org"  # the example's mail.bcc
OFFICES = {"postmottak@kld.dep.no", "postmottak@hod.dep.no", "postmottak@smk.dep.no"}


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def press_on(page: Any, control: Any) -> None:
    """Tab from the top of the page to ``control`` (a button or link), press Enter: the way a
    person without a mouse does it."""
    page.locator("body").click(position={"x": 2, "y": 2})
    for _ in range(200):
        page.keyboard.press("Tab")
        if control.evaluate("e => e === document.activeElement"):
            page.keyboard.press("Enter")
            return
    pytest.fail(f"Tab never reached {control}")


def spreadsheet(path: Path) -> Path:
    book = openpyxl.Workbook()
    for row in (
        ["Navn", "Tittel", "E-post", "Tagger"],
        ["Kari Ødegård", "Ordfører", "kari@halden.example.no", "kommuner"],
        ["Ola Nordmann", "Varaordfører", "ola@sarpsborg.example.no", "kommuner"],
    ):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_secretarys_whole_day(browser, mail_workspace: Path, smtp_server, tmp_path) -> None:
    from playwright.sync_api import expect

    root = mail_workspace
    with serving(root) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
        page = context.new_page()
        pages = PageChecks(page)
        refused: list[str] = []
        page.on("pageerror", lambda error: refused.append(str(error)))
        page.on(
            "response",
            lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )

        # Morning: the link `lettersmith serve` printed.
        page.goto(server.link)
        expect(page.get_by_role("heading", level=1)).to_have_text("Brev")
        pages.check("day-01-overview")

        # The statement: typed into, the page picture follows; saved by keyboard.
        page.get_by_role("navigation", name="Hovedmeny").get_by_role(
            "link", name="Uttalelser"
        ).click()
        page.get_by_role("link", name=TITLE, exact=True).click()
        expect(page).to_have_url(re.compile(f"/positions/{STATEMENT}$"))
        page.locator("#preview img.page").first.wait_for(timeout=30_000)
        pictures = "() => [...document.querySelectorAll('#preview img.page')].map(i => i.src)"
        before = page.evaluate(pictures)
        page.locator("#body").click()
        page.keyboard.press("Control+End")
        page.keyboard.type(f"\n\n{WORDS}", delay=10)
        page.wait_for_function(
            f"before => JSON.stringify(({pictures})()) !== JSON.stringify(before)",
            arg=before,
            timeout=30_000,
        )
        pages.check("day-02-position-typed")
        press_on(page, page.get_by_role("button", name="Lagre", exact=True))
        expect(page.get_by_role("status").first).to_contain_text("Lagret.")
        saved = (root / "positions" / f"{STATEMENT}.md").read_text(encoding="utf-8")
        assert saved.rstrip().endswith(WORDS)
        page.locator("#preview img.page").first.wait_for(timeout=30_000)  # drawn again, saved
        pages.check("day-03-position-saved")

        # A new letter for the statement, from the overview, to three built-in offices.
        page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Brev").click()
        page.get_by_role("link", name="Nytt brev").click()
        page.get_by_label("Id (filnavnet)").fill(LETTER)
        page.keyboard.press("Enter")
        page.locator("#letter-form").wait_for()
        page.get_by_label("Uttalelse").select_option(STATEMENT)
        page.get_by_label("Legg til embeter fra det innebygde registeret (søk)").fill("klima")
        page.locator("#office-choices input[value='no/kld']").check()
        page.get_by_role("checkbox", name=re.compile(r"\bhod\b")).check()
        page.get_by_role("checkbox", name=re.compile(r"\bsmk\b")).check()
        page.get_by_label("Ett brev til hver mottaker").check()
        page.get_by_label("Dato").fill("2025-04-01")
        page.get_by_label("Signert av").select_option("president")
        page.get_by_label("Emne").fill("Handlingsplan mot menneskehandel")
        page.get_by_label("Følgetekst (e-postens tekst)").fill(
            "Vedlagt følger vår uttalelse om en handlingsplan mot menneskehandel."
        )
        pages.check("day-04-letter-form")
        press_on(page, page.get_by_role("button", name="Lagre", exact=True))
        expect(page.get_by_role("status").first).to_contain_text("Lagret.")
        written = (root / "letters" / f"{LETTER}.yaml").read_text(encoding="utf-8")
        assert "mode: each" in written and f"position: {STATEMENT}" in written, written
        pages.check("day-05-letter-saved")

        # The register: a spreadsheet of mayors, the dry run's rows, then the import.
        page.get_by_role("navigation", name="Hovedmeny").get_by_role(
            "link", name="Mottakere"
        ).click()
        page.get_by_label("Regneark (.xlsx eller .csv)").set_input_files(
            str(spreadsheet(tmp_path / "ordførere.xlsx"))
        )
        page.get_by_role("button", name="Sjekk fila").click()
        plan = page.get_by_role("table", name="Det importen ville lagt til")
        expect(plan).to_contain_text("kari@halden.example.no")
        expect(plan).to_contain_text("ola@sarpsborg.example.no")
        assert "kari-odegard" not in (root / "recipients.yaml").read_text(encoding="utf-8")
        pages.check("day-06-import-dry-run")
        page.get_by_role("button", name="Importer", exact=True).click()
        expect(page.get_by_role("status").first).to_contain_text("2 mottakere ble importert")
        register = (root / "recipients.yaml").read_text(encoding="utf-8")
        assert "kari-odegard:" in register and "ola-nordmann:" in register
        pages.check("day-07-imported")

        # Someone edits recipients.yaml while the form is open: both versions, nothing lost.
        page.get_by_role("link", name="kari-odegard").click()
        page.get_by_label("Tittel").fill("Ordfører i Halden")
        (root / "recipients.yaml").write_text(
            register.replace("Ordfører", "Fungerende ordfører"), encoding="utf-8"
        )
        press_on(page, page.get_by_role("button", name="Lagre", exact=True))
        expect(page.get_by_role("heading", name="Noen andre har endret denne fila")).to_be_visible()
        expect(page.locator(".versions")).to_contain_text("Fungerende ordfører")
        expect(page.locator(".versions")).to_contain_text("Ordfører i Halden")
        differences = page.get_by_role("table", name="Linjene som er ulike")
        expect(differences).to_contain_text("Ordfører i Halden")
        expect(differences).to_contain_text("Fungerende ordfører")
        assert "Ordfører i Halden" not in (root / "recipients.yaml").read_text(encoding="utf-8")
        pages.check("day-08-recipient-conflict")
        page.get_by_role("button", name="Behold min").click()
        expect(page.get_by_role("status").first).to_contain_text("Lagret.")
        assert "Ordfører i Halden" in (root / "recipients.yaml").read_text(encoding="utf-8")

        # The overview leads to the letter's page; build from there, then review and approve.
        page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Brev").click()
        row = page.locator("tbody tr", has_text=LETTER)
        expect(row).to_contain_text("0 av 3")
        row.get_by_role("link", name="Handlingsplan mot menneskehandel").click()
        expect(page).to_have_url(re.compile(f"/letters/{LETTER}$"))
        page.get_by_role("button", name="Bygg", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text("6 filer laget.")
        pages.check("day-09-built")
        page.get_by_role("link", name="Se gjennom").last.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("menneskehandel")
        expect(page.locator("main")).to_contain_text("postmottak@kld.dep.no")
        # The engine's words come through in bokmål too, not only the page's own.
        expect(page.locator("main")).to_contain_text("blir sendt")
        expect(page.locator("main")).not_to_contain_text("will be sent")
        pages.check("day-10-review")
        page.get_by_label("Navnet ditt").fill("Karin Dahlberg Pettersen")
        press_on(page, page.get_by_role("button", name="Godkjenn", exact=True))
        expect(page.locator("main")).to_contain_text("Karin Dahlberg Pettersen godkjente")
        pages.check("day-11-approved")

        # Send, by keyboard, the bar followed to the end.
        page.get_by_role("link", name="Videre til sending").click()
        expect(page.get_by_role("heading", name="Dette blir sendt")).to_be_visible()
        expect(page.locator("tbody tr").first).to_contain_text("sendes: ny")
        pages.check("day-12-send-plan")
        press_on(page, page.get_by_role("button", name="Send", exact=True))
        expect(page.locator("#progress")).to_contain_text("Ferdig.", timeout=120_000)
        expect(page.locator("#progress")).to_contain_text("Sendt 3 av 3")
        assert page.get_attribute("#progress-bar", "value") == "3"
        pages.check("day-13-sent")

        page.get_by_role("link", name="Se status for hver mottaker").click()
        expect(page).to_have_url(re.compile(f"/letters/{LETTER}/status"))
        expect(page.locator("main")).to_contain_text("Sendt til 3 av 3 mottakere.")
        assert page.locator("tbody td.state").all_inner_texts() == ["sendt"] * 3
        pages.check("day-14-status")
        page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Brev").click()
        expect(page.locator("tbody tr", has_text=LETTER)).to_contain_text("3 av 3")
        pages.check("day-15-overview-evening")

        # A nynorsk colleague at the same desk: the same page in her language.
        page.get_by_label("Språk").select_option("nn")
        page.get_by_role("button", name="Bytt").click()
        expect(page.get_by_role("navigation", name="Hovudmeny")).to_contain_text("Mottakarar")
        expect(page.locator("tbody tr", has_text=LETTER)).to_contain_text("3 av 3")
        pages.check("day-16-overview-nynorsk")
        context.close()

    assert refused == [] and pages.blocked == []
    # At the SMTP server: one message to each office, the cover note as its text, the PDF
    # with the words typed this morning.
    received = smtp_server.handler.received
    assert len(received) == 3
    addressed = set()
    for arrived in received:
        message = arrived.message
        ((_, to),) = getaddresses([message["To"]])
        addressed.add(to)
        assert set(arrived.rcpt_tos) == {to, ARCHIVE}  # and the archive's blind copy
        assert message["Subject"] == "Handlingsplan mot menneskehandel"
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "Vedlagt følger vår uttalelse om en handlingsplan" in text
        (pdf,) = [part for part in message.iter_attachments()
                  if part.get_content_type() == "application/pdf"]  # fmt: skip
        words = " ".join(
            (p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf.get_content())).pages
        )
        assert WORDS in " ".join(words.split())
    assert addressed == OFFICES
