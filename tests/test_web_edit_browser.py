"""Editing in a real browser (Debian's Chromium through Playwright) against the real server:
a statement edited and its preview changing as it is typed, a letter made to three offices,
a spreadsheet imported; each page screenshotted into tests/artifacts/web/ and checked by
axe-core (no serious or critical violation)."""

from __future__ import annotations

import base64
import io
import shutil
from pathlib import Path

import openpyxl
import pytest

from webapp import serving
from workspaces import copy_example

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "web"
LETTER = "menneskehandel-2024"
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (apt install chromium)"
)


@pytest.fixture
def browser_page(tmp_path):
    from playwright.sync_api import sync_playwright

    root = copy_example(tmp_path / "ws")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serving(root) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            # Script errors, and answers refused or failed (a form refused with its problems is a
            # 400 page; the browser's own favicon.ico aside).
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "response",
                lambda r: (
                    errors.append(f"{r.status} {r.url}")
                    if r.status > 400 and not r.url.endswith("/favicon.ico")
                    else None
                ),
            )
            page.goto(server.link)
            yield root, page, errors
        finally:
            browser.close()


def accessible(page, name: str) -> None:
    """No serious or critical violation that axe-core finds, and a screenshot to look at."""
    from axe_playwright_python.sync_playwright import Axe

    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"


def preview_images(page) -> list[bytes]:
    sources = page.eval_on_selector_all("#preview img.page", "imgs => imgs.map(i => i.src)")
    return [base64.b64decode(src.split(",", 1)[1]) for src in sources]


def test_a_statement_is_edited_with_its_pages_beside_it(browser_page) -> None:
    root, page, errors = browser_page
    page.goto(page.url.split("/?")[0].rstrip("/") + f"/positions/{LETTER}")
    page.wait_for_selector("#preview img.page", timeout=30_000)  # drawn once on opening
    before = preview_images(page)
    assert before and all(png.startswith(b"\x89PNG") for png in before)
    accessible(page, "position")
    body = page.locator("#body")
    body.click()
    page.keyboard.press("Control+End")
    with page.expect_response(lambda r: r.url.endswith("/preview"), timeout=30_000):
        page.keyboard.type("\n\nSjiraffen Gustav støtter uttalelsen.", delay=20)
    page.wait_for_function(
        "before => document.querySelector('#preview img.page') &&"
        " document.querySelector('#preview img.page').src !== before",
        arg=page.eval_on_selector("#preview img.page", "i => i.src"),
        timeout=30_000,
    ) if preview_images(page) == before else None
    after = preview_images(page)
    assert after and after != before  # the picture follows the text typed
    page.screenshot(path=str(ARTIFACTS / "position-typed.png"), full_page=True)
    assert "Sjiraffen" not in (root / "positions" / f"{LETTER}.md").read_text(encoding="utf-8")
    page.get_by_role("button", name="Lagre").click()
    page.wait_for_selector("text=Lagret.")
    saved = (root / "positions" / f"{LETTER}.md").read_text(encoding="utf-8")
    assert saved.rstrip().endswith("Sjiraffen Gustav støtter uttalelsen.")
    # Someone changes the file meanwhile: the page shows both versions and asks.
    path = root / "positions" / f"{LETTER}.md"
    path.write_text(saved.replace("Representantskapsmøtet", "Landsmøtet"), encoding="utf-8")
    page.get_by_label("Tittel").fill("Min egen tittel")
    page.get_by_role("button", name="Lagre").click()
    page.wait_for_selector("text=Noen andre har endret denne fila")
    assert "Landsmøtet" in page.locator(".versions").inner_text()
    accessible(page, "position-conflict")
    assert "Min egen tittel" not in path.read_text(encoding="utf-8")
    page.get_by_role("button", name="Behold min").click()
    page.wait_for_selector("text=Lagret.")
    assert "title: Min egen tittel" in path.read_text(encoding="utf-8")
    assert not errors, errors


