"""The Expiry Time and Recorded Time extensions: ``expirytime`` and ``recordedtime``.

See expirytime.md and recordedtime.md "Attributes". Both are Timestamps; the
envelope stores them as RFC 3339 text, and the getters return a
``Timestamp``, a ``datetime`` that keeps that text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cesdk._event import CloudEvent
from cesdk._types import Timestamp, now_rfc3339
from cesdk.extensions._attributes import (
    check_timestamp_value,
    problems,
    read_str,
    timestamp_text,
)

__all__ = [
    "check_event",
    "expirytime",
    "is_expired",
    "recordedtime",
    "with_expirytime",
    "with_recordedtime",
]


def _read_timestamp(event: CloudEvent, name: str) -> Timestamp | None:
    text = read_str(event, name, check_timestamp_value)
    return None if text is None else Timestamp.parse(text)


def expirytime(event: CloudEvent) -> Timestamp | None:
    """Return when the event stops being useful, or ``None`` when it has no expiry.

    Raises:
        InvalidEventError: the attribute is set but is not an RFC 3339 Timestamp.
    """
    return _read_timestamp(event, "expirytime")


def with_expirytime(event: CloudEvent, when: datetime | timedelta | str) -> CloudEvent:
    """Return a copy of ``event`` that expires at ``when``.

    Args:
        event: the event to copy.
        when: a timezone-aware ``datetime``, RFC 3339 text, or a ``timedelta``
            counted from the event's ``time`` (from now when it has none), since the
            expiry SHOULD NOT precede ``time``.

    Raises:
        InvalidEventError: ``when`` is a naive datetime or not RFC 3339 text.

    Example:
        >>> ev = CloudEvent(type="t", source="/s", time="2025-01-01T12:00:00Z")
        >>> str(expirytime(with_expirytime(ev, timedelta(minutes=5))))
        '2025-01-01T12:05:00Z'
    """
    if isinstance(when, timedelta):
        start = event.time
        # Arithmetic on a Timestamp would build another Timestamp without its text.
        base = datetime.now(UTC) if start is None else datetime.combine(start, start.timetz())
        when = base + when
    return event.replace(expirytime=timestamp_text("expirytime", when))


def is_expired(event: CloudEvent, now: datetime | None = None) -> bool:
    """Tell whether the event's ``expirytime`` is at or before ``now``.

    A consumer MAY discard such an event; clocks of two systems differ, so nothing
    else should rely on it being discarded (expirytime.md "Usage"). An event
    without an expiry never expires.

    Args:
        event: the event to check.
        now: a timezone-aware ``datetime``; the current UTC time by default.

    Raises:
        InvalidEventError: the ``expirytime`` is set but is not an RFC 3339 Timestamp.
        TypeError: ``now`` is naive, so it cannot be compared with a Timestamp.
    """
    expiry = expirytime(event)
    if expiry is None:
        return False
    if now is None:
        now = datetime.now(UTC)
    elif now.utcoffset() is None:
        raise TypeError(
            "now is a naive datetime; pass an aware one such as datetime.now(timezone.utc)"
        )
    return expiry <= now


def recordedtime(event: CloudEvent) -> Timestamp | None:
    """Return when the occurrence was recorded in this event, or ``None``.

    Raises:
        InvalidEventError: the attribute is set but is not an RFC 3339 Timestamp.
    """
    return _read_timestamp(event, "recordedtime")


def with_recordedtime(event: CloudEvent, when: datetime | str | None = None) -> CloudEvent:
    """Return a copy of ``event`` recorded at ``when`` (now, UTC, by default).

    The producer sets it when it creates the event; intermediaries MUST NOT change
    it (recordedtime.md "Usage"). A new record of the same occurrence, for example
    a redacted one, SHOULD get a new recorded time.

    Raises:
        InvalidEventError: ``when`` is a naive datetime or not RFC 3339 text.

    Example:
        >>> ev = with_recordedtime(CloudEvent(type="t", source="/s"))
        >>> recordedtime(ev) is not None
        True
    """
    text = now_rfc3339() if when is None else timestamp_text("recordedtime", when)
    return event.replace(recordedtime=text)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Expiry Time and Recorded Time problems of an event, by attribute name."""
    return problems(
        event, {"expirytime": check_timestamp_value, "recordedtime": check_timestamp_value}
    )
