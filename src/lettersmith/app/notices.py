"""Warnings about what would go out unnoticed: `init`'s example text, a missing `about` text.

``lettersmith init`` writes a workspace that builds at once, with example words in it: the
logo says "Eksempelforeningen", the ``about`` paragraph asks to be rewritten, the mailboxes are
at example.org. None of that may reach a ministry unnoticed, so ``check`` warns about each, and
``send`` shows the same warnings beside the question it asks (a warning, not a refusal: the
example workspace is meant to be sent to a test server as it is).

A letter in a language the ``about`` paragraph has no text in ends without it (a nynorsk
letter never ends in bokmål); ``check`` says so, and how to give the text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import yaml

from lettersmith.addresses import parse_mailbox
from lettersmith.compose.resolve import Mailing
from lettersmith.errors import LettersmithError
from lettersmith.load.root import WORKSPACE_FILE
from lettersmith.model import Recipient, Workspace
from lettersmith.translate import N_, _

INIT = Path(__file__).resolve().parent.parent / "data" / "init"
# Domains reserved for examples (RFC 2606, RFC 6761): mail there reaches no one.
EXAMPLE_DOMAINS = ("example.org", "example.com", "example.net")
EXAMPLE_TOP_LEVEL = ("example", "invalid", "test")
LANGUAGE_NAMES = {"nb": N_("bokmål"), "nn": N_("nynorsk"), "en": N_("English")}


@functools.cache
def _init_profile() -> dict[str, object]:
    with (INIT / WORKSPACE_FILE).open(encoding="utf-8") as file:
        profile = yaml.safe_load(file)
    organisation = profile["organisation"]
    assert isinstance(organisation, dict)
    return organisation


def is_example_domain(address: str) -> bool:
    """Whether a mailbox or host name is under a domain reserved for examples."""
    domain = address.rpartition("@")[2].strip().rstrip(".>").lower()
    return domain in EXAMPLE_DOMAINS or domain.endswith(
        tuple(f".{name}" for name in (*EXAMPLE_DOMAINS, *EXAMPLE_TOP_LEVEL))
    )


def placeholder_warnings(view: Workspace, recipients: Iterable[Recipient] = ()) -> list[str]:
    """``FILE:LINE: warning: ...`` for each example text of ``init`` still in the workspace
    (``view``: the union's or a club's), and each of ``recipients`` at an example domain."""
    organisation, init = view.organisation, _init_profile()
    warnings = []

    def warn(key: str, message: str) -> None:
        warnings.append(_("{where}: warning: {what}").format(where=_where(view, key), what=message))

    if organisation.name == init["name"]:
        warn(
            "name",
            _(
                "organisation.name is still the example name {name!r} from `lettersmith init`; "
                "write your organisation's name"
            ).format(name=init["name"]),
        )
    example_about = " ".join(str(init["about"]).split())
    if any(" ".join(text.split()) == example_about for _language, text in organisation.about):
        warn(
            "about",
            _(
                "organisation.about is still the example text from `lettersmith init`; write a "
                "few lines about your organisation, or remove about:"
            ),
        )
    if organisation.logo is not None and _example_logo(organisation.logo, str(init["name"])):
        warn(
            "logo",
            _(
                "organisation.logo is the example logo from `lettersmith init` (it shows the "
                "words {name!r}); put your own logo in {path}, or remove logo:"
            ).format(name=init["name"], path=_shown(organisation.logo, view.root)),
        )
    mailboxes = [("email", "organisation.email", organisation.email)]
    if view.mail is not None:
        mailboxes += [
            ("from", "mail.from", view.mail.sender),
            ("reply_to", "mail.reply_to", view.mail.reply_to),
            ("bcc", "mail.bcc", view.mail.bcc),
        ]
        if view.mail.smtp is not None and is_example_domain(view.mail.smtp.host):
            warn(
                "host",
                _(
                    "mail.smtp.host {host} is an example server name that reaches no one; write "
                    "your mail server's name"
                ).format(host=view.mail.smtp.host),
            )
    for key, name, value in mailboxes:
        if value and is_example_domain(_address(value)):
            warn(key, _example_address(name, _address(value)))
    for recipient in recipients:
        if is_example_domain(recipient.email):
            where = str(recipient.source) if recipient.source else "recipients.yaml"
            warnings.append(
                _("{where}: warning: {what}").format(
                    where=where,
                    what=_example_address(f"{recipient.id}.email", recipient.email),
                )
            )
    return warnings


def about_warnings(mailing: Mailing) -> list[str]:
    """A warning for each language of the mailing's letters that ``about`` has no text in."""
    view = mailing.workspace
    texts = dict(view.organisation.about)
    if not texts:
        return []
    letter = mailing.letter_id + (f" (club {view.club})" if view.club else "")
    missing = sorted({letter.language for letter in mailing.letters} - set(texts))
    return [
        _(
            "{where}: warning: organisation.about has no text in {name}, so letter {letter} in "
            "{name} ends without it; give one text per language, e.g. about: {{{have}: ..., "
            "{language}: ...}}"
        ).format(
            where=_where(view, "about"),
            name=_(LANGUAGE_NAMES[language]),
            language=language,
            letter=letter,
            have=", ".join(texts),
        )
        for language in missing
    ]


def _where(view: Workspace, key: str) -> str:
    """``FILE:LINE`` of the field ``key``: in the club's file when the club writes it."""
    files = ([f"clubs/{view.club}.yaml"] if view.club else []) + [WORKSPACE_FILE]
    for file in files:
        if line := field_line(view.root / file, key):
            return f"{file}:{line}"
    return WORKSPACE_FILE


def field_line(path: Path, key: str) -> int | None:
    """The line where ``key:`` is first written in ``path`` (for a warning's FILE:LINE)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith(f"{key}:"):
            return number
    return None


def _example_address(name: str, address: str) -> str:
    return _(
        "{name} {address} is an example address (its domain is reserved for examples: mail "
        "there reaches no one); write a real address before you send"
    ).format(name=name, address=address)


def _address(value: str) -> str:
    try:
        return parse_mailbox(value).addr_spec
    except (LettersmithError, ValueError):
        return value


def _example_logo(path: Path, words: str) -> bool:
    try:
        return words.encode() in path.read_bytes()[:100_000]
    except OSError:
        return False


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
