"""`check` and `send` warn about what `init` wrote as an example, and about a missing `about`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conftest import point_mail_at
from lettersmith.cli import main
from workspaces import copy_example

EXAMPLE = (
    "is an example address (its domain is reserved for examples: mail there reaches no one); "
    "write a real address before you send"
)


def run(root: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["-w", str(root), *args], input=input)


def warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": warning: " in line]


def test_check_warns_about_every_example_text_of_init(tmp_path):
    root = tmp_path / "forening"
    assert run(tmp_path, "init", str(root)).exit_code == 0
    result = run(root, "check")
    assert result.exit_code == 0, result.output
    assert warnings(result.output) == [
        "lettersmith.yaml:3: warning: organisation.name is still the example name "
        "'Eksempelforeningen' from `lettersmith init`; write your organisation's name",
        "lettersmith.yaml:5: warning: organisation.about is still the example text from "
        "`lettersmith init`; write a few lines about your organisation, or remove about:",
        "lettersmith.yaml:9: warning: organisation.logo is the example logo from `lettersmith "
        "init` (it shows the words 'Eksempelforeningen'); put your own logo in assets/logo.svg, "
        "or remove logo:",
        "lettersmith.yaml:25: warning: mail.smtp.host smtp.example.org is an example server name "
        "that reaches no one; write your mail server's name",
        f"lettersmith.yaml:8: warning: organisation.email post@example.org {EXAMPLE}",
        f"lettersmith.yaml:23: warning: mail.from post@example.org {EXAMPLE}",
        "recipients.yaml:2: warning: kd.email postmottak@departement.example.org " + EXAMPLE,
    ]


def test_real_names_and_addresses_give_no_such_warning(tmp_path):
    root = tmp_path / "forening"
    run(tmp_path, "init", str(root))
    config = root / "lettersmith.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("Eksempelforeningen", "Soroptimist International Halden")
    text = text.replace("example.org", "si-halden.no")
    text = text.replace("Eksempelforeningen er en frivillig organisasjon.", "Vi er en klubb.")
    text = text.replace("Skriv her det mottakeren bør vite om dere.", "Vi arbeider for kvinner.")
    config.write_text(text, encoding="utf-8")
    (root / "assets" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10" fill="#123456"/></svg>',
        encoding="utf-8",
    )
    register = root / "recipients.yaml"
    register.write_text(
        register.read_text(encoding="utf-8").replace("departement.example.org", "kd.dep.no"),
        encoding="utf-8",
    )
    result = run(root, "check")
    assert result.exit_code == 0, result.output
    assert warnings(result.output) == []


def test_send_shows_the_warnings_with_its_question(tmp_path, smtp_server):
    root = point_mail_at(copy_example(tmp_path / "ws"), smtp_server)
    result = run(root, "send", "menneskehandel-2024", input="n\n")
    assert result.exit_code == 0, result.output
    shown = result.output
    assert f"lettersmith.yaml:30: warning: mail.from post@example.org {EXAMPLE}" in shown
    assert shown.index("warning: mail.from") < shown.index("Send 3 message(s) by email now?")
    assert "Nothing sent." in shown
    assert smtp_server.handler.mail_count == 0


def without_club_about(root):
    """The example's Bergen club without its own (nynorsk) about paragraph."""
    club = root / "clubs" / "bergen.yaml"
    lines = club.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("  about:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    club.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")


def test_a_club_letter_in_nynorsk_without_a_nynorsk_about_is_warned_about(tmp_path):
    root = copy_example(tmp_path / "ws")
    assert "organisation.about" not in run(root, "check").output  # Bergen gives its own
    without_club_about(root)
    result = run(root, "check")
    assert (
        "lettersmith.yaml:4: warning: organisation.about has no text in nynorsk, so letter "
        "menneskehandel-2024 (club bergen) in nynorsk ends without it; give one text per "
        "language, e.g. about: {nb: ..., nn: ...}"
    ) in warnings(result.output)


def test_about_per_language_ends_each_letter_in_its_own_language(tmp_path):
    from lettersmith.compose.resolve import resolve
    from lettersmith.load.workspace import load

    root = copy_example(tmp_path / "ws")
    without_club_about(root)
    config = root / "lettersmith.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("  about: >-\n")
    end = text.index("  address:")
    about = (
        "  about:\n"
        "    nb: Soroptimist International er en verdensomspennende organisasjon.\n"
        "    nn: Soroptimist International er ein verdsomspennande organisasjon.\n"
    )
    config.write_text(text[:start] + about + text[end:], encoding="utf-8")
    ws = load(root)
    union = resolve(ws, "menneskehandel-2024").letters[0]
    club = resolve(ws, "menneskehandel-2024", club="bergen").letters[0]
    assert union.about == "Soroptimist International er en verdensomspennende organisasjon."
    assert club.language == "nn"
    assert club.about == "Soroptimist International er ein verdsomspennande organisasjon."
    result = run(root, "check")
    assert "organisation.about has no text" not in result.output


def test_about_under_an_unknown_language_is_refused_on_its_line(tmp_path):
    root = copy_example(tmp_path / "ws")
    without_club_about(root)
    config = root / "lettersmith.yaml"
    text = config.read_text(encoding="utf-8")
    start = text.index("  about: >-\n")
    end = text.index("  address:")
    config.write_text(
        text[:start] + "  about:\n    nb: Tekst.\n    se: Teaksta.\n" + text[end:],
        encoding="utf-8",
    )
    result = run(root, "check")
    assert result.exit_code == 1
    assert (
        "lettersmith.yaml:6: organisation.about.se: not a language; write the text under nb, "
        "nn or en"
    ) in result.output
