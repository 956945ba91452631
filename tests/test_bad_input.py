"""Bad input into every decoder raises DecodeError or InvalidEventError, nothing else.

DESIGN.md ("a source never crashes on bad input"): json.decode, json.decode_batch,
http.from_http, http.from_http_batch, kafka.from_kafka and nats.from_nats must answer
malformed, truncated, oversized, deeply nested, non-UTF-8 or incomplete input with
``cesdk.DecodeError`` or ``cesdk.InvalidEventError`` — never KeyError, TypeError,
AttributeError, RecursionError — and name the attribute or position where they can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest

import cesdk
from cesdk.bindings import http, kafka, nats
from cesdk.formats import json as ce_json

BAD = (cesdk.DecodeError, cesdk.InvalidEventError)


def stable_id(value: object) -> str:
    """A test id that is the same in every process (pytest-xdist compares them)."""
    text = repr(value)
    return f"<{type(value).__name__}>" if " at 0x" in text else text


VALID_EVENT = orjson.dumps(
    {
        "specversion": "1.0",
        "id": "A234-1234-1234",
        "source": "/mycontext",
        "type": "com.example.someevent",
        "time": "2018-04-05T17:31:00Z",
        "subject": "s",
        "data": {"a": [1, 2, {"b": "c"}]},
    }
)
HTTP_CE = {"ce-specversion": "1.0", "ce-id": "1", "ce-source": "/s", "ce-type": "t"}
KAFKA_CE = [(name.replace("-", "_"), value.encode()) for name, value in HTTP_CE.items()]


@dataclass
class Record:
    """A stand-in for aiokafka's ConsumerRecord."""

    key: bytes | None = None
    value: Any = None
    headers: Any = field(default_factory=list)


@dataclass
class Msg:
    """A stand-in for nats-py's Msg."""

    data: Any = b""
    headers: Any = None


# Decoders of a structured or batched body: every byte of input is the event format.
STRUCTURED: dict[str, Callable[[bytes], object]] = {
    "json.decode": ce_json.decode,
    "json.decode_batch": ce_json.decode_batch,
    "http.from_http structured": lambda b: http.from_http(
        {"content-type": "application/cloudevents+json"}, b
    ),
    "http.from_http_batch": lambda b: http.from_http_batch(
        {"content-type": "application/cloudevents-batch+json"}, b
    ),
    "kafka.from_kafka structured": lambda b: kafka.from_kafka(
        Record(value=b, headers=[("content-type", b"application/cloudevents+json")])
    ),
    "nats.from_nats structured": lambda b: nats.from_nats(
        Msg(b, {"content-type": "application/cloudevents+json"})
    ),
    "nats.from_nats no headers": lambda b: nats.from_nats(Msg(b, None)),
}
# Binary-mode decoders with a JSON content type: the body must be JSON.
BINARY_JSON: dict[str, Callable[[bytes], object]] = {
    "http.from_http binary": lambda b: http.from_http(
        {**HTTP_CE, "content-type": "application/json"}, b
    ),
    "kafka.from_kafka binary": lambda b: kafka.from_kafka(
        Record(value=b, headers=[*KAFKA_CE, ("content-type", b"application/json")])
    ),
    "nats.from_nats binary": lambda b: nats.from_nats(
        Msg(b, {**HTTP_CE, "ce-datacontenttype": "application/json"})
    ),
}
ALL_BODY_DECODERS = {**STRUCTURED, **BINARY_JSON}


def batch_of(body: bytes, name: str) -> bytes:
    """Wrap one event body in a batch for the batch decoders."""
    return b"[" + body + b"]" if "batch" in name else body


MALFORMED_JSON = [
    b"",
    b" ",
    b"{",
    b"}",
    b"[",
    b'{"id":}',
    b'{"id" "1"}',
    b"{'id': '1'}",
    b'{"id":"1",}',
    b"[1,]",
    b"nul",
    b"NaN",
    b"Infinity",
    b"01",
    b'"unterminated',
    b"{}{}",
    b'{"a":1} x',
    b"\xef\xbb\xbf{}",
    b"/* comment */ {}",
]


@pytest.mark.parametrize("body", MALFORMED_JSON, ids=stable_id)
@pytest.mark.parametrize("decoder", ALL_BODY_DECODERS)
def test_malformed_json(decoder: str, body: bytes) -> None:
    """json-format.md 3 (RFC 8259): text that is not JSON is a DecodeError."""
    if body == b"" and decoder in BINARY_JSON:
        # In binary mode an empty body is "no data", whatever the content type says.
        assert ALL_BODY_DECODERS[decoder](body).data is cesdk.NO_DATA  # type: ignore[attr-defined]
        return
    with pytest.raises(BAD):
        ALL_BODY_DECODERS[decoder](body)


