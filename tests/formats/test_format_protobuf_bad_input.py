"""Bad input into the Protobuf decoders raises DecodeError (or InvalidEventError) only.

DESIGN.md ("a source never crashes on bad input"): malformed, truncated, oversized,
deeply nested and hostile bytes into ``decode`` and ``decode_batch`` are answered with
``cesdk.DecodeError``, never google.protobuf's own exceptions, UnicodeDecodeError or
RecursionError.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk.formats import protobuf
from cesdk.formats._pb import cloudevents_pb2 as pb

BAD = (cesdk.DecodeError, cesdk.InvalidEventError)
TEN_MB = 10 * 1024 * 1024
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DECODERS = {"decode": protobuf.decode, "decode_batch": protobuf.decode_batch}
Value = pb.CloudEvent.CloudEventAttributeValue

VALID = pb.CloudEvent(
    id="1",
    source="/s",
    spec_version="1.0",
    type="t",
    attributes={"subject": Value(ce_string="x"), "n": Value(ce_integer=5)},
    text_data="hello",
).SerializeToString()


def as_input(body: bytes, decoder: str) -> bytes:
    """Wrap one CloudEvent message as field 1 of a CloudEventBatch for the batch decoder."""
    if decoder == "decode":
        return body
    return pb.CloudEventBatch(events=[pb.CloudEvent.FromString(body)]).SerializeToString()  # type: ignore[no-any-return]


@pytest.mark.parametrize("decoder", DECODERS)
def test_the_valid_input_decodes(decoder: str) -> None:
    result = DECODERS[decoder](as_input(VALID, decoder))
    event = result if isinstance(result, cesdk.CloudEvent) else result[0]
    assert event.data == "hello"


@pytest.mark.parametrize("decoder", DECODERS)
def test_every_truncation_is_rejected_or_a_shorter_message(decoder: str) -> None:
    """A protobuf prefix may itself parse (fields are optional); it never crashes, and
    cutting inside a field is a DecodeError."""
    body = as_input(VALID, decoder)
    rejected = 0
    for end in range(len(body)):
        try:
            DECODERS[decoder](body[:end])
        except BAD:
            rejected += 1
    assert rejected > len(body) // 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x0a\x05ab", "not a Protobuf"),  # a string field runs past the end
        (b"\x0a\x02\xc3\x28", "not a Protobuf"),  # id is not UTF-8
        (b"\xff" * 16, "not a Protobuf"),  # a varint that never ends
        (b"\x7b" * 100_000, "not a Protobuf"),  # 100k nested groups
        (b"\x0f", "not a Protobuf"),  # an end-group with no start
    ],
    ids=["string past the end", "invalid UTF-8", "endless varint", "deep groups", "stray end"],
)
@pytest.mark.parametrize("decoder", DECODERS)
def test_malformed_messages(decoder: str, body: bytes, message: str) -> None:
    with pytest.raises(cesdk.DecodeError, match=message):
        DECODERS[decoder](body)


@pytest.mark.parametrize("decoder", DECODERS)
def test_ten_megabytes_of_garbage(decoder: str) -> None:
    """spec.md Size Limits: 10 MB of noise is a DecodeError."""
    for body in (b"\xff" * TEN_MB, b"\x0a" + b"\xff" * TEN_MB):
        with pytest.raises(BAD):
            DECODERS[decoder](body)


def test_ten_megabyte_event_with_an_invalid_attribute_names_it() -> None:
    """spec.md Size Limits + Context Attributes: a 10 MB event still gets precise errors."""
    body = pb.CloudEvent(
        id="1",
        source="not a uri reference %zz",
        spec_version="1.0",
        type="t",
        binary_data=b"\x00" * TEN_MB,
    ).SerializeToString()
    with pytest.raises(cesdk.InvalidEventError) as info:
        protobuf.decode(body)
    assert set(info.value.errors) == {"source"}


@pytest.mark.parametrize(
    ("fields", "attribute"),
    [
        ({"spec_version": "0.3"}, "specversion"),
        ({"attributes": {"subject": Value(ce_integer=1)}}, "subject"),
        ({"attributes": {"dataschema": Value(ce_uri_ref="/relative")}}, "dataschema"),
        ({"attributes": {"datacontenttype": Value(ce_bytes=b"x")}}, "datacontenttype"),
        ({"attributes": {"Bad-Name": Value(ce_string="x")}}, "Bad-Name"),
        ({"attributes": {"ext": Value(ce_string="\x00")}}, "ext"),
        ({"type": ""}, "type"),
    ],
    ids=[
        "specversion 0.3",
        "subject int",
        "dataschema relative",
        "ct bytes",
        "name",
        "NUL",
        "type",
    ],
)
def test_invalid_attributes_are_named(fields: dict[str, Any], attribute: str) -> None:
    """spec.md Context Attributes and Type System, through the Protobuf format."""
    base: dict[str, Any] = {"id": "1", "source": "/s", "spec_version": "1.0", "type": "t"}
    raw = pb.CloudEvent(**{**base, **fields}).SerializeToString()
    with pytest.raises(cesdk.InvalidEventError) as info:
        protobuf.decode(raw)
    assert attribute in info.value.errors


@pytest.mark.parametrize(
    "value",
    ["text", 5, None, ["a"], object()],
    ids=lambda v: type(v).__name__ if type(v) is object else repr(v),
)
@pytest.mark.parametrize("decoder", DECODERS)
def test_input_of_the_wrong_type(decoder: str, value: Any) -> None:
    with pytest.raises(cesdk.DecodeError, match="expected bytes"):
        DECODERS[decoder](value)


@FUZZ
@given(st.binary(max_size=256))
def test_arbitrary_bytes_raise_only_cesdk_errors(body: bytes) -> None:
    """DESIGN.md: any bytes at all give events or a CESDKError."""
    for decode in DECODERS.values():
        with contextlib.suppress(cesdk.CESDKError):
            decode(body)


@FUZZ
@given(st.binary(max_size=48), st.integers(0, len(VALID)))
def test_mutated_valid_events_raise_only_cesdk_errors(noise: bytes, at: int) -> None:
    """Noise spliced into a valid message reaches the attribute and data readers."""
    for body in (VALID[:at] + noise + VALID[at:], VALID[:at] + noise):
        for decoder, decode in DECODERS.items():
            with contextlib.suppress(cesdk.CESDKError):
                decode(as_input(body, decoder) if decoder == "decode" else body)
