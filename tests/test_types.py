"""The CloudEvents type system (spec.md "Type System", "Naming Conventions", attributes)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

import cesdk
from cesdk.bindings import http, kafka
from cesdk.formats import json as ce_json

BASE = b'{"specversion":"1.0","id":"1","source":"/s","type":"t"'


def make(**kwargs: Any) -> cesdk.CloudEvent:
    """An event with fixed required attributes and no time, overridden by kwargs."""
    kwargs.setdefault("type", "com.example.t")
    kwargs.setdefault("source", "/s")
    kwargs.setdefault("id", "1")
    kwargs.setdefault("time", None)
    return cesdk.CloudEvent(**kwargs)


def errors_of(**kwargs: Any) -> dict[str, str]:
    with pytest.raises(cesdk.InvalidEventError) as info:
        make(**kwargs)
    return info.value.errors


def decode_with(members: bytes) -> cesdk.CloudEvent:
    return ce_json.decode(BASE + members + b"}")


# -- Boolean -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "text"), [(True, "true"), (False, "false")])
def test_boolean_canonical_string_in_headers(value: bool, text: str) -> None:
    """spec.md Type System: Boolean's string encoding is case-sensitive `true`/`false`."""
    event = make(extensions={"flag": value})
    assert http.to_binary(event).headers["ce-flag"] == text
    assert dict(kafka.to_binary(event).headers)["ce_flag"] == text.encode()


@pytest.mark.parametrize("value", [True, False])
def test_boolean_is_a_json_boolean_in_the_json_format(value: bool) -> None:
    """json-format.md 2.2: Boolean maps to a JSON boolean."""
    body = ce_json.encode(make(extensions={"flag": value}))
    assert (b'"flag":true' if value else b'"flag":false') in body
    assert ce_json.decode(body).extensions["flag"] is value


# -- Integer -----------------------------------------------------------------------


@pytest.mark.parametrize("value", [-(2**31), -1, 0, 1, 2**31 - 1])
def test_integer_in_int32_range_is_accepted(value: int) -> None:
    """spec.md Type System: Integer is -2,147,483,648 to +2,147,483,647 inclusive."""
    assert make(extensions={"n": value}).extensions["n"] == value


@pytest.mark.parametrize("value", [-(2**31) - 1, 2**31, 2**63, -(2**63)])
def test_integer_one_past_int32_is_rejected(value: int) -> None:
    """spec.md Type System: Integer values outside the signed 32-bit range are invalid."""
    errors = errors_of(extensions={"n": value})
    assert list(errors) == ["n"]
    assert "32-bit" in errors["n"]


@pytest.mark.parametrize(
    ("literal", "ok"),
    [
        (b"2147483647", True),
        (b"-2147483648", True),
        (b"2147483648", False),
        (b"-2147483649", False),
    ],
)
def test_integer_bounds_on_the_wire(literal: bytes, ok: bool) -> None:
    """spec.md Type System + json-format.md 2.2: the int32 range holds for decoded events too."""
    if ok:
        assert decode_with(b',"n":' + literal).extensions["n"] == int(literal)
    else:
        with pytest.raises(cesdk.InvalidMessageError) as info:
            decode_with(b',"n":' + literal)
        assert list(info.value.errors) == ["n"]


@pytest.mark.parametrize("literal", [b"1.5", b"5.0", b"1e2"])
def test_json_number_with_fraction_or_exponent_is_not_an_integer(literal: bytes) -> None:
    """json-format.md 2.2: Integer is only the integer component of a JSON number."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_with(b',"n":' + literal)
    assert "n" in info.value.errors


def test_integer_canonical_string() -> None:
    """spec.md Type System: Integer's string encoding is the integer, optional minus sign."""
    event = make(extensions={"n": -42, "m": 2**31 - 1})
    headers = http.to_binary(event).headers
    assert headers["ce-n"] == "-42"
    assert headers["ce-m"] == "2147483647"


def test_float_is_not_a_cloudevents_type() -> None:
    """spec.md Type System: there is no floating-point type."""
    assert "x" in errors_of(extensions={"x": 1.5})


# -- String ------------------------------------------------------------------------

BAD_STRING_CHARS = [
    "\x00",
    "\x0a",
    "\x1f",
    "\x7f",
    "\x80",
    "\x9f",
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0001ffff",
    "\U0010ffff",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
]
GOOD_STRING_CHARS = [" ", "~", "\xa0", "\ufdcf", "\ufdf0", "\ufffd", "\U0001f600", "\U0001fffd"]


