"""Every text a person reads is translated into bokmål and nynorsk, and the commands speak LANG.

The texts are found as ``make messages`` finds them (Babel's extraction, babel.cfg's files and
keywords), in the whole package: a new ``_()`` anywhere without its translation in one of the
language's .po files fails here, naming it.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from lettersmith.app.project import Project
from lettersmith.catalogues import catalogue_files, extract, missing, read, update
from lettersmith.cli import main
from lettersmith.errors import LettersmithError
from lettersmith.translate import _, current_language, language_from_environment, use_language
from workspaces import REPO, copy_example, minimal

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a format string (``{{`` and ``}}`` are literal braces)."""
    return set(PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_message_has_a_norwegian_translation(language):
    found = extract()
    assert len(found) > 400  # the extraction sees the package (not an empty folder)
    untranslated = [f"{item.file}:{item.line}: {item.key!r}" for item in missing(language, found)]
    assert not untranslated, f"no translation (add it to a .po file in {language}/):\n" + "\n".join(
        untranslated
    )


def test_a_translation_keeps_the_placeholders_of_its_message():
    wrong = []
    for language in ("nb", "nn"):
        for path in catalogue_files(language):
            for message in read(path, language):
                if not message.id or not message.string:
                    continue
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                wanted = set().union(*(placeholders(text) for text in ids))
                for text in strings:
                    if text and placeholders(text) != wanted:
                        wrong.append(f"{path.name} ({language}): {ids[0]!r} -> {text!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_language_is_read_from_the_environment_as_gettext_reads_it():
    assert language_from_environment({"LANG": "nb_NO.UTF-8"}) == "nb"
    assert language_from_environment({"LANG": "nn_NO.UTF-8"}) == "nn"
    assert language_from_environment({"LANG": "C.UTF-8"}) == "en"
    assert language_from_environment({"LANG": "C", "LANGUAGE": "nb"}) == "en"  # C wins over it
    assert language_from_environment({"LANG": "en_GB.UTF-8", "LC_ALL": "nb_NO.UTF-8"}) == "nb"
    assert language_from_environment({}) == "en"


def _broken(tmp_path):
    """A workspace whose letter names a position and a signatory that do not exist."""
    return minimal(tmp_path, {"letters/brev.yaml": "position: nope\nto: [a]\nsignatory: nobody\n"})


def test_check_speaks_bokmal_under_a_norwegian_lang(tmp_path):
    root = _broken(tmp_path)
    result = CliRunner().invoke(main, ["-w", str(root), "check"], env={"LANG": "nb_NO.UTF-8"})
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("letters/brev.yaml:1: position: ingen positions/nope.md."), lines
    assert lines[1].startswith("letters/brev.yaml:3: signatory: ingen underskriver 'nobody'")
    assert lines[2] == "2 problemer funnet."


def test_check_speaks_english_under_lang_c(tmp_path):
    root = _broken(tmp_path)
    result = CliRunner().invoke(main, ["-w", str(root), "check"], env={"LANG": "C"})
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("letters/brev.yaml:1: position: no positions/nope.md."), lines
    assert lines[1].startswith("letters/brev.yaml:3: signatory: no signatory 'nobody'")
    assert lines[2] == "2 problems found."


def test_a_command_in_bokmal_leaves_the_caller_in_its_own_language(tmp_path):
    root = minimal(tmp_path)
    result = CliRunner().invoke(main, ["-w", str(root), "check"], env={"LANG": "nb_NO.UTF-8"})
    assert result.exit_code == 0, result.output
    assert ": ok: 1 uttalelser, 1 brev, 3 mottakere, 0 klubber." in " ".join(result.output.split())
    assert current_language() == "en"


def test_one_project_answers_each_request_in_its_own_language(tmp_path):
    """A web app keeps one Project and serves people in different languages: nothing made in
    one language (a problem, a remembered warning) reaches a request in another."""
    root = _broken(tmp_path)
    project = Project.open(root)
    answers = {}
    for language in ("nb", "en", "nb", "nn", "en"):
        with use_language(language):
            try:
                project.check()
            except LettersmithError as error:
                answers.setdefault(language, set()).add(str(error))
    assert {len(texts) for texts in answers.values()} == {1}  # the same each time
    nb, en = answers["nb"].pop(), answers["en"].pop()
    assert "ingen positions/nope.md" in nb and "no positions/nope.md" in en
    assert "no positions/" not in nb and "ingen positions/" not in en


def test_a_remembered_build_replays_its_warnings_in_the_language_asked(tmp_path):
    # A club whose file is broken is left out of the build with a warning.
    root = minimal(tmp_path, {"clubs/bad.yaml": "name: [\n"})
    project = Project.open(root)
    with use_language("nb"):
        nb = project.build(formats="pdf", jobs=1)
    with use_language("en"):
        en = project.build(formats="pdf", jobs=1)
    with use_language("nb"):
        again = project.build(formats="pdf", jobs=1)
    assert nb.warnings and "advarsel: clubs/bad.yaml" in nb.warnings[0]
    assert en.warnings and en.warnings[0].startswith("warning: clubs/bad.yaml has problems")
    assert again.remembered and again.warnings == nb.warnings


def test_an_untranslated_text_is_shown_in_english():
    with use_language("nb"):
        assert _("a text no catalogue has") == "a text no catalogue has"
        assert _("Nothing to send.") != "Nothing to send."


HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def test_make_messages_puts_each_new_text_in_the_file_of_its_part(tmp_path):
    project = tmp_path / "project"
    (project / "src" / "lettersmith" / "web").mkdir(parents=True)
    (project / "babel.cfg").write_text((REPO / "babel.cfg").read_text())
    engine = project / "src" / "lettersmith" / "cli.py"
    engine.write_text('_("Nothing to send.")\n_("A new engine text")\n')
    (project / "src" / "lettersmith" / "web" / "app.py").write_text(
        '_("A new page text")\nngettext("{n} letter", "{n} letters", n)\n'
    )
    locale = tmp_path / "locale"
    for language in ("nb", "nn"):
        folder = locale / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "lettersmith.po").write_text(
            HEADER + 'msgid "Nothing to send."\nmsgstr "Ingenting å sende."\n\n'
            'msgid "Gone"\nmsgstr "Borte"\n',
            encoding="utf-8",
        )
        (folder / "web.po").write_text(HEADER, encoding="utf-8")
    list(update(project, locale))
    main_po = read(locale / "nb" / "LC_MESSAGES" / "lettersmith.po", "nb")
    web_po = read(locale / "nb" / "LC_MESSAGES" / "web.po", "nb")
    assert main_po["Nothing to send."].string == "Ingenting å sende."  # left as it was
    assert main_po["A new engine text"].string == ""  # a new text of the engine: its file
    assert web_po["A new page text"].string == "" and "{n} letter" in web_po  # the web's
    assert "A new page text" not in main_po and "A new engine text" not in web_po
    assert "Gone" not in main_po and main_po.obsolete["Gone"].string == "Borte"
    found = extract(project)
    assert sorted(item.key for item in missing("nb", found, locale)) == [
        "A new engine text",
        "A new page text",
        "{n} letter",
    ]
    # A text used again comes back from the obsolete ones with its translation.
    engine.write_text(engine.read_text() + '_("Gone")\n')
    list(update(project, locale))
    assert read(locale / "nb" / "LC_MESSAGES" / "lettersmith.po", "nb")["Gone"].string == "Borte"


def test_the_build_workers_speak_the_language_of_the_caller():
    """The worker processes start once, in the language of the moment; each task is run in
    the language of the call that gave it (a web request's)."""
    from lettersmith.render.build import Workers

    with Workers(2, ["docx"]) as workers:
        for language in ("nb", "en", "nn"):
            with use_language(language):
                for pool in workers.pools:
                    assert workers.submit(_, "Nothing to send.", pool=pool).result(60) == _(
                        "Nothing to send."
                    )


def test_a_clubs_render_worker_speaks_the_language_of_the_caller(tmp_path, monkeypatch):
    from lettersmith.render import worker
    from lettersmith.render.worker import run_limited

    # Started afresh, as on macOS (a forked child would inherit the language anyway).
    monkeypatch.setattr(worker, "_start_method", lambda: "spawn")
    letter = Project.open(copy_example(tmp_path)).mailing("menneskehandel-2024", club="bergen")
    with use_language("nn"):
        assert run_limited(letter.letters[0], "template", current_language) == "nn"
