"""Loading clubs: a club's file checked like the workspace's, and the workspace as it sees it."""

from pathlib import Path

import pytest

from lettersmith.errors import WorkspaceError
from lettersmith.load import workspace
from lettersmith.load.clubs import club_view
from workspaces import REPO, minimal

PROFILE = """\
organisation:
  name: Testforeningen
  address: [Gata 1, 0001 Oslo]
  logo: assets/logo.svg
language: nb
place: Oslo
signatories:
  leder: {name: Kari Nordmann, title: Styreleder, signature: assets/sign.png}
  kasserer: {name: Per Hansen}
"""

CLUB = """\
name: Testklubben Bergen
place: Bergen
language: nn
organisation:
  email: bergen@example.org
  about: Ein lokal klubb.
signatories:
  leder: {name: Ola Nordmann, title: Klubbleiar}
recipients:
  ordforer:
    title: Ordførar
    email: post@bergen.example.no
    tags: [lokalt]
letters:
  brev:
    to: [ordforer, tag:dep]
    mode: joint
    date: 2025-04-01
    attachments: [assets/vedlegg.pdf]
    append: |
      Bergen legg til dette.
"""


def club_workspace(root: Path, club: str = CLUB, **files: str) -> Path:
    minimal(root, {"lettersmith.yaml": PROFILE, "clubs/bergen.yaml": club, **files})
    (root / "assets").mkdir(exist_ok=True)
    for name in ("logo.svg", "sign.png", "vedlegg.pdf"):
        (root / "assets" / name).write_bytes(b"workspace")
    # A club's attachments come from its own folder only.
    (root / "clubs" / "bergen" / "assets").mkdir(parents=True, exist_ok=True)
    (root / "clubs" / "bergen" / "assets" / "vedlegg.pdf").write_bytes(b"club")
    return root


def problems(root: Path) -> list[str]:
    with pytest.raises(WorkspaceError) as caught:
        workspace.load(root)
    return [str(problem) for problem in caught.value.problems]


def test_the_example_club_sees_its_own_name_people_and_paragraph():
    bergen = club_view(workspace.load(REPO), "bergen")
    assert bergen.club == "bergen"
    assert bergen.organisation.name == "Soroptimist International Bergen"
    assert (bergen.place, bergen.language) == ("Bergen", "nn")
    assert bergen.signatories["president"].name == "Ingrid Haugland"
    assert bergen.recipients["ordforer-bergen"].club == "bergen"
    letter = bergen.letters["menneskehandel-2024"]
    assert letter.to == ("ordforer-bergen", "tag:regjeringen")
    assert letter.append.startswith("Soroptimist International Bergen ber òg")
    assert bergen.out_dir == REPO / "out" / "clubs" / "bergen"


def test_a_club_overrides_what_it_names_and_inherits_the_rest(tmp_path):
    ws = workspace.load(club_workspace(tmp_path))
    root = tmp_path.resolve()
    view = club_view(ws, "bergen")
    organisation = view.organisation
    assert organisation.name == "Testklubben Bergen"
    assert organisation.email == "bergen@example.org" and organisation.about == (
        ("nn", "Ein lokal klubb."),
    )
    assert organisation.address == ("Gata 1", "0001 Oslo")
    assert (view.place, view.language) == ("Bergen", "nn")
    assert view.signatories["leder"].name == "Ola Nordmann"
    assert view.signatories["kasserer"].name == "Per Hansen"
    assert list(view.recipients) == ["a", "b", "c", "ordforer"]
    letter = view.letters["brev"]
    assert (letter.to, letter.mode, str(letter.date)) == (
        ("ordforer", "tag:dep"),
        "joint",
        "2025-04-01",
    )
    assert letter.append == "Bergen legg til dette."
    assert letter.attachments == (root / "clubs" / "bergen" / "assets" / "vedlegg.pdf",)
    assert letter.signatory == "leder" and letter.position == "sak"
    # the workspace itself is untouched
    assert ws.organisation.name == "Testforeningen" and "ordforer" not in ws.recipients
    assert ws.letters["brev"].append is None and ws.club is None


def test_club_templates_and_assets_win_over_the_workspaces(tmp_path):
    club_workspace(tmp_path, **{"lettersmith.yaml": PROFILE + "trusted_clubs: [bergen]\n"})
    for name in ("clubs/bergen/assets/logo.svg", "clubs/bergen/assets/vedlegg.pdf"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"club")
    (tmp_path / "clubs" / "bergen" / "templates").mkdir()
    (tmp_path / "templates").mkdir()
    root = tmp_path.resolve()
    ws = workspace.load(tmp_path)
    view = club_view(ws, "bergen")
    assert view.organisation.logo == root / "clubs" / "bergen" / "assets" / "logo.svg"
    assert view.letters["brev"].attachments == (root / "clubs/bergen/assets/vedlegg.pdf",)
    assert view.signatories["kasserer"].signature is None
    assert ws.organisation.logo == root / "assets" / "logo.svg"
    assert view.template_dirs == (root / "clubs" / "bergen" / "templates", root / "templates")
    assert ws.template_dirs == (root / "templates",)


