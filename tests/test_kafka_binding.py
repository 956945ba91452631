"""The Kafka protocol binding (bindings/kafka-protocol-binding.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

import cesdk
from cesdk import NO_DATA, CloudEvent
from cesdk.bindings import kafka
from cesdk.formats import json as ce_json


@dataclass
class ConsumerRecord:
    """A stand-in for aiokafka's ConsumerRecord: the fields from_kafka may read."""

    topic: str = "mytopic"
    partition: int = 0
    offset: int = 0
    timestamp: int = 0
    timestamp_type: int = 0
    key: bytes | None = None
    value: bytes | None = None
    checksum: int | None = None
    serialized_key_size: int = -1
    serialized_value_size: int = -1
    headers: tuple[tuple[str, bytes], ...] = field(default_factory=tuple)


class ConfluentMessage:
    """A stand-in for confluent-kafka's Message, whose fields are methods."""

    def __init__(self, key: bytes | None, value: bytes | None, headers: list[Any] | None):
        self._key, self._value, self._headers = key, value, headers

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> list[Any] | None:
        return self._headers


REQUIRED = [
    ("ce_specversion", b"1.0"),
    ("ce_type", b"com.example.someevent"),
    ("ce_source", b"/mycontext/subcontext"),
    ("ce_id", b"1234-1234-1234"),
]
REQUIRED_TUPLE = tuple(REQUIRED)


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext/subcontext")
    kwargs.setdefault("id", "1234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T03:56:24Z")
    return CloudEvent(**kwargs)


def as_record(msg: kafka.KafkaMessage, key: bytes | None = None) -> ConsumerRecord:
    return ConsumerRecord(key=msg.key if key is None else key, value=msg.value,
                          headers=tuple(msg.headers))  # fmt: skip


# -- 3.2 binary mode ----------------------------------------------------------------------


def test_binary_mode_headers_are_ce_underscore_utf8() -> None:
    """kafka-protocol-binding.md 3.2.3: attributes map to `ce_` headers, UTF-8 values."""
    event = make(subject="caf\xe9 50% off", extensions={"n": 5, "flag": False})
    msg = kafka.to_binary(event)
    headers = dict(msg.headers)
    assert headers == {
        "ce_specversion": b"1.0",
        "ce_type": b"com.example.someevent",
        "ce_source": b"/mycontext/subcontext",
        "ce_id": b"1234-1234-1234",
        "ce_time": b"2018-04-05T03:56:24Z",
        "ce_subject": "caf\xe9 50% off".encode(),
        "ce_n": b"5",
        "ce_flag": b"false",
    }
    assert all(isinstance(value, bytes) for _, value in msg.headers)
    assert kafka.from_kafka(msg) == event


def test_header_values_are_not_percent_decoded() -> None:
    """kafka-protocol-binding.md 3.2.3: header values are UTF-8 strings, not escaped."""
    record = ConsumerRecord(headers=(*REQUIRED, ("ce_subject", b"a%20b")))
    assert kafka.from_kafka(record).subject == "a%20b"


def test_binary_mode_content_type_header() -> None:
    """kafka-protocol-binding.md 3.2.1: content-type maps to datacontenttype."""
    event = make(data="<a/>", datacontenttype="application/xml")
    msg = kafka.to_binary(event)
    headers = dict(msg.headers)
    assert headers["content-type"] == b"application/xml"
    assert "ce_datacontenttype" not in headers
    assert msg.value == b"<a/>"
    decoded = kafka.from_kafka(msg)
    assert decoded.datacontenttype == "application/xml"
    assert decoded == event


def test_binary_mode_value_is_the_data() -> None:
    """kafka-protocol-binding.md 3.2.2: the data byte-sequence is the record value."""
    payload = bytes(range(256))
    event = make(data=payload, datacontenttype="application/avro")
    msg = kafka.to_binary(event)
    assert msg.value == payload
    assert kafka.from_kafka(as_record(msg)) == event


def test_no_data_is_a_record_without_value() -> None:
    """kafka-protocol-binding.md 3.2.2: no data means a message with no value (tombstone)."""
    msg = kafka.to_binary(make())
    assert msg.value is None
    decoded = kafka.from_kafka(as_record(msg))
    assert decoded.data is NO_DATA
    assert decoded == make()


