"""Property-based tests of the MQTT binding: round trips for every version x mode, fuzzing.

STYLE.md 14. Binary mode (MQTT 5.0) uses the ``"binary"`` data mode of
``tests/strategies.py`` (an empty payload is "no data"); structured mode, in MQTT 5.0 and
3.1.1, the ``"format"`` mode.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from binding_formats import require_format
from binding_strategies import events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import CloudEvent
from cesdk.bindings import mqtt, websockets
from cesdk.formats import json as ce_json
from strategies import json_values

_SCALE = int(os.environ.get("CESDK_HYPOTHESIS_SCALE", "1"))
ROUND_TRIP = settings(
    max_examples=40 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings(
    max_examples=80 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class PahoProperties:
    def __init__(self, content_type: Any, user_properties: Any) -> None:
        self.ContentType = content_type
        self.UserProperty = user_properties


class PahoMessage:
    """A stand-in for paho-mqtt's MQTTMessage."""

    def __init__(self, payload: Any, properties: Any = None) -> None:
        self.topic = "t"
        self.payload = payload
        self.properties = properties


def assert_same(decoded: CloudEvent, event: CloudEvent) -> None:
    assert decoded == event
    assert hash(decoded) == hash(event)
    assert type(decoded.data) is type(event.data)
    if event.has_data and not isinstance(event.data, (dict, list)):
        assert decoded.data == event.data


@ROUND_TRIP
@given(events("binary"))
def test_binary_round_trip(event: CloudEvent) -> None:
    """mqtt-protocol-binding.md 3.1: MQTT 5.0 binary mode keeps every attribute (by its
    canonical string: User Properties are strings) and every data byte."""
    msg = mqtt.to_binary(event)
    decoded = mqtt.from_mqtt(
        PahoMessage(msg.payload, PahoProperties(msg.content_type, msg.user_properties))
    )
    assert_same(decoded, event)
    assert set(decoded.extensions) == set(event.extensions)
    assert all(type(v) is str for v in decoded.extensions.values())
    assert all(isinstance(v, str) for _, v in msg.user_properties)
    if event.datacontenttype is not None:
        assert decoded.datacontenttype == event.datacontenttype
    elif event.has_data and not isinstance(event.data, bytes):
        assert decoded.datacontenttype == "application/json"  # spec.md datacontenttype


@ROUND_TRIP
@given(events("format"), st.sampled_from([mqtt.MQTT_5, mqtt.MQTT_3_1_1, mqtt.MQTT_3_1]))
def test_structured_round_trip(event: CloudEvent, version: int) -> None:
    """mqtt-protocol-binding.md 3.2: structured mode in MQTT 5.0 and 3.1.1; the JSON format
    keeps extension types (Integer, Boolean) too."""
    msg = mqtt.to_structured(event, version=version)
    decoded = mqtt.from_mqtt(msg, version=version)
    assert_same(decoded, event)
    for name, value in event.extensions.items():
        if not isinstance(value, bytes):  # JSON holds Binary as its base64 string
            assert type(decoded.extensions[name]) is type(value)
    # A 3.1.1 publisher's message reaches an MQTT 5.0 subscriber too.
    assert mqtt.from_mqtt(mqtt.MqttMessage(msg.payload)) == event


# -- fuzzing: nothing but CESDKError ---------------------------------------------------------

_names = st.one_of(
    st.sampled_from(
        ["specversion", "id", "source", "type", "time", "datacontenttype", "subject", "data",
         "ext", "Content-Type", ""]
    ),
    st.text(max_size=10),
    st.binary(max_size=6),
    st.integers(),
)  # fmt: skip
_values = st.one_of(
    st.sampled_from(["1.0", "/s", "t", "1", "2018-04-05T17:31:00Z", "application/json", ""]),
    st.text(max_size=12),
    st.binary(max_size=8),
    st.integers(),
    st.none(),
)
_pairs = st.lists(st.one_of(st.tuples(_names, _values), st.lists(_names, max_size=3)), max_size=7)
_content_types = st.one_of(
    st.none(),
    st.sampled_from(
        ["application/json", "text/plain", "application/cloudevents+json",
         "application/cloudevents-batch+json", "application/cloudevents+avro",
         "application/octet-stream", "text/plain; charset=nope", "application/cloudevents+protobuf"]
    ),
    st.text(max_size=20),
    st.binary(max_size=6),
    st.integers(),
)  # fmt: skip
_payloads = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32),
    json_values.map(lambda v: ce_json.encode(CloudEvent(type="t", source="/s", data=v))),
    st.none(),
    st.integers(),
)
_REQUIRED = [("specversion", "1.0"), ("id", "1"), ("source", "/s"), ("type", "t")]


def only_cesdk_errors(message: Any, version: int = mqtt.MQTT_5) -> None:
    try:
        event = mqtt.from_mqtt(message, version=version)
    except cesdk.CESDKError:
        return
    repr(event)
    hash(event)
    assert event == event
    _ = (event.time, event.data, dict(event.extensions))
    try:
        assert mqtt.from_mqtt(mqtt.to_binary(event)) == event
        assert mqtt.from_mqtt(mqtt.to_structured(event)) == event
    except cesdk.EncodeError:
        pass


@FUZZ
@given(_payloads, _content_types, st.one_of(_pairs, st.none(), st.integers(), st.text(max_size=4)))
def test_decoder_raises_only_cesdk_errors(payload: Any, content_type: Any, props: Any) -> None:
    """mqtt-protocol-binding.md 3: any message decodes or raises a CESDKError."""
    only_cesdk_errors(mqtt.MqttMessage(payload, content_type, props))
    only_cesdk_errors(PahoMessage(payload, PahoProperties(content_type, props)))
    only_cesdk_errors(mqtt.MqttMessage(payload, content_type, props), version=4)
    if isinstance(props, list):
        only_cesdk_errors(mqtt.MqttMessage(payload, content_type, _REQUIRED + props))


@FUZZ
@given(st.one_of(st.none(), st.integers(), st.text(max_size=4), st.binary(max_size=4)))
def test_messages_of_any_shape(message: Any) -> None:
    """mqtt-protocol-binding.md 3: objects that are no message fail cleanly."""
    only_cesdk_errors(message)
    only_cesdk_errors(message, version=4)
    only_cesdk_errors(PahoMessage(b"", message))


@pytest.mark.parametrize("subprotocol", websockets.SUBPROTOCOLS)
def test_structured_round_trip_in_every_format(subprotocol: str) -> None:
    """mqtt-protocol-binding.md 3.2.1: for MQTT 5.0, Content Type MUST be the media type of
    the event format (JSON, Avro, Protobuf); the receiver finds the format by it."""
    fmt = require_format(subprotocol)

    @ROUND_TRIP
    @given(events("format"))
    def round_trip(event: CloudEvent) -> None:
        try:
            msg = mqtt.to_structured(event, format=fmt)
        except cesdk.EncodeError:
            # Only a format's own limit, such as a leap second in Protobuf's Timestamp.
            assert fmt.CONTENT_TYPE != "application/cloudevents+json"
            return
        assert (msg.content_type or "").split(";")[0] == fmt.CONTENT_TYPE
        assert msg.payload == fmt.encode(event)
        assert_same(mqtt.from_mqtt(msg), event)

    round_trip()
