"""The Dataref extension (Claim Check Pattern): ``dataref``.

See dataref.md "Attributes".
"""

from __future__ import annotations

from cesdk._event import NO_DATA, CloudEvent
from cesdk._types import check_uri_reference
from cesdk.extensions._attributes import problems, read_str, require, type_name

__all__ = ["check_event", "dataref", "with_dataref"]


def _check_dataref(value: object) -> str | None:
    if not isinstance(value, str):
        return f"must be a URI-reference (RFC 3986 section 4.1), got {type_name(value)}"
    return check_uri_reference(value)


def dataref(event: CloudEvent) -> str | None:
    """Return the reference to where the event's payload is stored, or ``None``.

    Raises:
        InvalidEventError: the attribute is set but is not a URI-reference.
    """
    return read_str(event, "dataref", _check_dataref)


def with_dataref(event: CloudEvent, ref: str, *, drop_data: bool = False) -> CloudEvent:
    """Return a copy of ``event`` whose ``dataref`` is ``ref``.

    Args:
        event: the event to copy.
        ref: a URI-reference to the payload; the data found there MUST be identical
            to the event's ``data``.
        drop_data: also remove ``data``, as a middleware MAY do. Only do so when
            every receiver is known to support ``dataref`` (dataref.md).

    Raises:
        InvalidEventError: ``ref`` is not a URI-reference.

    Example:
        >>> ev = CloudEvent(type="t", source="/s", data=b"...")
        >>> ev = with_dataref(ev, "https://store.example/blobs/42", drop_data=True)
        >>> dataref(ev), ev.has_data
        ('https://store.example/blobs/42', False)
    """
    require("dataref", ref, _check_dataref)
    if drop_data:
        return event.replace(dataref=ref, data=NO_DATA)
    return event.replace(dataref=ref)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Dataref problems of an event, by attribute name."""
    return problems(event, {"dataref": _check_dataref})
