"""The AMQP protocol binding (bindings/amqp-protocol-binding.md, 1.0.3-wip)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import cesdk
from cesdk import NO_DATA, CloudEvent
from cesdk.bindings import amqp
from cesdk.formats import json as ce_json

PROPS = {
    "cloudEvents_specversion": "1.0",
    "cloudEvents_type": "com.example.someevent",
    "cloudEvents_time": "2018-04-05T03:56:24Z",
    "cloudEvents_id": "1234-1234-1234",
    "cloudEvents_source": "/mycontext/subcontext",
}


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext/subcontext")
    kwargs.setdefault("id", "1234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T03:56:24Z")
    return CloudEvent(**kwargs)


def colon(props: dict[str, Any]) -> dict[str, Any]:
    return {name.replace("cloudEvents_", "cloudEvents:"): value for name, value in props.items()}


# -- 3.1 binary mode -----------------------------------------------------------------------


def test_binary_mode_spec_example() -> None:
    """amqp-protocol-binding.md 3.1.4: the example (with ':' names) decodes."""
    msg = amqp.AmqpMessage(
        {"to": "myqueue", "content_type": "application/json; charset=utf-8"},
        colon(PROPS),
        b'{\n    "app": "data"\n}',
    )
    event = amqp.from_amqp(msg)
    assert event == make(data={"app": "data"}, datacontenttype="application/json; charset=utf-8")
    assert event.data == {"app": "data"}


def test_binary_mode_maps_datacontenttype_to_content_type_and_the_rest_to_properties() -> None:
    """amqp-protocol-binding.md 3.1.1/3.1.3: content-type is datacontenttype; all other
    attributes MUST be individually mapped to application-properties."""
    event = make(
        data="<much wow='xml'/>",
        datacontenttype="text/xml",
        subject="123",
        dataschema="https://example.com/schema",
        extensions={"comexampleextension1": "value"},
    )
    msg = amqp.to_binary(event)
    assert msg.properties == {"content_type": "text/xml"}
    assert msg.application_properties == {
        **PROPS,
        "cloudEvents_time": datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC),
        "cloudEvents_subject": "123",
        "cloudEvents_dataschema": "https://example.com/schema",
        "cloudEvents_comexampleextension1": "value",
    }
    assert msg.body == b"<much wow='xml'/>"
    assert amqp.from_amqp(msg) == event


def test_binary_writes_the_underscore_prefix_and_colon_on_request() -> None:
    """amqp-protocol-binding.md 3.1.3.1: the '_' separator SHOULD be preferred; ':' is
    allowed, and one message uses one separator."""
    event = make(extensions={"n": 1})
    assert all(
        name.startswith("cloudEvents_") for name in amqp.to_binary(event).application_properties
    )
    msg = amqp.to_binary(event, prefix=amqp.COLON_PREFIX)
    assert all(name.startswith("cloudEvents:") for name in msg.application_properties)
    assert amqp.from_amqp(msg) == event
    with pytest.raises(cesdk.EncodeError, match="cloudEvents_"):
        amqp.to_binary(event, prefix="ce_")


@pytest.mark.parametrize("prefix", ["cloudEvents_", "cloudEvents:"])
def test_both_prefixes_are_read(prefix: str) -> None:
    """amqp-protocol-binding.md 3.1.3.1: consumers SHOULD understand both separators."""
    props = {name.replace("cloudEvents_", prefix): v for name, v in PROPS.items()}
    assert amqp.from_amqp(amqp.AmqpMessage({}, props)) == make()


def test_mixed_separators_are_refused() -> None:
    """amqp-protocol-binding.md 3.1.3.1: any single message MUST use the same separator."""
    props = {**PROPS, "cloudEvents:subject": "x"}
    with pytest.raises(cesdk.DecodeError, match="mix") as info:
        amqp.from_amqp(amqp.AmqpMessage({}, props))
    assert info.value.position == "cloudEvents:subject"


def test_native_types_are_written() -> None:
    """amqp-protocol-binding.md 3.1.3.2: Boolean -> boolean, Integer -> long, String/URI/
    URI-reference -> string, Binary -> binary, Timestamp -> timestamp."""
    event = make(
        dataschema="urn:example:schema",
        extensions={"flag": True, "count": -7, "raw": b"\x00\xff", "text": "5"},
    )
    props = amqp.to_binary(event).application_properties
    assert props["cloudEvents_flag"] is True
    assert type(props["cloudEvents_count"]) is int
    assert props["cloudEvents_count"] == -7
    assert props["cloudEvents_raw"] == b"\x00\xff"
    assert props["cloudEvents_text"] == "5"
    assert props["cloudEvents_dataschema"] == "urn:example:schema"
    assert props["cloudEvents_time"] == datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC)
    decoded = amqp.from_amqp(amqp.to_binary(event))
    assert decoded.extensions == {"flag": True, "count": -7, "raw": b"\x00\xff", "text": "5"}
    assert [type(v) for v in decoded.extensions.values()] == [bool, int, bytes, str]


@pytest.mark.parametrize(
    ("text", "native"),
    [
        ("2018-04-05T03:56:24Z", datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC)),
        ("2018-04-05T03:56:24.123Z", datetime(2018, 4, 5, 3, 56, 24, 123000, tzinfo=UTC)),
        ("2018-04-05T03:56:24.120000000z", datetime(2018, 4, 5, 3, 56, 24, 120000, tzinfo=UTC)),
        ("2018-04-05t05:56:24+02:00", datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_millisecond_times_become_amqp_timestamps(text: str, native: datetime) -> None:
    """amqp-protocol-binding.md 3.1.3.2: Timestamp maps to the AMQP timestamp (ms), in UTC."""
    msg = amqp.to_binary(make(time=text))
    value = msg.application_properties["cloudEvents_time"]
    assert value == native
    assert isinstance(value, datetime)
    assert value.utcoffset() == timedelta(0)
    assert amqp.from_amqp(msg) == make(time=text)


@pytest.mark.parametrize(
    "text",
    [
        "2018-04-05T03:56:24.1234Z",  # finer than a millisecond
        "2018-04-05T03:56:24.123456789Z",
        "2016-12-31T23:59:60Z",  # a leap second
        "0001-01-01T00:30:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:30:00-01:00",  # after year 9999 in UTC
    ],
)
def test_times_an_amqp_timestamp_cannot_hold_keep_their_canonical_string(text: str) -> None:
    """amqp-protocol-binding.md 3.1.3.2: values MUST be native or the canonical string; an
    implementation MAY forward canonical strings, so no digit is lost."""
    msg = amqp.to_binary(make(time=text))
    assert msg.application_properties["cloudEvents_time"] == text
    decoded = amqp.from_amqp(msg)
    assert decoded.attributes["time"] == text
    assert decoded == make(time=text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2018-04-05T03:56:24Z", "2018-04-05T03:56:24Z"),
        (datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC), "2018-04-05T03:56:24Z"),
        (datetime(2018, 4, 5, 5, 56, 24, 5, tzinfo=timezone(timedelta(hours=2))),
         "2018-04-05T03:56:24.000005Z"),
        (datetime(2018, 4, 5, 3, 56, 24, 120000), "2018-04-05T03:56:24.120Z"),  # naive: UTC
        (1522900584123, "2018-04-05T03:56:24.123Z"),  # ms since the epoch (official SDK)
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ],
)  # fmt: skip
def test_time_is_read_in_both_forms(value: Any, expected: str) -> None:
    """amqp-protocol-binding.md 3.1.3.2: an implementation MUST be able to interpret both
    forms (native and canonical string) on an incoming message."""
    event = amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_time": value}))
    assert event.attributes["time"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("true", "true"),
        (5, 5),
        ("5", "5"),
        (b"\x01", b"\x01"),
        (bytearray(b"\x01"), b"\x01"),
        ("AQ==", "AQ=="),
        (datetime(2020, 1, 1, tzinfo=UTC), "2020-01-01T00:00:00Z"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_extension_values_are_read_in_both_forms(value: Any, expected: Any) -> None:
    """amqp-protocol-binding.md 3.1.3.2: native values keep their type; strings stay
    strings (their type is unknown without a schema). An AMQP uuid reads as its text."""
    event = amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_ext": value}))
    assert event.extensions["ext"] == expected
    assert type(event.extensions["ext"]) is type(expected)


def test_other_integer_types_are_accepted() -> None:
    """amqp-protocol-binding.md 3.1.3.2: a receiver MAY accept numeric types other than
    long, as qpid-proton's int subclasses (int32, short, ubyte...) are."""

    class Short(int):  # qpid-proton's AMQP short is an int subclass
        pass

    event = amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_n": Short(3)}))
    assert type(event.extensions["n"]) is int


