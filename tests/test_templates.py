"""Templates: the search path, the builtin/ prefix, the sandbox, and limits on runaway templates."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lettersmith.errors import TemplateError
from lettersmith.render.style import HouseStyle
from lettersmith.render.templates import environment, render


@pytest.fixture
def club_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "clubs" / "bergen" / "templates"
    folder.mkdir(parents=True)
    return folder


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


def render_error(folder: Path, text: str, **limits) -> str:
    write(folder, "letter.html.j2", text)
    env = environment([folder], root=folder.parents[2])
    with pytest.raises(TemplateError) as caught:
        render(env, "letter.html.j2", {"letter": {"title": "T"}}, **limits)
    return str(caught.value)


def test_search_path_order_club_then_workspace_then_builtin(tmp_path: Path) -> None:
    club, workspace = tmp_path / "club", tmp_path / "workspace"
    club.mkdir()
    workspace.mkdir()
    write(club, "a.j2", "club a")
    write(workspace, "a.j2", "workspace a")
    write(workspace, "b.j2", "workspace b")
    env = environment([club, workspace])
    assert render(env, "a.j2", {}) == "club a"
    assert render(env, "b.j2", {}) == "workspace b"
    assert "<main>" in render(env, "builtin/letter.html.j2", {"letter": _letter_stub()})


def test_the_built_in_letterhead_prints_the_tagline_under_the_name() -> None:
    letter = _letter_stub()
    letter["sender"] |= {"tagline": "Ein klubb i Org", "address": ["Gata 1"]}
    html = render(environment([]), "builtin/letter.html.j2", {"letter": letter})
    name, tagline, address = (html.index(text) for text in (">Org<", "Ein klubb i Org", "Gata 1"))
    assert name < tagline < address
    assert "letterhead-tagline" not in render(
        environment([]), "builtin/letter.html.j2", {"letter": _letter_stub()}
    )


def test_override_extends_builtin_of_the_same_name(club_templates: Path) -> None:
    write(
        club_templates,
        "letter.html.j2",
        '{% extends "builtin/letter.html.j2" %}'
        '{% block letterhead %}<p class="club">Klubben i Bergen</p>{% endblock %}',
    )
    html = render(environment([club_templates]), "letter.html.j2", {"letter": _letter_stub()})
    assert '<p class="club">Klubben i Bergen</p>' in html
    assert "STATEMENT" in html  # the adopted statement's place, kept from the built-in


def test_autoescape_and_strict_undefined(club_templates: Path) -> None:
    write(club_templates, "x.j2", "{{ text }}")
    assert render(environment([club_templates]), "x.j2", {"text": "& <b>"}) == "&amp; &lt;b&gt;"
    message = render_error(club_templates, "line one\n{{ letter.titel }}")
    assert message.startswith("clubs/bergen/templates/letter.html.j2:2: ")
    assert "titel" in message


def test_syntax_error_names_file_and_line(club_templates: Path) -> None:
    message = render_error(club_templates, "ok\nok\n{% for x in %}")
    assert message.startswith("clubs/bergen/templates/letter.html.j2:3: ")


def test_missing_template_is_a_template_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match=r"^nothing\.j2: template not found"):
        render(environment([tmp_path]), "nothing.j2", {})


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''|attr('__class__') }}",
        "{{ letter.title.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_sandbox_escapes_fail_with_file_and_line(club_templates: Path, escape: str) -> None:
    message = render_error(club_templates, "<p>\n" + escape)
    assert message.startswith("clubs/bergen/templates/letter.html.j2:2: not allowed in a template")


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(10**9) %}x{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ 10 ** 10 ** 10 }}",
        "{{ 'x'|center(10**9) }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ '{:>999999999}'.format(1) }}",
    ],
)
def test_huge_values_are_refused_at_once(club_templates: Path, template: str) -> None:
    started = time.monotonic()
    message = render_error(club_templates, "\n" + template)
    assert message.startswith("clubs/bergen/templates/letter.html.j2:2: stopped: ")
    assert time.monotonic() - started < 1


def test_endless_loop_without_output_is_stopped(club_templates: Path) -> None:
    loop = "{% set r = range(99999) %}\n{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"
    started = time.monotonic()
    message = render_error(club_templates, loop, time_limit=0.5)
    assert time.monotonic() - started < 3
    assert message == (
        "clubs/bergen/templates/letter.html.j2:2: stopped: rendering took longer than 0.5 seconds"
    )


def test_enormous_output_is_stopped(club_templates: Path) -> None:
    loop = "{% for i in range(99999) %}{% for j in range(99999) %}{{ i }}{% endfor %}{% endfor %}"
    message = render_error(club_templates, loop, max_chars=100_000)
    assert message.startswith("clubs/bergen/templates/letter.html.j2")
    assert "output passed 100000 characters" in message


def test_runaway_recursion_is_stopped(club_templates: Path) -> None:
    message = render_error(club_templates, "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}")
    assert message.startswith("clubs/bergen/templates/letter.html.j2:1: stopped: ")


def test_ordinary_numbers_and_formats_still_work(club_templates: Path) -> None:
    template = "{{ '%05d' % 42 }} {{ 'ab' * 3 }} {{ 2 ** 10 }} {{ 'x'|center(5) }}"
    write(club_templates, "x.j2", template)
    assert render(environment([club_templates]), "x.j2", {}) == "00042 ababab 1024   x  "


def test_environments_are_cached_per_search_path(tmp_path: Path) -> None:
    assert environment([tmp_path]) is environment((tmp_path,))
    assert environment([tmp_path]) is not environment([tmp_path / "other"])


def _letter_stub() -> dict:
    """The smallest context the built-in letter template renders with."""
    return {
        "language": "nb",
        "title": "Tittel",
        "subject": "Emne",
        "date": "2024-12-10",
        "date_line": "Halden, 10.12.2024",
        "statement": "STATEMENT",
        "appended": None,
        "closing": "Vennlig hilsen",
        "about": None,
        "addressees": [{"id": "a", "lines": ["A"]}],
        "address_field_fits": True,
        "reference": None,
        "their_reference": None,
        "sender": {
            "name": "Org",
            "header_name": "Org",
            "tagline": None,
            "address": [],
            "email": None,
            "website": None,
            "logo": None,
        },
        "return_address": "Org",
        "signature": {"name": "N", "title": None, "image": None},
        "phrases": {
            "page": "Side",
            "see_list": "Se",
            "list_heading": "Liste",
            "our_reference": "Vår ref.",
            "their_reference": "Deres ref.",
        },
        "style": HouseStyle().css(),
    }


def test_a_string_that_doubles_itself_is_stopped(club_templates: Path) -> None:
    doubling = (
        "{% set ns = namespace(s='x') %}\n"
        "{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}"
    )
    message = render_error(club_templates, doubling, time_limit=5)
    assert message.startswith("clubs/bergen/templates/letter.html.j2:2: stopped: ")


def test_include_cannot_leave_the_template_folders(club_templates: Path) -> None:
    (club_templates.parent / "secret.txt").write_text("hemmelig")
    message = render_error(club_templates, '\n{% include "../secret.txt" %}')
    assert "hemmelig" not in message
    assert message.startswith(
        "clubs/bergen/templates/letter.html.j2:2: ../secret.txt: template not found"
    )


@pytest.mark.parametrize(
    "content",
    [
        "{{ letter.statement|striptags }}",
        "<!-- {{ letter.statement }} -->",
        "{{ letter.statement }}{{ letter.statement }}",
        "<p>no statement</p>",
    ],
)
def test_the_statement_is_placed_once_as_it_is(tmp_path: Path, content: str) -> None:
    """A club's template places the adopted statement; it cannot filter, hide or repeat it."""
    from factories import make_letter
    from lettersmith.render.html import letter_html

    folder = tmp_path / "clubs" / "bergen" / "templates"
    folder.mkdir(parents=True)
    write(
        folder,
        "letter.html.j2",
        '{% extends "builtin/letter.html.j2" %}{% block content %}' + content + "{% endblock %}",
    )
    letter = make_letter(tmp_path, template_dirs=(folder,))
    with pytest.raises(TemplateError, match="clubs/bergen/templates/letter.html.j2: must show"):
        letter_html(letter)


def test_a_limit_reached_is_reported_as_itself(club_templates: Path, monkeypatch) -> None:
    """The process's memory grows past the limit while a template renders: the error names
    the template's line and says what stopped it."""
    from lettersmith.render import templates

    readings = iter([100_000])  # the first reading, when the render starts; then far past
    monkeypatch.setattr(templates, "_rss_kb", lambda: next(readings, 10**9))
    message = render_error(club_templates, "<p>{{ letter.title }}</p>\n{{ letter.title }}")
    assert message.startswith("clubs/bergen/templates/letter.html.j2:1: stopped: ")
    assert "too much memory" in message
