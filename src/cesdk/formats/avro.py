"""The Avro event format (avro-format.md), as schemaless Avro binary.

One event is one record of the spec's schema (``cloudevents.avsc``, shipped with this
module; :func:`schema` returns it), written in Avro's binary encoding with no container
header: avro-format.md 2.4 asks for "a message whose binary encoding is identical to
the one described by the CloudEvent Avro Schema". The format defines no batch
(avro-format.md 1).

How events map (avro-format.md 2.1 and 3):

* Every attribute, required ones included, is an entry of the ``attribute`` map:
  Boolean as ``boolean``, Integer as ``int``, Binary as ``bytes``, and String, URI,
  URI-reference and Timestamp as ``string`` (the RFC 3339 text, every fraction digit
  kept). A ``null`` value on the wire means the attribute is unset.
* Binary data is ``bytes``; text is ``string``; a JSON value goes into the schema's
  JSON-value branches (``boolean``, ``double``, the map and the array of
  ``AvroCloudEventData`` records).
* **No data is Avro ``null``.** The schema has one ``null`` for both "no data" and a JSON
  ``null``; cesdk reads it as "no data" (avro-format.md 2.3: what is absent is ``null``).
* **JSON the schema cannot hold exactly** is written as its JSON text in the ``bytes``
  branch, labelled ``datacontenttype: application/json`` if the event had no content
  type (spec.md says JSON data without one *is* ``application/json``, so the event
  compares equal). The schema's JSON-value branches cannot hold a top-level ``null``, an
  array of anything but objects, an object whose values are not all objects below the
  second level, nor an integer that a ``double`` cannot hold (beyond 2**53) or a float
  with an integral value (``2.0`` would read back as ``2``). Decoding a ``double`` gives
  an ``int`` when it is integral, else a ``float``.
* So ``bytes`` data under a JSON ``datacontenttype`` is read back as the JSON value it
  holds (when it parses), as every binding's binary mode does.

The codec is written here for this one schema rather than driven by a generic Avro
library: it bounds nesting depth and block counts on hostile input (a generic
recursive reader can exhaust the C stack), names the byte where input goes wrong, and
is faster than fastavro on this schema. The tests check it byte for byte against
fastavro.

Example:
    >>> import cesdk
    >>> from cesdk.formats import avro
    >>> ev = cesdk.CloudEvent(type="com.example.ping", source="/demo", id="1",
    ...                       time=None, data={"n": 1})
    >>> avro.decode(avro.encode(ev)) == ev
    True
"""

from __future__ import annotations

import contextlib
import json
import struct
from functools import cache
from importlib import resources
from typing import Any, Final

import orjson

from cesdk._errors import DecodeError, EncodeError
from cesdk._event import NO_DATA, CloudEvent
from cesdk._types import INT32_MAX, INT32_MIN, is_json_media_type

__all__ = ["CONTENT_TYPE", "MAX_DEPTH", "decode", "encode", "schema"]

CONTENT_TYPE: Final = "application/cloudevents+avro"
"""The media type of one event (avro-format.md section 4)."""

MAX_DEPTH: Final = 200
"""Deepest nesting of ``AvroCloudEventData`` records that ``decode`` accepts."""

_EXACT_DOUBLE: Final = 2**53  # every integer up to here is exactly a double


@cache
def schema() -> dict[str, Any]:
    """Return the spec's Avro schema (``cloudevents.avsc``) as parsed JSON.

    Use it with any Avro library; ``encode`` writes exactly this record.
    """
    text = resources.files("cesdk.formats").joinpath("cloudevents.avsc").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _branch(union: list[Any], wanted: str) -> bytes:
    """Return the encoded index of ``wanted`` (a type name, "map", "array", "record")."""
    for index, branch in enumerate(union):
        kind = branch if isinstance(branch, str) else branch.get("type")
        if kind == wanted:
            return _long(index)
    raise AssertionError(f"cloudevents.avsc has no {wanted!r} branch")  # a broken install