@pytest.mark.parametrize("decoder", ALL_BODY_DECODERS)
def test_malformed_json_reports_the_position(decoder: str) -> None:
    """json-format.md 3: a parse error says where the text breaks."""
    with pytest.raises(cesdk.DecodeError) as info:
        ALL_BODY_DECODERS[decoder](b'{"id": "1", "oops"}')
    assert isinstance(info.value.position, int)


@pytest.mark.parametrize(
    "body",
    [b"5", b'"str"', b"null", b"true", b"[]", b"[[]]", b"{}", b"[5]", b'"[]"'],
    ids=stable_id,
)
@pytest.mark.parametrize("decoder", STRUCTURED)
def test_wrong_json_types(decoder: str, body: bytes) -> None:
    """json-format.md 3/4: an event is an object, a batch an array of objects."""
    if body == b"[]" and "batch" in decoder:
        assert STRUCTURED[decoder](body) == []  # json-format.md 4.3: empty batch is valid
        return
    with pytest.raises(BAD):
        STRUCTURED[decoder](body)


WRONG_ATTRIBUTE_TYPES = [
    ("specversion", 1.0),
    ("id", 5),
    ("id", ["1"]),
    ("source", {"a": 1}),
    ("type", True),
    ("time", 1522949460),
    ("subject", False),
    ("dataschema", 5),
    ("datacontenttype", ["application/json"]),
    ("ext", {"nested": 1}),
    ("ext", [1, 2]),
    ("ext", 1.5),
    ("data_base64", 5),
    ("data_base64", "not base64!"),
]


@pytest.mark.parametrize(("name", "value"), WRONG_ATTRIBUTE_TYPES, ids=stable_id)
@pytest.mark.parametrize("decoder", STRUCTURED)
def test_wrong_attribute_types_name_the_attribute(decoder: str, name: str, value: Any) -> None:
    """json-format.md 2.2: attribute values map to fixed JSON types; .errors names them."""
    obj = orjson.loads(VALID_EVENT)
    obj.pop("data")
    obj[name] = value
    with pytest.raises(cesdk.InvalidEventError) as info:
        STRUCTURED[decoder](batch_of(orjson.dumps(obj), decoder))
    assert name in info.value.errors


@pytest.mark.parametrize("decoder", STRUCTURED)
def test_truncated_bodies(decoder: str) -> None:
    """json-format.md 3: every strict prefix of a valid event is not a valid event."""
    body = batch_of(VALID_EVENT, decoder)
    assert STRUCTURED[decoder](body)  # the whole body decodes
    for end in range(len(body)):
        with pytest.raises(BAD):
            STRUCTURED[decoder](body[:end])


@pytest.mark.parametrize("decoder", BINARY_JSON)
def test_truncated_binary_json_bodies(decoder: str) -> None:
    """http-protocol-binding.md 3.1.2 + json-format.md 3.1: a JSON content type over a cut
    JSON body is a DecodeError."""
    body = orjson.dumps({"a": [1, 2, {"b": "c"}], "d": "e"})
    assert BINARY_JSON[decoder](body)
    for end in range(1, len(body)):
        with pytest.raises(cesdk.DecodeError):
            BINARY_JSON[decoder](body[:end])


TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize("decoder", ALL_BODY_DECODERS)
def test_oversized_garbage(decoder: str) -> None:
    """spec.md Size Limits: a consumer may refuse large input, but must not crash or hang."""
    with pytest.raises(cesdk.DecodeError):
        ALL_BODY_DECODERS[decoder](b"x" * TEN_MB)
    with pytest.raises(cesdk.DecodeError):
        ALL_BODY_DECODERS[decoder](b'{"data":"' + b"a" * TEN_MB)  # never closed


@pytest.mark.parametrize("decoder", STRUCTURED)
def test_oversized_event_with_an_invalid_attribute_names_it(decoder: str) -> None:
    """spec.md Size Limits + Context Attributes: a 10 MB event still gets precise errors."""
    obj = orjson.loads(VALID_EVENT)
    obj["data"] = "a" * TEN_MB
    obj["subject"] = ""
    with pytest.raises(cesdk.InvalidEventError) as info:
        STRUCTURED[decoder](batch_of(orjson.dumps(obj), decoder))
    assert list(info.value.errors) == ["subject"]


