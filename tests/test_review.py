"""`lettersmith review`: the board's page, opened from disk in a real browser (Chromium)."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from workspaces import copy_example

LETTER = "menneskehandel-2024"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXAMPLE_RECIPIENTS = {
    "Jonas Gahr Støre": "postmottak@smk.dep.no",
    "Jan Kristian Vestre": "postmottak@hod.dep.no",
    "Emilie Enger Mehl": "postmottak@jd.dep.no",
}


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory) -> Path:
    root = copy_example(tmp_path_factory.mktemp("review"))
    register = root / "recipients.yaml"
    text = register.read_text(encoding="utf-8")
    smk = text.index("smk:\n")
    text = text[:smk] + text[smk:].replace(
        "  address: []\n", "  address: [Postboks 8001 Dep, 0030 Oslo]\n", 1
    )
    register.write_text(text, encoding="utf-8")
    result = run(root, "review", LETTER, "--zip")
    assert result.exit_code == 0, result.output
    assert f"wrote out/{LETTER}/review/index.html" in result.output
    return root


def test_the_page_holds_recipients_emails_and_revision(reviewed):
    page = (reviewed / "out" / LETTER / "review" / "index.html").read_text(encoding="utf-8")
    for name, address in EXAMPLE_RECIPIENTS.items():
        assert name in page and address in page
    assert "<td>Statsminister</td>" in page
    assert "<td>Postboks 8001 Dep, 0030 Oslo</td>" in page
    assert "Subject:</b> Tiden er inne for å få en handlingsplan mot menneskehandel" in page
    assert "Vi ber om at uttalelsen journalføres og legges fram for statsråden." in page
    # The attachment as the message names it, with its size.
    assert (
        "2024-12-10 Soroptimist International Norgesunionen - Tiden er inne for å få en "
        "handlingsplan mot menneskehandel.pdf (" in page
    )
    approve = run(reviewed, "approve", LETTER, "--by", "X").output
    assert approve.split("revision ")[1].split()[0] in page  # the revision approve records


def test_zip_holds_the_whole_folder(reviewed):
    archive = reviewed / "out" / LETTER / f"{LETTER}-review.zip"
    with zipfile.ZipFile(archive) as packed:
        names = set(packed.namelist())
    assert "review/index.html" in names
    assert f"review/files/{LETTER}.pdf" in names and f"review/files/{LETTER}.docx" in names
    assert f"review/pages/{LETTER}-1.png" in names


def test_a_club_review_shows_its_changes(reviewed):
    result = run(reviewed, "review", LETTER, "--club", "bergen")
    assert result.exit_code == 0, result.output
    page = reviewed / "out" / "clubs" / "bergen" / LETTER / "review" / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "What the club changes against the union" in text
    assert "Soroptimist International <del>Norgesunionen</del><ins>Bergen</ins>" in text


def test_a_club_cannot_smuggle_markup_into_the_page(reviewed):
    club = reviewed / "clubs" / "bergen.yaml"
    original = club.read_text(encoding="utf-8")
    club.write_text(original.replace("place: Bergen", "place: <script>alert(1)</script>"))
    try:
        assert run(reviewed, "review", LETTER, "--club", "bergen").exit_code == 0
    finally:
        club.write_text(original, encoding="utf-8")
    page = reviewed / "out" / "clubs" / "bergen" / LETTER / "review" / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text


@pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium package (apt install chromium)"
)
def test_a_board_member_reads_it_in_a_browser(reviewed, tmp_path):
    from playwright.sync_api import sync_playwright

    folder = reviewed / "out" / LETTER / "review"
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.on("request", lambda request: requests.append(request.url))
            page.goto((folder / "index.html").as_uri())
            page.wait_for_load_state("load")
            title = page.title()
            text = page.inner_text("body")
            loaded = page.eval_on_selector_all(
                "img.page", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"
            )
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            page.screenshot(path=str(tmp_path / "review.png"), full_page=True)
        finally:
            browser.close()
    assert title.startswith("Tiden er inne for å få en handlingsplan mot menneskehandel")
    for name, address in EXAMPLE_RECIPIENTS.items():
        assert name in text and address in text
    assert loaded == [True, True]  # both pages of the letter, as pictures
    assert overflow <= 0  # nothing wider than a phone's screen (tables scroll in their box)
    assert requests, "the page made no requests at all"
    for url in requests:
        parts = urlsplit(url)
        assert parts.scheme == "file", url
        assert Path(parts.path).resolve().is_relative_to(folder.resolve()), url
    assert (tmp_path / "review.png").stat().st_size > 10_000
    shutil.copy(tmp_path / "review.png", folder.parent / "review-screenshot.png")


def test_the_table_says_who_has_it_already(mail_workspace):
    assert run(mail_workspace, "send", LETTER, "--yes").exit_code == 0
    assert run(mail_workspace, "review", LETTER).exit_code == 0
    page = (mail_workspace / "out" / LETTER / "review" / "index.html").read_text(encoding="utf-8")
    assert page.count("<td>sent 20") == 3
    assert page.count("already sent 20") == 3  # and send would skip them


@pytest.fixture(scope="module")
def five(tmp_path_factory) -> Path:
    """The example in `each` mode to five recipients: five letters."""
    root = copy_example(tmp_path_factory.mktemp("five"))
    with (root / "recipients.yaml").open("a", encoding="utf-8") as register:
        register.write(
            "\nkd:\n  office: no/kd\n  email: postmottak@kd.dep.no\n"
            "\nkdd:\n  office: no/kdd\n  email: postmottak@kdd.dep.no\n"
        )
    letter = root / "letters" / f"{LETTER}.yaml"
    text = letter.read_text(encoding="utf-8")
    text = text.replace("to: [smk, hod, jd]", "to: [smk, hod, jd, kd, kdd]")
    letter.write_text(text.replace("mode: joint", "mode: each"), encoding="utf-8")
    return root


def test_every_letter_is_shown_whole(five):
    assert run(five, "review", LETTER).exit_code == 0
    folder = five / "out" / LETTER / "review"
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<h2>The 5 letters</h2>" in page
    for rid in ("smk", "hod", "jd", "kd", "kdd"):
        assert f'<a href="files/{rid}.pdf">PDF</a>' in page, rid
        assert f'src="pages/{rid}-1.png"' in page, rid
        assert (folder / "pages" / f"{rid}-1.png").is_file()
    assert page.count('<div class="email">') == 5
    assert not list(folder.glob("page-*.html"))  # one page holds them all
    assert 'class="pages"' not in page


def test_a_big_batch_is_paged_with_links(five, monkeypatch):
    from lettersmith.app import review

    monkeypatch.setattr(review, "PER_PAGE", 2)
    result = run(five, "review", LETTER)
    assert result.exit_code == 0, result.output
    folder = five / "out" / LETTER / "review"
    names = ["index.html", "page-2.html", "page-3.html"]
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(names)
    for name in names[1:]:
        assert f"wrote out/{LETTER}/review/{name}" in result.output
    seen_letters, seen_emails = [], 0
    for number, name in enumerate(names, start=1):
        page = (folder / name).read_text(encoding="utf-8")
        assert f"Page {number} of 3:" in page
        for other, link in enumerate(names, start=1):
            assert (f'<a href="{link}">{other}</a>' in page) == (other != number)
        seen_letters += re.findall(r'<a href="files/([a-z]+)\.pdf">PDF</a>', page)
        seen_emails += page.count('<div class="email">')
        assert ("<h2>Recipients (5)</h2>" in page) == (number == 1)
    assert sorted(seen_letters) == ["hod", "jd", "kd", "kdd", "smk"]
    assert seen_emails == 5
    first = (folder / "index.html").read_text(encoding="utf-8")
    assert "The letters 1–2 of 5" in first
    assert "The letters 5–5 of 5" in (folder / "page-3.html").read_text(encoding="utf-8")
