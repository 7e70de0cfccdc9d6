"""The Jinja2 environment of the pages people read: the web app's and the written review's.

One mechanism for both, so the two cannot drift apart: sandboxed and autoescaped (the pages
show what people typed, names, notes and club files from elsewhere: text is always text, never
markup or code), undefined names fail loudly, and Jinja's i18n extension speaks the language of
the moment through ``lettersmith.translate`` (the web request's, or ``LANG`` for a command).
In a template, ``_()`` translates, ``ngettext()`` counts and ``.format()`` fills placeholders,
as in Python::

    {{ _("Sent {done} of {total}").format(done=3, total=5) }}
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from lettersmith import translate
from lettersmith.app.access import role_word


def environment(folder: Path) -> SandboxedEnvironment:
    """The environment for the templates in ``folder``."""
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # newstyle=False: the engine's messages use {placeholders} filled by .format(), not %.
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        translate._, translate.ngettext, newstyle=False
    )
    env.globals["role_in_words"] = role_word
    return env
