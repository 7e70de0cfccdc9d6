"""Checking the workspace: every problem at once, each as FILE:LINE: message."""

import datetime as dt
from pathlib import Path

import pytest

from lettersmith.errors import WorkspaceError
from lettersmith.load import workspace
from lettersmith.load.root import find_root
from lettersmith.model import Rate
from workspaces import REPO, minimal

PROFILE = """\
organisation:
  name: Testforeningen
  logo: assets/logo.svg
language: nb
signatories:
  leder: {name: Kari Nordmann, title: Styreleder}
mail:
  from: "Testforeningen <post@example.org>"
  smtp:
    host: smtp.example.org
    security: ssl
  rate: 10/second
"""


def problems(root: Path) -> list[str]:
    with pytest.raises(WorkspaceError) as caught:
        workspace.load(root)
    return [str(problem) for problem in caught.value.problems]


def assert_only_problem(tmp_path: Path, changes: dict[str, str], expected: str) -> None:
    assert problems(minimal(tmp_path, changes)) == [expected]


def test_the_example_workspace_loads_with_its_values():
    ws = workspace.load(REPO)
    assert ws.organisation.name == "Soroptimist International Norgesunionen"
    assert ws.organisation.logo == REPO / "assets" / "logo.svg"
    assert ws.signatories["president"].signature == REPO / "assets" / "signature.png"
    assert list(ws.recipients) == ["smk", "hod", "jd"]
    letter = ws.letters["menneskehandel-2024"]
    assert (letter.position, letter.to, letter.mode) == (
        "menneskehandel-2024",
        ("smk", "hod", "jd"),
        "joint",
    )
    assert letter.date == dt.date(2024, 12, 10)
    position = ws.positions["menneskehandel-2024"]
    assert position.adopted_on == dt.date(2024, 9, 14)
    assert position.body.startswith("Menneskehandel er et stort nasjonalt")
    assert position.body_line == 7
    assert ws.mail.rate == Rate(30, 60.0)
    assert ws.mail.smtp.port == 587
    assert ws.template_dirs == ((REPO / "templates",) if (REPO / "templates").is_dir() else ())


def test_a_small_workspace_loads_with_defaults(tmp_path):
    ws = workspace.load(
        minimal(tmp_path, {"lettersmith.yaml": PROFILE, "assets/logo.svg": "<svg/>"})
    )
    assert ws.place is None and ws.mail.smtp.port == 465 and ws.mail.rate == Rate(10, 1.0)
    assert ws.positions["sak"].language == "nb" and ws.positions["sak"].body_line == 6
    assert ws.letters["brev"].to == ("tag:dep", "c")
    assert ws.template_dirs == ()


def test_strings_stay_as_written(tmp_path):
    recipients = """
        no:
          title: 'NO'
          name: on
          organisation: 1.10
          email: post@no.example.no
          address: [Postboks 1, 0030 Oslo, yes]
    """
    letter = "position: sak\nto: ['no']\nsignatory: leder\n"
    ws = workspace.load(
        minimal(tmp_path, {"recipients.yaml": recipients, "letters/brev.yaml": letter})
    )
    recipient = ws.recipients["no"]
    assert (recipient.title, recipient.name, recipient.organisation) == ("NO", "on", "1.10")
    assert recipient.address == ("Postboks 1", "0030 Oslo", "yes")


