"""The words of automatic receipts and replies: a Norwegian archive's "Vi har mottatt ...
Vår ref.: 24/1234" and its case number, and an out-of-office notice.

Public bodies in Norway journal every letter they receive and many answer at once with a
receipt from their archive system (Public 360, Elements, ePhorte, Acos), in bokmål or nynorsk,
often without any RFC 3834 header; the case number in it is what the organisation quotes in
every follow-up. The patterns are plain alternations with bounded gaps (no nested
quantifiers), run on bounded text: linear, whatever a stranger writes.
"""

from __future__ import annotations

import re

# "Vår ref.: 24/1234", "Vår referanse: 2024/1234-3", "Saksnummer 2024/5678", "Saksnr.: 24/12",
# "Sak nr. 24/1234", "Arkivsaksnr: 24/1234", "Our ref.: 24/1234". Never "Deres ref." (ours).
_CASE = re.compile(
    r"(?:v[åa]r\s{0,3}ref(?:eranse|\.)?|saksnummer|saksnr\.?|sak\s{0,3}nr\.?|saksreferanse"
    r"|arkivsaksnr\.?|arkivsaksnummer|journalnummer|journalnr\.?|our\s{0,3}ref(?:erence|\.)?"
    r"|case\s{0,3}(?:number|no\.?))"
    r"[\s.:#]{0,6}(?:nr\.?|nummer)?[\s.:#]{0,4}"
    r"(\d{2}(?:\d{2})?/\d{1,7}(?:\s?-\s?\d{1,4})?)",
    re.IGNORECASE,
)

# Sentences that say "we have received it", in bokmål, nynorsk and English (casefolded).
RECEIPT_WORDS = (
    "vi har mottatt", "vi bekrefter å ha mottatt", "vi bekrefter at vi har mottatt",
    "bekrefter mottak", "er mottatt", "er registrert", "er journalført",
    "mottakskvittering", "kvittering for mottatt", "automatisk kvittering",
    "vi har motteke", "vi stadfestar", "er motteke", "kvittering for motteke", "er journalførd",
    "we have received your", "we acknowledge receipt", "has been received",
)  # fmt: skip

# Subjects a receipt or an automatic reply starts with.
RECEIPT_SUBJECTS = (
    "kvittering", "mottakskvittering", "mottatt:", "motteke:", "automatisk kvittering",
    "bekreftelse på mottak", "bekreftelse på mottatt", "stadfesting på motte",
    "receipt", "received:",
)  # fmt: skip
# Subjects that say "away" on their own; AWAY_WORDS count only in a message that is automatic.
AWAY_SUBJECTS = (
    "automatisk svar", "autosvar", "automatic reply", "auto-reply", "autoreply",
    "auto reply", "out of office", "out of the office", "fraværende", "fråverande",
    "fravær", "ikke til stede", "ikkje til stades", "abwesend",
)  # fmt: skip
AWAY_WORDS = (
    "out of office", "out of the office", "er på ferie", "er fraværende", "er fråverande",
    "er ikke på kontoret", "er ikkje på kontoret", "er tilbake", "tilbake på jobb",
    "tilbake på kontoret", "har permisjon", "er i permisjon", "on leave", "i'm away",
    "i am away", "ikke tilgjengelig", "ikkje tilgjengeleg", "har ferie", "på ferie",
    "leser ikke e-post", "les ikkje e-post", "er ute av kontoret", "ferie", "vacation",
    "on holiday", "permisjon",
)  # fmt: skip

# Where the writer's own words end: what follows is the quoted original.
OPENING = 800  # characters of a message's own text in which a receipt says what it is


def case_number(*places: str) -> str:
    """The case number the archive gives (``24/1234``): the first found, in the order of
    ``places`` (the subject, the writer's own text, then what they forwarded); ''."""
    for where in places:
        where = where[:20_000]
        found = _CASE.search(where)
        if found:
            return "".join(found.group(1).split())
    return ""


def says_received(opening: str) -> bool:
    """Whether ``opening`` (the start of a message's own text) says the letter was received."""
    lowered = opening[:OPENING].casefold()
    return any(words in lowered for words in RECEIPT_WORDS)


def receipt_subject(subject: str) -> bool:
    lowered = _without_prefixes(subject.casefold())
    return lowered.startswith(RECEIPT_SUBJECTS)


def away_subject(subject: str) -> bool:
    lowered = _without_prefixes(subject.casefold())
    return lowered.startswith(AWAY_SUBJECTS)


def says_away(opening: str) -> bool:
    lowered = opening[:OPENING].casefold()
    return any(words in lowered for words in AWAY_WORDS)


def _without_prefixes(subject: str) -> str:
    """``[ekstern] sv: emne`` -> ``emne``: bracketed tags and reply prefixes dropped (bounded)."""
    subject = subject.strip()
    for _ in range(5):
        before = subject
        if subject.startswith("["):
            end = subject.find("]")
            subject = subject[end + 1 :].strip() if 0 < end < 40 else subject
        for prefix in ("sv:", "re:", "vs:", "fw:", "fwd:", "aw:", "svar:"):
            if subject.startswith(prefix):
                subject = subject[len(prefix) :].strip()
        if subject == before:
            break
    return subject
