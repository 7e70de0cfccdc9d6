"""What a message is: a bounce, a receipt, a person's reply, or nothing to do with our letters.

Decided from the message alone (``match`` decides whose it is), in this order, first that fits:

1. **bounced**: a delivery status report (RFC 3464), or a bounce that says so only in words
   (from MAILER-DAEMON or postmaster, with a status code): permanent for 5.x.x or
   ``Action: failed``, temporary for 4.x.x or ``Action: delayed``; with the code and the
   server's diagnostic. ``Action: delivered`` is a receipt from the server: **received**.
2. **unrelated**: mailing lists, newsletters and spam (``List-Id``, ``List-Unsubscribe``,
   ``Precedence: list``, ``X-Spam-Flag: YES``; ``Precedence: bulk/junk`` unless it is also
   ``Auto-Submitted: auto-replied``, as autoresponders send), whatever else they say.
3. **received**: an automatic answer: RFC 3834 ``Auto-Submitted`` other than ``no`` (or the
   ``X-Autoreply``/``X-Autorespond``/``Precedence: auto_reply`` older mailers send), or an
   archive's receipt in words ("Vi har mottatt ...", "Vi stadfestar at vi har motteke ...")
   near the start of its own text, with the case number it gives.
   An **out-of-office** reply is "received" too, marked ``away``: it proves the message reached
   the mailbox, which is what "received" tells the secretary, and it is not a person's answer;
   a kind of its own would be a fourth state nobody acts on differently. It never carries a
   case number, and a later receipt or reply supersedes it.
4. **replied**: anything else from a person (with its sender and date on the message).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from lettersmith.deliver.inbox import receipts
from lettersmith.deliver.inbox.incoming import Incoming
from lettersmith.deliver.inbox.reports import RecipientReport, failure_codes
from lettersmith.deliver.inbox.text import unquoted
from lettersmith.deliver.inbox.values import clean
from lettersmith.translate import N_, _


class Kind(StrEnum):
    BOUNCED = "bounced"
    RECEIVED = "received"
    REPLIED = "replied"
    UNRELATED = "unrelated"


_LABELS = {
    Kind.BOUNCED: N_("bounced"),
    Kind.RECEIVED: N_("received"),
    Kind.REPLIED: N_("replied"),
    Kind.UNRELATED: N_("unrelated"),
}


def kind_label(kind: Kind) -> str:
    """The kind's name as a person reads it, in the current language."""
    return _(_LABELS[kind])


@dataclass(frozen=True)
class Verdict:
    """What a message is. The fields are facts to store; ``describe()`` says them in words.

    ``reason``: an English phrase marked for the catalogue (no placeholders), e.g.
    "out-of-office reply"; stored as it is and translated when shown.
    """

    kind: Kind
    permanent: bool | None = None  # bounced: True for 5.x.x, False for 4.x.x, None unknown
    status: str = ""  # bounced: the enhanced status code, e.g. "5.1.1"
    diagnostic: str = ""  # bounced: the server's words
    address: str = ""  # bounced: the address the report is about
    case_number: str = ""  # received (and sometimes replied): the archive's case number
    automatic: bool = False  # sent by a machine (RFC 3834, a receipt, a report)
    away: bool = False  # an out-of-office reply
    reason: str = ""

    @property
    def bad_address(self) -> bool:
        """A permanent bounce that blames the address itself (RFC 3463: 5.1.x, addressing,
        such as 5.1.1 no such user or 5.1.10 not found; 5.2.1 mailbox disabled), so that
        correcting it in the register is the fix. A 5.7.1 (refused by policy, spam filter)
        or a full mailbox is not the address's fault."""
        if self.kind is not Kind.BOUNCED or self.permanent is not True:
            return False
        return self.status.startswith("5.1.") or self.status == "5.2.1"

    def describe(self, sender: str = "", when: dt.datetime | None = None) -> str:
        """One line for ``status``, in the current language: "bounced permanently (5.1.1:
        User unknown)", "received, case number 24/1234", "replied by x@kd.dep.no, on
        2026-11-26". ``sender`` and ``when``: the message's, for a reply."""
        if self.kind is Kind.BOUNCED:
            head = {
                True: _("bounced permanently"),
                False: _("delivery delayed, the server keeps trying"),
                None: _("bounced"),
            }[self.permanent]
            why = ": ".join(part for part in (self.status, self.diagnostic) if part)
            why = why or (_(self.reason) if self.reason else "")
            return f"{head} ({why})" if why else head
        parts = [kind_label(self.kind)]
        if self.kind is Kind.RECEIVED and self.away:
            parts = [_("received (out-of-office reply)")]
        if self.kind is Kind.REPLIED and sender:
            parts = [_("replied by {sender}").format(sender=sender)]
        if self.kind is Kind.REPLIED and when is not None:
            parts.append(_("on {date}").format(date=when.date().isoformat()))
        if self.case_number:
            parts.append(_("case number {case}").format(case=self.case_number))
        return ", ".join(parts)