@pytest.mark.parametrize("char", BAD_STRING_CHARS, ids=lambda c: f"U+{ord(c):04X}")
def test_string_rejects_controls_noncharacters_and_lone_surrogates(char: str) -> None:
    """spec.md Type System: String excludes U+0000-U+001F, U+007F-U+009F, noncharacters
    and unpaired surrogates."""
    errors = errors_of(subject=f"a{char}b", extensions={"ext": f"{char}"})
    assert set(errors) == {"subject", "ext"}
    assert f"U+{ord(char):04X}" in errors["subject"]


@pytest.mark.parametrize("char", GOOD_STRING_CHARS, ids=lambda c: f"U+{ord(c):04X}")
def test_string_accepts_other_characters(char: str) -> None:
    """spec.md Type System: characters outside the excluded ranges are allowed."""
    event = make(subject=f"a{char}b", extensions={"ext": char})
    assert event.subject == f"a{char}b"
    assert event.extensions["ext"] == char


def test_string_escaped_surrogate_pair_is_one_legal_character() -> None:
    """spec.md Type System: "\\uD800\\uDEAD" is legal (a pair); "\\uDEAD" alone is not."""
    event = decode_with(b',"subject":"\\uD800\\uDEAD"')
    assert event.subject == "\U000102ad"
    with pytest.raises(cesdk.DecodeError):
        decode_with(b',"subject":"\\uDEAD"')


def test_string_nul_escape_in_json_is_rejected_naming_the_attribute() -> None:
    """spec.md Type System: U+0000 is not allowed, even written as a JSON escape."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_with(b',"subject":"a\\u0000b"')
    assert list(info.value.errors) == ["subject"]


@pytest.mark.parametrize("name", ["id", "type", "subject"])
def test_required_strings_are_non_empty(name: str) -> None:
    """spec.md REQUIRED/OPTIONAL Attributes: id, type, subject MUST be non-empty."""
    assert name in errors_of(**{name: ""})


def test_empty_string_extension_is_allowed() -> None:
    """spec.md Type System: a String may be empty unless an attribute says otherwise."""
    assert make(extensions={"ext": ""}).extensions["ext"] == ""


@pytest.mark.parametrize("name", ["id", "type", "subject"])
def test_string_attribute_rejects_other_types(name: str) -> None:
    """spec.md Context Attributes: id/type/subject are of type String."""
    assert name in errors_of(**{name: 5})


# -- Binary ------------------------------------------------------------------------


def test_binary_canonical_string_is_base64() -> None:
    """spec.md Type System: Binary's string encoding is Base64 (RFC 4648)."""
    event = make(extensions={"raw": b"\x00\xff\x10"})
    assert http.to_binary(event).headers["ce-raw"] == "AP8Q"
    assert b'"raw":"AP8Q"' in ce_json.encode(event)


def test_binary_extension_equals_its_canonical_string() -> None:
    """spec.md Type System: a value and its canonical string are the same attribute value."""
    assert make(extensions={"raw": b"\x00\xff"}) == make(extensions={"raw": "AP8="})


def test_data_base64_decodes_to_bytes() -> None:
    """json-format.md 3.1.2: data_base64 MUST be decoded into a binary runtime type."""
    payload = bytes(range(256))
    text = base64.b64encode(payload)
    assert decode_with(b',"data_base64":"' + text + b'"').data == payload


