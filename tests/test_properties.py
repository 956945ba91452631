"""Property-based tests: round trips for every format x binding x mode, and fuzzing.

STYLE.md 14: Hypothesis round trips for every format x binding x mode. The events come
from ``strategies.py``; its module docstring explains which data each mode carries
faithfully (binary modes read JSON content types as JSON values, ``text/*`` as ``str``,
everything else as ``bytes``, and an empty HTTP/NATS body as "no data"), and the data
is generated to match.
"""

from __future__ import annotations

import os
import re
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import CloudEvent
from cesdk.bindings import http, kafka, nats
from cesdk.bindings._codec import decode_header_value, encode_header_value
from cesdk.formats import json as ce_json
from strategies import (
    CORE_NAMES,
    JSON_CONTENT_TYPES,
    NONCHARACTERS,
    event_batches,
    events,
    json_values,
)

# Modest: the whole tests/ directory has to stay well under a minute on two cores. Set
# CESDK_HYPOTHESIS_SCALE (e.g. 50) for a long hunt.
_SCALE = int(os.environ.get("CESDK_HYPOTHESIS_SCALE", "1"))
ROUND_TRIP = settings(
    max_examples=30 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings(
    max_examples=60 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class Record:
    """A stand-in for aiokafka's ConsumerRecord."""

    def __init__(self, key: Any, value: Any, headers: Any) -> None:
        self.key, self.value, self.headers = key, value, headers


class Msg:
    """A stand-in for nats-py's Msg."""

    def __init__(self, data: Any, headers: Any) -> None:
        self.data, self.headers = data, headers


def assert_same(decoded: CloudEvent, event: CloudEvent) -> None:
    assert decoded == event
    assert hash(decoded) == hash(event)
    assert type(decoded.data) is type(event.data)


# -- round trips --------------------------------------------------------------------------


@ROUND_TRIP
@given(events("format"))
def test_json_format_round_trip(event: CloudEvent) -> None:
    """json-format.md 3: decode(encode(e)) == e."""
    assert_same(ce_json.decode(ce_json.encode(event)), event)


@ROUND_TRIP
@given(event_batches("format"))
def test_json_batch_round_trip(batch: list[CloudEvent]) -> None:
    """json-format.md 4: decode_batch(encode_batch(es)) == es."""
    decoded = ce_json.decode_batch(ce_json.encode_batch(batch))
    assert decoded == batch
    for got, want in zip(decoded, batch, strict=True):
        assert type(got.data) is type(want.data)


@ROUND_TRIP
@given(events("binary"))
def test_http_binary_round_trip(event: CloudEvent) -> None:
    """http-protocol-binding.md 3.1: binary mode round trip (data drawn per strategies.py)."""
    msg = http.to_binary(event)
    assert "ce-datacontenttype" not in msg.headers
    for name, value in msg.headers.items():
        if name.startswith("ce-"):
            assert ENCODED_HEADER_VALUE.fullmatch(value)
    assert_same(http.from_http(msg.headers, msg.body), event)


@ROUND_TRIP
@given(events("binary"))
def test_http_binary_round_trip_via_asgi_headers(event: CloudEvent) -> None:
    """http-protocol-binding.md 3.1: the same, with headers as ASGI (bytes, bytes) pairs."""
    msg = http.to_binary(event)
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in msg.headers.items()
    ]
    assert_same(http.from_http(headers, msg.body), event)


@ROUND_TRIP
@given(events("format"))
def test_http_structured_round_trip(event: CloudEvent) -> None:
    """http-protocol-binding.md 3.2: structured mode round trip."""
    msg = http.to_structured(event)
    assert_same(http.from_http(msg.headers, msg.body), event)


@ROUND_TRIP
@given(event_batches("format"))
def test_http_batch_round_trip(batch: list[CloudEvent]) -> None:
    """http-protocol-binding.md 3.3: batched mode round trip."""
    msg = http.to_batch(batch)
    assert http.from_http_batch(msg.headers, msg.body) == batch


@ROUND_TRIP
@given(events("kafka"), st.one_of(st.none(), st.binary(max_size=8)))
def test_kafka_binary_round_trip(event: CloudEvent, key: bytes | None) -> None:
    """kafka-protocol-binding.md 3.2: binary mode round trip; the key is never an attribute."""
    msg = kafka.to_binary(event, key=key)
    assert msg.key == key
    assert all(isinstance(v, bytes) for _, v in msg.headers)
    assert_same(kafka.from_kafka(Record(key, msg.value, tuple(msg.headers))), event)


@ROUND_TRIP
@given(events("format"), st.one_of(st.none(), st.binary(max_size=8)))
def test_kafka_structured_round_trip(event: CloudEvent, key: bytes | None) -> None:
    """kafka-protocol-binding.md 3.3: structured mode round trip."""
    msg = kafka.to_structured(event, key=key)
    assert_same(kafka.from_kafka(Record(key, msg.value, msg.headers)), event)


@ROUND_TRIP
@given(events("binary"))
def test_nats_binary_round_trip(event: CloudEvent) -> None:
    """nats-protocol-binding.md 3.1: binary mode round trip."""
    msg = nats.to_binary(event)
    assert_same(nats.from_nats(Msg(msg.data, dict(msg.headers))), event)


@ROUND_TRIP
@given(events("format"))
def test_nats_structured_round_trip(event: CloudEvent) -> None:
    """nats-protocol-binding.md 3.2: structured mode round trip."""
    msg = nats.to_structured(event)
    assert_same(nats.from_nats(Msg(msg.data, dict(msg.headers))), event)


@ROUND_TRIP
@given(events("format"))
def test_reencoding_is_stable(event: CloudEvent) -> None:
    """json-format.md 3: encoding a decoded event gives the same bytes again."""
    body = ce_json.encode(event)
    assert ce_json.encode(ce_json.decode(body)) == body


@ROUND_TRIP
@given(events("format"))
def test_replace_with_nothing_is_equal(event: CloudEvent) -> None:
    """DESIGN.md: replace() validates again; unchanged attributes give an equal event."""
    assert event.replace() == event


# -- header codec -----------------------------------------------------------------------------

# Printable ASCII but space, '"' and '%'; or an upper-case percent-escape.
ENCODED_HEADER_VALUE = re.compile(r"(?:[\x21\x23\x24\x26-\x7e]|%[0-9A-F]{2})*")
_STRING_CHARS = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=NONCHARACTERS)


