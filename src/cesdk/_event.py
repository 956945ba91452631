"""The CloudEvent envelope: an immutable, validated value.

See spec.md "Context Attributes" and "Event Data".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import orjson

from cesdk._errors import InvalidEventError, InvalidMessageError
from cesdk._types import (
    INT32_MAX,
    INT32_MIN,
    AttributeValue,
    Timestamp,
    canonical_string,
    check_media_type,
    check_name,
    check_string,
    check_timestamp,
    check_uri,
    check_uri_reference,
    format_datetime,
    instant_key,
    is_json_media_type,
    new_id,
    now_rfc3339,
)

__all__ = ["CORE_ATTRIBUTES", "NO_DATA", "CloudEvent", "Data", "NoData"]

SPECVERSION: Final = "1.0"
REQUIRED_ATTRIBUTES: Final = ("specversion", "id", "source", "type")
OPTIONAL_ATTRIBUTES: Final = ("datacontenttype", "dataschema", "subject", "time")
CORE_ATTRIBUTES: Final = frozenset(REQUIRED_ATTRIBUTES + OPTIONAL_ATTRIBUTES)


class NoData:
    """The type of ``NO_DATA``: an event that carries no ``data`` at all.

    "No data" differs from JSON ``null`` data: ``CloudEvent(data=None)`` carries a
    JSON ``null``, ``CloudEvent()`` carries nothing.
    """

    __slots__ = ()
    _instance: NoData | None = None

    def __new__(cls) -> NoData:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_DATA"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NO_DATA"


NO_DATA: Final = NoData()

Data: TypeAlias = Any
"""What ``CloudEvent.data`` holds: bytes (Binary), str, a JSON value, or ``NO_DATA``."""

_JSON_TYPES = (dict, list, int, float, bool, type(None))


class _Auto:
    __slots__ = ("_label",)

    def __init__(self, label: str) -> None:
        self._label = label

    def __repr__(self) -> str:
        return self._label


_NEW_ID: Final[Any] = _Auto("<new UUID4>")
_NOW: Final[Any] = _Auto("<now, UTC>")
_UNLOADED: Final[Any] = _Auto("<unloaded>")


def _expect_str(value: object) -> str | None:
    if isinstance(value, str):
        return None
    return f"must be a String, got {type(value).__name__}"


def _check_specversion(value: object) -> str | None:
    if value == SPECVERSION and type(value) is str:
        return None
    if value == "0.3":
        return (
            "specversion '0.3' is not supported: cesdk reads and writes CloudEvents 1.0; "
            "ask the producer for specversion '1.0'"
        )
    return f"must be '1.0', got {value!r}"


def _check_nonempty_string(value: object) -> str | None:
    if type(value) is str and value and value.isascii() and value.isprintable():
        return None
    problem = _expect_str(value)
    if problem is not None:
        return problem
    if not value:
        return "must be a non-empty String"
    return check_string(value)  # type: ignore[arg-type]  # checked to be str above


def _check_str(check: Any) -> Any:
    def checker(value: object) -> str | None:
        if type(value) is str:
            return check(value)  # type: ignore[no-any-return]  # check returns str | None
        problem = _expect_str(value)
        if problem is not None:
            return problem
        return check(value)  # type: ignore[no-any-return]  # check returns str | None

    return checker


def _check_source(value: object) -> str | None:
    problem = _expect_str(value)
    if problem is not None:
        return problem
    # A valid URI-reference is printable ASCII, so it is a valid String too.
    return check_uri_reference(value)  # type: ignore[arg-type]  # checked to be str


_CORE_CHECKS: Final = {
    "specversion": _check_specversion,
    "id": _check_nonempty_string,
    "source": _check_source,
    "type": _check_nonempty_string,
    "datacontenttype": _check_str(check_media_type),
    "dataschema": _check_str(check_uri),
    "subject": _check_nonempty_string,
    "time": _check_str(check_timestamp),
}


def _check_extension_value(value: object) -> str | None:
    if isinstance(value, str):
        return check_string(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if INT32_MIN <= value <= INT32_MAX:
            return None
        return f"Integer {value} is outside the 32-bit range [-2147483648, 2147483647]"
    if isinstance(value, bytes):
        return None
    if isinstance(value, float):
        return f"{value!r} is not an Integer: CloudEvents has no floating-point type"
    return (
        f"{type(value).__name__} is not a CloudEvents type; use bool, int, str, bytes, "
        "or a timezone-aware datetime"
    )


# Values of these attributes repeat from event to event; remembering the ones already
# found valid turns most checks into one set lookup. Bounded: cleared when full.
_REMEMBERED: Final[dict[str, set[str]]] = {
    name: set()
    for name in ("specversion", "source", "type", "subject", "datacontenttype", "dataschema")
}
_REMEMBER_MAX: Final = 4096
_NOTHING: Final[frozenset[str]] = frozenset()
_GOOD_NAMES: Final[set[str]] = set()  # extension names already found valid


def _validate(attrs: dict[str, Any], generated: tuple[str, ...] = ()) -> dict[str, str]:
    """Return every problem of an attribute dict, keyed by attribute name.

    Names in ``generated`` hold values the constructor made itself (a new id, the
    current time), valid by construction.
    """
    errors: dict[str, str] = {}
    checks = _CORE_CHECKS
    remembered = _REMEMBERED
    for name, value in attrs.items():
        if type(value) is str:
            known = remembered.get(name, _NOTHING)
            if value in known or name in generated:
                continue
            check = checks.get(name)
            if check is not None:
                problem = check(value)
                if problem is None and isinstance(known, set):
                    if len(known) >= _REMEMBER_MAX:
                        known.clear()
                    known.add(value)
                    continue
            else:
                if name in _GOOD_NAMES:
                    problem = None
                else:
                    problem = check_name(name)
                    if problem is None and len(_GOOD_NAMES) < _REMEMBER_MAX:
                        _GOOD_NAMES.add(name)
                if problem is None and not (value.isascii() and value.isprintable()):
                    problem = check_string(value)
        elif type(value) is _Invalid:
            problem = value.reason
        else:
            check = checks.get(name)
            if check is not None:
                problem = check(value)
            else:
                problem = (None if name in _GOOD_NAMES else check_name(name)) or (
                    _check_extension_value(value)
                )
        if problem is not None:
            errors[name] = problem
    if (
        "type" not in attrs
        or "source" not in attrs
        or "id" not in attrs
        or ("specversion" not in attrs)
    ):
        for name in REQUIRED_ATTRIBUTES:
            if name not in attrs:
                errors[name] = "REQUIRED attribute is missing"
    return errors


def _check_data(data: Any, datacontenttype: Any) -> str | None:
    if data is NO_DATA or isinstance(data, (bytes, str)):
        return None
    if not isinstance(data, _JSON_TYPES):
        return (
            f"{type(data).__name__} is not event data; use bytes, str or a JSON value "
            "(dict, list, int, float, bool, None)"
        )
    if isinstance(datacontenttype, str) and not is_json_media_type(datacontenttype):
        return (
            f"data of type {type(data).__name__} needs a JSON datacontenttype such as "
            f"'application/json'; {datacontenttype!r} carries str or bytes"
        )
    if isinstance(data, float) and not math.isfinite(data):
        return f"{data!r} has no JSON representation"
    return None


@lru_cache(maxsize=256)
def _normalized_media_type(value: str) -> str:
    essence, _, params = value.partition(";")
    parts = [essence.strip().lower()]
    for param in params.split(";") if params else ():
        key, _, val = param.strip().partition("=")
        key = key.strip().lower()
        # RFC 2046 4.1.2: charset values are case-insensitive too.
        val = val.strip().lower() if key == "charset" else val.strip()
        parts.append(f"{key}={val}")
    return ";".join(parts)


def _non_finite_in(data: Any, data_json: bytes) -> bool:
    """Tell whether ``data`` holds NaN or an infinity, which orjson wrote as ``null``.

    Reading the JSON back and comparing (both in C) settles the common case, data with
    real nulls (every Kubernetes object), without walking it in Python.
    """
    if b"null" not in data_json:
        return False
    try:
        if orjson.loads(data_json) == data:
            return False
    except orjson.JSONDecodeError:  # pragma: no cover - orjson reads what it wrote
        pass
    return _has_non_finite(data)


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_non_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_non_finite(v) for v in value)
    return False


# Only plain JSON types: a datetime, dataclass or str subclass in data is an error, not
# something to convert silently.
_SNAPSHOT_OPTIONS: Final = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _snapshot_json(data: Any) -> bytes | str:
    """Serialize a JSON value once: a deep copy that the caller cannot mutate afterwards.

    Returns the JSON bytes, or a reason when the value is not JSON.
    """
    try:
        raw = orjson.dumps(data, option=_SNAPSHOT_OPTIONS)
    except (orjson.JSONEncodeError, TypeError) as exc:
        return f"not a JSON value: {exc}"
    # orjson writes NaN and infinities as null; only then is a walk needed.
    if b"null" in raw and _non_finite_in(data, raw):
        return "NaN and infinities have no JSON representation"
    return raw


def _prepare_data(data: Any, datacontenttype: Any) -> tuple[Any, bytes | None, str | None]:
    """Check caller data; return (data to keep, its JSON snapshot or None, problem)."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    problem = _check_data(data, datacontenttype)
    if problem is None and isinstance(data, (dict, list)):
        snap = _snapshot_json(data)
        if isinstance(snap, str):
            return data, None, snap
        return _UNLOADED, snap, None
    return data, None, problem