def _long(value: int) -> bytes:
    """Avro ``int``/``long``: zigzag, then little-endian base-128 varint."""
    n = (value << 1) ^ (value >> 63)
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _tags() -> dict[str, bytes]:
    fields = {f["name"]: f["type"] for f in schema()["fields"]}
    attr_union = fields["attribute"]["values"]
    data_union = fields["data"]
    data_map = next(b for b in data_union if isinstance(b, dict) and b["type"] == "map")
    record = next(b for b in data_map["values"] if isinstance(b, dict))
    inner = record["fields"][0]["type"]["values"]
    tags = {
        "A_NULL": _branch(attr_union, "null"),
        "A_BOOLEAN": _branch(attr_union, "boolean"),
        "A_INT": _branch(attr_union, "int"),
        "A_STRING": _branch(attr_union, "string"),
        "A_BYTES": _branch(attr_union, "bytes"),
        "D_BYTES": _branch(data_union, "bytes"),
        "D_NULL": _branch(data_union, "null"),
        "D_BOOLEAN": _branch(data_union, "boolean"),
        "D_MAP": _branch(data_union, "map"),
        "D_ARRAY": _branch(data_union, "array"),
        "D_DOUBLE": _branch(data_union, "double"),
        "D_STRING": _branch(data_union, "string"),
        "V_NULL": _branch(data_map["values"], "null"),
        "V_BOOLEAN": _branch(data_map["values"], "boolean"),
        "V_RECORD": _branch(data_map["values"], "record"),
        "V_DOUBLE": _branch(data_map["values"], "double"),
        "V_STRING": _branch(data_map["values"], "string"),
        "W_NULL": _branch(inner, "null"),
        "W_BOOLEAN": _branch(inner, "boolean"),
        "W_MAP": _branch(inner, "map"),
        "W_ARRAY": _branch(inner, "array"),
        "W_DOUBLE": _branch(inner, "double"),
        "W_STRING": _branch(inner, "string"),
    }
    # Every index is below 64, so each tag is one byte.
    assert all(len(tag) == 1 for tag in tags.values())
    return tags


_T: Final = _tags()
_A_BOOLEAN, _A_INT, _A_STRING, _A_BYTES = (
    _T["A_BOOLEAN"],
    _T["A_INT"],
    _T["A_STRING"],
    _T["A_BYTES"],
)
_D_BYTES, _D_NULL, _D_BOOLEAN, _D_MAP, _D_ARRAY, _D_DOUBLE, _D_STRING = (
    _T[k] for k in ("D_BYTES", "D_NULL", "D_BOOLEAN", "D_MAP", "D_ARRAY", "D_DOUBLE", "D_STRING")
)
_V_NULL, _V_BOOLEAN, _V_RECORD, _V_DOUBLE, _V_STRING = (
    _T[k] for k in ("V_NULL", "V_BOOLEAN", "V_RECORD", "V_DOUBLE", "V_STRING")
)
_W_NULL, _W_BOOLEAN, _W_MAP, _W_ARRAY, _W_DOUBLE, _W_STRING = (
    _T[k] for k in ("W_NULL", "W_BOOLEAN", "W_MAP", "W_ARRAY", "W_DOUBLE", "W_STRING")
)
_DOUBLE = struct.Struct("<d")
_pack_double = _DOUBLE.pack
_unpack_double = _DOUBLE.unpack_from

# -- encoding ----------------------------------------------------------------------------


class _InexactError(Exception):
    """JSON data that the schema's JSON-value branches cannot hold exactly."""


def _put_str(out: bytearray, text: str) -> None:
    raw = text.encode("utf-8")
    n = len(raw)
    if n < 64:  # the common case: a one-byte length
        out.append(n << 1)
    else:
        out += _long(n)
    out += raw


def _put_bytes(out: bytearray, raw: bytes) -> None:
    n = len(raw)
    if n < 64:  # the common case: a one-byte length
        out.append(n << 1)
    else:
        out += _long(n)
    out += raw


def _put_number(out: bytearray, tag: bytes, value: int | float) -> None:
    if value.__class__ is float:
        if value.is_integer():
            raise _InexactError  # 2.0 would read back as the int 2
    elif not -_EXACT_DOUBLE <= value <= _EXACT_DOUBLE:
        raise _InexactError
    out += tag
    out += _pack_double(value)


def _put_count(out: bytearray, n: int) -> None:
    if n < 64:  # the common case: a one-byte length
        out.append(n << 1)
    else:
        out += _long(n)


def _put_record(out: bytearray, obj: dict[str, Any]) -> None:
    """An ``AvroCloudEventData`` record: its ``value`` map of W-branch values."""
    if obj:
        _put_count(out, len(obj))
        for key, value in obj.items():
            _put_str(out, key)
            _put_inner(out, value)
    out += b"\x00"


