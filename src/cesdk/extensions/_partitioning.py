"""The Partitioning extension: ``partitionkey``.

See partitioning.md "Attributes".
"""

from __future__ import annotations

from cesdk._event import CloudEvent
from cesdk.extensions._attributes import check_nonempty_str, problems, read_str, require

__all__ = ["check_event", "partitionkey", "with_partitionkey"]


def partitionkey(event: CloudEvent) -> str | None:
    """Return the event's partition key, or ``None`` when it has none.

    Raises:
        InvalidEventError: the attribute is set but is not a non-empty String.
    """
    return read_str(event, "partitionkey", check_nonempty_str)


def with_partitionkey(event: CloudEvent, key: str) -> CloudEvent:
    """Return a copy of ``event`` whose ``partitionkey`` is ``key``.

    Events that need to land in the same bucket (and so keep their order) share a
    key, typically the id of the entity the event is about.

    Raises:
        InvalidEventError: ``key`` is not a non-empty String.

    Example:
        >>> ev = with_partitionkey(CloudEvent(type="t", source="/s"), "web-1")
        >>> partitionkey(ev)
        'web-1'
    """
    require("partitionkey", key, check_nonempty_str)
    return event.replace(partitionkey=key)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Partitioning problems of an event, by attribute name."""
    return problems(event, {"partitionkey": check_nonempty_str})
