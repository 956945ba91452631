"""The Avro event format (formats/avro-format.md) against the spec's schema.

fastavro, a generic Avro implementation driven by the shipped ``cloudevents.avsc``, is
the reference: cesdk's bytes must be what fastavro writes for the same record, and
what fastavro writes must decode (avro-format.md 2.4: "a message whose binary encoding
is identical to the one described by the CloudEvent Avro Schema").
"""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import orjson
import pytest
from format_spec import spec_text
from hypothesis import HealthCheck, assume, given, settings

import cesdk
from cesdk.formats import avro
from strategies import events

SCHEMA = fastavro.parse_schema(avro.schema())
RECORD = "io.cloudevents.AvroCloudEventData"
ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_read(raw: bytes) -> dict[str, Any]:
    """Read cesdk's bytes with fastavro; every byte must be consumed."""
    stream = io.BytesIO(raw)
    record: dict[str, Any] = fastavro.schemaless_reader(stream, SCHEMA, None)
    assert stream.tell() == len(raw), "bytes left over after the record"
    return record


def reference_write(record: dict[str, Any]) -> bytes:
    stream = io.BytesIO()
    fastavro.schemaless_writer(stream, SCHEMA, record)
    return stream.getvalue()


def make(**kwargs: Any) -> cesdk.CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext")
    kwargs.setdefault("id", "A234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T17:31:00Z")
    return cesdk.CloudEvent(**kwargs)


# -- the schema and the media type --------------------------------------------------------


def test_schema_is_the_spec_file() -> None:
    """avro-format.md 2.4: the shipped schema is the spec's cloudevents.avsc, unchanged."""
    assert avro.schema() == json.loads(spec_text("cloudevents.avsc"))


def test_media_type() -> None:
    """avro-format.md 4: application/cloudevents+avro; the format defines no batch (1)."""
    assert avro.CONTENT_TYPE == "application/cloudevents+avro"
    assert not hasattr(avro, "BATCH_CONTENT_TYPE")
    assert not hasattr(avro, "encode_batch")