def test_a_workspace_asset_the_club_has_no_copy_of_is_inherited(tmp_path):
    view = club_view(workspace.load(club_workspace(tmp_path)), "bergen")
    root = tmp_path.resolve()
    assert view.organisation.logo == root / "assets" / "logo.svg"
    assert view.template_dirs == ()


def test_a_club_file_asset_is_looked_up_in_the_club_then_the_workspace(tmp_path):
    club = CLUB.replace("  about: Ein lokal klubb.\n", "  logo: assets/bergen.svg\n")
    club_workspace(tmp_path, club)
    assert problems(tmp_path) == [
        "clubs/bergen.yaml:6: organisation.logo: no file clubs/bergen/assets/bergen.svg or "
        "assets/bergen.svg; put the file there or fix the path"
    ]
    (tmp_path / "clubs" / "bergen" / "assets").mkdir(parents=True, exist_ok=True)
    (tmp_path / "clubs" / "bergen" / "assets" / "bergen.svg").write_text("<svg/>")
    view = club_view(workspace.load(tmp_path), "bergen")
    assert view.organisation.logo == tmp_path.resolve() / "clubs/bergen/assets/bergen.svg"


def test_unknown_club_lists_the_clubs(tmp_path):
    ws = workspace.load(club_workspace(tmp_path))
    with pytest.raises(WorkspaceError) as caught:
        club_view(ws, "bregen")
    assert str(caught.value) == (
        "clubs/bregen.yaml: no club 'bregen'; did you mean 'bergen'? Clubs: bergen"
    )


def test_a_club_recipient_id_taken_by_the_register_names_both_places(tmp_path):
    club = CLUB.replace("  ordforer:\n", "  c:\n").replace("[ordforer,", "[c,")
    assert problems(club_workspace(tmp_path, club)) == [
        "clubs/bergen.yaml:10: recipients.c: the id 'c' is already in the register at "
        "recipients.yaml:11; give the club's recipient another id, such as 'bergen-c'"
    ]


def test_the_adopted_text_is_locked(tmp_path):
    club = CLUB.replace("    mode: joint\n", "    title: Vår tittel\n    body: Vår tekst\n")
    locked = (
        "the adopted text is locked: a club cannot change a position's {}, because it is what "
        "the meeting adopted. Remove this and put the club's own paragraphs under `append:`, "
        "which comes after the adopted text"
    )
    assert problems(club_workspace(tmp_path, club)) == [
        f"clubs/bergen.yaml:17: letters.brev.title: {locked.format('title')}",
        f"clubs/bergen.yaml:18: letters.brev.body: {locked.format('body')}",
    ]


def test_club_recipients_are_checked_like_the_register(tmp_path):
    club = CLUB.replace("post@bergen.example.no", "post@bergen").replace("tags:", "tagss:")
    assert problems(club_workspace(tmp_path, club)) == [
        "clubs/bergen.yaml:12: recipients.ordforer.email: 'post@bergen' is not a valid email "
        "address: The part after the @-sign is not valid. It should have a period.",
        "clubs/bergen.yaml:13: recipients.ordforer.tagss: unknown field; did you mean 'tags'? "
        "Known fields: title, name, organisation, email, address, tags, language, salutation, "
        "their_reference, office, verified",
    ]


def test_club_recipients_and_signatories_must_be_mappings_by_id(tmp_path):
    club = CLUB.replace("  ordforer:\n", "  - ordforer:\n").replace("  leder: {", "  Leder: {")
    assert problems(club_workspace(tmp_path, club)) == [
        "clubs/bergen.yaml:8: signatories.Leder: 'Leder' is not a valid id; use lowercase "
        "letters, digits and '-', starting with a letter or digit",
        "clubs/bergen.yaml:10: recipients: expected a mapping from recipient id to fields",
    ]


