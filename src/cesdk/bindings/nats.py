"""The NATS protocol binding (nats-protocol-binding.md, 1.0.3-wip), sans I/O.

Binary mode maps *every* attribute to a ``ce-`` header, ``datacontenttype`` included
(``ce-datacontenttype``): section 3.1.2 says all attributes MUST be mapped to ``ce-``
headers and, unlike the HTTP binding, names no exception; the header-name list and the
example in section 3.1.3.1/3.1.4 show ``ce-datacontenttype``. When decoding, a plain
``Content-Type`` header that is not a CloudEvents format stands in for a missing
``ce-datacontenttype``, for senders that followed the HTTP habit.

Section 3 tells the modes apart by a ``Content-Type`` of ``application/cloudevents``
(structured) on servers 2.2 and newer, and says servers before 2.2 (no headers) carry
structured messages only. So a message with that content type, or with no ``ce-``
headers at all, is read as structured; otherwise as binary.

Example:
    >>> import cesdk
    >>> from cesdk.bindings import nats
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1", time=None,
    ...                       data="hi", datacontenttype="text/plain")
    >>> msg = nats.to_binary(ev)
    >>> msg.headers["ce-datacontenttype"], msg.data
    ('text/plain', b'hi')
    >>> nats.from_nats(msg) == ev
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from cesdk._errors import DecodeError, InvalidMessageError
from cesdk._event import CloudEvent
from cesdk._types import canonical_string
from cesdk.bindings._codec import (
    body_to_data,
    data_to_body,
    decode_header_value,
    encode_header_value,
)
from cesdk.bindings._headers import lower_headers
from cesdk.formats import Format, essence, lookup
from cesdk.formats import json as json_format

__all__ = ["NatsMessage", "from_nats", "to_binary", "to_structured"]

_PREFIX: Final = "ce-"
_STRUCTURED_CT: Final = json_format.CONTENT_TYPE + "; charset=utf-8"


@dataclass(frozen=True, slots=True)
class NatsMessage:
    """A NATS message's headers and payload, as a publisher sends them."""

    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""


def to_binary(event: CloudEvent) -> NatsMessage:
    """Map an event to a binary-mode message (section 3.1): every attribute a header."""
    headers = {
        _PREFIX + name: encode_header_value(canonical_string(value))
        for name, value in event._attrs.items()
    }
    body, content_type = data_to_body(event)
    if content_type is not None and "datacontenttype" not in headers:
        # JSON data without a datacontenttype: state the implied type explicitly.
        headers["ce-datacontenttype"] = encode_header_value(content_type)
    return NatsMessage(headers, body or b"")


def to_structured(event: CloudEvent, format: Format = json_format) -> NatsMessage:
    """Map an event to a structured-mode message (section 3.2).

    Args:
        event: the event.
        format: the event format: ``cesdk.formats.json`` (the default),
            ``cesdk.formats.avro``, ``cesdk.formats.protobuf`` or a plugin's module;
            its ``CONTENT_TYPE`` becomes the ``Content-Type`` header.

    Raises:
        EncodeError: the format cannot carry this event.
    """
    if format is json_format:
        return NatsMessage({"Content-Type": _STRUCTURED_CT}, json_format.encode(event))
    return NatsMessage({"Content-Type": format.CONTENT_TYPE}, format.encode(event))


def from_nats(message: Any) -> CloudEvent:
    """Decode a ``NatsMessage`` or a nats-py ``Msg`` (``.headers``, ``.data``).

    Raises:
        DecodeError: not a CloudEvent, a malformed header, or a payload that does not
            match its content type; ``InvalidMessageError`` names each
            invalid attribute.
    """
    headers = lower_headers(getattr(message, "headers", None))
    payload = getattr(message, "data", b"")
    if isinstance(payload, (bytearray, memoryview)):
        payload = bytes(payload)
    if not isinstance(payload, bytes):
        raise DecodeError(f"the payload must be bytes, got {type(payload).__name__}")
    content_type = headers.get("content-type")
    attrs: dict[str, str] = {}
    for name, value in headers.items():
        if name.startswith(_PREFIX):
            value = value.strip(" \t")  # OWS around the value; never decoded spaces
            if "%" in value or '"' in value or not value.isascii():
                value = decode_header_value(value, name)
            attrs[name[3:]] = value
    structured_ct = content_type is not None and content_type.lstrip(" \t").lower().startswith(
        "application/cloudevents"
    )
    if structured_ct or not attrs:
        if structured_ct:
            wanted = essence(content_type)  # type: ignore[arg-type]  # structured: not None
            if wanted == json_format.CONTENT_TYPE:
                return json_format.decode(payload)
            found = lookup(wanted)  # DecodeError naming the known media types
            if wanted != found.CONTENT_TYPE:
                raise DecodeError(
                    f"unsupported event format {wanted!r}: the NATS binding has no batch "
                    f"mode; a structured message carries one event ({found.CONTENT_TYPE!r})",
                    position="content-type",
                )
            return found.decode(payload)
        try:
            return json_format.decode(payload)
        except InvalidMessageError:
            raise
        except DecodeError as exc:
            raise DecodeError(
                "not a CloudEvent: no ce- headers, and the payload is not a structured "
                f"JSON event ({exc})",
                position=exc.position,
            ) from None
    if "datacontenttype" not in attrs and content_type is not None:
        attrs["datacontenttype"] = content_type.strip(" \t")
    data, data_json = body_to_data(payload, attrs.get("datacontenttype"))
    return CloudEvent._from_wire(attrs, data, "NATS message", data_json)