BAD_INPUTS = {
    "yaml syntax": (
        {"recipients.yaml": "a:\n  name: [Anne\n  email: a@example.no\n"},
        "recipients.yaml:3: not valid YAML: while parsing a flow sequence expected ',' or ']', "
        "but got ':'; check the indentation and quoting here",
    ),
    "duplicate recipient id": (
        {"recipients.yaml": "c: {name: C, email: c@example.no}\nc: {name: D, email: d@ex.no}\n"},
        "recipients.yaml:2: duplicate key 'c' (first on line 1); "
        "each key may appear only once: rename or remove one of them",
    ),
    "duplicate nested key": (
        {"recipients.yaml": "c:\n  name: C\n  email: c@example.no\n  name: D\n"},
        "recipients.yaml:4: duplicate key 'name' (first on line 2); "
        "each key may appear only once: rename or remove one of them",
    ),
    "unknown field": (
        {"recipients.yaml": "c:\n  name: C\n  adresse: [Gata 1]\n  email: c@example.no\n"},
        "recipients.yaml:3: c.adresse: unknown field; did you mean 'address'? Known fields: "
        "title, name, organisation, email, address, tags, language, salutation, their_reference, "
        "office, verified",
    ),
    "nested too deeply": (
        {"recipients.yaml": "c: " + "[" * 2000 + "]" * 2000 + "\n"},
        "recipients.yaml: nested too deeply to be read; simplify the file",
    ),
    "recipients as a list": (
        {"recipients.yaml": "- c\n- d\n"},
        "recipients.yaml:1: expected a mapping from recipient id to fields",
    ),
    "signatories as a list": (
        {"lettersmith.yaml": PROFILE.replace("  leder: {", "  - {")},
        "lettersmith.yaml:6: signatories: expected a mapping from signatory id to fields",
    ),
    "missing email": (
        {"recipients.yaml": "c:\n  name: C\n"},
        "recipients.yaml:1: c.email: required field is missing; add it",
    ),
    "recipient with no one to address": (
        {"recipients.yaml": "c:\n  email: c@example.no\n"},
        "recipients.yaml:1: c: give at least one of title, name or organisation to address it to",
    ),
    "wrong type": (
        {"recipients.yaml": "c:\n  name: [C, D]\n  email: c@example.no\n"},
        "recipients.yaml:2: c.name: expected text, not a list or mapping",
    ),
    "invalid recipient id": (
        {"recipients.yaml": "C_1:\n  name: C\n  email: c@example.no\n"},
        "recipients.yaml:1: C_1: 'C_1' is not a valid id; "
        "use lowercase letters, digits and '-', starting with a letter or digit",
    ),
    "invalid email": (
        {"recipients.yaml": "c:\n  name: C\n  email: post@@example.no\n"},
        "recipients.yaml:3: c.email: 'post@@example.no' is not a valid email address: "
        "The part after the @-sign contains invalid characters: '@'.",
    ),
    "anchor": (
        {"recipients.yaml": "c: &c\n  name: C\n  email: c@example.no\n"},
        "recipients.yaml:1: anchors and aliases (&name, *name) are not allowed; "
        "write the value out in full",
    ),
    "control character": (
        {"recipients.yaml": 'c:\n  name: "C\\x07"\n  email: c@example.no\n'},
        "recipients.yaml:2: c.name: contains control character U+0007, which is not allowed "
        "here; this field must be a single line",
    ),
    "line break in a name": (
        {"recipients.yaml": 'c:\n  name: "Anne\\nAlfa"\n  email: c@example.no\n'},
        "recipients.yaml:2: c.name: contains a line break, which is not allowed here; "
        "this field must be a single line",
    ),
    "raw control character": (
        {"recipients.yaml": "c:\n  name: C\x01\n  email: c@example.no\n"},
        "recipients.yaml:2: character U+0001 is not allowed; remove it",
    ),
    "language": (
        {"recipients.yaml": "c:\n  name: C\n  email: c@example.no\n  language: NO\n"},
        "recipients.yaml:4: c.language: 'NO' is not one of nb, nn, en",
    ),
    "unknown position": (
        {"letters/brev.yaml": "position: sakk\nto: [c]\nsignatory: leder\n"},
        "letters/brev.yaml:1: position: no positions/sakk.md; did you mean 'sak'? Positions: sak",
    ),
    "unknown recipient": (
        {"letters/brev.yaml": "position: sak\nto: [a, cc]\nsignatory: leder\n"},
        "letters/brev.yaml:2: to: no recipient 'cc'; did you mean 'c'? "
        "`lettersmith recipients` lists them",
    ),
    "unknown tag": (
        {"letters/brev.yaml": "position: sak\nto: [tag:deps]\nsignatory: leder\n"},
        "letters/brev.yaml:2: to: no recipient has the tag 'deps'; did you mean 'dep'? "
        "Tags in use: dep",
    ),
    "unknown signatory": (
        {"letters/brev.yaml": "position: sak\nto: [c]\nsignatory: lederen\n"},
        "letters/brev.yaml:3: signatory: no signatory 'lederen'; did you mean 'leder'? "
        "Signatories: leder",
    ),
    "missing letter field": (
        {"letters/brev.yaml": "position: sak\nto: [c]\n"},
        "letters/brev.yaml:1: signatory: required field is missing; add it",
    ),
    "mode": (
        {"letters/brev.yaml": "position: sak\nto: [c]\nsignatory: leder\nmode: eahc\n"},
        "letters/brev.yaml:4: mode: 'eahc' is not one of joint, each; did you mean 'each'?",
    ),
    "date": (
        {"letters/brev.yaml": "position: sak\nto: [c]\nsignatory: leder\ndate: 10.12.2024\n"},
        "letters/brev.yaml:4: date: '10.12.2024' is not a date; write it as YYYY-MM-DD",
    ),
    "multi-line subject": (
        {"letters/brev.yaml": "position: sak\nto: [c]\nsignatory: leder\nsubject: |\n  a\n  b\n"},
        "letters/brev.yaml:4: subject: contains a line break, which is not allowed here; "
        "this field must be a single line",
    ),
    "missing asset": (
        {"letters/brev.yaml": "position: sak\nto: [c]\nsignatory: leder\nattachments: [x.pdf]\n"},
        "letters/brev.yaml:4: attachments[0]: no file x.pdf; put the file there or fix the path",
    ),
    "asset outside": (
        {"letters/brev.yaml": "position: sak\nto: [c]\nsignatory: leder\nattachments: ../x\n"},
        "letters/brev.yaml:4: attachments: '../x' is outside the workspace; "
        "copy the file into assets/ and write assets/NAME",
    ),
    "absolute asset elsewhere": (
        {"lettersmith.yaml": PROFILE.replace("assets/logo.svg", "/etc/hostname")},
        "lettersmith.yaml:3: organisation.logo: '/etc/hostname' is outside the workspace; "
        "copy the file into assets/ and write assets/NAME",
    ),
    "windows path to a workspace file": (
        {"lettersmith.yaml": PROFILE.replace("assets/logo.svg", '"assets\\\\logo.svg"')},
        "lettersmith.yaml:3: organisation.logo: no file assets\\logo.svg; "
        "write the path with / instead of \\: assets/logo.svg",
    ),
    "windows path outside the workspace": (
        {"lettersmith.yaml": PROFILE.replace("assets/logo.svg", "C:\\Users\\kari\\logo.png")},
        "lettersmith.yaml:3: organisation.logo: no file C:\\Users\\kari\\logo.png; "
        "copy the file into assets/ and write assets/logo.png",
    ),
    "invalid letter id": (
        {"letters/Brev 2.yaml": "position: sak\nto: [c]\nsignatory: leder\n"},
        "letters/Brev 2.yaml: the file name is the id: 'Brev 2' is not a valid id; "
        "use lowercase letters, digits and '-', starting with a letter or digit",
    ),
    "position without adoption": (
        {"positions/sak.md": "---\ntitle: Sak\nadopted_on: 2025-03-01\n---\nTekst.\n"},
        "positions/sak.md:1: adopted_by: required field is missing; add it",
    ),
    "position date": (
        {"positions/sak.md": "---\ntitle: Sak\nadopted_by: X\nadopted_on: 2025-02-30\n---\nT\n"},
        "positions/sak.md:4: adopted_on: '2025-02-30' is not a date: "
        "day 30 does not exist in 2025-02, which has 28 days",
    ),
    "position body control character": (
        {"positions/sak.md": "---\ntitle: S\nadopted_by: X\nadopted_on: 2025-03-01\n---\n\nA\f\n"},
        "positions/sak.md:7: body: contains control character U+000C, which is not allowed here",
    ),
    "mail from two addresses": (
        {
            "lettersmith.yaml": PROFILE.replace(
                '"Testforeningen <post@example.org>"', "a@x.no, b@x.no"
            )
        },
        "lettersmith.yaml:8: mail.from: 'a@x.no, b@x.no' must hold exactly one address; "
        'write one address, such as post@example.org or "Name" <post@example.org>',
    ),
    "unencrypted smtp to a remote host": (
        {"lettersmith.yaml": PROFILE.replace("security: ssl", "security: none")},
        "lettersmith.yaml:11: mail.smtp.security: 'none' sends the password unencrypted, so it is "
        "allowed only to this computer (localhost, 127.0.0.1, ::1), not to 'smtp.example.org'; "
        "use starttls or ssl",
    ),
    "rate": (
        {"lettersmith.yaml": PROFILE.replace("10/second", "10 per day")},
        "lettersmith.yaml:12: mail.rate: '10 per day' is not a rate; write a number of messages "
        "per second, minute or hour, such as 30/minute",
    ),
    "password in a file": (
        {"lettersmith.yaml": PROFILE.replace("security: ssl", "security: ssl\n    password: x")},
        "lettersmith.yaml:12: mail.smtp.password: never write the password in a file; remove it "
        "and set the environment variable LETTERSMITH_SMTP_PASSWORD when you send",
    ),
}