@FUZZ
@given(st.text(_STRING_CHARS))
def test_header_codec_round_trip(text: str) -> None:
    """http-protocol-binding.md 3.1.3.2: decode(encode(s)) == s for every String, and the
    encoded form is printable ASCII without space, `"` or a bare `%`."""
    encoded = encode_header_value(text)
    assert ENCODED_HEADER_VALUE.fullmatch(encoded)
    assert decode_header_value(encoded, "ce-x") == text


@FUZZ
@given(st.text(_STRING_CHARS))
def test_header_codec_escapes_exactly_the_required_characters(text: str) -> None:
    """http-protocol-binding.md 3.1.3.2: only space, `"`, `%` and non-printable-ASCII
    characters are encoded, each as its UTF-8 bytes in upper-case hex."""
    expected = "".join(
        c
        if 0x21 <= ord(c) <= 0x7E and c not in '"%'
        else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
        for c in text
    )
    assert encode_header_value(text) == expected


@FUZZ
@given(st.text())
def test_header_decoder_raises_only_decode_error(text: str) -> None:
    """http-protocol-binding.md 3.1.3.2: any header value decodes or raises DecodeError."""
    try:
        result = decode_header_value(text, "ce-x")
    except cesdk.DecodeError:
        return
    assert isinstance(result, str)


# -- fuzzing: nothing but CESDKError ------------------------------------------------------------


def exercise(result: object) -> None:
    """Use whatever a decoder returned the way a caller would; nothing may crash."""
    for event in result if isinstance(result, list) else [result]:
        assert isinstance(event, CloudEvent)
        repr(event)
        hash(event)
        assert event == event
        _ = (event.time, event.data, dict(event.extensions), dict(event.attributes))
        try:
            ce_json.encode(event)
            http.to_binary(event)
            kafka.to_binary(event)
            nats.to_binary(event)
        except cesdk.EncodeError:
            pass


def only_cesdk_errors(decode: Any, *args: Any) -> None:
    try:
        result = decode(*args)
    except cesdk.CESDKError:
        return
    exercise(result)


_BASE = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
_NAMES = [*sorted(CORE_NAMES), "data", "data_base64", "ext", "BAD", "", "a_b", "partitionkey"]
_attribute_values = st.one_of(
    json_values,
    st.sampled_from(
        ["", "1.0", "0.3", "/s", "a b", "%zz", "2018-04-05T17:31:00Z",
         "1990-12-31T23:59:60z", "0000-01-01T00:00:00Z", "application/json", "text/plain",
         "AP8=", "\u0000", "\ud800x"]
    ),
)  # fmt: skip


