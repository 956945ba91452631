"""Hypothesis strategies for valid CloudEvents (in the manner of attrs' tests/strategies.py).

Every value drawn here is valid per spec.md "Type System" and "Context Attributes",
built from the spec's own rules rather than from cesdk's validators, so the tests do not
check cesdk against itself.

Data is drawn per *data mode*, because the formats and bindings map data differently
(json-format.md 3.1; http-protocol-binding.md 3.1.2; kafka-protocol-binding.md 3.2.2;
nats-protocol-binding.md 3.1.1):

* ``"format"`` (JSON format, and every structured or batched mode): any data at all;
  ``data``/``data_base64`` keep the runtime type.
* ``"binary"`` (HTTP and NATS binary mode): the body is just bytes, so the decoder reads
  a JSON content type as a JSON value, ``text/*`` (and other textual types) as ``str``,
  anything else as ``bytes``; an *empty* body means "no data". Data is drawn to match:
  JSON values only with a JSON (or no) content type, ``str`` only with a textual type and
  non-empty, ``bytes`` only with a non-JSON, non-textual (or no) type and non-empty.
* ``"kafka"`` (Kafka binary mode): as ``"binary"``, but Kafka tells a null value (no
  data) from an empty one, so empty ``str`` and ``bytes`` data are drawn as well.
"""

from __future__ import annotations

import calendar
from typing import Any

from hypothesis import strategies as st

import cesdk

__all__ = [
    "BINARY_CONTENT_TYPES",
    "CORE_NAMES",
    "JSON_CONTENT_TYPES",
    "NONCHARACTERS",
    "TEXT_CONTENT_TYPES",
    "absolute_uris",
    "ce_strings",
    "event_batches",
    "events",
    "extension_names",
    "extension_values",
    "json_values",
    "rfc3339_timestamps",
    "uri_references",
]

CORE_NAMES = frozenset(
    {"specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time"}
)

# spec.md "Type System", String: Unicode noncharacters (U+FDD0-U+FDEF and the last two
# code points of every plane).
NONCHARACTERS = [chr(c) for c in range(0xFDD0, 0xFDF0)] + [
    chr(plane * 0x10000 + low) for plane in range(17) for low in (0xFFFE, 0xFFFF)
]

# Category Cc is exactly U+0000-U+001F and U+007F-U+009F; Cs are the surrogates.
_STRING_CHARS = st.characters(exclude_categories=("Cc", "Cs"), exclude_characters=NONCHARACTERS)

#: Non-empty CloudEvents Strings (id, type, subject).
ce_strings = st.text(_STRING_CHARS, min_size=1, max_size=24)

# JSON content types ("*/json" or "*/*+json", json-format.md 3.1.1), in mixed case on
# purpose: spec.md "datacontenttype" says the media type is case-insensitive.
JSON_CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON",
    "text/json",
    "application/vnd.api+json",
    "application/ld+json; charset=UTF-8",
]
TEXT_CONTENT_TYPES = [
    "text/plain",
    "text/plain; charset=utf-8",
    "TEXT/Plain; CharSet=utf-8",
    "text/html",
    "text/csv",
    "application/xml",
    "image/svg+xml",
]
BINARY_CONTENT_TYPES = [
    "application/octet-stream",
    "image/png",
    "application/avro",
    "application/vnd.apache.thrift.binary",
    "application/protobuf",
]
_ALL_CONTENT_TYPES = JSON_CONTENT_TYPES + TEXT_CONTENT_TYPES + BINARY_CONTENT_TYPES

# RFC 3986 section 2.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
_SUB_DELIMS = "!$&'()*+,;="
_PCT_ENCODED = st.tuples(
    st.sampled_from("0123456789ABCDEFabcdef"), st.sampled_from("0123456789ABCDEFabcdef")
).map(lambda hx: "%" + hx[0] + hx[1])


def _chars_or_pct(alphabet: str, min_size: int = 0, max_size: int = 8) -> st.SearchStrategy[str]:
    return st.lists(
        st.one_of(st.sampled_from(alphabet), _PCT_ENCODED), min_size=min_size, max_size=max_size
    ).map("".join)


_PCHAR = _UNRESERVED + _SUB_DELIMS + ":@"
_segment = _chars_or_pct(_PCHAR)
_path_abempty = st.lists(_segment, max_size=4).map(lambda segs: "".join("/" + s for s in segs))
_query = _chars_or_pct(_PCHAR + "/?")
_scheme = st.from_regex(r"[a-z][a-z0-9+.\-]{0,7}", fullmatch=True)
_host = st.from_regex(r"[a-z0-9][a-z0-9\-]{0,10}(\.[a-z]{2,5}){0,2}", fullmatch=True)


@st.composite
def absolute_uris(draw: st.DrawFn) -> str:
    """An absolute URI (RFC 3986 section 4.3): scheme, hierarchy, optional query, no fragment."""
    scheme = draw(_scheme)
    if draw(st.booleans()):
        hier = "//" + draw(_host) + draw(_path_abempty)
    else:  # urn:..., mailto:..., a path-rootless
        hier = draw(_chars_or_pct(_PCHAR, min_size=1))
    query = draw(st.one_of(st.just(""), _query.map(lambda q: "?" + q)))
    return f"{scheme}:{hier}{query}"


