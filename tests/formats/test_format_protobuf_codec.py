"""The Protobuf event format (formats/protobuf-format.md) with the spec's cloudevents.proto.

The messages are inspected with the classes protoc generates from the shipped
``cloudevents.proto``, so each test sees the wire as any other protobuf reader would.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from format_spec import spec_text
from google.protobuf import any_pb2, timestamp_pb2
from hypothesis import HealthCheck, assume, given, settings

import cesdk
from cesdk.formats import protobuf
from cesdk.formats._pb import cloudevents_pb2 as pb
from strategies import event_batches, events

ROOT = Path(__file__).resolve().parents[2]
ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Value = pb.CloudEvent.CloudEventAttributeValue


def make(**kwargs: Any) -> cesdk.CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext")
    kwargs.setdefault("id", "A234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T17:31:00Z")
    return cesdk.CloudEvent(**kwargs)


def parsed(event: cesdk.CloudEvent) -> Any:
    return pb.CloudEvent.FromString(protobuf.encode(event))


def message(**fields: Any) -> bytes:
    fields = {"id": "1", "source": "/s", "spec_version": "1.0", "type": "t", **fields}
    return pb.CloudEvent(**fields).SerializeToString()  # type: ignore[no-any-return]


# -- the schema, the generated code, the media types ---------------------------------------


def test_shipped_proto_is_the_spec_file() -> None:
    """protobuf-format.md References: the schema is the spec's cloudevents.proto."""
    shipped = ROOT / "src" / "cesdk" / "formats" / "_pb" / "cloudevents.proto"
    assert shipped.read_text(encoding="utf-8") == spec_text("cloudevents.proto")


def test_generated_code_matches_the_shipped_proto(tmp_path: Path) -> None:
    """``make protos`` output is checked in: regenerating gives the same descriptor."""
    pytest.importorskip("grpc_tools")
    source = ROOT / "src" / "cesdk" / "formats" / "_pb"
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{source}", f"--python_out={tmp_path}",
         str(source / "cloudevents.proto")],
        check=True,
    )  # fmt: skip
    fresh = (tmp_path / "cloudevents_pb2.py").read_text(encoding="utf-8")
    checked_in = (source / "cloudevents_pb2.py").read_text(encoding="utf-8")
    serialized = [line for line in fresh.splitlines() if "AddSerializedFile" in line]
    assert serialized
    assert serialized[0] in checked_in


def test_media_types() -> None:
    """protobuf-format.md 4 and 5.2."""
    assert protobuf.CONTENT_TYPE == "application/cloudevents+protobuf"
    assert protobuf.BATCH_CONTENT_TYPE == "application/cloudevents-batch+protobuf"


def test_missing_protobuf_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """STYLE.md 6: without the optional library, importing and CONTENT_TYPE still work;
    encoding raises MissingDependencyError naming the extra."""
    import cesdk.formats._pb

    monkeypatch.setitem(sys.modules, "cesdk.formats._pb.cloudevents_pb2", None)
    monkeypatch.delattr(cesdk.formats._pb, "cloudevents_pb2")
    monkeypatch.setattr(protobuf, "_pb2", None)
    assert protobuf.CONTENT_TYPE
    for call in (lambda: protobuf.encode(make()), lambda: protobuf.decode(b"")):
        with pytest.raises(cesdk.MissingDependencyError, match=r'pip install "cesdk\[protobuf\]"'):
            call()


def test_module_imports_without_protobuf() -> None:
    """The module itself imports no protobuf: a process without it can read CONTENT_TYPE."""
    code = (
        "import sys; sys.modules['google.protobuf'] = None\n"
        "from cesdk.formats import protobuf\nprint(protobuf.CONTENT_TYPE)\n"
        "import cesdk\n"
        "try:\n    protobuf.encode(cesdk.CloudEvent(type='t', source='/s'))\n"
        "except cesdk.MissingDependencyError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "application/cloudevents+protobuf",
        'the Protobuf event format needs the protobuf package: pip install "cesdk[protobuf]"',
    ]


# -- 2. attributes --------------------------------------------------------------------------


