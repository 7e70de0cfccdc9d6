"""Passwords and login names: what makes one acceptable, and how a password is kept.

A password is kept only as an Argon2id hash (argon2-cffi's ``PasswordHasher``), with the
parameters of RFC 9106's second, "low-memory" recommendation: 64 MiB of memory, 3 passes,
4 lanes, about a tenth of a second on a small server. The first recommendation (2 GiB) would
not fit the small machine or VPS a union runs; this one still makes each guess against a
copied file cost the attacker 64 MiB and that tenth of a second. At most ``AT_ONCE`` hashes are
computed at once in a process, so a burst of logins cannot take the server's memory.

A hash made with other parameters (an older lettersmith, a future profile) still verifies;
``needs_rehash`` tells the login to store a new one while it has the password in hand.
"""

from __future__ import annotations

import secrets
import threading
import unicodedata

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from lettersmith.errors import LettersmithError
from lettersmith.translate import _

NAME_LONGEST = 64
NAME_MARKS = "._@-"
PASSWORD_SHORTEST = 10
PASSWORD_LONGEST = 1024  # a bound on what a form may make the server hash
AT_ONCE = 2

hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
_hashing = threading.BoundedSemaphore(AT_ONCE)


class AccountError(LettersmithError):
    """A name, role or password that cannot be used, or an account that is not there."""


def checked_name(name: str) -> str:
    """The login name as kept (NFC), or ``AccountError`` saying what a name may be."""
    text = unicodedata.normalize("NFC", name)
    if 1 <= len(text) <= NAME_LONGEST and all(ch.isalnum() or ch in NAME_MARKS for ch in text):
        return text
    raise AccountError(
        _(
            "{name!r}: not a login name; use 1 to {most} letters, digits and . _ @ - "
            "(no spaces), such as kari or kari.nordmann@example.org"
        ).format(name=name, most=NAME_LONGEST)
    )


def key_of(name: str) -> str:
    """The form two names are compared in: ``Kari`` and ``kari`` are one account."""
    return unicodedata.normalize("NFC", name).casefold()


def check_password(name: str, password: str) -> None:
    """``AccountError`` for a password too short, too long, or the login name itself."""
    if len(password) < PASSWORD_SHORTEST:
        raise AccountError(
            _(
                "the password is too short: use at least {least} characters (a few words "
                "make a good one)"
            ).format(least=PASSWORD_SHORTEST)
        )
    if len(password) > PASSWORD_LONGEST:
        raise AccountError(
            _("the password is too long: use at most {most} characters").format(
                most=PASSWORD_LONGEST
            )
        )
    if key_of(password) == key_of(name):
        raise AccountError(_("the password may not be the login name; choose another"))


def hash_password(password: str) -> str:
    """The Argon2id hash to keep (``$argon2id$v=19$m=65536,t=3,p=4$...``)."""
    with _hashing:
        return hasher.hash(password)


def verify(stored: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (a damaged hash: no)."""
    with _hashing:
        try:
            return hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(stored: str) -> bool:
    try:
        return hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True


_dummy: list[str] = []


def dummy_hash() -> str:
    """A hash no one's password matches, verified for an unknown name so that the answer
    takes as long as for a known one with a wrong password (made with today's parameters)."""
    if not _dummy or needs_rehash(_dummy[0]):
        _dummy[:] = [hash_password(secrets.token_urlsafe(24))]
    return _dummy[0]
