"""Interoperability with the official ``cloudevents`` SDK 2.2 (SDK.md; spec.md Type System)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cloudevents.core.v1.event import CloudEvent as SdkCloudEvent

import cesdk
from cesdk import NO_DATA, CloudEvent, interop


def make(**kwargs: Any) -> CloudEvent:
    kwargs.setdefault("type", "com.example.someevent")
    kwargs.setdefault("source", "/mycontext")
    kwargs.setdefault("id", "A234-1234-1234")
    kwargs.setdefault("time", "2018-04-05T17:31:00.123456Z")
    return CloudEvent(**kwargs)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ({"appinfoA": "abc", "appinfoB": 123, "appinfoC": True}, None),
        ({"a": [1, 2.5]}, "application/json"),
        ("<much wow='xml'/>", "application/xml"),
        (b"\x00\x01\xff", "application/octet-stream"),
        (NO_DATA, None),
    ],
)
def test_cesdk_to_sdk_and_back(data: Any, content_type: str | None) -> None:
    """spec.md Type System: a strongly-typed model converts to and from another one."""
    event = make(
        data=data,
        datacontenttype=content_type,
        subject="123",
        dataschema="https://example.com/schema",
        extensions={"comexampleextension1": "value", "n": 5, "flag": True, "raw": b"\x01"},
    )
    sdk_event = interop.to_sdk(event)
    assert isinstance(sdk_event, SdkCloudEvent)
    assert sdk_event.get_id() == "A234-1234-1234"
    assert sdk_event.get_source() == "/mycontext"
    assert sdk_event.get_type() == "com.example.someevent"
    assert sdk_event.get_subject() == "123"
    assert sdk_event.get_datacontenttype() == content_type
    assert sdk_event.get_time() == datetime(2018, 4, 5, 17, 31, 0, 123456, tzinfo=UTC)
    assert sdk_event.get_extension("n") == 5
    assert sdk_event.get_data() == (None if data is NO_DATA else data)
    back = interop.from_sdk(sdk_event)
    assert back == event
    assert type(back.data) is type(event.data)


def test_sdk_to_cesdk_and_back() -> None:
    """spec.md Type System: an official SDK event converts to cesdk and back unchanged."""
    plus_two = timezone(timedelta(hours=2))
    attributes = {
        "specversion": "1.0",
        "id": "1",
        "source": "https://example.com/src",
        "type": "com.example.t",
        "time": datetime(2020, 1, 2, 3, 4, 5, 678, tzinfo=plus_two),
        "subject": "s",
        "datacontenttype": "application/json",
        "ext": "value",
    }
    sdk_event = SdkCloudEvent(dict(attributes), {"a": [1, None]})
    event = interop.from_sdk(sdk_event)
    assert event.id == "1"
    assert event.time == attributes["time"]
    assert event["ext"] == "value"
    assert event.data == {"a": [1, None]}
    again = interop.to_sdk(event)
    assert again.get_attributes() == sdk_event.get_attributes()
    assert again.get_data() == sdk_event.get_data()


def test_from_sdk_does_not_mutate_the_sdk_event() -> None:
    """DESIGN.md: construction never mutates its inputs."""
    sdk_event = SdkCloudEvent({"type": "t", "source": "/s", "id": "1", "x": "y"}, {"a": 1})
    before = dict(sdk_event.get_attributes())
    event = interop.from_sdk(sdk_event)
    assert sdk_event.get_attributes() == before
    sdk_event.get_attributes()["x"] = "changed"
    assert event["x"] == "y"


def test_no_data_maps_to_sdk_none() -> None:
    """spec.md Event Data: the official SDK holds absent data as None (documented map)."""
    assert interop.to_sdk(make()).get_data() is None
    assert interop.from_sdk(SdkCloudEvent({"type": "t", "source": "/s"}, None)).data is NO_DATA


def test_from_sdk_enforces_cesdk_rules() -> None:
    """spec.md Type System: an official event breaking a rule is rejected with .errors."""
    sdk_event = SdkCloudEvent({"type": "t", "source": "/s", "big": 2**40}, None)
    with pytest.raises(cesdk.InvalidEventError) as info:
        interop.from_sdk(sdk_event)
    assert list(info.value.errors) == ["big"]


@pytest.mark.parametrize(
    "time",
    ["2018-04-05T17:31:00.5Z", "2018-04-05T17:31:00+00:00", "2018-04-05t17:31:00z",
     "2018-04-05T17:31:00.000000Z", "2018-04-05T19:31:00+02:00"],
)  # fmt: skip
def test_round_trip_keeps_the_instant_of_microsecond_times(time: str) -> None:
    """spec.md Type System: Timestamp converts to datetime and back without changing the
    instant; equal events stay equal."""
    event = make(time=time, data={"a": 1})
    back = interop.from_sdk(interop.to_sdk(event))
    assert back.time == event.time
    assert back == event


def test_missing_extra_raises_missing_dependency_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """STYLE.md 6/9: an optional dependency that is missing names the extra to install."""
    monkeypatch.setitem(sys.modules, "cloudevents.core.v1.event", None)
    with pytest.raises(cesdk.MissingDependencyError, match="interop") as info:
        interop.to_sdk(make())
    assert isinstance(info.value, ImportError)
