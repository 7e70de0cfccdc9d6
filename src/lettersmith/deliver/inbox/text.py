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


def unquoted(text: str) -> str:
    """The part of a reply its writer wrote: above the quoted original (top-posting) and
    without ``>`` lines, so a receipt's words quoted from someone else do not count."""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith(">"):
            continue
        if _starts_quote(stripped):
            break
        kept.append(line)
    return "\n".join(kept)


_QUOTE_MARKERS = (
    "-----original message-----",
    "-----opprinnelig melding-----",
    "-----opphavleg melding-----",
    "-------- forwarded message --------",
    "---------- forwarded message ---------",
    "-------- videresendt melding --------",
    "---------- videresendt melding ---------",
)


def _starts_quote(line: str) -> bool:
    lowered = line.lower()
    if any(lowered.startswith(marker) for marker in _QUOTE_MARKERS):
        return True
    # "On Mon, 3 Mar 2025 Kari wrote:" / "Den 3. mars 2025 skrev Kari:" / Outlook's "From: ..."
    return (
        lowered.endswith("wrote:") or lowered.endswith("skrev:") or lowered.endswith("skreiv:")
    ) and len(lowered) < 300
