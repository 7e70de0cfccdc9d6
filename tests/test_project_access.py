"""Every public ``Project`` verb × every role: allowed calls work, the others raise
``NotAllowed`` and change no file (the workspace, ``out/`` and ``.lettersmith/`` alike).

The verbs are found by introspection: a new verb without a decision here fails
``test_every_public_verb_has_a_decision``. The decisions are written out as sets of roles,
not asked of ``access.allowed``, so a change to the table shows up here as a change of rule.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lettersmith import Project
from lettersmith.app.access import Account, Action, NotAllowed
from lettersmith.errors import LettersmithError
from workspaces import minimal

ROLES: dict[str, Account | None] = {
    "computer": None,  # no account: the workspace's own computer
    "admin": Account("anne", "admin"),
    "secretary": Account("siri", "secretary"),
    "board": Account("bodil", "board"),
    "bergen": Account("berit", "club:bergen"),
}
EVERYONE = frozenset(ROLES)
NOT_BERGEN = EVERYONE - {"bergen"}  # the union's roles: on another club's things
WORKERS = frozenset({"computer", "admin", "secretary"})  # edit, build, send the union's
BERGEN_WORKERS = WORKERS | {"bergen"}  # ... and Bergen on its own
APPROVERS = frozenset({"computer", "board"})
# Taking the union's whole register away as a spreadsheet: the union's roles, and a club too
# until the web's rules (Action.SEE_REGISTER, branch i21-authz) close it to clubs.
REGISTER_TAKERS = NOT_BERGEN if hasattr(Action, "SEE_REGISTER") else EVERYONE

CLUB = """
    name: Klubb {name}
    place: {name}
    signatories:
      leder: {{name: Leder {name}, title: Klubbleder}}
    recipients:
      kommune-{id}: {{organisation: {name} kommune, email: post@{id}.example.no}}
    letters:
      brev:
        to: [kommune-{id}]
"""
MAIL = """
    organisation:
      name: Testforeningen
    language: nb
    place: Oslo
    signatories:
      leder: {name: Kari Nordmann, title: Styreleder}
    mail:
      from: "Testforeningen <post@test.example.no>"
      smtp: {host: 127.0.0.1, port: 9, security: none}