@pytest.mark.parametrize("text", [b"!!!!", b"AP8", b"A P8=", b"AP8=\\n"])
def test_invalid_base64_is_rejected_naming_data_base64(text: bytes) -> None:
    """spec.md Type System: Binary is Base64 per RFC 4648; anything else is invalid."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_with(b',"data_base64":"' + text + b'"')
    assert "data_base64" in info.value.errors


# -- URI and URI-reference -----------------------------------------------------------

SPEC_SOURCES = [
    "https://github.com/cloudevents",
    "mailto:cncf-wg-serverless@lists.cncf.io",
    "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
    "/cloudevents/spec/pull/123",
    "/sensors/tn-1234567/alerts",
    "1-555-123-4567",
    "http://[::1]:8080/x?y=1#frag",
    "#fragment-only",
    "/path%20with%20escapes",
    "//authority/only",
]


@pytest.mark.parametrize("source", SPEC_SOURCES)
def test_source_accepts_uri_references(source: str) -> None:
    """spec.md source: a non-empty URI-reference (RFC 3986 4.1); examples from the spec."""
    assert make(source=source).source == source


@pytest.mark.parametrize(
    "source", ["", "a b", "/x%zz", "/x%4", "http://a/b#c#d", "/caf\xe9", "1:abc", "/x\ny", "<x>"]
)
def test_source_rejects_non_uri_references(source: str) -> None:
    """spec.md source: MUST be a non-empty URI-reference."""
    assert list(errors_of(source=source)) == ["source"]


@pytest.mark.parametrize(
    "value",
    [
        "urn:example:foo%20bar",
        "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66#part",
        "tag:example.com,2024:a%2Fb",
    ],
)
def test_uri_with_second_colon_and_escape(value: str) -> None:
    """spec.md Type System, URI-reference (RFC 3986 4.1): ':' is a pchar after the scheme."""
    assert make(source=value).source == value


@pytest.mark.parametrize(
    "uri", ["https://example.com/schema.json", "urn:example:schema", "http://h:80/a?b=c"]
)
def test_dataschema_accepts_absolute_uris(uri: str) -> None:
    """spec.md dataschema: Type URI, an absolute URI (RFC 3986 4.3)."""
    assert make(dataschema=uri).dataschema == uri


@pytest.mark.parametrize(
    "uri", ["", "/relative", "schema.json", "https://example.com/s#frag", "http://a b/"]
)
def test_dataschema_rejects_non_absolute_uris(uri: str) -> None:
    """spec.md dataschema: MUST be a non-empty absolute URI (no relative ref, no fragment)."""
    assert list(errors_of(dataschema=uri)) == ["dataschema"]


# -- Timestamp -----------------------------------------------------------------------

VALID_TIMESTAMPS = [
    "2018-04-05T17:31:00Z",
    "1985-04-12T23:20:50.52Z",
    "1996-12-19T16:39:57-08:00",
    "1990-12-31T23:59:60Z",  # RFC 3339 5.8: leap second
    "1990-12-31T15:59:60-08:00",
    "2018-04-05t17:31:00z",  # RFC 3339 5.6 NOTE: lowercase t and z
    "2018-04-05T17:31:00.123456789Z",
    "2018-04-05T17:31:00.1Z",
    "2020-02-29T00:00:00Z",
    "2000-02-29T00:00:00Z",
    "2018-04-05T17:31:00-00:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
]
INVALID_TIMESTAMPS = [
    "2018-04-05T17:31:00+0000",  # offset without colon
    "20180405T173100Z",  # ISO 8601 basic format
    "2018-W14-4T17:31:00Z",  # week date
    "2018-095T17:31:00Z",  # ordinal date
    "2018-04-05T17:31Z",  # missing seconds
    "2018-04-05T17:31:00",  # missing offset
    "2018-04-05",  # date only
    "2018-02-30T00:00:00Z",  # Feb 30
    "2019-02-29T00:00:00Z",  # not a leap year
    "1900-02-29T00:00:00Z",  # century, not a leap year
    "2018-04-31T00:00:00Z",  # April has 30 days
    "2018-13-01T00:00:00Z",  # month 13
    "2018-00-01T00:00:00Z",  # month 0
    "2018-04-00T00:00:00Z",  # day 0
    "2018-04-05T24:00:00Z",  # hour 24
    "2018-04-05T17:60:00Z",  # minute 60
    "2018-04-05T17:31:61Z",  # second 61
    "2018-04-05T17:31:00+24:00",  # offset hour 24
    "2018-04-05T17:31:00.Z",  # empty fraction
    "2018-04-05 17:31:00Z",  # space instead of T
    " 2018-04-05T17:31:00Z",
    "2018-04-05T17:31:00Z\n",
    "2018-04-05T17:31:00,5Z",  # comma fraction
    "+2018-04-05T17:31:00Z",
    "18-04-05T17:31:00Z",
]


@pytest.mark.parametrize("text", VALID_TIMESTAMPS)
def test_timestamp_accepts_rfc3339(text: str) -> None:
    """spec.md Type System: Timestamp is RFC 3339, including leap seconds and t/z."""
    event = make(time=text)
    assert event["time"].rfc3339 == text
    assert str(event.time) == text
    assert event.attributes["time"] == text


@pytest.mark.parametrize("text", INVALID_TIMESTAMPS)
def test_timestamp_rejects_non_rfc3339(text: str) -> None:
    """spec.md Type System: Timestamp MUST be RFC 3339 date-time; nothing looser."""
    errors = errors_of(time=text)
    assert list(errors) == ["time"]


@pytest.mark.parametrize("text", INVALID_TIMESTAMPS[:6])
def test_timestamp_rejected_on_the_wire_too(text: str) -> None:
    """spec.md time + json-format.md 2.2: a decoder rejects a non-RFC 3339 time."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_with(b',"time":"' + text.encode() + b'"')
    assert list(info.value.errors) == ["time"]


