"""``lettersmith.Project`` driven directly, as a program or the web app would: every guarantee
the command line gives holds behind this door, and one Project kept open sees every change."""

from __future__ import annotations

import email
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith import Project
from lettersmith.app.events import Progress, Warning
from lettersmith.app.project import BadArgument, SendPlan
from lettersmith.cli import main
from lettersmith.errors import DeliveryError, LettersmithError, WorkspaceError
from readback import docx_text, pdf_text
from workspaces import copy_example, minimal, write_files

LETTER = "menneskehandel-2024"
RECIPIENTS = ("postmottak@smk.dep.no", "postmottak@hod.dep.no", "postmottak@jd.dep.no")


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args])


# --------------------------------------------------------------------------- opening


def test_open_finds_the_workspace_from_a_subfolder(tmp_path: Path) -> None:
    root = minimal(tmp_path / "ws")
    assert Project.open(root / "positions").root == root.resolve()
    with pytest.raises(WorkspaceError, match="no lettersmith.yaml here or in any parent"):
        Project.open(tmp_path)


# --------------------------------------------------------------------------- the guarantees


def test_the_approval_gate_refuses_an_unapproved_send(required: Path, smtp_server) -> None:
    project = Project.open(required)
    with pytest.raises(DeliveryError, match="approval: required, and no one has approved"):
        project.send(LETTER)
    assert smtp_server.handler.received == []
    project.approve(LETTER, by="Karin Dahlberg Pettersen")
    result = project.send(LETTER)
    assert result.report is not None and not result.undelivered
    assert sorted(m.rcpt_tos[0] for m in smtp_server.handler.received) == sorted(RECIPIENTS)


def test_the_approval_gate_holds_for_a_club_an_override_and_a_send_in_two_parts(
    required: Path, smtp_server
) -> None:
    import datetime as dt

    from lettersmith.compose.resolve import Overrides

    project = Project.open(required)
    project.approve(LETTER, by="Karin Dahlberg Pettersen")
    # The union's approval is not the club's, and a date given with the send is not approved.
    with pytest.raises(DeliveryError, match="no one has approved"):
        project.send(LETTER, club="bergen")
    with pytest.raises(DeliveryError, match="changed since it was approved"):
        project.send(LETTER, overrides=Overrides(date=dt.date(2025, 1, 15)))
    assert project.send(LETTER, club="bergen", dry_run=True).written  # looking needs none
    assert smtp_server.handler.received == []
    first = project.send(LETTER, selectors=["smk"])
    assert first.plan.todo == 1 and not first.undelivered
    rest = project.send(LETTER)
    assert rest.plan.todo == 2 and not rest.undelivered
    for address in RECIPIENTS:
        assert len(smtp_server.handler.to(address)) == 1
    project.approve(LETTER, by="Ingrid Haugland", club="bergen")
    club = project.send(LETTER, club="bergen")
    assert club.plan.todo == 4 and not club.undelivered