@pytest.mark.parametrize("decoder", STRUCTURED)
def test_oversized_escaped_duplicate_is_found(decoder: str) -> None:
    """spec.md Context Attributes: a \\u-escaped duplicate is found after 1 MB of escapes
    (which force the exact scan)."""
    data = b'"' + b"\\u0041" * (1024 * 1024 // 6) + b'"'
    body = (
        b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":'
        + data
        + b',"\\u0069d":"2"}'
    )
    with pytest.raises(cesdk.DecodeError, match="more than once"):
        STRUCTURED[decoder](batch_of(body, decoder))


INVALID_UTF8 = [
    b'{"specversion":"1.0","id":"\xff","source":"/s","type":"t"}',
    b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"\xc0\xa0"}',
    b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":"\xed\xa0\x80"}',
    b"\xfe\xff\x00{",
]


@pytest.mark.parametrize("body", INVALID_UTF8, ids=stable_id)
@pytest.mark.parametrize("decoder", STRUCTURED)
def test_invalid_utf8(decoder: str, body: bytes) -> None:
    """json-format.md 3 / nats-protocol-binding.md 3: JSON text is UTF-8."""
    with pytest.raises(cesdk.DecodeError):
        STRUCTURED[decoder](batch_of(body, decoder))


@pytest.mark.parametrize("decoder", BINARY_JSON)
def test_invalid_utf8_in_binary_json_body(decoder: str) -> None:
    """json-format.md 3.1 (RFC 8259 8.1): a JSON body is UTF-8."""
    with pytest.raises(cesdk.DecodeError):
        BINARY_JSON[decoder](b'"\xff"')


@pytest.mark.parametrize("decoder", ALL_BODY_DECODERS)
def test_nul_bytes(decoder: str) -> None:
    """json-format.md 3: NUL bytes are not JSON."""
    with pytest.raises(cesdk.DecodeError):
        ALL_BODY_DECODERS[decoder](b"\x00" * 64)
    with pytest.raises(BAD):
        ALL_BODY_DECODERS[decoder](b'{"id":"a\x00b"}')


@pytest.mark.parametrize("decoder", STRUCTURED)
def test_nul_escape_in_an_attribute_names_it(decoder: str) -> None:
    """spec.md Type System: U+0000 is not allowed in a String; .errors names the attribute."""
    body = b'{"specversion":"1.0","id":"a\\u0000","source":"/s","type":"t"}'
    with pytest.raises(cesdk.InvalidEventError) as info:
        STRUCTURED[decoder](batch_of(body, decoder))
    assert list(info.value.errors) == ["id"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"specversion":"1.0","specversion":"1.0","id":"1","source":"/s","type":"t"}',
        b'{"specversion":"1.0","id":"1","source":"/s","type":"t","\\u0073ource":"/x"}',
        b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"","data_base64":""}',
    ],
    ids=["plain", "escaped", "data_base64"],
)
@pytest.mark.parametrize("decoder", STRUCTURED)
def test_duplicate_keys_name_the_member(decoder: str, body: bytes) -> None:
    """spec.md Context Attributes: at most once; the error names the repeated member."""
    with pytest.raises(cesdk.DecodeError) as info:
        STRUCTURED[decoder](batch_of(body, decoder))
    assert any(name in str(info.value) for name in ("specversion", "source", "data_base64"))


NEST = 100_000


@pytest.mark.parametrize("decoder", ALL_BODY_DECODERS)
def test_deeply_nested_arrays(decoder: str) -> None:
    """DESIGN.md: 100k nested arrays never raise RecursionError or hang."""
    nested = b"[" * NEST + b"]" * NEST
    if decoder in BINARY_JSON:
        body = nested
    else:
        body = batch_of(
            b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":' + nested + b"}",
            decoder,
        )
    with pytest.raises(cesdk.DecodeError):
        ALL_BODY_DECODERS[decoder](body)


@pytest.mark.parametrize("decoder", STRUCTURED)
def test_deeply_nested_objects_and_unclosed_nesting(decoder: str) -> None:
    """DESIGN.md: deep nesting of any shape is a DecodeError."""
    with pytest.raises(cesdk.DecodeError):
        STRUCTURED[decoder](b'{"a":' * NEST + b"1" + b"}" * NEST)
    with pytest.raises(cesdk.DecodeError):
        STRUCTURED[decoder](b"[" * NEST)


