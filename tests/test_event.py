"""The envelope API (DESIGN.md "Public contracts"; spec.md "Context Attributes", "Event Data")."""

from __future__ import annotations

import copy
import pickle
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import cesdk
from cesdk import NO_DATA, CloudEvent
from cesdk.bindings import http, kafka, nats
from cesdk.formats import json as ce_json


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "io.k8s.event.warning")
    kwargs.setdefault("source", "/k8s/prod")
    kwargs.setdefault("id", "ev-1")
    kwargs.setdefault("time", "2018-04-05T17:31:00Z")
    return CloudEvent(**kwargs)


# -- attribute access ----------------------------------------------------------------


def test_design_example_attribute_access() -> None:
    """DESIGN.md Public contracts: attributes read as plain properties."""
    ev = CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        data={"reason": "BackOff"},
        subject="pod/web-1",
        extensions={"partitionkey": "web-1"},
    )
    assert ev.type == "io.k8s.event.warning"
    assert ev.source == "/k8s/prod"
    assert ev.specversion == "1.0"
    assert ev.subject == "pod/web-1"
    assert ev.datacontenttype is None
    assert ev.dataschema is None
    assert ev.data == {"reason": "BackOff"}
    assert dict(ev.extensions) == {"partitionkey": "web-1"}
    assert ev["partitionkey"] == "web-1"


def test_optional_attributes_read_none_when_unset() -> None:
    """spec.md OPTIONAL Attributes: an unset optional attribute is absent, read as None."""
    ev = make(time=None)
    assert (ev.subject, ev.datacontenttype, ev.dataschema, ev.time) == (None, None, None, None)
    assert "subject" not in ev
    assert "time" not in ev


def test_getitem_reads_core_and_extension_attributes() -> None:
    """DESIGN.md: ev[name] reads any context attribute by name."""
    ev = make(subject="s", extensions={"traceparent": "00-abc-def-01", "n": 7})
    assert ev["id"] == "ev-1"
    assert ev["subject"] == "s"
    assert ev["traceparent"] == "00-abc-def-01"
    assert ev["n"] == 7
    assert ev["time"] == datetime(2018, 4, 5, 17, 31, tzinfo=UTC)


@pytest.mark.parametrize("name", ["traceparent", "subject", "dataschema", "data", "time"])
def test_getitem_unset_raises_keyerror(name: str) -> None:
    """DESIGN.md: ev["traceparent"] raises KeyError when unset."""
    ev = make(time=None)
    with pytest.raises(KeyError):
        ev[name]


def test_get_with_default() -> None:
    """DESIGN.md: ev.get(name, default) returns default when unset."""
    ev = make(extensions={"traceparent": "tp"})
    assert ev.get("traceparent") == "tp"
    assert ev.get("tracestate") is None
    assert ev.get("tracestate", "none") == "none"
    assert ev.get("id", "x") == "ev-1"


def test_iteration_and_membership_cover_set_attributes() -> None:
    """spec.md Context Attributes: the event's attributes are the set ones, core and extension."""
    ev = make(subject="s", extensions={"x": 1})
    assert set(ev) == {"specversion", "id", "source", "type", "time", "subject", "x"}
    assert "x" in ev
    assert "dataschema" not in ev


def test_extensions_mapping_holds_only_extensions() -> None:
    """spec.md Extension Context Attributes: extensions are the non-core attributes."""
    ev = make(subject="s", extensions={"a": 1, "b": "two", "c": True, "d": b"\x01"})
    assert dict(ev.extensions) == {"a": 1, "b": "two", "c": True, "d": b"\x01"}


def test_extension_none_means_unset() -> None:
    """json-format.md 2.2 (null means unset), mirrored by the constructor."""
    assert dict(make(extensions={"a": None, "b": 1}).extensions) == {"b": 1}


