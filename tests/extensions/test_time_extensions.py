"""The Expiry Time and Recorded Time extensions: expirytime and recordedtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cesdk import CloudEvent, InvalidEventError, Timestamp
from cesdk.extensions import (
    expirytime,
    is_expired,
    recordedtime,
    validate,
    with_expirytime,
    with_recordedtime,
)

TIME = "2025-01-01T12:00:00Z"


def event(**ext: object) -> CloudEvent:
    return CloudEvent(type="t", source="/sensors/1", time=TIME, extensions=ext)


def test_expirytime_round_trip_from_datetime() -> None:
    """expirytime.md "expirytime": Type Timestamp."""
    when = datetime(2025, 1, 1, 13, 30, tzinfo=UTC)
    ev = with_expirytime(event(), when)
    assert ev["expirytime"] == "2025-01-01T13:30:00Z"
    got = expirytime(ev)
    assert isinstance(got, Timestamp)
    assert got == when
    assert validate(ev) == {}


def test_expirytime_keeps_offset_and_text() -> None:
    """spec.md "Type System" Timestamp: RFC 3339 text survives, including offsets and digits."""
    text = "2025-01-01T14:00:00.123456789+02:00"
    got = expirytime(with_expirytime(event(), text))
    assert got is not None
    assert str(got) == text
    assert got.utcoffset() == timedelta(hours=2)


def test_expirytime_from_timedelta_counts_from_time() -> None:
    """expirytime.md "expirytime": SHOULD be equal to or later than the time attribute."""
    ev = with_expirytime(event(), timedelta(minutes=5))
    assert ev["expirytime"] == "2025-01-01T12:05:00Z"


def test_expirytime_from_timedelta_without_time_counts_from_now() -> None:
    """expirytime.md "Usage": a producer sets an expiry that suits its sample rate."""
    ev = CloudEvent(type="t", source="/s", time=None)
    before = datetime.now(UTC)
    got = expirytime(with_expirytime(ev, timedelta(seconds=30)))
    assert got is not None
    assert before + timedelta(seconds=30) <= got <= datetime.now(UTC) + timedelta(seconds=30)


def test_expirytime_from_timedelta_on_leap_second() -> None:
    """spec.md "Type System" Timestamp: a leap-second time still yields a valid expiry."""
    ev = CloudEvent(type="t", source="/s", time="2016-12-31T23:59:60Z")
    assert expirytime(with_expirytime(ev, timedelta(seconds=1))) is not None


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2025, 1, 1, 12, 0), "naive datetime"),
        ("2025-01-01 12:00:00", "not an RFC 3339 date-time"),
        ("2025-02-30T12:00:00Z", "does not exist"),
        (1735732800, "must be a Timestamp"),
    ],
)
def test_with_expirytime_rejects(when: object, expected: str) -> None:
    """expirytime.md "expirytime": Type Timestamp (RFC 3339, with a time zone)."""
    with pytest.raises(InvalidEventError) as exc:
        with_expirytime(event(), when)  # type: ignore[arg-type]
    assert expected in exc.value.errors["expirytime"]


def test_is_expired_at_or_before_now() -> None:
    """expirytime.md "Usage": an expirytime at or before the current timestamp MAY be discarded."""
    ev = with_expirytime(event(), "2025-01-01T12:05:00Z")
    assert not is_expired(ev, now=datetime(2025, 1, 1, 12, 4, 59, tzinfo=UTC))
    assert is_expired(ev, now=datetime(2025, 1, 1, 12, 5, tzinfo=UTC))
    assert is_expired(ev, now=datetime(2025, 1, 1, 13, 5, 1, tzinfo=timezone(timedelta(hours=1))))
    assert is_expired(ev)  # the default "now" is long past 2025-01-01


def test_is_expired_without_expiry() -> None:
    """expirytime.md "Usage": only events with an expirytime can be ignored for it."""
    assert not is_expired(event())


def test_is_expired_rejects_naive_now() -> None:
    """expirytime.md "expirytime": a Timestamp compares only with an aware time."""
    ev = with_expirytime(event(), "2025-01-01T12:05:00Z")
    with pytest.raises(TypeError, match="naive"):
        is_expired(ev, now=datetime(2025, 1, 1))


def test_expirytime_getter_rejects_malformed() -> None:
    """expirytime.md "expirytime": Type Timestamp."""
    ev = event(expirytime="tomorrow")
    with pytest.raises(InvalidEventError) as exc:
        expirytime(ev)
    assert "RFC 3339" in exc.value.errors["expirytime"]
    assert "expirytime" in validate(ev)


def test_recordedtime_defaults_to_now() -> None:
    """recordedtime.md "Usage": producers set it to when they create the CloudEvent."""
    before = datetime.now(UTC)
    got = recordedtime(with_recordedtime(event()))
    assert got is not None
    assert before - timedelta(seconds=1) <= got <= datetime.now(UTC)


def test_recordedtime_explicit() -> None:
    """recordedtime.md "recordedtime": MUST adhere to RFC 3339."""
    ev = with_recordedtime(event(), "2025-01-01T12:00:01.5z")
    assert str(recordedtime(ev)) == "2025-01-01T12:00:01.5z"
    assert validate(ev) == {}


def test_recordedtime_rejects_naive_and_malformed() -> None:
    """recordedtime.md "recordedtime": If present, MUST adhere to RFC 3339."""
    with pytest.raises(InvalidEventError) as exc:
        with_recordedtime(event(), datetime(2025, 1, 1))
    assert "naive" in exc.value.errors["recordedtime"]
    assert "recordedtime" in validate(event(recordedtime="2025-13-01T00:00:00Z"))


def test_absent() -> None:
    """expirytime.md and recordedtime.md "Attributes": optional on an event."""
    assert expirytime(event()) is None
    assert recordedtime(event()) is None
