"""The CloudEvents type system: validators and canonical string forms.

Each ``check_*`` function returns ``None`` for a valid value, or a sentence that says
what is wrong and how to fix it. They never raise: the envelope collects every problem
before it raises one ``InvalidEventError``.

See spec.md, "Type System".
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as _dt
import ipaddress
import os
import re
import time as _time
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "AttributeValue",
    "Timestamp",
    "canonical_string",
    "check_media_type",
    "check_name",
    "check_string",
    "check_timestamp",
    "check_uri",
    "check_uri_reference",
    "format_datetime",
    "is_json_media_type",
    "new_id",
    "now_rfc3339",
]

#: The Python types that hold a CloudEvents attribute value.
AttributeValue = bool | int | str | bytes

INT32_MIN: Final = -(2**31)
INT32_MAX: Final = 2**31 - 1

_NAME = re.compile(r"[a-z0-9]+")

# spec.md "Type System", String: control characters, noncharacters and lone surrogates.
# In a Python str a properly paired surrogate is one code point, so any surrogate code
# point left in a str is a lone one.
_NONCHARACTERS = "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(17)
)
_BAD_STRING_CHAR = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + re.escape(_NONCHARACTERS) + "]"
)


def check_name(name: object) -> str | None:
    """Check an attribute name against spec.md "Naming Conventions"."""
    if not isinstance(name, str):
        return f"attribute names are strings, got {type(name).__name__}"
    if _NAME.fullmatch(name) is None:
        return (
            f"attribute name {name!r} must consist of lower-case ASCII letters and digits "
            "[a-z0-9], at least one character"
        )
    if name == "data":
        return "the name 'data' is reserved by the event formats"
    return None


def check_string(value: str) -> str | None:
    """Check a String value: no control characters, noncharacters or lone surrogates."""
    if value.isascii() and value.isprintable():
        return None
    match = _BAD_STRING_CHAR.search(value)
    if match is None:
        return None
    ch = match.group()
    return (
        f"character U+{ord(ch):04X} at position {match.start()} is not allowed in a "
        "CloudEvents String (control characters, noncharacters and lone surrogates are "
        "excluded)"
    )


# RFC 3986: unreserved / reserved / pct-encoded.
_URI_CHAR = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")
_SCHEME_PREFIX = re.compile(r"([^/?#:]*):")
_IPV_FUTURE = re.compile(r"[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+")


# The common shapes: an absolute path, or a scheme and anything without '%', '#', '[', ']'.
_SIMPLE_URI_REFERENCE = re.compile(
    r"(?:/|[A-Za-z][A-Za-z0-9+.\-]*:)[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*"
)
_SIMPLE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*")


def _authority_problem(authority: str) -> str | None:
    """Check an authority (RFC 3986 section 3.2): [ userinfo "@" ] host [ ":" port ]."""
    userinfo, at, host_port = authority.rpartition("@")
    if at and "@" in userinfo:
        return "the authority holds more than one '@' (RFC 3986 section 3.2.1)"
    if "[" in userinfo or "]" in userinfo:
        return "'[' and ']' are allowed only around an IP literal host (RFC 3986 3.2.2)"
    if host_port.startswith("["):
        close = host_port.find("]")
        if close == -1:
            return "an IP literal host is missing its closing ']' (RFC 3986 3.2.2)"
        literal, port_part = host_port[1:close], host_port[close + 1 :]
        if _IPV_FUTURE.fullmatch(literal) is None:
            try:
                ipaddress.IPv6Address(literal)
            except ValueError:
                return f"[{literal}] is not an IPv6 address or IPvFuture (RFC 3986 3.2.2)"
        if port_part and not port_part.startswith(":"):
            return "only ':port' may follow an IP literal host (RFC 3986 3.2)"
        port = port_part[1:]
    else:
        host, _, port = host_port.partition(":")
        if "[" in host or "]" in host:
            return "'[' and ']' are allowed only around an IP literal host (RFC 3986 3.2.2)"
    if (port and not port.isdigit()) or not port.isascii():
        return f"port {port!r} is not a number (RFC 3986 section 3.2.3)"
    return None


def _uri_problem(value: str, absolute: bool) -> str | None:
    simple = (_SIMPLE_URI if absolute else _SIMPLE_URI_REFERENCE).fullmatch(value) is not None
    if simple and "//" not in value:
        return None
    kind = "URI" if absolute else "URI-reference"
    if not value:
        return f"must be a non-empty {kind}"
    end = _URI_CHAR.match(value).end()  # type: ignore[union-attr]  # the pattern matches ""
    if end != len(value):
        ch = value[end]
        what = "a malformed percent-escape" if ch == "%" else f"the character {ch!r}"
        return f"{what} at position {end} is not allowed in a {kind} (RFC 3986); percent-encode it"
    scheme = _SCHEME_PREFIX.match(value)
    if scheme is not None and _SCHEME.fullmatch(scheme.group(1)) is None:
        return (
            f"{scheme.group(1)!r} before the first ':' is not a valid URI scheme "
            "(RFC 3986 section 3.1)"
        )
    if absolute and scheme is None:
        return f"{value!r} is not an absolute URI: it needs a scheme such as 'https:'"
    fragment_at = value.find("#")
    if fragment_at != -1:
        if absolute:
            return "an absolute URI (RFC 3986 section 4.3) has no '#fragment'"
        if "#" in value[fragment_at + 1 :]:
            return "a URI-reference has at most one '#'"
    rest = value[scheme.end() :] if scheme is not None else value
    if rest.startswith("//"):
        cut = len(rest)
        for sep in "/?#":
            at = rest.find(sep, 2)
            if at != -1:
                cut = min(cut, at)
        problem = _authority_problem(rest[2:cut])
        if problem is not None:
            return problem
        rest = rest[cut:]
    if "[" in rest or "]" in rest:
        return "'[' and ']' are allowed only around an IP literal host (RFC 3986 3.2.2)"
    return None


def check_uri_reference(value: str) -> str | None:
    """Check a URI-reference (RFC 3986 section 4.1)."""
    return _uri_problem(value, absolute=False)


def check_uri(value: str) -> str | None:
    """Check an absolute URI (RFC 3986 section 4.3)."""
    return _uri_problem(value, absolute=True)


_RFC3339 = re.compile(
    r"([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]"
    r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?"
    r"(?:[Zz]|([+-])([01][0-9]|2[0-3]):([0-5][0-9]))"
)
_RFC3339_SHAPE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def _timestamp_problem(value: str) -> str | None:
    m = _RFC3339.fullmatch(value)
    if m is None:
        if _RFC3339_SHAPE.fullmatch(value) is not None:
            return f"a date or time field is out of range in {value!r}"
        return (
            f"{value!r} is not an RFC 3339 date-time such as '2018-04-05T17:31:00Z' "
            "(seconds and a 'Z' or '+hh:mm' offset are required)"
        )
    if m.group(1) == "0000":
        return (
            f"year 0000 in {value!r} is valid RFC 3339, but cesdk cannot represent it as a "
            "date (a Python datetime starts at year 1); use a year from 0001"
        )
    day = m.group(3)
    if day > "28":
        year, month = int(m.group(1)), int(m.group(2))
        if int(day) > _days_in_month(year, month):
            return f"day {day} does not exist in {year:04d}-{month:02d} ({value!r})"
    return None


def _timestamp_fields(value: str) -> tuple[int, ...] | str:
    problem = _timestamp_problem(value)
    if problem is not None:
        return problem
    m = _RFC3339.fullmatch(value)
    assert m is not None  # checked just above
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    sign, off_h, off_m = m.group(8), m.group(9), m.group(10)
    offset = 0
    if sign is not None:
        offset = (int(off_h) * 60 + int(off_m)) * (1 if sign == "+" else -1)
    frac = m.group(7)
    micro = int((frac[1:] + "000000")[:6]) if frac else 0
    return (year, month, day, hour, minute, second, micro, offset)


def instant_key(value: str) -> str:
    """Return a key equal for RFC 3339 texts that name the same instant.

    Seconds since the epoch (a leap second counts as the next second's start) and the
    fraction digits without trailing zeros: ``...00Z``, ``...00+00:00`` and
    ``...00.000z`` share a key, while every sub-microsecond digit still counts.
    """
    m = _RFC3339.fullmatch(value)
    if m is None:
        return value
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    seconds = calendar.timegm((year, month, day, hour, minute, 0, 0, 0, 0)) + second
    if m.group(8) is not None:
        offset = int(m.group(9)) * 3600 + int(m.group(10)) * 60
        seconds -= offset if m.group(8) == "+" else -offset
    fraction = (m.group(7) or ".").rstrip("0").rstrip(".")
    return f"{seconds}{fraction}"


def check_timestamp(value: str) -> str | None:
    """Check an RFC 3339 date-time (leap second ``:60`` and lowercase ``t``/``z`` allowed)."""
    return _timestamp_problem(value)


class Timestamp(datetime):
    """A ``datetime`` that remembers the exact RFC 3339 text it came from.

    CloudEvents timestamps may carry more than six fraction digits, a leap second
    (``23:59:60``) or lowercase ``t``/``z``; ``datetime`` holds none of these. A
    ``Timestamp`` behaves as the nearest ``datetime`` (a leap second reads as
    ``:59.999999``, extra digits are truncated) while ``rfc3339`` keeps the text,
    which is what every encoder writes back.
    """

    __slots__ = ("_rfc3339",)
    _rfc3339: str

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Parse RFC 3339 text.

        Raises:
            ValueError: the text is not a valid RFC 3339 date-time.
        """
        fields = _timestamp_fields(text)
        if isinstance(fields, str):
            raise ValueError(fields)
        year, month, day, hour, minute, second, micro, offset = fields
        if second == 60:
            second, micro = 59, 999999
        tz = UTC if offset == 0 else timezone(timedelta(minutes=offset))
        stamp = cls(year, month, day, hour, minute, second, micro, tz)
        stamp._rfc3339 = text
        return stamp

    @property
    def rfc3339(self) -> str:
        """Return the RFC 3339 text exactly as received."""
        return self._rfc3339

    def __str__(self) -> str:
        return self._rfc3339

    def __repr__(self) -> str:
        return f"Timestamp({self._rfc3339!r})"

    def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
        # datetime pickles by __reduce_ex__; keep the text, not just the instant.
        return (Timestamp.parse, (self._rfc3339,))

    def to_datetime(self) -> datetime:
        """Return the same instant as a plain ``datetime``."""
        return datetime(
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.microsecond,
            self.tzinfo,
            fold=self.fold,
        )

    # Arithmetic and replace() on a datetime subclass return the subclass, which would
    # carry no text; a changed instant is a plain datetime instead.
    def __add__(self, other: timedelta) -> datetime:  # type: ignore[override]  # plain result
        return self.to_datetime() + other

    def __radd__(self, other: timedelta) -> datetime:  # type: ignore[override]  # plain
        return self.to_datetime() + other

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, Timestamp):
            other = other.to_datetime()
        return self.to_datetime() - other

    def replace(self, *args: Any, **kwargs: Any) -> datetime:  # type: ignore[override]
        """Return a plain ``datetime`` with some fields replaced."""
        return self.to_datetime().replace(*args, **kwargs)

    def astimezone(self, tz: _dt.tzinfo | None = None) -> datetime:  # type: ignore[override]
        """Return the instant as a plain ``datetime`` in ``tz``."""
        return self.to_datetime().astimezone(tz)


