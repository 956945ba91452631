"""The Kafka protocol binding (kafka-protocol-binding.md), sans I/O.

Example:
    >>> import cesdk
    >>> from cesdk.bindings import kafka
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1", time=None,
    ...                       extensions={"partitionkey": "web-1"})
    >>> msg = kafka.to_binary(ev, key_mapper=kafka.partitionkey_mapper)
    >>> msg.key, msg.value
    (b'web-1', None)
    >>> kafka.from_kafka(msg) == ev
    True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from cesdk._errors import DecodeError
from cesdk._event import CloudEvent
from cesdk._types import canonical_string
from cesdk.bindings._codec import body_to_data, data_to_body
from cesdk.formats import Format, lookup
from cesdk.formats import json as json_format

__all__ = [
    "KafkaMessage",
    "KeyMapper",
    "from_kafka",
    "partitionkey_mapper",
    "to_binary",
    "to_structured",
]

_PREFIX: Final = "ce_"
_STRUCTURED_CT: Final = (json_format.CONTENT_TYPE + "; charset=utf-8").encode()

KeyMapper = Callable[[CloudEvent], "bytes | str | None"]
"""A "Key Mapper" (section 3.1): picks the record key for an event, never changing it."""


@dataclass(frozen=True, slots=True)
class KafkaMessage:
    """A Kafka record's key, value and headers, as a producer sends them."""

    key: bytes | None = None
    value: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def partitionkey_mapper(event: CloudEvent) -> bytes | None:
    """Map the Partitioning extension's ``partitionkey`` to the record key, as-is.

    The opt-in Key Mapper of section 3.1; the event keeps its ``partitionkey``.
    """
    value = event._attrs.get("partitionkey")
    return None if value is None else canonical_string(value).encode("utf-8")


def _key(event: CloudEvent, key: bytes | str | None, key_mapper: KeyMapper | None) -> bytes | None:
    if key_mapper is not None:
        key = key_mapper(event)
    if isinstance(key, str):
        return key.encode("utf-8")
    return key


def to_binary(
    event: CloudEvent, *, key: bytes | str | None = None, key_mapper: KeyMapper | None = None
) -> KafkaMessage:
    """Map an event to a binary-mode record (section 3.2).

    Attributes become ``ce_`` headers (UTF-8), ``datacontenttype`` the
    ``content-type`` header, data the value; an event without data has a null value.

    Args:
        event: the event.
        key: the record key you choose (section 3.1: mapped as given by default).
        key_mapper: computes the key from the event instead, e.g.
            ``partitionkey_mapper``.
    """
    headers = [
        (
            _PREFIX + name,
            (value if type(value) is str else canonical_string(value)).encode(),
        )
        for name, value in event._attrs.items()
        if name != "datacontenttype"
    ]
    value, content_type = data_to_body(event)
    if content_type is not None:
        headers.append(("content-type", content_type.encode("utf-8")))
    return KafkaMessage(_key(event, key, key_mapper), value, headers)


def to_structured(
    event: CloudEvent,
    *,
    key: bytes | str | None = None,
    key_mapper: KeyMapper | None = None,
    format: Format = json_format,
) -> KafkaMessage:
    """Map an event to a structured-mode record (section 3.3).

    Args:
        event: the event.
        key: the record key you choose, as in ``to_binary``.
        key_mapper: computes the key from the event instead.
        format: the event format: ``cesdk.formats.json`` (the default),
            ``cesdk.formats.avro``, ``cesdk.formats.protobuf`` or a plugin's module;
            its ``CONTENT_TYPE`` becomes the ``content-type`` header.

    Raises:
        EncodeError: the format cannot carry this event.
    """
    if format is json_format:
        return KafkaMessage(
            _key(event, key, key_mapper),
            json_format.encode(event),
            [("content-type", _STRUCTURED_CT)],
        )
    return KafkaMessage(
        _key(event, key, key_mapper),
        format.encode(event),
        [("content-type", format.CONTENT_TYPE.encode("utf-8"))],
    )


def _header_text(name: str, value: object) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"header {name}: value is not valid UTF-8 at byte {exc.start} "
                "(kafka-protocol-binding.md 3.2.3)",
                position=name,
            ) from None
    if isinstance(value, str):
        return value
    raise DecodeError(
        f"header {name}: value must be bytes, got {type(value).__name__}", position=name
    )


def _header_name(name: object) -> str:
    if isinstance(name, str):
        return name
    if isinstance(name, (bytes, bytearray)):
        return bytes(name).decode("utf-8", "replace")
    raise DecodeError(f"header names must be str, got {type(name).__name__}")