def test_every_letter_is_checked_as_each_club_sees_it(tmp_path):
    club = (
        CLUB.replace("[ordforer, tag:dep]", "[ordforer, ordfører, tag:lokal]")
        .replace("    mode: joint\n", "    mode: joint\n    signatory: kasserar\n")
        .replace("  brev:\n", "  brevet: {}\n  brev:\n")
        .replace("place: Bergen\n", "plass: Bergen\n")
    )
    # while the club's file has problems of its own, what it names is not looked up yet
    assert problems(club_workspace(tmp_path, club)) == [
        "clubs/bergen.yaml:2: plass: unknown field; did you mean 'place'? Known fields: "
        "name, place, language, organisation, signatories, recipients, letters, approval, signing",
        "clubs/bergen.yaml:15: letters.brevet: no letters/brevet.yaml; did you mean 'brev'? "
        "Letters: brev",
        "clubs/bergen.yaml:17: letters.brev.to: 'ordfører' is not a valid id; use lowercase "
        "letters, digits and '-', starting with a letter or digit",
    ]
    club = CLUB.replace("[ordforer, tag:dep]", "[ordforar, tag:lokal]").replace(
        "    mode: joint\n", "    mode: joint\n    signatory: kasserar\n"
    )
    assert problems(club_workspace(tmp_path, club)) == [
        "clubs/bergen.yaml:16: letters.brev.to: no recipient 'ordforar'; did you mean "
        "'ordforer'? `lettersmith recipients` lists them",
        "clubs/bergen.yaml:16: letters.brev.to: no recipient has the tag 'lokal'; did you mean "
        "'lokalt'? Tags in use: dep, lokalt",
        "clubs/bergen.yaml:18: letters.brev.signatory: no signatory 'kasserar'; did you mean "
        "'kasserer'? Signatories: leder, kasserer",
    ]


def test_a_club_cannot_name_a_club_recipient_in_the_workspaces_own_letter(tmp_path):
    letter = "position: sak\nto: [ordforer]\nsignatory: leder\n"
    assert problems(club_workspace(tmp_path, **{"letters/brev.yaml": letter})) == [
        "letters/brev.yaml:2: to: no recipient 'ordforer'. `lettersmith recipients` lists them"
    ]


def test_an_empty_club_file_inherits_everything(tmp_path):
    ws = workspace.load(club_workspace(tmp_path, ""))
    view = club_view(ws, "bergen")
    assert view.organisation == ws.organisation and view.letters == ws.letters
    assert view.out_dir == tmp_path.resolve() / "out" / "clubs" / "bergen"


# --------------------------------------------------------------------------- declarations

SHIPPED_FONT = Path(__file__).resolve().parents[1] / "src/lettersmith/data/fonts"


def test_a_club_declares_its_letterhead(tmp_path):
    club = CLUB.replace(
        "  about: Ein lokal klubb.\n",
        "  tagline: Ein klubb i Testforeningen\n"
        '  colour: "#7a1f3d"\n'
        "  font: assets/eigen.ttf\n"
        "  logo: assets/klubb.png\n"
        "  website:\n",
    )
    profile = PROFILE.replace("  logo:", "  website: https://test.example\n  logo:")
    club_workspace(tmp_path, club, **{"lettersmith.yaml": profile})
    assets = tmp_path / "clubs" / "bergen" / "assets"
    (assets / "eigen.ttf").write_bytes((SHIPPED_FONT / "IBMPlexSans-Regular.ttf").read_bytes())
    (assets / "klubb.png").write_bytes(b"club")
    ws = workspace.load(tmp_path)
    organisation = club_view(ws, "bergen").organisation
    root = tmp_path.resolve()
    assert organisation.tagline == "Ein klubb i Testforeningen"
    assert organisation.colour == "#7a1f3d"
    assert organisation.font == root / "clubs" / "bergen" / "assets" / "eigen.ttf"
    assert organisation.logo == root / "clubs" / "bergen" / "assets" / "klubb.png"
    # a field written empty prints none of the union's
    assert ws.organisation.website == "https://test.example" and organisation.website is None
    assert ws.organisation.tagline is None


def test_the_union_may_have_a_tagline_too(tmp_path):
    profile = PROFILE.replace("  logo:", "  tagline: Stiftet 1930\n  logo:")
    ws = workspace.load(club_workspace(tmp_path, "", **{"lettersmith.yaml": profile}))
    assert ws.organisation.tagline == "Stiftet 1930"
    assert club_view(ws, "bergen").organisation.tagline == "Stiftet 1930"


def test_a_club_may_give_its_name_under_organisation_but_only_once(tmp_path):
    club = "organisation:\n  name: Testklubben Nord\n"
    view = club_view(workspace.load(club_workspace(tmp_path, club)), "bergen")
    assert view.organisation.name == "Testklubben Nord"
    club = "name: Testklubben Bergen\norganisation:\n  name: Testklubben Nord\n"
    assert problems(club_workspace(tmp_path, club)) == [
        "clubs/bergen.yaml:3: organisation.name: the club's name is given twice, here and in "
        "name: at line 1; keep one"
    ]


# --------------------------------------------------------------------------- trusted clubs

UNTRUSTED = (
    "clubs/bergen/templates/{}: only a club the union trusts may use its own templates; "
    "add bergen to trusted_clubs: in lettersmith.yaml, or remove the folder and use "
    "organisation: fields (colour, font, logo, tagline)"
)


