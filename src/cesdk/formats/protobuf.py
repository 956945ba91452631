"""The Protobuf event format, with batches (protobuf-format.md).

Messages are those of the spec's ``cloudevents.proto`` (package ``io.cloudevents.v1``),
shipped with cesdk together with the code ``protoc`` generates from it (``make
protos`` regenerates it). The ``protobuf`` package is imported on first use; install
it with ``pip install "cesdk[protobuf]"``.

How events map:

* ``id``, ``source``, ``specversion`` and ``type`` are the message's own fields
  (protobuf-format.md 2.3); every other attribute is an entry of ``attributes``
  (2.4): ``time`` as ``ce_timestamp``, ``dataschema`` as ``ce_uri``, ``subject`` and
  ``datacontenttype`` as ``ce_string``; extensions by their type (``ce_boolean``,
  ``ce_integer``, ``ce_string``, ``ce_bytes``). Reading, ``ce_uri``, ``ce_uri_ref``
  and ``ce_timestamp`` become text (a ``ce_timestamp`` as RFC 3339 in UTC with 0, 3, 6
  or 9 fraction digits), so an extension sent as ``ce_uri`` comes back as
  ``ce_string``.
* A Timestamp keeps nanoseconds. A ``time`` with more than nine significant fraction
  digits, a leap second (``:60``), or an instant outside years 0001-9999 in UTC cannot
  be a ``google.protobuf.Timestamp``: ``encode`` raises ``EncodeError``.
* Data (section 3): Binary data is ``binary_data``; text is ``text_data``; a JSON value
  is its JSON text in ``text_data`` with a JSON ``datacontenttype`` (``application/json``
  is stated when the event had none, which spec.md says is the same thing). Reading,
  ``text_data`` under a JSON ``datacontenttype`` is parsed back into the JSON value.
* ``proto_data`` (a ``google.protobuf.Any``) reads as Binary data holding the serialized
  ``Any``; unpack it with ``any_pb2.Any.FromString(event.data)``. Binary data whose
  ``datacontenttype`` is ``application/protobuf`` is written as ``proto_data`` when it is
  exactly such a serialized ``Any`` (a type URL with a ``/``), else as ``binary_data``.

Example:
    >>> import cesdk
    >>> from cesdk.formats import protobuf
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1",
    ...                       time="2018-04-05T17:31:00.123456789Z", data=b"\\x00")
    >>> protobuf.decode(protobuf.encode(ev)) == ev
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

import orjson

from cesdk._errors import DecodeError, EncodeError, InvalidMessageError, MissingDependencyError
from cesdk._event import NO_DATA, CloudEvent
from cesdk._types import is_json_media_type

if TYPE_CHECKING:
    from cesdk.formats._pb.cloudevents_pb2 import CloudEvent as CloudEventProto

__all__ = [
    "BATCH_CONTENT_TYPE",
    "CONTENT_TYPE",
    "decode",
    "decode_batch",
    "encode",
    "encode_batch",
    "from_proto",
    "to_proto",
]

CONTENT_TYPE: Final = "application/cloudevents+protobuf"
"""The media type of one event (protobuf-format.md section 4)."""
BATCH_CONTENT_TYPE: Final = "application/cloudevents-batch+protobuf"
"""The media type of a batch (protobuf-format.md section 5.2)."""

_REQUIRED: Final = ("id", "source", "specversion", "type")
_PROTOBUF_TYPES: Final = frozenset({"application/protobuf", "application/x-protobuf"})
# google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
_MIN_SECONDS: Final = -62_135_596_800
_MAX_SECONDS: Final = 253_402_300_799
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Only the fraction and the offset are captured; the fixed-width fields are sliced.
_RFC3339: Final = re.compile(
    r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(?:\.(\d+))?(?:[Zz]|([+-])(\d\d):(\d\d))"
)
_EPOCH_DATE: Final = date(1970, 1, 1)

_pb2: ModuleType | None = None


def _pb() -> ModuleType:
    """Import the generated code (and so ``protobuf``) on first use."""
    global _pb2
    if _pb2 is None:
        try:
            from cesdk.formats._pb import cloudevents_pb2
        except ImportError as exc:
            raise MissingDependencyError(
                "the Protobuf event format needs the protobuf package: "
                'pip install "cesdk[protobuf]"'
            ) from exc
        except Exception as exc:  # google.protobuf.runtime_version.VersionError
            raise MissingDependencyError(
                f"the installed protobuf package cannot load cesdk's generated code ({exc}); "
                'upgrade it: pip install -U "cesdk[protobuf]"'
            ) from exc
        _pb2 = cloudevents_pb2
    return _pb2


# -- encoding ----------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a date (negative before)."""
    return (date(year, month, day) - _EPOCH_DATE).days