def test_core_attribute_in_extensions_is_rejected() -> None:
    """spec.md Context Attributes: core attributes are not extensions."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        make(extensions={"subject": "x"})
    assert list(info.value.errors) == ["subject"]


# -- immutability ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["id", "source", "type", "subject", "time", "data", "extra"])
def test_setting_attributes_raises(name: str) -> None:
    """STYLE.md 5: the event is an immutable value."""
    ev = make()
    with pytest.raises(AttributeError):
        setattr(ev, name, "x")
    assert ev == make()


def test_deleting_attributes_raises() -> None:
    """STYLE.md 5: the event is an immutable value."""
    ev = make(subject="s")
    with pytest.raises(AttributeError):
        del ev.subject
    assert ev.subject == "s"


def test_extensions_and_attributes_mappings_are_read_only() -> None:
    """DESIGN.md: ev.extensions is a read-only mapping."""
    ev = make(extensions={"a": 1})
    with pytest.raises(TypeError):
        ev.extensions["a"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        ev.attributes["id"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        ev["id"] = "x"  # type: ignore[index]
    assert ev["a"] == 1
    assert ev.id == "ev-1"


def test_mutating_returned_data_does_not_change_the_event() -> None:
    """STYLE.md 5: the event never exposes a handle to mutate its state."""
    ev = make(data={"reason": "BackOff", "count": [1]})
    before = ce_json.encode(ev)
    ev.data["reason"] = "Changed"
    ev.data["count"].append(2)
    assert ev.data == {"reason": "BackOff", "count": [1]}
    assert ev == make(data={"reason": "BackOff", "count": [1]})
    assert ce_json.encode(ev) == before


# -- construction never mutates or keeps its inputs -------------------------------------


def test_constructor_does_not_mutate_or_keep_its_inputs() -> None:
    """DESIGN.md: construction never mutates its inputs; later mutation does not leak in."""
    extensions: dict[str, Any] = {"partitionkey": "web-1", "n": 1}
    data: dict[str, Any] = {"reason": "BackOff", "items": [1, {"k": "v"}]}
    ext_before = copy.deepcopy(extensions)
    data_before = copy.deepcopy(data)
    ev = make(data=data, extensions=extensions)
    assert extensions == ext_before
    assert data == data_before

    extensions["partitionkey"] = "web-2"
    extensions["new"] = "x"
    data["reason"] = "Changed"
    data["items"][1]["k"] = "changed"
    data["items"].append(3)

    assert dict(ev.extensions) == ext_before
    assert ev.data == data_before
    assert ce_json.decode(ce_json.encode(ev)).data == data_before


def test_constructor_copies_bytearray_data() -> None:
    """DESIGN.md: construction never keeps a caller's mutable buffer."""
    buf = bytearray(b"abc")
    ev = make(data=buf, extensions={"raw": bytearray(b"xy")})
    buf[0] = ord("z")
    assert ev.data == b"abc"
    assert isinstance(ev.data, bytes)
    assert ev.extensions["raw"] == b"xy"


def test_from_attributes_does_not_mutate_its_input() -> None:
    """DESIGN.md: construction never mutates its inputs."""
    attrs: dict[str, Any] = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
    before = dict(attrs)
    ev = CloudEvent.from_attributes(attrs, data={"a": 1})
    assert attrs == before
    attrs["subject"] = "later"
    assert ev.subject is None


def test_failed_construction_does_not_mutate_inputs() -> None:
    """DESIGN.md: construction never mutates its inputs, even when it fails."""
    extensions: dict[str, Any] = {"BAD": 1, "ok": 2}
    with pytest.raises(cesdk.InvalidEventError):
        make(extensions=extensions)
    assert extensions == {"BAD": 1, "ok": 2}


# -- id and time defaults ----------------------------------------------------------------


def test_id_defaults_to_a_uuid4() -> None:
    """DESIGN.md: id defaults to a UUID4 in the constructor."""
    first = CloudEvent(type="t", source="/s")
    second = CloudEvent(type="t", source="/s")
    parsed = uuid.UUID(first.id)
    assert str(parsed) == first.id
    assert parsed.version == 4
    assert parsed.variant == uuid.RFC_4122
    assert first.id != second.id


def test_time_defaults_to_now_utc() -> None:
    """DESIGN.md: time defaults to now (UTC) in the constructor."""
    before = datetime.now(UTC) - timedelta(milliseconds=5)
    ev = CloudEvent(type="t", source="/s")
    after = datetime.now(UTC) + timedelta(milliseconds=5)
    assert ev.time is not None
    assert ev.time.utcoffset() == timedelta(0)
    assert before <= ev.time <= after
    assert ev.time.rfc3339.endswith("Z")


