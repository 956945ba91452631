"""Bad input into the Avro decoder raises DecodeError (or InvalidEventError), nothing else.

DESIGN.md ("a source never crashes on bad input"): malformed, truncated, oversized,
deeply nested and hostile bytes are answered with ``cesdk.DecodeError`` naming the byte
where it went wrong, never IndexError, RecursionError, MemoryError or a crash of the
interpreter (a recursive C reader overflows its stack on ~20 KB of nested records).
"""

from __future__ import annotations

import contextlib
import io
import time
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk.formats import avro

SCHEMA = fastavro.parse_schema(avro.schema())
BAD = (cesdk.DecodeError, cesdk.InvalidEventError)
TEN_MB = 10 * 1024 * 1024
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write(record: dict[str, Any]) -> bytes:
    stream = io.BytesIO()
    fastavro.schemaless_writer(stream, SCHEMA, record)
    return stream.getvalue()


def zigzag(n: int) -> bytes:
    """Avro's long encoding, written independently of cesdk's."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        if n < 0x80:
            out.append(n)
            return bytes(out)
        out.append((n & 0x7F) | 0x80)
        n >>= 7


def text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return zigzag(len(raw)) + raw


ATTRS = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
# The attribute map of a valid event, as raw bytes: count, entries, end of map.
ATTR_MAP = (
    zigzag(len(ATTRS))
    + b"".join(text(k) + zigzag(3) + text(v) for k, v in ATTRS.items())
    + zigzag(0)
)
VALID = write(
    {"attribute": {**ATTRS, "time": "2018-04-05T17:31:00Z"}, "data": {"a": "b", "n": 1.5}}
)


def test_the_valid_event_decodes() -> None:
    assert avro.decode(VALID).data == {"a": "b", "n": 1.5}
    assert avro.decode(ATTR_MAP + zigzag(1)).data is cesdk.NO_DATA


def test_every_truncation_is_a_decode_error() -> None:
    """avro-format.md 2.4: a strict prefix of a record is not a record."""
    for end in range(len(VALID)):
        with pytest.raises(cesdk.DecodeError):
            avro.decode(VALID[:end])


def test_trailing_bytes_are_named() -> None:
    """avro-format.md 2.4: one message is one record; what follows it is an error."""
    with pytest.raises(cesdk.DecodeError, match="bytes follow the event") as info:
        avro.decode(VALID + b"\x00\x00")
    assert info.value.position == len(VALID)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (zigzag(1) + text("id") + zigzag(9), "union branch 9"),
        (zigzag(1) + text("id") + zigzag(-1), "union branch -1"),
        (ATTR_MAP + zigzag(7), "union branch 7"),
        (zigzag(1) + zigzag(-5), "negative length"),
        (zigzag(1) + b"\x02\xc3\x28" + zigzag(0), "UTF-8"),
        (zigzag(1) + text("id") + zigzag(3) + b"\x02\xff" + zigzag(0) + zigzag(1), "UTF-8"),
        (ATTR_MAP + zigzag(6) + b"\x02\xff", "UTF-8"),
        (zigzag(2**40) + b"\x00", "announces"),
        (ATTR_MAP + zigzag(3) + zigzag(2**40), "announces"),
        (ATTR_MAP + zigzag(4) + zigzag(-(2**40)) + zigzag(3), "announces"),
        (b"\xff" * 11, "10 bytes"),
        (zigzag(1) + text("flag") + zigzag(1) + b"\x02" + zigzag(0) + zigzag(1), "not 0 or 1"),
        (zigzag(1) + text("n") + zigzag(2) + zigzag(2**31) + zigzag(0) + zigzag(1), "32-bit"),
        (ATTR_MAP + zigzag(5) + b"\x00\x00\x00\x00\x00\x00\xf8\x7f", "JSON data cannot hold"),
        (ATTR_MAP + zigzag(5) + b"\x00\x00\x00\x00\x00\x00\xf0\x7f", "JSON data cannot hold"),
    ],
    ids=[
        "attribute branch out of range",
        "negative branch",
        "data branch out of range",
        "negative string length",
        "attribute name not UTF-8",
        "attribute value not UTF-8",
        "string data not UTF-8",
        "huge attribute count",
        "huge data map count",
        "huge negative block count",
        "varint longer than 10 bytes",
        "boolean byte 2",
        "int beyond 32 bits",
        "NaN data",
        "infinite data",
    ],
)
def test_malformed_records_say_what_is_wrong(body: bytes, message: str) -> None:
    """Avro 1.9.0 binary encoding: each kind of corruption gets a sentence naming it."""
    with pytest.raises(cesdk.DecodeError, match=message):
        avro.decode(body)


def test_duplicate_attribute_is_named() -> None:
    """spec.md Context Attributes: an attribute appears once; a repeat is not guessed at."""
    body = zigzag(2) + text("id") + zigzag(3) + text("1") + text("id") + zigzag(3) + text("2")
    with pytest.raises(cesdk.DecodeError, match="appears twice") as info:
        avro.decode(body + zigzag(0) + zigzag(1))
    assert info.value.position == "id"


def test_duplicate_data_key_is_named() -> None:
    """A JSON object has unique member names; a repeated map key is an error."""
    entry = text("k") + zigzag(4) + text("v")
    with pytest.raises(cesdk.DecodeError, match="repeats"):
        avro.decode(ATTR_MAP + zigzag(3) + zigzag(2) + entry + entry + zigzag(0))


def test_negative_block_counts_are_read() -> None:
    """Avro 1.9.0 Maps/Arrays: a negative count is followed by the block's size in bytes."""
    entries = b"".join(text(k) + zigzag(3) + text(v) for k, v in ATTRS.items())
    body = zigzag(-len(ATTRS)) + zigzag(len(entries)) + entries + zigzag(0) + zigzag(6) + text("x")
    assert avro.decode(body).data == "x"


