"""The README and --help are what users read: every command and option is in both."""

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
