"""Resolve: the override order for every pair of levels, and what the revision notices."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.compose import resolve as resolving
from lettersmith.compose import revision as revisions
from lettersmith.compose.resolve import OVERRIDE_ORDER, Overrides, resolve
from lettersmith.load.workspace import load
from workspaces import MINIMAL, write_files

# The contract's order (DESIGN.md), lowest first; written here, not read from the code.
CONTRACT = ("built-in", "lettersmith.yaml", "club", "letter", "club letter", "command line")

# Which levels can set which field, and a value each level writes (all different).
VALUES: dict[str, dict[str, object]] = {
    "place": {
        "lettersmith.yaml": "Oslo",
        "club": "Bergen",
        "letter": "Halden",
        "club letter": "Stord",
        "command line": "Tromsø",
    },
    "date": {
        "built-in": dt.date(2025, 1, 2),  # "today", as resolve is told
        "letter": dt.date(2025, 2, 3),
        "club letter": dt.date(2025, 3, 4),
        "command line": dt.date(2025, 4, 5),
    },
    "signatory": {
        "letter": "leder",
        "club letter": "nestleder",
        "command line": "kasserer",
    },
    "language": {
        "built-in": "nb",
        "lettersmith.yaml": "nn",
        "club": "en",
        "letter": "nn",
        "club letter": "en",
        "command line": "nn",
    },
}
PAIRS = [
    (name, low, high)
    for name, levels in VALUES.items()
    for low, high in itertools.combinations(CONTRACT, 2)
    if low in levels and high in levels and levels[low] != levels[high]
]


def _workspace(root: Path, name: str, levels: dict[str, object]) -> Path:
    """A workspace where only ``levels`` set field ``name`` (the letter always names a signer)."""

    def line(level: str) -> str:
        value = levels.get(level)
        return "" if value is None else f"{name}: {value}\n"

    profile = (
        "organisation: {name: Testforeningen}\n"
        + line("lettersmith.yaml")
        + "signatories:\n"
        + "".join(f"  {s}: {{name: Person {s}}}\n" for s in ("leder", "nestleder", "kasserer"))
    )
    letter = "position: sak\nto: [a, b]\n" + line("letter")
    if name != "signatory" or "letter" not in levels:
        letter += "signatory: leder\n"
    club = "name: Klubben\n" + line("club")
    if "club letter" in levels:
        club += f"letters:\n  brev:\n    {line('club letter')}"
    files = {
        **MINIMAL,
        "lettersmith.yaml": profile,
        "letters/brev.yaml": letter,
        "clubs/klubb.yaml": club,
    }
    return write_files(root, files)


@pytest.mark.parametrize(("name", "low", "high"), PAIRS, ids=lambda v: str(v))
def test_the_higher_level_wins_for_every_pair(tmp_path, name, low, high):
    levels = {low: VALUES[name][low], high: VALUES[name][high]}
    ws = load(_workspace(tmp_path, name, {k: v for k, v in levels.items() if k != "built-in"}))
    cli = levels.pop("command line", None)
    overrides = Overrides(**{name: cli}) if cli is not None else Overrides()
    mailing = resolve(
        ws,
        "brev",
        club="klubb",
        overrides=overrides,
        today=VALUES["date"]["built-in"],  # type: ignore[arg-type]
        sent_date=lambda *_: None,
    )
    value = {
        "place": mailing.place,
        "date": mailing.date,
        "signatory": mailing.signatory.id,
        "language": mailing.language,
    }[name]
    assert value == VALUES[name][high]
    assert mailing.origins[name] == ("built-in" if high == "built-in" else high)
    letter = mailing.letters[0]
    shown = {
        "place": letter.date_line.split(",")[0],
        "date": letter.date,
        "signatory": letter.signature.name,
        "language": letter.language,
    }[name]
    expected = VALUES[name][high]
    assert shown == (f"Person {expected}" if name == "signatory" else expected)


def test_the_order_is_declared_once_and_every_field_is_tested():
    assert OVERRIDE_ORDER == CONTRACT
    assert set(VALUES) == set(resolving.OVERRIDABLE)
    for name in VALUES:  # every pair of the levels that can set the field
        settable = [level for level in OVERRIDE_ORDER if level in VALUES[name]]
        tested = {(low, high) for n, low, high in PAIRS if n == name}
        distinct = {
            (a, b)
            for a, b in itertools.combinations(settable, 2)
            if VALUES[name][a] != VALUES[name][b]
        }
        assert tested == distinct


def test_the_unions_letter_beats_the_clubs_top_level_and_the_clubs_letter_entry_beats_both(
    tmp_path,
):
    ws = load(_workspace(tmp_path, "place", {"club": "Stord", "letter": "Halden"}))
    assert resolve(ws, "brev", club="klubb").place == "Halden"
    ws = load(
        _workspace(
            tmp_path / "b", "place", {"club": "Stord", "letter": "Halden", "club letter": "Voss"}
        )
    )
    assert resolve(ws, "brev", club="klubb").place == "Voss"


def test_check_and_diff_say_when_the_unions_letter_outranks_the_clubs_own_place(tmp_path):
    root = _workspace(tmp_path, "place", {"club": "Stord", "letter": "Halden"})
    result = CliRunner().invoke(main, ["-w", str(root), "check"])
    assert result.exit_code == 0, result.output
    assert (
        "clubs/klubb.yaml: warning: place: Stord is not used in brev, because "
        "letters/brev.yaml sets place: Halden" in result.output
    )
    assert "set letters.brev.place: Stord in clubs/klubb.yaml" in result.output
    diff = CliRunner().invoke(main, ["-w", str(root), "diff", "brev", "--club", "klubb"])
    assert "not used: clubs/klubb.yaml: place: Stord is not used in brev" in diff.output
    quiet = _workspace(tmp_path / "b", "place", {"club": "Stord"})
    result = CliRunner().invoke(main, ["-w", str(quiet), "check"])
    assert result.exit_code == 0 and "warning" not in result.output


def test_an_unknown_signatory_on_the_command_line_is_refused(tmp_path):
    ws = load(_workspace(tmp_path, "place", {}))
    with pytest.raises(Exception, match="no signatory 'sjef'"):
        resolve(ws, "brev", overrides=Overrides(signatory="sjef"))


# --------------------------------------------------------------------------- revision


def _revision(root: Path, **kwargs) -> str:
    return resolve(load(root), "brev", sent_date=lambda *_: None, **kwargs).revision


def test_the_revision_ignores_the_renderer_version_and_the_machine(tmp_path, monkeypatch):
    first = write_files(tmp_path / "one", MINIMAL)
    before = _revision(first)
    monkeypatch.setattr("lettersmith.__version__", "99.0.0")
    monkeypatch.setattr("weasyprint.__version__", "999", raising=False)
    assert _revision(first) == before
    other_machine = write_files(tmp_path / "somewhere" / "else", MINIMAL)  # another folder
    assert _revision(other_machine) == before


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("a word of the body", ("positions/sak.md", "Dette er uttalelsen.", "Dette er vedtaket.")),
        ("the date", ("letters/brev.yaml", "date: 2025-03-10", "date: 2025-03-11")),
        ("an address", ("recipients.yaml", "post@c.example.no", "post@c2.example.no")),
        ("the place", ("lettersmith.yaml", "place: Oslo", "place: Bergen")),
        ("the signatory", ("lettersmith.yaml", "Kari Nordmann", "Kari Nordkvinne")),
    ],
)
def test_the_revision_changes_with_what_the_reader_sees(tmp_path, what, change):
    root = write_files(tmp_path, MINIMAL)
    before = _revision(root)
    name, old, new = change
    path = root / name
    assert old in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    assert _revision(root) != before, what


def test_the_revision_changes_with_an_attachments_contents_and_a_templates(tmp_path):
    root = write_files(tmp_path, MINIMAL)
    (root / "assets").mkdir()
    (root / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4 first")
    letter = root / "letters" / "brev.yaml"
    letter.write_text(letter.read_text() + "attachments: [assets/vedlegg.pdf]\n")
    before = _revision(root)
    (root / "assets" / "vedlegg.pdf").write_bytes(b"%PDF-1.4 second")
    after_attachment = _revision(root)
    assert after_attachment != before
    (root / "templates").mkdir()
    (root / "templates" / "letter.css").write_text("body { color: black }\n")
    assert _revision(root) != after_attachment


def test_the_revision_does_not_change_with_the_files_mtime_or_out(tmp_path):
    root = write_files(tmp_path, MINIMAL)
    before = _revision(root)
    (root / "out" / "brev").mkdir(parents=True)
    (root / "out" / "brev" / "a.pdf").write_bytes(b"other bytes")
    (root / "positions" / "sak.md").touch()
    assert _revision(root) == before


def test_to_selects_recipients_and_never_changes_the_letter(tmp_path):
    brev = "position: sak\nto: [a, b, c]\nmode: joint\nsignatory: leder\n"
    ws = load(write_files(tmp_path, {**MINIMAL, "letters/brev.yaml": brev}))
    whole = resolve(ws, "brev", sent_date=lambda *_: None)
    some = resolve(ws, "brev", selectors=["b"], sent_date=lambda *_: None)
    assert some.selected == ("b",)
    assert [a.id for a in some.letters[0].addressees] == ["a", "b", "c"]
    assert some.revision == whole.revision


def test_renaming_a_recipient_id_keeps_every_revision(tmp_path):
    root = write_files(tmp_path, MINIMAL)
    before = resolve(load(root), "brev", sent_date=lambda *_: None)
    for name, old, new in [
        ("recipients.yaml", "\nc:", "\ncasa:"),
        ("letters/brev.yaml", ", c]", ", casa]"),
    ]:
        path = root / name
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    after = resolve(load(root), "brev", sent_date=lambda *_: None)
    assert after.revision == before.revision
    assert after.revision_for("casa") == before.revision_for("c")


def test_the_revision_is_the_hash_of_the_letter_written_out_as_json(tmp_path):
    """A mailing's shared body is written out once for all its letters; the hash must stay
    the one a journal recorded before (the whole letter as one JSON text, keys sorted)."""
    import dataclasses
    import hashlib
    import json

    root = write_files(tmp_path, MINIMAL)
    mailing = resolve(load(root), "brev", sent_date=lambda *_: None)
    letter = mailing.letters[0]
    body = [{"kind": type(b).__name__, **dataclasses.asdict(b)} for b in letter.body]
    data = {"mode": "each", "body": body, "title": letter.title, "none": None}
    plain = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    shortcut = dict(data, body=revisions.blocks_json(letter.body))
    for _ in range(2):  # the second time from what was written out the first
        assert revisions.digest(shortcut) == hashlib.sha256(plain.encode()).hexdigest()