@st.composite
def near_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event object with some members changed, dropped or added."""
    obj: dict[str, Any] = dict(_BASE)
    for name in draw(st.lists(st.sampled_from(_NAMES), max_size=4)):
        if draw(st.booleans()):
            obj[name] = draw(_attribute_values)
        else:
            obj.pop(name, None)
    return obj


def _dumps(obj: Any) -> bytes:
    try:
        return orjson.dumps(obj)
    except (orjson.JSONEncodeError, TypeError):
        return b"{}"  # a lone surrogate cannot be written; any bad body will do


_bodies = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
    near_events().map(_dumps),
    st.lists(near_events(), max_size=3).map(_dumps),
    json_values.map(_dumps),
)


@FUZZ
@given(_bodies)
def test_json_decoders_raise_only_cesdk_errors(body: bytes) -> None:
    """json-format.md 3/4: any bytes decode to events or raise a CESDKError."""
    only_cesdk_errors(ce_json.decode, body)
    only_cesdk_errors(ce_json.decode_batch, body)


@FUZZ
@given(st.text(max_size=100))
def test_json_decoders_accept_any_text(text: str) -> None:
    """json-format.md 3: str input, lone surrogates included, never crashes."""
    only_cesdk_errors(ce_json.decode, text)
    only_cesdk_errors(ce_json.decode_batch, text)


_header_names = st.one_of(
    st.sampled_from([f"ce-{n}" for n in _NAMES] + ["content-type", "Content-Type", "CE-ID"]),
    st.text(max_size=12),
)
_header_values = st.one_of(
    st.sampled_from(
        ["1.0", "1", "/s", "t", "%20", "%zz", "%C0%A0", '"quoted \\"x\\""', '"open', "caf\xe9",
         "application/json", "text/plain; charset=utf-8", "application/cloudevents+json",
         "application/cloudevents-batch+json", "application/cloudevents+avro", "   "]
    ),
    st.text(max_size=20),
)  # fmt: skip
_http_headers = st.one_of(
    st.dictionaries(_header_names, _header_values, max_size=8),
    st.lists(
        st.tuples(_header_names, _header_values).map(
            lambda nv: (
                nv[0].encode("utf-8", "surrogatepass"),
                nv[1].encode("utf-8", "surrogatepass"),
            )
        ),
        max_size=8,
    ),
)


@FUZZ
@given(_http_headers, _bodies)
def test_http_decoders_raise_only_cesdk_errors(headers: Any, body: bytes) -> None:
    """http-protocol-binding.md 3: any headers and body decode or raise a CESDKError."""
    only_cesdk_errors(http.from_http, headers, body)
    only_cesdk_errors(http.from_http_batch, headers, body)


@FUZZ
@given(_bodies)
def test_http_decoders_with_valid_ce_headers_raise_only_cesdk_errors(body: bytes) -> None:
    """http-protocol-binding.md 3.1: a valid header set over any body, any content type."""
    for content_type in [None, "application/json", "text/plain", "application/octet-stream",
                         "text/plain; charset=utf-16", "application/cloudevents+json"]:  # fmt: skip
        headers = {f"ce-{k}": v for k, v in _BASE.items()}
        if content_type is not None:
            headers["content-type"] = content_type
        only_cesdk_errors(http.from_http, headers, body)


_kafka_headers = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from([f"ce_{n}" for n in _NAMES] + ["content-type", "CE_id"]),
            st.text(max_size=12),
        ),
        st.one_of(
            _header_values.map(lambda v: v.encode("utf-8", "surrogatepass")),
            st.binary(max_size=20),
            st.none(),
        ),
    ),
    max_size=8,
)


@FUZZ
@given(st.one_of(st.none(), st.binary(max_size=8)), st.one_of(st.none(), _bodies), _kafka_headers)
def test_kafka_decoder_raises_only_cesdk_errors(
    key: bytes | None, value: bytes | None, headers: list[tuple[str, Any]]
) -> None:
    """kafka-protocol-binding.md 3: any record decodes or raises a CESDKError."""
    only_cesdk_errors(kafka.from_kafka, Record(key, value, headers))
    required = [(f"ce_{k}", v.encode()) for k, v in _BASE.items()]
    only_cesdk_errors(kafka.from_kafka, Record(key, value, required + headers))


@FUZZ
@given(st.one_of(st.none(), st.dictionaries(_header_names, _header_values, max_size=8)), _bodies)
def test_nats_decoder_raises_only_cesdk_errors(headers: dict[str, str] | None, data: bytes) -> None:
    """nats-protocol-binding.md 3: any message decodes or raises a CESDKError."""
    only_cesdk_errors(nats.from_nats, Msg(data, headers))
    required = {f"ce-{k}": v for k, v in _BASE.items()}
    only_cesdk_errors(nats.from_nats, Msg(data, {**required, **(headers or {})}))


@FUZZ
@given(json_values, st.sampled_from([None, *JSON_CONTENT_TYPES]))
def test_constructor_raises_only_invalid_event_error(data: Any, content_type: str | None) -> None:
    """DESIGN.md: construction validates; bad input is an InvalidEventError, nothing else."""
    try:
        event = CloudEvent(type="t", source="/s", data=data, datacontenttype=content_type)
    except cesdk.InvalidEventError:
        return
    exercise(event)
