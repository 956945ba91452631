"""The HTTP protocol binding (http-protocol-binding.md), sans I/O.

Functions map events to ``HttpMessage`` values and back; any HTTP client or
server can send or receive them.

Example:
    >>> import cesdk
    >>> from cesdk.bindings import http
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1", time=None,
    ...                       data={"n": 1})
    >>> msg = http.to_binary(ev)
    >>> msg.headers["ce-type"], msg.body
    ('com.example.ping', b'{"n":1}')
    >>> http.from_http(msg.headers, msg.body) == ev
    True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from cesdk._errors import DecodeError, EncodeError, InvalidMessageError
from cesdk._event import CloudEvent
from cesdk._types import canonical_string
from cesdk.bindings._codec import (
    body_to_data,
    data_to_body,
    decode_header_value,
    encode_header_value,
)
from cesdk.bindings._headers import HeadersInput, lower_headers
from cesdk.formats import BatchFormat, Format, essence, lookup
from cesdk.formats import json as json_format

__all__ = [
    "HttpMessage",
    "from_http",
    "from_http_batch",
    "to_batch",
    "to_binary",
    "to_structured",
]

_CE_PREFIX: Final = "ce-"
_STRUCTURED_CT: Final = json_format.CONTENT_TYPE + "; charset=utf-8"
_BATCH_CT: Final = json_format.BATCH_CONTENT_TYPE + "; charset=utf-8"


@dataclass(frozen=True, slots=True)
class HttpMessage:
    """An HTTP message's headers (lowercase names) and body."""

    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def to_binary(event: CloudEvent) -> HttpMessage:
    """Map an event to a binary-mode message (section 3.1).

    Attributes become ``ce-`` headers with percent-encoded values; ``datacontenttype``
    becomes ``content-type``; the data is the body.

    Raises:
        EncodeError: the data cannot be written in its content type.
    """
    headers: dict[str, str] = {}
    for name, value in event._attrs.items():
        if name != "datacontenttype":
            headers[_CE_PREFIX + name] = encode_header_value(canonical_string(value))
    body, content_type = data_to_body(event)
    if content_type is not None:
        headers["content-type"] = content_type
    return HttpMessage(headers, body or b"")


def to_structured(event: CloudEvent, format: Format = json_format) -> HttpMessage:
    """Map an event to a structured-mode message (section 3.2).

    Args:
        event: the event.
        format: the event format: ``cesdk.formats.json`` (the default),
            ``cesdk.formats.avro``, ``cesdk.formats.protobuf`` or a plugin's module;
            its ``CONTENT_TYPE`` becomes the ``content-type``.

    Raises:
        EncodeError: the format cannot carry this event.
    """
    if format is json_format:
        return HttpMessage({"content-type": _STRUCTURED_CT}, json_format.encode(event))
    return HttpMessage({"content-type": format.CONTENT_TYPE}, format.encode(event))


def to_batch(events: Iterable[CloudEvent], format: BatchFormat = json_format) -> HttpMessage:
    """Map events to one batched-mode message (section 3.3).

    Args:
        events: the events (an empty batch is allowed).
        format: a format that defines batches: ``cesdk.formats.json`` (the default)
            or ``cesdk.formats.protobuf``; its ``BATCH_CONTENT_TYPE`` becomes the
            ``content-type``.

    Raises:
        EncodeError: the format defines no batch, or cannot carry an event.
    """
    if format is json_format:
        return HttpMessage({"content-type": _BATCH_CT}, json_format.encode_batch(events))
    batch_type = getattr(format, "BATCH_CONTENT_TYPE", None)
    if batch_type is None or not hasattr(format, "encode_batch"):
        name = getattr(format, "__name__", repr(format))
        raise EncodeError(
            f"the event format {name} defines no batch; send the events one by one with "
            "to_structured(), or batch with cesdk.formats.json or cesdk.formats.protobuf"
        )
    return HttpMessage({"content-type": batch_type}, format.encode_batch(events))


