"""Pieces shared by the bindings: the header value codec and the data <-> body mapping."""

from __future__ import annotations

import codecs
import re
from typing import Any

import orjson

from cesdk import formats
from cesdk._errors import DecodeError, EncodeError
from cesdk._event import NO_DATA, CloudEvent
from cesdk._types import is_json_media_type
from cesdk.formats import Format

__all__ = [
    "body_to_data",
    "data_to_body",
    "decode_header_value",
    "encode_header_value",
    "structured_content_type",
    "structured_format",
]

# http-protocol-binding.md 3.1.3.2: percent-encode space, '"', '%' and everything
# outside U+0021-U+007E.
_NEEDS_ENCODING = re.compile(r"[^\x21\x23\x24\x26-\x7e]")
_HEX = "0123456789ABCDEF"
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})?")


def encode_header_value(value: str) -> str:
    """Percent-encode an attribute's canonical string for an HTTP or NATS header."""
    if _NEEDS_ENCODING.search(value) is None:
        return value
    out: list[str] = []
    for ch in value:
        if _NEEDS_ENCODING.match(ch) is None:
            out.append(ch)
        else:
            for byte in ch.encode("utf-8"):
                out.append("%" + _HEX[byte >> 4] + _HEX[byte & 15])
    return "".join(out)


def _unquote(value: str, name: str) -> str:
    """Remove RFC 7230 section 3.2.6 quoted-string quoting, with its backslash escapes."""
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\":
            if i + 1 == len(value):
                raise DecodeError(f"header {name}: a backslash ends the value", position=name)
            out.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        else:
            out.append(ch)
        i += 1
    if quoted:
        raise DecodeError(f"header {name}: unterminated quoted-string", position=name)
    return "".join(out)


def decode_header_value(value: str, name: str) -> str:
    """Decode a header value: quoted-string unescaping, then one round of percent-decoding.

    Raises:
        DecodeError: a malformed escape, non-ASCII text, or bytes that are not UTF-8.
    """
    value = value.strip(" \t")
    if '"' in value:
        value = _unquote(value, name)
    if "%" not in value:
        if not value.isascii():
            raise DecodeError(
                f"header {name}: raw non-ASCII characters; percent-encode them as UTF-8",
                position=name,
            )
        return value
    raw = bytearray()
    at = 0
    for match in _PERCENT.finditer(value):
        chunk = value[at : match.start()]
        if not chunk.isascii():
            raise DecodeError(
                f"header {name}: raw non-ASCII characters; percent-encode them as UTF-8",
                position=name,
            )
        raw += chunk.encode("ascii")
        hex_pair = match.group(1)
        if hex_pair is None:
            raise DecodeError(
                f"header {name}: '%' at position {match.start()} is not followed by two hex digits",
                position=name,
            )
        raw.append(int(hex_pair, 16))
        at = match.end()
    tail = value[at:]
    if not tail.isascii():
        raise DecodeError(
            f"header {name}: raw non-ASCII characters; percent-encode them as UTF-8",
            position=name,
        )
    raw += tail.encode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"header {name}: percent-decoded bytes are not valid UTF-8 at byte {exc.start} "
            "(http-protocol-binding.md 3.1.3.2)",
            position=name,
        ) from None


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            return val.strip().strip('"')
    return None


def _is_textual(content_type: str) -> bool:
    essence = content_type.split(";", 1)[0].strip().lower()
    return (
        essence.startswith("text/")
        or essence == "application/xml"
        or essence.endswith("+xml")
        or _charset(content_type) is not None
    )


def data_to_body(event: CloudEvent) -> tuple[bytes | None, str | None]:
    """Return the binary-mode body of an event (``None`` for no data) and its content type.

    JSON values are written as JSON; without a ``datacontenttype`` such data is
    labelled ``application/json``, the type the JSON format implies (spec.md
    "datacontenttype").
    """
    ct = event.datacontenttype
    data = event._data
    if event._data_json is not None:
        return event._data_json, ct or "application/json"
    if data is NO_DATA:
        return None, ct
    if isinstance(data, bytes):
        return data, ct
    if isinstance(data, str) and ct is not None and not is_json_media_type(ct):
        charset = _charset(ct) or "utf-8"
        try:
            return data.encode(charset), ct
        except (LookupError, ValueError) as exc:
            raise EncodeError(
                f"event {event.id!r}: data cannot be encoded as {charset!r}: {exc}"
            ) from None
    try:
        return orjson.dumps(data), ct or "application/json"
    except orjson.JSONEncodeError as exc:
        raise EncodeError(f"event {event.id!r}: data cannot be written as JSON: {exc}") from None


def body_to_data(
    body: bytes | None, content_type: str | None, *, empty_is_data: bool = False
) -> tuple[Any, bytes | None]:
    """Interpret a binary-mode body; return ``(data, json_bytes_or_None)``.

    JSON content types give a JSON value, textual ones a str (bytes when the charset is
    unknown or the bytes do not decode), anything else bytes. An absent body is "no
    data"; so is an empty one unless ``empty_is_data`` (Kafka tells null from empty).

    Raises:
        DecodeError: a JSON content type over a body that is not JSON.
    """
    if body is None:
        return NO_DATA, None
    if not body:
        if not empty_is_data or (content_type and is_json_media_type(content_type)):
            return NO_DATA, None
        if content_type is not None and _is_textual(content_type):
            return "", None
        return b"", None
    if content_type is None:
        return body, None
    if is_json_media_type(content_type):
        try:
            return orjson.loads(body), body
        except orjson.JSONDecodeError as exc:
            raise DecodeError(
                f"content type {content_type!r} declares JSON, but the body is not JSON: {exc}",
                position=exc.pos,
            ) from None
    if _is_textual(content_type):
        charset = _charset(content_type) or "utf-8"
        try:
            codecs.lookup(charset)
            return body.decode(charset), None
        except (LookupError, ValueError):
            return body, None
    return body, None


def structured_content_type(fmt: Format) -> str:
    """Return the content type of a structured-mode message in ``fmt``.

    Text formats (``+json``) name their charset; binary formats (Avro, Protobuf) do not.
    """
    content_type = fmt.CONTENT_TYPE
    return content_type + "; charset=utf-8" if content_type.endswith("+json") else content_type


def structured_format(content_type: str, binding: str) -> Format:
    """Return the registered format of a structured-mode message's content type.

    Args:
        content_type: a content type that starts with ``application/cloudevents``.
        binding: the binding's name for messages, e.g. ``"the AMQP binding"``.

    Raises:
        DecodeError: a batch media type (the binding has no batch mode), or no
            registered format has this media type.
    """
    if formats.essence(content_type).startswith("application/cloudevents-batch"):
        raise DecodeError(
            f"{binding} has no batch mode, so content type {content_type!r} cannot be "
            "read; send each event in its own message",
            position="content-type",
        )
    return formats.lookup(content_type)
