"""The HTTP protocol binding (bindings/http-protocol-binding.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import cesdk
from cesdk import NO_DATA, CloudEvent
from cesdk.bindings import http
from cesdk.bindings._codec import decode_header_value, encode_header_value
from cesdk.formats import json as ce_json

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


def binary_round_trip(event: CloudEvent) -> CloudEvent:
    msg = http.to_binary(event)
    return http.from_http(msg.headers, msg.body)


# -- 3.1 binary mode ----------------------------------------------------------------------


def test_binary_mode_maps_attributes_to_ce_headers() -> None:
    """http-protocol-binding.md 3.1.3.1: every attribute becomes a `ce-` header."""
    event = make(subject="123", extensions={"comexampleextension1": "value", "n": 5})
    msg = http.to_binary(event)
    assert msg.headers == {**HEADERS, "ce-subject": "123", "ce-comexampleextension1": "value",
                           "ce-n": "5"}  # fmt: skip
    assert msg.body == b""


def test_binary_mode_content_type_is_datacontenttype() -> None:
    """http-protocol-binding.md 3.1.1: Content-Type carries datacontenttype; no
    ce-datacontenttype header."""
    msg = http.to_binary(make(data={"a": 1}, datacontenttype="application/json; charset=utf-8"))
    assert msg.headers["content-type"] == "application/json; charset=utf-8"
    assert "ce-datacontenttype" not in msg.headers
    assert json.loads(msg.body) == {"a": 1}


def test_binary_mode_rejects_ce_datacontenttype_header() -> None:
    """http-protocol-binding.md 3.1.1: a ce-datacontenttype header MUST NOT be present."""
    headers = {**HEADERS, "ce-datacontenttype": "text/plain"}
    with pytest.raises(cesdk.InvalidMessageError) as info:
        http.from_http(headers, b"x")
    assert list(info.value.errors) == ["datacontenttype"]


def test_binary_mode_reads_datacontenttype_from_content_type() -> None:
    """http-protocol-binding.md 3.1.1: datacontenttype is read from Content-Type."""
    event = http.from_http({**HEADERS, "Content-Type": "text/plain; charset=utf-8"}, b"hello")
    assert event.datacontenttype == "text/plain; charset=utf-8"
    assert event.data == "hello"


def test_binary_body_is_the_data() -> None:
    """http-protocol-binding.md 3.1.2: the data byte-sequence is the HTTP body."""
    payload = bytes(range(256))
    event = make(data=payload, datacontenttype="application/octet-stream")
    msg = http.to_binary(event)
    assert msg.body == payload
    assert binary_round_trip(event) == event


def test_json_string_datum_keeps_its_quotes() -> None:
    """json-format.md 3.2 (re-encoded in HTTP binary mode): a JSON string datum is quoted
    and labelled application/json."""
    event = make(data="I'm just a string")
    msg = http.to_binary(event)
    assert msg.body == b'"I\'m just a string"'
    assert msg.headers["content-type"] == "application/json"
    decoded = http.from_http(msg.headers, msg.body)
    assert decoded.data == "I'm just a string"
    assert decoded == event


def test_binary_data_without_content_type_has_no_content_type_header() -> None:
    """json-format.md 3.2: Binary data without datacontenttype has no content-type."""
    event = make(data=b'{ "xyz": 123 }')
    msg = http.to_binary(event)
    assert "content-type" not in msg.headers
    decoded = http.from_http(msg.headers, msg.body)
    assert decoded.data == b'{ "xyz": 123 }'
    assert decoded.datacontenttype is None


def test_json_data_without_content_type_is_labelled_application_json() -> None:
    """spec.md datacontenttype: translating, set the implied application/json explicitly."""
    msg = http.to_binary(make(data={"a": 1}))
    assert msg.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"a":[1,2]}', {"a": [1, 2]}),
        ("Application/JSON; Charset=UTF-8", b"[1]", [1]),
        ("application/vnd.api+json", b"1.5", 1.5),
        ("text/json", b'"s"', "s"),
        ("text/plain", b"caf\xc3\xa9", "caf\xe9"),
        ("TEXT/HTML; charset=utf-8", b"<p/>", "<p/>"),
        ("application/xml", b"<a/>", "<a/>"),
        ("application/octet-stream", b"\x00\xff", b"\x00\xff"),
        ("image/png", b"\x89PNG", b"\x89PNG"),
    ],
)
def test_binary_body_mapping_by_content_type(content_type: str, body: bytes, expected: Any) -> None:
    """http-protocol-binding.md 3.1.2 + json-format.md 3.1: JSON types give a JSON value,
    text gives str, anything else bytes."""
    event = http.from_http({**HEADERS, "content-type": content_type}, body)
    assert event.data == expected
    assert type(event.data) is type(expected)


@pytest.mark.parametrize(
    ("content_type", "text", "body"),
    [
        ("text/plain; charset=latin-1", "caf\xe9", b"caf\xe9"),
        ("text/plain; charset=utf-16-le", "hi", b"h\x00i\x00"),
        ('text/plain; charset="utf-8"', "\u20ac", b"\xe2\x82\xac"),
    ],
)
def test_text_data_is_encoded_in_its_charset(content_type: str, text: str, body: bytes) -> None:
    """json-format.md 3.1.1: a string is stored "properly encoded according to the
    datacontenttype"; in binary mode that is the body's charset."""
    event = make(data=text, datacontenttype=content_type)
    msg = http.to_binary(event)
    assert msg.body == body
    assert http.from_http(msg.headers, msg.body) == event


