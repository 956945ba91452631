"""The WebSockets protocol binding (websockets-protocol-binding.md, 1.0.3-wip), sans I/O.

A WebSocket stream carries structured events only, in the one event format both ends
agree on during the opening handshake (section 1.4). The client lists CloudEvents
subprotocols in ``Sec-WebSocket-Protocol``; the server picks one, or answers without
the header when it supports none. Each subprotocol names a format and the frame type
senders MUST use (section 1.5):

| Subprotocol           | Format (media type)                  | Frame type |
|-----------------------|--------------------------------------|------------|
| ``cloudevents.json``  | ``application/cloudevents+json``     | text       |
| ``cloudevents.avro``  | ``application/cloudevents+avro``     | binary     |
| ``cloudevents.proto`` | ``application/cloudevents+protobuf`` | binary     |

Formats are found through ``cesdk.formats.lookup``, so Avro and Protobuf work once
their extras are installed; ``supported_subprotocols()`` lists what works here.

Example:
    >>> import cesdk
    >>> from cesdk.bindings import websockets
    >>> websockets.negotiate("cloudevents.avro2, cloudevents.json")
    'cloudevents.json'
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1", time=None)
    >>> frame = websockets.to_frame(ev, "cloudevents.json")
    >>> frame.kind
    'text'
    >>> websockets.from_frame(frame, "cloudevents.json") == ev
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple

from cesdk import formats
from cesdk._errors import CESDKError, DecodeError, EncodeError
from cesdk._event import CloudEvent
from cesdk.formats import Format

__all__ = [
    "FRAME_KINDS",
    "MEDIA_TYPES",
    "SUBPROTOCOLS",
    "FrameKind",
    "WebSocketFrame",
    "format_for",
    "from_frame",
    "negotiate",
    "supported_subprotocols",
    "to_frame",
]

FrameKind = Literal["text", "binary"]

SUBPROTOCOLS: Final = ("cloudevents.json", "cloudevents.avro", "cloudevents.proto")
"""The CloudEvents subprotocols, in the order of section 1.5."""

MEDIA_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "cloudevents.json": "application/cloudevents+json",
        "cloudevents.avro": "application/cloudevents+avro",
        "cloudevents.proto": "application/cloudevents+protobuf",
    }
)
"""Subprotocol to the media type of its event format."""

FRAME_KINDS: Final[Mapping[str, FrameKind]] = MappingProxyType(
    {"cloudevents.json": "text", "cloudevents.avro": "binary", "cloudevents.proto": "binary"}
)
"""Subprotocol to the frame type senders MUST use (section 1.5)."""


class WebSocketFrame(NamedTuple):
    """One WebSocket message: its frame type and payload.

    ``payload`` is ``str`` for a text frame and ``bytes`` for a binary one, which is
    what WebSocket libraries take to choose the frame type (``websockets``'
    ``send``, Starlette's ``send_text`` / ``send_bytes``).
    """

    kind: FrameKind
    payload: str | bytes


def _unknown(subprotocol: object) -> str:
    return (
        f"{subprotocol!r:.60} is not a CloudEvents subprotocol; the binding defines "
        f"{', '.join(SUBPROTOCOLS)} (websockets-protocol-binding.md 1.5)"
    )


def format_for(subprotocol: str) -> Format:
    """Return the event format module of a subprotocol.

    Raises:
        DecodeError: not a CloudEvents subprotocol, or its format is not installed (the
            message names the extra to install).
    """
    media_type = MEDIA_TYPES.get(subprotocol) if isinstance(subprotocol, str) else None
    if media_type is None:
        raise DecodeError(_unknown(subprotocol), position="subprotocol")
    return formats.lookup(media_type)


def supported_subprotocols() -> tuple[str, ...]:
    """Return the subprotocols whose format is installed, JSON first.

    Offer these in a client handshake, or pass them to ``negotiate`` on a server.
    """
    supported = []
    for subprotocol in SUBPROTOCOLS:
        try:
            format_for(subprotocol)
        except CESDKError:
            continue
        supported.append(subprotocol)
    return tuple(supported)


def _offered(offered: str | Iterable[str] | None) -> list[str]:
    if offered is None:
        return []
    values = [offered] if isinstance(offered, str) else offered
    names: list[str] = []
    for value in values:
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if isinstance(value, str):  # one header line may list several, comma-separated
            names.extend(item.strip(" \t") for item in value.split(","))
    return [name for name in names if name]


def negotiate(
    offered: str | Iterable[str] | None, supported: Iterable[str] | None = None
) -> str | None:
    """Pick the subprotocol a server answers with (section 1.4), or ``None``.

    The client's list is in order of preference (RFC 6455 section 4.1), so the first
    offered subprotocol the server supports wins. ``None`` means the server supports
    none of them and SHOULD answer without a ``Sec-WebSocket-Protocol`` header.

    Args:
        offered: the client's ``Sec-WebSocket-Protocol`` value(s): one header value
            with comma-separated names, or a list of names or header lines (bytes
            allowed, as ASGI scopes give them).
        supported: what the server accepts; ``supported_subprotocols()`` by default.
    """
    accepted = set(supported_subprotocols() if supported is None else supported)
    for name in _offered(offered):
        if name in accepted:
            return name
    return None


def to_frame(event: CloudEvent, subprotocol: str) -> WebSocketFrame:
    """Encode an event as one WebSocket message in the subprotocol's format (section 3).

    Returns:
        ``WebSocketFrame("text", str)`` for ``cloudevents.json``,
        ``WebSocketFrame("binary", bytes)`` for the binary formats.

    Raises:
        EncodeError: not a CloudEvents subprotocol, its format is not installed, or the
            event cannot be written in it.
    """
    try:
        fmt = format_for(subprotocol)
    except DecodeError as exc:
        raise EncodeError(str(exc)) from None
    payload = fmt.encode(event)
    if FRAME_KINDS[subprotocol] == "text":
        return WebSocketFrame("text", payload.decode("utf-8"))
    return WebSocketFrame("binary", payload)


def _frame_parts(frame: object) -> tuple[str, object]:
    if isinstance(frame, str):
        return "text", frame
    if isinstance(frame, (bytes, bytearray, memoryview)):
        return "binary", bytes(frame)
    if isinstance(frame, tuple) and len(frame) == 2:
        kind, payload = frame
        if kind in ("text", "binary"):
            return kind, payload
        raise DecodeError(f"frame kind must be 'text' or 'binary', got {kind!r:.40}")
    raise DecodeError(
        "a frame is a WebSocketFrame, a (kind, payload) pair, str (a text frame) or bytes "
        f"(a binary frame), got {type(frame).__name__}"
    )


def _payload_bytes(kind: str, payload: object) -> bytes:
    if isinstance(payload, str):
        try:
            return payload.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DecodeError(
                f"the {kind} frame holds text that is not valid Unicode at position {exc.start}"
            ) from None
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    raise DecodeError(f"a frame payload is str or bytes, got {type(payload).__name__}")


def from_frame(
    frame: WebSocketFrame | tuple[str, Any] | str | bytes, subprotocol: str
) -> CloudEvent:
    """Decode one WebSocket message in the agreed subprotocol's format.

    Args:
        frame: a ``WebSocketFrame`` or ``(kind, payload)`` pair, or just the payload: a
            ``str`` is a text frame, ``bytes`` a binary one.
        subprotocol: the subprotocol agreed in the handshake.

    A binary frame in ``cloudevents.json`` is read as UTF-8 JSON (a sender MUST use text
    frames, but the bytes are the same). A text frame in ``cloudevents.avro`` or
    ``cloudevents.proto`` is refused: text cannot hold their binary encoding.

    Raises:
        DecodeError: an unknown subprotocol, a format that is not installed, a frame
            of the wrong type, or a payload that is not one event in the format
            (a JSON batch is not allowed, section 1.5); ``InvalidMessageError`` names
            each invalid attribute.
    """
    kind, payload = _frame_parts(frame)
    fmt = format_for(subprotocol)
    if kind == "text" and FRAME_KINDS[subprotocol] == "binary":
        raise DecodeError(
            f"{subprotocol} messages are binary frames (websockets-protocol-binding.md 1.5); "
            "got a text frame",
            position="frame",
        )
    data = _payload_bytes(kind, payload)
    if subprotocol == "cloudevents.json" and data.lstrip(b" \t\r\n")[:1] == b"[":
        raise DecodeError(
            "a cloudevents.json message holds one event; the JSON batch format is not "
            "supported (websockets-protocol-binding.md 1.5)",
            position=0,
        )
    return fmt.decode(data)
