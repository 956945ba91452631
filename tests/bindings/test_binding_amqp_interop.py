"""Interop with the official SDK's AMQP binding (``cloudevents.core.bindings.amqp``, 2.2).

Both follow amqp-protocol-binding.md. Where the spec allows either (3.1.3.1: the
``cloudEvents_`` or ``cloudEvents:`` prefix; 3.1.3.2: a native timestamp or the
canonical string), each side reads what the other writes. The official ``AMQPMessage``
names its parts ``properties`` (keyed ``content-type``, the AMQP field name),
``application_properties`` and ``application_data``; ``from_amqp`` reads it as is.
The other way, its ``properties`` need the ``content-type`` key, which is what the
helper below does.
"""

from __future__ import annotations

from typing import Any

import pytest
from cloudevents.core.bindings import amqp as sdk_amqp
from cloudevents.core.formats.json import JSONFormat

from cesdk import NO_DATA, CloudEvent, interop
from cesdk.bindings import amqp


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext")
    kwargs.setdefault("id", "A234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T17:31:00.123Z")
    kwargs.setdefault("subject", "123")
    return CloudEvent(**kwargs)


def to_sdk_message(msg: amqp.AmqpMessage) -> Any:
    """Hand a cesdk message to the official SDK: only the content-type key differs."""
    properties = {"content-type": msg.properties["content_type"]} if msg.properties else {}
    return sdk_amqp.AMQPMessage(
        properties=properties,
        application_properties=dict(msg.application_properties),
        application_data=msg.body,
    )


CASES = [
    ({"k": "v", "n": [1, 2.5]}, "application/json"),
    ("<much wow='xml'/>", "application/xml"),
    (b"\x00\x01\xff", "application/octet-stream"),
    (NO_DATA, None),
]
EXTENSIONS = {"comexampleextension1": "value", "n": 5, "flag": True, "raw": b"\x01\xff"}


@pytest.mark.parametrize(("data", "content_type"), CASES)
def test_official_binary_messages_are_read(data: Any, content_type: str | None) -> None:
    """amqp-protocol-binding.md 3.1: the SDK writes cloudEvents_ names, native types and
    time as an int of milliseconds; from_amqp reads its AMQPMessage directly."""
    event = make(data=data, datacontenttype=content_type, extensions=EXTENSIONS)
    sdk_message = sdk_amqp.to_binary(interop.to_sdk(event), JSONFormat())
    assert sdk_message.application_properties["cloudEvents_time"] == 1522949460123
    decoded = amqp.from_amqp(sdk_message)
    assert decoded == event
    assert type(decoded.data) is type(event.data)
    assert dict(decoded.extensions) == EXTENSIONS
    assert [type(v) for v in decoded.extensions.values()] == [str, int, bool, bytes]


@pytest.mark.parametrize(("data", "content_type"), CASES)
@pytest.mark.parametrize("prefix", [amqp.PREFIX, amqp.COLON_PREFIX])
def test_cesdk_binary_messages_are_read_by_the_sdk(
    data: Any, content_type: str | None, prefix: str
) -> None:
    """amqp-protocol-binding.md 3.1.3.1/3.1.3.2: the SDK reads both prefixes and a
    timestamp given as a datetime."""
    event = make(data=data, datacontenttype=content_type, extensions=EXTENSIONS)
    msg = amqp.to_binary(event, prefix=prefix)
    sdk_event = sdk_amqp.from_amqp(to_sdk_message(msg), JSONFormat())
    assert sdk_event.get_extension("n") == 5
    assert sdk_event.get_extension("raw") == b"\x01\xff"
    assert interop.from_sdk(sdk_event) == event


def test_sub_millisecond_time_reaches_the_sdk_whole() -> None:
    """amqp-protocol-binding.md 3.1.3.2: cesdk writes such a time as its canonical
    string, which the SDK parses, so no digit is lost on the way."""
    event = make(time="2018-04-05T17:31:00.123456Z")
    msg = amqp.to_binary(event)
    assert msg.application_properties["cloudEvents_time"] == "2018-04-05T17:31:00.123456Z"
    sdk_event = sdk_amqp.from_amqp(to_sdk_message(msg), JSONFormat())
    assert interop.from_sdk(sdk_event) == event


def test_json_data_without_datacontenttype() -> None:
    """spec.md datacontenttype: cesdk states the implied application/json; the SDK writes
    no content-type, so its body arrives as opaque bytes, as section 3.1.2 allows."""
    event = make(data={"k": "v"})
    sdk_event = sdk_amqp.from_amqp(to_sdk_message(amqp.to_binary(event)), JSONFormat())
    assert sdk_event.get_data() == {"k": "v"}
    sdk_message = sdk_amqp.to_binary(interop.to_sdk(event), JSONFormat())
    assert sdk_message.properties == {}
    assert amqp.from_amqp(sdk_message).data == b'{"k": "v"}'


def test_structured_both_ways() -> None:
    """amqp-protocol-binding.md 3.2: the JSON event format in the application data."""
    event = make(data={"k": "v"}, extensions={"comexampleextension1": "value", "n": 5})
    sdk_message = sdk_amqp.to_structured(interop.to_sdk(event), JSONFormat())
    assert amqp.from_amqp(sdk_message) == event
    sdk_event = sdk_amqp.from_amqp(to_sdk_message(amqp.to_structured(event)), JSONFormat())
    assert interop.from_sdk(sdk_event) == event


def test_sdk_timestamps_in_ms_round_trip_exactly() -> None:
    """amqp-protocol-binding.md 3.1.3.2: an AMQP timestamp counts milliseconds; both sides
    agree on the instant."""
    for text in ("1970-01-01T00:00:00Z", "2018-04-05T17:31:00.999Z", "2038-01-19T03:14:08.001Z"):
        event = make(time=text)
        decoded = amqp.from_amqp(sdk_amqp.to_binary(interop.to_sdk(event), JSONFormat()))
        assert decoded.attributes["time"] == text
        assert amqp.from_amqp(amqp.to_binary(event)) == event
