"""The NATS protocol binding (bindings/nats-protocol-binding.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cesdk
from cesdk import NO_DATA, CloudEvent
from cesdk.bindings import nats
from cesdk.formats import json as ce_json


class Msg:
    """A stand-in for nats-py's Msg: subject, reply, data, headers (None when absent)."""

    def __init__(self, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.subject = "mySubject"
        self.reply = ""
        self.data = data
        self.headers = headers


HEADERS = {
    "ce-specversion": "1.0",
    "ce-type": "com.example.someevent",
    "ce-time": "2018-04-05T03:56:24Z",
    "ce-id": "1234-1234-1234",
    "ce-source": "/mycontext/subcontext",
}


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext/subcontext")
    kwargs.setdefault("id", "1234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T03:56:24Z")
    return CloudEvent(**kwargs)


# -- 3.1 binary mode ----------------------------------------------------------------------


def test_binary_mode_maps_every_attribute_including_datacontenttype() -> None:
    """nats-protocol-binding.md 3.1.2/3.1.3.1: all attributes, datacontenttype included,
    become `ce-` headers."""
    event = make(data={"k": "v"}, datacontenttype="application/json", extensions={"n": 5})
    msg = nats.to_binary(event)
    assert msg.headers == {**HEADERS, "ce-datacontenttype": "application/json", "ce-n": "5"}
    assert json.loads(msg.data) == {"k": "v"}
    assert nats.from_nats(msg) == event


def test_binary_json_data_without_content_type_states_application_json() -> None:
    """spec.md datacontenttype: translating, set the implied type explicitly."""
    msg = nats.to_binary(make(data=[1, 2]))
    assert msg.headers["ce-datacontenttype"] == "application/json"


def test_binary_mode_spec_example() -> None:
    """nats-protocol-binding.md 3.1.4: the binary-mode example decodes."""
    headers = {**HEADERS, "ce-datacontenttype": "application/json"}
    event = nats.from_nats(Msg(b'{\n  "k": 1\n}', headers))
    assert event.type == "com.example.someevent"
    assert event.datacontenttype == "application/json"
    assert event.data == {"k": 1}


def test_header_values_are_percent_encoded() -> None:
    """nats-protocol-binding.md 3.1.3.2: space, `"`, `%` and non-ASCII are percent-encoded."""
    event = make(subject='Euro \u20ac "q" 100%')
    msg = nats.to_binary(event)
    assert msg.headers["ce-subject"] == "Euro%20%E2%82%AC%20%22q%22%20100%25"
    assert nats.from_nats(msg) == event


def test_header_values_decoding_rules() -> None:
    """nats-protocol-binding.md 3.1.3.2: quoted-strings, lower-case hex, reject bad UTF-8."""
    assert nats.from_nats(Msg(b"", {**HEADERS, "ce-subject": '"a b"'})).subject == "a b"
    assert nats.from_nats(Msg(b"", {**HEADERS, "ce-subject": "%e2%82%ac"})).subject == "\u20ac"
    with pytest.raises(cesdk.DecodeError):
        nats.from_nats(Msg(b"", {**HEADERS, "ce-subject": "%C0%A0"}))
    with pytest.raises(cesdk.DecodeError):
        nats.from_nats(Msg(b"", {**HEADERS, "ce-subject": "%zz"}))


@pytest.mark.parametrize("text", ["trailing ", " leading", " "])
def test_spaces_at_the_edges_survive(text: str) -> None:
    """nats-protocol-binding.md 3.1.3.2: an encoded space is data, not whitespace."""
    assert nats.from_nats(nats.to_binary(make(subject=text))).subject == text


def test_header_names_are_case_insensitive() -> None:
    """nats-protocol-binding.md 3.1.3.1: header names are case-insensitive."""
    headers = {name.upper(): value for name, value in HEADERS.items()}
    headers["CE-DataContentType"] = "text/plain"
    event = nats.from_nats(Msg(b"hi", headers))
    assert event.id == "1234-1234-1234"
    assert event.data == "hi"


def test_plain_content_type_stands_in_for_datacontenttype() -> None:
    """nats-protocol-binding.md 3.1 (module note): a non-CloudEvents Content-Type is read
    as datacontenttype when ce-datacontenttype is absent."""
    event = nats.from_nats(Msg(b'{"a":1}', {**HEADERS, "Content-Type": "application/json"}))
    assert event.datacontenttype == "application/json"
    assert event.data == {"a": 1}


def test_binary_body_is_the_data() -> None:
    """nats-protocol-binding.md 3.1.1: the data byte-sequence is the message body."""
    payload = bytes(range(256))
    event = make(data=payload, datacontenttype="application/octet-stream")
    msg = nats.to_binary(event)
    assert msg.data == payload
    assert nats.from_nats(Msg(msg.data, msg.headers)) == event


def test_no_data_and_null_data_differ() -> None:
    """json-format.md 3.1.1 over nats 3.1.1: an explicit null payload is not no data."""
    none = nats.to_binary(make())
    null = nats.to_binary(make(data=None))
    assert none.data == b""
    assert null.data == b"null"
    assert nats.from_nats(none).data is NO_DATA
    assert nats.from_nats(null).data is None


def test_json_string_datum_keeps_its_quotes() -> None:
    """json-format.md 3.2: a JSON string datum is written quoted."""
    event = make(data="I'm just a string")
    msg = nats.to_binary(event)
    assert msg.data == b'"I\'m just a string"'
    assert nats.from_nats(msg) == event


# -- 3.2 structured mode ---------------------------------------------------------------------


def test_structured_mode() -> None:
    """nats-protocol-binding.md 3.2: the payload is the JSON event format."""
    event = make(data={"a": 1})
    msg = nats.to_structured(event)
    assert msg.data == ce_json.encode(event)
    content_type = {k.lower(): v for k, v in msg.headers.items()}["content-type"]
    assert content_type.lower().startswith("application/cloudevents+json")
    assert nats.from_nats(msg) == event


@pytest.mark.parametrize(
    "content_type", ["application/cloudevents+json", "APPLICATION/CloudEvents+JSON; charset=UTF-8"]
)
def test_structured_mode_chosen_by_content_type(content_type: str) -> None:
    """nats-protocol-binding.md 3: Content-Type application/cloudevents (any case) means
    structured, even next to ce- headers."""
    event = make(id="from-body", data={"a": 1})
    headers = {**HEADERS, "ce-id": "from-header", "Content-Type": content_type}
    assert nats.from_nats(Msg(ce_json.encode(event), headers)) == event


@pytest.mark.parametrize("headers", [None, {}])
def test_message_without_headers_is_structured(headers: dict[str, str] | None) -> None:
    """nats-protocol-binding.md 3: before NATS 2.2 (no headers) the mode is structured."""
    event = make(data={"a": 1})
    assert nats.from_nats(Msg(ce_json.encode(event), headers)) == event


def test_message_without_headers_and_non_event_payload_is_a_decode_error() -> None:
    """nats-protocol-binding.md 3: a header-less payload must be a structured event."""
    with pytest.raises(cesdk.DecodeError):
        nats.from_nats(Msg(b"hello", None))


def test_missing_required_headers_are_named() -> None:
    """spec.md REQUIRED Attributes: each missing one is named in .errors."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        nats.from_nats(Msg(b"", {"ce-id": "1", "ce-type": "t"}))
    assert set(info.value.errors) == {"specversion", "source"}


def test_from_nats_accepts_nats_message_values() -> None:
    """STYLE.md 7: NatsMessage is the binding's frozen message value."""
    event = make(data="hi", datacontenttype="text/plain")
    msg = nats.to_binary(event)
    assert isinstance(msg, nats.NatsMessage)
    assert nats.from_nats(msg) == event
    with pytest.raises(AttributeError):
        msg.data = b"x"  # type: ignore[misc]