def test_text_data_that_its_charset_cannot_hold_is_an_encode_error() -> None:
    """json-format.md 3.1.1: an implementation MAY fail if it cannot encode the string."""
    event = make(data="\u20ac", datacontenttype="text/plain; charset=latin-1")
    with pytest.raises(cesdk.EncodeError):
        http.to_binary(event)


def test_text_body_that_does_not_decode_stays_bytes() -> None:
    """http-protocol-binding.md 3.1.2: the body is a byte-sequence; bytes that are not text
    in the declared charset are kept as bytes rather than dropped."""
    event = http.from_http({**HEADERS, "content-type": "text/plain"}, b"\xff\xfe")
    assert event.data == b"\xff\xfe"


def test_no_data_and_null_data_differ_in_binary_mode() -> None:
    """json-format.md 3.1.1: an explicit null payload is distinct from no data."""
    none = http.to_binary(make())
    null = http.to_binary(make(data=None))
    assert none.body == b""
    assert "content-type" not in none.headers
    assert null.body == b"null"
    assert null.headers["content-type"] == "application/json"
    assert http.from_http(none.headers, none.body).data is NO_DATA
    assert http.from_http(null.headers, null.body).data is None


def test_empty_body_is_no_data_even_with_a_content_type() -> None:
    """spec.md datacontenttype: MAY appear with no data; an empty body carries none."""
    event = http.from_http({**HEADERS, "content-type": "application/json"}, b"")
    assert event.data is NO_DATA
    assert event.datacontenttype == "application/json"
    assert binary_round_trip(make(datacontenttype="text/plain")) == make(
        datacontenttype="text/plain"
    )


def test_binary_round_trip_keeps_extension_values() -> None:
    """http-protocol-binding.md 3.1.3.2: values are canonical strings, compared as such."""
    event = make(extensions={"flag": True, "n": -7, "raw": b"\x00\xff", "s": "a b"})
    msg = http.to_binary(event)
    assert msg.headers["ce-flag"] == "true"
    assert msg.headers["ce-n"] == "-7"
    assert msg.headers["ce-raw"] == "AP8="
    assert msg.headers["ce-s"] == "a%20b"
    assert http.from_http(msg.headers, msg.body) == event


def test_header_names_are_case_insensitive() -> None:
    """http-protocol-binding.md 3.1.3.1: header names are case-insensitive."""
    headers = {name.upper(): value for name, value in HEADERS.items()}
    headers["Content-Type"] = "text/plain"
    event = http.from_http(headers, b"x")
    assert event.id == "1234-1234-1234"
    assert event.datacontenttype == "text/plain"