def _put_inner(out: bytearray, value: Any) -> None:
    """A value inside a record's map: null, boolean, map or array of records, number, string."""
    cls = value.__class__
    if cls is str:
        out += _W_STRING
        _put_str(out, value)
    elif cls is bool:
        out += _W_BOOLEAN
        out += b"\x01" if value else b"\x00"
    elif cls is int or cls is float:
        _put_number(out, _W_DOUBLE, value)
    elif value is None:
        out += _W_NULL
    elif cls is dict:
        # Only a map of records: every value must be an object.
        out += _W_MAP
        if value:
            _put_count(out, len(value))
            for key, item in value.items():
                if item.__class__ is not dict:
                    raise _InexactError
                _put_str(out, key)
                _put_record(out, item)
        out += b"\x00"
    else:  # list: only an array of records
        out += _W_ARRAY
        _put_records(out, value)


def _put_records(out: bytearray, items: list[Any]) -> None:
    if items:
        _put_count(out, len(items))
        for item in items:
            if item.__class__ is not dict:
                raise _InexactError
            _put_record(out, item)
    out += b"\x00"


def _put_json(out: bytearray, value: Any) -> None:
    """Top-level JSON data in the data union's JSON-value branches."""
    cls = value.__class__
    if cls is dict:
        out += _D_MAP
        if value:
            _put_count(out, len(value))
            for key, item in value.items():
                _put_str(out, key)
                kind = item.__class__
                if kind is str:
                    out += _V_STRING
                    _put_str(out, item)
                elif kind is dict:
                    out += _V_RECORD
                    _put_record(out, item)
                elif kind is bool:
                    out += _V_BOOLEAN
                    out += b"\x01" if item else b"\x00"
                elif kind is int or kind is float:
                    _put_number(out, _V_DOUBLE, item)
                elif item is None:
                    out += _V_NULL
                else:  # a list directly inside the top-level map has no branch
                    raise _InexactError
        out += b"\x00"
    elif cls is list:
        out += _D_ARRAY
        _put_records(out, value)
    elif cls is bool:
        out += _D_BOOLEAN
        out += b"\x01" if value else b"\x00"
    elif cls is int or cls is float:
        _put_number(out, _D_DOUBLE, value)
    elif cls is str:
        out += _D_STRING
        _put_str(out, value)
    else:  # None: Avro null is "no data"
        raise _InexactError


# Encoded attribute names, and whole entries of the attributes whose values repeat from
# event to event (not id or time): most of an event's bytes, computed once. Bounded.
_REPEATING: Final = frozenset(
    {"specversion", "source", "type", "subject", "datacontenttype", "dataschema"}
)
_REMEMBER_MAX: Final = 4096
_names: dict[str, bytes] = {}
_entries: dict[tuple[str, str], bytes] = {}


def _remember_name(name: str) -> bytes:
    out = bytearray()
    _put_str(out, name)
    if len(_names) >= _REMEMBER_MAX:
        _names.clear()
    _names[name] = encoded = bytes(out)
    return encoded


def _remember_entry(name: str, value: str) -> bytes:
    out = bytearray()
    _put_str(out, name)
    out += _A_STRING
    _put_str(out, value)
    if len(_entries) >= _REMEMBER_MAX:
        _entries.clear()
    _entries[(name, value)] = encoded = bytes(out)
    return encoded


