"""Slack's documented message limits, and text splitting that respects them.

Block Kit: at most 50 blocks per message; a section's text at most 3,000 characters; a
header's ``plain_text`` at most 150. ``chat.postMessage``: a message's ``text`` at most
40,000 characters (``msg_too_long`` beyond). Lengths are counted in UTF-16 code units, as
JavaScript counts them: never fewer than characters, so a text within the limit in UTF-16
is within it however Slack counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["ENTITIES", "Limits", "fit_plain", "split_text", "units"]

ENTITIES: Final = ("&amp;", "&lt;", "&gt;")
"""The only entities Slack's mrkdwn knows; a split never falls inside one."""

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")  # a blank line, and the blank space after it
_SPACE = re.compile(r"\s+")
_LONGEST_ENTITY = max(len(e) for e in ENTITIES)


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits a message is built within (Slack's, unless a test shrinks them).

    Args:
        blocks: blocks per message.
        section: UTF-16 code units of one section's text.
        header: code units of a header's ``plain_text``.
        text: code units of a message's top-level ``text``.
    """

    blocks: int = 50
    section: int = 3000
    header: int = 150
    text: int = 40_000

    def __post_init__(self) -> None:
        if self.blocks < 3 or self.section < 2 * _LONGEST_ENTITY or self.header < 2:
            raise ValueError("Limits need blocks >= 3, section >= 10 and header >= 2")
        if self.text < self.section + 5 * self.header + 2:
            raise ValueError("Limits need text >= section + 5 * header + 2")


def units(text: str) -> int:
    """The length of ``text`` in UTF-16 code units (characters beyond U+FFFF count twice)."""
    return len(text) + len(_ASTRAL.findall(text))


def _prefix_within(text: str, limit: int) -> int:
    """The largest ``n`` such that ``units(text[:n]) <= limit`` (a code point boundary)."""
    if _ASTRAL.search(text, 0, limit) is None:
        return min(len(text), limit)
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return index
    return len(text)


def _outside_entity(text: str, cut: int) -> int:
    """Move ``cut`` back to the start of an entity it would fall inside."""
    start = text.rfind("&", max(0, cut - _LONGEST_ENTITY + 1), cut)
    if start >= 0:
        for entity in ENTITIES:
            if text.startswith(entity, start) and start + len(entity) > cut:
                return start
    return cut


def _cut(text: str, limit: int) -> int:
    """Where to end the first piece of ``text`` (longer than ``limit``)."""
    hard = _prefix_within(text, limit)
    # Prefer the end of a line, then a space, unless that leaves a piece under half full.
    for separator in ("\n", " "):
        at = text.rfind(separator, 0, hard)
        if at + 1 >= max(1, hard // 2):
            return at + 1  # entities hold no spaces: this is outside one
    cut = _outside_entity(text, hard)
    return cut if cut > 0 else hard


def _paragraphs(text: str) -> list[str]:
    """Split at blank lines; each paragraph keeps the blank space that follows it."""
    pieces: list[str] = []
    start = 0
    for match in _PARAGRAPH.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into paragraphs, each within ``limit`` UTF-16 code units.

    A paragraph (text up to a blank line) is one piece; one longer than ``limit`` is cut
    at the end of a line, else at a space, else anywhere, but never inside an ``&amp;``,
    ``&lt;`` or ``&gt;`` entity nor inside a character. The pieces, joined, are ``text``.

    Args:
        text: mrkdwn, already escaped.
        limit: code units per piece; at least 10.

    Returns:
        The pieces in order, none empty; ``[]`` for empty text.
    """
    if limit < 2 * _LONGEST_ENTITY:
        raise ValueError(f"limit must be at least {2 * _LONGEST_ENTITY}")
    out: list[str] = []
    for paragraph in _paragraphs(text):
        rest = paragraph
        while units(rest) > limit:
            cut = _cut(rest, limit)
            out.append(rest[:cut])
            rest = rest[cut:]
        if rest:
            out.append(rest)
    return out


def fit_plain(text: str, limit: int) -> str:
    """One line of plain text within ``limit`` code units: whitespace folded, cut with ``…``."""
    line = _SPACE.sub(" ", text).strip()
    if units(line) <= limit:
        return line
    return line[: _prefix_within(line, limit - 1)].rstrip() + "…"
