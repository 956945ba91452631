"""Compare what an implementation produced with what a case expects.

Every ``check_*`` function returns a list of problems, each a short sentence; an empty
list means the result matches. The comparison is written here, independently of the
code under test, so that cesdk is not judged by its own helpers.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import cesdk
from cesdk_spec_tests import _reference
from cesdk_spec_tests._cases import binary_of
from cesdk_spec_tests.implementation import Message

__all__ = ["check_event", "check_events", "check_message", "describe", "json_equal"]


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def json_equal(a: object, b: object) -> bool:
    """Compare JSON values strictly: ``true`` is not ``1`` and ``"1"`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if a is None or b is None:
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return False


def _canonical(value: object) -> str:
    """Return the canonical string of an attribute value (spec.md "Type System")."""
    raw = binary_of(value)
    if raw is not None:
        value = raw
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    return str(value)


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)"
)


def _instant(text: str) -> object:
    """Return a key that equal RFC 3339 instants share, at full precision.

    ``17:31:00Z`` equals ``19:31:00+02:00`` and ``17:31:00.500z``; a leap second
    keeps its ``60``. Text that does not parse compares as itself.
    """
    m = _RFC3339.fullmatch(text)
    if m is None:
        return text
    offset = m.group(8)
    tz = UTC
    if offset not in ("Z", "z"):
        minutes = int(offset[1:3]) * 60 + int(offset[4:6])
        tz = timezone(timedelta(minutes=-minutes if offset[0] == "-" else minutes))
    try:
        year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
        moment = datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)
    except ValueError:
        return text
    return (moment.timetuple()[:5], int(m.group(6)), (m.group(7) or "").rstrip("0"))


_TYPES: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "string": (str,),
    "binary": (bytes,),
    "timestamp": (datetime,),
}


def _check_attributes(actual: Mapping[str, Any], expected: Mapping[str, Any]) -> list[str]:
    problems = [f"missing attribute {name!r}" for name in expected if name not in actual]
    problems += [
        f"unexpected attribute {name}={_short(actual[name])}"
        for name in actual
        if name not in expected
    ]
    for name, want in expected.items():
        if name not in actual:
            continue
        got, wanted = _canonical(actual[name]), _canonical(want)
        # Time compares by instant: "+00:00" and "Z" name the same moment.
        same = _instant(got) == _instant(wanted) if name == "time" else got == wanted
        if not same:
            problems.append(f"attribute {name} is {got!r}, expected {wanted!r}")
    return problems


def _check_types(actual: Mapping[str, Any], expected: Mapping[str, str]) -> list[str]:
    problems = []
    for name, type_name in expected.items():
        value = actual.get(name)
        types = _TYPES[type_name]
        if not isinstance(value, types) or (type_name == "integer" and isinstance(value, bool)):
            problems.append(f"attribute {name} is {_short(value)}, expected a {type_name}")
    return problems


def _check_data(data: Any, expect: Mapping[str, Any]) -> list[str]:
    if expect.get("no_data"):
        return [] if data is cesdk.NO_DATA else [f"data is {_short(data)}, expected no data"]
    if data is cesdk.NO_DATA and ("data" in expect or "data_b64" in expect):
        return ["the event has no data"]
    if "data_b64" in expect:
        want = base64.b64decode(expect["data_b64"])
        if not isinstance(data, bytes):
            return [f"data is {_short(data)}, expected Binary {_short(want)}"]
        return [] if data == want else [f"data is {_short(data)}, expected {_short(want)}"]
    if "data" in expect and (isinstance(data, bytes) or not json_equal(data, expect["data"])):
        return [f"data is {_short(data)}, expected {_short(expect['data'])}"]
    return []


def check_event(event: object, expect: Mapping[str, Any]) -> list[str]:
    """Check one decoded or created event against ``attributes``, types and data."""
    if not isinstance(event, cesdk.CloudEvent):
        return [f"expected a cesdk.CloudEvent, got {type(event).__name__}"]
    attributes = event.attributes
    problems: list[str] = []
    if "attributes" in expect:
        problems += _check_attributes(attributes, expect["attributes"])
    if "attribute_types" in expect:
        problems += _check_types(attributes, expect["attribute_types"])
    return problems + _check_data(event.data, expect)


def check_events(events: object, expect: Mapping[str, Any]) -> list[str]:
    """Check a decoded batch against ``count`` and the per-item ``events`` checks."""
    if not isinstance(events, list):
        return [f"expected a list of events, got {type(events).__name__}"]
    problems = []
    if "count" in expect and len(events) != expect["count"]:
        problems.append(f"{len(events)} events, expected {expect['count']}")
    wanted: Sequence[Mapping[str, Any]] = expect.get("events", ())
    if wanted and len(wanted) != len(events):
        problems.append(f"{len(events)} events, expected {len(wanted)}")
    for index, (event, item) in enumerate(zip(events, wanted, strict=False)):
        problems += [f"event {index}: {p}" for p in check_event(event, item)]
    return problems


def _json_subset(actual: object, expected: object, path: str) -> list[str]:
    """Objects must hold the expected members (others may exist); arrays match item by item."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path} is {_short(actual)}, expected an object"]
        problems = []
        for name, want in expected.items():
            if name not in actual:
                problems.append(f"{path}.{name} is missing")
            elif not json_equal(actual[name], want):
                problems.append(f"{path}.{name} is {_short(actual[name])}, expected {_short(want)}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path} is {_short(actual)}, expected an array of {len(expected)}"]
        problems = []
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            problems += _json_subset(got, want, f"{path}[{index}]")
        return problems
    return [] if json_equal(actual, expected) else [f"{path} is {_short(actual)}"]


def _check_body(body: bytes | None, expect: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    if expect.get("body_null") and body is not None:
        problems.append(f"the body is {_short(body)}, expected a null value")
    if expect.get("body_null") is False and body is None:
        problems.append("the body is a null value, expected a value")
    if "body" in expect and (body is None or body != expect["body"].encode("utf-8")):
        problems.append(f"the body is {_short(body)}, expected {_short(expect['body'])}")
    if "body_b64" in expect and body != base64.b64decode(expect["body_b64"]):
        problems.append(f"the body is {_short(body)}")
    if "body_json" in expect or "body_json_absent" in expect:
        try:
            parsed = json.loads(body or b"")
        except (ValueError, UnicodeDecodeError) as exc:
            return [*problems, f"the body is not JSON ({exc}): {_short(body)}"]
        if "body_json" in expect:
            problems += _json_subset(parsed, expect["body_json"], "body")
        objects = parsed if isinstance(parsed, list) else [parsed]
        for name in expect.get("body_json_absent", ()):
            if any(isinstance(obj, dict) and name in obj for obj in objects):
                problems.append(f"the body has a member {name!r}, which must be absent")
    return problems


def _check_binary_format(body: bytes | None, expect: Mapping[str, Any]) -> list[str]:
    """``body_avro`` / ``body_protobuf``: read the body with the reference library."""
    problems: list[str] = []
    for key, what in (("body_avro", "Avro record"), ("body_protobuf", "Protobuf message")):
        if key not in expect:
            continue
        wanted = expect[key]
        try:
            if key == "body_avro":
                got = _reference.avro_read(body or b"")
            else:
                got = _reference.protobuf_read(body or b"", batch="events" in wanted)
        except Exception as exc:  # the reference library's own errors: a wrong body
            problems.append(f"the body is not a valid {what}: {exc}")
            continue
        problems += _json_subset(got, wanted, "record" if key == "body_avro" else "message")
    return problems


def _essence(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _typed_same(value: object, want: object) -> bool:
    """Compare a typed header value with an expected one by canonical string; a time
    (a ``datetime``, or an expected ``{timestamp: ...}``) by instant."""
    if isinstance(want, dict) and set(want) == {"timestamp"}:
        return _instant(_canonical(value)) == _instant(str(want["timestamp"]))
    got, wanted = _canonical(value), _canonical(want)
    return _instant(got) == _instant(wanted) if isinstance(value, datetime) else got == wanted


def _header_texts(message: Message, problems: list[str]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in message.headers:
        if message.typed:
            headers.setdefault(name, []).append(_canonical(value))
            continue
        text = value if isinstance(value, str) else None
        if isinstance(value, bytes):
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"header {name} is not UTF-8: {_short(value)}")
                text = value.decode("latin-1")
        headers.setdefault(name.lower(), []).append(str(text))
    return headers


def _check_typed_headers(message: Message, expect: Mapping[str, Any]) -> list[str]:
    values: dict[str, list[object]] = {}
    for name, value in message.headers:
        values.setdefault(name, []).append(value)
    problems = []
    for name, want in (expect.get("headers") or {}).items():
        got = values.get(name)
        if got is None:
            problems.append(f"header {name} is missing")
        elif len(got) != 1 or not _typed_same(got[0], want):
            shown = ", ".join(_short(v) for v in got)
            problems.append(f"header {name} is {shown}, expected {_short(want)}")
    for name, type_name in (expect.get("header_types") or {}).items():
        got = values.get(name, [None])
        wrong = not isinstance(got[0], _TYPES[type_name])
        if wrong or (type_name == "integer" and isinstance(got[0], bool)):
            problems.append(f"header {name} is {_short(got[0])}, expected a {type_name}")
    return problems


def check_message(message: object, expect: Mapping[str, Any]) -> list[str]:
    """Check an encoded message: headers (names case-insensitive), body and key."""
    if not isinstance(message, Message):
        return [f"expected a Message, got {type(message).__name__}"]
    problems: list[str] = []
    headers = _header_texts(message, problems)
    if message.typed:
        problems += _check_typed_headers(message, expect)
    else:
        for name, want in (expect.get("headers") or {}).items():
            got = headers.get(name.lower())
            if got is None:
                problems.append(f"header {name} is missing")
            elif got != [str(want)]:
                problems.append(f"header {name} is {', '.join(map(repr, got))}, expected {want!r}")
        problems += [
            f"header {name} has no type to check: only AMQP properties are typed"
            for name in expect.get("header_types") or {}
        ]
    key = str.lower if not message.typed else str
    problems += [
        f"header {name} is present ({headers[key(name)][0]!r})"
        for name in expect.get("headers_absent", ())
        if key(name) in headers
    ]
    if "content_type" in expect:
        got_ct = headers.get("content-type")
        if got_ct is None or _essence(got_ct[0]) != _essence(expect["content_type"]):
            problems.append(f"content-type is {got_ct}, expected {expect['content_type']!r}")
    problems += _check_body(message.body, expect)
    problems += _check_binary_format(message.body, expect)
    if "key" in expect and message.key != str(expect["key"]).encode("utf-8"):
        problems.append(f"the key is {_short(message.key)}, expected {expect['key']!r}")
    if expect.get("key_null") and message.key is not None:
        problems.append(f"the key is {_short(message.key)}, expected none")
    return problems


def describe(produced: object, attribute: str | None = None) -> str:
    """Summarise a result in a few words for a note, showing ``attribute`` if it is set."""
    if isinstance(produced, cesdk.CloudEvent):
        if attribute is not None and attribute in produced.attributes:
            return f"read as {attribute}={_short(produced.attributes[attribute])}"
        if attribute in ("data", "data_base64"):
            return f"read as data={_short(produced.data)}"
    if isinstance(produced, list):
        return f"{len(produced)} event(s)"
    if isinstance(produced, Message):
        return f"headers {dict(produced.headers)!r:.60}, body {produced.body!r:.40}"
    return _short(produced, 90)