def test_required_attributes_are_fields() -> None:
    """protobuf-format.md 2.3: REQUIRED attributes are represented explicitly as fields."""
    msg = parsed(make())
    assert (msg.id, msg.source, msg.spec_version, msg.type) == (
        "A234-1234-1234",
        "/mycontext",
        "1.0",
        "com.example.someevent",
    )
    assert not {"id", "source", "specversion", "type"} & set(msg.attributes)


def test_optional_attributes_and_extensions_are_typed_map_entries() -> None:
    """protobuf-format.md 2.1/2.4: the map carries each attribute in its typed property."""
    event = make(
        time="2018-04-05T17:31:00.123456789+02:00",
        subject="pod/web-1",
        dataschema="https://example.com/schema",
        datacontenttype="text/plain",
        data="hi",
        extensions={"flag": True, "count": -7, "blob": b"\x00\xff", "text": "x"},
    )
    attrs = parsed(event).attributes
    kinds = {name: value.WhichOneof("attr") for name, value in attrs.items()}
    assert kinds == {
        "time": "ce_timestamp",
        "subject": "ce_string",
        "dataschema": "ce_uri",
        "datacontenttype": "ce_string",
        "flag": "ce_boolean",
        "count": "ce_integer",
        "blob": "ce_bytes",
        "text": "ce_string",
    }
    assert attrs["time"].ce_timestamp == timestamp_pb2.Timestamp(
        seconds=1522942260, nanos=123456789
    )
    assert attrs["count"].ce_integer == -7
    assert attrs["blob"].ce_bytes == b"\x00\xff"


def test_timestamps_keep_nanoseconds() -> None:
    """protobuf-format.md 2.1: Timestamp is google.protobuf.Timestamp (nanoseconds)."""
    for text, expected in [
        ("2018-04-05T17:31:00Z", "2018-04-05T17:31:00Z"),
        ("2018-04-05T17:31:00.5Z", "2018-04-05T17:31:00.500Z"),
        ("2018-04-05T17:31:00.000001Z", "2018-04-05T17:31:00.000001Z"),
        ("2018-04-05T17:31:00.123456789Z", "2018-04-05T17:31:00.123456789Z"),
        ("2018-04-05t19:31:00.1234567890000+02:00", "2018-04-05T17:31:00.123456789Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59.999999999Z"),
    ]:
        decoded = protobuf.decode(protobuf.encode(make(time=text)))
        assert decoded.attributes["time"] == expected
        assert decoded == make(time=text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2016-12-31T23:59:60Z", "leap second"),
        ("2018-04-05T17:31:00.1234567891Z", "10 fraction digits"),
        ("0001-01-01T00:00:00+00:01", "outside years 0001-9999"),
        ("9999-12-31T23:59:59-00:01", "outside years 0001-9999"),
    ],
)
def test_timestamps_a_protobuf_timestamp_cannot_hold_are_encode_errors(
    text: str, message: str
) -> None:
    """protobuf-format.md 2.1: what google.protobuf.Timestamp cannot hold is refused
    clearly, never rounded."""
    event = make(time=text)
    with pytest.raises(cesdk.EncodeError, match=message) as info:
        protobuf.encode(event)
    assert event.id in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Value(ce_uri="https://example.com/x"), "https://example.com/x"),
        (Value(ce_uri_ref="/relative#frag"), "/relative#frag"),
        (
            Value(ce_timestamp=timestamp_pb2.Timestamp(seconds=0, nanos=1000)),
            "1970-01-01T00:00:00.000001Z",
        ),
        (Value(ce_string="s"), "s"),
        (Value(ce_boolean=False), False),
        (Value(ce_integer=2**31 - 1), 2**31 - 1),
        (Value(ce_bytes=b""), b""),
    ],
    ids=lambda v: str(v).strip().replace("\n", " ")[:40],
)
def test_every_attribute_value_type_decodes(value: Any, expected: Any) -> None:
    """protobuf-format.md 2.4: all seven typed properties; URI, URI-reference and
    Timestamp read as their canonical text (spec.md Type System)."""
    decoded = protobuf.decode(message(attributes={"ext": value}))
    assert decoded["ext"] == expected
    assert type(decoded["ext"]) is type(expected)