def test_time_none_means_no_time() -> None:
    """spec.md time: OPTIONAL; time=None leaves it unset."""
    ev = CloudEvent(type="t", source="/s", time=None)
    assert ev.time is None
    assert b'"time"' not in ce_json.encode(ev)


def test_replace_keeps_id_and_time() -> None:
    """DESIGN.md: id and time default only in the constructor, not in replace()."""
    ev = CloudEvent(type="t", source="/s")
    changed = ev.replace(subject="x")
    assert changed.id == ev.id
    assert changed.time == ev.time
    assert changed.time.rfc3339 == ev.time.rfc3339


def test_from_attributes_invents_nothing() -> None:
    """DESIGN.md: only the constructor invents id and time."""
    ev = CloudEvent.from_attributes({"specversion": "1.0", "id": "1", "source": "/s", "type": "t"})
    assert ev.time is None
    with pytest.raises(cesdk.InvalidEventError) as info:
        CloudEvent.from_attributes({"source": "/s", "type": "t"})
    assert set(info.value.errors) == {"id", "specversion"}


REQUIRED_HEADERS = {"ce-specversion": "1.0", "ce-source": "/s", "ce-type": "t"}
KAFKA_REQUIRED = [("ce_specversion", b"1.0"), ("ce_source", b"/s"), ("ce_type", b"t")]


def test_decoders_never_invent_time() -> None:
    """DESIGN.md: decoders never invent attributes; spec.md time is OPTIONAL."""
    body = b'{"specversion":"1.0","id":"1","source":"/s","type":"t"}'
    headers = {**REQUIRED_HEADERS, "ce-id": "1"}
    decoded = [
        ce_json.decode(body),
        ce_json.decode_batch(b"[" + body + b"]")[0],
        http.from_http(headers, b""),
        http.from_http({"content-type": "application/cloudevents+json"}, body),
        kafka.from_kafka(kafka.KafkaMessage(None, None, [("ce_id", b"1"), *KAFKA_REQUIRED])),
        nats.from_nats(nats.NatsMessage(headers, b"")),
    ]
    for ev in decoded:
        assert ev.time is None
        assert "time" not in ev


def test_decoders_never_invent_id() -> None:
    """DESIGN.md: decoders never invent attributes; spec.md id is REQUIRED."""
    body = b'{"specversion":"1.0","source":"/s","type":"t"}'
    attempts = [
        lambda: ce_json.decode(body),
        lambda: ce_json.decode_batch(b"[" + body + b"]"),
        lambda: http.from_http(REQUIRED_HEADERS, b""),
        lambda: http.from_http({"content-type": "application/cloudevents+json"}, body),
        lambda: kafka.from_kafka(kafka.KafkaMessage(None, None, KAFKA_REQUIRED)),
        lambda: nats.from_nats(nats.NatsMessage(REQUIRED_HEADERS, b"")),
    ]
    for attempt in attempts:
        with pytest.raises(cesdk.InvalidMessageError) as info:
            attempt()
        assert list(info.value.errors) == ["id"]


# -- replace ------------------------------------------------------------------------------


def test_replace_returns_a_new_event() -> None:
    """DESIGN.md: ev.replace(subject=...) returns a new event; the original is unchanged."""
    ev = make(subject="pod/web-1")
    changed = ev.replace(subject="pod/web-2")
    assert changed is not ev
    assert changed.subject == "pod/web-2"
    assert ev.subject == "pod/web-1"
    assert changed.id == ev.id
    assert changed != ev


def test_replace_validates_again() -> None:
    """DESIGN.md: replace validates again, reporting every problem."""
    ev = make(data={"a": 1})
    with pytest.raises(cesdk.InvalidEventError) as info:
        ev.replace(subject="", time="yesterday", BAD="x")
    assert set(info.value.errors) == {"subject", "time", "BAD"}
    with pytest.raises(cesdk.InvalidEventError) as info:
        ev.replace(datacontenttype="text/plain")
    assert "data" in info.value.errors


def test_replace_none_removes_optional_attribute_and_extension() -> None:
    """spec.md OPTIONAL Attributes: replace(name=None) unsets."""
    ev = make(subject="s", extensions={"x": 1, "y": 2})
    changed = ev.replace(subject=None, x=None)
    assert changed.subject is None
    assert dict(changed.extensions) == {"y": 2}