def test_null_property_is_no_attribute() -> None:
    """amqp-protocol-binding.md 3.1.3: an AMQP null carries no value, so no attribute."""
    event = amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_subject": None}))
    assert event.subject is None


@pytest.mark.parametrize(
    "value",
    [1.5, 2.0, [1], {"a": 1}, object()],
    ids=lambda v: "object" if type(v) is object else repr(v),
)
def test_values_of_no_cloudevents_type_name_the_property(value: Any) -> None:
    """amqp-protocol-binding.md 3.1.3.2: values are the native types above or the
    canonical string; anything else is refused, naming the property."""
    with pytest.raises(cesdk.DecodeError) as info:
        amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_ext": value}))
    assert info.value.position == "cloudEvents_ext"
    assert "cloudEvents_ext" in str(info.value)


@pytest.mark.parametrize(
    ("name", "value", "attribute"),
    [
        ("cloudEvents_id", 5, "id"),
        ("cloudEvents_source", b"/s", "source"),
        ("cloudEvents_specversion", 1, "specversion"),
        ("cloudEvents_time", True, "time"),
        ("cloudEvents_time", "yesterday", "time"),
        ("cloudEvents_ext", 2**31, "ext"),
        ("cloudEvents_BAD", "x", "BAD"),
        ("cloudEvents_", "x", ""),
        ("cloudEvents_data", "x", "data"),
    ],
)
def test_invalid_values_name_the_attribute(name: str, value: Any, attribute: str) -> None:
    """spec.md Type System / Naming Conventions: a value of the wrong type, an Integer
    beyond 32 bits or a bad name is an invalid event; .errors names the attribute."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, name: value}))
    assert attribute in info.value.errors


def test_out_of_range_timestamp_names_the_property() -> None:
    """amqp-protocol-binding.md 3.1.3.2: an AMQP timestamp beyond any calendar date."""
    for value in (2**62, -(2**62)):
        with pytest.raises(cesdk.DecodeError, match="out of range") as info:
            amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_time": value}))
        assert info.value.position == "cloudEvents_time"


def test_datacontenttype_property_is_refused_in_binary_mode() -> None:
    """amqp-protocol-binding.md 3.1.3: all attributes *with exception of datacontenttype*
    map to application-properties; it travels as content-type."""
    props = {**PROPS, "cloudEvents_datacontenttype": "text/plain"}
    with pytest.raises(cesdk.DecodeError, match="content_type") as info:
        amqp.from_amqp(amqp.AmqpMessage({"content_type": "text/plain"}, props, b"x"))
    assert info.value.position == "cloudEvents_datacontenttype"


@pytest.mark.parametrize("name", ["cloudevents_id", "CLOUDEVENTS:id", "CloudEvents_id"])
def test_a_prefix_in_the_wrong_case_is_named(name: str) -> None:
    """amqp-protocol-binding.md 3.1.3.1: the prefix is "cloudEvents_" or "cloudEvents:"."""
    with pytest.raises(cesdk.DecodeError, match="exactly that case") as info:
        amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, name: "1"}))
    assert info.value.position == name


def test_other_application_properties_are_ignored() -> None:
    """amqp-protocol-binding.md 3.1.3: only the prefixed properties are attributes."""
    props = {**PROPS, "x-opt-foo": [1, 2], "cloudEventsX": 1.5, 7: "seven", "id": "other"}
    assert amqp.from_amqp(amqp.AmqpMessage({}, props)) == make()


# -- 3.1.2 data --------------------------------------------------------------------------------


def test_data_is_the_body_byte_for_byte() -> None:
    """amqp-protocol-binding.md 3.1.2: the byte sequence is the application-data section."""
    event = make(data=b"\x00\x01\xff", datacontenttype="application/octet-stream")
    msg = amqp.to_binary(event)
    assert msg.body == b"\x00\x01\xff"
    assert amqp.from_amqp(msg).data == b"\x00\x01\xff"


def test_json_data_without_datacontenttype_is_labelled_application_json() -> None:
    """amqp-protocol-binding.md 3.1.2 example + spec.md datacontenttype: JSON data is
    UTF-8 JSON text, and its implied type is stated."""
    msg = amqp.to_binary(make(data={"k": "v\u00e9"}))
    assert msg.properties == {"content_type": "application/json"}
    assert msg.body == '{"k":"v\u00e9"}'.encode()


def test_text_data_is_encoded_in_its_charset() -> None:
    """amqp-protocol-binding.md 3.1.2: data is encoded as datacontenttype declares."""
    event = make(data="caf\u00e9", datacontenttype="text/plain; charset=iso-8859-1")
    msg = amqp.to_binary(event)
    assert msg.body == b"caf\xe9"
    assert amqp.from_amqp(msg).data == "caf\u00e9"


def test_no_data_is_an_empty_body() -> None:
    """amqp-protocol-binding.md 3.1.2: an event without data has an empty data section."""
    msg = amqp.to_binary(make())
    assert msg.body == b""
    assert msg.properties == {}
    assert amqp.from_amqp(msg).data is NO_DATA
    assert amqp.from_amqp(amqp.AmqpMessage({}, PROPS, None)).data is NO_DATA  # type: ignore[arg-type]


def test_an_amqp_value_string_body_is_read_as_utf8() -> None:
    """amqp-protocol-binding.md 3.1.2: the data is a byte sequence; a client that hands
    over an amqp-value string section gets its UTF-8 bytes."""
    msg = amqp.AmqpMessage({"content_type": "application/json"}, PROPS, '{"a":1}')  # type: ignore[arg-type]
    assert amqp.from_amqp(msg).data == {"a": 1}


# -- 3. mode detection and 3.2 structured mode -------------------------------------------------


def test_structured_mode_round_trip_and_example() -> None:
    """amqp-protocol-binding.md 3.2.1/3.2.2/3.2.4: content-type is the format's media type
    and the event format is the application data."""
    event = make(data={"app": "data"}, extensions={"n": 5})
    msg = amqp.to_structured(event)
    assert msg.properties == {"content_type": "application/cloudevents+json; charset=utf-8"}
    assert msg.application_properties == {}
    assert ce_json.decode(msg.body) == event
    assert amqp.from_amqp(msg) == event


def test_structured_takes_a_format_module() -> None:
    """amqp-protocol-binding.md 1.4: structured mode uses an event format; JSON by default."""
    msg = amqp.to_structured(make(), format=ce_json)
    assert msg.properties["content_type"].startswith(ce_json.CONTENT_TYPE)


@pytest.mark.parametrize(
    "content_type",
    ["application/cloudevents+json", "APPLICATION/CloudEvents+JSON; charset=UTF-8"],
)
def test_structured_mode_is_chosen_case_insensitively(content_type: str) -> None:
    """amqp-protocol-binding.md 3: a content-type prefixed with application/cloudevents
    (matched case-insensitively) means structured mode, even with binary-mode
    properties present (3.2.3: implementations MAY include them)."""
    body = ce_json.encode(make(subject="from-body"))
    props = {**PROPS, "cloudEvents_subject": "from-a-property"}
    event = amqp.from_amqp(amqp.AmqpMessage({"content_type": content_type}, props, body))
    assert event.subject == "from-body"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/cloudevents",
        "application/cloudevents+xml",
        "application/cloudevents+avro-but-not-registered",
        "application/cloudevents-batch+json",
    ],
)
def test_structured_formats_that_cannot_be_read(content_type: str) -> None:
    """amqp-protocol-binding.md 1.3/3: no batch mode; a format the receiver cannot handle
    is refused (the spec lets it forward the message as-is instead)."""
    msg = amqp.AmqpMessage({"content_type": content_type}, {}, ce_json.encode(make()))
    with pytest.raises(cesdk.DecodeError) as info:
        amqp.from_amqp(msg)
    assert info.value.position == "content-type"


def test_no_properties_and_no_cloudevents_content_type_is_no_cloudevent() -> None:
    """amqp-protocol-binding.md 3: without application/cloudevents, a message needs the
    CloudEvents properties to be one."""
    with pytest.raises(cesdk.DecodeError, match="not a CloudEvent"):
        amqp.from_amqp(amqp.AmqpMessage({"content_type": "application/json"}, {}, b"{}"))
    with pytest.raises(cesdk.DecodeError, match="not a CloudEvent"):
        amqp.from_amqp(amqp.AmqpMessage())


@pytest.mark.parametrize("missing", ["specversion", "id", "source", "type"])
def test_a_missing_required_property_is_named(missing: str) -> None:
    """spec.md REQUIRED Attributes: a binary message lacking one names it in .errors."""
    props = {k: v for k, v in PROPS.items() if k != f"cloudEvents_{missing}"}
    with pytest.raises(cesdk.InvalidMessageError) as info:
        amqp.from_amqp(amqp.AmqpMessage({}, props))
    assert list(info.value.errors) == [missing]


# -- client shapes -------------------------------------------------------------------------------


@dataclass
class BasicProperties:
    """A stand-in for pika's BasicProperties: attributes, not a mapping."""

    content_type: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)


