"""Property-based tests of the AMQP binding: round trips in both modes, and fuzzing.

STYLE.md 14: Hypothesis round trips for every binding x mode. Events come from
``tests/strategies.py``; binary mode uses its ``"binary"`` data mode (the body is bytes
and an empty body is "no data", as in HTTP), structured mode the ``"format"`` mode.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from binding_formats import require_format
from binding_strategies import events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import CloudEvent
from cesdk.bindings import amqp, websockets
from cesdk.formats import json as ce_json
from strategies import json_values

_SCALE = int(os.environ.get("CESDK_HYPOTHESIS_SCALE", "1"))
ROUND_TRIP = settings(
    max_examples=40 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings(
    max_examples=80 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


class ClientMessage:
    """A client's own message object with the same attribute names."""

    def __init__(self, properties: Any, application_properties: Any, body: Any) -> None:
        self.properties = properties
        self.application_properties = application_properties
        self.body = body


def assert_same(decoded: CloudEvent, event: CloudEvent) -> None:
    assert decoded == event
    assert hash(decoded) == hash(event)
    assert type(decoded.data) is type(event.data)
    if event.has_data and not isinstance(event.data, (dict, list)):
        assert decoded.data == event.data  # every data byte / character


@ROUND_TRIP
@given(events("binary"), st.sampled_from([amqp.PREFIX, amqp.COLON_PREFIX]))
def test_binary_round_trip_keeps_every_attribute_and_its_type(
    event: CloudEvent, prefix: str
) -> None:
    """amqp-protocol-binding.md 3.1: binary mode; 3.1.3.2: native AMQP types keep every
    extension's type (Boolean, Integer, String, Binary)."""
    msg = amqp.to_binary(event, prefix=prefix)
    decoded = amqp.from_amqp(
        ClientMessage(dict(msg.properties), dict(msg.application_properties), msg.body)
    )
    assert_same(decoded, event)
    assert dict(decoded.extensions) == dict(event.extensions)
    assert [type(v) for v in decoded.extensions.values()] == [
        type(v) for v in event.extensions.values()
    ]
    # spec.md datacontenttype: binary mode states JSON data's implied type.
    if event.datacontenttype is not None:
        assert decoded.datacontenttype == event.datacontenttype
    elif event.has_data and not isinstance(event.data, bytes):
        assert decoded.datacontenttype == "application/json"


@ROUND_TRIP
@given(events("binary"))
def test_binary_properties_are_native_amqp_types(event: CloudEvent) -> None:
    """amqp-protocol-binding.md 3.1.3.2: outgoing values are strictly native or the
    canonical string, and time is a UTC timestamp whenever that is exact."""
    props = amqp.to_binary(event).application_properties
    for name, value in props.items():
        assert type(value) in (bool, int, str, bytes, datetime), name
    time = props.get("cloudEvents_time")
    if isinstance(time, datetime):
        assert time.utcoffset() == timedelta(0)
        assert time.microsecond % 1000 == 0


@ROUND_TRIP
@given(events("format"))
def test_structured_round_trip(event: CloudEvent) -> None:
    """amqp-protocol-binding.md 3.2: structured mode in the JSON format."""
    msg = amqp.to_structured(event)
    assert_same(amqp.from_amqp(msg), event)
    assert ce_json.decode(msg.body) == event


@ROUND_TRIP
@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))]),
    )
)
def test_any_time_survives(moment: datetime) -> None:
    """amqp-protocol-binding.md 3.1.3.2: native or canonical, the instant is kept."""
    event = CloudEvent(type="t", source="/s", id="1", time=moment)
    decoded = amqp.from_amqp(amqp.to_binary(event))
    assert decoded == event
    assert decoded.time is not None
    assert decoded.time.to_datetime() == moment


# -- fuzzing: nothing but CESDKError ---------------------------------------------------------