def test_replace_required_to_none_fails() -> None:
    """spec.md REQUIRED Attributes: id cannot be removed."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        make().replace(id=None)
    assert list(info.value.errors) == ["id"]


def test_replace_data_and_extensions() -> None:
    """DESIGN.md: replace() changes data and extensions too."""
    ev = make(data={"a": 1}, extensions={"x": 1})
    assert ev.replace(data=NO_DATA).data is NO_DATA
    assert ev.replace(data=None).data is None
    assert dict(ev.replace(extensions={"z": "new"}).extensions) == {"z": "new"}
    assert dict(ev.replace(w=5).extensions) == {"x": 1, "w": 5}
    assert ev.data == {"a": 1}


def test_replace_without_changes_is_equal() -> None:
    """DESIGN.md: replace() with nothing to change gives an equal event."""
    ev = make(data={"a": 1}, extensions={"x": 1})
    assert ev.replace() == ev


# -- equality, hash, repr, pickle ----------------------------------------------------------


def test_equality_by_value() -> None:
    """STYLE.md 5: events are values: equal attributes and data mean equal events."""
    a = make(data={"reason": "BackOff"}, extensions={"n": 1})
    b = make(data={"reason": "BackOff"}, extensions={"n": 1})
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a != make(data={"reason": "Other"}, extensions={"n": 1})
    assert a != make(data={"reason": "BackOff"}, extensions={"n": 2})
    assert a != make(id="ev-2", data={"reason": "BackOff"}, extensions={"n": 1})
    assert a != "not an event"


def test_data_type_matters_for_equality() -> None:
    """spec.md Event Data: bytes, a string and a JSON value are different data."""
    ct = {"datacontenttype": "application/json"}
    assert make(data=b"1", **ct) != make(data="1", **ct)
    assert make(data=1, **ct) != make(data="1", **ct)
    assert make(data=1) != make(data=True)
    assert make(data=[]) != make(data={})


def test_json_true_and_one_are_different_data() -> None:
    """json-format.md 3.1 / RFC 8259: `true` and `1` are different JSON values."""
    assert make(data={"a": 1}) != make(data={"a": True})
    assert make(data=[[0]]) != make(data=[[False]])
    assert make(data={"a": 1}) != make(data={"a": 1.0})


def test_json_data_without_content_type_equals_application_json() -> None:
    """spec.md datacontenttype: no datacontenttype on JSON data is exactly application/json."""
    a = make(data={"a": 1})
    b = make(data={"a": 1}, datacontenttype="application/json")
    assert a == b
    assert hash(a) == hash(b)


def test_extension_equality_by_canonical_string() -> None:
    """spec.md Type System: values MAY be presented as native types or canonical strings."""
    assert make(extensions={"n": 5}) == make(extensions={"n": "5"})
    assert make(extensions={"b": True}) == make(extensions={"b": "true"})
    assert hash(make(extensions={"n": 5})) == hash(make(extensions={"n": "5"}))


def test_repr_is_readable() -> None:
    """STYLE.md 5: a readable repr showing the attributes and data."""
    text = repr(make(subject="pod/web-1", data={"reason": "BackOff"}, extensions={"n": 5}))
    assert text.startswith("CloudEvent(")
    for part in ("id='ev-1'", "source='/k8s/prod'", "subject='pod/web-1'", "n=5", "BackOff"):
        assert part in text


def test_repr_shortens_large_data() -> None:
    """STYLE.md 5: repr stays readable with a large payload."""
    text = repr(make(data="x" * 10_000))
    assert len(text) < 400
    assert "..." in text


def test_repr_distinguishes_no_data_from_null() -> None:
    """spec.md Event Data: no data and null data look different."""
    assert "data=None" in repr(make(data=None))
    assert "data=" not in repr(make())


def test_pickle_round_trip() -> None:
    """STYLE.md 5: an event is a value that survives pickling unchanged."""
    ev = make(time="2018-04-05T17:31:00.123456789Z", data={"a": 1}, extensions={"b": b"\x00"})
    again = pickle.loads(pickle.dumps(ev))
    assert again == ev
    assert again.time.rfc3339 == "2018-04-05T17:31:00.123456789Z"
    assert pickle.loads(pickle.dumps(make())).data is NO_DATA


# -- data -------------------------------------------------------------------------------


def test_no_data_is_the_default_and_a_singleton() -> None:
    """spec.md Event Data: data is OPTIONAL; cesdk.NO_DATA marks its absence."""
    ev = make()
    assert ev.data is NO_DATA
    assert not ev.has_data
    assert cesdk.NoData() is NO_DATA
    assert repr(NO_DATA) == "NO_DATA"
    assert not NO_DATA
    assert pickle.loads(pickle.dumps(NO_DATA)) is NO_DATA


def test_no_data_differs_from_json_null() -> None:
    """json-format.md 3.1.1: a null `data` is an explicit null payload, distinct from none."""
    none = make()
    null = make(data=None)
    assert null.data is None
    assert null.has_data
    assert none != null


@pytest.mark.parametrize(
    "data",
    [b"\x00\xff", "text", {"a": [1, 2.5, None, True]}, [1, "x"], 0, -1.5, True, False, None, ""],
)
def test_data_kinds(data: Any) -> None:
    """spec.md Event Data: bytes (Binary), str, or a JSON value."""
    ev = make(data=data)
    assert ev.data == data
    assert type(ev.data) is type(data)


@pytest.mark.parametrize(
    "data",
    [
        object(),
        (1, 2),
        {1, 2},
        {"a": {1}},
        {1: "a"},
        float("nan"),
        [float("inf")],
        # Next to real nulls (which orjson also writes for NaN), and inside a tuple.
        {"a": None, "b": [None, float("nan")]},
        {"a": None, "b": (1.5, float("-inf"))},
    ],
)
def test_data_that_is_not_a_json_value_is_rejected(data: Any) -> None:
    """json-format.md 3.1.1: data must be Binary, a string or a JSON value."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        make(data=data)
    assert list(info.value.errors) == ["data"]