@dataclass
class OtherClientMessage:
    properties: Any
    application_properties: Any
    body: Any


def test_properties_as_an_object_or_with_the_amqp_field_name() -> None:
    """amqp-protocol-binding.md 1.2: clients map AMQP elements to their own constructs;
    content-type is read under its AMQP name too."""
    event = make(data="hi", datacontenttype="text/plain")
    for properties in (BasicProperties("text/plain"), {"content-type": "text/plain"}):
        assert amqp.from_amqp(OtherClientMessage(properties, PROPS, b"hi")) == event
    both = {"content_type": "text/plain", "content-type": "text/csv"}
    with pytest.raises(cesdk.DecodeError, match="disagree"):
        amqp.from_amqp(OtherClientMessage(both, PROPS, b"hi"))


def test_message_values_are_frozen() -> None:
    """STYLE.md 7: message values are small frozen values."""
    msg = amqp.to_binary(make())
    with pytest.raises(AttributeError):
        msg.body = b"x"  # type: ignore[misc]


def test_public_names_are_declared_sorted_and_resolve() -> None:
    """STYLE.md 1: a public module declares its names once, sorted as ruff's RUF022 does."""
    names = amqp.__all__
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)
    )
    assert all(hasattr(amqp, name) for name in names)
    assert "amqp" in cesdk.bindings.__all__


