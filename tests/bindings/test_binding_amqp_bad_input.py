"""Bad input into the AMQP decoder raises DecodeError or InvalidEventError, nothing else.

DESIGN.md ("a source never crashes on bad input"): malformed, truncated, oversized,
deeply nested, non-UTF-8 or oddly shaped messages get a ``cesdk.DecodeError`` (or an
``InvalidEventError``) that names the property or position where it can.
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
from cesdk.bindings import amqp

BAD = (cesdk.DecodeError, cesdk.InvalidEventError)
PROPS = {
    "cloudEvents_specversion": "1.0",
    "cloudEvents_id": "1",
    "cloudEvents_source": "/s",
    "cloudEvents_type": "t",
}


def structured(body: bytes) -> cesdk.CloudEvent:
    ct = {"content_type": "application/cloudevents+json; charset=utf-8"}
    return amqp.from_amqp(amqp.AmqpMessage(ct, {}, body))


def binary_json(body: bytes) -> cesdk.CloudEvent:
    return amqp.from_amqp(amqp.AmqpMessage({"content_type": "application/json"}, PROPS, body))


DECODERS: dict[str, Callable[[bytes], cesdk.CloudEvent]] = {
    "structured": structured,
    "binary json": binary_json,
}


@pytest.mark.parametrize("body", MALFORMED_JSON, ids=stable_id)
@pytest.mark.parametrize("decoder", DECODERS)
def test_malformed_json(decoder: str, body: bytes) -> None:
    """amqp-protocol-binding.md 3.1.2/3.2.2 + json-format.md 3: text that is not a JSON
    event (structured) or not JSON (binary, JSON content type) is refused."""
    if decoder == "binary json" and body == b"":
        assert DECODERS[decoder](body).data is cesdk.NO_DATA  # empty: no data
        return
    if decoder == "binary json" and body in (b"5", b"null", b'"str"', b"{}"):
        assert DECODERS[decoder](body).has_data  # valid JSON data
        return
    with pytest.raises(BAD):
        DECODERS[decoder](body)


@pytest.mark.parametrize("decoder", DECODERS)
def test_truncated_bodies(decoder: str) -> None:
    """json-format.md 3: every strict prefix of a valid body is refused."""
    body = VALID_EVENT if decoder == "structured" else orjson.dumps({"a": [1, {"b": "c"}]})
    assert DECODERS[decoder](body)
    for end in range(1, len(body)):
        with pytest.raises(BAD):
            DECODERS[decoder](body[:end])


@pytest.mark.parametrize("body", OVERSIZED, ids=["garbage", "unclosed"])
@pytest.mark.parametrize("decoder", DECODERS)
def test_oversized_garbage(decoder: str, body: bytes) -> None:
    """spec.md Size Limits: a consumer may refuse large input, but must not crash or hang."""
    with pytest.raises(cesdk.DecodeError):
        DECODERS[decoder](body)


@pytest.mark.parametrize("body", DEEP, ids=["arrays", "objects", "unclosed"])
def test_deep_nesting(body: bytes) -> None:
    """DESIGN.md: 100k levels of nesting never raise RecursionError or hang."""
    with pytest.raises(cesdk.DecodeError):
        structured(body)
    with pytest.raises(cesdk.DecodeError):
        binary_json(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("body", INVALID_UTF8, ids=stable_id)
def test_invalid_utf8(body: bytes) -> None:
    """json-format.md 3: JSON text is UTF-8."""
    with pytest.raises(cesdk.DecodeError):
        structured(body)
    with pytest.raises(cesdk.DecodeError):
        binary_json(b'"\xff"')


@pytest.mark.parametrize("body", DUPLICATE_KEYS, ids=["plain", "escaped"])
def test_duplicate_members_are_named(body: bytes) -> None:
    """spec.md Context Attributes: an attribute appears at most once."""
    with pytest.raises(cesdk.DecodeError, match="more than once"):
        structured(body)


def test_oversized_valid_values_are_kept() -> None:
    """spec.md Size Limits: large but valid values are not the binding's business."""
    subject = "s" * TEN_MB
    event = amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_subject": subject}, b"x"))
    assert event.subject == subject


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", "x\u0085", "\ufffe"], ids=stable_id)
def test_strings_with_forbidden_characters_name_the_attribute(value: str) -> None:
    """spec.md Type System (String): control characters, noncharacters and lone
    surrogates are not allowed; .errors names the attribute."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        amqp.from_amqp(amqp.AmqpMessage({}, {**PROPS, "cloudEvents_subject": value}))
    assert list(info.value.errors) == ["subject"]


@pytest.mark.parametrize(
    "application_properties",
    [5, "cloudEvents_id", b"x", [("cloudEvents_id", "1")], object()],
    ids=stable_id,
)
def test_application_properties_of_the_wrong_shape(application_properties: Any) -> None:
    """amqp-protocol-binding.md 3.1.3: application-properties is a map."""
    with pytest.raises(cesdk.DecodeError, match="mapping"):
        amqp.from_amqp(amqp.AmqpMessage({}, application_properties, b""))


@pytest.mark.parametrize(
    "properties",
    [{"content_type": 5}, {"content_type": b"\xff"}, {"content-type": ["a"]}],
    ids=stable_id,
)
def test_content_types_of_the_wrong_type_name_the_property(properties: Any) -> None:
    """amqp-protocol-binding.md 3.1.1: content-type is a string (an AMQP symbol)."""
    with pytest.raises(cesdk.DecodeError) as info:
        amqp.from_amqp(amqp.AmqpMessage(properties, PROPS, b""))
    assert info.value.position == "property content_type"


@pytest.mark.parametrize("body", [5, object(), ["x"], {"a": 1}, "\ud800"], ids=stable_id)
def test_bodies_of_the_wrong_type(body: Any) -> None:
    """amqp-protocol-binding.md 3.1.2: the application data is bytes."""
    with pytest.raises(cesdk.DecodeError):
        amqp.from_amqp(amqp.AmqpMessage({}, PROPS, body))
    with pytest.raises(cesdk.DecodeError):
        amqp.from_amqp(amqp.AmqpMessage({"content_type": "application/cloudevents+json"}, {}, body))


@pytest.mark.parametrize("message", [None, 5, object(), "text", b"bytes"], ids=stable_id)
def test_messages_of_the_wrong_type(message: Any) -> None:
    """amqp-protocol-binding.md 3: an object without the message parts is no CloudEvent."""
    with pytest.raises(cesdk.DecodeError, match="not a CloudEvent"):
        amqp.from_amqp(message)


def test_structured_without_a_body() -> None:
    """amqp-protocol-binding.md 3.2.2: the event format is the application data."""
    with pytest.raises(cesdk.DecodeError):
        amqp.from_amqp(amqp.AmqpMessage({"content_type": "application/cloudevents+json"}))