def _timestamp(event: CloudEvent, text: str) -> tuple[int, int]:
    """Return (seconds, nanos) since the epoch for RFC 3339 text, or raise EncodeError."""
    m = _RFC3339.fullmatch(text)
    if m is None:  # the envelope validated it; only a changed regex could get here
        raise EncodeError(f"event {event.id!r}: time {text!r} is not RFC 3339")
    second = int(text[17:19])
    if second == 60:
        raise EncodeError(
            f"event {event.id!r}: time {text!r} is a leap second, which a "
            "google.protobuf.Timestamp cannot hold (protobuf-format.md 2.1); use :59 "
            "or another event format"
        )
    fraction = m.group(1) or ""
    if len(fraction) > 9 and fraction[9:].strip("0"):
        raise EncodeError(
            f"event {event.id!r}: time {text!r} has {len(fraction)} fraction digits; a "
            "google.protobuf.Timestamp holds nanoseconds (9 digits) at most"
        )
    days = _days(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    seconds = days * 86400 + int(text[11:13]) * 3600 + int(text[14:16]) * 60 + second
    sign = m.group(2)
    if sign is not None:
        offset = int(m.group(3)) * 3600 + int(m.group(4)) * 60
        seconds -= offset if sign == "+" else -offset
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise EncodeError(
            f"event {event.id!r}: time {text!r} is outside years 0001-9999 in UTC, the "
            "range of a google.protobuf.Timestamp"
        )
    return seconds, int((fraction + "000000000")[:9]) if fraction else 0


def _as_any(raw: bytes) -> Any | None:
    """Return ``raw`` parsed as a ``google.protobuf.Any``, if it is exactly one."""
    from google.protobuf import any_pb2  # imported with the generated code already

    message = any_pb2.Any()
    try:
        message.ParseFromString(raw)
    except Exception:  # google.protobuf.message.DecodeError: not an Any
        return None
    if "/" not in message.type_url or message.SerializeToString() != raw:
        return None
    return message


def to_proto(event: CloudEvent) -> CloudEventProto:
    """Return the ``io.cloudevents.v1.CloudEvent`` message of an event.

    Raises:
        EncodeError: ``time`` cannot be a ``google.protobuf.Timestamp``, or the text
            holds a lone surrogate.
        MissingDependencyError: the ``protobuf`` package is not installed.
    """
    pb = _pb()
    attrs = event._attrs
    try:
        # Setting fields one by one is about twice as fast as constructor keywords.
        message = pb.CloudEvent()
        attributes = message.attributes
        for name, value in attrs.items():
            cls = value.__class__
            if name in _REQUIRED:
                setattr(message, "spec_version" if name == "specversion" else name, value)
            elif name == "time":
                seconds, nanos = _timestamp(event, value)  # type: ignore[arg-type]  # text
                stamp = attributes[name].ce_timestamp
                stamp.seconds = seconds
                stamp.nanos = nanos
            elif name == "dataschema":
                attributes[name].ce_uri = value
            elif cls is str:
                attributes[name].ce_string = value
            elif cls is bool:
                attributes[name].ce_boolean = value
            elif cls is int:
                attributes[name].ce_integer = value
            else:
                attributes[name].ce_bytes = value
        data = event._data
        content_type = attrs.get("datacontenttype")
        if data is NO_DATA:
            pass
        elif data.__class__ is bytes:
            packed = None
            if content_type.__class__ is str and (
                content_type.split(";", 1)[0].strip().lower() in _PROTOBUF_TYPES
            ):
                packed = _as_any(data)
            if packed is not None:
                message.proto_data.CopyFrom(packed)
            else:
                message.binary_data = data
        elif data.__class__ is str and not (
            content_type.__class__ is str and is_json_media_type(content_type)
        ):
            message.text_data = data
        else:
            # A JSON value (a str under a JSON content type is a JSON string): its JSON text.
            message.text_data = (event._data_json or orjson.dumps(event.data)).decode("utf-8")
            if content_type is None:
                attributes["datacontenttype"].ce_string = "application/json"
    except EncodeError:
        raise
    except (ValueError, TypeError) as exc:  # a lone surrogate in text
        raise EncodeError(f"event {event.id!r} cannot be a Protobuf message: {exc}") from None
    return message  # type: ignore[no-any-return]


def encode(event: CloudEvent) -> bytes:
    """Encode one event as ``application/cloudevents+protobuf``.

    Raises:
        EncodeError: see :func:`to_proto`.
        MissingDependencyError: the ``protobuf`` package is not installed.
    """
    return to_proto(event).SerializeToString()  # type: ignore[no-any-return]


def encode_batch(events: Iterable[CloudEvent]) -> bytes:
    """Encode events as one ``application/cloudevents-batch+protobuf`` message.

    Raises:
        EncodeError: see :func:`to_proto`.
        MissingDependencyError: the ``protobuf`` package is not installed.
    """
    pb = _pb()
    batch = pb.CloudEventBatch(events=[to_proto(event) for event in events])
    return batch.SerializeToString()  # type: ignore[no-any-return]


# -- decoding ----------------------------------------------------------------------------


def _rfc3339(seconds: int, nanos: int, name: str, where: str) -> str:
    if not (_MIN_SECONDS <= seconds <= _MAX_SECONDS and 0 <= nanos <= 999_999_999):
        raise DecodeError(
            f"{where}: attribute {name!r} is a Timestamp out of range (seconds={seconds}, "
            f"nanos={nanos}); google.protobuf.Timestamp allows years 0001-9999",
            position=name,
        )
    moment = _EPOCH + timedelta(seconds=seconds)
    text = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    if nanos:
        if nanos % 1_000_000 == 0:
            text += f".{nanos // 1_000_000:03d}"
        elif nanos % 1000 == 0:
            text += f".{nanos // 1000:06d}"
        else:
            text += f".{nanos:09d}"
    return text + "Z"


def from_proto(message: CloudEventProto, where: str = "Protobuf event") -> CloudEvent:
    """Build an event from an ``io.cloudevents.v1.CloudEvent`` message.

    Nothing is invented: an empty required field is a missing attribute.

    Raises:
        DecodeError: a required attribute repeated in ``attributes``, a Timestamp out
            of range, or ``text_data`` under a JSON content type that is not JSON.
        InvalidMessageError: the message is not a valid CloudEvent (``.errors``).
    """
    attrs: dict[str, Any] = {}
    if message.spec_version:
        attrs["specversion"] = message.spec_version
    if message.id:
        attrs["id"] = message.id
    if message.source:
        attrs["source"] = message.source
    if message.type:
        attrs["type"] = message.type
    for name, value in message.attributes.items():
        if name in _REQUIRED:
            raise DecodeError(
                f"{where}: {name!r} is a required attribute, carried in its own field "
                "(protobuf-format.md 2.3), not in the attributes map",
                position=name,
            )
        kind = value.WhichOneof("attr")
        if kind is None:
            continue  # no value set: the attribute is unset
        if kind == "ce_timestamp":
            stamp = value.ce_timestamp
            attrs[name] = _rfc3339(stamp.seconds, stamp.nanos, name, where)
        else:
            attrs[name] = getattr(value, kind)
    kind = message.WhichOneof("data")
    data: Any = NO_DATA
    data_json: bytes | None = None
    if kind == "binary_data":
        data = message.binary_data
    elif kind == "text_data":
        data = message.text_data
        content_type = attrs.get("datacontenttype")
        if content_type.__class__ is str and is_json_media_type(content_type):
            data_json = data.encode("utf-8")
            try:
                data = orjson.loads(data_json)
            except orjson.JSONDecodeError as exc:
                raise DecodeError(
                    f"{where}: datacontenttype {content_type!r} declares JSON, but text_data "
                    f"is not JSON: {exc}",
                    position="data",
                ) from None
    elif kind == "proto_data":
        data = message.proto_data.SerializeToString()
    return CloudEvent._from_wire(attrs, data, where, data_json)


def _parse(pb: ModuleType, cls: Any, raw: object, what: str) -> Any:
    if isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise DecodeError(f"expected bytes, got {type(raw).__name__}")
    try:
        return cls.FromString(raw)
    except Exception as exc:  # google.protobuf.message.DecodeError and kin
        raise DecodeError(
            f"not a Protobuf {what} message ({len(raw)} bytes): {exc or type(exc).__name__}"
        ) from None


def decode(data: bytes | bytearray | memoryview) -> CloudEvent:
    """Decode one ``application/cloudevents+protobuf`` event.

    Raises:
        DecodeError: not an ``io.cloudevents.v1.CloudEvent`` message, or see
            :func:`from_proto`.
        InvalidMessageError: the message is not a valid CloudEvent (``.errors``).
        MissingDependencyError: the ``protobuf`` package is not installed.
    """
    pb = _pb()
    return from_proto(_parse(pb, pb.CloudEvent, data, "io.cloudevents.v1.CloudEvent"))


def decode_batch(data: bytes | bytearray | memoryview) -> list[CloudEvent]:
    """Decode an ``application/cloudevents-batch+protobuf`` message (section 5).

    Raises:
        DecodeError: not an ``io.cloudevents.v1.CloudEventBatch``, or an item is
            invalid (the message names its index).
        MissingDependencyError: the ``protobuf`` package is not installed.
    """
    pb = _pb()
    batch = _parse(pb, pb.CloudEventBatch, data, "io.cloudevents.v1.CloudEventBatch")
    events: list[CloudEvent] = []
    for index, message in enumerate(batch.events):
        try:
            events.append(from_proto(message, f"Protobuf batch item {index}"))
        except InvalidMessageError:
            raise
        except DecodeError as exc:
            raise DecodeError(str(exc), position=index) from None
    return events