def _normalize_value(value: Any) -> Any:
    if isinstance(value, datetime):
        try:
            return format_datetime(value)
        except ValueError as exc:
            return _Invalid(str(exc))
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


class _Invalid:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class CloudEvent:
    """An immutable, validated CloudEvents 1.0 event.

    Construction validates every attribute and reports all problems at once. ``id``
    defaults to a new UUID4 and ``time`` to now (UTC); pass ``time=None`` for an event
    without a time. The constructor never mutates or keeps its arguments: JSON ``data``
    is snapshotted, ``extensions`` copied.

    Args:
        type: the event type, e.g. ``"io.k8s.event.warning"``.
        source: a URI-reference naming the context of the occurrence.
        data: bytes (Binary), str, a JSON value, or ``NO_DATA`` (the default).
        id: the event id; unique per ``source``.
        time: a timezone-aware ``datetime`` or RFC 3339 text, or ``None``.
        subject: the subject within the source.
        datacontenttype: an RFC 2046 media type describing ``data``.
        dataschema: an absolute URI of the schema ``data`` adheres to.
        specversion: must be ``"1.0"``.
        extensions: extension attributes, name to bool, int, str, bytes or datetime.

    Raises:
        InvalidEventError: listing every invalid or missing attribute in ``.errors``.

    Example:
        >>> ev = CloudEvent(type="io.k8s.event.warning", source="/k8s/prod",
        ...                 data={"reason": "BackOff"}, subject="pod/web-1")
        >>> ev.subject
        'pod/web-1'
    """

    __slots__ = ("__weakref__", "_attrs", "_data", "_data_json", "_time")

    _attrs: dict[str, AttributeValue]
    _data: Any
    _data_json: bytes | None
    _time: Timestamp | None

    def __init__(
        self,
        *,
        type: str,
        source: str,
        data: Data = NO_DATA,
        id: str = _NEW_ID,
        time: datetime | str | None = _NOW,
        subject: str | None = None,
        datacontenttype: str | None = None,
        dataschema: str | None = None,
        specversion: str = SPECVERSION,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        generated: tuple[str, ...] = ()
        if id is _NEW_ID:
            id = new_id()
            generated = ("id",)
        attrs: dict[str, Any] = {
            "specversion": specversion,
            "id": id,
            "source": source,
            "type": type,
        }
        if datacontenttype is not None:
            attrs["datacontenttype"] = datacontenttype
        if dataschema is not None:
            attrs["dataschema"] = dataschema
        if subject is not None:
            attrs["subject"] = subject
        if time is _NOW:
            attrs["time"] = now_rfc3339()
            generated += ("time",)
        elif time is not None:
            attrs["time"] = _normalize_value(time)
        if id is None or specversion is None or source is None or type is None:
            attrs = {k: v for k, v in attrs.items() if v is not None}
        core_errors: dict[str, str] | None = None
        if extensions:
            for name, value in extensions.items():
                if name in CORE_ATTRIBUTES:
                    core_errors = core_errors or {}
                    core_errors[name] = (
                        f"{name!r} is a core attribute; pass it as a keyword argument, "
                        "not in extensions"
                    )
                elif value is not None:
                    kind = value.__class__
                    if kind is not str and kind is not int and kind is not bool:
                        value = _normalize_value(value)
                    attrs[name] = value
        errors = _validate(attrs, generated)
        if core_errors:
            errors.update(core_errors)
        data_json: bytes | None = None
        kind = data.__class__
        if (kind is dict or kind is list) and (
            datacontenttype is None or is_json_media_type(datacontenttype)
        ):
            try:
                data_json = orjson.dumps(data, option=_SNAPSHOT_OPTIONS)
            except (orjson.JSONEncodeError, TypeError) as exc:
                errors["data"] = f"not a JSON value: {exc}"
            else:
                # orjson writes NaN and infinities as null; only then is a walk needed.
                if b"null" in data_json and _non_finite_in(data, data_json):
                    errors["data"] = "NaN and infinities have no JSON representation"
                data = _UNLOADED
        elif data is not NO_DATA and kind is not str and kind is not bytes:
            data, data_json, problem = _prepare_data(data, datacontenttype)
            if problem is not None:
                errors["data"] = problem
        if errors:
            raise InvalidEventError(errors)
        self._set(attrs, data, data_json)

    def _set(self, attrs: dict[str, Any], data: Any, data_json: bytes | None) -> None:
        self._attrs = attrs
        self._data = data
        self._data_json = data_json
        self._time = None

    @staticmethod
    def _add_extensions(attrs: dict[str, Any], extensions: Mapping[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        for name, value in extensions.items():
            if name in CORE_ATTRIBUTES:
                errors[name] = (
                    f"{name!r} is a core attribute; pass it as a keyword argument, "
                    "not in extensions"
                )
            elif value is not None:
                attrs[name] = _normalize_value(value)
        return errors

    def _init(
        self,
        attrs: dict[str, Any],
        data: Any,
        errors: dict[str, str] | None = None,
        generated: tuple[str, ...] = (),
    ) -> None:
        problems = _validate(attrs, generated)
        if errors:
            problems.update(errors)
        errors = problems
        data, data_json, problem = _prepare_data(data, attrs.get("datacontenttype"))
        if problem is not None:
            errors["data"] = problem
        if errors:
            raise InvalidEventError(errors)
        self._set(attrs, data, data_json)

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any], data: Data = NO_DATA) -> CloudEvent:
        """Build an event from one mapping of every attribute, core and extension alike.

        Nothing is invented: ``id``, ``time`` and ``specversion`` must be present when
        wanted. ``None`` values mean "unset".

        Raises:
            InvalidEventError: listing every problem.
        """
        attrs: dict[str, Any] = {}
        for name, value in attributes.items():
            if value is not None:
                attrs[name] = _normalize_value(value)
        event = cls.__new__(cls)
        event._init(attrs, data)
        return event

    @classmethod
    def _from_wire(
        cls, attrs: dict[str, Any], data: Any, where: str, data_json: bytes | None = None
    ) -> CloudEvent:
        """Build from a decoder's own fresh dict (taken, not copied); never invents anything."""
        errors = _validate(attrs)
        if data is not NO_DATA and data_json is None:
            problem = _check_data(data, attrs.get("datacontenttype"))
            if problem is not None:
                errors["data"] = problem
        if errors:
            raise InvalidMessageError(errors, where=where)
        event = cls.__new__(cls)
        event._set(attrs, data, data_json)
        return event

    # -- attributes ---------------------------------------------------------------

    @property
    def id(self) -> str:
        """The event id (REQUIRED)."""
        return self._attrs["id"]  # type: ignore[return-value]  # validated String

    @property
    def source(self) -> str:
        """The URI-reference naming the event's context (REQUIRED)."""
        return self._attrs["source"]  # type: ignore[return-value]  # validated String

    @property
    def type(self) -> str:
        """The event type (REQUIRED)."""
        return self._attrs["type"]  # type: ignore[return-value]  # validated String

    @property
    def specversion(self) -> str:
        """Always ``"1.0"``."""
        return self._attrs["specversion"]  # type: ignore[return-value]  # validated

    @property
    def subject(self) -> str | None:
        """The subject within the source, or ``None``."""
        return self._attrs.get("subject")  # type: ignore[return-value]  # validated String

    @property
    def datacontenttype(self) -> str | None:
        """The media type of ``data``, or ``None``."""
        return self._attrs.get("datacontenttype")  # type: ignore[return-value]  # String

    @property
    def dataschema(self) -> str | None:
        """The absolute URI of the data's schema, or ``None``."""
        return self._attrs.get("dataschema")  # type: ignore[return-value]  # String

    @property
    def time(self) -> Timestamp | None:
        """When the occurrence happened, as a ``Timestamp`` (a ``datetime``)."""
        if self._time is None:
            text = self._attrs.get("time")
            if text is None:
                return None
            self._time = Timestamp.parse(text)  # type: ignore[arg-type]  # validated text
        return self._time

    @property
    def extensions(self) -> Mapping[str, AttributeValue]:
        """Extension attributes, name to value; a read-only mapping."""
        return MappingProxyType({k: v for k, v in self._attrs.items() if k not in CORE_ATTRIBUTES})

    @property
    def attributes(self) -> Mapping[str, AttributeValue]:
        """Every attribute, core and extension, with ``time`` as RFC 3339 text."""
        return MappingProxyType(self._attrs)

    @property
    def data(self) -> Data:
        """The payload: bytes, str, a JSON value, or ``NO_DATA``.

        A dict or list comes back as a fresh copy on every access, so changing it
        never changes the event.
        """
        data = self._data
        if data is _UNLOADED or data.__class__ is dict or data.__class__ is list:
            data_json = self._data_json
            if data_json is None:
                data_json = self._data_json = orjson.dumps(data)
            return orjson.loads(data_json)
        return data

    @property
    def has_data(self) -> bool:
        """Whether the event carries data (``None`` as JSON ``null`` counts)."""
        return self._data is not NO_DATA

    def __getitem__(self, name: str) -> Any:
        """Return any attribute by name (``time`` as a Timestamp); KeyError if unset."""
        if name == "time":
            value = self.time
            if value is None:
                raise KeyError(name)
            return value
        return self._attrs[name]

    def get(self, name: str, default: Any = None) -> Any:
        """Return an attribute by name, or ``default`` when unset."""
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return name in self._attrs

    def __iter__(self) -> Iterator[str]:
        return iter(self._attrs)

    def replace(self, **changes: Any) -> CloudEvent:
        """Return a new event with some attributes or ``data`` changed; validates again.

        Keywords name any attribute, core or extension; ``None`` removes an optional
        one. ``extensions=`` replaces every extension at once.

        Example:
            >>> ev = CloudEvent(type="t", source="/s").replace(subject="pod/web-2")
            >>> ev.subject
            'pod/web-2'
        """
        attrs = dict(self._attrs)
        data = self.data if "data" not in changes else changes.pop("data")
        errors: dict[str, str] = {}
        if "extensions" in changes:
            new_ext = changes.pop("extensions") or {}
            attrs = {k: v for k, v in attrs.items() if k in CORE_ATTRIBUTES}
            errors = self._add_extensions(attrs, new_ext)
        for name, value in changes.items():
            if value is None:
                attrs.pop(name, None)
            else:
                attrs[name] = _normalize_value(value)
        event = CloudEvent.__new__(CloudEvent)
        event._init(attrs, data, errors)
        return event

    # -- value semantics ----------------------------------------------------------

    def _canonical_items(self) -> frozenset[tuple[str, str]]:
        items = {k: canonical_string(v) for k, v in self._attrs.items()}
        ct = items.get("datacontenttype")
        if ct is not None:
            items["datacontenttype"] = _normalized_media_type(ct)
        elif self._data is not NO_DATA and not isinstance(self._data, bytes):
            # spec.md "datacontenttype": no datacontenttype on JSON data is exactly
            # equivalent to "application/json".
            items["datacontenttype"] = "application/json"
        stamp = items.get("time")
        if stamp is not None:
            items["time"] = instant_key(stamp)
        return frozenset(items.items())

    def _data_key(self) -> object:
        data = self._data
        if data is _UNLOADED or data.__class__ is dict or data.__class__ is list:
            # Canonical JSON tells true from 1 and 1.0 from 1 at any depth.
            return orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS)
        return (data.__class__, data)

    def __eq__(self, other: object) -> bool:
        """Events are equal when their attributes mean the same and their data match.

        Attribute values compare by canonical string (an extension ``5`` equals ``"5"``,
        as on the wire), ``time`` as an instant (``Z`` equals ``+00:00``, every fraction
        digit counts), ``datacontenttype`` case-insensitively, and JSON data without a
        ``datacontenttype`` equals the same data labelled ``application/json``. Data
        compares by type and value: JSON ``true`` differs from ``1``.
        """
        if not isinstance(other, CloudEvent):
            return NotImplemented
        if self._attrs != other._attrs and self._canonical_items() != other._canonical_items():
            return False
        if self._data_json is not None and self._data_json == other._data_json:
            return True
        return self._data_key() == other._data_key()

    def __hash__(self) -> int:
        return hash(self._canonical_items())

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self._attrs.items() if k != "specversion"]
        if self._data is not NO_DATA:
            shown = repr(self.data)
            if len(shown) > 80:
                shown = shown[:77] + "..."
            parts.append(f"data={shown}")
        return f"CloudEvent({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle, (dict(self._attrs), self.data))


def _unpickle(attrs: dict[str, Any], data: Any) -> CloudEvent:
    return CloudEvent._from_wire(attrs, data, where="pickle")
