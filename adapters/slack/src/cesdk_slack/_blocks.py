"""Block Kit messages from rendered text: a header, sections, a context line; split to fit.

Each paragraph of the body becomes a ``section`` block (longer ones are split, see
``split_text``); the header goes first in the first message, the context line (event id
and source) last in every message. When the blocks or the text would break a limit, the
rest goes into the next message, marked "part 2/3".
"""

from __future__ import annotations

from typing import Any

from cesdk.templates import escape_slack
from cesdk_slack._limits import Limits, fit_plain, split_text, units

__all__ = ["plan_messages"]

Message = dict[str, Any]

_FOOTER_LIMIT = 300  # a context line is a footnote; Slack's own cap is higher


def _section(text: str) -> Message:
    # verbatim: Slack does not turn bare URLs, channel names or "@here" into links and
    # mentions; only <...> syntax would, and event text has it escaped.
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _context(text: str) -> Message:
    return {"type": "context", "elements": [{"type": "plain_text", "text": text, "emoji": False}]}


def plan_messages(
    header: str, body: str, footer: str, *, limits: Limits | None = None
) -> list[Message]:
    """Return the messages (``text`` and ``blocks``) that carry one rendered event.

    Args:
        header: plain text for the ``header`` block (folded to one line, cut to fit);
            none when empty.
        body: mrkdwn, already escaped; its paragraphs become sections.
        footer: plain text for the closing ``context`` block; ``part k/n`` is added
            when the event needs several messages.
        limits: Slack's limits by default.

    Returns:
        One or more messages in order, each within every limit. Each ``text`` (the
        notification and screen-reader fallback) repeats the message's content, with the
        header escaped for mrkdwn. Empty when header and body are both empty.
    """
    limits = limits or Limits()
    title = fit_plain(header, limits.header)
    sections = [p.lstrip("\n").rstrip() for p in split_text(body, limits.section)]
    sections = [s for s in sections if s.strip()]
    if not title and not sections:
        return []
    groups: list[list[str]] = [[]]
    used_blocks = 2 if title else 1  # header and context
    fallback = escape_slack(title) if title else ""
    used_text = units(fallback)
    for section in sections:
        size = units(section) + (2 if used_text else 0)  # "\n\n" between paragraphs
        if groups[-1] and (used_blocks + 1 > limits.blocks or used_text + size > limits.text):
            groups.append([])
            used_blocks, used_text = 1, 0
            size = units(section)
        groups[-1].append(section)
        used_blocks += 1
        used_text += size
    messages: list[Message] = []
    count = len(groups)
    tail = fit_plain(footer, _FOOTER_LIMIT - 12)
    for index, group in enumerate(groups):
        blocks: list[Message] = []
        texts: list[str] = []
        if index == 0 and title:
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": title}})
            texts.append(escape_slack(title))
        blocks.extend(_section(section) for section in group)
        texts.extend(group)
        note = f"{tail} · part {index + 1}/{count}" if count > 1 else tail
        if note:
            blocks.append(_context(note))
        messages.append({"text": "\n\n".join(texts), "blocks": blocks})
    return messages