def test_a_message_as_sdk_go_writes_it() -> None:
    """amqp-protocol-binding.md 3.1.3.1/3.1.3.2: sdk-go's AMQP binding writes
    "cloudEvents:" names with native values (its time an AMQP timestamp); read as is."""
    props = {
        **colon(PROPS),
        "cloudEvents:time": datetime(2018, 4, 5, 3, 56, 24, tzinfo=UTC),
        "cloudEvents:comexampleothervalue": 5,
    }
    msg = amqp.AmqpMessage({"content_type": "application/json"}, props, b'{"a":1}')
    expected = make(data={"a": 1}, datacontenttype="application/json")
    assert amqp.from_amqp(msg) == expected.replace(comexampleothervalue=5)


@pytest.mark.parametrize(
    ("digits", "text", "native"),
    [
        (0, "2018-04-05T03:56:24Z", True),
        (0, "2018-04-05T03:56:24.000Z", True),
        (0, "2018-04-05T03:56:24.5Z", False),  # an AMQP 0-9-1 timestamp counts seconds
        (6, "2018-04-05T03:56:24.123456Z", True),
        (6, "2018-04-05T03:56:24.1234567Z", False),
        (None, "2018-04-05T03:56:24Z", False),
    ],
)
def test_timestamp_digits_match_the_clients_timestamp_type(
    digits: int | None, text: str, native: bool
) -> None:
    """amqp-protocol-binding.md 3.1.3.2: native when the client's type holds the value
    exactly, the canonical string otherwise; decoding gives the same event either way."""
    msg = amqp.to_binary(make(time=text), timestamp_digits=digits)
    value = msg.application_properties["cloudEvents_time"]
    assert isinstance(value, datetime) is native
    assert value == text if not native else value.tzinfo is UTC
    assert amqp.from_amqp(msg) == make(time=text)
