"""Editing in the browser, through Starlette's TestClient: each page's form carries the CSRF
token, saves the file a person would edit (read back from disk), shows the engine's problems
beside the field they name, and a change on disk as both versions."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import openpyxl
import pytest

from lettersmith.web.app import create_app
from webapp import TOKEN, csrf_of, form_of, logged_in
from workspaces import copy_example

LETTER = "menneskehandel-2024"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_example(tmp_path / "ws")


@pytest.fixture
def browser(root: Path):
    return logged_in(create_app(root, token=TOKEN))


def read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- positions


def position_form(browser, **changes):
    page = browser.get(f"/positions/{LETTER}").text
    form = form_of(page, f"/positions/{LETTER}")
    assert form["csrf_token"] == csrf_of(page) and form["version"]
    values = {
        "title": "Tiden er inne for å få en handlingsplan mot menneskehandel",
        "adopted_by": "Representantskapsmøtet",
        "adopted_on": "2024-09-14",
        "language": "nb",
        "body": "Første avsnitt.\n\nAndre avsnitt.",
    }
    return {**form, **values, **changes}


def test_the_position_page_saves_the_statement(browser, root) -> None:
    before = read(root, f"positions/{LETTER}.md")
    answer = browser.post(f"/positions/{LETTER}", data=position_form(browser, title="Ny tittel"))
    assert answer.status_code == 303
    written = read(root, f"positions/{LETTER}.md")
    assert written.startswith("---\ntitle: Ny tittel\nadopted_by: Representantskapsmøtet\n")
    assert written.endswith("---\nFørste avsnitt.\n\nAndre avsnitt.\n") and written != before
    page = browser.get(answer.headers["location"]).text
    assert "Lagret." in page and 'value="Ny tittel"' in page


def test_a_bad_date_is_shown_beside_its_field_and_nothing_is_saved(browser, root) -> None:
    before = read(root, f"positions/{LETTER}.md")
    answer = browser.post(f"/positions/{LETTER}", data=position_form(browser, adopted_on="14.9"))
    assert answer.status_code == 400
    beside = re.search(r'id="adopted_on-problems">\s*<li>(.*?)</li>', answer.text)
    assert beside and "adopted_on: &#39;14.9&#39; er ikke en dato" in beside.group(1)
    assert 'aria-invalid="true" aria-describedby="adopted_on-problems"' in answer.text
    assert read(root, f"positions/{LETTER}.md") == before


def test_a_position_changed_on_disk_shows_both_versions(browser, root) -> None:
    form = position_form(browser, title="Min tittel")
    path = root / "positions" / f"{LETTER}.md"
    theirs = path.read_text(encoding="utf-8").replace("Representantskapsmøtet", "Landsmøtet")
    path.write_text(theirs, encoding="utf-8")
    answer = browser.post(f"/positions/{LETTER}", data=form)
    assert answer.status_code == 400
    assert "Noen andre har endret denne fila" in answer.text
    assert "Behold min" in answer.text and "Ta deres" in answer.text
    assert html.escape("adopted_by: Landsmøtet", quote=False) in answer.text  # theirs, shown
    assert read(root, f"positions/{LETTER}.md") == theirs  # not overwritten
    kept = form_of(answer.text, f"/positions/{LETTER}")  # "keep mine": the form, newer version
    assert browser.post(f"/positions/{LETTER}", data={**form, **kept}).status_code == 303
    assert "title: Min tittel" in read(root, f"positions/{LETTER}.md")


def test_the_preview_answers_with_the_pages_of_the_draft(browser, root) -> None:
    form = position_form(browser)
    first = browser.post(f"/positions/{LETTER}/preview", data=form)
    second = browser.post(
        f"/positions/{LETTER}/preview", data={**form, "body": "Noe helt annet. " * 30}
    )
    images = [re.findall(r'src="data:image/png;base64,([^"]+)"', a.text) for a in (first, second)]
    assert images[0] and images[1] and images[0] != images[1]
    assert "Som i brevet menneskehandel-2024, til smk, hod, jd." in first.text
    broken = browser.post(f"/positions/{LETTER}/preview", data={**form, "adopted_on": "x"})
    assert "adopted_on: &#39;x&#39; er ikke en dato" in broken.text and "<img" not in broken.text


def test_a_new_position_is_made_from_the_list(browser, root) -> None:
    page = browser.get("/positions").text
    data = {
        **form_of(page, "/positions"), "id": "klima-2025", "title": "Klima", "language": "",
        "adopted_by": "Årsmøtet", "adopted_on": "2025-03-01", "body": "Vi vil ha mer klima.",
    }  # fmt: skip
    answer = browser.post("/positions", data=data)
    assert answer.status_code == 303 and answer.headers["location"] == "/positions/klima-2025"
    assert read(root, "positions/klima-2025.md").endswith("---\nVi vil ha mer klima.\n")
    again = browser.post("/positions", data={**data, "id": "../../etc"})
    assert again.status_code == 400 and "er ikke en gyldig id" in again.text
    assert not (root.parent / "etc.md").exists()


def test_a_post_without_the_csrf_token_saves_nothing(browser, root) -> None:
    form = position_form(browser, title="Uten token")
    del form["csrf_token"]
    assert browser.post(f"/positions/{LETTER}", data=form).status_code == 403
    assert "Uten token" not in read(root, f"positions/{LETTER}.md")


# --------------------------------------------------------------------------- letters


def test_a_new_letter_to_three_offices(browser, root) -> None:
    page = browser.get("/letters").text
    answer = browser.post("/letters", data={**form_of(page, "/letters"), "id": "klima-brev"})
    assert answer.headers["location"] == "/letters/klima-brev?new=1"
    page = browser.get(answer.headers["location"]).text
    form = form_of(page, "/letters/klima-brev")
    assert form["version"] == ""
    # Without JavaScript too: every office not yet in the register is offered as a choice.
    assert 'name="office" value="no/kld"' in page and 'value="no/hod"' not in page
    choices = browser.get("/offices/choices", params={"q": "klima"}).text
    assert 'value="no/kld"' in choices
    data = {
        **form, "position": LETTER, "mode": "each", "date": "2025-04-01", "place": "",
        "signatory": "president", "subject": "Klima & miljø", "email": "Hei.\n\nVedlagt.",
        "language": "", "office": ["no/kld", "no/hod", "no/smk"], "to": [],
    }  # fmt: skip
    files = {"upload": ("Vedlegg 1.pdf", b"%PDF-1.4 test", "application/pdf")}
    answer = browser.post("/letters/klima-brev", data=data, files=files)
    assert answer.status_code == 303, answer.text
    written = read(root, "letters/klima-brev.yaml")
    assert "to: [kld, hod, smk]" in written, written
    assert "attachments: [assets/Vedlegg-1.pdf]" in written
    assert "subject: Klima & miljø\n" in written
    register = read(root, "recipients.yaml")
    assert "kld:\n  office: no/kld\n" in register
    assert register.count("office: no/hod") == 1  # there already: reused, not added again
    assert (root / "assets" / "Vedlegg-1.pdf").read_bytes() == b"%PDF-1.4 test"


def test_a_letter_s_problems_are_shown_beside_its_fields(browser, root) -> None:
    page = browser.get(f"/letters/{LETTER}").text
    form = form_of(page, f"/letters/{LETTER}")
    before = read(root, f"letters/{LETTER}.yaml")
    data = {**form, "position": LETTER, "mode": "joint", "signatory": "nobody", "to": ["smk"],
            "office": ["no/fin"]}  # fmt: skip
    answer = browser.post(f"/letters/{LETTER}", data=data)
    assert answer.status_code == 400
    # An office without a mailbox: refused by the engine, shown with the recipients.
    assert re.search(r'id="to-problems">\s*<li>recipients.yaml:\d+: fin.email: ', answer.text)
    assert "fin:" not in read(root, "recipients.yaml")
    answer = browser.post(f"/letters/{LETTER}", data={**data, "office": []})
    assert re.search(r'id="signatory-problems">\s*<li>signatory: ', answer.text)
    assert read(root, f"letters/{LETTER}.yaml") == before


def test_the_letter_form_keeps_the_files_comments(browser, root) -> None:
    page = browser.get(f"/letters/{LETTER}").text
    data = {
        **form_of(page, f"/letters/{LETTER}"), "position": LETTER, "mode": "joint",
        "date": "2024-12-10", "place": "Halden", "signatory": "president", "subject": "",
        "language": "", "email": "Kort.", "to": ["smk", "hod"],
    }  # fmt: skip
    assert browser.post(f"/letters/{LETTER}", data=data).status_code == 303
    written = read(root, f"letters/{LETTER}.yaml")
    assert written.startswith("# One mailing: which position goes to whom, when, signed by whom.")
    assert "to: [smk, hod]\n" in written and "email: Kort.\n" in written


def test_an_unknown_letter_is_not_found(browser) -> None:
    assert browser.get("/letters/finnes-ikke").status_code == 404
    assert browser.get("/letters/..%2f..%2fetc").status_code == 404


# --------------------------------------------------------------------------- recipients


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_import_is_shown_row_by_row_before_it_is_saved(browser, root) -> None:
    page = browser.get("/recipients").text
    token = form_of(page, "/recipients/-/import")["csrf_token"]
    bad = xlsx([["Navn", "E-post"], ["Kari", "kari@example.org"], ["Per", "ikke en adresse"]])
    sheet = {"spreadsheet": ("styret.xlsx", bad, "application/octet-stream")}
    answer = browser.post("/recipients/-/import", data={"csrf_token": token}, files=sheet)
    assert answer.status_code == 400
    row = re.search(r"<tr><td>3</td><td>(.*?)</td></tr>", answer.text)
    assert row and "ikke en adresse" in row.group(1)
    good = xlsx([["Navn", "E-post"], ["Kari Ødegård", "kari@example.org"]])
    sheet = {"spreadsheet": ("styret.xlsx", good, "application/octet-stream")}
    answer = browser.post("/recipients/-/import", data={"csrf_token": token}, files=sheet)
    assert answer.status_code == 200 and "kari-odegard" in answer.text
    assert "kari-odegard" not in read(root, "recipients.yaml")  # a dry run: nothing written
    confirm = form_of(answer.text, "/recipients/-/import/confirm")
    done = browser.post("/recipients/-/import/confirm", data=confirm)
    assert done.status_code == 303
    assert "kari-odegard:" in read(root, "recipients.yaml")
    assert "1 mottaker ble importert" in browser.get(done.headers["location"]).text


def test_a_recipient_is_added_edited_and_removed(browser, root) -> None:
    page = browser.get("/recipients").text
    data = {
        **form_of(page, "/recipients"), "id": "ordforer-halden", "title": "Ordfører",
        "name": "Kari <b>Fet</b>", "email": "postmottak@halden.kommune.no",
        "tags": "kommuner, ostfold", "address": "Postboks 150\n1751 Halden",
    }  # fmt: skip
    answer = browser.post("/recipients", data=data)
    assert answer.status_code == 303, answer.text
    register = read(root, "recipients.yaml")
    assert "  tags: [kommuner, ostfold]\n" in register
    assert "  address: [Postboks 150, 1751 Halden]\n" in register
    page = browser.get("/recipients").text
    assert "Kari &lt;b&gt;Fet&lt;/b&gt;" in page  # shown as text
    entry = browser.get("/recipients/ordforer-halden").text
    form = form_of(entry, "/recipients/ordforer-halden")
    edit = {**form, "title": "Ordfører", "name": "Kari Fet", "email": "feil"}
    answer = browser.post("/recipients/ordforer-halden", data=edit)
    assert answer.status_code == 400
    assert re.search(r'id="email-problems">\s*<li>email: &#39;feil&#39;', answer.text)
    answer = browser.post("/recipients/ordforer-halden", data={**edit, "email": "k@halden.no"})
    assert answer.status_code == 303
    assert "  email: k@halden.no\n" in read(root, "recipients.yaml")
    entry = browser.get("/recipients/ordforer-halden").text
    remove = [f for f in re.findall(r"<form.*?</form>", entry, re.S) if 'name="remove"' in f][0]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', remove))
    assert browser.post("/recipients/ordforer-halden", data=hidden).status_code == 303
    assert "ordforer-halden" not in read(root, "recipients.yaml")
    assert read(root, "recipients.yaml").startswith("#")  # the file's comments stay


def test_the_register_is_exported(browser) -> None:
    answer = browser.get("/recipients/export.xlsx")
    assert answer.status_code == 200 and answer.content.startswith(b"PK")
    rows = list(openpyxl.load_workbook(io.BytesIO(answer.content)).active.values)
    assert "smk" in [row[0] for row in rows]
    csv = browser.get("/recipients/export.csv")
    assert csv.status_code == 200 and "smk" in csv.text
    assert browser.get("/recipients/export.sh").status_code == 404


# --------------------------------------------------------------------------- offices, clubs


def test_the_offices_are_searched(browser) -> None:
    page = browser.get("/offices", params={"q": "helse"}).text
    assert "no/hod" in page and "no/fin" not in page
    none = browser.get("/offices", params={"q": "zzzz"}).text
    assert "no office matches" in none or "ingen" in none.lower()


def test_a_club_s_file_is_edited(browser, root) -> None:
    page = browser.get("/clubs/bergen").text
    form = form_of(page, "/clubs/bergen")
    letters = re.findall(r'name="letter" value="([^"]+)"', page)
    signatories = re.findall(r'name="signatory" value="([^"]+)"', page)
    data = {**form, "name": "Soroptimist International Bergen", "place": "Bergen",
            "language": "nn", "letter": letters, "signatory": signatories}  # fmt: skip
    for key in signatories:
        data[f"signatory-{key}-name"] = "Kari Nordmann"
        data[f"signatory-{key}-title"] = "Klubbpresident"
    for key in letters:
        data[f"append-{key}"] = "I Bergen meiner vi òg dette."
    answer = browser.post("/clubs/bergen", data=data)
    assert answer.status_code == 303, answer.text
    written = read(root, "clubs/bergen.yaml")
    assert "I Bergen meiner vi òg dette." in written
    bad = browser.post("/clubs/bergen", data={**data, **form_of(browser.get("/clubs/bergen").text,
                       "/clubs/bergen"), "language": "de"})  # fmt: skip
    assert bad.status_code == 400
    assert re.search(r'id="language-problems">\s*<li>language: ', bad.text)
    assert read(root, "clubs/bergen.yaml") == written


# --------------------------------------------------------------------------- attacks

BAD_PATHS = [
    "/positions/%2e%2e", "/positions/..%2f..%2fetc", "/positions/Menneskehandel-2024",
    "/positions/-x", "/letters/%2E%2E", "/recipients/..%2fsmk", "/recipients/SMK",
    "/clubs/%2e%2e", "/clubs/Bergen", "/clubs/no-such-club", "/positions/no-such-position",
    "/recipients/no-such-recipient", "/recipients/export.py",
]  # fmt: skip


def files_under(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(folder.rglob("*"))
    }


def test_a_bad_id_on_an_editing_page_is_not_found_and_touches_no_file(browser, root) -> None:
    before = files_under(root.parent)
    for path in BAD_PATHS:
        assert browser.get(path).status_code == 404, path
    token = csrf_of(browser.get("/positions").text)
    for path in ("/positions/%2e%2e", "/positions/..%2fx/preview", "/letters/..%2fx",
                 "/recipients/%2e%2e", "/clubs/..%2fbergen", "/clubs/no-such-club"):  # fmt: skip
        answer = browser.post(path, data={"csrf_token": token, "title": "x", "body": "x"})
        assert answer.status_code in (400, 404, 405), path
    assert files_under(root.parent) == before


def test_a_form_field_s_html_is_shown_as_text(browser, root) -> None:
    typed = '<script>alert("x")</script>'
    answer = browser.post(f"/positions/{LETTER}", data=position_form(browser, adopted_by=typed))
    assert answer.status_code == 303
    page = browser.get(f"/positions/{LETTER}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and "<script>alert" not in page
    preview = browser.post(f"/positions/{LETTER}/preview", data=position_form(browser, body=typed))
    assert "<script>alert" not in preview.text and "<img" in preview.text


def test_an_uploaded_zip_bomb_is_refused_in_words(browser, root) -> None:
    import zipfile

    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([["Navn", "E-post"]]))) as old,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
        with new.open("xl/bomb.xml", "w", force_zip64=True) as handle:
            for _ in range(40):
                handle.write(b"A" * (1 << 20))
    token = csrf_of(browser.get("/recipients").text)
    sheet = {"spreadsheet": ("bomb.xlsx", buffer.getvalue(), "application/octet-stream")}
    answer = browser.post("/recipients/-/import", data={"csrf_token": token}, files=sheet)
    assert answer.status_code == 400 and "pakkes ut til mer enn" in answer.text
    assert "/tmp" not in answer.text  # the person's file is named, not where it was kept
    assert "bomb.xlsx" in answer.text


def test_the_editing_pages_have_no_inline_script_or_style(browser) -> None:
    pages = ("/positions", f"/positions/{LETTER}", "/letters", f"/letters/{LETTER}",
             "/recipients", "/recipients/smk", "/offices", "/clubs", "/clubs/bergen")  # fmt: skip
    for path in pages:
        page = browser.get(path)
        assert page.status_code == 200, path
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        assert " style=" not in page.text and "<style" not in page.text, path
        assert 'name="csrf_token"' in page.text or path == "/offices", path


# --------------------------------------------------------------------------- the words


EDITING_CODE = [
    "app/sources.py", "app/yamledit.py", "app/uploads.py", "app/draft.py", "web/editing.py",
    "web/pages/positions.py", "web/pages/letter_form.py", "web/pages/recipients.py",
    "web/pages/offices.py", "web/pages/clubs.py",
]  # fmt: skip
EDITING_TEMPLATES = [
    "_answer.html", "_field_problems.html", "_office_choices.html", "_preview.html",
    "_recipient_fields.html", "club.html", "clubs.html", "letter.html", "letters_new.html",
    "offices.html", "position.html", "positions.html", "recipient.html", "recipients.html",
]  # fmt: skip


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_word_of_the_editing_pages_is_translated(language) -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    import lettersmith

    package = Path(lettersmith.__file__).parent
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    found = set()
    for name in EDITING_CODE:
        for _line, message, _c, _x in extract_from_file("python", package / name, keywords):
            found.add(message if isinstance(message, str) else message[0])
    for name in EDITING_TEMPLATES:
        path = package / "web" / "templates" / name
        for _line, message, _c, _x in extract_from_file("jinja2", path, keywords):
            found.add(message if isinstance(message, str) else message[0])
    translated = set()
    for po in (package / "data" / "locale" / language / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as handle:
            translated |= {
                m.id if isinstance(m.id, str) else m.id[0]  # a plural's singular, as found
                for m in read_po(handle)
                if m.id and (m.string if isinstance(m.string, str) else all(m.string))
            }
    assert len(found) > 100
    assert sorted(found - translated) == []


def test_check_s_problems_are_shown_beside_their_fields_when_a_page_opens(browser, root) -> None:
    path = root / "letters" / f"{LETTER}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("mode: joint", "mode: alle"))
    page = browser.get(f"/letters/{LETTER}").text
    assert re.search(r'id="mode-problems">\s*<li>mode: &#39;alle&#39; er ikke en av', page)
    data = {
        **form_of(page, f"/letters/{LETTER}"), "position": LETTER, "mode": "joint",
        "date": "2024-12-10", "place": "Halden", "signatory": "president", "subject": "",
        "language": "", "email": "Kort.", "to": ["smk", "hod", "jd"],
    }  # fmt: skip
    assert browser.post(f"/letters/{LETTER}", data=data).status_code == 303  # fixed here
    assert "mode: joint" in path.read_text(encoding="utf-8")
    register = root / "recipients.yaml"
    register.write_text(
        register.read_text(encoding="utf-8").replace("  office: no/jd\n", "  office: no/xx\n")
    )
    page = browser.get("/recipients/jd").text
    assert re.search(r'id="office-problems">\s*<li>office: ingen embete &#39;no/xx&#39;', page)


def test_a_broken_position_can_be_found_and_fixed(browser, root) -> None:
    path = root / "positions" / f"{LETTER}.md"
    path.write_text(path.read_text(encoding="utf-8").replace("2024-09-14", "14. sept"))
    page = browser.get("/positions")
    assert page.status_code == 200
    assert "adopted_on: &#39;14. sept&#39; er ikke en dato" in page.text
    assert f'href="/positions/{LETTER}"' in page.text
    opened = browser.get(f"/positions/{LETTER}").text
    assert re.search(r'id="adopted_on-problems">\s*<li>adopted_on: &#39;14. sept', opened)
    answer = browser.post(f"/positions/{LETTER}", data=position_form(browser))
    assert answer.status_code == 303 and "adopted_on: 2024-09-14" in read(
        root, path.name.join(["positions/", ""])
    )


def test_a_column_with_another_name_is_named_on_the_page(browser, root) -> None:
    token = csrf_of(browser.get("/recipients").text)
    data = xlsx([["Navn", "Mobil e-post"], ["Kari Ødegård", "kari@example.org"]])
    sheet = {"spreadsheet": ("liste.xlsx", data, "application/octet-stream")}
    answer = browser.post("/recipients/-/import", data={"csrf_token": token}, files=sheet)
    assert answer.status_code == 400 and "ingen kolonne for e-postadressen" in answer.text
    mapped = {"csrf_token": token, "columns": "Mobil e-post=email"}
    answer = browser.post("/recipients/-/import", data=mapped, files=sheet)
    assert answer.status_code == 200 and "kari@example.org" in answer.text
    confirm = form_of(answer.text, "/recipients/-/import/confirm")
    assert confirm["columns"] == "Mobil e-post=email"
    assert browser.post("/recipients/-/import/confirm", data=confirm).status_code == 303
    assert "  email: kari@example.org\n" in read(root, "recipients.yaml")
