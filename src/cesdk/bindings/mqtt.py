"""The MQTT protocol binding (mqtt-protocol-binding.md, 1.0.3-wip), sans I/O.

Functions map events to ``MqttMessage`` values and back: the payload, the MQTT 5.0
``Content Type`` property and the User Properties of a PUBLISH packet, plus the topic
if you want to carry it along (the binding never derives it from the event).

**MQTT 5.0** has both content modes. Binary mode puts ``datacontenttype`` in
``Content Type``, every other attribute in a User Property named exactly as the
attribute, with its canonical string as value (section 3.1.3), and the data in the
payload. Structured mode sets ``Content Type`` to the event format's media type.

**MQTT 3.1.1** has no properties, so it has only structured mode in the JSON format
(section 3). Pass ``version=4`` (the protocol level of 3.1.1, paho-mqtt's
``MQTTv311``; ``3``, MQTT 3.1, behaves the same) to ``to_structured`` and
``from_mqtt``. An MQTT 5.0 message without ``Content Type`` and without attribute User
Properties — what an MQTT 5.0 subscriber receives from a 3.1.1 publisher — is read as
structured JSON too.

Example:
    >>> import cesdk
    >>> from cesdk.bindings import mqtt
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1", time=None,
    ...                       data="hi", datacontenttype="text/plain")
    >>> msg = mqtt.to_binary(ev)
    >>> msg.content_type, msg.user_properties[:2], msg.payload
    ('text/plain', [('specversion', '1.0'), ('id', '1')], b'hi')
    >>> mqtt.from_mqtt(msg) == ev
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cesdk._errors import DecodeError, EncodeError, InvalidMessageError
from cesdk._event import CloudEvent
from cesdk._types import canonical_string
from cesdk.bindings._codec import (
    body_to_data,
    data_to_body,
    structured_content_type,
    structured_format,
)
from cesdk.formats import Format
from cesdk.formats import json as json_format

__all__ = [
    "MQTT_3_1",
    "MQTT_3_1_1",
    "MQTT_5",
    "MqttMessage",
    "from_mqtt",
    "to_binary",
    "to_structured",
]

MQTT_5: Final = 5
"""Protocol level of MQTT 5.0 (paho-mqtt ``MQTTv5``): binary and structured mode."""
MQTT_3_1_1: Final = 4
"""Protocol level of MQTT 3.1.1 (paho-mqtt ``MQTTv311``): structured JSON only."""
MQTT_3_1: Final = 3
"""Protocol level of MQTT 3.1 (paho-mqtt ``MQTTv31``): no properties either."""

_WHERE: Final = "MQTT message"
_BINDING: Final = "the MQTT binding (mqtt-protocol-binding.md 1.3)"
# MQTT 5.0 section 1.5.4: a UTF-8 Encoded String holds at most 65,535 bytes.
_MAX_STRING: Final = 65_535
# spec.md Naming Conventions: only such names can be attributes; others are not ours.
_ATTRIBUTE_NAME: Final = re.compile(r"[a-z0-9]+")
_MISSING: Final[Any] = object()


@dataclass(frozen=True, slots=True)
class MqttMessage:
    """An MQTT PUBLISH packet's payload, Content Type and User Properties.

    Attributes:
        payload: the application message; in binary mode, empty means no data.
        content_type: the MQTT 5.0 ``Content Type`` property; ``None`` when absent (and
            always for MQTT 3.1.1).
        user_properties: MQTT 5.0 User Properties in order, as ``(name, value)`` pairs.
        topic: the topic name, if you set one; the binding never reads or derives it.
    """

    payload: bytes = b""
    content_type: str | None = None
    user_properties: list[tuple[str, str]] = field(default_factory=list)
    topic: str | None = None


def _has_properties(version: int, error: type[DecodeError] | type[EncodeError]) -> bool:
    if version == MQTT_5:
        return True
    if version in (MQTT_3_1_1, MQTT_3_1):
        return False
    raise error(
        f"MQTT version {version!r} is unknown: use 5 (MQTT 5.0) or 4 (MQTT 3.1.1; 3 for 3.1)"
    )


def _utf8_string(what: str, text: str) -> str:
    # A code point is at most 4 bytes of UTF-8: short texts need no encoding to check.
    if len(text) * 4 > _MAX_STRING and len(text.encode("utf-8")) > _MAX_STRING:
        raise EncodeError(
            f"{what} is {len(text.encode('utf-8'))} bytes of UTF-8; an MQTT string holds "
            f"at most {_MAX_STRING} (MQTT 5.0 section 1.5.4)"
        )
    return text


def to_binary(event: CloudEvent, *, version: int = MQTT_5, topic: str | None = None) -> MqttMessage:
    """Map an event to an MQTT 5.0 binary-mode message (section 3.1).

    Args:
        event: the event.
        version: must be 5; MQTT 3.1.1 has no binary mode (section 1.3).
        topic: copied into the message for your convenience.

    Raises:
        EncodeError: an MQTT 3 version, a value longer than an MQTT string can be, or
            data that cannot be written in its content type.
    """
    if not _has_properties(version, EncodeError):
        raise EncodeError(
            "MQTT 3.1.1 has no binary mode: it lacks User Properties "
            "(mqtt-protocol-binding.md 1.3); use to_structured(event, version=4)"
        )
    user_properties = [
        (name, _utf8_string(f"attribute {name}", canonical_string(value)))
        for name, value in event._attrs.items()
        if name != "datacontenttype"
    ]
    payload, content_type = data_to_body(event)
    if content_type is not None:
        _utf8_string("datacontenttype", content_type)
    return MqttMessage(payload or b"", content_type, user_properties, topic)


def to_structured(
    event: CloudEvent,
    *,
    version: int = MQTT_5,
    format: Format = json_format,
    topic: str | None = None,
) -> MqttMessage:
    """Map an event to a structured-mode message (section 3.2).

    Args:
        event: the event.
        version: 5 sets ``Content Type`` to the format's media type; 4 (MQTT 3.1.1)
            or 3 leave it out, and the JSON format is implied.
        format: the event format module, ``cesdk.formats.json`` by default; MQTT 3.1.1
            carries JSON only (section 3).
        topic: copied into the message for your convenience.

    Raises:
        EncodeError: a format other than JSON for MQTT 3.1.1, or an unknown version.
    """
    if _has_properties(version, EncodeError):
        return MqttMessage(format.encode(event), structured_content_type(format), [], topic)
    if format.CONTENT_TYPE != json_format.CONTENT_TYPE:
        raise EncodeError(
            f"MQTT 3.1.1 carries only the JSON event format, not {format.CONTENT_TYPE!r} "
            "(mqtt-protocol-binding.md 3)"
        )
    return MqttMessage(format.encode(event), None, [], topic)


# -- decoding -----------------------------------------------------------------------------


def _text(value: object, what: str) -> str:
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"{what} is not valid UTF-8 at byte {exc.start} (MQTT 5.0 section 1.5.4)",
                position=what,
            ) from None
    raise DecodeError(f"{what} must be a string, got {type(value).__name__}", position=what)


def _payload(message: object) -> bytes:
    payload = getattr(message, "payload", _MISSING)
    if type(payload) is bytes:
        return payload
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        try:
            return payload.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DecodeError(
                f"the payload is text that is not valid Unicode at position {exc.start}"
            ) from None
    if payload is None:
        return b""
    if payload is _MISSING:
        raise DecodeError(f"not an MQTT message: {type(message).__name__} has no payload")
    raise DecodeError(f"the payload must be bytes, got {type(payload).__name__}")


def _properties(message: object) -> tuple[object, object]:
    """Return the raw ``(content type, user properties)`` of a message.

    ``MqttMessage`` has them as attributes; paho-mqtt (and aiomqtt) messages keep them
    in ``properties.ContentType`` and ``properties.UserProperty``.
    """
    content_type = getattr(message, "content_type", _MISSING)
    user_properties = getattr(message, "user_properties", _MISSING)
    if content_type is _MISSING and user_properties is _MISSING:
        properties = getattr(message, "properties", None)
        return getattr(properties, "ContentType", None), getattr(properties, "UserProperty", None)
    return (
        None if content_type is _MISSING else content_type,
        None if user_properties is _MISSING else user_properties,
    )


def _pairs(user_properties: object) -> Iterable[object]:
    if user_properties is None:
        return ()
    if isinstance(user_properties, Mapping):
        return user_properties.items()
    if isinstance(user_properties, (str, bytes)) or not isinstance(user_properties, Iterable):
        raise DecodeError(
            f"user properties must be (name, value) pairs, got {type(user_properties).__name__}"
        )
    return user_properties


def _attributes(user_properties: object) -> dict[str, str]:
    """Collect the User Properties whose names can be attribute names (section 3.1.3.1)."""
    attrs: dict[str, str] = {}
    for pair in _pairs(user_properties):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise DecodeError(f"each user property must be a (name, value) pair, got {pair!r:.60}")
        name = _text(pair[0], "a user property name")
        if _ATTRIBUTE_NAME.fullmatch(name) is None or name == "data":
            continue  # not an attribute name, so an application's own property
        if name in attrs:
            raise DecodeError(
                f"user property {name!r} appears more than once; an attribute has one value",
                position=name,
            )
        attrs[name] = _text(pair[1], name)
    return attrs


def _structured_json(payload: bytes, why: str) -> CloudEvent:
    try:
        return json_format.decode(payload)
    except InvalidMessageError:
        raise
    except DecodeError as exc:
        raise DecodeError(
            f"not a CloudEvent: {why}, and the payload is not a structured JSON event ({exc})",
            position=exc.position,
        ) from None


def from_mqtt(message: Any, *, version: int = MQTT_5) -> CloudEvent:
    """Decode a message: an ``MqttMessage``, or a paho-mqtt / aiomqtt message.

    With ``version=5`` the mode follows ``Content Type`` (section 3): a type starting
    with ``application/cloudevents`` is structured mode in the format registered for
    it (``cesdk.formats.lookup``), anything else binary mode. With ``version=4``
    (MQTT 3.1.1) or 3 the payload is always the JSON format.

    Raises:
        DecodeError: not a CloudEvent, a property of the wrong shape, a repeated
            attribute, a format that is not installed, or a payload that does not match
            its content type; ``InvalidMessageError`` names each invalid attribute.
    """
    has_properties = _has_properties(version, DecodeError)
    payload = _payload(message)
    if not has_properties:
        return _structured_json(payload, "MQTT 3.1.1 carries the JSON event format only")
    raw_content_type, user_properties = _properties(message)
    content_type = None if raw_content_type is None else _text(raw_content_type, "content type")
    if content_type is not None and content_type.lstrip(" \t").lower().startswith(
        "application/cloudevents"
    ):
        return structured_format(content_type, _BINDING).decode(payload)
    attrs = _attributes(user_properties)
    if not attrs:
        if content_type is None:
            return _structured_json(payload, "no Content Type and no attribute user properties")
        raise DecodeError(
            f"not a CloudEvent: Content Type {content_type!r} is not a CloudEvents format, "
            "and no user property names an attribute",
            position="content-type",
        )
    # The spec's own example (3.1.4) repeats datacontenttype as a user property.
    stated = attrs.pop("datacontenttype", None)
    if content_type is None:
        content_type = stated
    elif stated is not None and stated != content_type:
        raise DecodeError(
            f"user property datacontenttype {stated!r} contradicts Content Type "
            f"{content_type!r}, which binary mode maps to datacontenttype (section 3.1.1)",
            position="datacontenttype",
        )
    if content_type is not None:
        attrs["datacontenttype"] = content_type.strip(" \t")
    data, data_json = body_to_data(payload, content_type)
    return CloudEvent._from_wire(attrs, data, _WHERE, data_json)