_names = st.one_of(
    st.sampled_from(
        ["cloudEvents_specversion", "cloudEvents_id", "cloudEvents_source", "cloudEvents_type",
         "cloudEvents_time", "cloudEvents_datacontenttype", "cloudEvents:id", "cloudEvents_",
         "cloudevents_id", "cloudEvents_data", "cloudEvents_ext", "x-opt-thing"]
    ),
    st.text(max_size=16).map(lambda s: "cloudEvents_" + s),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.integers(),
)  # fmt: skip
_values = st.one_of(
    st.sampled_from(["1.0", "/s", "t", "1", "2018-04-05T17:31:00Z", "1990-12-31T23:59:60Z"]),
    json_values,
    st.binary(max_size=8),
    st.integers(),
    st.datetimes(timezones=st.one_of(st.none(), st.timezones())),
    st.uuids(),
    st.text(max_size=12),
)
_content_types = st.one_of(
    st.none(),
    st.sampled_from(
        ["application/json", "text/plain; charset=latin-1", "application/cloudevents+json",
         "application/cloudevents-batch+json", "application/cloudevents+avro", "APPLICATION/JSON",
         "application/cloudevents+protobuf", "application/cloudevents-batch+protobuf",
         "text/plain; charset=nope", "application/octet-stream"]
    ),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.integers(),
)  # fmt: skip
_bodies = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=32),
    json_values.map(lambda v: ce_json.encode(CloudEvent(type="t", source="/s", data=v))),
    st.none(),
    st.integers(),
)
_REQUIRED = {
    "cloudEvents_specversion": "1.0",
    "cloudEvents_id": "1",
    "cloudEvents_source": "/s",
    "cloudEvents_type": "t",
}


def exercise(event: CloudEvent) -> None:
    """Use a decoded event the way a caller would; nothing may crash."""
    repr(event)
    hash(event)
    assert event == event
    _ = (event.time, event.data, dict(event.extensions))
    try:
        amqp.from_amqp(amqp.to_binary(event))
        amqp.to_structured(event)
    except cesdk.EncodeError:
        pass


def only_cesdk_errors(message: Any) -> None:
    try:
        event = amqp.from_amqp(message)
    except cesdk.CESDKError:
        return
    exercise(event)


@FUZZ
@given(
    _content_types,
    st.one_of(st.dictionaries(_names, _values, max_size=6), st.none(), st.integers()),
    _bodies,
)
def test_decoder_raises_only_cesdk_errors(content_type: Any, props: Any, body: Any) -> None:
    """amqp-protocol-binding.md 3: any message decodes or raises a CESDKError."""
    only_cesdk_errors(ClientMessage({"content_type": content_type}, props, body))
    if isinstance(props, dict):
        only_cesdk_errors(
            ClientMessage({"content-type": content_type}, {**_REQUIRED, **props}, body)
        )


@FUZZ
@given(st.one_of(st.none(), st.integers(), st.text(max_size=4), st.lists(st.integers())))
def test_messages_of_any_shape(message: Any) -> None:
    """amqp-protocol-binding.md 3: objects that are no message fail cleanly."""
    only_cesdk_errors(message)
    only_cesdk_errors(ClientMessage(message, _REQUIRED, b""))


@pytest.mark.parametrize("subprotocol", websockets.SUBPROTOCOLS)
def test_structured_round_trip_in_every_format(subprotocol: str) -> None:
    """amqp-protocol-binding.md 3.2.1: content-type is the media type of the chosen event
    format (JSON, Avro, Protobuf); the receiver finds the format by it (section 3)."""
    fmt = require_format(subprotocol)

    @ROUND_TRIP
    @given(events("format"))
    def round_trip(event: CloudEvent) -> None:
        try:
            msg = amqp.to_structured(event, format=fmt)
        except cesdk.EncodeError:
            # Only a format's own limit, such as a leap second in Protobuf's Timestamp.
            assert fmt.CONTENT_TYPE != "application/cloudevents+json"
            return
        assert msg.properties["content_type"].split(";")[0] == fmt.CONTENT_TYPE
        assert msg.body == fmt.encode(event)
        assert_same(amqp.from_amqp(msg), event)

    round_trip()
