"""Conversion to and from the official ``cloudevents`` SDK (2.x, ``cloudevents.core``).

Install the extra: ``pip install "cesdk[interop]"``.

What the official SDK cannot hold is lost on the way there:

- it has no "no data" distinct from ``None``: ``NO_DATA`` maps to ``None`` and back,
  so JSON ``null`` data comes back as no data;
- it holds ``time`` as a ``datetime``: digits beyond microseconds and a leap second
  are lost;
- its constructor fills in a missing ``time`` (and ``id``): an event without ``time``
  gains one in ``to_sdk``.

Example:
    >>> import cesdk
    >>> from cesdk import interop
    >>> ev = cesdk.CloudEvent(type="t", source="/s", id="1", time=None, data={"a": 1})
    >>> interop.from_sdk(interop.to_sdk(ev)) == ev
    True
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cesdk._errors import MissingDependencyError
from cesdk._event import NO_DATA, CloudEvent
from cesdk._types import Timestamp

__all__ = ["from_sdk", "to_sdk"]


def _sdk_event_class() -> Any:
    try:
        from cloudevents.core.v1.event import CloudEvent as SdkCloudEvent
    except ImportError:
        raise MissingDependencyError(
            "the official CloudEvents SDK (cloudevents>=2.2) is not installed; "
            'install the extra: pip install "cesdk[interop]"'
        ) from None
    return SdkCloudEvent


def from_sdk(event: Any) -> CloudEvent:
    """Convert an official SDK event (anything with ``get_attributes``/``get_data``).

    Raises:
        InvalidEventError: the official event breaks a rule that cesdk enforces.
    """
    attributes = dict(event.get_attributes())
    data = event.get_data()
    return CloudEvent.from_attributes(attributes, NO_DATA if data is None else data)


def to_sdk(event: CloudEvent) -> Any:
    """Convert to an official SDK ``cloudevents.core.v1.event.CloudEvent``.

    Raises:
        MissingDependencyError: the ``interop`` extra is not installed.
    """
    sdk_class = _sdk_event_class()
    attributes: dict[str, Any] = dict(event.attributes)
    stamp = event.time
    if stamp is not None:
        attributes["time"] = (
            datetime(
                stamp.year,
                stamp.month,
                stamp.day,
                stamp.hour,
                stamp.minute,
                stamp.second,
                stamp.microsecond,
                stamp.tzinfo,
            )
            if isinstance(stamp, Timestamp)
            else stamp
        )
    data = event.data
    return sdk_class(attributes, None if data is NO_DATA else data)
