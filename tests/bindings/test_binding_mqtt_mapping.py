"""The MQTT protocol binding (bindings/mqtt-protocol-binding.md, 1.0.3-wip)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cesdk
from cesdk import NO_DATA, CloudEvent
from cesdk.bindings import mqtt
from cesdk.formats import json as ce_json

USER_PROPERTIES = [
    ("specversion", "1.0"),
    ("type", "com.example.someevent"),
    ("time", "2018-04-05T03:56:24Z"),
    ("id", "1234-1234-1234"),
    ("source", "/mycontext/subcontext"),
]


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext/subcontext")
    kwargs.setdefault("id", "1234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T03:56:24Z")
    return CloudEvent(**kwargs)


class PahoProperties:
    """A stand-in for paho-mqtt's Properties: only the properties that were set exist."""

    def __init__(self, content_type: str | None, user_properties: list[tuple[str, str]]) -> None:
        if content_type is not None:
            self.ContentType = content_type
        if user_properties:
            self.UserProperty = user_properties


class PahoMessage:
    """A stand-in for paho-mqtt's MQTTMessage (and aiomqtt's Message)."""

    def __init__(self, payload: bytes, properties: PahoProperties | None = None) -> None:
        self.topic = "mytopic"
        self.payload = payload
        self.qos = 1
        self.properties = properties


# -- 3.1 binary mode (MQTT 5.0) --------------------------------------------------------------


def test_binary_mode_spec_example() -> None:
    """mqtt-protocol-binding.md 3.1.4: the example, which also repeats datacontenttype as a
    user property, decodes."""
    msg = mqtt.MqttMessage(
        b'{\n    "app": "data"\n}',
        "application/json; charset=utf-8",
        [*USER_PROPERTIES, ("datacontenttype", "application/json; charset=utf-8")],
        topic="mytopic",
    )
    event = mqtt.from_mqtt(msg)
    assert event == make(data={"app": "data"}, datacontenttype="application/json; charset=utf-8")


def test_binary_mode_maps_content_type_and_user_properties() -> None:
    """mqtt-protocol-binding.md 3.1.1/3.1.3: Content Type MUST be mapped to
    datacontenttype; all other attributes, extensions included, MUST be individually
    mapped to User Properties."""
    event = make(
        data="<much wow='xml'/>",
        datacontenttype="text/xml",
        subject="123",
        extensions={"comexampleextension1": "value", "n": 5, "flag": False, "raw": b"\x00\xff"},
    )
    msg = mqtt.to_binary(event)
    assert msg.content_type == "text/xml"
    assert sorted(msg.user_properties) == sorted(
        [*USER_PROPERTIES, ("subject", "123"), ("comexampleextension1", "value"), ("n", "5"),
         ("flag", "false"), ("raw", "AP8=")]
    )  # fmt: skip
    assert msg.payload == b"<much wow='xml'/>"
    assert mqtt.from_mqtt(msg) == event


def test_user_property_names_are_the_attribute_names_unchanged() -> None:
    """mqtt-protocol-binding.md 3.1.3.1: attribute names MUST be used unchanged."""
    names = [name for name, _ in mqtt.to_binary(make(extensions={"abc123": "x"})).user_properties]
    assert names == ["specversion", "id", "source", "type", "time", "abc123"]


def test_user_property_values_are_canonical_strings() -> None:
    """mqtt-protocol-binding.md 3.1.3.2: each value MUST be the canonical string."""
    event = make(time="2018-04-05t03:56:24.5z", extensions={"t": True, "i": -3, "b": b"\x01"})
    props = dict(mqtt.to_binary(event).user_properties)
    assert props["time"] == "2018-04-05t03:56:24.5z"  # as given: RFC 3339 allows it
    assert (props["t"], props["i"], props["b"]) == ("true", "-3", "AQ==")
    decoded = mqtt.from_mqtt(mqtt.to_binary(event))
    assert decoded == event
    assert decoded.extensions["i"] == "-3"  # the type is not on the wire; the value is


