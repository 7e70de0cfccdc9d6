"""`lettersmith build`: the whole pipeline, from the workspace's files to PDF and DOCX in out/."""

import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from lettersmith.compose.resolve import resolve
from lettersmith.load import workspace
from lettersmith.render import build as building
from readback import docx_text, in_order, pdf_text, reference_lines
from workspaces import REPO, copy_example, minimal, write_files

REFERENCE = Path(__file__).parent / "data" / "union-statement-2024.txt"


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """The repository's example workspace, built once for this module."""
    root = copy_example(tmp_path_factory.mktemp("example"))
    result = run(root, "build", "menneskehandel-2024")
    assert result.exit_code == 0, result.output
    return root


def test_the_example_reproduces_the_reference_letter_in_the_pdf(example):
    pdf = example / "out" / "menneskehandel-2024" / "menneskehandel-2024.pdf"
    assert in_order(pdf_text(pdf), reference_lines(REFERENCE)) == []


def test_the_example_reproduces_the_reference_letter_in_the_docx(example):
    docx = example / "out" / "menneskehandel-2024" / "menneskehandel-2024.docx"
    assert in_order(docx_text(docx), reference_lines(REFERENCE)) == []


def test_the_reference_check_would_notice_a_missing_paragraph(example):
    pdf = example / "out" / "menneskehandel-2024" / "menneskehandel-2024.pdf"
    text = pdf_text(pdf).replace("Menneskehandel er definert i Straffeloven", "")
    assert in_order(text, reference_lines(REFERENCE)) == [
        "Menneskehandel er definert i Straffeloven av 2005 § 257."
    ]


def test_a_second_build_leaves_up_to_date_files_alone_and_force_rebuilds(example):
    pdf = example / "out" / "menneskehandel-2024" / "menneskehandel-2024.pdf"
    before = pdf.stat().st_mtime_ns
    result = run(example, "build", "menneskehandel-2024")
    assert "0 written, 2 up to date." in result.output
    assert pdf.stat().st_mtime_ns == before
    result = run(example, "build", "menneskehandel-2024", "--force", "--format", "pdf")
    assert "wrote out/menneskehandel-2024/menneskehandel-2024.pdf" in result.output
    assert pdf.stat().st_mtime_ns != before


def test_each_mode_letters_name_their_own_recipient_and_no_other(tmp_path):
    root = minimal(tmp_path)
    result = run(root, "build", "--jobs", "2")
    assert result.exit_code == 0, result.output
    folder = root / "out" / "brev"
    names = {
        "a": ("Kunnskapsminister Anne Alfa", "postmottak@a.example.no"),
        "b": ("Helseminister Bjørn Beta", "postmottak@b.example.no"),
        "c": ("Casa kommune", "post@c.example.no"),
    }
    for stem, own in names.items():
        others = [part for other, lines in names.items() if other != stem for part in lines]
        for text in (pdf_text(folder / f"{stem}.pdf"), docx_text(folder / f"{stem}.docx")):
            assert all(part in text for part in own)
            assert not any(part in text for part in others)


def test_format_and_to_select_what_is_built(tmp_path):
    root = minimal(tmp_path)
    result = run(root, "build", "brev", "--format", "docx", "--to", "tag:dep")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (root / "out" / "brev").iterdir() if not p.name.startswith("."))
    assert files == ["a.docx", "b.docx"]


def test_a_wrong_format_is_a_usage_error(tmp_path):
    result = run(minimal(tmp_path), "build", "--format", "odt")
    assert result.exit_code == 2
    assert "choose pdf, docx or pdf,docx" in result.output


