"""The AMQP protocol binding (amqp-protocol-binding.md, 1.0.3-wip), sans I/O.

Functions map events to ``AmqpMessage`` values and back. An ``AmqpMessage`` holds the
three parts of an AMQP 1.0 bare message the binding uses, as plain Python values, so
any client can send it: the message ``properties`` (``content_type``), the
``application_properties`` and the ``body`` (one data section).

**Property names.** Binary mode writes ``cloudEvents_`` names, the separator that
section 3.1.3.1 says SHOULD be preferred (JMS 2.0 selectors cannot use ``:``);
``to_binary(event, prefix=amqp.COLON_PREFIX)`` writes ``cloudEvents:`` for receivers
that know only that one. ``from_amqp`` reads both, and refuses a message that mixes
them, since a single message MUST use one separator.

**Typed values** (section 3.1.3.2). Application property values are native AMQP types,
held as the Python types a client maps one to one:

| CloudEvents                | Python value         | AMQP 1.0 type |
|----------------------------|----------------------|---------------|
| Boolean                    | ``bool``             | boolean       |
| Integer                    | ``int``              | long          |
| String, URI, URI-reference | ``str``              | string        |
| Binary                     | ``bytes``            | binary        |
| Timestamp                  | ``datetime`` (UTC)   | timestamp     |

An AMQP timestamp counts milliseconds, so ``time`` is written as a ``datetime`` only
when that is exact; a time with sub-millisecond digits or a leap second is written as
its canonical string, which the spec also allows, so no digit is lost
(``timestamp_digits=0`` does the same for AMQP 0-9-1 header tables, whose timestamps
count seconds). Extension
values keep their type (``5`` stays an Integer). Reading accepts both forms for every
attribute, and also an ``int`` of milliseconds since the epoch for ``time``, the way
the official Python SDK writes AMQP timestamps.

Example:
    >>> import cesdk
    >>> from cesdk.bindings import amqp
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1",
    ...                       time="2018-04-05T03:56:24Z", extensions={"n": 5})
    >>> msg = amqp.to_binary(ev)
    >>> msg.application_properties["cloudEvents_n"], msg.application_properties["cloudEvents_time"]
    (5, datetime.datetime(2018, 4, 5, 3, 56, 24, tzinfo=datetime.timezone.utc))
    >>> amqp.from_amqp(msg) == ev
    True
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cesdk._errors import DecodeError, EncodeError
from cesdk._event import CloudEvent
from cesdk._types import AttributeValue, Timestamp
from cesdk.bindings._codec import (
    body_to_data,
    data_to_body,
    structured_content_type,
    structured_format,
)
from cesdk.formats import Format
from cesdk.formats import json as json_format

__all__ = [
    "COLON_PREFIX",
    "PREFIX",
    "AmqpMessage",
    "AmqpValue",
    "from_amqp",
    "to_binary",
    "to_structured",
]

PREFIX: Final = "cloudEvents_"
"""The application-property prefix ``to_binary`` writes by default (section 3.1.3.1)."""
COLON_PREFIX: Final = "cloudEvents:"
"""The other prefix the spec permits; read always, written on request."""

AmqpValue = bool | int | str | bytes | datetime
"""An application property value: boolean, long, string, binary or timestamp."""

_WHERE: Final = "AMQP message"
_BINDING: Final = "the AMQP binding (amqp-protocol-binding.md 1.3)"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_FRACTION: Final = re.compile(r"\.([0-9]+)")
_MISSING: Final[Any] = object()


@dataclass(frozen=True, slots=True)
class AmqpMessage:
    """The parts of an AMQP 1.0 message that carry an event.

    Attributes:
        properties: the message properties by their Python client names
            (``content_type``; qpid-proton, azure-servicebus and pika use these names).
        application_properties: name to boolean, long, string, binary or timestamp.
        body: the application data, as one data section; empty means no data.
    """

    properties: dict[str, Any] = field(default_factory=dict)
    application_properties: dict[str, AmqpValue] = field(default_factory=dict)
    body: bytes = b""


# -- encoding -----------------------------------------------------------------------------


def _amqp_timestamp(text: str, digits: int | None) -> datetime | str:
    """Return ``time`` as an exact ``datetime`` in UTC, or keep the text.

    The AMQP 1.0 timestamp counts milliseconds since the epoch (``digits=3``); an AMQP
    0-9-1 header table's timestamp counts seconds (``digits=0``). A leap second, finer
    digits or an instant outside ``datetime``'s range travel as the canonical string.
    """
    if digits is None or text[17:19] == "60":  # RFC 3339 "HH:MM:60", validated text
        return text
    match = _FRACTION.match(text, 19)
    if match is not None and len(match.group(1).rstrip("0")) > digits:
        return text
    try:
        return Timestamp.parse(text).astimezone(UTC)
    except (OverflowError, ValueError):
        return text


def to_binary(
    event: CloudEvent, *, prefix: str = PREFIX, timestamp_digits: int | None = 3
) -> AmqpMessage:
    """Map an event to a binary-mode message (section 3.1).

    ``datacontenttype`` becomes the ``content_type`` property, every other attribute an
    application property with native AMQP types, the data the body.

    Args:
        event: the event.
        prefix: ``PREFIX`` (``cloudEvents_``, the default the spec prefers) or
            ``COLON_PREFIX`` (``cloudEvents:``).
        timestamp_digits: how many fraction digits the client's timestamp type holds:
            3 for AMQP 1.0 (milliseconds), 0 for an AMQP 0-9-1 header table (seconds).
            A ``time`` that needs more is written as its canonical string; ``None``
            always writes the string.

    Raises:
        EncodeError: an unknown prefix, or data that cannot be written in its content type.
    """
    if prefix not in (PREFIX, COLON_PREFIX):
        raise EncodeError(
            f"prefix {prefix!r} is not allowed: section 3.1.3.1 permits "
            f"{PREFIX!r} and {COLON_PREFIX!r}"
        )
    application_properties: dict[str, AmqpValue] = {}
    for name, value in event._attrs.items():
        if name == "time":
            stamp = _amqp_timestamp(str(value), timestamp_digits)  # validated RFC 3339 text
            application_properties[prefix + name] = stamp
        elif name != "datacontenttype":
            application_properties[prefix + name] = value
    body, content_type = data_to_body(event)
    properties: dict[str, Any] = {} if content_type is None else {"content_type": content_type}
    return AmqpMessage(properties, application_properties, body or b"")


def to_structured(event: CloudEvent, *, format: Format = json_format) -> AmqpMessage:
    """Map an event to a structured-mode message (section 3.2) in an event format.

    Args:
        event: the event.
        format: the event format module, ``cesdk.formats.json`` by default (the one
            every receiver must read, section 1.4).
    """
    return AmqpMessage({"content_type": structured_content_type(format)}, {}, format.encode(event))


# -- decoding -----------------------------------------------------------------------------


def _text(value: object, what: str) -> str:
    if isinstance(value, str):  # qpid-proton's symbol is a str subclass
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise DecodeError(f"{what} is not valid UTF-8", position=what) from None
    raise DecodeError(f"{what} must be a string, got {type(value).__name__}", position=what)


def _content_type(properties: object) -> str | None:
    """Read ``content_type`` (or the AMQP name ``content-type``) from the properties."""
    if properties is None:
        return None
    if isinstance(properties, Mapping):
        found = [properties[key] for key in ("content_type", "content-type") if key in properties]
        found = [value for value in found if value is not None]
        if len(found) == 2 and found[0] != found[1]:
            raise DecodeError(
                f"properties content_type {found[0]!r:.60} and content-type {found[1]!r:.60} "
                "disagree",
                position="content_type",
            )
        value = found[0] if found else None
    else:  # an object with attributes, such as pika's BasicProperties
        value = getattr(properties, "content_type", None)
    return None if value is None else _text(value, "property content_type")


def _utc_text(moment: datetime) -> str:
    """Return RFC 3339 text in UTC, with as many fraction digits as the value needs."""
    micro = moment.microsecond
    fraction = "" if not micro else f".{micro // 1000:03d}" if not micro % 1000 else f".{micro:06d}"
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}{fraction}Z"
    )


def _timestamp_text(prop: str, value: int | datetime) -> str:
    """Return the RFC 3339 text of an AMQP timestamp: milliseconds or a ``datetime``."""
    try:
        if isinstance(value, datetime):
            # AMQP timestamps are UTC; a client that drops the zone means UTC.
            if value.tzinfo is None or value.utcoffset() is None:
                return _utc_text(value)
            return _utc_text(value.astimezone(UTC))
        return _utc_text(_EPOCH + timedelta(milliseconds=value))
    except OverflowError:
        raise DecodeError(
            f"application property {prop}: AMQP timestamp {value!r:.60} is out of range",
            position=prop,
        ) from None


def _attribute_value(prop: str, name: str, value: object) -> AttributeValue | None:
    """Turn an application property value into an attribute value (section 3.1.3.2)."""
    if type(value) is bool:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):  # long, or any other AMQP integer type (a relaxation)
        number = int.__int__(value)
        # An int for time is an AMQP timestamp as clients without a type for it hold it.
        return _timestamp_text(prop, number) if name == "time" else number
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, datetime):
        return _timestamp_text(prop, value)
    if isinstance(value, uuid.UUID):  # an AMQP uuid, e.g. for id
        return str(value)
    if value is None:  # AMQP null: no value, so no attribute
        return None
    raise DecodeError(
        f"application property {prop}: an AMQP {type(value).__name__} value is not a "
        "CloudEvents type; use boolean, long, string, binary, timestamp or the canonical "
        "string (amqp-protocol-binding.md 3.1.3.2)",
        position=prop,
    )


def _property_name(key: object) -> str | None:
    if isinstance(key, str):
        return str.__str__(key)
    if isinstance(key, (bytes, bytearray)):
        return bytes(key).decode("utf-8", "replace")
    return None  # AMQP keys are strings; anything else cannot name an attribute


def _attributes(application_properties: object) -> dict[str, AttributeValue]:
    """Collect the ``cloudEvents_`` / ``cloudEvents:`` application properties."""
    if application_properties is None:
        return {}
    if not isinstance(application_properties, Mapping):
        raise DecodeError(
            f"application_properties must be a mapping, got {type(application_properties).__name__}"
        )
    attrs: dict[str, AttributeValue] = {}
    first: str = ""  # the first attribute property: its separator rules the message
    for key, value in application_properties.items():
        prop = _property_name(key)
        if prop is None:
            continue
        if prop.startswith((PREFIX, COLON_PREFIX)):
            if not first:
                first = prop
            elif first[11] != prop[11]:
                raise DecodeError(
                    f"application properties {first!r} and {prop!r} mix the '_' and ':' "
                    "separators; a message MUST use one for all attributes "
                    "(amqp-protocol-binding.md 3.1.3.1)",
                    position=prop,
                )
            attribute = _attribute_value(prop, prop[12:], value)
            if attribute is not None:
                attrs[prop[12:]] = attribute
        elif prop[:12].lower() in ("cloudevents_", "cloudevents:"):
            raise DecodeError(
                f"application property {prop!r}: the prefix is 'cloudEvents_' or "
                "'cloudEvents:', in exactly that case (amqp-protocol-binding.md 3.1.3.1)",
                position=prop,
            )
    if "datacontenttype" in attrs:
        prop = first[:12] + "datacontenttype"
        raise DecodeError(
            f"application property {prop}: binary mode carries datacontenttype as the "
            "content_type property (amqp-protocol-binding.md 3.1.3)",
            position=prop,
        )
    return attrs


def _body(message: object) -> bytes:
    body = getattr(message, "body", _MISSING)
    if body is _MISSING:  # the official SDK's AMQPMessage calls it application_data
        body = getattr(message, "application_data", None)
    if type(body) is bytes:
        return body
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):  # an amqp-value string section
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DecodeError(
                f"the body is text that is not valid Unicode at position {exc.start}"
            ) from None
    if body is None:
        return b""
    raise DecodeError(f"the body must be bytes (an AMQP data section), got {type(body).__name__}")


def from_amqp(message: Any) -> CloudEvent:
    """Decode a message, choosing the mode by its content type (section 3).

    ``message`` is an ``AmqpMessage`` or any object with ``properties``,
    ``application_properties`` and ``body`` (or ``application_data``, as the official
    SDK's ``AMQPMessage`` has). ``properties`` is a mapping with ``content_type`` or
    ``content-type``, or an object with a ``content_type`` attribute.

    A content type starting with ``application/cloudevents`` is structured mode in the
    format registered for it (``cesdk.formats.lookup``); anything else is binary mode.

    Raises:
        DecodeError: not a CloudEvent, a property of the wrong shape or type, a format
            that is not installed, or a body that does not match its content type;
            ``InvalidMessageError`` names each invalid attribute.
    """
    content_type = _content_type(getattr(message, "properties", None))
    body = _body(message)
    if content_type is not None and content_type.lstrip(" \t").lower().startswith(
        "application/cloudevents"
    ):
        return structured_format(content_type, _BINDING).decode(body)
    attrs: dict[str, Any] = _attributes(getattr(message, "application_properties", None))
    if not attrs:
        raise DecodeError(
            "not a CloudEvent: no cloudEvents_ application properties, and content type "
            f"{content_type!r} is not a CloudEvents format",
            position="content_type",
        )
    if content_type is not None:
        attrs["datacontenttype"] = content_type.strip(" \t")
    data, data_json = body_to_data(body, content_type)
    return CloudEvent._from_wire(attrs, data, _WHERE, data_json)