def test_a_letter_to_three_offices(browser_page) -> None:
    root, page, errors = browser_page
    base = page.url.split("/?")[0].rstrip("/")
    page.goto(base + "/letters")
    accessible(page, "letters-new")
    page.get_by_label("Id (filnavnet)").fill("klima-2025")
    page.get_by_role("button", name="Neste").click()
    page.wait_for_selector("#letter-form")
    page.get_by_label("Uttalelse").select_option(LETTER)
    for office, search in (("no/kld", "klima"), ("no/hod", "helse"), ("no/jd", "justis")):
        page.get_by_label("Legg til embeter fra det innebygde registeret (søk)").fill(search)
        box = page.locator(f"#office-choices input[value='{office}']")
        box.wait_for(timeout=10_000)
        box.check()
    page.get_by_label("Ett brev til hver mottaker").check()
    page.get_by_label("Dato").fill("2025-04-01")
    page.get_by_label("Signert av").select_option("president")
    page.get_by_label("Emne").fill("Klima og helse")
    page.get_by_label("Følgetekst (e-postens tekst)").fill("Vedlagt følger vår uttalelse.")
    accessible(page, "letter-form")
    page.get_by_role("button", name="Lagre").click()
    page.wait_for_selector("text=Lagret.")
    written = (root / "letters" / "klima-2025.yaml").read_text(encoding="utf-8")
    assert "to: [kld, hod, jd]" in written and "mode: each" in written, written
    checked = page.eval_on_selector_all(
        "input[name='to']:checked", "boxes => boxes.map(b => b.value)"
    )
    assert checked == ["hod", "jd", "kld"]  # the register's order; kld was added to it
    accessible(page, "letter-saved")
    assert not errors, errors


def test_a_spreadsheet_is_imported(browser_page, tmp_path) -> None:
    root, page, errors = browser_page
    base = page.url.split("/?")[0].rstrip("/")
    book = openpyxl.Workbook()
    for row in (
        ["Navn", "Tittel", "E-post", "Tagger"],
        ["Kari Ødegård", "Ordfører", "kari@halden.example.no", "kommuner"],
        ["Per Feil", "Rådmann", "ikke-en-adresse", ""],
    ):
        book.active.append(row)
    sheet = tmp_path / "kommuner.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    sheet.write_bytes(buffer.getvalue())
    page.goto(base + "/recipients")
    accessible(page, "recipients")
    page.get_by_label("Regneark (.xlsx eller .csv)").set_input_files(str(sheet))
    page.get_by_role("button", name="Sjekk fila").click()
    page.wait_for_selector("text=Ingenting ble importert")
    row = page.locator("tr", has_text="ikke-en-adresse")
    assert row.locator("td").first.inner_text() == "3"
    accessible(page, "recipients-import-problems")
    book.active.delete_rows(3)
    book.save(sheet)
    page.get_by_label("Regneark (.xlsx eller .csv)").set_input_files(str(sheet))
    page.get_by_role("button", name="Sjekk fila").click()
    page.wait_for_selector("text=Det importen ville lagt til")
    assert "kari-odegard" not in (root / "recipients.yaml").read_text(encoding="utf-8")
    accessible(page, "recipients-import-plan")
    page.get_by_role("button", name="Importer", exact=True).click()
    page.wait_for_selector("text=1 mottakere ble importert")
    assert "kari-odegard:" in (root / "recipients.yaml").read_text(encoding="utf-8")
    page.goto(base + "/recipients/kari-odegard")
    accessible(page, "recipient")
    page.goto(base + "/offices?q=minister")
    accessible(page, "offices")
    page.goto(base + "/clubs")
    accessible(page, "clubs")
    page.goto(base + "/clubs/bergen")
    accessible(page, "club")
    page.goto(base + "/positions")
    accessible(page, "positions")
    assert not errors, errors