def test_data_is_the_payload_byte_for_byte() -> None:
    """mqtt-protocol-binding.md 3.1.2: the data byte-sequence MUST be the payload."""
    event = make(data=b"\x00\x01\xff", datacontenttype="application/octet-stream")
    msg = mqtt.to_binary(event)
    assert msg.payload == b"\x00\x01\xff"
    assert mqtt.from_mqtt(msg).data == b"\x00\x01\xff"


def test_json_data_is_utf8_json_labelled_application_json() -> None:
    """mqtt-protocol-binding.md 2.2: JSON data is UTF-8 JSON text; spec.md datacontenttype:
    its implied type is stated."""
    msg = mqtt.to_binary(make(data={"k": "v\u00e9"}))
    assert msg.content_type == "application/json"
    assert json.loads(msg.payload) == {"k": "v\u00e9"}
    assert ("datacontenttype", "application/json") not in msg.user_properties


def test_no_data_is_an_empty_payload() -> None:
    """mqtt-protocol-binding.md 3.1.2: no data, no payload bytes."""
    msg = mqtt.to_binary(make())
    assert msg.payload == b""
    assert msg.content_type is None
    assert mqtt.from_mqtt(msg).data is NO_DATA


def test_datacontenttype_user_property_stands_in_for_a_missing_content_type() -> None:
    """mqtt-protocol-binding.md 3.1.4: senders following the example may repeat it."""
    msg = mqtt.MqttMessage(b"hi", None, [*USER_PROPERTIES, ("datacontenttype", "text/plain")])
    assert mqtt.from_mqtt(msg) == make(data="hi", datacontenttype="text/plain")


def test_a_contradicting_datacontenttype_user_property_is_refused() -> None:
    """mqtt-protocol-binding.md 3.1.1: Content Type MUST be mapped to datacontenttype, so
    a user property saying otherwise is an error, not a silent choice."""
    msg = mqtt.MqttMessage(b"hi", "text/plain", [*USER_PROPERTIES, ("datacontenttype", "text/csv")])
    with pytest.raises(cesdk.DecodeError, match="contradicts") as info:
        mqtt.from_mqtt(msg)
    assert info.value.position == "datacontenttype"


def test_a_repeated_attribute_is_refused() -> None:
    """mqtt-protocol-binding.md 3.1.3: one attribute, one User Property (MQTT allows a
    name twice; an attribute has one value)."""
    msg = mqtt.MqttMessage(b"", None, [*USER_PROPERTIES, ("id", "other")])
    with pytest.raises(cesdk.DecodeError, match="more than once") as info:
        mqtt.from_mqtt(msg)
    assert info.value.position == "id"


def test_user_properties_that_cannot_be_attributes_are_ignored() -> None:
    """spec.md Naming Conventions: only [a-z0-9] names are attributes; an application's
    own User Properties ("Correlation-Id", "x_trace", "data") are left alone."""
    others = [("Correlation-Id", "7"), ("x_trace", "a"), ("data", "no"), ("", "empty")]
    msg = mqtt.MqttMessage(b"", None, [*others, *USER_PROPERTIES])
    assert mqtt.from_mqtt(msg) == make()


@pytest.mark.parametrize("missing", ["specversion", "id", "source", "type"])
def test_a_missing_required_user_property_is_named(missing: str) -> None:
    """spec.md REQUIRED Attributes: a binary message lacking one names it in .errors."""
    props = [(n, v) for n, v in USER_PROPERTIES if n != missing]
    with pytest.raises(cesdk.InvalidMessageError) as info:
        mqtt.from_mqtt(mqtt.MqttMessage(b"x", None, props))
    assert list(info.value.errors) == [missing]


@pytest.mark.parametrize(
    ("name", "value"),
    [("subject", ""), ("time", "yesterday"), ("source", "a b"), ("specversion", "0.3")],
)
def test_invalid_values_name_the_attribute(name: str, value: str) -> None:
    """spec.md Context Attributes: invalid values are named in .errors."""
    props = [*[(n, v) for n, v in USER_PROPERTIES if n != name], (name, value)]
    with pytest.raises(cesdk.InvalidEventError) as info:
        mqtt.from_mqtt(mqtt.MqttMessage(b"", None, props))
    assert name in info.value.errors


