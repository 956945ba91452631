"""Normalising the many shapes in which clients hand over message headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cesdk._errors import DecodeError

__all__ = ["HeadersInput", "lower_headers"]

HeadersInput = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[str | bytes, str | bytes]]


def _text(value: object, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        # RFC 7230: header octets beyond ASCII are opaque; latin-1 keeps every byte.
        return bytes(value).decode("latin-1")
    raise DecodeError(f"header {what} must be str or bytes, got {type(value).__name__}")


def lower_headers(headers: object) -> dict[str, str]:
    """Return headers as ``{lowercase name: value}``; a repeated name is an error.

    Raises:
        DecodeError: headers of an unsupported shape, or a name given twice.
    """
    if headers is None:
        return {}
    if type(headers) is dict:
        lowered = {
            name.lower(): value
            for name, value in headers.items()
            if type(name) is str and type(value) is str
        }
        if len(lowered) == len(headers):
            return lowered
    if isinstance(headers, Mapping):
        items: Iterable[object] = headers.items()
    elif isinstance(headers, Iterable) and not isinstance(headers, (str, bytes)):
        items = headers
    else:
        raise DecodeError(f"headers must be a mapping or pairs, got {type(headers).__name__}")
    out: dict[str, str] = {}
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise DecodeError(f"each header must be a (name, value) pair, got {item!r:.60}")
        name = _text(item[0], "name").lower()
        if name in out:
            raise DecodeError(f"header {name!r} appears more than once", position=name)
        out[name] = _text(item[1], repr(name))
    return out