def test_a_broken_workspace_builds_nothing_and_names_every_problem(tmp_path):
    root = minimal(tmp_path)
    (root / "recipients.yaml").write_text(
        (root / "recipients.yaml").read_text().replace("email: post@c.example.no", "emial: x")
    )
    (root / "letters" / "brev.yaml").write_text(
        "position: finnes-ikke\nto: [a]\nsignatory: leder\n"
    )
    result = CliRunner().invoke(main, ["-w", str(root), "build"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "recipients.yaml:13:" in result.output
    assert "letters/brev.yaml:1:" in result.output
    assert not (root / "out").exists()


def test_a_letter_that_fails_to_render_leaves_no_file(tmp_path):
    root = minimal(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "letter.html.j2").write_text("{{ no_such_thing.attribute }}")
    result = CliRunner().invoke(main, ["-w", str(root), "build", "--format", "pdf"])
    assert result.exit_code == 1
    assert "templates/letter.html.j2:1" in result.output
    assert "Traceback" not in result.output
    folder = root / "out" / "brev"
    assert not folder.exists() or not any(folder.glob("*.pdf"))


def test_init_then_build_works_out_of_the_box(tmp_path):
    root = tmp_path / "forening"
    assert run(tmp_path, "init", str(root)).exit_code == 0
    assert run(root, "check").exit_code == 0
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    text = pdf_text(root / "out" / "eksempel" / "eksempel.pdf")
    assert "Eksempelforeningen vedtok på Årsmøtet 1. mars 2025 følgende uttalelse:" in text


def test_init_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x.txt").write_text("mine")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert "the folder is not empty" in result.output


def test_the_repository_example_passes_check():
    result = CliRunner().invoke(main, ["-w", str(REPO), "check"])
    assert result.exit_code == 0, result.output
    assert "ok: 1 positions, 1 letters, 3 recipients, 1 clubs." in result.output


def test_a_letter_or_format_named_twice_is_built_once(tmp_path):
    root = minimal(tmp_path)
    result = run(root, "build", "brev", "letters/brev.yaml", "--format", "pdf,pdf", "--to", "a")
    assert result.exit_code == 0, result.output
    assert result.output.count("wrote out/brev/a.pdf") == 1
    assert "1 written, 0 up to date." in result.output


def test_a_file_that_cannot_be_written_is_named_without_a_traceback(tmp_path):
    root = minimal(tmp_path)
    (root / "out").mkdir()
    (root / "out" / "brev").write_text("a file where the letter's folder goes")
    result = CliRunner().invoke(main, ["-w", str(root), "build", "--to", "a", "--jobs", "1"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        "out/brev/a.pdf: cannot be written: File exists; check that you may write" in result.output
    )
    assert "out/brev/a.docx: cannot be written:" in result.output


def test_ctrl_c_stops_a_parallel_build_without_building_the_rest(tmp_path):
    people = "".join(f"p{i}: {{name: Person {i}, email: p{i}@example.no}}\n" for i in range(12))
    root = minimal(tmp_path)
    write_files(root, {"recipients.yaml": people})
    everyone = ", ".join(f"p{i}" for i in range(12))
    brev = f"position: sak\nto: [{everyone}]\nmode: each\nsignatory: leder\n"
    # A field that grows with the address: each letter is laid out whole, a third of a
    # second each (stamped letters take a millisecond: all would be done before the stop).
    growing = (
        '{% extends "builtin/letter.html.j2" %}\n'
        "{% block style %}{{ super() }} .address-row, .address-field { height: auto; }"
        "{% endblock %}\n"
    )
    write_files(root, {"letters/brev.yaml": brev, "templates/letter.html.j2": growing})
    jobs = building.plan([resolve(workspace.load(root), "brev")], formats=("pdf",))
    assert len(jobs) == 12

    def press_ctrl_c(outcome):  # as the terminal does, once the first file is done
        os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        building.build(jobs, workers=2, on_done=press_ctrl_c)
    folder = root / "out" / "brev"
    written = [p for p in folder.iterdir() if p.suffix == ".pdf"]
    assert 1 <= len(written) < 12, "the files not yet started are dropped"
    assert not list(folder.glob("*.part")), "no half-written file"


def test_what_a_stopped_build_made_is_not_made_again(tmp_path):
    """The records of what each file was made from survive a Ctrl-C: the next build makes
    only what is missing, and a file deleted by hand is made again."""
    root = minimal(tmp_path)
    jobs = building.plan([resolve(workspace.load(root), "brev")])
    assert len(jobs) == 6
    made = []

    def stop_after_two(outcome):
        made.append(outcome.path)
        if len(made) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        building.build(jobs, workers=1, on_done=stop_after_two)
    again = run(root, "build", "--jobs", "1")
    assert "4 written, 2 up to date." in again.output
    assert all(f"wrote out/brev/{path.name}" not in again.output for path in made)
    made[0].unlink()
    once_more = run(root, "build", "--jobs", "1")
    assert f"wrote out/brev/{made[0].name}" in once_more.output
    assert "1 written, 5 up to date." in once_more.output


def test_a_damaged_record_of_fingerprints_only_makes_the_files_again(tmp_path):
    root = minimal(tmp_path)
    assert run(root, "build", "--jobs", "1").exit_code == 0
    records = root / "out" / "brev" / building.FINGERPRINTS
    assert records.is_file()
    records.write_text("{not json", encoding="utf-8")
    jobs = building.plan([resolve(workspace.load(root), "brev")])
    outcomes = building.build(jobs, workers=1)
    assert all(outcome.built and not outcome.error for outcome in outcomes)
    assert not any(outcome.built for outcome in building.build(jobs, workers=1))


def test_to_never_readdresses_a_joint_letter(tmp_path):
    root = copy_example(tmp_path)
    result = run(root, "build", "menneskehandel-2024", "--format", "pdf", "--to", "hod")
    assert result.exit_code == 0, result.output
    text = pdf_text(root / "out" / "menneskehandel-2024" / "menneskehandel-2024.pdf")
    for minister in ("Jonas Gahr Støre", "Jan Kristian Vestre", "Emilie Enger Mehl"):
        assert minister in text, "a joint letter built with --to is still addressed to all"
