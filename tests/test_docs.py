"""The README and --help are what users read: every command and option is in both."""

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lettersmith.cli import main
from readback import pdf_text
from workspaces import REPO, copy_example

README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_the_first_screen_gives_the_two_commands():
    first_screen = "\n".join(README.splitlines()[:20])
    assert "make demo" in first_screen
    assert "make test" in first_screen


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    assert f"lettersmith {command}" in README


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_and_option_has_help_text(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert main.commands[command].help, f"{command} has no help text"
    for param in main.commands[command].params:
        if param.param_type_name == "option" and param.name != "help":
            assert param.help, f"{command} {param.opts[0]} has no help text"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_of_every_command_is_in_the_readme(command):
    for param in main.commands[command].params:
        if param.param_type_name == "option" and param.name != "help":
            option = param.opts[-1]
            assert re.search(re.escape(option) + r"\b", README), f"{command} {option}"


def test_every_workspace_field_in_the_example_is_documented():
    fields = set()
    for name in ("lettersmith.yaml", "recipients.yaml", "letters/menneskehandel-2024.yaml"):
        text = (REPO / name).read_text(encoding="utf-8")
        fields |= set(re.findall(r"^\s*([a-z_]+):", text, flags=re.MULTILINE))
    fields -= {"smk", "hod", "jd", "president"}  # ids, not fields
    missing = sorted(field for field in fields if not re.search(rf"\b{field}:", README))
    assert missing == []


def test_the_readmes_template_example_builds(tmp_path):
    from click.testing import CliRunner as Runner

    example = re.search(r"```jinja\n(.*?)```", README, flags=re.DOTALL).group(1)
    root = copy_example(tmp_path)
    (root / "clubs" / "bergen" / "templates" / "letter.html.j2").write_text(example)
    result = Runner().invoke(
        main,
        ["-w", str(root), "build", "menneskehandel-2024", "--club", "bergen", "--format", "pdf"],
    )
    assert result.exit_code == 0, result.output
    pdf = root / "out" / "clubs" / "bergen" / "menneskehandel-2024" / "menneskehandel-2024.pdf"
    assert "Soroptimist International Bergen" in pdf_text(pdf)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_readmes_signing_example_verifies(tmp_path):
    """The README's steps: a test certificate, a signed example letter, verify exits 0."""
    block = re.search(r"```sh\n(openssl req -x509.*?)```", README, flags=re.DOTALL).group(1)
    root = copy_example(tmp_path)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("LETTERSMITH_SIGN_PASSWORD", None)
    result = subprocess.run(
        ["bash", "-e", "-c", block], cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (
        "menneskehandel-2024.pdf: signed by Common Name: Karin Dahlberg Pettersen; at "
        in result.stdout
    )
    assert "; intact; trusted; PDF/A-3b" in result.stdout


def test_the_readme_tour_works_word_for_word(tmp_path, monkeypatch):
    """Each command of "A tour", typed as written, in a new folder; send's question answered no."""
    import shlex

    tour = README.split("## A tour", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LETTERSMITH_SMTP_PASSWORD", "not used: the tour answers no")
    for line in tour.strip().splitlines():
        words = shlex.split(line, comments=True)
        assert words[0] in ("lettersmith", "cd"), line
        if words[0] == "cd":
            monkeypatch.chdir(words[1])
            continue
        result = CliRunner().invoke(main, words[1:], input="n\n")
        assert result.exit_code == 0, f"{line}\n{result.output}"
        if words[1:3] == ["send", "eksempel"] and "--dry-run" not in words:
            assert "Nothing sent." in result.output


def test_the_starter_is_safe_to_send_and_its_logo_text_fits(tmp_path):
    """init writes example.org-style addresses only, and a logo whose words fit inside it."""
    from fontTools.ttLib import TTFont
    from lxml import etree

    from lettersmith.load.workspace import load
    from lettersmith.render.style import FONT_DIR

    assert CliRunner().invoke(main, ["init", str(tmp_path / "ny")]).exit_code == 0
    ws = load(tmp_path / "ny")
    addresses = [r.email for r in ws.recipients.values()] + [ws.organisation.email or ""]
    assert ws.mail is not None
    addresses += [ws.mail.sender, ws.mail.smtp.host if ws.mail.smtp else ""]
    for address in addresses:
        assert re.search(r"example\.(org|com|net)>?$", address), address

    svg = etree.parse(str(ws.organisation.logo)).getroot()
    width = float(svg.get("width"))
    font = TTFont(FONT_DIR / "IBMPlexSans-Regular.ttf")
    cmap, advances = font.getBestCmap(), font["hmtx"]
    scale = 1 / font["head"].unitsPerEm
    for text in svg.iter("{*}text"):
        size = float(text.get("font-size"))
        advance = sum(advances[cmap[ord(c)]][0] for c in text.text) * scale * size
        left = float(text.get("x")) - (advance / 2 if text.get("text-anchor") == "middle" else 0)
        assert left >= 0 and left + advance * 1.1 <= width, (text.text, left, advance, width)


def test_the_readmes_python_api_example_runs(tmp_path):
    """The worked example of "The Python API", run as written in a copy of the example."""
    section = README.split("## The Python API", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    import lettersmith

    root = copy_example(tmp_path / "ws")
    source = str(Path(lettersmith.__file__).resolve().parents[1])  # this lettersmith, not another
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "1 letter(s), 3 recipient(s)" in lines
    assert lines.index("build: 0/1") < lines.index("build: 1/1")
    assert "wrote out/menneskehandel-2024/menneskehandel-2024.pdf" in lines
    assert "smk postmottak@smk.dep.no new" in lines
    assert "hod postmottak@hod.dep.no not sent" in lines
    assert any(line.endswith(": approved.") for line in lines), lines
    assert len(list((root / "out" / "menneskehandel-2024" / "mail").glob("*.eml"))) == 3


def test_every_verb_of_the_python_api_is_in_the_readme():
    from lettersmith import Project

    section = README.split("## The Python API", 1)[1].split("\n## ", 1)[0]
    fields = {field.name for field in dataclasses.fields(Project)}  # root, account: not verbs
    verbs = [name for name in vars(Project) if not name.startswith("_") and name not in fields]
    assert "build" in verbs and "send" in verbs
    missing = [name for name in verbs if f"`{name}(" not in section and f".{name}(" not in section]
    assert missing == []
