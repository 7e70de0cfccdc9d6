"""Where each letter stands: made? approved? sent to how many? For a list of every letter (the
web app's first page), decided here so that every face says the same.

Nothing is written: the journal is read read-only, the files in out/ are compared with what
the letter would make now (the build's own fingerprints), not made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lettersmith.model import DEFAULT_PDF_VARIANT

if TYPE_CHECKING:
    from lettersmith.compose.resolve import Mailing


@dataclass(frozen=True)
class LetterState:
    """One letter of the union, or a club's version of it, as it stands now.

    ``problem`` is set (the engine's words) when the letter cannot be resolved; then only the
    ids are meaningful.
    """

    letter_id: str
    club: str | None
    subject: str = ""
    recipients: int = 0  # the recipients it goes to (and any the journal holds besides)
    built: bool = False  # every PDF and DOCX in out/ made from the letter as it is now
    approval_required: bool = False
    approved: bool = False  # someone approved its current revision
    approved_by: tuple[str, ...] = ()  # who approved the current revision
    revision: str = ""  # the short revision code, as review and approve show it
    sent: int = 0  # recipients the journal says have it (state ``sent``)
    problem: str | None = None

    @property
    def all_sent(self) -> bool:
        return self.problem is None and self.recipients > 0 and self.sent >= self.recipients


def letter_state(mailing: Mailing) -> LetterState:
    """The state of one resolved mailing (union or club)."""
    from lettersmith.app.accountdb import board_only
    from lettersmith.compose import revision as revisions
    from lettersmith.deliver import approval
    from lettersmith.deliver import send as sending
    from lettersmith.render import build as building

    ws = mailing.workspace
    with sending.open_journal(ws, sending=False, planning=True, readonly=True) as journal:
        rows = sending.status(mailing, journal)
    standing = approval.standing(mailing, board_only=board_only(ws.state_dir))
    jobs = building.plan([mailing], formats=("pdf", "docx"), pdf_variant=DEFAULT_PDF_VARIANT)
    records = building.Records()
    first = mailing.letters[0] if mailing.letters else None
    return LetterState(
        letter_id=mailing.letter_id,
        club=mailing.club_id,
        subject=first.subject if first is not None else "",
        recipients=len(rows),
        built=bool(jobs) and all(records.up_to_date(job) for job in jobs),
        approval_required=ws.approval_required,
        approved=bool(standing.current),
        approved_by=tuple(a.who for a in standing.current),
        revision=mailing.revision[: revisions.SHORT],
        sent=sum(1 for _, _, entry in rows if entry is not None and entry.state == "sent"),
    )