def test_an_attribute_without_a_value_is_unset() -> None:
    decoded = protobuf.decode(message(attributes={"ext": Value()}))
    assert "ext" not in decoded


def test_a_required_attribute_in_the_map_is_named() -> None:
    """protobuf-format.md 2.3: REQUIRED attributes are fields, not map entries."""
    with pytest.raises(cesdk.DecodeError, match="own field") as info:
        protobuf.decode(message(attributes={"id": Value(ce_string="2")}))
    assert info.value.position == "id"


def test_empty_required_fields_are_missing_not_invented() -> None:
    """spec.md REQUIRED attributes: a decoder never invents id; an empty field is absent."""
    raw = pb.CloudEvent(source="/s", spec_version="1.0", type="t").SerializeToString()
    with pytest.raises(cesdk.InvalidMessageError) as info:
        protobuf.decode(raw)
    assert info.value.errors == {"id": "REQUIRED attribute is missing"}


def test_time_as_a_string_is_validated() -> None:
    """Other producers may send time as ce_string; it is checked as RFC 3339."""
    ok = protobuf.decode(message(attributes={"time": Value(ce_string="2018-04-05T17:31:00Z")}))
    assert ok.attributes["time"] == "2018-04-05T17:31:00Z"
    with pytest.raises(cesdk.InvalidMessageError) as info:
        protobuf.decode(message(attributes={"time": Value(ce_boolean=True)}))
    assert "time" in info.value.errors


def test_timestamp_out_of_range_is_a_decode_error() -> None:
    stamp = timestamp_pb2.Timestamp(seconds=253402300800)
    with pytest.raises(cesdk.DecodeError, match="out of range") as info:
        protobuf.decode(message(attributes={"time": Value(ce_timestamp=stamp)}))
    assert info.value.position == "time"


# -- 3. data --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "field", "wire"),
    [
        (b"\x00\xff", "application/octet-stream", "binary_data", b"\x00\xff"),
        (b"", None, "binary_data", b""),
        ("plain", "text/plain", "text_data", "plain"),
        ("no type", None, "text_data", "no type"),
        ({"a": [1, 2.5, None]}, None, "text_data", '{"a":[1,2.5,null]}'),
        ("a JSON string", "application/json", "text_data", '"a JSON string"'),
        (None, "application/json", "text_data", "null"),
        (cesdk.NO_DATA, None, None, None),
    ],
)
def test_data_goes_in_the_matching_field(
    data: Any, content_type: str | None, field: str | None, wire: Any
) -> None:
    """protobuf-format.md 3: text in text_data, binary in binary_data; a JSON value is
    its JSON text with a JSON datacontenttype."""
    event = make(data=data, datacontenttype=content_type)
    msg = parsed(event)
    assert msg.WhichOneof("data") == field
    if field is not None:
        assert getattr(msg, field) == wire
    decoded = protobuf.decode(msg.SerializeToString())
    assert decoded == event
    assert type(decoded.data) is type(event.data)


def test_json_data_without_content_type_is_labelled_json() -> None:
    """spec.md datacontenttype: JSON data without one is application/json; stating it lets
    the text_data be read back as JSON (protobuf-format.md 3: datacontenttype SHOULD be
    populated)."""
    msg = parsed(make(data={"a": 1}))
    assert msg.attributes["datacontenttype"].ce_string == "application/json"


def test_text_data_that_is_not_json_under_a_json_type_is_a_decode_error() -> None:
    raw = message(
        text_data="{", attributes={"datacontenttype": Value(ce_string="application/json")}
    )
    with pytest.raises(cesdk.DecodeError, match="not JSON") as info:
        protobuf.decode(raw)
    assert info.value.position == "data"


def test_proto_data_reads_as_the_serialized_any() -> None:
    """protobuf-format.md 3: protobuf message data is a google.protobuf.Any in proto_data;
    cesdk hands it over as Binary data to unpack."""
    packed = any_pb2.Any()
    packed.Pack(timestamp_pb2.Timestamp(seconds=42))
    raw = message(
        proto_data=packed,
        attributes={
            "datacontenttype": Value(ce_string="application/protobuf"),
            "dataschema": Value(
                ce_uri=packed.type_url.replace("type.googleapis.com/", "https://x/")
            ),
        },
    )
    decoded = protobuf.decode(raw)
    assert decoded.data == packed.SerializeToString()
    unpacked = timestamp_pb2.Timestamp()
    assert any_pb2.Any.FromString(decoded.data).Unpack(unpacked)
    assert unpacked.seconds == 42
    again = pb.CloudEvent.FromString(protobuf.encode(decoded))
    assert again.WhichOneof("data") == "proto_data"
    assert again.proto_data == packed