def test_data_with_nulls_is_accepted() -> None:
    """json-format.md 3.1.1: null is a JSON value like any other."""
    data = {"eventTime": None, "series": None, "items": [None, 1.5, {"x": None}]}
    assert make(data=data).data == data


def test_json_data_needs_a_json_content_type() -> None:
    """json-format.md 3.1.1: a non-JSON datacontenttype carries a string (or bytes)."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        make(data={"a": 1}, datacontenttype="text/plain")
    assert list(info.value.errors) == ["data"]
    assert make(data="<a/>", datacontenttype="application/xml").data == "<a/>"


def test_deeply_nested_data_is_rejected_cleanly() -> None:
    """DESIGN.md: bad input raises InvalidEventError, never RecursionError."""
    nested: list[Any] = []
    cursor = nested
    for _ in range(100_000):
        inner: list[Any] = []
        cursor.append(inner)
        cursor = inner
    with pytest.raises(cesdk.InvalidEventError) as info:
        make(data=nested)
    assert list(info.value.errors) == ["data"]


# -- all problems at once --------------------------------------------------------------


def test_all_problems_are_reported_at_once() -> None:
    """STYLE.md 5: construction validates and reports all problems at once."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        CloudEvent(
            type="",
            source="a b",
            id="",
            subject="",
            time="not-a-time",
            dataschema="/relative",
            datacontenttype="json",
            specversion="0.3",
            data=object(),
            extensions={"BAD": 1, "big": 2**40, "float": 1.5},
        )
    errors = info.value.errors
    assert set(errors) == {
        "type",
        "source",
        "id",
        "subject",
        "time",
        "dataschema",
        "datacontenttype",
        "specversion",
        "data",
        "BAD",
        "big",
        "float",
    }
    assert all(isinstance(reason, str) and reason for reason in errors.values())
    message = str(info.value)
    for name in ("source", "dataschema", "BAD"):
        assert name in message


def test_missing_required_attributes_reported_together() -> None:
    """spec.md REQUIRED Attributes: each missing one is named."""
    with pytest.raises(cesdk.InvalidEventError) as info:
        CloudEvent(type=None, source=None, id=None, specversion=None)  # type: ignore[arg-type]
    assert set(info.value.errors) == {"type", "source", "id", "specversion"}
    assert all("REQUIRED" in reason for reason in info.value.errors.values())


def test_invalid_event_error_is_a_value_error() -> None:
    """STYLE.md 9: InvalidEventError mixes in ValueError."""
    with pytest.raises(ValueError, match="subject"):
        make(subject="")