def encode(event: CloudEvent) -> bytes:
    """Encode one event as ``application/cloudevents+avro`` (schemaless Avro binary).

    Raises:
        EncodeError: the data holds text that UTF-8 cannot carry (a lone surrogate).
    """
    attrs = event._attrs
    data = event._data
    body = bytearray()
    label_json = False
    try:
        if data is NO_DATA:
            body += _D_NULL
        elif data.__class__ is bytes:
            body += _D_BYTES
            _put_bytes(body, data)
        elif data.__class__ is str:
            body += _D_STRING
            _put_str(body, data)
        else:
            value = event.data
            try:
                _put_json(body, value)
            except _InexactError:
                body = bytearray(_D_BYTES)
                _put_bytes(body, event._data_json or orjson.dumps(value))
                label_json = "datacontenttype" not in attrs
        out = bytearray()
        _put_count(out, len(attrs) + label_json)
        for name, attr in attrs.items():
            cls = attr.__class__
            if cls is str:
                if name in _REPEATING:
                    entry = _entries.get((name, attr))  # type: ignore[arg-type]  # str
                    out += entry or _remember_entry(name, attr)  # type: ignore[arg-type]
                else:
                    out += _names.get(name) or _remember_name(name)
                    out += _A_STRING
                    _put_str(out, attr)  # type: ignore[arg-type]  # checked: str
                continue
            out += _names.get(name) or _remember_name(name)
            if cls is bool:
                out += _A_BOOLEAN
                out += b"\x01" if attr else b"\x00"
            elif cls is int:
                out += _A_INT
                out += _long(attr)  # type: ignore[arg-type]  # checked: int
            else:
                out += _A_BYTES
                _put_bytes(out, attr)  # type: ignore[arg-type]  # the one type left
        if label_json:
            _put_str(out, "datacontenttype")
            out += _A_STRING
            _put_str(out, "application/json")
    except UnicodeEncodeError as exc:
        raise EncodeError(
            f"event {event.id!r}: text holds a lone surrogate at position {exc.start}, "
            "which UTF-8 (and so Avro) cannot carry"
        ) from None
    out += b"\x00"
    out += body
    return bytes(out)


# -- decoding ----------------------------------------------------------------------------


def _read_long(raw: bytes, pos: int) -> tuple[int, int]:
    b = raw[pos]
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos + 1
    start = pos
    n = b & 0x7F
    shift = 7
    pos += 1
    while True:
        b = raw[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return (n >> 1) ^ -(n & 1), pos
        shift += 7
        if shift > 63:
            raise DecodeError(
                f"Avro: the number at byte {start} runs past 10 bytes (not a valid long)",
                position=start,
            )


def _read_size(raw: bytes, pos: int, what: str) -> tuple[int, int]:
    """A string/bytes length: never negative, never past the end."""
    start = pos
    n, pos = _read_long(raw, pos)
    if n < 0:
        raise DecodeError(f"Avro: {what} at byte {start} has a negative length {n}", position=start)
    if pos + n > len(raw):
        raise DecodeError(
            f"Avro: truncated: {what} at byte {start} needs {n} bytes, {len(raw) - pos} remain",
            position=len(raw),
        )
    return n, pos


def _read_str(raw: bytes, pos: int, what: str) -> tuple[str, int]:
    b = raw[pos]
    if b < 0x80 and not b & 1 and pos + 1 + (b >> 1) <= len(raw):
        end = pos + 1 + (b >> 1)
        start = pos + 1
    else:
        n, start = _read_size(raw, pos, what)
        end = start + n
    try:
        return raw[start:end].decode("utf-8"), end
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"Avro: {what} at byte {pos} is not valid UTF-8 (byte {start + exc.start})",
            position=start + exc.start,
        ) from None


def _read_count(raw: bytes, pos: int, what: str) -> tuple[int, int]:
    """A map or array block count; a negative count is followed by the block's byte size."""
    start = pos
    count, pos = _read_long(raw, pos)
    if count < 0:
        count = -count
        _, pos = _read_long(raw, pos)
    # Every item takes at least one byte: a larger count is truncated or corrupt input.
    if count > len(raw) - pos:
        raise DecodeError(
            f"Avro: {what} at byte {start} announces {count} items, but only "
            f"{len(raw) - pos} bytes remain",
            position=start,
        )
    return count, pos


def _read_branch(raw: bytes, pos: int, limit: int, what: str) -> tuple[int, int]:
    index, after = _read_long(raw, pos)
    if not 0 <= index < limit:
        raise DecodeError(
            f"Avro: {what} at byte {pos} picks union branch {index}; the schema has {limit}",
            position=pos,
        )
    return index, after


def _read_bool(raw: bytes, pos: int) -> bool:
    b = raw[pos]
    if b > 1:
        raise DecodeError(f"Avro: the boolean at byte {pos} is {b}, not 0 or 1", position=pos)
    return b == 1


def _read_double(raw: bytes, pos: int) -> int | float:
    value: float = _unpack_double(raw, pos)[0]
    if value - value != 0.0:
        raise DecodeError(
            f"Avro: the double at byte {pos} is {value}, which JSON data cannot hold",
            position=pos,
        )
    if value.is_integer() and -_EXACT_DOUBLE <= value <= _EXACT_DOUBLE:
        return int(value)
    return value


