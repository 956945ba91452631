"""Bad input into the MQTT decoder raises DecodeError or InvalidEventError, nothing else.

DESIGN.md ("a source never crashes on bad input"), for MQTT 5.0 structured and binary
mode and MQTT 3.1.1: the same malformed, truncated, oversized, nested and non-UTF-8
input as tests/test_bad_input.py uses for HTTP, Kafka and NATS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from binding_inputs import (
    DEEP,
    DUPLICATE_KEYS,
    INVALID_UTF8,
    MALFORMED_JSON,
    OVERSIZED,
    TEN_MB,
    VALID_EVENT,
    stable_id,
)

import cesdk
from cesdk.bindings import mqtt

BAD = (cesdk.DecodeError, cesdk.InvalidEventError)
REQUIRED = [("specversion", "1.0"), ("id", "1"), ("source", "/s"), ("type", "t")]

STRUCTURED: dict[str, Callable[[bytes], cesdk.CloudEvent]] = {
    "mqtt5 structured": lambda b: mqtt.from_mqtt(
        mqtt.MqttMessage(b, "application/cloudevents+json")
    ),
    "mqtt5 no properties": lambda b: mqtt.from_mqtt(mqtt.MqttMessage(b)),
    "mqtt3": lambda b: mqtt.from_mqtt(mqtt.MqttMessage(b), version=mqtt.MQTT_3_1_1),
}


def binary_json(body: bytes) -> cesdk.CloudEvent:
    return mqtt.from_mqtt(mqtt.MqttMessage(body, "application/json", REQUIRED))


@pytest.mark.parametrize("body", MALFORMED_JSON, ids=stable_id)
@pytest.mark.parametrize("decoder", STRUCTURED)
def test_malformed_json(decoder: str, body: bytes) -> None:
    """mqtt-protocol-binding.md 3.2.2 + json-format.md 3: not a JSON event."""
    with pytest.raises(BAD):
        STRUCTURED[decoder](body)


@pytest.mark.parametrize("decoder", STRUCTURED)
def test_truncated_bodies(decoder: str) -> None:
    """json-format.md 3: every strict prefix of a valid event is refused."""
    assert STRUCTURED[decoder](VALID_EVENT)
    for end in range(len(VALID_EVENT)):
        with pytest.raises(BAD):
            STRUCTURED[decoder](VALID_EVENT[:end])


def test_truncated_binary_json_payloads() -> None:
    """mqtt-protocol-binding.md 2.2 + json-format.md 3.1: a JSON Content Type over a cut
    payload is a DecodeError."""
    body = orjson.dumps({"a": [1, 2, {"b": "c"}], "d": "e"})
    assert binary_json(body).data == {"a": [1, 2, {"b": "c"}], "d": "e"}
    for end in range(1, len(body)):
        with pytest.raises(cesdk.DecodeError):
            binary_json(body[:end])


@pytest.mark.parametrize("body", OVERSIZED, ids=["garbage", "unclosed"])
@pytest.mark.parametrize("decoder", [*STRUCTURED, "binary json"])
def test_oversized_garbage(decoder: str, body: bytes) -> None:
    """spec.md Size Limits: a consumer may refuse large input, but must not crash or hang."""
    decode = binary_json if decoder == "binary json" else STRUCTURED[decoder]
    with pytest.raises(cesdk.DecodeError):
        decode(body)


@pytest.mark.parametrize("body", DEEP, ids=["arrays", "objects", "unclosed"])
@pytest.mark.parametrize("decoder", STRUCTURED)
def test_deep_nesting(decoder: str, body: bytes) -> None:
    """DESIGN.md: 100k levels of nesting never raise RecursionError or hang."""
    with pytest.raises(cesdk.DecodeError):
        STRUCTURED[decoder](body)


@pytest.mark.parametrize("body", INVALID_UTF8, ids=stable_id)
@pytest.mark.parametrize("decoder", STRUCTURED)
def test_invalid_utf8(decoder: str, body: bytes) -> None:
    """json-format.md 3: JSON text is UTF-8."""
    with pytest.raises(cesdk.DecodeError):
        STRUCTURED[decoder](body)


@pytest.mark.parametrize("body", DUPLICATE_KEYS, ids=["plain", "escaped"])
def test_duplicate_members_are_named(body: bytes) -> None:
    """spec.md Context Attributes: an attribute appears at most once."""
    with pytest.raises(cesdk.DecodeError, match="more than once"):
        STRUCTURED["mqtt3"](body)


def test_oversized_valid_payload_is_kept() -> None:
    """spec.md Size Limits: a large valid payload is data like any other."""
    data = b"\x00" * TEN_MB
    msg = mqtt.MqttMessage(data, "application/octet-stream", REQUIRED)
    assert mqtt.from_mqtt(msg).data == data


@pytest.mark.parametrize(
    "user_properties",
    [5, "specversion", b"x", [5], [("id",)], [("id", "1", "x")], [(None, "1")], [("id", 5)],
     [("id", None)], [("id", b"\xff")], [(b"\xff", "1")], {"id": 5}],
    ids=stable_id,
)  # fmt: skip
def test_user_properties_of_the_wrong_shape(user_properties: Any) -> None:
    """MQTT 5.0 3.3.2.3.7: User Properties are pairs of UTF-8 strings."""
    with pytest.raises(cesdk.DecodeError):
        mqtt.from_mqtt(mqtt.MqttMessage(b"", None, user_properties))


@pytest.mark.parametrize("content_type", [5, b"\xff", ["a"]], ids=stable_id)
def test_content_types_of_the_wrong_type(content_type: Any) -> None:
    """MQTT 5.0 3.3.2.3.9: Content Type is a UTF-8 string."""
    with pytest.raises(cesdk.DecodeError, match="content type"):
        mqtt.from_mqtt(mqtt.MqttMessage(b"", content_type, REQUIRED))


@pytest.mark.parametrize("payload", [5, object(), ["x"], {"a": 1}, "\ud800"], ids=stable_id)
def test_payloads_of_the_wrong_type(payload: Any) -> None:
    """mqtt-protocol-binding.md 3.1.2: the payload is bytes."""
    with pytest.raises(cesdk.DecodeError):
        mqtt.from_mqtt(mqtt.MqttMessage(payload, None, REQUIRED))
    with pytest.raises(cesdk.DecodeError):
        mqtt.from_mqtt(mqtt.MqttMessage(payload), version=4)


@pytest.mark.parametrize("message", [None, 5, object(), "text", b"bytes"], ids=stable_id)
def test_messages_of_the_wrong_type(message: Any) -> None:
    """mqtt-protocol-binding.md 3: an object without a payload is no MQTT message."""
    with pytest.raises(cesdk.DecodeError, match="no payload"):
        mqtt.from_mqtt(message)
    with pytest.raises(cesdk.DecodeError, match="no payload"):
        mqtt.from_mqtt(message, version=4)


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x\u0085"], ids=stable_id)
def test_strings_with_forbidden_characters_name_the_attribute(value: str) -> None:
    """spec.md Type System (String) / MQTT 5.0 1.5.4: no U+0000, controls or surrogates."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        mqtt.from_mqtt(mqtt.MqttMessage(b"", None, [*REQUIRED, ("subject", value)]))
    assert list(info.value.errors) == ["subject"]
