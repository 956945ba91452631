"""Dead-letter events: the original event plus why and where it failed."""

from __future__ import annotations

import json
import re
from typing import Final

from cesdk._event import CloudEvent
from cesdk._pipeline._contracts import RawMessage
from cesdk._types import now_rfc3339

__all__ = ["UNDECODABLE_TYPE", "dead_letter_event", "strip_dead_letter", "undecodable_event"]

UNDECODABLE_TYPE: Final = "dev.cesdk.deadletter.undecodable"
DEAD_LETTER_EXTENSIONS: Final = (
    "deadletterreason",
    "deadletterattempts",
    "deadlettersink",
    "deadlettertime",
    "deadletterheaders",
    "deadlettermetadata",
)
_NOT_STRING = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_REASON_MAX = 2000


def _clean(text: str) -> str:
    """Make any text a valid CloudEvents String: control characters become spaces."""
    return _NOT_STRING.sub(" ", text)


def _as_string(text: str) -> str:
    """A reason: a valid String, cut to a readable length."""
    text = _clean(text).strip() or "unknown"
    return text if len(text) <= _REASON_MAX else text[: _REASON_MAX - 3] + "..."


def _json_text(value: object) -> str:
    # ASCII-only JSON: every control character, non-ASCII character and even a lone
    # surrogate (from surrogateescape decoding) becomes a \\u escape, so the text is a
    # valid CloudEvents String and nothing is lost.
    return json.dumps(value, ensure_ascii=True, default=repr)


def dead_letter_event(event: CloudEvent, *, reason: str, attempts: int, sink: str) -> CloudEvent:
    """Return ``event`` with the dead-letter extensions set."""
    return event.replace(
        deadletterreason=_as_string(reason),
        deadletterattempts=attempts,
        deadlettersink=_as_string(sink),
        deadlettertime=now_rfc3339(),
    )


def undecodable_event(raw: RawMessage, error: Exception | None, *, source: str) -> CloudEvent:
    """Wrap a message that did not decode: its bytes as data, its headers as JSON text."""
    headers = _json_text([[str(k), str(v)] for k, v in raw.headers])
    metadata = _json_text({str(k): v for k, v in raw.metadata.items()})
    extensions: dict[str, object] = {
        "deadletterreason": _as_string(f"undecodable: {error}" if error else "undecodable"),
        "deadletterattempts": 0,
        "deadlettersink": "decoder",
        "deadlettertime": now_rfc3339(),
        "deadletterheaders": headers,
        "deadlettermetadata": metadata,
    }
    return CloudEvent(
        type=UNDECODABLE_TYPE,
        source=source,
        data=bytes(raw.body),
        datacontenttype="application/octet-stream",
        extensions=extensions,
    )


def strip_dead_letter(event: CloudEvent) -> CloudEvent:
    """Return the original event: the dead-letter extensions removed (for replay)."""
    return event.replace(**dict.fromkeys(DEAD_LETTER_EXTENSIONS))