# Union indexes, as read back (the tags above are their encoded forms).
def _index(tag: bytes) -> int:
    return _read_long(tag, 0)[0]


_I_A = {_index(_T[k]): k for k in ("A_NULL", "A_BOOLEAN", "A_INT", "A_STRING", "A_BYTES")}
_I_V = [k for _, k in sorted((_index(_T[k]), k) for k in _T if k.startswith("V_"))]
_I_W = [k for _, k in sorted((_index(_T[k]), k) for k in _T if k.startswith("W_"))]
_I_D = [k for _, k in sorted((_index(_T[k]), k) for k in _T if k.startswith("D_"))]


def _read_record(raw: bytes, pos: int, depth: int) -> tuple[dict[str, Any], int]:
    if depth > MAX_DEPTH:
        raise DecodeError(
            f"Avro: data records nest deeper than {MAX_DEPTH} levels at byte {pos}",
            position=pos,
        )
    out: dict[str, Any] = {}
    while True:
        count, pos = _read_count(raw, pos, "a data map")
        if not count:
            return out, pos
        for _ in range(count):
            key_at = pos
            key, pos = _read_str(raw, pos, "a data map key")
            if key in out:
                raise DecodeError(
                    f"Avro: data map key {key!r} repeats at byte {key_at}", position=key_at
                )
            value, pos = _read_inner(raw, pos, depth)
            out[key] = value


def _read_inner(raw: bytes, pos: int, depth: int) -> tuple[Any, int]:
    index, pos = _read_branch(raw, pos, len(_I_W), "a data value")
    kind = _I_W[index]
    if kind == "W_STRING":
        return _read_str(raw, pos, "a data string")
    if kind == "W_DOUBLE":
        return _read_double(raw, pos), pos + 8
    if kind == "W_BOOLEAN":
        return _read_bool(raw, pos), pos + 1
    if kind == "W_NULL":
        return None, pos
    if kind == "W_ARRAY":
        return _read_records(raw, pos, depth + 1)
    out: dict[str, Any] = {}  # W_MAP: a map of records
    while True:
        count, pos = _read_count(raw, pos, "a data map")
        if not count:
            return out, pos
        for _ in range(count):
            key_at = pos
            key, pos = _read_str(raw, pos, "a data map key")
            if key in out:
                raise DecodeError(
                    f"Avro: data map key {key!r} repeats at byte {key_at}", position=key_at
                )
            out[key], pos = _read_record(raw, pos, depth + 1)


