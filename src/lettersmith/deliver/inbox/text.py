"""A message's words as plain text, bounded: from text/plain as it is, from HTML by a linear scan.

No HTML parser with backtracking or quadratic corners on a stranger's markup: one pass with
``str.find`` over at most ``limit * 4`` characters, tags dropped, block tags as line breaks,
script and style skipped, entities decoded at the end.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

_BLOCK = frozenset(
    ("p", "br", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table",
     "ul", "ol", "pre", "hr", "title", "dd", "dt")
)  # fmt: skip
_SKIPPED = ("script", "style", "head")


def bounded(text: str, limit: int) -> str:
    """``text`` with its line ends made ``\\n``, at most ``limit`` characters."""
    return text[: limit * 2].replace("\r\n", "\n").replace("\r", "\n")[:limit]


def from_html(markup: str, limit: int) -> str:
    """The text a reader sees in ``markup`` (at most ``limit`` characters)."""
    markup = markup[: limit * 4]
    lowered = markup.lower()
    out: list[str] = []
    position = 0
    while position < len(markup):
        start = markup.find("<", position)
        if start < 0:
            out.append(markup[position:])
            break
        out.append(markup[position:start])
        if lowered.startswith("<!--", start):
            end = markup.find("-->", start + 4)
            position = len(markup) if end < 0 else end + 3
            continue
        end = markup.find(">", start + 1)
        if end < 0:
            break
        tag = lowered[start + 1 : end].strip().lstrip("/").split(None, 1)
        name = tag[0].rstrip("/") if tag else ""
        position = end + 1
        if name in _SKIPPED and not lowered[start + 1 : end].strip().startswith("/"):
            close = lowered.find(f"</{name}", position)
            position = len(markup) if close < 0 else close
        elif name in _BLOCK:
            out.append("\n")
    text = html.unescape("".join(out)).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(_squeezed(lines))[:limit]


def _squeezed(lines: Iterable[str]) -> list[str]:
    """Lines with runs of blank ones made one blank line."""
    result: list[str] = []
    for line in lines:
        if line or (result and result[-1]):
            result.append(line)
    while result and not result[-1]:
        result.pop()
    return result


def unquoted(text: str, *, whole: bool = False) -> str:
    """The part of a reply its writer wrote: above the quoted original (top-posting) and
    without ``>`` lines, so a receipt's words quoted from someone else do not count.

    ``whole``: also what follows a forwarded or Outlook-quoted message's header (a ministry's
    internal forward gives the case number there), still without ``>`` lines (the message
    answered, which is ours: its "Vår ref." is our own reference)."""
    kept: list[str] = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip().lower()
        if stripped.startswith(">"):
            continue
        if not whole and (
            _starts_quote(stripped) or _outlook_header(stripped, lines[number + 1 : number + 5])
        ):
            break
        kept.append(line)
    return "\n".join(kept)


# The lines mail programs put above a quoted or forwarded message, without their dashes.
_QUOTE_MARKERS = frozenset(
    ("original message", "opprinnelig melding", "opphavleg melding", "forwarded message",
     "videresendt melding", "vidaresend melding", "begin forwarded message:")
)  # fmt: skip
_WROTE = ("wrote:", "skrev:", "skreiv:")


def _starts_quote(line: str) -> bool:
    if line.startswith("--") and line.strip("- ") in _QUOTE_MARKERS:
        return True
    # "On Mon, 3 Mar 2026 Kari <k@x.no> wrote:", "Den 3. mars 2026 kl. 10:04 skrev Kari:",
    # and the same wrapped after the address ("... skrev Kari <" / "k@x.no>:").
    return len(line) < 300 and (line.endswith(_WROTE) or (line.endswith(">:") and "@" in line))


def _outlook_header(line: str, following: list[str]) -> bool:
    """Outlook's block above a quoted message: "Fra: ..." then "Sendt: ..." (or From/Sent)."""
    if not line.startswith(("fra:", "from:")):
        return False
    return any(
        later.strip().lower().startswith(("sendt:", "sent:", "dato:", "date:"))
        for later in following
    )
