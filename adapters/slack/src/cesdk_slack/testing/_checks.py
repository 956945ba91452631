"""The message rules the fake enforces, from Slack's documentation.

``chat.postMessage``: ``text`` or ``blocks`` is required (``no_text``); ``text`` over
40,000 characters is ``msg_too_long``; blocks must be a JSON array
(``invalid_blocks_format``) of at most 50 valid blocks (``invalid_blocks``). Block Kit:
a section has ``text`` or ``fields``, its text at most 3,000 characters, at most 10
fields of 2,000; a header's ``plain_text`` at most 150; a context has 1-10 elements;
text objects are ``plain_text`` or ``mrkdwn`` with non-empty text; ``block_id`` at most
255; unknown properties are refused, as Slack refuses them. Lengths are UTF-16 code units.
"""

from __future__ import annotations

from typing import Any

import orjson

from cesdk_slack._limits import Limits, units

__all__ = ["RefusalError", "check_message"]

_TEXT_KEYS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}
_BLOCK_KEYS = {
    "section": {"type", "block_id", "text", "fields", "accessory", "expand"},
    "header": {"type", "block_id", "text"},
    "context": {"type", "block_id", "elements"},
    "divider": {"type", "block_id"},
}
_CONTEXT_TEXT = 3000  # a text object's own cap, whatever the section limit
# Accepted with a type check only: the sink does not build them.
_OTHER_BLOCKS = {"image", "actions", "rich_text", "markdown", "input", "file", "video"}


class RefusalError(Exception):
    """A message Slack would refuse: ``code`` is Slack's error, ``messages`` the details."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        self.code, self.messages = code, messages or []
        super().__init__(code)


def _text_object(value: Any, where: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(value, dict):
        return [f"[ERROR] must be an object [json-pointer:{where}]"]
    kind = value.get("type")
    allowed = {"plain_text"} if plain_only else {"plain_text", "mrkdwn"}
    if kind not in allowed:
        return [f"[ERROR] must be one of {sorted(allowed)} [json-pointer:{where}/type]"]
    problems = [
        f"[ERROR] unsupported property {key!r} [json-pointer:{where}/{key}]"
        for key in value
        if key not in _TEXT_KEYS[kind]
    ]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"[ERROR] must be more than 0 characters [json-pointer:{where}/text]")
    elif units(text) > limit:
        problems.append(
            f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}/text]"
        )
    return problems


def _block(block: Any, where: str, limits: Limits) -> list[str]:
    if not isinstance(block, dict):
        return [f"[ERROR] must be an object [json-pointer:{where}]"]
    kind = block.get("type")
    if kind in _OTHER_BLOCKS:
        return []
    if kind not in _BLOCK_KEYS:
        return [f"[ERROR] unsupported type {kind!r} [json-pointer:{where}/type]"]
    problems = [
        f"[ERROR] unsupported property {key!r} [json-pointer:{where}/{key}]"
        for key in block
        if key not in _BLOCK_KEYS[kind]
    ]
    block_id = block.get("block_id")
    if block_id is not None and (not isinstance(block_id, str) or len(block_id) > 255):
        problems.append(f"[ERROR] must be a string of at most 255 [json-pointer:{where}/block_id]")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"[ERROR] must provide text or fields [json-pointer:{where}]")
        if "text" in block:
            problems += _text_object(block["text"], f"{where}/text", limits.section)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                problems.append(f"[ERROR] must hold 1 to 10 items [json-pointer:{where}/fields]")
            else:
                for n, field in enumerate(fields):
                    problems += _text_object(field, f"{where}/fields/{n}", 2000)
    elif kind == "header":
        problems += _text_object(block.get("text"), f"{where}/text", limits.header, plain_only=True)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            problems.append(f"[ERROR] must hold 1 to 10 items [json-pointer:{where}/elements]")
        else:
            for n, element in enumerate(elements):
                if isinstance(element, dict) and element.get("type") == "image":
                    continue
                problems += _text_object(element, f"{where}/elements/{n}", _CONTEXT_TEXT)
    return problems


def check_message(payload: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """Check a message's ``text`` and ``blocks``; return the payload with blocks decoded.

    Raises:
        RefusalError: with the code Slack answers (``no_text``, ``msg_too_long``,
            ``invalid_blocks``, ``invalid_blocks_format``, ``invalid_arguments``).
    """
    payload = dict(payload)
    blocks = payload.get("blocks")
    if isinstance(blocks, str):  # form-encoded: a JSON string
        try:
            blocks = payload["blocks"] = orjson.loads(blocks)
        except orjson.JSONDecodeError:
            raise RefusalError("invalid_blocks_format", ["[ERROR] blocks is not JSON"]) from None
    if blocks is not None and not isinstance(blocks, list):
        raise RefusalError(
            "invalid_blocks_format", ["[ERROR] must be an array [json-pointer:/blocks]"]
        )
    text = payload.get("text")
    if text is not None and not isinstance(text, str):
        raise RefusalError("invalid_arguments", ["[ERROR] text must be a string"])
    if not text and not blocks and not payload.get("attachments"):
        raise RefusalError("no_text")
    if blocks:
        if len(blocks) > limits.blocks:
            raise RefusalError(
                "invalid_blocks",
                [
                    f"[ERROR] must provide an array of no more than {limits.blocks} items "
                    "[json-pointer:/blocks]"
                ],
            )
        problems = [
            p for n, block in enumerate(blocks) for p in _block(block, f"/blocks/{n}", limits)
        ]
        if problems:
            raise RefusalError("invalid_blocks", problems)
    if text and units(text) > limits.text:
        raise RefusalError("msg_too_long")
    return payload
