"""The WebSockets protocol binding (bindings/websockets-protocol-binding.md, 1.0.3-wip)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from binding_formats import require_format

import cesdk
from cesdk import CloudEvent
from cesdk.bindings import websockets
from cesdk.formats import json as ce_json


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext/subcontext")
    kwargs.setdefault("id", "1234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T03:56:24Z")
    return CloudEvent(**kwargs)


@pytest.fixture(params=websockets.SUBPROTOCOLS)
def subprotocol(request: pytest.FixtureRequest) -> str:
    """Each CloudEvents subprotocol, with its format available."""
    require_format(request.param)
    return str(request.param)


# -- 1.4 handshake, 1.5 subprotocols ----------------------------------------------------------


def test_the_subprotocol_table() -> None:
    """websockets-protocol-binding.md 1.5: each subprotocol maps to a format and frame type."""
    assert websockets.SUBPROTOCOLS == ("cloudevents.json", "cloudevents.avro", "cloudevents.proto")
    assert dict(websockets.MEDIA_TYPES) == {
        "cloudevents.json": "application/cloudevents+json",
        "cloudevents.avro": "application/cloudevents+avro",
        "cloudevents.proto": "application/cloudevents+protobuf",
    }
    assert dict(websockets.FRAME_KINDS) == {
        "cloudevents.json": "text",
        "cloudevents.avro": "binary",
        "cloudevents.proto": "binary",
    }


def test_json_is_always_supported() -> None:
    """websockets-protocol-binding.md 1.5: all implementations MUST support JSON."""
    supported = websockets.supported_subprotocols()
    assert supported[0] == "cloudevents.json"
    assert set(supported) <= set(websockets.SUBPROTOCOLS)
    assert websockets.format_for("cloudevents.json") is ce_json


def test_supported_subprotocols_follow_the_installed_formats(subprotocol: str) -> None:
    """websockets-protocol-binding.md 1.4: a server offers what it can read."""
    assert subprotocol in websockets.supported_subprotocols()
    assert websockets.MEDIA_TYPES[subprotocol] == websockets.format_for(subprotocol).CONTENT_TYPE


def test_spec_handshake_example() -> None:
    """websockets-protocol-binding.md 1.4.1: the client offers json and avro; the server
    replies with the chosen one."""
    assert websockets.negotiate("cloudevents.json, cloudevents.avro") == "cloudevents.json"


@pytest.mark.parametrize(
    ("offered", "supported", "chosen"),
    [
        ("cloudevents.avro, cloudevents.json", ["cloudevents.json", "cloudevents.avro"],
         "cloudevents.avro"),
        ("cloudevents.avro, cloudevents.json", ["cloudevents.json"], "cloudevents.json"),
        (["chat", "cloudevents.proto,cloudevents.json"], ["cloudevents.json"], "cloudevents.json"),
        ([b"cloudevents.json"], None, "cloudevents.json"),
        ("  cloudevents.json  ", None, "cloudevents.json"),
        ("CloudEvents.JSON", None, None),  # subprotocol tokens compare exactly
        ("cloudevents.xml, chat", None, None),
        ("", None, None),
        (None, None, None),
        ([], None, None),
    ],
)  # fmt: skip
def test_negotiation_picks_the_clients_first_supported_choice(
    offered: Any, supported: list[str] | None, chosen: str | None
) -> None:
    """websockets-protocol-binding.md 1.4: the server MUST reply with the chosen
    subprotocol (the client lists them by preference, RFC 6455 4.1), and with none
    (no header) when it supports none."""
    assert websockets.negotiate(offered, supported) == chosen


@pytest.mark.parametrize("name", ["cloudevents.xml", "json", "", "CLOUDEVENTS.JSON"])
def test_unknown_subprotocols_are_named(name: str) -> None:
    """websockets-protocol-binding.md 1.5: only the listed subprotocols exist."""
    with pytest.raises(cesdk.DecodeError, match="not a CloudEvents subprotocol"):
        websockets.format_for(name)
    with pytest.raises(cesdk.EncodeError, match="not a CloudEvents subprotocol"):
        websockets.to_frame(make(), name)
    with pytest.raises(cesdk.DecodeError, match="not a CloudEvents subprotocol"):
        websockets.from_frame("{}", name)


# -- 1.5 frame types, 3.1 encoding ------------------------------------------------------------


def test_json_events_are_text_frames() -> None:
    """websockets-protocol-binding.md 1.5: senders MUST use text frames for JSON; 3.1: the
    message is the event rendered in the format."""
    event = make(data={"k": "v\u00e9"}, extensions={"n": 5})
    frame = websockets.to_frame(event, "cloudevents.json")
    assert frame.kind == "text"
    assert isinstance(frame.payload, str)
    assert json.loads(frame.payload)["data"] == {"k": "v\u00e9"}
    kind, payload = frame  # unpacks as (kind, payload)
    assert (kind, payload) == ("text", frame.payload)
    assert websockets.from_frame(frame, "cloudevents.json") == event


def test_senders_use_the_frame_type_of_the_subprotocol(subprotocol: str) -> None:
    """websockets-protocol-binding.md 1.5: for each subprotocol, senders MUST use the
    specified frame type; 3.1: the format renders attributes and data."""
    event = make(data=b"\x00\x01\xff", datacontenttype="application/octet-stream")
    frame = websockets.to_frame(event, subprotocol)
    assert frame.kind == websockets.FRAME_KINDS[subprotocol]
    assert isinstance(frame.payload, str if frame.kind == "text" else bytes)
    fmt = websockets.format_for(subprotocol)
    raw = frame.payload.encode() if isinstance(frame.payload, str) else frame.payload
    assert fmt.decode(raw) == event
    assert websockets.from_frame(frame, subprotocol) == event
    assert websockets.from_frame(frame.payload, subprotocol) == event  # payload alone


def test_a_binary_frame_of_json_is_read() -> None:
    """websockets-protocol-binding.md 1.5: the MUST is on senders; a JSON event that
    arrives in a binary frame is still the same UTF-8 JSON."""
    body = ce_json.encode(make())
    assert websockets.from_frame(body, "cloudevents.json") == make()
    assert websockets.from_frame(("binary", bytearray(body)), "cloudevents.json") == make()


@pytest.mark.parametrize("subprotocol_name", ["cloudevents.avro", "cloudevents.proto"])
def test_a_text_frame_of_a_binary_format_is_refused(subprotocol_name: str) -> None:
    """websockets-protocol-binding.md 1.5: Avro and Protobuf travel in binary frames; text
    cannot hold their encoding."""
    require_format(subprotocol_name)
    with pytest.raises(cesdk.DecodeError, match="binary frames") as info:
        websockets.from_frame(("text", "{}"), subprotocol_name)
    assert info.value.position == "frame"


def test_the_json_batch_format_is_not_supported() -> None:
    """websockets-protocol-binding.md 1.5: this specification does not support the JSON
    batch format."""
    batch = ce_json.encode_batch([make()]).decode()
    with pytest.raises(cesdk.DecodeError, match="batch"):
        websockets.from_frame(batch, "cloudevents.json")
    with pytest.raises(cesdk.DecodeError, match="batch"):
        websockets.from_frame(" \n[]", "cloudevents.json")


def test_invalid_events_name_the_attribute() -> None:
    """spec.md Context Attributes: the format's errors come through, naming attributes."""
    body = '{"specversion":"1.0","id":"","source":"/s","type":"t"}'
    with pytest.raises(cesdk.InvalidEventError) as info:
        websockets.from_frame(body, "cloudevents.json")
    assert list(info.value.errors) == ["id"]


def test_a_missing_format_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """websockets-protocol-binding.md 1.5: a server without the Avro format neither offers
    it nor pretends to read it; the error says what to install."""
    monkeypatch.setenv("CESDK_DISABLED_PLUGINS", "cesdk.formats:avro")
    assert "cloudevents.avro" not in websockets.supported_subprotocols()
    assert websockets.negotiate("cloudevents.avro") is None
    with pytest.raises(cesdk.EncodeError, match=r"cesdk\[avro\]"):
        websockets.to_frame(make(), "cloudevents.avro")


def test_public_names_are_declared_sorted_and_resolve() -> None:
    """STYLE.md 1: a public module declares its names once, sorted as ruff's RUF022 does."""
    names = websockets.__all__
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)
    )
    assert all(hasattr(websockets, name) for name in names)
    assert "websockets" in cesdk.bindings.__all__
