"""Structured mode in every binding with every registered event format.

http-protocol-binding.md 3.2, kafka-protocol-binding.md 3.3 and
nats-protocol-binding.md 3.2 carry "an event format" in structured mode; the receiver
picks it by the media type (http-protocol-binding.md 3: "the receiver uses structured
mode" for any ``application/cloudevents`` type it knows). STYLE.md 14: Hypothesis round
trips for every format x binding x mode.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import plugins
from cesdk.bindings import http, kafka, nats
from cesdk.formats import avro, protobuf
from cesdk.formats import json as ce_json
from strategies import event_batches, events

ROUND_TRIP = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = {"json": ce_json, "avro": avro, "protobuf": protobuf}


def carried(fmt: Any, event: cesdk.CloudEvent) -> bool:
    """Whether a format carries the event exactly (see each format's module docstring)."""
    if fmt is protobuf:
        try:
            protobuf.encode(event)  # leap seconds and years beyond 0001-9999 in UTC
        except cesdk.EncodeError:
            return False
    if fmt is avro and isinstance(event.data, bytes):
        content_type = (event.datacontenttype or "").split(";")[0].lower()
        return not content_type.endswith(("/json", "+json"))
    return True


def assert_same(decoded: cesdk.CloudEvent, event: cesdk.CloudEvent, fmt: Any) -> None:
    """Equal events; Avro and Protobuf also keep each extension's type (JSON writes a
    Binary extension as base64 text, json-format.md 2.2)."""
    assert decoded == event
    assert hash(decoded) == hash(event)
    assert type(decoded.data) is type(event.data)
    if isinstance(event.data, bytes | str):
        assert decoded.data == event.data
    if fmt is not ce_json:
        for name, value in event.extensions.items():
            assert type(decoded[name]) is type(value)
            assert decoded[name] == value


class Record:
    """A stand-in for aiokafka's ConsumerRecord."""

    def __init__(self, key: Any, value: Any, headers: Any) -> None:
        self.key, self.value, self.headers = key, value, headers


# -- round trips: format x binding, structured mode ----------------------------------------


@pytest.mark.parametrize("name", FORMATS)
@ROUND_TRIP
@given(event=events("format"))
def test_http_structured_round_trip(name: str, event: cesdk.CloudEvent) -> None:
    """http-protocol-binding.md 3.2: Content-Type is the format's media type."""
    fmt = FORMATS[name]
    assume(carried(fmt, event))
    msg = http.to_structured(event, format=fmt)
    assert msg.headers["content-type"].split(";")[0] == fmt.CONTENT_TYPE
    assert_same(http.from_http(msg.headers, msg.body), event, fmt)


@pytest.mark.parametrize("name", FORMATS)
@ROUND_TRIP
@given(event=events("format"), key=st.one_of(st.none(), st.binary(max_size=8)))
def test_kafka_structured_round_trip(name: str, event: cesdk.CloudEvent, key: Any) -> None:
    """kafka-protocol-binding.md 3.3: the content-type header names the format."""
    fmt = FORMATS[name]
    assume(carried(fmt, event))
    msg = kafka.to_structured(event, key=key, format=fmt)
    assert msg.key == key
    assert dict(msg.headers)["content-type"].split(b";")[0] == fmt.CONTENT_TYPE.encode()
    assert_same(kafka.from_kafka(Record(key, msg.value, tuple(msg.headers))), event, fmt)


@pytest.mark.parametrize("name", FORMATS)
@ROUND_TRIP
@given(event=events("format"))
def test_nats_structured_round_trip(name: str, event: cesdk.CloudEvent) -> None:
    """nats-protocol-binding.md 3.2: Content-Type names the format."""
    fmt = FORMATS[name]
    assume(carried(fmt, event))
    msg = nats.to_structured(event, format=fmt)
    assert msg.headers["Content-Type"].split(";")[0] == fmt.CONTENT_TYPE
    assert_same(nats.from_nats(nats.NatsMessage(dict(msg.headers), msg.data)), event, fmt)


@pytest.mark.parametrize("name", ["json", "protobuf"])
@ROUND_TRIP
@given(batch=event_batches("format"))
def test_http_batch_round_trip(name: str, batch: list[cesdk.CloudEvent]) -> None:
    """http-protocol-binding.md 3.3: the batch media type of the format."""
    fmt = FORMATS[name]
    assume(all(carried(fmt, event) for event in batch))
    msg = http.to_batch(batch, format=fmt)
    assert msg.headers["content-type"].split(";")[0] == fmt.BATCH_CONTENT_TYPE
    decoded = http.from_http_batch(msg.headers, msg.body)
    assert len(decoded) == len(batch)
    for got, want in zip(decoded, batch, strict=True):
        assert_same(got, want, fmt)


# -- choosing the format by content type ----------------------------------------------------


EVENT = cesdk.CloudEvent(type="t", source="/s", id="1", time=None, data={"a": 1})


@pytest.mark.parametrize("name", ["avro", "protobuf"])
def test_decoders_read_the_media_type_in_any_case_with_parameters(name: str) -> None:
    """http-protocol-binding.md 3: the media type is matched case-insensitively; parameters
    do not change the format."""
    fmt = FORMATS[name]
    body = fmt.encode(EVENT)
    content_type = fmt.CONTENT_TYPE.upper() + "; charset=utf-8"
    assert http.from_http({"Content-Type": content_type}, body) == EVENT
    assert kafka.from_kafka(Record(None, body, [("content-type", content_type.encode())])) == EVENT
    assert nats.from_nats(nats.NatsMessage({"Content-Type": content_type}, body)) == EVENT


def test_structured_mode_is_the_default_json_fast_path() -> None:
    """The JSON format stays the default, with its charset parameter."""
    assert http.to_structured(EVENT).headers == {
        "content-type": "application/cloudevents+json; charset=utf-8"
    }
    assert http.to_structured(EVENT, format=ce_json) == http.to_structured(EVENT)
    assert kafka.to_structured(EVENT, format=ce_json) == kafka.to_structured(EVENT)
    assert nats.to_structured(EVENT, format=ce_json) == nats.to_structured(EVENT)


UNKNOWN = "application/cloudevents+xml"


def test_unknown_formats_name_the_media_type_and_the_known_ones() -> None:
    """http-protocol-binding.md 3: a format this receiver cannot handle is a clear error."""
    errors = []
    for decode in (
        lambda: http.from_http({"content-type": UNKNOWN}, b"<e/>"),
        lambda: http.from_http_batch({"content-type": UNKNOWN.replace("+", "-batch+")}, b""),
        lambda: kafka.from_kafka(Record(None, b"<e/>", [("content-type", UNKNOWN.encode())])),
        lambda: nats.from_nats(nats.NatsMessage({"Content-Type": UNKNOWN}, b"<e/>")),
    ):
        with pytest.raises(cesdk.DecodeError) as info:
            decode()
        assert info.value.position == "content-type"
        errors.append(str(info.value))
    for text in errors:
        assert "xml" in text
        assert "application/cloudevents+protobuf" in text
        assert "application/cloudevents+avro" in text


@pytest.mark.parametrize("name", ["json", "protobuf"])
def test_kafka_and_nats_refuse_batch_media_types(name: str) -> None:
    """kafka-protocol-binding.md and nats-protocol-binding.md define no batched mode."""
    fmt = FORMATS[name]
    body = fmt.encode_batch([EVENT])
    content_type = fmt.BATCH_CONTENT_TYPE
    with pytest.raises(cesdk.DecodeError, match="no batch mode"):
        kafka.from_kafka(Record(None, body, [("content-type", content_type.encode())]))
    with pytest.raises(cesdk.DecodeError, match="no batch mode"):
        nats.from_nats(nats.NatsMessage({"Content-Type": content_type}, body))


def test_http_batch_with_a_single_event_type_and_vice_versa() -> None:
    """http-protocol-binding.md 3.3: a batch needs the batch media type."""
    with pytest.raises(cesdk.DecodeError, match="from_http_batch"):
        http.from_http({"content-type": protobuf.BATCH_CONTENT_TYPE}, b"")
    with pytest.raises(cesdk.DecodeError, match="not a batch"):
        http.from_http_batch({"content-type": protobuf.CONTENT_TYPE}, b"")


def test_to_batch_with_a_format_without_batches_is_an_encode_error() -> None:
    """avro-format.md 1: the Avro format defines no batch."""
    with pytest.raises(cesdk.EncodeError, match=r"cesdk\.formats\.avro defines no batch"):
        http.to_batch([EVENT], format=avro)  # type: ignore[arg-type]


def test_encode_errors_pass_through_the_bindings() -> None:
    """protobuf-format.md 2.1: a leap second cannot be a Timestamp, in any binding."""
    leap = cesdk.CloudEvent(type="t", source="/s", time="2016-12-31T23:59:60Z")
    for encode in (
        lambda: http.to_structured(leap, format=protobuf),
        lambda: kafka.to_structured(leap, format=protobuf),
        lambda: nats.to_structured(leap, format=protobuf),
        lambda: http.to_batch([leap], format=protobuf),
    ):
        with pytest.raises(cesdk.EncodeError, match="leap second"):
            encode()


# -- a plugin's format ---------------------------------------------------------------------


@pytest.fixture
def reversed_json() -> Iterator[types.SimpleNamespace]:
    """A third-party format, registered as a ``cesdk.formats`` plugin would be."""
    fmt = types.SimpleNamespace(
        __name__="reversed_json",
        CONTENT_TYPE="application/cloudevents+reversed-json",
        encode=lambda event: ce_json.encode(event)[::-1],
        decode=lambda data: ce_json.decode(bytes(data)[::-1]),
    )
    plugins.register("cesdk.formats", "reversed-json", fmt)
    yield fmt
    plugins.unregister("cesdk.formats", "reversed-json")


def test_a_plugin_format_works_in_every_binding(reversed_json: types.SimpleNamespace) -> None:
    """Issue: plugins add formats through the cesdk.formats entry-point group."""
    msg = http.to_structured(EVENT, format=reversed_json)
    assert msg.headers["content-type"] == "application/cloudevents+reversed-json"
    assert http.from_http(msg.headers, msg.body) == EVENT
    record = kafka.to_structured(EVENT, format=reversed_json)
    assert kafka.from_kafka(record) == EVENT
    message = nats.to_structured(EVENT, format=reversed_json)
    assert nats.from_nats(message) == EVENT


# -- bad input through the bindings ---------------------------------------------------------


def _decoders(content_type: str) -> list[Callable[[bytes], object]]:
    return [
        lambda b: http.from_http({"content-type": content_type}, b),
        lambda b: kafka.from_kafka(Record(None, b, [("content-type", content_type.encode())])),
        lambda b: nats.from_nats(nats.NatsMessage({"Content-Type": content_type}, b)),
    ]


@FUZZ
@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_in_every_binding_raise_only_cesdk_errors(body: bytes) -> None:
    """DESIGN.md: a source never crashes on bad input, whatever the format."""
    for content_type in (avro.CONTENT_TYPE, protobuf.CONTENT_TYPE):
        for decode in _decoders(content_type):
            with contextlib.suppress(cesdk.CESDKError):
                decode(body)
    with contextlib.suppress(cesdk.CESDKError):
        http.from_http_batch({"content-type": protobuf.BATCH_CONTENT_TYPE}, body)
