"""The built-in register of offices: `office:` in recipients, `verified:` and its warnings,
and `lettersmith offices`."""

from __future__ import annotations

import datetime as dt
import email
import re
from email.policy import default

import pytest
import time_machine
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.load import offices
from lettersmith.load.yamlfile import email_problem
from readback import docx_text, pdf_text
from workspaces import minimal

HOD = offices.register()["no/hod"]
MAIL = """
    organisation:
      name: Testforeningen
    place: Oslo
    signatories:
      leder: {name: Kari Nordmann, title: Styreleder}
    mail:
      from: "Testforeningen <post@example.org>"
"""
LETTER = """
    position: sak
    to: [{to}]
    mode: {mode}
    date: 2025-03-10
    signatory: leder
"""


def cli(root, *args):
    return CliRunner().invoke(main, ["-w", str(root), *args], env={"COLUMNS": "250"})


def workspace(tmp_path, recipients: str, to: str = "hod", mode: str = "joint"):
    return minimal(
        tmp_path,
        {
            "lettersmith.yaml": MAIL,
            "recipients.yaml": recipients,
            "letters/brev.yaml": LETTER.format(to=to, mode=mode),
        },
    )


def test_an_office_by_id_gives_the_address_block_and_mailbox_in_pdf_docx_and_email(tmp_path):
    root = workspace(tmp_path, "hod:\n  office: no/hod\n")
    assert cli(root, "build", "brev").exit_code == 0
    block = [f"{HOD.title} {HOD.holder}", HOD.ministry, *HOD.address]
    for text in (pdf_text(root / "out/brev/brev.pdf"), docx_text(root / "out/brev/brev.docx")):
        assert " ".join(block) in text
        assert HOD.email not in text  # a postal address is printed instead of the mailbox
    result = cli(root, "send", "brev", "--dry-run")
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes(
        (root / "out/brev/mail/hod.eml").read_bytes(), policy=default
    )
    (to,) = message["To"].addresses
    assert (to.addr_spec, to.display_name) == (HOD.email, HOD.holder)


def test_fields_written_in_the_entry_win_and_check_shows_the_other_name(tmp_path):
    recipients = """
        hod:
          office: no/hod
          name: Kari Helseminister
          organisation: ""
          address: []
    """
    root = workspace(tmp_path, recipients)
    result = cli(root, "check")
    assert result.exit_code == 0, result.output
    assert (
        f"recipients.yaml:1: warning: hod.name: 'Kari Helseminister' is not the register's "
        f"holder of no/hod, '{HOD.holder}' (since {HOD.since}, verified {HOD.verified})"
    ) in result.output
    assert cli(root, "build", "brev", "--format", "pdf").exit_code == 0
    text = pdf_text(root / "out/brev/brev.pdf")
    assert f"{HOD.title} Kari Helseminister {HOD.email}" in text
    assert HOD.holder not in text and HOD.ministry not in text and "Postboks" not in text


def test_an_entry_with_the_registers_holder_raises_no_name_warning(tmp_path):
    result = cli(workspace(tmp_path, "hod:\n  office: no/hod\n"), "check")
    assert result.exit_code == 0, result.output
    assert "hod" not in "".join(line for line in result.output.splitlines() if "warning" in line)


def test_a_stale_name_warns_with_its_date_and_a_checked_one_does_not(tmp_path):
    recipients = """
        hod:
          office: no/hod
          name: Kari Helseminister
          verified: 2024-09-01
        jd:
          title: Justisminister
          name: Per Justis
          email: postmottak@jd.example.no
          verified: 2025-01-15
    """
    root = workspace(tmp_path, recipients, to="hod, jd")
    result = cli(root, "check")
    assert result.exit_code == 0, result.output
    stale = [line for line in result.output.splitlines() if "last verified" in line]
    assert stale == [
        "recipients.yaml:1: warning: hod: 'Kari Helseminister' was last verified 2024-09-01, "
        "190 days before letter brev's date 2025-03-10; check on the ministry's page "
        "(regjeringen.no) that Kari Helseminister still holds the office (no/hod) and the "
        "address is right, then set verified: to the day you checked"
    ]


def test_the_registers_verified_date_counts_only_for_the_registers_holder(tmp_path):
    root = workspace(tmp_path, "hod:\n  office: no/hod\n  name: Kari Helseminister\n")
    with time_machine.travel(dt.datetime(2030, 1, 1), tick=False):
        result = cli(root, "recipients", "--stale")
    assert "hod" not in result.output.split("\n", 1)[1]  # her own name was never verified
    root = workspace(tmp_path / "2", "hod:\n  office: no/hod\n")
    with time_machine.travel(dt.datetime(2030, 1, 1), tick=False):
        result = cli(root, "recipients", "--stale")
    assert f"hod\t{HOD.title}\t{HOD.holder}\t{HOD.email}\t\t{HOD.verified}\tregister" in (
        result.output
    )