def test_a_logo_changed_after_approval_with_its_size_and_time_put_back_is_refused(
    required: Path, smtp_server
) -> None:
    """One Project open (a web app): the logo is changed after the board approved, its size and
    time put back. What leaves is read afresh, not believed from the file's size and time."""
    import os

    project = Project.open(required)
    project.approve(LETTER, by="Karin Dahlberg Pettersen")
    logo = required / "assets" / "logo.svg"
    info, text = logo.stat(), logo.read_text(encoding="utf-8")
    logo.write_text(text.replace("#0a4f9c", "#ff0000"), encoding="utf-8")  # the same size
    os.utime(logo, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert logo.stat().st_size == info.st_size
    with pytest.raises(DeliveryError, match="changed since it was approved"):
        project.send(LETTER)
    assert smtp_server.handler.received == []


def test_a_picture_inside_the_svg_logo_changed_after_approval_is_refused(
    required: Path, smtp_server
) -> None:
    """The logo is an SVG that shows a picture beside it: that picture is part of what the
    board approved, like the logo itself."""
    assets = required / "assets"
    (assets / "inner.png").write_bytes((assets / "signature.png").read_bytes())
    (assets / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="60">'
        '<image href="inner.png" width="60" height="60"/></svg>',
        encoding="utf-8",
    )
    project = Project.open(required)
    project.approve(LETTER, by="Karin Dahlberg Pettersen")
    (assets / "inner.png").write_bytes((required / "clubs/bergen/assets/logo.png").read_bytes())
    with pytest.raises(DeliveryError, match="changed since it was approved"):
        project.send(LETTER)
    assert smtp_server.handler.received == []


def test_a_second_send_while_one_runs_is_refused(mail_workspace: Path, smtp_server) -> None:
    refusals: list[str] = []

    def meanwhile(plan: SendPlan) -> bool:
        # The first send holds the lock from here on: a second one, from another Project too.
        with pytest.raises(DeliveryError) as refused:
            Project.open(mail_workspace).send(LETTER)
        refusals.append(str(refused.value))
        return True

    first = Project.open(mail_workspace).send(LETTER, confirm=meanwhile)
    assert len(refusals) == 1
    assert first.report is not None and not first.undelivered
    assert len(smtp_server.handler.received) == 3


def test_sending_twice_through_the_api_sends_each_recipient_once(
    mail_workspace: Path, smtp_server
) -> None:
    project = Project.open(mail_workspace)
    progress: list[Progress] = []
    first = project.send(LETTER, on_event=lambda e: isinstance(e, Progress) and progress.append(e))
    assert first.plan.todo == 3
    assert progress[-1] == Progress("send", 3, 3)
    again = project.send(LETTER)
    assert again.plan.todo == 0
    assert again.report is not None and not again.report.results
    for address in RECIPIENTS:
        assert len(smtp_server.handler.to(address)) == 1


def test_ctrl_c_during_an_api_send_then_sending_again_sends_each_once(
    mail_workspace: Path, smtp_server
) -> None:
    def interrupt_after_the_first(event: object) -> None:
        if event == Progress("send", 1, 3):
            raise KeyboardInterrupt

    project = Project.open(mail_workspace)
    stopped = project.send(LETTER, on_event=interrupt_after_the_first)
    assert stopped.report is not None and stopped.report.stopped is not None
    assert stopped.undelivered and len(smtp_server.handler.received) == 1
    again = project.send(LETTER)  # the lock was let go, and the journal knows the first
    assert again.plan.todo == 2 and not again.undelivered
    for address in RECIPIENTS:
        assert len(smtp_server.handler.to(address)) == 1


def test_the_confirmation_can_say_no_and_nothing_goes(mail_workspace: Path, smtp_server) -> None:
    seen: list[int] = []
    result = Project.open(mail_workspace).send(
        LETTER, confirm=lambda plan: seen.append(plan.todo) is not None
    )
    assert seen == [3]
    assert not result.confirmed and result.report is None
    assert smtp_server.handler.received == []


def outbox_files(root: Path) -> list[Path]:
    return [path for path in (root / ".lettersmith" / "outbox").rglob("*") if path.is_file()]


def test_a_plan_declined_or_shown_for_review_leaves_no_copies(
    mail_workspace: Path, smtp_server
) -> None:
    """A program that stays open (the web app) plans sends to show them: the copies each plan
    takes of what it would attach go when the plan is done with, not when the program ends."""
    project = Project.open(mail_workspace)
    assert not project.send(LETTER, confirm=lambda plan: False).confirmed
    assert outbox_files(mail_workspace) == []
    project.review(LETTER)
    assert outbox_files(mail_workspace) == []
    assert smtp_server.handler.received == []


@pytest.mark.parametrize("club", [None, "bergen"])
def test_an_attachment_swapped_for_a_link_after_the_plan_is_not_what_goes(
    mail_workspace: Path, smtp_server, club: str | None
) -> None:
    """Shown the plan, then (before anything goes) the attachment becomes a symbolic link to
    the union's settings, or a hard link to them: every message carries the planned bytes."""
    import os

    planned = b"%PDF-1.4 the attachment as planned\n"
    folder = mail_workspace / ("clubs/bergen/assets" if club else "assets")
    attachment = folder / "vedlegg.pdf"
    attachment.write_bytes(planned)
    if club:
        path = mail_workspace / "clubs" / "bergen.yaml"
        marker = "  menneskehandel-2024:\n"
        text = path.read_text(encoding="utf-8")
        extra = "    attachments: [assets/vedlegg.pdf]\n"
        path.write_text(text.replace(marker, marker + extra), encoding="utf-8")
    else:
        path = mail_workspace / "letters" / f"{LETTER}.yaml"
        extra = "attachments: [assets/vedlegg.pdf]\n"
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    settings = mail_workspace / "lettersmith.yaml"

    def swap(plan: SendPlan) -> bool:
        attachment.unlink()
        if club:
            os.link(settings, attachment)
        else:
            attachment.symlink_to(settings)
        return True

    result = Project.open(mail_workspace).send(LETTER, club=club, confirm=swap)
    assert result.report is not None and not result.undelivered
    received = smtp_server.handler.received
    assert len(received) == (4 if club else 3)
    for message in received:
        parts = {p.get_filename(): p.get_content() for p in message.message.iter_attachments()}
        assert parts["vedlegg.pdf"] == planned


def test_a_plan_stopped_by_an_attachment_changed_meanwhile_leaves_no_copies(
    mail_workspace: Path, smtp_server, monkeypatch
) -> None:
    """The attachment is edited just as the send takes it, after its PDF was taken: the send
    stops, and the copies it had taken go with it (a program that stays open would keep them
    for 30 days)."""
    from lettersmith.deliver import message

    attachment = mail_workspace / "assets" / "vedlegg.pdf"
    attachment.write_bytes(b"%PDF-1.4 the attachment as read\n")
    letter = mail_workspace / "letters" / f"{LETTER}.yaml"
    extra = "attachments: [assets/vedlegg.pdf]\n"
    letter.write_text(letter.read_text(encoding="utf-8") + extra, encoding="utf-8")
    read = message.read_attachment

    def read_while_edited(*args, **kwargs):
        attachment.write_bytes(b"%PDF-1.4 the attachment as edited meanwhile\n")
        return read(*args, **kwargs)

    monkeypatch.setattr(message, "read_attachment", read_while_edited)
    with pytest.raises(DeliveryError, match="vedlegg.pdf changed since the letter was read"):
        Project.open(mail_workspace).send(LETTER)
    assert outbox_files(mail_workspace) == []
    assert smtp_server.handler.received == []


def test_a_dry_run_writes_the_messages_and_sends_nothing(mail_workspace: Path, smtp_server) -> None:
    result = Project.open(mail_workspace).send(LETTER, dry_run=True)
    assert sorted(path.name for path in result.written) == ["hod.eml", "jd.eml", "smk.eml"]
    message = email.message_from_bytes(result.written[0].read_bytes(), policy=default)
    assert message["To"] and smtp_server.handler.received == []


def test_a_clubs_link_to_the_unions_settings_is_refused_through_the_api(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    club = root / "clubs" / "bergen.yaml"
    text = club.read_text(encoding="utf-8")
    club.write_text(
        text.replace("organisation:\n", "organisation:\n  logo: ../../lettersmith.yaml\n"),
        encoding="utf-8",
    )
    with pytest.raises(WorkspaceError, match="organisation.logo: '../../lettersmith"):
        Project.open(root).build([LETTER], club="bergen", formats="pdf", jobs=1)
    assert not (root / "out" / "clubs").exists()


def test_a_clubs_asset_linked_out_of_its_folder_is_not_attached(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    (root / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4 the union's attachment\n")
    letter = root / "letters" / f"{LETTER}.yaml"
    letter.write_text(
        letter.read_text(encoding="utf-8") + "attachments: [assets/vedlegg.pdf]\n",
        encoding="utf-8",
    )
    (root / "clubs" / "bergen" / "assets" / "vedlegg.pdf").symlink_to(root / "lettersmith.yaml")
    result = Project.open(root).send(LETTER, club="bergen", dry_run=True)
    assert result.written
    for path in result.written:
        message = email.message_from_bytes(path.read_bytes(), policy=default)
        attached = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
        assert attached["vedlegg.pdf"] == b"%PDF-1.4 the union's attachment\n"


def test_the_statement_check_runs_for_an_api_build(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    write_files(
        root,
        {
            "templates/letter.html.j2": '{% extends "builtin/letter.html.j2" %}'
            "{% block style %}{{ super() }}\n.body p:first-child { display: none }{% endblock %}"
        },
    )
    result = Project.open(root).build([LETTER], formats="pdf", jobs=1)
    assert len(result.failed) == 1
    assert "templates/letter.html.j2" in result.failed[0]
    assert "word for word" in result.failed[0]
    assert result.written == ()
    assert not (root / "out" / LETTER / f"{LETTER}.pdf").exists()
    with pytest.raises(LettersmithError, match="word for word"):
        result.raise_failures()


def test_a_wrong_format_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    with pytest.raises(BadArgument, match="choose pdf, docx or pdf,docx") as refused:
        Project.open(minimal(tmp_path)).build(formats="pdf,odt")
    assert refused.value.option == "--format"


# --------------------------------------------------------------------------- events


def test_build_reports_progress_and_warnings_as_events(tmp_path: Path) -> None:
    root = minimal(tmp_path, {"clubs/bergen.yaml": "name: [not a name\n"})
    seen: list[object] = []
    result = Project.open(root).build(formats="pdf", jobs=1, on_event=seen.append)
    progress = [event for event in seen if isinstance(event, Progress)]
    assert progress[0] == Progress("build", 0, 3) and progress[-1] == Progress("build", 3, 3)
    warnings = [event.text for event in seen if isinstance(event, Warning)]
    assert warnings == [
        "warning: clubs/bergen.yaml has problems, so club 'bergen' is left out; "
        "`lettersmith check` shows them"
    ]
    assert len(result.written) == 3 and result.warnings == tuple(warnings)
    # Nothing changed: known from the memo, and the warning is told again.
    again: list[object] = []
    remembered = Project.open(root).build(formats="pdf", jobs=1, on_event=again.append)
    assert remembered.remembered and remembered.up_to_date == 3
    assert [event.text for event in again if isinstance(event, Warning)] == warnings


# --------------------------------------------------------------------------- one open project


def test_one_open_project_sees_every_file_that_changed(tmp_path: Path) -> None:
    root = minimal(tmp_path)
    project = Project.open(root)
    pdf = root / "out" / "brev" / "a.pdf"
    project.build(formats="pdf", jobs=1)
    assert "Dette er uttalelsen." in pdf_text(pdf)

    position = root / "positions" / "sak.md"
    position.write_text(position.read_text().replace("uttalelsen.", "den nye uttalelsen."))
    assert len(project.build(formats="pdf", jobs=1).written) == 3
    assert "Dette er den nye uttalelsen." in pdf_text(pdf)

    register = root / "recipients.yaml"
    register.write_text(register.read_text().replace("Anne Alfa", "Anne Omega"))
    project.build(formats="pdf", jobs=1)
    assert "Anne Omega" in pdf_text(pdf)
    status = project.status("brev")
    assert [row[:2] for row in status.rows][0] == ("a", "postmottak@a.example.no")

    settings = root / "lettersmith.yaml"
    settings.write_text(settings.read_text().replace("Testforeningen", "Nyforeningen"))
    preview = project.preview("brev", selectors=["a"], dpi=30)
    assert preview and all(path.exists() for path in preview)
    assert "Nyforeningen" in pdf_text(pdf)  # preview built the PDF again first
    project.build(jobs=1)
    assert "Nyforeningen" in docx_text(pdf.with_suffix(".docx"))
    before = project.status("brev").approval.revision
    settings.write_text(settings.read_text().replace("place: Oslo", "place: Bergen"))
    assert project.status("brev").approval.revision != before


# --------------------------------------------------------------------------- smaller bugs


def test_approve_then_status_says_approved_before_any_send(tmp_path: Path) -> None:
    root = minimal(tmp_path)
    project = Project.open(root)
    approval = project.approve("brev", by="Kari Nordmann", note="Styremøte")
    standing = project.status("brev").approval
    assert standing.revision == approval.revision
    assert [a.by for a in standing.current] == ["Kari Nordmann"]
    result = run(root, "status", "brev")
    assert result.exit_code == 0, result.output
    assert f"Revision {approval.short}: approved." in result.output


@pytest.mark.parametrize("command", [("diff", LETTER, "--club", "bergen"),
                                     ("review", LETTER, "--club", "bergen")])  # fmt: skip
def test_a_broken_club_is_reported_with_its_problems_not_as_missing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    root = copy_example(tmp_path / "ws")
    club = root / "clubs" / "bergen.yaml"
    club.write_text(club.read_text(encoding="utf-8") + "colour: [not a colour\n", encoding="utf-8")
    result = run(root, *command)
    assert result.exit_code == 1
    assert "clubs/bergen.yaml:" in result.output
    assert "no club 'bergen'" not in result.output
    with pytest.raises(WorkspaceError) as raised:
        Project.open(root).diff(LETTER, club="bergen")
    assert "no club" not in str(raised.value) and "clubs/bergen.yaml:" in str(raised.value)


def test_one_open_project_sees_a_font_replaced_under_the_same_name(tmp_path: Path) -> None:
    """No cache keyed by a file's path alone: the new font's family is what the DOCX names."""
    import shutil
    import zipfile

    from lettersmith.render.style import FONT_DIR

    settings = "organisation:\n  name: Testforeningen\n  font: assets/MinFont.ttf\n"
    root = minimal(tmp_path)
    text = (root / "lettersmith.yaml").read_text()
    (root / "lettersmith.yaml").write_text(
        text.replace("organisation:\n  name: Testforeningen\n", settings)
    )
    font = root / "assets" / "MinFont.ttf"
    font.parent.mkdir()
    shutil.copyfile(FONT_DIR / "IBMPlexSans-Regular.ttf", font)
    project = Project.open(root)
    docx = root / "out" / "brev" / "a.docx"

    def families() -> set[str]:
        styles = zipfile.ZipFile(docx).read("word/styles.xml").decode()
        return {name for name in ("IBM Plex Sans", "IBM Plex Serif") if name in styles}

    project.build(formats="docx", jobs=1)
    assert families() == {"IBM Plex Sans"}
    shutil.copyfile(FONT_DIR / "IBMPlexSerif-Regular.ttf", font)
    project.build(formats="docx", jobs=1, force=True)
    assert families() == {"IBM Plex Serif"}


def test_one_open_project_sees_a_template_added_beside_others(tmp_path: Path) -> None:
    """A workspace template that appears while the project is open is used from then on."""
    root = minimal(tmp_path, {"templates/notes.txt": "the board's notes on the letterhead\n"})
    project = Project.open(root)
    pdf = root / "out" / "brev" / "a.pdf"
    project.build(formats="pdf", jobs=1)
    assert "Vår nye brevmal" not in pdf_text(pdf)
    write_files(
        root,
        {
            "templates/letter.html.j2": '{% extends "builtin/letter.html.j2" %}'
            "{% block letterhead %}{{ super() }}<p>Vår nye brevmal</p>{% endblock %}"
        },
    )
    project.build(formats="pdf", jobs=1)
    assert "Vår nye brevmal" in pdf_text(pdf)


def test_one_open_project_sees_a_template_rewritten_with_its_size_and_time_put_back(
    tmp_path: Path,
) -> None:
    import os

    template = (
        '{% extends "builtin/letter.html.j2" %}'
        "{% block letterhead %}{{ super() }}<p>X</p>{% endblock %}"
    )
    root = minimal(tmp_path, {"templates/letter.html.j2": template.replace("X", "Mal A")})
    project = Project.open(root)
    pdf = root / "out" / "brev" / "a.pdf"
    project.build(formats="pdf", jobs=1)
    assert "Mal A" in pdf_text(pdf)
    path = root / "templates" / "letter.html.j2"
    info = path.stat()
    path.write_text(template.replace("X", "Mal B"), encoding="utf-8")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    project.build(formats="pdf", jobs=1)
    assert "Mal B" in pdf_text(pdf)


def test_the_register_in_and_out_through_one_open_project(tmp_path: Path) -> None:
    root = minimal(tmp_path / "ws")
    project = Project.open(root)
    sheet = tmp_path / "styret.csv"
    sheet.write_text("Navn;Tittel;E-post;Tagger\nKari Ødegård;Styreleder;kari@example.org;styret\n")
    planned = project.import_recipients(sheet, dry_run=True)
    assert [entry.text("name") for entry in planned.added] == ["Kari Ødegård"]
    assert "kari@example.org" not in (root / "recipients.yaml").read_text()
    project.import_recipients(sheet)
    board = project.recipients("tag:styret")
    assert [(r.name, r.email) for r in board] == [("Kari Ødegård", "kari@example.org")]
    assert project.export_recipients(tmp_path / "ut.csv") == 4
    assert "kari@example.org" in (tmp_path / "ut.csv").read_text(encoding="utf-8-sig")