def format_datetime(value: datetime) -> str:
    """Return the RFC 3339 text of a timezone-aware ``datetime`` (UTC as ``Z``).

    Raises:
        ValueError: ``value`` is naive (has no ``tzinfo``).
    """
    if isinstance(value, Timestamp) and hasattr(value, "_rfc3339"):
        return value.rfc3339
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "a naive datetime has no time zone; pass an aware one such as "
            "datetime.now(timezone.utc)"
        )
    text = value.isoformat()
    if text.endswith("+00:00"):
        text = text[:-6] + "Z"
    return text


_now_second = -1
_now_prefix = ""


def now_rfc3339() -> str:
    """Return the current UTC time as RFC 3339 text with microseconds."""
    global _now_second, _now_prefix
    ns = _time.time_ns()
    second, rest = divmod(ns, 1_000_000_000)
    if second != _now_second:
        _now_prefix = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(second))
        _now_second = second
    return f"{_now_prefix}.{rest // 1000:06d}Z"


# A pool of random hex digits from the OS: one getrandom call serves 128 UUIDs.
_random_hex = ""
_random_at = 0
_VARIANT = "89ab89ab89ab89ab"


def _reset_random_pool() -> None:
    global _random_hex, _random_at
    _random_hex, _random_at = "", 0


os.register_at_fork(after_in_child=_reset_random_pool)