def test_asgi_style_header_list_of_bytes() -> None:
    """http-protocol-binding.md 3.1.3: headers as ASGI gives them, (bytes, bytes) pairs."""
    headers = [(name.encode(), value.encode()) for name, value in HEADERS.items()]
    headers.append((b"content-type", b"application/json"))
    headers.append((b"ce-subject", b"caf%C3%A9"))
    event = http.from_http(headers, b'{"a":1}')
    assert event.id == "1234-1234-1234"
    assert event.subject == "caf\xe9"
    assert event.data == {"a": 1}


def test_asgi_header_list_with_repeated_name_is_rejected() -> None:
    """spec.md Context Attributes: each attribute at most once."""
    headers = [(n.encode(), v.encode()) for n, v in HEADERS.items()] + [(b"CE-ID", b"other")]
    with pytest.raises(cesdk.DecodeError, match="ce-id"):
        http.from_http(headers, b"")


def test_binary_mode_spec_example() -> None:
    """http-protocol-binding.md 3.1.4: the binary-mode example request decodes."""
    headers = {**HEADERS, "Content-Type": "application/json; charset=utf-8"}
    event = http.from_http(headers, b'{\n    "k": "v"\n}')
    assert event.type == "com.example.someevent"
    assert event.time.rfc3339 == "2018-04-05T03:56:24Z"
    assert event.data == {"k": "v"}


# -- 3.1.3.2 header values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("Euro \u20ac \U0001f600", "Euro%20%E2%82%AC%20%F0%9F%98%80"),
        ("a b", "a%20b"),
        ('say "hi"', "say%20%22hi%22"),
        ("100%", "100%25"),
        ("caf\xe9", "caf%C3%A9"),
        ("\xa0", "%C2%A0"),
        ("plain-ascii_!#$&'()*+,/:;<=>?@[\\]^`{|}~", "plain-ascii_!#$&'()*+,/:;<=>?@[\\]^`{|}~"),
    ],
)
def test_header_value_percent_encoding(text: str, encoded: str) -> None:
    """http-protocol-binding.md 3.1.3.2: percent-encode space, `"`, `%` and non-ASCII
    (upper-case hex); leave the rest of U+0021-U+007E alone."""
    assert encode_header_value(text) == encoded
    assert decode_header_value(encoded, "ce-x") == text
    event = make(subject=text)
    msg = http.to_binary(event)
    assert msg.headers["ce-subject"] == encoded
    assert http.from_http(msg.headers, msg.body).subject == text


@pytest.mark.parametrize("text", ["trailing ", " leading", "  both  ", " "])
def test_spaces_at_the_edges_survive(text: str) -> None:
    """http-protocol-binding.md 3.1.3.2: space is percent-encoded, so it survives the OWS
    trimming of header values."""
    event = make(subject=text)
    msg = http.to_binary(event)
    assert " " not in msg.headers["ce-subject"]
    assert http.from_http(msg.headers, msg.body).subject == text


def test_inner_spaces_survive_and_outer_whitespace_is_trimmed() -> None:
    """http-protocol-binding.md 3.1.3.2 / RFC 7230 3.2: OWS around a value is not part of it."""
    assert http.from_http({**HEADERS, "ce-subject": "a%20%20b"}, b"").subject == "a  b"
    assert http.from_http({**HEADERS, "ce-subject": "  a%20b\t"}, b"").subject == "a b"


def test_decoding_accepts_lowercase_hex() -> None:
    """http-protocol-binding.md 3.1.3.2: decoding MUST accept lower-case values."""
    assert decode_header_value("Euro%20%e2%82%ac", "ce-x") == "Euro \u20ac"
    event = http.from_http({**HEADERS, "ce-subject": "%e2%82%ac"}, b"")
    assert event.subject == "\u20ac"


