"""The JSON event format and JSON batch format (formats/json-format.md)."""

from __future__ import annotations

import base64
import json
from typing import Any

import orjson
import pytest

import cesdk
from cesdk import NO_DATA, CloudEvent
from cesdk.formats import json as ce_json

REQUIRED = {"specversion": "1.0", "id": "A234-1234-1234", "source": "/mycontext", "type": "t"}


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext")
    kwargs.setdefault("id", "A234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T17:31:00Z")
    return CloudEvent(**kwargs)


def encoded_object(event: CloudEvent) -> dict[str, Any]:
    return json.loads(ce_json.encode(event))


def decode_object(obj: dict[str, Any]) -> CloudEvent:
    return ce_json.decode(json.dumps(obj).encode())


# -- section 2: attributes -------------------------------------------------------------


def test_attributes_map_to_json_types() -> None:
    """json-format.md 2.2: Boolean -> boolean, Integer -> number, others -> string."""
    event = make(
        subject="larger-context",
        dataschema="https://example.com/schema",
        extensions={"flag": True, "count": 5, "raw": b"\x01\x02", "label": "value"},
    )
    obj = encoded_object(event)
    assert obj == {
        "specversion": "1.0",
        "id": "A234-1234-1234",
        "source": "/mycontext",
        "type": "com.example.someevent",
        "time": "2018-04-05T17:31:00Z",
        "subject": "larger-context",
        "dataschema": "https://example.com/schema",
        "flag": True,
        "count": 5,
        "raw": "AQI=",
        "label": "value",
    }


def test_extensions_are_top_level_members() -> None:
    """json-format.md 2: extensions MUST be serialized as top-level JSON properties."""
    obj = encoded_object(make(extensions={"comexampleextension1": "value"}))
    assert obj["comexampleextension1"] == "value"
    assert "extensions" not in obj
    decoded = decode_object({**REQUIRED, "comexampleextension1": "value", "other": 5})
    assert dict(decoded.extensions) == {"comexampleextension1": "value", "other": 5}


@pytest.mark.parametrize("name", ["subject", "time", "dataschema", "datacontenttype", "ext"])
def test_null_attribute_means_unset(name: str) -> None:
    """json-format.md 2.2: a null value MUST be treated as unset or omitted."""
    decoded = decode_object({**REQUIRED, name: None})
    assert name not in decoded
    assert decoded.get(name) is None


