"""The Correlation extension: ``correlationid`` and ``causationid``.

See correlation.md "Attributes" and "Best Practices".
"""

from __future__ import annotations

from cesdk._event import CloudEvent
from cesdk.extensions._attributes import check_nonempty_str, problems, read_str, require

__all__ = [
    "causationid",
    "check_event",
    "correlationid",
    "with_causationid",
    "with_cause",
    "with_correlationid",
]


def correlationid(event: CloudEvent) -> str | None:
    """Return the id of the logical flow the event belongs to, or ``None``.

    Raises:
        InvalidEventError: the attribute is set but is not a non-empty String.
    """
    return read_str(event, "correlationid", check_nonempty_str)


def causationid(event: CloudEvent) -> str | None:
    """Return the ``id`` of the event that directly caused this one, or ``None``.

    Raises:
        InvalidEventError: the attribute is set but is not a non-empty String.
    """
    return read_str(event, "causationid", check_nonempty_str)


def with_correlationid(event: CloudEvent, value: str) -> CloudEvent:
    """Return a copy of ``event`` whose ``correlationid`` is ``value``.

    Raises:
        InvalidEventError: ``value`` is not a non-empty String.
    """
    require("correlationid", value, check_nonempty_str)
    return event.replace(correlationid=value)


def with_causationid(event: CloudEvent, value: str) -> CloudEvent:
    """Return a copy of ``event`` whose ``causationid`` is ``value``.

    Raises:
        InvalidEventError: ``value`` is not a non-empty String.
    """
    require("causationid", value, check_nonempty_str)
    return event.replace(causationid=value)


def with_cause(event: CloudEvent, cause: CloudEvent) -> CloudEvent:
    """Return a copy of ``event`` marked as caused by ``cause``.

    ``causationid`` becomes ``cause.id``; the cause's ``correlationid``, when it has
    one, is carried over, so that every event of a flow shares it
    (correlation.md "Best Practices").

    Raises:
        InvalidEventError: the cause's ``correlationid`` is malformed.

    Example:
        >>> order = CloudEvent(type="order.placed", source="/orders", id="order-123",
        ...                    extensions={"correlationid": "txn-abc-123"})
        >>> payment = with_cause(CloudEvent(type="payment.processed", source="/pay"), order)
        >>> correlationid(payment), causationid(payment)
        ('txn-abc-123', 'order-123')
    """
    flow = correlationid(cause)
    if flow is None:
        return event.replace(causationid=cause.id)
    return event.replace(causationid=cause.id, correlationid=flow)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Correlation problems of an event, by attribute name."""
    return problems(event, {"correlationid": check_nonempty_str, "causationid": check_nonempty_str})