def test_decoding_accepts_unnecessary_percent_encoding() -> None:
    """http-protocol-binding.md 3.1.3.2: unnecessarily encoded values MUST be accepted."""
    assert decode_header_value("%41%42c", "ce-x") == "ABc"
    assert http.from_http({**HEADERS, "ce-subject": "%41"}, b"").subject == "A"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"a b"', "a b"),
        ('"say \\"hi\\""', 'say "hi"'),
        ('"back\\\\slash"', "back\\slash"),
        ('"%41"', "A"),
        ('"100%25"', "100%"),
    ],
)
def test_decoding_unescapes_quoted_strings_first(raw: str, expected: str) -> None:
    """http-protocol-binding.md 3.1.3.2: first undo RFC 7230 3.2.6 quoted-string escaping,
    then one round of percent-decoding."""
    assert decode_header_value(raw, "ce-x") == expected
    assert http.from_http({**HEADERS, "ce-subject": raw}, b"").subject == expected


def test_only_one_round_of_percent_decoding() -> None:
    """http-protocol-binding.md 3.1.3.2: a single round of percent-decoding."""
    assert decode_header_value("%2541", "ce-x") == "%41"


@pytest.mark.parametrize(
    "raw", ["%C0%A0", "%E2%82", "%FF", "%ED%A0%80", "%F4%90%80%80", "%80"], ids=repr
)
def test_invalid_utf8_after_percent_decoding_is_rejected(raw: str) -> None:
    """http-protocol-binding.md 3.1.3.2: invalid UTF-8 (e.g. overlong %C0%A0) MUST be
    rejected."""
    with pytest.raises(cesdk.DecodeError) as info:
        decode_header_value(raw, "ce-subject")
    assert "ce-subject" in str(info.value)
    with pytest.raises(cesdk.DecodeError):
        http.from_http({**HEADERS, "ce-subject": raw}, b"")


@pytest.mark.parametrize("raw", ["%zz", "%", "abc%", "%4", "%4g", "%%41"], ids=repr)
def test_malformed_percent_escape_is_rejected(raw: str) -> None:
    """http-protocol-binding.md 3.1.3.2 / RFC 3986 2.1: `%` needs two hex digits."""
    with pytest.raises(cesdk.DecodeError) as info:
        http.from_http({**HEADERS, "ce-subject": raw}, b"")
    assert info.value.position == "ce-subject"


@pytest.mark.parametrize("raw", ['"unterminated', '"ends with backslash\\'], ids=repr)
def test_malformed_quoted_string_is_rejected(raw: str) -> None:
    """RFC 7230 3.2.6 (via http-protocol-binding.md 3.1.3.2): a quoted-string is closed."""
    with pytest.raises(cesdk.DecodeError):
        http.from_http({**HEADERS, "ce-subject": raw}, b"")


def test_raw_non_ascii_header_is_rejected() -> None:
    """http-protocol-binding.md 3.1.3.2: header values are printable US-ASCII."""
    with pytest.raises(cesdk.DecodeError, match="ce-subject"):
        http.from_http({**HEADERS, "ce-subject": "caf\xe9"}, b"")
    with pytest.raises(cesdk.DecodeError, match="ce-subject"):
        http.from_http([*HEADERS.items(), (b"ce-subject", b"caf\xc3\xa9")], b"")


def test_percent_decoded_control_character_is_an_invalid_attribute() -> None:
    """spec.md Type System (String) via 3.1.3.2: a decoded newline is not a valid String."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        http.from_http({**HEADERS, "ce-subject": "a%0Ab"}, b"")
    assert list(info.value.errors) == ["subject"]


# -- 3.2 structured mode ----------------------------------------------------------------


def test_structured_mode() -> None:
    """http-protocol-binding.md 3.2.1/3.2.2: the event format's media type and body."""
    event = make(data={"a": 1}, extensions={"x": "y"})
    msg = http.to_structured(event)
    assert msg.headers["content-type"].lower().startswith("application/cloudevents+json")
    assert msg.body == ce_json.encode(event)
    assert http.from_http(msg.headers, msg.body) == event


@pytest.mark.parametrize(
    "content_type",
    [
        "application/cloudevents+json",
        "Application/CloudEvents+JSON; charset=UTF-8",
        "APPLICATION/CLOUDEVENTS+JSON",
    ],
)
def test_structured_mode_chosen_by_content_type_case_insensitively(content_type: str) -> None:
    """http-protocol-binding.md 3: the prefix `application/cloudevents` is matched
    case-insensitively."""
    event = make(data={"a": 1})
    assert http.from_http({"Content-Type": content_type}, ce_json.encode(event)) == event