@pytest.mark.parametrize("name", ["id", "source", "type", "specversion"])
def test_null_required_attribute_is_missing(name: str) -> None:
    """json-format.md 2.2 + spec.md REQUIRED Attributes: null required is a missing one."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_object({**REQUIRED, name: None})
    assert list(info.value.errors) == [name]


def test_spec_example_event_decodes() -> None:
    """spec.md Example: the example event decodes with every attribute intact."""
    body = b"""{
        "specversion" : "1.0",
        "type" : "com.github.pull_request.opened",
        "source" : "https://github.com/cloudevents/spec/pull",
        "subject" : "123",
        "id" : "A234-1234-1234",
        "time" : "2018-04-05T17:31:00Z",
        "comexampleextension1" : "value",
        "comexampleothervalue" : 5,
        "datacontenttype" : "text/xml",
        "data" : "<much wow=\\"xml\\"/>"
    }"""
    event = ce_json.decode(body)
    assert event.type == "com.github.pull_request.opened"
    assert event.source == "https://github.com/cloudevents/spec/pull"
    assert event.subject == "123"
    assert event.datacontenttype == "text/xml"
    assert event.data == '<much wow="xml"/>'
    assert event["comexampleothervalue"] == 5


# -- section 3.1: data --------------------------------------------------------------------


def test_binary_data_goes_to_data_base64() -> None:
    """json-format.md 3.1.1: Binary data MUST be base64 in `data_base64`."""
    payload = b"\x00\x01\xfe\xff"
    obj = encoded_object(make(data=payload, datacontenttype="application/vnd.apache.thrift.binary"))
    assert obj["data_base64"] == base64.b64encode(payload).decode()
    assert "data" not in obj
    assert obj["datacontenttype"] == "application/vnd.apache.thrift.binary"


def test_binary_data_without_content_type_gets_none() -> None:
    """json-format.md 3.1.1: without a datacontenttype, none is added for Binary data."""
    obj = encoded_object(make(data=b"{}"))
    assert "datacontenttype" not in obj
    assert obj["data_base64"] == "e30="


def test_data_base64_without_content_type_is_not_assumed_json() -> None:
    """json-format.md 3.1.2 / 3.2: data_base64 without datacontenttype stays bytes."""
    event = decode_object({**REQUIRED, "data_base64": "eyAieHl6IjogMTIzIH0="})
    assert event.data == b'{ "xyz": 123 }'
    assert event.datacontenttype is None


def test_data_base64_with_json_content_type_stays_bytes() -> None:
    """json-format.md 3.1.2: data_base64 MUST be decoded into a binary runtime type."""
    event = decode_object(
        {**REQUIRED, "datacontenttype": "application/json", "data_base64": "e30="}
    )
    assert event.data == b"{}"


def test_json_data_is_stored_directly() -> None:
    """json-format.md 3.1.1: JSON data is stored directly, not as an encoded string."""
    obj = encoded_object(make(data={"appinfoA": "abc", "appinfoB": 123, "appinfoC": True}))
    assert obj["data"] == {"appinfoA": "abc", "appinfoB": 123, "appinfoC": True}


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "text/json",
        "application/ld+json",
        "application/vnd.api+json; charset=utf-8",
        "APPLICATION/JSON",
        "Application/Foo+JSON",
    ],
)
def test_json_content_types_carry_json_values(content_type: str | None) -> None:
    """json-format.md 3.1.1: */json and */*+json (params stripped, any case) declare JSON."""
    members: dict[str, Any] = {**REQUIRED, "data": {"a": [1, 2.5, None]}}
    if content_type is not None:
        members["datacontenttype"] = content_type
    assert decode_object(members).data == {"a": [1, 2.5, None]}
    event = make(data=[1, "two"], datacontenttype=content_type)
    assert encoded_object(event)["data"] == [1, "two"]


@pytest.mark.parametrize(
    "content_type", ["application/jsonl", "application/json-seq", "application/xml"]
)
def test_near_json_content_types_are_not_json(content_type: str) -> None:
    """json-format.md 3.1.1: only a subtype of `json` or ending in `+json` declares JSON."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_object({**REQUIRED, "datacontenttype": content_type, "data": {"a": 1}})
    assert "data" in info.value.errors


def test_json_string_data_is_not_parsed_again() -> None:
    """json-format.md 3.1.2: a string `data` MUST NOT be deserialized as a JSON document."""
    event = decode_object({**REQUIRED, "datacontenttype": "application/json", "data": '{"a":1}'})
    assert event.data == '{"a":1}'
    event = decode_object({**REQUIRED, "data": "I'm just a string"})
    assert event.data == "I'm just a string"


def test_non_json_content_type_carries_a_string() -> None:
    """json-format.md 3.1.1 / 3.2: a non-JSON datacontenttype stores a string in `data`."""
    event = make(data='<much wow="xml"/>', datacontenttype="application/xml")
    obj = encoded_object(event)
    assert obj["data"] == '<much wow="xml"/>'
    assert ce_json.decode(ce_json.encode(event)) == event


def test_non_json_content_type_with_non_string_data_is_rejected() -> None:
    """json-format.md 3.1.2: MAY fail if `data` is not a string for a non-JSON type."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_object({**REQUIRED, "datacontenttype": "text/plain", "data": 5})
    assert "data" in info.value.errors


def test_null_data_is_distinct_from_absent_data() -> None:
    """json-format.md 3.1.1: `data` MAY be null, an explicit null distinct from absence."""
    assert encoded_object(make(data=None))["data"] is None
    assert "data" not in encoded_object(make())
    assert decode_object({**REQUIRED, "data": None}).data is None
    assert decode_object(REQUIRED).data is NO_DATA
    assert ce_json.decode(ce_json.encode(make(data=None))) == make(data=None)
    assert ce_json.decode(ce_json.encode(make())) == make()
    assert ce_json.decode(ce_json.encode(make())) != make(data=None)


def test_data_and_data_base64_are_mutually_exclusive() -> None:
    """json-format.md 3.1.1: `data` and `data_base64` are mutually exclusive."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_object({**REQUIRED, "data": "x", "data_base64": "eA=="})
    assert "data" in info.value.errors


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ({"appinfoA": "abc", "appinfoB": 123, "appinfoC": True}, "application/json"),
        (1.5, "application/json"),
        ("I'm just a string", None),
        (b"...raw binary bytes...", "application/vnd.apache.thrift.binary"),
        ('<much wow="xml"/>', "application/xml"),
        (None, None),
        (NO_DATA, "text/plain"),
    ],
)
def test_round_trip_of_spec_examples(data: Any, content_type: str | None) -> None:
    """json-format.md 3.2: the examples encode and decode back to the same event."""
    event = make(data=data, datacontenttype=content_type, extensions={"comexampleothervalue": 5})
    decoded = ce_json.decode(ce_json.encode(event))
    assert decoded == event
    assert type(decoded.data) is type(event.data)


def test_decode_accepts_str_bytearray_and_memoryview() -> None:
    """json-format.md 3: a JSON text, in whatever buffer the caller holds it."""
    body = ce_json.encode(make(data={"a": 1}))
    expected = make(data={"a": 1})
    assert ce_json.decode(body.decode()) == expected
    assert ce_json.decode(bytearray(body)) == expected
    assert ce_json.decode(memoryview(body)) == expected


def test_sub_microsecond_time_survives() -> None:
    """spec.md Type System (Timestamp) + DESIGN.md: all fraction digits survive."""
    body = orjson.dumps({**REQUIRED, "time": "2018-04-05T17:31:00.123456789Z"})
    assert b'"2018-04-05T17:31:00.123456789Z"' in ce_json.encode(ce_json.decode(body))


# -- duplicate members -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"specversion":"1.0","id":"1","id":"2","source":"/s","type":"t"}',
        b'{"specversion":"1.0","id":"1","\\u0069d":"2","source":"/s","type":"t"}',
        b'{"specversion":"1.0","id":"1","\\u0069\\u0064":"1","source":"/s","type":"t"}',
        b'{"specversion":"1.0","id":"1","source":"/s","type":"t","x":1,"\\u0078":1}',
        b'{"data":1,"specversion":"1.0","id":"1","source":"/s","type":"t","data":2}',
        b'{"specversion":"1.0","id":"1","source":"/s","type":"t","type":"t"}',
    ],
)
def test_duplicate_top_level_members_are_rejected(body: bytes) -> None:
    """spec.md Context Attributes (each at most once): a duplicate member is an error,
    also when spelled with \\u escapes."""
    with pytest.raises(cesdk.DecodeError) as info:
        ce_json.decode(body)
    assert "more than once" in str(info.value)


def test_duplicate_keys_inside_data_are_allowed() -> None:
    """json-format.md 3.1.1: `data` is unrestricted JSON; its duplicates are not attributes."""
    body = b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"a":1,"a":2}}'
    assert ce_json.decode(body).data == {"a": 2}
    body = (
        b'{"specversion":"1.0","id":"1","source":"/s","type":"t",'
        b'"data":{"\\u0069d":1,"id":2,"nested":{"type":1,"type":2}}}'
    )
    assert ce_json.decode(body).data == {"id": 2, "nested": {"type": 2}}


def test_attribute_name_repeated_inside_data_is_not_a_duplicate() -> None:
    """json-format.md 3.1.1: a member named like an attribute inside `data` is data."""
    body = b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data":{"id":"x","type":"y"}}'
    assert ce_json.decode(body).data == {"id": "x", "type": "y"}


def test_string_value_that_looks_like_a_member_is_not_a_duplicate() -> None:
    """json-format.md 3: only member names count; a string value `"id"` is a value."""
    body = b'{"specversion":"1.0","id":"id","source":"/s","type":"t","subject":"\\"id\\""}'
    assert ce_json.decode(body).subject == '"id"'


# -- section 4: batch ----------------------------------------------------------------------


def test_batch_round_trip() -> None:
    """json-format.md 4.1: a batch is a JSON array of events in the JSON format."""
    events = [
        make(id="B234", data=b"\x00\x01", datacontenttype="application/vnd.apache.thrift.binary"),
        make(id="C234", data={"appinfoA": "abc"}, datacontenttype="application/json"),
        make(id="D234"),
    ]
    body = ce_json.encode_batch(events)
    assert isinstance(json.loads(body), list)
    assert ce_json.decode_batch(body) == events


def test_empty_batch() -> None:
    """json-format.md 4.3: an empty batch `[]` is valid."""
    assert ce_json.encode_batch([]) == b"[]"
    assert ce_json.decode_batch(b"[]") == []
    assert ce_json.decode_batch(b" [ ] ") == []


def test_batch_accepts_any_iterable() -> None:
    """json-format.md 4.1: encode_batch takes the events in order."""
    events = [make(id=str(i)) for i in range(3)]
    assert ce_json.decode_batch(ce_json.encode_batch(iter(events))) == events


def test_batch_with_invalid_item_names_the_index() -> None:
    """json-format.md 4.1: every element is a CloudEvent; the error says which is not."""
    good = orjson.dumps(REQUIRED)
    bad = orjson.dumps({**REQUIRED, "subject": ""})
    with pytest.raises(cesdk.InvalidMessageError) as info:
        ce_json.decode_batch(b"[" + good + b"," + good + b"," + bad + b"]")
    assert "2" in str(info.value)
    assert "item 2" in str(info.value)
    assert list(info.value.errors) == ["subject"]


@pytest.mark.parametrize("item", [b"5", b'"x"', b"null", b"[]", b"true"])
def test_batch_with_non_object_item_names_the_index(item: bytes) -> None:
    """json-format.md 4.1: batch elements are JSON objects."""
    good = orjson.dumps(REQUIRED)
    with pytest.raises(cesdk.DecodeError) as info:
        ce_json.decode_batch(b"[" + good + b"," + item + b"]")
    assert "item 1" in str(info.value)


def test_batch_with_duplicate_member_names_the_index() -> None:
    """json-format.md 4.1 + spec.md Context Attributes: the error says which item."""
    good = orjson.dumps(REQUIRED)
    dup = b'{"specversion":"1.0","id":"1","id":"2","source":"/s","type":"t"}'
    with pytest.raises(cesdk.DecodeError) as info:
        ce_json.decode_batch(b"[" + good + b"," + dup + b"]")
    assert "item 1" in str(info.value)


def test_batch_duplicate_member_is_rejected() -> None:
    """spec.md Context Attributes: each attribute at most once, in batch items too."""
    dup = b'{"specversion":"1.0","id":"1","\\u0069d":"2","source":"/s","type":"t"}'
    with pytest.raises(cesdk.DecodeError, match="more than once"):
        ce_json.decode_batch(b"[" + dup + b"]")


def test_decode_of_an_array_points_to_decode_batch() -> None:
    """json-format.md 3 vs 4: one event is an object; an array is a batch."""
    with pytest.raises(cesdk.DecodeError, match="decode_batch"):
        ce_json.decode(b"[]")


def test_decode_batch_of_an_object_fails() -> None:
    """json-format.md 4.1: the outermost element of a batch is an array."""
    with pytest.raises(cesdk.DecodeError, match="array"):
        ce_json.decode_batch(orjson.dumps(REQUIRED))


def test_encode_is_compact_utf8() -> None:
    """json-format.md 3: an `application/cloudevents+json` body, UTF-8 JSON text."""
    body = ce_json.encode(make(subject="caf\xe9 \U0001f600", time=None))
    assert body.decode("utf-8")
    assert json.loads(body)["subject"] == "caf\xe9 \U0001f600"