def test_import_and_content_type_need_no_third_party_library() -> None:
    """The codec is self-contained: reading CONTENT_TYPE and encoding import no fastavro."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['fastavro'] = None\n"
        "import cesdk\nfrom cesdk.formats import avro\n"
        "ev = cesdk.CloudEvent(type='t', source='/s', id='1', time=None, data={'a': 1})\n"
        "assert avro.decode(avro.encode(ev)) == ev\nprint(avro.CONTENT_TYPE)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "application/cloudevents+avro"


# -- 2. attributes --------------------------------------------------------------------------


def test_every_attribute_is_a_map_entry_with_its_type() -> None:
    """avro-format.md 2.1: Boolean->boolean, Integer->int, String->string, Binary->bytes,
    URI/URI-reference/Timestamp->string; 2.4: all of them in the ``attribute`` map."""
    event = make(
        subject="pod/web-1",
        dataschema="https://example.com/schema",
        datacontenttype="text/plain",
        data="hi",
        extensions={"flag": True, "count": -7, "blob": b"\x00\xff", "text": "x", "ref": "/a"},
    )
    record = reference_read(avro.encode(event))
    assert record["attribute"] == {
        "specversion": "1.0",
        "id": "A234-1234-1234",
        "source": "/mycontext",
        "type": "com.example.someevent",
        "time": "2018-04-05T17:31:00Z",
        "subject": "pod/web-1",
        "dataschema": "https://example.com/schema",
        "datacontenttype": "text/plain",
        "flag": True,
        "count": -7,
        "blob": b"\x00\xff",
        "text": "x",
        "ref": "/a",
    }
    assert type(record["attribute"]["flag"]) is bool
    assert type(record["attribute"]["count"]) is int
    assert record["data"] == "hi"


def test_timestamp_text_is_kept_digit_for_digit() -> None:
    """avro-format.md 2.1: Timestamp is a string following RFC 3339, so sub-microsecond
    digits, leap seconds and offsets survive (DESIGN.md, rules the envelope keeps)."""
    for stamp in ("2016-12-31T23:59:60.123456789Z", "2018-04-05t17:31:00.1+02:00"):
        event = make(time=stamp)
        raw = avro.encode(event)
        assert reference_read(raw)["attribute"]["time"] == stamp
        assert avro.decode(raw).attributes["time"] == stamp


def test_null_attribute_is_unset() -> None:
    """avro-format.md 2.3: OPTIONAL attributes use the null type when absent."""
    raw = reference_write(
        {
            "attribute": {
                "specversion": "1.0",
                "id": "1",
                "source": "/s",
                "type": "t",
                "subject": None,
                "ext": None,
            },
            "data": None,
        }
    )
    decoded = avro.decode(raw)
    assert "subject" not in decoded
    assert "ext" not in decoded
    assert decoded.data is cesdk.NO_DATA


def test_a_missing_required_attribute_is_named() -> None:
    """spec.md REQUIRED attributes: decoders never invent id (or anything else)."""
    raw = reference_write(
        {"attribute": {"specversion": "1.0", "source": "/s", "type": "t"}, "data": None}
    )
    with pytest.raises(cesdk.InvalidMessageError) as info:
        avro.decode(raw)
    assert set(info.value.errors) == {"id"}


@pytest.mark.parametrize(
    ("name", "value"),
    [("id", 5), ("source", b"/s"), ("specversion", True), ("time", 1522949460), ("ext", "\x00")],
)
def test_attribute_of_the_wrong_type_is_named(name: str, value: Any) -> None:
    """avro-format.md 2.1 and spec.md Type System: the union branch must fit the attribute."""
    attrs: dict[str, Any] = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
    attrs[name] = value
    with pytest.raises(cesdk.InvalidMessageError) as info:
        avro.decode(reference_write({"attribute": attrs, "data": None}))
    assert name in info.value.errors


# -- 3. data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        (b"\x00\xff", "application/octet-stream", b"\x00\xff"),
        (b"", None, b""),
        ("plain text", "text/plain", "plain text"),
        ("a JSON string", None, "a JSON string"),
        (True, None, True),
        (2.5, None, 2.5),
        (7, None, 7.0),
        ({"a": "b", "n": 1, "t": False, "z": None, "o": {"k": "v"}}, None, None),
        ([{"a": 1}, {}], "application/json", None),
    ],
)
def test_data_uses_the_matching_union_branch(data: Any, content_type: Any, expected: Any) -> None:
    """avro-format.md 3: binary data in ``bytes``; other data as the JSON value union."""
    event = make(data=data, datacontenttype=content_type)
    record = reference_read(avro.encode(event))
    if expected is None:  # objects and arrays: the AvroCloudEventData records
        assert isinstance(record["data"], dict | list)
    else:
        assert record["data"] == expected
        assert type(record["data"]) is type(expected)
    decoded = avro.decode(avro.encode(event))
    assert decoded == event
    assert type(decoded.data) is type(event.data)


def test_nested_json_uses_the_data_records() -> None:
    """avro-format.md 2.4: nested objects and arrays are AvroCloudEventData records."""
    data = {"obj": {"name": "x", "items": [{"n": 1}], "by": {"k": {"v": True}}}}
    record = reference_read(avro.encode(make(data=data)))
    assert record["data"] == {
        "obj": {
            "value": {
                "name": "x",
                "items": [{"value": {"n": 1.0}}],
                "by": {"k": {"value": {"v": True}}},
            }
        }
    }
    assert avro.decode(avro.encode(make(data=data))).data == data


def test_no_data_is_null() -> None:
    """avro-format.md 2.3: absent is ``null``; cesdk reads Avro null as "no data"."""
    event = make()
    assert reference_read(avro.encode(event))["data"] is None
    assert avro.decode(avro.encode(event)).data is cesdk.NO_DATA


@pytest.mark.parametrize(
    "data",
    [None, [1, 2, 3], {"a": [1]}, {"a": {"b": {"c": 1}}}, 2.0, -0.0, 2**60, {"deep": [[{}]]}],
    ids=repr,
)
def test_json_the_schema_cannot_hold_exactly_goes_as_json_bytes(data: Any) -> None:
    """avro-format.md 3: JSON that the JSON-value branches cannot hold exactly (a top-level
    null, arrays of non-objects, scalars below the second object level, 2.0, 2**60) is
    written as JSON text in ``bytes``, labelled application/json (spec.md: the same as
    no datacontenttype on JSON data); it reads back as the same value."""
    event = make(data=data)
    raw = avro.encode(event)
    record = reference_read(raw)
    assert record["data"] == orjson.dumps(data)
    assert record["attribute"]["datacontenttype"] == "application/json"
    decoded = avro.decode(raw)
    assert decoded == event
    assert orjson.dumps(decoded.data) == orjson.dumps(data)
    assert decoded.datacontenttype == "application/json"


def test_an_explicit_json_content_type_is_not_repeated() -> None:
    """The fallback keeps the event's own JSON datacontenttype, as given."""
    event = make(data=[1, 2], datacontenttype="application/vnd.api+json")
    record = reference_read(avro.encode(event))
    assert record["attribute"]["datacontenttype"] == "application/vnd.api+json"
    assert avro.decode(avro.encode(event)) == event