def test_values_too_long_for_an_mqtt_string_name_the_attribute() -> None:
    """MQTT 5.0 section 1.5.4: a UTF-8 string holds at most 65,535 bytes."""
    assert mqtt.to_binary(make(subject="s" * 65_535))  # exactly the limit
    with pytest.raises(cesdk.EncodeError, match="attribute subject"):
        mqtt.to_binary(make(subject="\u00e9" * 40_000))
    with pytest.raises(cesdk.EncodeError, match="attribute subject"):
        mqtt.to_binary(make(subject="\U0001f600" * 20_000))  # 80,000 bytes in 20,000 chars
    with pytest.raises(cesdk.EncodeError, match="datacontenttype"):
        mqtt.to_binary(make(data=b"x", datacontenttype="text/plain; x=" + "y" * 65_535))


def test_binary_mode_is_mqtt5_only() -> None:
    """mqtt-protocol-binding.md 1.3: binary mode only applies to MQTT 5.0."""
    for version in (mqtt.MQTT_3_1_1, mqtt.MQTT_3_1):
        with pytest.raises(cesdk.EncodeError, match="no binary mode"):
            mqtt.to_binary(make(), version=version)


# -- 3.2 structured mode -----------------------------------------------------------------------


def test_structured_mode_mqtt5() -> None:
    """mqtt-protocol-binding.md 3.2.1/3.2.2: Content Type MUST be the format's media type
    and the payload the rendered event."""
    event = make(data={"app": "data"}, datacontenttype="application/json; charset=utf-8")
    msg = mqtt.to_structured(event, topic="mytopic")
    assert msg.content_type == "application/cloudevents+json; charset=utf-8"
    assert msg.user_properties == []
    assert msg.topic == "mytopic"
    assert ce_json.decode(msg.payload) == event
    assert mqtt.from_mqtt(msg) == event


def test_structured_mode_mqtt311_spec_example() -> None:
    """mqtt-protocol-binding.md 3 and 3.2.4: with MQTT 3.1.1 the payload MUST use the JSON
    event format, and no Content Type is sent (it is implied)."""
    event = make(data={"app": "data"})
    msg = mqtt.to_structured(event, version=mqtt.MQTT_3_1_1)
    assert msg.content_type is None
    assert msg.user_properties == []
    assert json.loads(msg.payload)["specversion"] == "1.0"
    assert mqtt.from_mqtt(PahoMessage(msg.payload), version=mqtt.MQTT_3_1_1) == event
    assert mqtt.from_mqtt(msg, version=3) == event


def test_mqtt311_reads_json_whatever_properties_an_object_has() -> None:
    """mqtt-protocol-binding.md 3: with MQTT 3.1.1 the content mode is always structured."""
    body = ce_json.encode(make())
    msg = mqtt.MqttMessage(body, "text/plain", USER_PROPERTIES)
    assert mqtt.from_mqtt(msg, version=4) == make()
    with pytest.raises(cesdk.DecodeError, match=r"MQTT 3\.1\.1"):
        mqtt.from_mqtt(mqtt.MqttMessage(b"hi"), version=4)


def test_mqtt311_is_json_only() -> None:
    """mqtt-protocol-binding.md 3: the MQTT 3.1.1 payload MUST use the JSON event format."""

    class OtherFormat:
        CONTENT_TYPE = "application/cloudevents+cbor"

        def encode(self, event: CloudEvent) -> bytes:
            return b""

        def decode(self, data: bytes) -> CloudEvent:
            raise NotImplementedError

    with pytest.raises(cesdk.EncodeError, match="only the JSON"):
        mqtt.to_structured(make(), version=4, format=OtherFormat())
    msg = mqtt.to_structured(make(), format=OtherFormat())
    assert msg.content_type == "application/cloudevents+cbor"


