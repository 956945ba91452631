"""The JSON event format, with batches (json-format.md).

Example:
    >>> import cesdk
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1",
    ...                       time=None, data={"n": 1})
    >>> cesdk.formats.json.encode(ev)
    b'{"specversion":"1.0","id":"1","source":"/demo","type":"com.example.ping","data":{"n":1}}'
    >>> cesdk.formats.json.decode(cesdk.formats.json.encode(ev)) == ev
    True
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any, Final

import orjson

from cesdk._errors import DecodeError, EncodeError, InvalidMessageError
from cesdk._event import NO_DATA, CloudEvent
from cesdk._types import decode_base64, is_json_media_type
from cesdk.formats._jsonscan import duplicate_in_batch, find_duplicate_name

__all__ = [
    "BATCH_CONTENT_TYPE",
    "CONTENT_TYPE",
    "decode",
    "decode_batch",
    "encode",
    "encode_batch",
]

CONTENT_TYPE: Final = "application/cloudevents+json"
"""The media type of one event (json-format.md section 3)."""
BATCH_CONTENT_TYPE: Final = "application/cloudevents-batch+json"
"""The media type of a batch (json-format.md section 4.2)."""


def _binary_default(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def envelope(event: CloudEvent) -> dict[str, Any]:
    """Return the JSON object of an event, ready for ``orjson.dumps``."""
    obj: dict[str, Any] = dict(event._attrs)
    data = event._data
    if event._data_json is not None:
        obj["data"] = orjson.Fragment(event._data_json)
    elif data is NO_DATA:
        pass
    elif isinstance(data, bytes):
        # json-format.md 3.1.1: Binary data goes to data_base64.
        obj["data_base64"] = base64.b64encode(data).decode("ascii")
    else:
        obj["data"] = data
    return obj


def encode(event: CloudEvent) -> bytes:
    """Encode one event as ``application/cloudevents+json`` (UTF-8 bytes).

    Raises:
        EncodeError: the data cannot be written as JSON.
    """
    try:
        return orjson.dumps(envelope(event), default=_binary_default)
    except orjson.JSONEncodeError as exc:
        raise EncodeError(f"event {event.id!r}: data cannot be written as JSON: {exc}") from None


def encode_batch(events: Iterable[CloudEvent]) -> bytes:
    """Encode events as one ``application/cloudevents-batch+json`` array (may be empty)."""
    return b"[" + b",".join(encode(event) for event in events) + b"]"


def _loads(data: bytes | bytearray | memoryview | str) -> tuple[Any, bytes]:
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise DecodeError(
                f"JSON text holds a lone surrogate at position {exc.start}", position=exc.start
            ) from None
    elif isinstance(data, bytes):
        raw = data
    elif isinstance(data, (bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise DecodeError(f"expected bytes or str, got {type(data).__name__}")
    try:
        return orjson.loads(raw), raw
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"not valid JSON: {exc}", position=exc.pos) from None


def from_object(obj: dict[str, Any], where: str) -> CloudEvent:
    """Build an event from a decoded JSON object (taken over, not copied)."""
    data: Any = NO_DATA
    errors: dict[str, str] = {}
    b64 = obj.pop("data_base64", None)
    has_data = "data" in obj
    value = obj.pop("data", None)
    if None in obj.values():
        # json-format.md 2.2: null means unset.
        obj = {k: v for k, v in obj.items() if v is not None}
    if b64 is not None:
        if has_data:
            errors["data"] = (
                "'data' and 'data_base64' are mutually exclusive (json-format.md 3.1.1)"
            )
        elif not isinstance(b64, str):
            errors["data_base64"] = f"must be a base64 string, got {type(b64).__name__}"
        else:
            try:
                data = decode_base64(b64)
            except ValueError as exc:
                errors["data_base64"] = str(exc)
    elif has_data:
        ct = obj.get("datacontenttype")
        if ct is None or not isinstance(ct, str) or is_json_media_type(ct):
            data = value
        elif value is None:
            data = NO_DATA
        elif isinstance(value, str):
            data = value
        else:
            errors["data"] = (
                f"datacontenttype {ct!r} is not JSON, so 'data' must be a string "
                f"(json-format.md 3.1.2), got {type(value).__name__}"
            )
    if errors:
        raise InvalidMessageError(errors, where=where)
    return CloudEvent._from_wire(obj, data, where)


def decode(data: bytes | bytearray | memoryview | str) -> CloudEvent:
    """Decode one ``application/cloudevents+json`` event.

    Raises:
        DecodeError: not JSON, not an object, or a duplicate member name.
        InvalidMessageError: the object is not a valid CloudEvent (``.errors`` says why).
    """
    obj, raw = _loads(data)
    if not isinstance(obj, dict):
        raise DecodeError(
            f"a structured CloudEvent is a JSON object, got {_json_kind(obj)}"
            + (" (use decode_batch for a batch)" if isinstance(obj, list) else "")
        )
    dup = find_duplicate_name(raw, (obj,))
    if dup is not None:
        raise DecodeError(f"member {dup!r} appears more than once", position=dup)
    return from_object(obj, "JSON event")


def decode_batch(data: bytes | bytearray | memoryview | str) -> list[CloudEvent]:
    """Decode an ``application/cloudevents-batch+json`` array (json-format.md section 4).

    Raises:
        DecodeError: not a JSON array of objects, or an item is invalid (the message
            names its index).
    """
    items, raw = _loads(data)
    if not isinstance(items, list):
        raise DecodeError(f"a CloudEvents batch is a JSON array, got {_json_kind(items)}")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise DecodeError(
                f"batch item {index} is {_json_kind(item)}, not a JSON object", position=index
            )
    if items and find_duplicate_name(raw, items) is not None:
        found = duplicate_in_batch(raw.decode("utf-8"))
        name, index = found if found is not None else ("?", -1)
        raise DecodeError(
            f"batch item {index}: member {name!r} appears more than once", position=index
        )
    return [from_object(item, f"batch item {index}") for index, item in enumerate(items)]


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if value is None:
        return "null"
    return "an object"