"""


@dataclass(frozen=True)
class Env:
    root: Path
    outside: Path  # a folder outside the workspace (exports, spreadsheets)


@dataclass(frozen=True)
class Case:
    call: Callable[[Project, Env], object]
    allowed: frozenset[str]
    # Calls that need a service the test does not run (IMAP): allowed, they may still fail,
    # but never with NotAllowed.
    external: bool = False
    setup: Callable[[Env], object] | None = None  # run as no account, before the snapshot


def _version(project: Project, kind: str, item: str | None = None) -> str:
    return Project(project.root).read_source(kind, item).version


def _spreadsheet(env: Env) -> Path:
    path = env.outside / "nye.csv"
    path.write_text("id;organisation;email\nd;Dalen kommune;post@d.example.no\n", encoding="utf-8")
    return path


def _upload_token(project: Project, env: Env) -> str:
    return (
        Project(project.root).receive_spreadsheet("nye.csv", _spreadsheet(env).read_bytes()).token
    )


POSITION_TEXT = "---\ntitle: Sak\nadopted_by: Årsmøtet\nadopted_on: 2025-03-01\n---\nNy tekst.\n"

CASES: dict[str, Case] = {
    # reading
    "workspace[union]": Case(lambda p, e: p.workspace(), EVERYONE),
    "workspace[bergen]": Case(lambda p, e: p.workspace("bergen"), EVERYONE),
    "workspace[oslo]": Case(lambda p, e: p.workspace("oslo"), NOT_BERGEN),
    "mailing[union]": Case(lambda p, e: p.mailing("brev"), EVERYONE),
    "mailing[bergen]": Case(lambda p, e: p.mailing("brev", club="bergen"), EVERYONE),
    "mailing[oslo]": Case(lambda p, e: p.mailing("brev", club="oslo"), NOT_BERGEN),
    "check": Case(lambda p, e: p.check(), EVERYONE),
    "overview": Case(lambda p, e: p.overview(), EVERYONE),
    "recipients[union]": Case(lambda p, e: p.recipients(), EVERYONE),
    "recipients[bergen]": Case(lambda p, e: p.recipients(club="bergen"), EVERYONE),
    "recipients[oslo]": Case(lambda p, e: p.recipients(club="oslo"), NOT_BERGEN),
    "export_recipients[union]": Case(
        lambda p, e: p.export_recipients(e.outside / "r.csv"), REGISTER_TAKERS
    ),
    "export_recipients[oslo]": Case(
        lambda p, e: p.export_recipients(e.outside / "r.csv", club="oslo"), NOT_BERGEN
    ),
    "read_source[position]": Case(lambda p, e: p.read_source("position", "sak"), EVERYONE),
    "read_source[letter]": Case(lambda p, e: p.read_source("letter", "brev"), EVERYONE),
    "read_source[recipients]": Case(lambda p, e: p.read_source("recipients"), EVERYONE),
    "read_source[bergen]": Case(lambda p, e: p.read_source("club", "bergen"), EVERYONE),
    "read_source[oslo]": Case(lambda p, e: p.read_source("club", "oslo"), NOT_BERGEN),
    "file_problems[letter]": Case(lambda p, e: p.file_problems("letter", "brev"), EVERYONE),
    "file_problems[bergen]": Case(lambda p, e: p.file_problems("club", "bergen"), EVERYONE),
    "file_problems[oslo]": Case(lambda p, e: p.file_problems("club", "oslo"), NOT_BERGEN),
    "verify": Case(lambda p, e: p.verify([]), EVERYONE),
    "diff[bergen]": Case(lambda p, e: p.diff("brev", club="bergen"), EVERYONE),
    "diff[oslo]": Case(lambda p, e: p.diff("brev", club="oslo"), NOT_BERGEN),
    "status[union]": Case(lambda p, e: p.status("brev"), EVERYONE),
    "status[bergen]": Case(lambda p, e: p.status("brev", club="bergen"), EVERYONE),
    "status[oslo]": Case(lambda p, e: p.status("brev", club="oslo"), NOT_BERGEN),
    "status[mark-arrived]": Case(
        lambda p, e: p.status("brev", mark_arrived=["a"]), WORKERS, external=True
    ),  # allowed, it is refused for a message whose outcome is known: the journal's rule
    "audit[all]": Case(lambda p, e: p.audit(), EVERYONE),
    "audit[letter]": Case(lambda p, e: p.audit("brev"), EVERYONE),
    "audit[bergen]": Case(lambda p, e: p.audit("brev", club="bergen"), EVERYONE),
    "audit[oslo]": Case(lambda p, e: p.audit(club="oslo"), NOT_BERGEN),
    "export_audit[all]": Case(lambda p, e: p.export_audit(io.StringIO()), EVERYONE),
    "export_audit[oslo]": Case(lambda p, e: p.export_audit(io.StringIO(), club="oslo"), NOT_BERGEN),
    # looking at a letter: pictures, the review (the board reads it to approve)
    "preview[union]": Case(lambda p, e: p.preview("brev", dpi=30), EVERYONE),
    "preview[oslo]": Case(lambda p, e: p.preview("brev", club="oslo", dpi=30), NOT_BERGEN),
    "review[bergen]": Case(lambda p, e: p.review("brev", club="bergen"), EVERYONE),
    "review[oslo]": Case(lambda p, e: p.review("brev", club="oslo"), NOT_BERGEN),
    "review_page[union]": Case(lambda p, e: p.review_page("brev"), EVERYONE),
    "review_page[oslo]": Case(lambda p, e: p.review_page("brev", club="oslo"), NOT_BERGEN),
    # building
    "build[union]": Case(lambda p, e: p.build(["brev"], formats="pdf", jobs=1), WORKERS),
    "build[bergen]": Case(
        lambda p, e: p.build(["brev"], club="bergen", formats="pdf", jobs=1), BERGEN_WORKERS
    ),
    "build[oslo]": Case(
        lambda p, e: p.build(["brev"], club="oslo", formats="pdf", jobs=1), WORKERS
    ),
    # approving
    "approve[union]": Case(lambda p, e: p.approve("brev", by=_by(p)), APPROVERS),
    "approve[bergen]": Case(lambda p, e: p.approve("brev", by=_by(p), club="bergen"), APPROVERS),
    # sending and the inbox
    "send[union]": Case(lambda p, e: p.send("brev", dry_run=True), WORKERS),
    "send[bergen]": Case(lambda p, e: p.send("brev", club="bergen", dry_run=True), BERGEN_WORKERS),
    "send[oslo]": Case(lambda p, e: p.send("brev", club="oslo", dry_run=True), WORKERS),
    "inbox[bergen]": Case(lambda p, e: p.inbox(club="bergen"), BERGEN_WORKERS, external=True),
    "inbox[union]": Case(lambda p, e: p.inbox(), WORKERS, external=True),
    "check_inbox[bergen]": Case(
        lambda p, e: p.check_inbox(club="bergen"), BERGEN_WORKERS, external=True
    ),
    "check_inbox[oslo]": Case(lambda p, e: p.check_inbox(club="oslo"), WORKERS, external=True),
    "journal_rebuild": Case(lambda p, e: p.journal_rebuild(), WORKERS),
    # a copy of everything: every club's files (and, once there are accounts, their hashes)
    "backup": Case(lambda p, e: p.backup(e.outside / "kopi"), frozenset({"computer", "admin"})),
    # changing the union's files
    "save_position": Case(
        lambda p, e: p.save_position(
            "sak",
            {"title": "Ny tittel"},
            "Ny tekst.",
            expected_version=_version(p, "position", "sak"),
        ),
        WORKERS,
    ),
    "save_letter": Case(
        lambda p, e: p.save_letter(
            "brev", {"date": "2025-04-01"}, expected_version=_version(p, "letter", "brev")
        ),
        WORKERS,
    ),
    "save_recipient": Case(
        lambda p, e: p.save_recipient(
            "c", {"email": "ny@c.example.no"}, expected_version=_version(p, "recipients")
        ),
        WORKERS,
    ),
    "remove_recipient": Case(
        lambda p, e: p.remove_recipient("b", expected_version=_version(p, "recipients")),
        WORKERS,
    ),
    "add_offices": Case(
        lambda p, e: p.add_offices(["no/hod"], expected_version=_version(p, "recipients")),
        WORKERS,
    ),
    "add_club": Case(lambda p, e: p.add_club("tromso"), WORKERS),
    "save_attachment": Case(lambda p, e: p.save_attachment("vedlegg.txt", b"Vedlegg\n"), WORKERS),
    "plan_import": Case(lambda p, e: p.plan_import(_spreadsheet(e)), WORKERS),
    "import_recipients": Case(lambda p, e: p.import_recipients(_spreadsheet(e)), WORKERS),
    "receive_spreadsheet": Case(
        lambda p, e: p.receive_spreadsheet("nye.csv", _spreadsheet(e).read_bytes()), WORKERS
    ),
    "uploaded_spreadsheet": Case(lambda p, e: p.uploaded_spreadsheet(_upload_token(p, e)), WORKERS),
    "preview_draft": Case(lambda p, e: p.preview_draft("sak", POSITION_TEXT, dpi=30), WORKERS),
    # changing a club's file
    "save_club[bergen]": Case(
        lambda p, e: p.save_club(
            "bergen", {"place": "Bergen sentrum"}, expected_version=_version(p, "club", "bergen")
        ),
        BERGEN_WORKERS,
    ),
    "save_club[oslo]": Case(
        lambda p, e: p.save_club(
            "oslo", {"place": "Oslo sentrum"}, expected_version=_version(p, "club", "oslo")
        ),
        WORKERS,
    ),
}
# Not verbs on the workspace: how a Project is made and asked about its account.
NOT_VERBS = {"open", "acting_as", "allowed"}

# The accounts' own verbs (app/accounts.py): managing others' accounts is an admin's.
ADMINS = frozenset({"computer", "admin"})
PASSWORD = "et langt passord"


def _account(env: Env) -> object:
    return Project(env.root).add_user("gammel", "board", PASSWORD)


CASES.update(
    {
        "users": Case(lambda p, e: p.users(), ADMINS),
        "user_details": Case(lambda p, e: p.user_details(), ADMINS),
        "user": Case(lambda p, e: p.user("gammel"), ADMINS, setup=_account),
        "check_new_user": Case(lambda p, e: p.check_new_user("ny", "club:bergen"), ADMINS),
        "add_user": Case(lambda p, e: p.add_user("ny", "board", PASSWORD), ADMINS),
        "remove_user": Case(lambda p, e: p.remove_user("gammel"), ADMINS, setup=_account),
        "set_password": Case(
            lambda p, e: p.set_password("gammel", "et nytt langt passord"),
            ADMINS,
            setup=_account,
        ),
    }
)
# The way in, asked before anyone is known (logging in, sessions), or about oneself.
NOT_VERBS |= {
    "has_accounts", "has_admin", "log_in", "approver", "start_session", "find_session",
    "end_session", "set_session_language", "change_own_password",
}  # fmt: skip


def _by(project: Project) -> str | None:
    return None if project.account else "Kari Nordmann"


def public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(Project)
        if not name.startswith("_") and callable(member)
    }


def test_every_public_verb_has_a_decision() -> None:
    decided = {name.split("[")[0] for name in CASES} | NOT_VERBS
    assert public_methods() - decided == set(), "a verb of Project without a rule here"
    assert decided - public_methods() == set(), "a rule here for a verb Project no longer has"


@pytest.fixture
def env(tmp_path: Path) -> Env:
    files = {"lettersmith.yaml": MAIL}
    for club in ("bergen", "oslo"):
        files[f"clubs/{club}.yaml"] = CLUB.format(id=club, name=club.capitalize())
    root = minimal(tmp_path / "ws", files)
    outside = tmp_path / "outside"
    outside.mkdir()
    return Env(root, outside)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the workspace (out/ and .lettersmith/ too) and its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES)
def test_each_verb_for_each_role(env: Env, case: str, role: str) -> None:
    project = Project.open(env.root).acting_as(ROLES[role])
    rule = CASES[case]
    if rule.setup is not None:
        rule.setup(env)
    if role not in rule.allowed:
        before = snapshot(env.root)
        with pytest.raises(NotAllowed, match=r"may not do this|may approve only"):
            rule.call(project, env)
        assert snapshot(env.root) == before, "a refused call changed a file"
        return
    try:
        rule.call(project, env)
    except NotAllowed as refused:
        pytest.fail(f"{role} was refused {case}: {refused}")
    except LettersmithError:
        if not rule.external:
            raise


def test_a_club_account_is_shown_no_other_club(env: Env) -> None:
    bergen = Project.open(env.root).acting_as(ROLES["bergen"])
    assert set(bergen.workspace().clubs) == {"bergen"}
    assert set(bergen.workspace("bergen").clubs) == {"bergen"}
    assert set(bergen.mailing("brev").workspace.clubs) == {"bergen"}
    assert set(Project.open(env.root).workspace().clubs) == {"bergen", "oslo"}
    states = [(s.letter_id, s.club) for s in bergen.overview()]
    assert states == [("brev", None), ("brev", "bergen")]
    assert ("brev", "oslo") in [(s.letter_id, s.club) for s in Project.open(env.root).overview()]


def test_a_club_accounts_check_is_not_stopped_by_another_clubs_problems(env: Env) -> None:
    (env.root / "clubs" / "oslo.yaml").write_text("name: Oslo\nsignatories: 5\n")
    with pytest.raises(LettersmithError, match="clubs/oslo.yaml:2: signatories"):
        Project.open(env.root).check()
    checked = Project.open(env.root).acting_as(ROLES["bergen"]).check()
    assert checked.clubs == 1 and not any("oslo" in text for text in checked.warnings)
    (env.root / "clubs" / "bergen.yaml").write_text("name: Bergen\nsignatories: 5\n")
    with pytest.raises(LettersmithError, match="clubs/bergen.yaml:2: signatories") as raised:
        Project.open(env.root).acting_as(ROLES["bergen"]).check()
    assert "oslo" not in str(raised.value)