def test_recipients_stale_lists_only_names_older_than_180_days(tmp_path):
    recipients = """
        old:
          title: Ordfører
          name: Gammel Navn
          email: old@example.no
          verified: 2026-01-01
        new:
          title: Ordfører
          name: Ny Navn
          email: new@example.no
          verified: 2026-11-01
        office:
          organisation: Kommunen
          email: post@example.no
          verified: 2020-01-01
    """
    root = workspace(tmp_path, recipients, to="old")
    with time_machine.travel(dt.datetime(2026, 11, 28), tick=False):
        result = cli(root, "recipients", "--stale")
    assert result.exit_code == 0, result.output
    ids = [line.split("\t")[0] for line in result.output.splitlines()[1:]]
    assert ids == ["old"]  # "new" is recent; "office" names no person


def test_an_unknown_office_and_a_missing_mailbox_are_problems_with_their_lines(tmp_path):
    recipients = """
        hod:
          office: no/hodd
        fin:
          office: no/fin
    """
    root = workspace(tmp_path, recipients)
    result = cli(root, "check")
    assert result.exit_code == 1
    assert (
        "recipients.yaml:2: hod.office: no office 'no/hodd' in the built-in register; "
        "did you mean 'no/hod'? `lettersmith offices` lists them"
    ) in result.output
    assert (
        "recipients.yaml:3: fin.email: the register has no confirmed mailbox for no/fin; "
        "add the address you write to as email:"
    ) in result.output


def test_a_club_uses_the_register_the_same_way(tmp_path):
    root = workspace(tmp_path, "a:\n  title: Minister\n  email: a@example.no\n", to="a")
    (root / "clubs").mkdir()
    (root / "clubs/bergen.yaml").write_text(
        "recipients:\n  bergen-hod:\n    office: no/hod\nletters:\n  brev:\n    to: [bergen-hod]\n",
        encoding="utf-8",
    )
    assert cli(root, "check").exit_code == 0
    assert cli(root, "build", "brev", "--club", "bergen", "--format", "pdf").exit_code == 0
    text = pdf_text(root / "out/clubs/bergen/brev/brev.pdf")
    assert f"{HOD.title} {HOD.holder} {HOD.ministry}" in text


def test_offices_hod_shows_the_health_ministry_with_sources_and_dates(tmp_path):
    with time_machine.travel(dt.datetime(2026, 11, 28), tick=False):
        result = CliRunner().invoke(main, ["offices", "hod"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert f"no/hod: {HOD.title} {HOD.holder} (since {HOD.since})" in result.output
    assert "ministry: Helse- og omsorgsdepartementet" in result.output
    assert f"verified: {HOD.verified}" in result.output
    assert "https://www.regjeringen.no/no/dep/hod/id421/" in result.output
    age = (dt.date(2026, 11, 28) - offices.oldest_verification()).days
    assert f"({age} days ago)" in result.output
    assert "no/jd" not in result.output


def test_offices_without_text_lists_every_office_and_searches_by_name():
    listing = CliRunner().invoke(main, ["offices"])
    assert [line.split("\t")[0] for line in listing.output.splitlines()[:-1]] == list(
        offices.register()
    )
    assert "no/hod" in CliRunner().invoke(main, ["offices", "vestre"]).output
    by_id = CliRunner().invoke(main, ["offices", "kd"]).output
    assert "no/kd:" in by_id and "no/kdd" not in by_id
    assert "no/kdd:" in CliRunner().invoke(main, ["offices", "kommunal"]).output
    missing = CliRunner().invoke(main, ["offices", "nothing-like-this"])
    assert missing.exit_code == 1 and "no office matches" in missing.output


@pytest.mark.parametrize("office", list(offices.register().values()), ids=lambda o: o.id)
def test_every_register_entry_is_sourced_and_dated(office):
    assert office.sources, "every entry names the public source it was checked against"
    if office.holder:
        dated = [source.date for source in office.sources if source.date]
        assert office.verified == max(dated), "verified is the newest source's date"
        assert office.since is None or office.since <= office.verified
    else:
        assert office.verified is None
    if office.email:
        assert email_problem(office.email) is None
        assert any(office.email in source.shows for source in office.sources)
    for line in office.address[:1]:
        assert re.fullmatch(r"Postboks 8\d{3} Dep", line)
    if office.address:
        assert re.fullmatch(r"003\d Oslo", office.address[1]) and len(office.address) == 2
        assert any("Postboks" in source.shows for source in office.sources)


def test_the_foreign_ministry_is_not_given_a_dep_no_mailbox():
    ud = offices.register()["no/ud"]
    assert ud.email is None or not ud.email.endswith("dep.no")


def test_the_example_workspace_uses_office_and_check_names_the_2024_spellings():
    from workspaces import REPO

    text = (REPO / "recipients.yaml").read_text(encoding="utf-8")
    assert re.findall(r"^  office: (no/\w+)$", text, flags=re.MULTILINE) == [
        "no/smk",
        "no/hod",
        "no/jd",
    ]
    result = CliRunner().invoke(main, ["-w", str(REPO), "check"])
    assert result.exit_code == 0, result.output
    assert "hod.name: 'Jan Kristian Vestre' is not the register's holder of no/hod, " in (
        result.output
    )