def test_null_data_differs_from_no_data() -> None:
    """json-format.md 3.1.1 over kafka 3.2.2: JSON null is a value, not a tombstone."""
    msg = kafka.to_binary(make(data=None))
    assert msg.value == b"null"
    assert dict(msg.headers)["content-type"] == b"application/json"
    assert kafka.from_kafka(msg).data is None


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("", "text/plain"), (b"", None), (b"", "application/octet-stream")],
)
def test_empty_value_is_empty_data(data: Any, content_type: str | None) -> None:
    """kafka-protocol-binding.md 3.2.2: an empty value is data, unlike a missing one."""
    event = make(data=data, datacontenttype=content_type)
    msg = kafka.to_binary(event)
    assert msg.value == b""
    decoded = kafka.from_kafka(msg)
    assert decoded.data == data
    assert type(decoded.data) is type(data)


@pytest.mark.parametrize(
    ("content_type", "value", "expected"),
    [
        (b"application/json", b'{"a":1}', {"a": 1}),
        (b"Application/Vnd.Api+JSON", b"[true]", [True]),
        (b"text/plain; charset=utf-8", b"caf\xc3\xa9", "caf\xe9"),
        (b"application/octet-stream", b"\x00\xff", b"\x00\xff"),
    ],
)
def test_binary_value_mapping_by_content_type(
    content_type: bytes, value: bytes, expected: Any
) -> None:
    """kafka-protocol-binding.md 3.2 + json-format.md 3.1: JSON types give a JSON value,
    text str, anything else bytes."""
    record = ConsumerRecord(value=value, headers=(*REQUIRED, ("content-type", content_type)))
    decoded = kafka.from_kafka(record)
    assert decoded.data == expected
    assert type(decoded.data) is type(expected)


def test_json_string_datum_keeps_its_quotes() -> None:
    """json-format.md 3.2: a JSON string datum is written quoted, labelled application/json."""
    event = make(data="I'm just a string")
    msg = kafka.to_binary(event)
    assert msg.value == b'"I\'m just a string"'
    assert kafka.from_kafka(msg) == event


# -- 3.1 key mapping -----------------------------------------------------------------------


def test_key_is_mapped_as_given_by_default() -> None:
    """kafka-protocol-binding.md 3.1: by default the user's key is the record key."""
    event = make(extensions={"partitionkey": "pk-1"})
    assert kafka.to_binary(event).key is None
    assert kafka.to_binary(event, key=b"mykey").key == b"mykey"
    assert kafka.to_binary(event, key="mykey").key == b"mykey"
    assert kafka.to_structured(event, key=b"mykey").key == b"mykey"


def test_partitionkey_mapper_is_opt_in_and_keeps_the_attribute() -> None:
    """kafka-protocol-binding.md 3.1: the opt-in mapper uses partitionkey as-is; the event
    still carries partitionkey."""
    event = make(extensions={"partitionkey": "web-1"})
    msg = kafka.to_binary(event, key_mapper=kafka.partitionkey_mapper)
    assert msg.key == b"web-1"
    assert dict(msg.headers)["ce_partitionkey"] == b"web-1"
    assert event["partitionkey"] == "web-1"
    assert kafka.from_kafka(msg) == event
    structured = kafka.to_structured(event, key_mapper=kafka.partitionkey_mapper)
    assert structured.key == b"web-1"
    assert json.loads(structured.value or b"")["partitionkey"] == "web-1"


def test_partitionkey_mapper_without_partitionkey_gives_no_key() -> None:
    """kafka-protocol-binding.md 3.1: the mapper maps partitionkey "if present"."""
    assert kafka.to_binary(make(), key_mapper=kafka.partitionkey_mapper).key is None


def test_key_mapper_never_modifies_the_event() -> None:
    """kafka-protocol-binding.md 3.1: a mapping function MUST NOT modify the CloudEvent."""
    event = make(data={"a": 1})
    msg = kafka.to_binary(event, key_mapper=lambda e: e.id)
    assert msg.key == b"1234-1234-1234"
    assert kafka.from_kafka(msg) == event
    assert "partitionkey" not in kafka.from_kafka(msg)


def test_record_key_never_becomes_an_attribute() -> None:
    """kafka-protocol-binding.md 3.1: a key from elsewhere MUST NOT add an attribute."""
    record = ConsumerRecord(key=b"some-key", headers=REQUIRED_TUPLE)
    decoded = kafka.from_kafka(record)
    assert "partitionkey" not in decoded
    assert dict(decoded.extensions) == {}


@pytest.mark.parametrize("key", [b"\xff\xfe\x00", b"\x80", b""])
def test_binary_keys_do_not_crash(key: bytes) -> None:
    """kafka-protocol-binding.md 3.1: keys are opaque bytes; non-UTF-8 keys are fine."""
    event = make(data=b"x", extensions={"partitionkey": "p"})
    for msg in (kafka.to_binary(event, key=key), kafka.to_structured(event, key=key)):
        assert msg.key == key
        assert kafka.from_kafka(as_record(msg, key=key)) == event