def test_a_v3_publisher_reaches_a_v5_subscriber() -> None:
    """mqtt-protocol-binding.md 3: an MQTT 5.0 message with no Content Type and no
    attribute User Properties is what a 3.1.1 publisher's structured event looks like."""
    payload = mqtt.to_structured(make(subject="v3"), version=4).payload
    assert mqtt.from_mqtt(PahoMessage(payload)).subject == "v3"
    with pytest.raises(cesdk.DecodeError, match="not a CloudEvent"):
        mqtt.from_mqtt(PahoMessage(b"temperature=21"))


@pytest.mark.parametrize(
    "content_type", ["application/cloudevents+json", "Application/CloudEvents+JSON; charset=x"]
)
def test_structured_mode_is_chosen_by_content_type(content_type: str) -> None:
    """mqtt-protocol-binding.md 3: a Content Type prefixed with application/cloudevents
    means structured mode; 3.2.3: binary-mode User Properties MAY be present too."""
    body = ce_json.encode(make(subject="from-payload"))
    props = [*USER_PROPERTIES, ("subject", "from-a-property")]
    assert mqtt.from_mqtt(mqtt.MqttMessage(body, content_type, props)).subject == "from-payload"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/cloudevents",
        "application/cloudevents+xml",
        "application/cloudevents-batch+json",
    ],
)
def test_structured_formats_that_cannot_be_read(content_type: str) -> None:
    """mqtt-protocol-binding.md 1.3/3: no batch mode; an unknown format is refused."""
    with pytest.raises(cesdk.DecodeError) as info:
        mqtt.from_mqtt(mqtt.MqttMessage(ce_json.encode(make()), content_type))
    assert info.value.position == "content-type"


def test_a_content_type_without_attributes_is_no_cloudevent() -> None:
    """mqtt-protocol-binding.md 3: without the CloudEvents properties, it is no event."""
    with pytest.raises(cesdk.DecodeError, match="not a CloudEvent"):
        mqtt.from_mqtt(mqtt.MqttMessage(b"{}", "application/json", [("x-other", "1")]))


# -- client shapes -------------------------------------------------------------------------------


def test_paho_messages_are_read() -> None:
    """mqtt-protocol-binding.md 3.1: paho-mqtt keeps Content Type and User Properties in
    ``properties``; from_mqtt reads them there."""
    event = make(data="hi", datacontenttype="text/plain", extensions={"n": 5})
    msg = mqtt.to_binary(event)
    paho = PahoMessage(msg.payload, PahoProperties(msg.content_type, msg.user_properties))
    assert mqtt.from_mqtt(paho) == event
    structured = mqtt.to_structured(event)
    paho = PahoMessage(structured.payload, PahoProperties(structured.content_type, []))
    assert mqtt.from_mqtt(paho) == event


def test_user_properties_as_a_mapping_or_bytes() -> None:
    """MQTT 5.0 3.3.2.3.7: User Properties are UTF-8 string pairs, however a client holds
    them."""
    as_dict = dict(USER_PROPERTIES)
    assert mqtt.from_mqtt(mqtt.MqttMessage(b"", None, as_dict)) == make()  # type: ignore[arg-type]
    as_bytes = [(n.encode(), v.encode()) for n, v in USER_PROPERTIES]
    assert mqtt.from_mqtt(mqtt.MqttMessage(b"", None, as_bytes)) == make()  # type: ignore[arg-type]


def test_unknown_versions_are_refused() -> None:
    """mqtt-protocol-binding.md: the binding covers MQTT 3.1.1 and 5.0."""
    with pytest.raises(cesdk.EncodeError, match="unknown"):
        mqtt.to_structured(make(), version=6)
    with pytest.raises(cesdk.DecodeError, match="unknown"):
        mqtt.from_mqtt(mqtt.MqttMessage(b"{}"), version=2)


def test_public_names_are_declared_sorted_and_resolve() -> None:
    """STYLE.md 1: a public module declares its names once, sorted as ruff's RUF022 does."""
    names = mqtt.__all__
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)
    )
    assert all(hasattr(mqtt, name) for name in names)
    assert "mqtt" in cesdk.bindings.__all__
