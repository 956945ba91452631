"""Property-based and bad-input tests of the WebSockets binding.

STYLE.md 14: round trips for every subprotocol (the binding has only structured mode,
so the ``"format"`` data mode of ``tests/strategies.py``); DESIGN.md: any frame decodes
or raises a ``cesdk.CESDKError``, and the malformed, truncated, oversized, nested and
non-UTF-8 input of tests/test_bad_input.py is refused cleanly.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from binding_formats import require_format
from binding_inputs import (
    DEEP,
    DUPLICATE_KEYS,
    INVALID_UTF8,
    MALFORMED_JSON,
    OVERSIZED,
    VALID_EVENT,
    stable_id,
)
from binding_strategies import events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import CloudEvent
from cesdk.bindings import websockets

_SCALE = int(os.environ.get("CESDK_HYPOTHESIS_SCALE", "1"))
ROUND_TRIP = settings(
    max_examples=40 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
FUZZ = settings(
    max_examples=80 * _SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
BAD = (cesdk.DecodeError, cesdk.InvalidEventError)


@pytest.fixture(params=websockets.SUBPROTOCOLS)
def subprotocol(request: pytest.FixtureRequest) -> str:
    require_format(request.param)
    return str(request.param)


def test_round_trip_every_subprotocol(subprotocol: str) -> None:
    """websockets-protocol-binding.md 3.1: every attribute, extension and data byte
    survives the agreed format, in the frame type of section 1.5."""

    @ROUND_TRIP
    @given(events("format"))
    def round_trip(event: CloudEvent) -> None:
        try:
            frame = websockets.to_frame(event, subprotocol)
        except cesdk.EncodeError:
            # Only a format's own limit, such as a leap second in Protobuf's Timestamp.
            assert subprotocol != "cloudevents.json"
            return
        assert frame.kind == websockets.FRAME_KINDS[subprotocol]
        decoded = websockets.from_frame(frame, subprotocol)
        assert decoded == event
        assert hash(decoded) == hash(event)
        assert type(decoded.data) is type(event.data)
        if event.has_data and not isinstance(event.data, (dict, list)):
            assert decoded.data == event.data
        assert set(decoded.extensions) == set(event.extensions)
        for name, value in event.extensions.items():
            if not isinstance(value, bytes) or subprotocol != "cloudevents.json":
                assert type(decoded.extensions[name]) is type(value)  # JSON: base64 text

    round_trip()


_frames = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=64),
    st.tuples(st.sampled_from(["text", "binary", "ping", ""]), st.one_of(st.text(), st.binary())),
    st.tuples(st.sampled_from(["text", "binary"]), st.one_of(st.none(), st.integers())),
    st.none(),
    st.integers(),
    st.lists(st.integers(), max_size=3),
    events("format").map(lambda e: websockets.to_frame(e, "cloudevents.json")),
)
_subprotocols = st.one_of(st.sampled_from(websockets.SUBPROTOCOLS), st.text(max_size=20))


@FUZZ
@given(_frames, _subprotocols)
def test_decoder_raises_only_cesdk_errors(frame: Any, subprotocol: str) -> None:
    """websockets-protocol-binding.md 3: any frame decodes or raises a CESDKError."""
    for name in websockets.SUBPROTOCOLS:
        require_format(name)
    try:
        event = websockets.from_frame(frame, subprotocol)
    except cesdk.CESDKError:
        return
    assert event == event
    hash(event)
    assert websockets.from_frame(websockets.to_frame(event, subprotocol), subprotocol) == event


@FUZZ
@given(st.one_of(st.text(), st.lists(st.one_of(st.text(), st.binary())), st.none()))
def test_negotiation_never_fails(offered: Any) -> None:
    """websockets-protocol-binding.md 1.4: any offer gets a subprotocol it named, or none."""
    chosen = websockets.negotiate(offered)
    assert chosen is None or chosen in websockets.supported_subprotocols()


@pytest.mark.parametrize("body", MALFORMED_JSON, ids=stable_id)
def test_malformed_json(body: bytes) -> None:
    """json-format.md 3: a text frame that is not a JSON event is refused."""
    with pytest.raises(BAD):
        websockets.from_frame(body.decode("utf-8"), "cloudevents.json")


def test_truncated_frames(subprotocol: str) -> None:
    """websockets-protocol-binding.md 3.1: no strict prefix of an encoded event passes for
    it. JSON and Avro refuse every prefix; Protobuf has no end marker, so a prefix that
    ends between fields is a smaller valid message, never the same event."""
    event = CloudEvent(type="t", source="/s", id="1", data=[1, "x"], extensions={"n": 5})
    frame = websockets.to_frame(event, subprotocol)
    for end in range(len(frame.payload)):
        try:
            decoded = websockets.from_frame((frame.kind, frame.payload[:end]), subprotocol)
        except BAD:
            continue
        assert subprotocol == "cloudevents.proto"
        assert decoded != event


@pytest.mark.parametrize("body", [*OVERSIZED, *DEEP], ids=["garbage", "unclosed", *["deep"] * 3])
def test_oversized_and_nested(body: bytes, subprotocol: str) -> None:
    """spec.md Size Limits / DESIGN.md: 10 MB of garbage or 100k levels of nesting are
    refused without a crash or a hang."""
    kind = websockets.FRAME_KINDS[subprotocol]
    payload: str | bytes = body.decode() if kind == "text" else body
    with pytest.raises(cesdk.DecodeError):
        websockets.from_frame((kind, payload), subprotocol)


@pytest.mark.parametrize("body", INVALID_UTF8, ids=stable_id)
def test_invalid_utf8_in_a_binary_json_frame(body: bytes) -> None:
    """json-format.md 3: JSON text is UTF-8."""
    with pytest.raises(cesdk.DecodeError):
        websockets.from_frame(body, "cloudevents.json")


def test_lone_surrogates_in_a_text_frame() -> None:
    """RFC 6455 5.6: a text frame is UTF-8, which cannot hold a lone surrogate."""
    with pytest.raises(cesdk.DecodeError, match="not valid Unicode"):
        websockets.from_frame('{"id":"\ud800"}', "cloudevents.json")


@pytest.mark.parametrize("body", DUPLICATE_KEYS, ids=["plain", "escaped"])
def test_duplicate_members_are_named(body: bytes) -> None:
    """spec.md Context Attributes: an attribute appears at most once."""
    with pytest.raises(cesdk.DecodeError, match="more than once"):
        websockets.from_frame(body.decode(), "cloudevents.json")


@pytest.mark.parametrize(
    "frame",
    [None, 5, object(), ["x"], ("ping", b""), ("text", 5), ("binary", None), ("a", "b", "c")],
    ids=stable_id,
)
def test_frames_of_the_wrong_shape(frame: Any) -> None:
    """websockets-protocol-binding.md 3: a message is a text or binary frame."""
    with pytest.raises(cesdk.DecodeError):
        websockets.from_frame(frame, "cloudevents.json")


def test_the_valid_event_decodes() -> None:
    """The shared valid event decodes from a text frame (the cases above can fail)."""
    assert websockets.from_frame(VALID_EVENT.decode(), "cloudevents.json").subject == "s"