def test_deep_nesting_is_a_decode_error_not_a_crash() -> None:
    """DESIGN.md: 100k nested records (700 KB) never crash the interpreter or recurse
    without bound; the limit is MAX_DEPTH."""
    # data: map {"a": record{"a": map<record>{"a": record{...}}}}, repeated.
    level = zigzag(1) + text("a") + zigzag(2) + zigzag(1) + text("a")
    body = ATTR_MAP + zigzag(3) + zigzag(1) + text("a") + zigzag(2) + level * 100_000
    with pytest.raises(cesdk.DecodeError, match="deeper than") as info:
        avro.decode(body)
    assert isinstance(info.value.position, int)


def test_nesting_up_to_the_limit_decodes() -> None:
    """Depth below MAX_DEPTH is fine: nothing legitimate is refused."""
    data: dict[str, Any] = {"leaf": "x"}
    for _ in range(avro.MAX_DEPTH // 2 - 2):
        data = {"a": {"b": data}}
    event = cesdk.CloudEvent(type="t", source="/s", data=data)
    assert avro.decode(avro.encode(event)) == event


def test_many_empty_records_fail_fast_when_truncated() -> None:
    """An array that announces 10 million records in 10 bytes fails before allocating."""
    body = ATTR_MAP + zigzag(4) + zigzag(10_000_000) + b"\x00" * 8
    started = time.perf_counter()
    with pytest.raises(cesdk.DecodeError, match="announces"):
        avro.decode(body)
    assert time.perf_counter() - started < 1


def test_ten_megabytes_of_garbage() -> None:
    """spec.md Size Limits: 10 MB of noise is a DecodeError."""
    for body in (b"\xff" * TEN_MB, b"\x02" * TEN_MB, b"\x00" * TEN_MB):
        with pytest.raises(cesdk.DecodeError):
            avro.decode(body)


def test_ten_megabyte_event_decodes() -> None:
    """spec.md Size Limits: a large valid event still decodes, data byte for byte."""
    blob = bytes(range(256)) * (TEN_MB // 256)
    event = cesdk.CloudEvent(type="t", source="/s", data=blob)
    assert avro.decode(avro.encode(event)).data == blob


def test_ten_megabyte_event_with_an_invalid_attribute_names_it() -> None:
    """spec.md Size Limits + Context Attributes: a 10 MB event still gets precise errors."""
    body = write({"attribute": {**ATTRS, "subject": ""}, "data": "a" * TEN_MB})
    with pytest.raises(cesdk.InvalidEventError) as info:
        avro.decode(body)
    assert set(info.value.errors) == {"subject"}


@pytest.mark.parametrize(
    "value",
    ["text", 5, None, ["a"], object()],
    ids=lambda v: type(v).__name__ if type(v) is object else repr(v),
)
def test_input_of_the_wrong_type(value: Any) -> None:
    with pytest.raises(cesdk.DecodeError, match="expected bytes"):
        avro.decode(value)


def test_bytearray_and_memoryview_are_bytes() -> None:
    assert avro.decode(bytearray(VALID)) == avro.decode(memoryview(VALID)) == avro.decode(VALID)


@FUZZ
@given(st.binary(max_size=256))
def test_arbitrary_bytes_raise_only_cesdk_errors(body: bytes) -> None:
    """DESIGN.md: any bytes at all give an event or a CESDKError."""
    with contextlib.suppress(cesdk.CESDKError):
        avro.decode(body)


@FUZZ
@given(st.binary(max_size=64), st.binary(max_size=64))
def test_mutated_valid_events_raise_only_cesdk_errors(prefix: bytes, suffix: bytes) -> None:
    """Valid structure around noise reaches deeper into the reader than pure noise."""
    for body in (ATTR_MAP + prefix, VALID[: len(prefix)] + suffix, ATTR_MAP + zigzag(3) + prefix):
        with contextlib.suppress(cesdk.CESDKError):
            avro.decode(body)