@pytest.mark.parametrize("changes, expected", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_each_bad_input_is_named_with_file_and_line(tmp_path, changes, expected):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.svg").write_text("<svg/>")
    assert problems(minimal(tmp_path, changes)) == [expected]


def test_a_file_that_is_not_utf8_is_named_with_the_line(tmp_path):
    minimal(tmp_path)
    (tmp_path / "recipients.yaml").write_bytes(b"c:\n  name: C\n  title: \xff\n")
    assert problems(tmp_path) == ["recipients.yaml:3: is not UTF-8 text; save it as UTF-8"]


def test_every_problem_is_reported_together(tmp_path):
    changes = {
        "recipients.yaml": "a:\n  name: A\n  email: a@example.no\n  adresse: x\n",
        "letters/brev.yaml": "position: sakk\nto: [a]\nsignatory: lederen\ndate: 2025-1-1\n",
        "letters/annet.yaml": "position: sak\nto: [a]\nmode: both\n",
        "positions/sak.md": "---\ntitle: Sak\nadopted_by: X\n---\nTekst.\n",
    }
    assert problems(minimal(tmp_path, changes)) == [
        "letters/annet.yaml:1: signatory: required field is missing; add it",
        "letters/annet.yaml:3: mode: 'both' is not one of joint, each",
        "letters/brev.yaml:1: position: no positions/sakk.md; did you mean 'sak'? Positions: sak",
        "letters/brev.yaml:3: signatory: no signatory 'lederen'; did you mean 'leder'? "
        "Signatories: leder",
        "letters/brev.yaml:4: date: '2025-1-1' is not a date; write it as YYYY-MM-DD",
        "positions/sak.md:1: adopted_on: required field is missing; add it",
        "recipients.yaml:4: a.adresse: unknown field; did you mean 'address'? Known fields: "
        "title, name, organisation, email, address, tags, language, salutation, their_reference, "
        "office, verified",
    ]


def test_a_missing_workspace_file_is_named(tmp_path):
    (tmp_path / "recipients.yaml").write_text("{}\n")
    assert problems(tmp_path)[0].startswith("lettersmith.yaml: missing in ")


def test_find_root_walks_up_and_says_how_to_start(tmp_path):
    minimal(tmp_path)
    (tmp_path / "letters" / "deep").mkdir()
    assert find_root(tmp_path / "letters" / "deep") == tmp_path.resolve()
    with pytest.raises(WorkspaceError, match=r"lettersmith init DIR.*-w DIR"):
        find_root(Path("/"))


def test_select_recipients_keeps_order_and_drops_duplicates(tmp_path):
    ws = workspace.load(minimal(tmp_path))
    chosen = workspace.select_recipients(ws, ["c", "tag:dep", "a"])
    assert [recipient.id for recipient in chosen] == ["c", "a", "b"]
    with pytest.raises(WorkspaceError) as caught:
        workspace.select_recipients(ws, ["b", "aa", "tag:dpe"])
    assert [str(problem) for problem in caught.value.problems] == [
        "recipients.yaml: no recipient 'aa'; did you mean 'a'? `lettersmith recipients` lists them",
        "recipients.yaml: no recipient has the tag 'dpe'; did you mean 'dep'? Tags in use: dep",
    ]


def test_find_letter_by_id_or_path(tmp_path):
    ws = workspace.load(minimal(tmp_path))
    assert workspace.find_letter(ws, "brev").id == "brev"
    assert workspace.find_letter(ws, str(tmp_path / "letters" / "brev.yaml")).id == "brev"
    assert workspace.find_letter(ws, "letters/brev.yaml").id == "brev"
    with pytest.raises(WorkspaceError, match=r"no letter 'brevet'; did you mean 'brev'\? Letters"):
        workspace.find_letter(ws, "brevet")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2", "::1"])
def test_unencrypted_smtp_is_allowed_to_this_computer(tmp_path, host):
    profile = PROFILE.replace("smtp.example.org", f"'{host}'").replace("ssl", "none")
    ws = workspace.load(minimal(tmp_path, {"lettersmith.yaml": profile, "assets/logo.svg": "x"}))
    assert (ws.mail.smtp.host, ws.mail.smtp.security, ws.mail.smtp.port) == (host, "none", 25)


def test_an_unreadable_folder_is_named_not_a_traceback(tmp_path, monkeypatch):
    root = minimal(tmp_path)
    real_iterdir = Path.iterdir

    def iterdir(self):  # chmod 000 cannot stop root, who runs CI; refuse the way the OS would
        if self.name == "letters":
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    assert problems(root) == ["letters/: cannot be read: Permission denied"]


# --------------------------------------------------------------------------- pictures, clubs


def check_messages(root: Path) -> list[str]:
    from lettersmith.app.check import check
    from lettersmith.errors import LettersmithError

    try:
        check(root)
    except LettersmithError as error:
        return str(error).splitlines()
    return []


GOOD_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
    "rkJggg=="
)
SVG = '<svg xmlns="http://www.w3.org/2000/svg">{}</svg>'


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("logo.png", b"not a picture", "not a picture format lettersmith knows"),
        ("logo.png", bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\0" * 8, ""),
        ("logo.svg", b"<svg", "not a valid SVG file"),
        ("logo.svg", b"<html/>", "not an SVG file"),
        (
            "logo.svg",
            SVG.format('<image href="data:image/png;base64,AAAA"/>').encode(),
            "its image 'data:image/png;base64,AAAA': not a picture format",
        ),
        (
            "logo.svg",
            SVG.format('<image href="gone.png"/>').encode(),
            "its image 'gone.png': the file is missing",
        ),
        (
            "logo.svg",
            SVG.format('<image href="http://x.example/a.png"/>').encode(),
            "its image 'http://x.example/a.png': not a file beside the SVG",
        ),
    ],
)
def test_check_opens_every_picture(tmp_path, name, content, reason):
    root = minimal(tmp_path)
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / name).write_bytes(content)
    [message] = check_messages(root)
    assert message.startswith(f"assets/{name}: cannot read this image: {reason}")