OUT_OF_OFFICE = N_("out-of-office reply")
RECEIPT = N_("automatic receipt")
AUTOMATIC = N_("automatic reply")
SERVER_DELIVERED = N_("the recipient's server reports the message delivered")
REPORT_UNREADABLE = N_("a delivery report that could not be read; open the copy to see it")
BOUNCE_IN_WORDS = N_("a bounce without a standard report; read from its words")
LIST_MAIL = N_("a mailing list or newsletter")
SPAM = N_("marked as spam")
PERSON = N_("a person's answer")

_BULK = ("bulk", "list", "junk")


def classify(incoming: Incoming, *, address: str = "") -> Verdict:
    """What ``incoming`` is. ``address``: of a report about several recipients, the one we
    sent to (``match`` knows it); otherwise its first failed or delayed recipient counts."""
    address = address.lower()
    if incoming.report is not None:
        return _report(incoming, address)
    if _bounce_in_words(incoming):
        codes = list(failure_codes(incoming.text[:20_000]))
        code = next((c for c in codes if c[0] == "5"), codes[0])
        failed = incoming.failed
        return Verdict(
            Kind.BOUNCED,
            permanent=code[0] == "5",
            status=code,
            diagnostic=_diagnostic_line(incoming.text, code),
            address=address if address in failed else (failed[0] if failed else ""),
            automatic=True,
            reason=BOUNCE_IN_WORDS,
        )
    if incoming.header("x-spam-flag").lower().startswith("yes"):
        return Verdict(Kind.UNRELATED, reason=SPAM)
    precedence = incoming.header("precedence").lower()
    listed = incoming.header("list-id") or incoming.header("list-unsubscribe")
    # Autoresponders (Gmail's vacation reply among them) mark their answers "Precedence: bulk"
    # or "junk" so that other robots do not answer back: with auto-replied, it is a reply.
    if (
        listed
        or precedence == "list"
        or (precedence in _BULK and incoming.auto_submitted != "auto-replied")
    ):
        return Verdict(Kind.UNRELATED, reason=LIST_MAIL)
    own = unquoted(incoming.text)
    automatic = _automatic(incoming)
    subject = incoming.subject
    if automatic or receipts.away_subject(subject):
        if receipts.away_subject(subject) or receipts.says_away(f"{subject}\n{own}"):
            return Verdict(Kind.RECEIVED, automatic=True, away=True, reason=OUT_OF_OFFICE)
        return Verdict(
            Kind.RECEIVED,
            case_number=incoming.case_number,
            automatic=True,
            reason=RECEIPT if receipts.says_received(own) else AUTOMATIC,
        )
    if receipts.says_received(own.lstrip()) and (
        incoming.case_number or receipts.receipt_subject(subject) or len(own.strip()) < 1200
    ):
        return Verdict(
            Kind.RECEIVED, case_number=incoming.case_number, automatic=True, reason=RECEIPT
        )
    return Verdict(Kind.REPLIED, case_number=incoming.case_number, reason=PERSON)


def _report(incoming: Incoming, address: str) -> Verdict:
    assert incoming.report is not None
    recipients = incoming.report.recipients
    chosen: RecipientReport | None = None
    if address:
        chosen = next((r for r in recipients if r.final_recipient.lower() == address), None)
    if chosen is None:
        chosen = next(
            (
                r
                for r in recipients
                if r.action in ("failed", "delayed") or r.status.startswith(("4", "5"))
            ),
            recipients[0] if recipients else None,
        )
    if chosen is None or (not chosen.status and not chosen.action):
        return Verdict(Kind.BOUNCED, automatic=True, reason=REPORT_UNREADABLE)
    if chosen.action == "delivered" or chosen.status[:1] == "2":
        return Verdict(Kind.RECEIVED, automatic=True, reason=SERVER_DELIVERED)
    if chosen.action in ("relayed", "expanded"):
        return Verdict(Kind.UNRELATED, automatic=True)
    return Verdict(
        Kind.BOUNCED,
        permanent=chosen.permanent,
        status=chosen.status,
        diagnostic=chosen.diagnostic,
        address=chosen.final_recipient,
        automatic=True,
        reason="" if chosen.status else REPORT_UNREADABLE,
    )


def _automatic(incoming: Incoming) -> bool:
    if incoming.auto_submitted not in ("", "no"):
        return True
    if incoming.header("x-autoreply") or incoming.header("x-autorespond"):
        return True
    return incoming.header("precedence").lower() == "auto_reply"


def _bounce_in_words(incoming: Incoming) -> bool:
    looks = incoming.from_mail_system or bool(incoming.header("x-failed-recipients"))
    return looks and any(True for _ in failure_codes(incoming.text[:20_000]))


def _diagnostic_line(text: str, code: str) -> str:
    """The line of a bounce's text that gives ``code``: the server's words, one line."""
    for line in text[:20_000].splitlines():
        if code in line:
            return clean(line, 300)  # a terminal escape or direction mark never gets through
    return ""