def _read_records(raw: bytes, pos: int, depth: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while True:
        count, pos = _read_count(raw, pos, "a data array")
        if not count:
            return items, pos
        for _ in range(count):
            item, pos = _read_record(raw, pos, depth)
            items.append(item)


def _read_data(raw: bytes, pos: int) -> tuple[Any, int]:
    at = pos
    index, pos = _read_branch(raw, pos, len(_I_D), "the data field")
    kind = _I_D[index]
    if kind == "D_NULL":
        return NO_DATA, pos
    if kind == "D_BYTES":
        n, pos = _read_size(raw, pos, "the bytes data")
        return raw[pos : pos + n], pos + n
    if kind == "D_STRING":
        return _read_str(raw, pos, "the string data")
    if kind == "D_MAP":
        out: dict[str, Any] = {}
        while True:
            count, pos = _read_count(raw, pos, "the data map")
            if not count:
                return out, pos
            for _ in range(count):
                key_at = pos
                key, pos = _read_str(raw, pos, "a data map key")
                if key in out:
                    raise DecodeError(
                        f"Avro: data map key {key!r} repeats at byte {key_at}", position=key_at
                    )
                branch, pos = _read_branch(raw, pos, len(_I_V), "a data value")
                value_kind = _I_V[branch]
                value: Any
                if value_kind == "V_STRING":
                    value, pos = _read_str(raw, pos, "a data string")
                elif value_kind == "V_RECORD":
                    value, pos = _read_record(raw, pos, 1)
                elif value_kind == "V_DOUBLE":
                    value, pos = _read_double(raw, pos), pos + 8
                elif value_kind == "V_BOOLEAN":
                    value, pos = _read_bool(raw, pos), pos + 1
                else:
                    value = None
                out[key] = value
    if kind == "D_ARRAY":
        return _read_records(raw, pos, 1)
    if kind == "D_DOUBLE":
        return _read_double(raw, pos), pos + 8
    if kind == "D_BOOLEAN":
        return _read_bool(raw, pos), pos + 1
    raise AssertionError(f"unhandled data branch {kind} at byte {at}")  # pragma: no cover


_A_STRING_INDEX: Final = _A_STRING[0]  # the one-byte tag, as an int


def _read_attributes(raw: bytes) -> tuple[dict[str, Any], int]:
    attrs: dict[str, Any] = {}
    unset: set[str] = set()
    pos = 0
    end = len(raw)
    while True:
        count, pos = _read_count(raw, pos, "the attribute map")
        if not count:
            return attrs, pos
        for _ in range(count):
            key_at = pos
            # Inline fast path: a short name (one-byte length), the string tag, and a
            # short value; anything else goes through the general readers.
            b = raw[pos]
            stop = pos + 1 + (b >> 1)
            if b < 0x80 and not b & 1 and stop <= end:
                name = raw[pos + 1 : stop].decode("utf-8")
                pos = stop
            else:
                name, pos = _read_str(raw, pos, "an attribute name")
            if name in attrs or name in unset:
                raise DecodeError(
                    f"Avro: attribute {name!r} appears twice (byte {key_at})", position=name
                )
            if raw[pos] == _A_STRING_INDEX:
                pos += 1
                b = raw[pos]
                stop = pos + 1 + (b >> 1)
                if b < 0x80 and not b & 1 and stop <= end:
                    attrs[name] = raw[pos + 1 : stop].decode("utf-8")
                    pos = stop
                else:
                    attrs[name], pos = _read_str(raw, pos, f"attribute {name!r}")
                continue
            index, pos = _read_branch(raw, pos, len(_I_A), f"attribute {name!r}")
            kind = _I_A[index]
            if kind == "A_BOOLEAN":
                attrs[name] = _read_bool(raw, pos)
                pos += 1
            elif kind == "A_INT":
                at = pos
                value, pos = _read_long(raw, pos)
                if not INT32_MIN <= value <= INT32_MAX:
                    raise DecodeError(
                        f"Avro: attribute {name!r} at byte {at} holds {value}, beyond Avro int "
                        "(32-bit)",
                        position=name,
                    )
                attrs[name] = value
            elif kind == "A_BYTES":
                n, pos = _read_size(raw, pos, f"attribute {name!r}")
                attrs[name] = raw[pos : pos + n]
                pos += n
            elif kind == "A_STRING":  # the tag written in more than one byte
                attrs[name], pos = _read_str(raw, pos, f"attribute {name!r}")
            else:  # A_NULL: avro-format.md 2.3, an unset OPTIONAL attribute
                unset.add(name)


def decode(data: bytes | bytearray | memoryview) -> CloudEvent:
    """Decode one ``application/cloudevents+avro`` event.

    Raises:
        DecodeError: not an Avro record of the spec's schema: truncated, a bad union
            branch, invalid UTF-8, trailing bytes, nesting beyond ``MAX_DEPTH``;
            the message names the byte.
        InvalidMessageError: the record is not a valid CloudEvent (``.errors`` says why).
    """
    if isinstance(data, bytes):
        raw = data
    elif isinstance(data, (bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise DecodeError(f"expected bytes, got {type(data).__name__}")
    try:
        attrs, pos = _read_attributes(raw)
        value, pos = _read_data(raw, pos)
    except (IndexError, struct.error):
        raise DecodeError(
            f"Avro: truncated: the event ends inside a value ({len(raw)} bytes)",
            position=len(raw),
        ) from None
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"Avro: an attribute name or value is not valid UTF-8: {exc.reason}"
        ) from None
    except RecursionError:
        raise DecodeError("Avro: data nests too deeply for this thread's stack") from None
    if pos != len(raw):
        raise DecodeError(
            f"Avro: {len(raw) - pos} bytes follow the event at byte {pos}; one record expected",
            position=pos,
        )
    data_json: bytes | None = None
    if value.__class__ is bytes:
        content_type = attrs.get("datacontenttype")
        if content_type.__class__ is str and is_json_media_type(content_type):
            # Binary that merely claims to be JSON stays Binary: nothing is lost.
            with contextlib.suppress(orjson.JSONDecodeError):
                value, data_json = orjson.loads(value), value
    return CloudEvent._from_wire(attrs, value, "Avro event", data_json)