def test_timestamp_nine_fraction_digits_survive_round_trips() -> None:
    """spec.md Type System: Timestamp is RFC 3339 text; DESIGN: sub-microsecond digits survive."""
    text = "2018-04-05T17:31:00.123456789Z"
    event = make(time=text)
    assert b'"time":"2018-04-05T17:31:00.123456789Z"' in ce_json.encode(event)
    assert ce_json.decode(ce_json.encode(event)).time.rfc3339 == text
    headers = http.to_binary(event).headers
    assert headers["ce-time"] == text
    assert http.from_http(headers, b"").time.rfc3339 == text
    assert event.time.microsecond == 123456


def test_timestamp_leap_second_reads_as_the_nearest_datetime() -> None:
    """spec.md Type System: Timestamp must convert to the native type that best fits."""
    stamp = make(time="1990-12-31T23:59:60Z").time
    assert stamp.rfc3339 == "1990-12-31T23:59:60Z"
    assert (stamp.year, stamp.month, stamp.day) == (1990, 12, 31)
    assert (stamp.hour, stamp.minute, stamp.second) == (23, 59, 59)


def test_timestamp_is_a_timezone_aware_datetime() -> None:
    """spec.md Type System: time is the language's native datetime type."""
    stamp = make(time="1996-12-19T16:39:57-08:00").time
    assert isinstance(stamp, datetime)
    assert stamp.utcoffset() == timedelta(hours=-8)
    assert stamp == datetime(1996, 12, 20, 0, 39, 57, tzinfo=UTC)


def test_timestamp_settable_from_a_datetime_and_written_as_rfc3339() -> None:
    """spec.md Type System: time MUST be convertible to an RFC 3339 string."""
    event = make(time=datetime(2018, 4, 5, 17, 31, 0, 500, tzinfo=UTC))
    assert event.attributes["time"] == "2018-04-05T17:31:00.000500Z"
    plus_two = timezone(timedelta(hours=2))
    event = make(time=datetime(2018, 4, 5, 19, 31, tzinfo=plus_two))
    assert http.to_binary(event).headers["ce-time"] == "2018-04-05T19:31:00+02:00"


def test_naive_datetime_is_rejected() -> None:
    """spec.md Type System: RFC 3339 needs an offset, so a naive datetime is not a Timestamp."""
    assert list(errors_of(time=datetime(2018, 4, 5, 17, 31))) == ["time"]


def test_timestamp_public_parse() -> None:
    """spec.md Type System: cesdk.Timestamp parses and keeps RFC 3339 text."""
    stamp = cesdk.Timestamp.parse("2018-04-05t17:31:00.5z")
    assert stamp.rfc3339 == "2018-04-05t17:31:00.5z"
    assert stamp == datetime(2018, 4, 5, 17, 31, 0, 500000, tzinfo=UTC)
    with pytest.raises(ValueError, match="RFC 3339"):
        cesdk.Timestamp.parse("2018-04-05T17:31Z")


def test_year_zero_is_rejected_or_readable() -> None:
    """spec.md Type System: RFC 3339 date-fullyear is 4DIGIT; reading `time` never crashes."""
    errors: dict[str, str] = {}
    event = None
    try:
        event = make(time="0000-01-01T00:00:00Z")
    except cesdk.InvalidEventError as exc:
        errors = exc.errors
    if event is None:
        assert list(errors) == ["time"]
    else:
        assert event.time is not None
        assert event.time.rfc3339 == "0000-01-01T00:00:00Z"
        assert event == make(time="0000-01-01T00:00:00Z")
        assert isinstance(hash(event), int)


# -- attribute names -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "abc", "a1", "1abc", "x" * 30, "comexampleextension1"])
def test_attribute_names_lowercase_alphanumeric(name: str) -> None:
    """spec.md Naming Conventions: [a-z0-9], at least one character (>20 is only a SHOULD)."""
    assert make(extensions={name: "v"}).extensions[name] == "v"


@pytest.mark.parametrize(
    "name", ["abc\n", "\nabc", "ABC", "aBc", "a_b", "a-b", "a.b", "a b", "", "caf\xe9", "\uff41"]
)
def test_attribute_names_reject_anything_else(name: str) -> None:
    """spec.md Naming Conventions: names MUST be [a-z0-9]; no trailing-newline loophole."""
    errors = errors_of(extensions={name: "v"})
    assert list(errors) == [name]