def test_structured_mode_wins_over_ce_headers() -> None:
    """http-protocol-binding.md 3.2.3: headers MAY repeat attributes; the payload rules."""
    event = make(id="from-body", data={"a": 1})
    headers = {**HEADERS, "ce-id": "from-header", "Content-Type": "Application/CloudEvents+Json"}
    decoded = http.from_http(headers, ce_json.encode(event))
    assert decoded.id == "from-body"
    assert decoded == event


def test_structured_with_unsupported_format_is_a_decode_error() -> None:
    """http-protocol-binding.md 3: an event format the receiver cannot handle."""
    with pytest.raises(cesdk.DecodeError, match="xml") as info:
        http.from_http({"content-type": "application/cloudevents+xml"}, b"<event/>")
    assert info.value.position == "content-type"


def test_structured_no_data_and_null_data() -> None:
    """json-format.md 3.1.1 in structured mode: null data is distinct from no data."""
    for event in (make(), make(data=None)):
        msg = http.to_structured(event)
        decoded = http.from_http(msg.headers, msg.body)
        assert decoded == event
        assert decoded.data is event.data


# -- 3.3 batched mode ----------------------------------------------------------------------


def test_batched_mode_round_trip() -> None:
    """http-protocol-binding.md 3.3: the batch media type and a JSON batch body."""
    events = [make(id="1", data={"a": 1}), make(id="2", data=b"\x00"), make(id="3")]
    msg = http.to_batch(events)
    assert msg.headers["content-type"].lower().startswith("application/cloudevents-batch+json")
    assert http.from_http_batch(msg.headers, msg.body) == events


def test_batched_mode_empty() -> None:
    """json-format.md 4.3 over http-protocol-binding.md 3.3: an empty batch."""
    msg = http.to_batch([])
    assert msg.body == b"[]"
    assert http.from_http_batch(msg.headers, msg.body) == []


def test_from_http_on_a_batch_points_to_from_http_batch() -> None:
    """http-protocol-binding.md 3: the batch prefix selects batched mode."""
    msg = http.to_batch([make()])
    with pytest.raises(cesdk.DecodeError, match="from_http_batch"):
        http.from_http(msg.headers, msg.body)
    upper = {"Content-Type": "APPLICATION/CLOUDEVENTS-BATCH+JSON"}
    with pytest.raises(cesdk.DecodeError, match="from_http_batch"):
        http.from_http(upper, msg.body)


def test_from_http_batch_on_a_single_event_points_to_from_http() -> None:
    """http-protocol-binding.md 3: only the batch media type is batched mode."""
    msg = http.to_structured(make())
    with pytest.raises(cesdk.DecodeError, match="from_http"):
        http.from_http_batch(msg.headers, msg.body)
    with pytest.raises(cesdk.DecodeError):
        http.from_http_batch(HEADERS, b"")


def test_batch_with_invalid_item_names_the_index() -> None:
    """json-format.md 4.1 via 3.3: the error names the failing item."""
    body = b'[{"specversion":"1.0","id":"1","source":"/s","type":"t"},{"specversion":"1.0"}]'
    headers = {"content-type": "application/cloudevents-batch+json"}
    with pytest.raises(cesdk.InvalidMessageError) as info:
        http.from_http_batch(headers, body)
    assert "item 1" in str(info.value)
    assert set(info.value.errors) == {"id", "source", "type"}


# -- not a CloudEvent ------------------------------------------------------------------------


def test_message_without_ce_headers_is_not_a_cloudevent() -> None:
    """http-protocol-binding.md 3: without the mandatory ce- headers it is no CloudEvent."""
    with pytest.raises(cesdk.DecodeError):
        http.from_http({"content-type": "application/json"}, b"{}")


def test_message_value_is_frozen() -> None:
    """STYLE.md 7: bindings map to a small frozen message value."""
    msg = http.to_binary(make())
    with pytest.raises(AttributeError):
        msg.body = b"x"  # type: ignore[misc]