def new_id() -> str:
    """Return a random (version 4, RFC 9562) UUID as text, drawn from ``os.urandom``."""
    global _random_hex, _random_at
    at = _random_at
    h = _random_hex
    if at + 32 > len(h):
        h = _random_hex = os.urandom(2048).hex()
        at = 0
    _random_at = at + 32
    # Version nibble 4; variant bits 10 (one of 8, 9, a, b) from a random nibble.
    return (
        f"{h[at : at + 8]}-{h[at + 8 : at + 12]}-4{h[at + 13 : at + 16]}-"
        f"{_VARIANT[int(h[at + 16], 16)]}{h[at + 17 : at + 20]}-{h[at + 20 : at + 32]}"
    )


_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"
_QUOTED = r'"(?:[^"\\\x00-\x08\x0a-\x1f\x7f-\uffff]|\\[\x00-\x7f])*"'
_MEDIA_TYPE = re.compile(
    rf"[ \t]*{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|{_QUOTED}))*[ \t]*"
)


@lru_cache(maxsize=512)
def check_media_type(value: str) -> str | None:
    """Check an RFC 2046 media type such as ``application/json; charset=utf-8``."""
    if _MEDIA_TYPE.fullmatch(value) is None:
        return (
            f"{value!r} is not an RFC 2046 media type of the form "
            "'type/subtype; name=value' (for example 'application/json')"
        )
    return None


@lru_cache(maxsize=512)
def is_json_media_type(value: str) -> bool:
    """Tell whether a media type declares JSON: ``*/json`` or ``*/*+json``, any case."""
    essence = value.split(";", 1)[0].strip().lower()
    subtype = essence.partition("/")[2]
    return subtype == "json" or subtype.endswith("+json")


def canonical_string(value: AttributeValue) -> str:
    """Return the canonical string encoding of an attribute value (spec.md "Type System")."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    return base64.b64encode(value).decode("ascii")


def decode_base64(text: str) -> bytes:
    """Decode strict RFC 4648 base64.

    Raises:
        ValueError: the text is not valid base64.
    """
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not valid base64 (RFC 4648): {exc}") from None