def test_check_passes_good_pictures_and_svg_with_embedded_images(tmp_path):
    root = minimal(tmp_path)
    (root / "assets").mkdir(exist_ok=True)
    import base64

    (root / "assets" / "a.png").write_bytes(base64.b64decode(GOOD_PNG))
    (root / "assets" / "b.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        f'<image xlink:href="data:image/png;base64,{GOOD_PNG}"/><image href="a.png"/></svg>'
    )
    assert check_messages(root) == []


def test_a_clubs_broken_asset_is_named(tmp_path):
    root = minimal(tmp_path)
    (root / "clubs" / "bergen" / "assets").mkdir(parents=True)
    (root / "clubs" / "bergen.yaml").write_text("name: Bergen\nplace: Bergen\n")
    (root / "clubs" / "bergen" / "assets" / "logo.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    [message] = check_messages(root)
    assert message.startswith("clubs/bergen/assets/logo.jpg: cannot read this image: ")


def test_a_club_that_is_only_a_name_is_unfinished(tmp_path):
    root = minimal(tmp_path)
    (root / "clubs").mkdir()
    (root / "clubs" / "oslo.yaml").write_text("name: SI Oslo\n")
    [message] = check_messages(root)
    assert message.startswith("clubs/oslo.yaml: the club is not finished: it has no place and no")
    (root / "clubs" / "oslo.yaml").write_text("name: SI Oslo\nplace: Oslo\n")
    assert check_messages(root) == []


# --------------------------------------------------------------------------- words for YAML


def test_a_tab_in_yaml_says_indent_with_spaces(tmp_path):
    changes = {"recipients.yaml": "a:\n\ttitle: Minister\n"}
    [message] = problems(minimal(tmp_path, changes))
    assert message == "recipients.yaml:2: a tab character; indent with spaces, not tabs"


def test_a_tab_after_a_colon_is_refused_whatever_else_the_file_holds(tmp_path):
    # The fast reading took `title:<TAB>X` and the careful one refused it; an `&` elsewhere in
    # the file chose which one ran.
    for other in ("Casa kommune", "Casa & co"):
        text = f"a:\n  title:\tMinister\n  email: a@example.org\nc:\n  organisation: {other}\n"
        [message] = problems(minimal(tmp_path / other, {"recipients.yaml": text}))
        assert message == (
            "recipients.yaml:2: a tab after 'title:'; YAML needs a space there: "
            "replace the tab with a space"
        )


def test_a_colon_in_a_value_says_put_it_in_quotes(tmp_path):
    position = (
        "---\ntitle: NOU 2024: 4 er ute\nadopted_by: Styret\nadopted_on: 2024-01-01\n---\nTekst\n"
    )
    [message] = problems(minimal(tmp_path, {"positions/sak.md": position}))
    assert message.startswith("positions/sak.md:2: a ': ' inside a value; put the value in quotes")


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        ("2024-13-45", "month 13 does not exist"),
        ("2024-02-30", "day 30 does not exist in 2024-02, which has 29 days"),
        ("2023-02-29", "day 29 does not exist in 2023-02, which has 28 days"),
    ],
)
def test_an_impossible_date_says_what_does_not_exist(tmp_path, date, reason):
    letter = (Path(minimal(tmp_path)) / "letters" / "brev.yaml").read_text()
    root = minimal(tmp_path, {"letters/brev.yaml": letter.replace("2025-03-10", date)})
    messages = problems(root)
    assert any(m.endswith(f"date: '{date}' is not a date: {reason}") for m in messages), messages