def test_attribute_name_data_is_reserved() -> None:
    """spec.md Naming Conventions: MUST NOT use the name `data`."""
    errors = errors_of(extensions={"data": "v"})
    assert "reserved" in errors["data"]


@pytest.mark.parametrize("name", ["ABC", "a_b", "abc\n"])
def test_bad_attribute_names_on_the_wire(name: str) -> None:
    """spec.md Naming Conventions: decoders reject invalid extension names too."""
    member = b',"' + name.encode().replace(b"\n", b"\\n") + b'":"v"'
    with pytest.raises(cesdk.InvalidMessageError) as info:
        decode_with(member)
    assert list(info.value.errors) == [name]


# -- datacontenttype -------------------------------------------------------------------


@pytest.mark.parametrize(
    "media_type",
    [
        "application/json",
        "text/plain; charset=utf-8",
        "TEXT/Plain; CharSet=utf-8",
        'multipart/mixed; boundary="a b"',
        "application/vnd.apache.thrift.binary",
        "application/ld+json",
    ],
)
def test_datacontenttype_accepts_rfc2046_media_types(media_type: str) -> None:
    """spec.md datacontenttype: MUST adhere to RFC 2046."""
    assert make(datacontenttype=media_type).datacontenttype == media_type


@pytest.mark.parametrize(
    "media_type", ["", "json", "application/", "/json", "text/plain;", "a/b c", "text/plain; x"]
)
def test_datacontenttype_rejects_non_media_types(media_type: str) -> None:
    """spec.md datacontenttype: a value that is not an RFC 2046 media type is invalid."""
    assert list(errors_of(datacontenttype=media_type)) == ["datacontenttype"]


def test_datacontenttype_is_compared_case_insensitively() -> None:
    """spec.md datacontenttype: `text/plain; charset=utf-8` MUST be treated the same as
    `TEXT/Plain; CharSet=utf-8`."""
    lower = make(datacontenttype="text/plain; charset=utf-8", data="x")
    mixed = make(datacontenttype="TEXT/Plain; CharSet=utf-8", data="x")
    assert lower == mixed
    assert hash(lower) == hash(mixed)
    assert lower != make(datacontenttype="text/html; charset=utf-8", data="x")


@pytest.mark.parametrize(
    "media_type", ["APPLICATION/JSON", "Application/Json; Charset=UTF-8", "application/LD+JSON"]
)
def test_json_detection_is_case_insensitive(media_type: str) -> None:
    """spec.md datacontenttype + json-format.md 3.1.1: */json and */*+json in any case."""
    event = make(datacontenttype=media_type, data={"a": [1, 2]})
    assert b'"data":{"a":[1,2]}' in ce_json.encode(event)
    decoded = http.from_http(http.to_binary(event).headers, http.to_binary(event).body)
    assert decoded.data == {"a": [1, 2]}


# -- specversion -----------------------------------------------------------------------


def test_specversion_is_1_0() -> None:
    """spec.md specversion: producers MUST use `1.0`."""
    assert make().specversion == "1.0"
    assert make()["specversion"] == "1.0"


def test_specversion_0_3_is_rejected_with_a_clear_message() -> None:
    """spec.md specversion: this SDK speaks 1.0; 0.3 gets a message that says so."""
    errors = errors_of(specversion="0.3")
    assert list(errors) == ["specversion"]
    assert "0.3" in errors["specversion"]
    assert "1.0" in errors["specversion"]
    with pytest.raises(cesdk.InvalidMessageError) as info:
        ce_json.decode(b'{"specversion":"0.3","id":"1","source":"/s","type":"t"}')
    assert "0.3" in info.value.errors["specversion"]


@pytest.mark.parametrize("value", ["", "1", "1.1", "2.0", " 1.0", 1.0])
def test_specversion_other_values_are_rejected(value: object) -> None:
    """spec.md specversion: the value for this version is exactly the String `1.0`."""
    assert list(errors_of(specversion=value)) == ["specversion"]


def test_specversion_number_on_the_wire_is_rejected() -> None:
    """spec.md specversion + json-format.md 2.2: specversion is a JSON string."""
    with pytest.raises(cesdk.InvalidMessageError) as info:
        ce_json.decode(b'{"specversion":1.0,"id":"1","source":"/s","type":"t"}')
    assert list(info.value.errors) == ["specversion"]