def _mode(content_type: str | None) -> str:
    if content_type is None:
        return "binary"
    lowered = content_type.lstrip(" \t").lower()
    if lowered.startswith("application/cloudevents-batch"):
        return "batch"
    if lowered.startswith("application/cloudevents"):
        return "structured"
    return "binary"


def _format_of(content_type: str, batch: bool) -> Format:
    """The registered format of a structured (or batched) ``Content-Type``."""
    wanted = essence(content_type)
    if wanted == (json_format.BATCH_CONTENT_TYPE if batch else json_format.CONTENT_TYPE):
        return json_format
    found = lookup(wanted)  # DecodeError naming the media types that are known
    if getattr(found, "BATCH_CONTENT_TYPE" if batch else "CONTENT_TYPE", None) != wanted:
        name = getattr(found, "__name__", found)
        raise DecodeError(
            f"unsupported event format {wanted!r}: the {name} format reads "
            f"{'batches' if not batch else 'single events'} with that media type",
            position="content-type",
        )
    return found


def _as_bytes(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8", "surrogatepass")
    if body is None:
        return b""
    raise DecodeError(f"the body must be bytes, got {type(body).__name__}")


def from_http(headers: HeadersInput, body: bytes | bytearray | memoryview | str) -> CloudEvent:
    """Decode one event from an HTTP message, choosing the mode by ``Content-Type``.

    ``headers`` is a mapping or a list of ``(name, value)`` pairs (str or bytes, as
    ASGI servers give them); names are matched case-insensitively.

    Raises:
        DecodeError: not a CloudEvent, a batch (use ``from_http_batch``), or a
            malformed header or body; ``InvalidMessageError`` (a
            ``DecodeError``) names each invalid attribute.
    """
    lowered = lower_headers(headers)
    raw_body = _as_bytes(body)
    content_type = lowered.get("content-type")
    mode = _mode(content_type)
    if mode == "batch":
        raise DecodeError(
            "this message is a batch (Content-Type application/cloudevents-batch); "
            "use from_http_batch()",
            position="content-type",
        )
    if mode == "structured":
        return _format_of(content_type, batch=False).decode(raw_body)  # type: ignore[arg-type]
    attrs: dict[str, str] = {}
    for name, value in lowered.items():
        if name.startswith(_CE_PREFIX):
            value = value.strip(" \t")  # OWS around the value; never decoded spaces
            if "%" in value or '"' in value or not value.isascii():
                value = decode_header_value(value, name)
            attrs[name[3:]] = value
    if not attrs:
        raise DecodeError(
            "not a CloudEvent: no ce- headers, and Content-Type "
            f"{content_type!r} is not a CloudEvents format",
            position="content-type",
        )
    if "datacontenttype" in attrs:
        raise InvalidMessageError(
            {
                "datacontenttype": "binary mode carries it as Content-Type; a "
                "ce-datacontenttype header MUST NOT be present (section 3.1.1)"
            },
            where="HTTP message",
        )
    if content_type is not None:
        attrs["datacontenttype"] = content_type.strip(" \t")
    data, data_json = body_to_data(raw_body, attrs.get("datacontenttype"))
    return CloudEvent._from_wire(attrs, data, "HTTP message", data_json)


def from_http_batch(
    headers: HeadersInput, body: bytes | bytearray | memoryview | str
) -> list[CloudEvent]:
    """Decode a batched-mode HTTP message (section 3.3) into its events.

    Raises:
        DecodeError: the message is not in batched mode, or its body is not a valid
            batch.
    """
    lowered = lower_headers(headers)
    content_type = lowered.get("content-type")
    if _mode(content_type) != "batch":
        raise DecodeError(
            f"not a batch: Content-Type is {content_type!r}, expected "
            f"{json_format.BATCH_CONTENT_TYPE!r}; use from_http() for one event",
            position="content-type",
        )
    found = _format_of(content_type, batch=True)  # type: ignore[arg-type]  # batch: not None
    return found.decode_batch(_as_bytes(body))  # type: ignore[attr-defined, no-any-return]