def test_doubles_read_back_as_int_when_integral() -> None:
    """avro-format.md 2.4: JSON numbers are ``double``; 3.0 from another producer reads as 3."""
    raw = reference_write({"attribute": {"specversion": "1.0", "id": "1", "source": "/s",
                                         "type": "t"}, "data": {"n": 3.0, "f": 0.5}})  # fmt: skip
    data = avro.decode(raw).data
    assert data == {"n": 3, "f": 0.5}
    assert type(data["n"]) is int


def test_bytes_under_a_json_content_type_read_as_json_when_they_parse() -> None:
    """As every binding's binary mode: bytes labelled JSON are the JSON value they hold;
    bytes that do not parse stay Binary (nothing is lost)."""
    parsed = avro.decode(avro.encode(make(data=b'{"a": 1}', datacontenttype="application/json")))
    assert parsed.data == {"a": 1}
    kept = avro.decode(avro.encode(make(data=b"\xff", datacontenttype="application/json")))
    assert kept.data == b"\xff"


def test_lone_surrogate_in_text_data_is_an_encode_error() -> None:
    """Avro strings are UTF-8 (Avro 1.9.0 Primitive Types): a lone surrogate cannot be sent."""
    with pytest.raises(cesdk.EncodeError, match="surrogate"):
        avro.encode(make(data="\ud800"))


# -- byte-for-byte against the reference ---------------------------------------------------


@ROUND_TRIP
@given(events("format"))
def test_bytes_match_fastavro_and_fastavro_reads_them(event: cesdk.CloudEvent) -> None:
    """avro-format.md 2.4: cesdk's binary encoding is the schema's, byte for byte: fastavro
    reads every byte, and writing what it read gives the same bytes back."""
    raw = avro.encode(event)
    record = reference_read(raw)
    assert reference_write(record) == raw
    if isinstance(event.data, bytes | str):
        assert record["data"] == event.data
    assert record["attribute"]["id"] == event.id


@ROUND_TRIP
@given(events("format"))
def test_round_trip_keeps_every_attribute_type_and_data_byte(event: cesdk.CloudEvent) -> None:
    """avro-format.md 2-3: decode(encode(e)) == e, with each extension's type and text."""
    data, content_type = event.data, event.datacontenttype
    assume(
        not (
            isinstance(data, bytes) and content_type is not None and "json" in content_type.lower()
        )
    )  # bytes labelled JSON read back as JSON (test above)
    decoded = avro.decode(avro.encode(event))
    assert decoded == event
    assert hash(decoded) == hash(event)
    assert type(decoded.data) is type(event.data)
    for name, value in event.attributes.items():
        assert type(decoded[name] if name != "time" else decoded.attributes[name]) is type(value)
        assert decoded.attributes[name] == value
    if isinstance(event.data, bytes | str):
        assert decoded.data == event.data