# -- 3.3 structured mode ---------------------------------------------------------------------


def test_structured_mode() -> None:
    """kafka-protocol-binding.md 3.3: content-type is the format's media type, value the
    JSON event."""
    event = make(data={"a": 1}, datacontenttype="application/json")
    msg = kafka.to_structured(event)
    assert dict(msg.headers)["content-type"].lower().startswith(b"application/cloudevents+json")
    assert msg.value == ce_json.encode(event)
    assert kafka.from_kafka(as_record(msg)) == event


def test_structured_no_data_still_has_a_value() -> None:
    """kafka-protocol-binding.md 3.3.2: structured no-data events are not tombstones."""
    msg = kafka.to_structured(make())
    assert msg.value
    assert kafka.from_kafka(msg).data is NO_DATA


@pytest.mark.parametrize(
    "content_type",
    [b"application/cloudevents+json", b"APPLICATION/CloudEvents+JSON; charset=UTF-8"],
)
def test_structured_mode_detected_case_insensitively(content_type: bytes) -> None:
    """kafka-protocol-binding.md 3: the prefix is matched case-insensitively."""
    event = make(data={"a": 1})
    record = ConsumerRecord(
        value=ce_json.encode(event),
        headers=(("content-type", content_type), ("ce_id", b"ignored")),
    )
    assert kafka.from_kafka(record) == event


def test_structured_unsupported_format_is_a_decode_error() -> None:
    """kafka-protocol-binding.md 3: a format this receiver cannot handle."""
    record = ConsumerRecord(
        value=b"<event/>", headers=(("content-type", b"application/cloudevents+xml"),)
    )
    with pytest.raises(cesdk.DecodeError, match="xml"):
        kafka.from_kafka(record)


# -- record shapes --------------------------------------------------------------------------


def test_from_kafka_accepts_aiokafka_style_records() -> None:
    """kafka-protocol-binding.md 3: any record with .key/.value/.headers."""
    event = make(data={"a": 1}, extensions={"partitionkey": "x"})
    msg = kafka.to_binary(event, key_mapper=kafka.partitionkey_mapper)
    assert kafka.from_kafka(as_record(msg)) == event


def test_from_kafka_accepts_confluent_style_messages() -> None:
    """kafka-protocol-binding.md 3: confluent-kafka exposes fields as methods."""
    event = make(data="hi", datacontenttype="text/plain")
    msg = kafka.to_binary(event)
    assert kafka.from_kafka(ConfluentMessage(msg.key, msg.value, msg.headers)) == event
    structured = kafka.to_structured(event)
    assert kafka.from_kafka(ConfluentMessage(None, structured.value, structured.headers)) == event


def test_from_kafka_accepts_bytes_header_names_and_str_values() -> None:
    """kafka-protocol-binding.md 3.2.3: header keys and values are UTF-8 strings."""
    headers = tuple((name.encode(), value.decode()) for name, value in REQUIRED)
    decoded = kafka.from_kafka(ConsumerRecord(headers=headers))  # type: ignore[arg-type]
    assert decoded.id == "1234-1234-1234"


def test_non_utf8_header_value_is_a_decode_error_naming_it() -> None:
    """kafka-protocol-binding.md 3.2.3: header values MUST be UTF-8."""
    record = ConsumerRecord(headers=(*REQUIRED, ("ce_subject", b"\xff\xfe")))
    with pytest.raises(cesdk.DecodeError) as info:
        kafka.from_kafka(record)
    assert "ce_subject" in str(info.value)


def test_missing_required_headers_are_named() -> None:
    """spec.md REQUIRED Attributes: each missing one is named in .errors."""
    record = ConsumerRecord(value=b"x", headers=(("ce_id", b"1"),))
    with pytest.raises(cesdk.InvalidMessageError) as info:
        kafka.from_kafka(record)
    assert set(info.value.errors) == {"specversion", "source", "type"}


def test_record_without_ce_headers_is_not_a_cloudevent() -> None:
    """kafka-protocol-binding.md 3: without the mandatory headers it is no CloudEvent."""
    with pytest.raises(cesdk.DecodeError):
        kafka.from_kafka(
            ConsumerRecord(value=b"{}", headers=(("content-type", b"application/json"),))
        )


def test_message_value_is_frozen() -> None:
    """STYLE.md 7: bindings map to a small frozen message value."""
    msg = kafka.to_binary(make())
    with pytest.raises(AttributeError):
        msg.value = b"x"  # type: ignore[misc]