def club_templates(root: Path, *names: str) -> Path:
    folder = root / "clubs" / "bergen" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("{# the club's own #}\n")
    return folder


def test_an_untrusted_clubs_templates_are_refused(tmp_path):
    club_workspace(tmp_path)
    club_templates(tmp_path, "letter.html.j2", "letter.css", "letter.docx", "README.txt")
    assert problems(tmp_path) == [
        UNTRUSTED.format("letter.css"),
        UNTRUSTED.format("letter.docx"),
        UNTRUSTED.format("letter.html.j2"),
    ]


def test_an_untrusted_clubs_templates_folder_that_is_a_link_is_refused(tmp_path):
    club_workspace(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "letter.html.j2").write_text("{# the union's #}\n")
    (tmp_path / "clubs" / "bergen" / "templates").symlink_to(tmp_path / "templates")
    assert problems(tmp_path) == [
        "clubs/bergen/templates: " + UNTRUSTED.split(": ", 1)[1],
    ]


def test_an_untrusted_club_with_templates_is_left_out_of_other_commands(tmp_path):
    club_workspace(tmp_path)
    club_templates(tmp_path, "letter.html.j2")
    warnings: list[str] = []
    ws = workspace.load(tmp_path, warn=warnings.append)
    assert "bergen" not in ws.clubs
    assert warnings == [
        "warning: clubs/bergen.yaml has problems, so club 'bergen' is left out; "
        "`lettersmith check` shows them"
    ]
    with pytest.raises(WorkspaceError) as caught:
        workspace.load(tmp_path, warn=warnings.append, club="bergen")
    assert str(caught.value) == UNTRUSTED.format("letter.html.j2")


def test_a_trusted_clubs_templates_are_used(tmp_path):
    profile = PROFILE + "trusted_clubs: [bergen]\n"
    club_workspace(tmp_path, **{"lettersmith.yaml": profile})
    folder = club_templates(tmp_path, "letter.html.j2")
    ws = workspace.load(tmp_path)
    assert ws.trusted_clubs == ("bergen",)
    assert club_view(ws, "bergen").template_dirs == (folder.resolve(),)


def test_an_empty_templates_folder_of_an_untrusted_club_is_not_searched(tmp_path):
    club_workspace(tmp_path)
    club_templates(tmp_path, "README.txt", ".DS_Store")
    assert club_view(workspace.load(tmp_path), "bergen").template_dirs == ()


def test_trusted_clubs_must_be_ids_and_a_name_without_a_club_is_a_warning(tmp_path):
    profile = PROFILE + "trusted_clubs: [bergen, bregen, Oslo]\n"
    club_workspace(tmp_path, **{"lettersmith.yaml": profile})
    assert problems(tmp_path) == [
        "lettersmith.yaml:10: trusted_clubs[2]: 'Oslo' is not a valid id; use lowercase "
        "letters, digits and '-', starting with a letter or digit",
    ]
    # A name that is no club trusts nothing: the union's letters are built, check warns.
    club_workspace(tmp_path, **{"lettersmith.yaml": PROFILE + "trusted_clubs: [bergen, bregen]\n"})
    from lettersmith.load.clubs import unknown_trusted_clubs

    assert unknown_trusted_clubs(workspace.load(tmp_path)) == [
        "lettersmith.yaml: warning: trusted_clubs: no club 'bregen' (no clubs/bregen.yaml); did "
        "you mean 'bergen'? Clubs: bergen"
    ]
    club_workspace(tmp_path, **{"lettersmith.yaml": PROFILE + "trusted_clubs: bergen\n"})
    assert workspace.load(tmp_path).trusted_clubs == ("bergen",)  # one, as for other lists
    club_workspace(tmp_path, **{"lettersmith.yaml": PROFILE + "trusted_clubs: {bergen: 1}\n"})
    assert problems(tmp_path) == [
        "lettersmith.yaml:10: trusted_clubs: expected a list of club ids, such as [bergen]"
    ]


def test_the_club_scaffolds_letterhead_block_loads_when_uncommented(tmp_path):
    from lettersmith.scaffold import add_club, new_workspace

    root = tmp_path / "ws"
    new_workspace(root)
    path = add_club(root, "nord")
    lines, block = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        block = line.startswith("# organisation:") or (block and line.startswith("#   "))
        if (block or line.startswith("# place:")) and "font:" not in line:
            line = line[2:]
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    view = club_view(workspace.load(root), "nord")
    assert view.organisation.tagline == "Ein klubb i ..."
    assert view.organisation.colour == "#7a1f3d" and view.organisation.website is None
    assert view.organisation.logo == root.resolve() / "assets" / "logo.svg"
    assert view.template_dirs == (root.resolve() / "templates",)  # the workspace's only