def _scan_headers(headers: Any) -> tuple[dict[str, str], str | None]:
    """Collect ``ce_`` attributes and the content type from a record's headers."""
    if type(headers) is tuple or type(headers) is list:
        # The common case (aiokafka: a tuple of (str, bytes), ce_ headers and maybe
        # content-type last, as to_binary writes them) in one comprehension; anything
        # else (other types, bad UTF-8, repeats, a wrong-case prefix, other headers) is
        # left to the careful scan below, which names the problem.
        try:
            attrs = {name[3:]: raw.decode() for name, raw in headers if name[:3] == "ce_"}
            others = len(headers) - len(attrs)  # more than the non-ce_ ones if repeated
            if others == 0:
                return attrs, None
            if others == 1:
                name, raw = headers[-1]
                if name == "content-type":
                    return attrs, raw.decode()
        except (AttributeError, TypeError, ValueError):
            pass
    return _scan_headers_carefully(headers)


def _scan_headers_carefully(headers: Any) -> tuple[dict[str, str], str | None]:
    if headers is None:
        return {}, None
    if callable(headers):  # confluent-kafka's Message.headers()
        headers = headers() or ()
    if isinstance(headers, dict):
        headers = list(headers.items())
    elif not isinstance(headers, (list, tuple)):
        try:
            headers = list(headers)
        except TypeError:
            raise DecodeError(
                f"headers must be (name, value) pairs, got {type(headers).__name__}"
            ) from None
    attrs: dict[str, str] = {}
    content_type: str | None = None
    try:
        for name, raw in headers:
            if type(name) is not str:
                name = _header_name(name)
            if name.startswith(_PREFIX):
                attr = name[3:]
                if attr in attrs:
                    raise DecodeError(f"header {name!r} appears more than once", position=name)
                attrs[attr] = raw.decode("utf-8") if type(raw) is bytes else _header_text(name, raw)
            elif name.lower() == "content-type":
                if content_type is not None:
                    raise DecodeError("header 'content-type' appears more than once")
                content_type = _header_text(name, raw)
            elif name[:3].lower() == _PREFIX:
                raise DecodeError(
                    f"header {name!r}: attribute headers use the lowercase prefix 'ce_'",
                    position=name,
                )
    except UnicodeDecodeError:
        # Find the offending header again to name it.
        for name, raw in headers:
            _header_text(_header_name(name), raw)
        raise DecodeError("a header value is not valid UTF-8") from None
    except (TypeError, ValueError) as exc:
        if isinstance(exc, DecodeError):
            raise
        raise DecodeError(f"headers must be (name, value) pairs: {exc}") from None
    return attrs, content_type


def from_kafka(message: Any) -> CloudEvent:
    """Decode a record: a ``KafkaMessage``, or any object with ``.value``/``.headers``.

    aiokafka's ``ConsumerRecord`` works directly. The record key is never turned into
    an attribute.

    Raises:
        DecodeError: not a CloudEvent, a malformed header, or a body that does not
            match its content type; ``InvalidMessageError`` names each
            invalid attribute.
    """
    value = getattr(message, "value", None)
    if callable(value):  # confluent-kafka's Message.value()
        value = value()
    if value is not None and type(value) is not bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value)
        else:
            raise DecodeError(f"the record value must be bytes, got {type(value).__name__}")
    attrs, content_type = _scan_headers(getattr(message, "headers", None))
    if content_type is not None:
        lowered_ct = content_type.lstrip(" \t").lower()
        if lowered_ct.startswith("application/cloudevents"):
            essence = lowered_ct.split(";", 1)[0].strip()
            found: Format = json_format
            if essence != json_format.CONTENT_TYPE:
                found = lookup(essence)  # DecodeError naming the known media types
                if essence != found.CONTENT_TYPE:
                    raise DecodeError(
                        f"unsupported event format {essence!r}: the Kafka binding has no "
                        f"batch mode; a structured record carries one event "
                        f"({found.CONTENT_TYPE!r})",
                        position="content-type",
                    )
            if value is None:
                raise DecodeError("a structured-mode record needs a value")
            return found.decode(value)
    if not attrs:
        raise DecodeError(
            "not a CloudEvent: no ce_ headers and no application/cloudevents content-type"
        )
    if "datacontenttype" in attrs:
        raise DecodeError(
            "header ce_datacontenttype: binary mode carries datacontenttype in the "
            "content-type header (section 3.2.1)",
            position="ce_datacontenttype",
        )
    if content_type is not None:
        attrs["datacontenttype"] = content_type
    # Kafka tells a null value (no data) from an empty one (empty data).
    data, data_json = body_to_data(value, content_type, empty_is_data=value is not None)
    return CloudEvent._from_wire(attrs, data, "Kafka record", data_json)