@st.composite
def uri_references(draw: st.DrawFn) -> str:
    """A non-empty URI-reference (RFC 3986 section 4.1), as ``source`` requires."""
    fragment = draw(st.one_of(st.just(""), _query.map(lambda f: "#" + f)))
    kind = draw(st.sampled_from(["absolute", "path", "relative-segment"]))
    if kind == "absolute":
        return draw(absolute_uris()) + fragment
    if kind == "path":
        # path-absolute: "/" then segments, the first non-empty ("//x" would be an authority).
        segments = draw(st.lists(_segment, max_size=4))
        if segments and not segments[0]:
            segments[0] = "p"
        return "/" + "/".join(segments) + fragment
    # path-noscheme: the first segment has no ':' (spec.md example "1-555-123-4567").
    first = draw(_chars_or_pct(_UNRESERVED + _SUB_DELIMS + "@", min_size=1))
    return first + draw(_path_abempty) + fragment


@st.composite
def rfc3339_timestamps(draw: st.DrawFn) -> str:
    """RFC 3339 date-time text, including the forms that ``datetime`` cannot hold.

    Leap seconds (``:60``), lowercase ``t``/``z`` and up to nine fraction digits all
    appear (spec.md "Type System", Timestamp). Years start at 0001: 0000 is valid RFC 3339
    but cesdk rejects it (a Python datetime cannot hold it; see test_types.py).
    """
    year = draw(st.integers(1, 9999))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    second = draw(st.integers(0, 60))
    fraction = draw(st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,9}", fullmatch=True)))
    sep = draw(st.sampled_from("Tt"))
    offset = draw(
        st.one_of(
            st.sampled_from(["Z", "z"]),
            st.tuples(st.sampled_from("+-"), st.integers(0, 23), st.integers(0, 59)).map(
                lambda o: f"{o[0]}{o[1]:02d}:{o[2]:02d}"
            ),
        )
    )
    return (
        f"{year:04d}-{month:02d}-{day:02d}{sep}{hour:02d}:{minute:02d}:{second:02d}"
        f"{fraction}{offset}"
    )


extension_names = st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True).filter(
    lambda n: n not in CORE_NAMES and n != "data"
)
extension_values = st.one_of(
    st.booleans(),
    st.integers(-(2**31), 2**31 - 1),
    st.text(_STRING_CHARS, max_size=24).filter(lambda s: s == s.strip(" ")),  # see ce_strings
    st.binary(max_size=16),
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _optional(values: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(values))


def data_and_content_type(mode: str) -> st.SearchStrategy[tuple[Any, str | None]]:
    """Draw ``(data, datacontenttype)`` that the given data mode carries faithfully.

    See the module docstring for the modes. In the binary modes the content types
    ``application/cloudevents*`` are never drawn: as a binary ``Content-Type`` they would
    mark the message as structured (http-protocol-binding.md section 3).
    """
    if mode == "format":
        return st.one_of(
            st.tuples(st.just(cesdk.NO_DATA), _optional(_ALL_CONTENT_TYPES)),
            st.tuples(json_values, _optional(JSON_CONTENT_TYPES)),
            st.tuples(st.text(max_size=32), _optional(_ALL_CONTENT_TYPES)),
            st.tuples(st.binary(max_size=32), _optional(_ALL_CONTENT_TYPES)),
        )
    min_size = 0 if mode == "kafka" else 1  # an empty HTTP/NATS body is "no data"
    return st.one_of(
        st.tuples(st.just(cesdk.NO_DATA), _optional(_ALL_CONTENT_TYPES)),
        # JSON values include str: with a JSON (or no) content type a str is a JSON string.
        st.tuples(json_values, _optional(JSON_CONTENT_TYPES)),
        st.tuples(st.text(min_size=min_size, max_size=32), st.sampled_from(TEXT_CONTENT_TYPES)),
        st.tuples(st.binary(min_size=min_size, max_size=32), _optional(BINARY_CONTENT_TYPES)),
    )


@st.composite
def events(draw: st.DrawFn, mode: str = "format") -> cesdk.CloudEvent:
    """A valid CloudEvent whose data the given data mode carries faithfully."""
    data, content_type = draw(data_and_content_type(mode))
    return cesdk.CloudEvent(
        type=draw(ce_strings),
        source=draw(uri_references()),
        id=draw(ce_strings),
        time=draw(st.one_of(st.none(), rfc3339_timestamps())),
        subject=draw(st.one_of(st.none(), ce_strings)),
        dataschema=draw(st.one_of(st.none(), absolute_uris())),
        datacontenttype=content_type,
        data=data,
        extensions=draw(st.dictionaries(extension_names, extension_values, max_size=4)),
    )


def event_batches(mode: str = "format") -> st.SearchStrategy[list[cesdk.CloudEvent]]:
    """Lists of valid events, the empty batch included (json-format.md 4.3)."""
    return st.lists(events(mode), max_size=3)