def test_protobuf_bytes_that_are_not_an_any_stay_binary_data() -> None:
    """protobuf-format.md 3: without a type URL the message cannot be an Any."""
    event = make(data=b"\x08\x2a", datacontenttype="application/protobuf")
    msg = parsed(event)
    assert msg.WhichOneof("data") == "binary_data"
    assert protobuf.decode(msg.SerializeToString()) == event


# -- 5. batch -------------------------------------------------------------------------------


def test_batch_is_a_cloudeventbatch() -> None:
    """protobuf-format.md 5.1: a CloudEventBatch with repeated CloudEvent messages."""
    batch = [make(id="1"), make(id="2", data=b"\x01")]
    msg = pb.CloudEventBatch.FromString(protobuf.encode_batch(batch))
    assert [m.id for m in msg.events] == ["1", "2"]
    assert protobuf.decode_batch(msg.SerializeToString()) == batch
    assert protobuf.decode_batch(b"") == []


def test_batch_item_errors_name_the_index() -> None:
    good = pb.CloudEvent.FromString(message())
    bad = pb.CloudEvent.FromString(message(attributes={"id": Value(ce_string="x")}))
    raw = pb.CloudEventBatch(events=[good, good, bad]).SerializeToString()
    with pytest.raises(cesdk.DecodeError, match="batch item 2") as info:
        protobuf.decode_batch(raw)
    assert info.value.position == 2
    invalid = pb.CloudEventBatch(events=[good, pb.CloudEvent(id="1")]).SerializeToString()
    with pytest.raises(cesdk.InvalidMessageError, match="batch item 1"):
        protobuf.decode_batch(invalid)


# -- round trips ----------------------------------------------------------------------------


def representable(event: cesdk.CloudEvent) -> bool:
    """Whether a google.protobuf.Timestamp can hold the event's time."""
    try:
        protobuf.encode(event)
    except cesdk.EncodeError:
        stamp = event.attributes.get("time", "")
        assert isinstance(stamp, str)
        assert ":60" in stamp or stamp[:4] in ("0001", "9999")
        return False
    return True


def assert_preserved(decoded: cesdk.CloudEvent, event: cesdk.CloudEvent) -> None:
    assert decoded == event
    assert hash(decoded) == hash(event)
    assert type(decoded.data) is type(event.data)
    if isinstance(event.data, bytes | str):
        assert decoded.data == event.data
    for name, value in event.extensions.items():
        assert type(decoded[name]) is type(value)
        assert decoded[name] == value


@ROUND_TRIP
@given(events("format"))
def test_round_trip_keeps_every_attribute_type_and_data_byte(event: cesdk.CloudEvent) -> None:
    """protobuf-format.md 2-3: decode(encode(e)) == e; time compares as the instant."""
    assume(representable(event))
    assert_preserved(protobuf.decode(protobuf.encode(event)), event)


@ROUND_TRIP
@given(event_batches("format"))
def test_batch_round_trip(batch: list[cesdk.CloudEvent]) -> None:
    """protobuf-format.md 5: decode_batch(encode_batch(es)) == es."""
    assume(all(representable(event) for event in batch))
    decoded = protobuf.decode_batch(protobuf.encode_batch(batch))
    assert len(decoded) == len(batch)
    for got, want in zip(decoded, batch, strict=True):
        assert_preserved(got, want)


def test_lone_surrogate_in_text_data_is_an_encode_error() -> None:
    """proto3 strings are UTF-8: a lone surrogate cannot be sent."""
    event = make(data="\ud800")
    with pytest.raises(cesdk.EncodeError, match="surrogate") as info:
        protobuf.encode(event)
    assert event.id in str(info.value)
