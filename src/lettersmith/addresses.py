"""Email addresses and mail hosts, decided once for loading, checking and sending.

- ``parse_mailbox``: exactly one mailbox (a display name allowed), its domain as IDNA.
- ``mailbox_key``: the one form two addresses are compared in, so that
  ``postmottak@kd.dep.no``, ``Postmottak@KD.dep.no`` and ``postmottak@xn--...`` are one
  mailbox and never get the same mailing twice.
- ``is_loopback``: whether a host is this machine (where unencrypted SMTP is allowed).
"""

from __future__ import annotations

import ipaddress
from email import policy
from email.headerregistry import Address

from email_validator import EmailNotValidError, validate_email

from lettersmith.translate import N_, _

# Characters that would end a header line and start another (header injection).
LINE_BREAKS = "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"


# lettersmith sends without SMTPUTF8 (many ministries' servers lack it), so an address whose
# part before the @ is not ASCII is refused, at check, with the reason; the domain may be
# international (it goes out as IDNA).
NON_ASCII_LOCAL_PART = N_(
    "the part before the @ has letters outside ASCII (such as ø), which many mail servers "
    "cannot take; ask the recipient for an address without them"
)


class MailboxError(ValueError):
    """Not exactly one usable mailbox; the message says why, without the field's name."""


def parse_mailbox(value: str) -> Address:
    """The one mailbox ``value`` holds, domain in IDNA form; MailboxError otherwise."""
    if any(char in value for char in LINE_BREAKS):
        raise MailboxError(_("contains a line break; write it on one line"))
    try:
        header = policy.SMTP.header_factory("To", value)
        found = header.addresses
    except Exception as error:  # the stdlib parser raises assorted errors on odd input
        raise MailboxError(
            _("cannot be read as an address ({error})").format(error=error)
        ) from None
    if len(found) != 1 or header.defects or any(group.display_name for group in header.groups):
        raise MailboxError(_("must hold exactly one address"))
    try:
        checked = validate_email(found[0].addr_spec, check_deliverability=False)
    except EmailNotValidError as error:
        raise MailboxError(_("is not a valid address: {error}").format(error=error)) from None
    if checked.ascii_email is None:
        raise MailboxError(_(NON_ASCII_LOCAL_PART))
    return Address(display_name=found[0].display_name, addr_spec=checked.ascii_email)


def mailbox_key(address: str) -> str:
    """The comparable form of one address: IDNA domain, and no case anywhere.

    Domains ignore case by definition; the part before the @ may in theory not, but no
    ministry's mail server tells ``Postmottak`` from ``postmottak``, and a letter sent twice
    costs more than one never sent to a mailbox that differs only in case.
    """
    try:
        addr_spec = parse_mailbox(address).addr_spec
    except MailboxError:
        addr_spec = address.strip()
    return checked_key(addr_spec)


def checked_key(addr_spec: str) -> str:
    """``mailbox_key`` of an address ``parse_mailbox`` already gave (no second parse)."""
    local, _, domain = addr_spec.rpartition("@")
    return f"{local.casefold()}@{domain.lower().rstrip('.')}"


def is_loopback(host: str) -> bool:
    """``localhost``, ``x.localhost``, 127.0.0.0/8 or ::1: this machine."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False