# -- headers without the required ce- set ---------------------------------------------------

REQUIRED_NAMES = ["specversion", "id", "source", "type"]

BINARY_DECODERS: dict[str, Callable[[dict[str, str], bytes], object]] = {
    "http.from_http": lambda h, b: http.from_http(h, b),
    "kafka.from_kafka": lambda h, b: kafka.from_kafka(
        Record(value=b, headers=[(k.replace("ce-", "ce_"), v.encode()) for k, v in h.items()])
    ),
    "nats.from_nats": lambda h, b: nats.from_nats(Msg(b, h)),
}


@pytest.mark.parametrize("missing", REQUIRED_NAMES)
@pytest.mark.parametrize("decoder", BINARY_DECODERS)
def test_missing_required_header_is_named(decoder: str, missing: str) -> None:
    """spec.md REQUIRED Attributes: a binary message lacking one names it in .errors."""
    headers = {k: v for k, v in HTTP_CE.items() if k != f"ce-{missing}"}
    with pytest.raises(cesdk.InvalidEventError) as info:
        BINARY_DECODERS[decoder](headers, b"x")
    assert list(info.value.errors) == [missing]


@pytest.mark.parametrize("decoder", BINARY_DECODERS)
def test_only_an_extension_header_names_every_missing_attribute(decoder: str) -> None:
    """spec.md REQUIRED Attributes: every missing one is reported at once."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        BINARY_DECODERS[decoder]({"ce-traceparent": "00-a-b-01"}, b"")
    assert set(info.value.errors) == set(REQUIRED_NAMES)


@pytest.mark.parametrize("decoder", ["http.from_http", "kafka.from_kafka"])
def test_no_ce_headers_at_all(decoder: str) -> None:
    """http-protocol-binding.md 3 / kafka 3: without ce- headers it is no CloudEvent."""
    with pytest.raises(cesdk.DecodeError):
        BINARY_DECODERS[decoder]({"x-other": "1"}, b"hello")
    with pytest.raises(cesdk.DecodeError):
        BINARY_DECODERS[decoder]({}, b"")


@pytest.mark.parametrize(
    ("name", "value"),
    [("ce-subject", ""), ("ce-time", "yesterday"), ("ce-source", "a b"), ("ce-BAD_NAME", "x"),
     ("ce-", "x"), ("ce-data", "x"), ("ce-specversion", "0.3")],
    ids=stable_id,
)  # fmt: skip
@pytest.mark.parametrize("decoder", BINARY_DECODERS)
def test_invalid_header_values_name_the_attribute(decoder: str, name: str, value: str) -> None:
    """spec.md Context Attributes / Naming Conventions: invalid values and names are named."""
    if decoder == "kafka.from_kafka" and name == "ce-BAD_NAME":
        name = "ce-bad_name"  # Kafka header names are case-sensitive; keep the prefix
    with pytest.raises(cesdk.InvalidEventError) as info:
        BINARY_DECODERS[decoder]({**HTTP_CE, name: value}, b"")
    attribute = name[3:].lower() if decoder != "kafka.from_kafka" else name[3:]
    assert attribute in info.value.errors


@pytest.mark.parametrize("value", ["%zz", "%C0%A0", "caf\xe9", '"unterminated', "%"], ids=stable_id)
@pytest.mark.parametrize("decoder", ["http.from_http", "nats.from_nats"])
def test_malformed_header_encoding_names_the_header(decoder: str, value: str) -> None:
    """http-protocol-binding.md 3.1.3.2 / nats 3.1.3.2: bad escapes name the header."""
    with pytest.raises(cesdk.DecodeError) as info:
        BINARY_DECODERS[decoder]({**HTTP_CE, "ce-subject": value}, b"")
    assert info.value.position == "ce-subject" or "ce-subject" in str(info.value)


@pytest.mark.parametrize(
    "headers",
    [
        5,
        object(),
        "ce-id: 1",
        b"ce-id",
        [("ce-id",)],
        [("ce-id", "1", "extra")],
        ["ce-id"],
        [(1, "1")],
        [("ce-id", 1)],
        [("ce-id", None)],
        {"ce-id": 1},
        {"ce-id": None},
        {1: "x"},
        {b"ce-id": b"1", "ce-id": "1"},
    ],
    ids=stable_id,
)
def test_http_headers_of_the_wrong_shape(headers: Any) -> None:
    """http-protocol-binding.md 3: headers are name/value text pairs; other shapes fail
    cleanly."""
    with pytest.raises(cesdk.DecodeError):
        http.from_http(headers, b"")
    with pytest.raises(cesdk.DecodeError):
        http.from_http_batch(headers, b"[]")
    with pytest.raises(cesdk.DecodeError):
        nats.from_nats(Msg(b"", headers))


@pytest.mark.parametrize(
    "headers",
    [
        5,
        object(),
        [("ce_id",)],
        [("ce_id", b"1", b"x")],
        [5],
        [(1, b"1")],
        [("ce_id", 1)],
        [("ce_id", None)],
        [("content-type", None)],
        [("content-type", b"\xff")],
        {"ce_id": 1},
        lambda: 5,
    ],
    ids=stable_id,
)
def test_kafka_headers_of_the_wrong_shape(headers: Any) -> None:
    """kafka-protocol-binding.md 3.2.3: headers are UTF-8 name/value pairs."""
    with pytest.raises(cesdk.DecodeError):
        kafka.from_kafka(Record(value=b"x", headers=headers))


@pytest.mark.parametrize("body", [5, object(), ["x"], {"a": 1}], ids=stable_id)
def test_bodies_of_the_wrong_type(body: Any) -> None:
    """STYLE.md 7: a body is bytes (or text); anything else fails cleanly."""
    with pytest.raises(cesdk.DecodeError):
        ce_json.decode(body)
    with pytest.raises(cesdk.DecodeError):
        ce_json.decode_batch(body)
    with pytest.raises(cesdk.DecodeError):
        http.from_http(HTTP_CE, body)
    with pytest.raises(cesdk.DecodeError):
        http.from_http({"content-type": "application/cloudevents+json"}, body)
    with pytest.raises(cesdk.DecodeError):
        kafka.from_kafka(Record(value=body, headers=KAFKA_CE))
    with pytest.raises(cesdk.DecodeError):
        nats.from_nats(Msg(body, HTTP_CE))


@pytest.mark.parametrize("message", [None, 5, object(), "text", b"bytes"], ids=stable_id)
def test_messages_of_the_wrong_type(message: Any) -> None:
    """kafka-protocol-binding.md 3 / nats-protocol-binding.md 3: a message without the
    expected fields is not a CloudEvent."""
    with pytest.raises(cesdk.DecodeError):
        kafka.from_kafka(message)
    with pytest.raises(cesdk.DecodeError):
        nats.from_nats(message)


def test_str_body_with_lone_surrogate() -> None:
    """json-format.md 3: JSON text is UTF-8; a lone surrogate cannot be encoded."""
    with pytest.raises(cesdk.DecodeError):
        ce_json.decode('{"id":"\ud800"}')
    with pytest.raises(cesdk.DecodeError):
        http.from_http({"content-type": "application/cloudevents+json"}, '{"id":"\ud800"}')


def test_structured_content_type_without_value_in_kafka() -> None:
    """kafka-protocol-binding.md 3.3.2: a structured record always has a value."""
    with pytest.raises(cesdk.DecodeError):
        kafka.from_kafka(
            Record(value=None, headers=[("content-type", b"application/cloudevents+json")])
        )


@pytest.mark.parametrize(
    "content_type",
    [
        "application/cloudevents",
        "application/cloudevents+xml",
        "application/cloudevents-batch+json",
    ],
)
def test_unsupported_structured_formats(content_type: str) -> None:
    """http-protocol-binding.md 3 (and kafka/nats 3): a CloudEvents format this receiver
    cannot read."""
    with pytest.raises(cesdk.DecodeError):
        http.from_http({"content-type": content_type}, VALID_EVENT)
    with pytest.raises(cesdk.DecodeError):
        kafka.from_kafka(
            Record(value=VALID_EVENT, headers=[("content-type", content_type.encode())])
        )
    with pytest.raises(cesdk.DecodeError):
        nats.from_nats(Msg(VALID_EVENT, {"content-type": content_type}))


@pytest.mark.parametrize("decoder", STRUCTURED)
def test_year_zero_time_never_crashes_later(decoder: str) -> None:
    """spec.md Type System (Timestamp): what a decoder accepts can be read back."""
    body = b'{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"0000-01-01T00:00:00Z"}'
    try:
        result = STRUCTURED[decoder](batch_of(body, decoder))
    except BAD:
        return
    event = result[0] if isinstance(result, list) else result
    assert isinstance(hash(event), int)
    assert event == event
    assert event.time is not None
