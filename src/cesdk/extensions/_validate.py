"""Check every documented extension an event carries against its spec."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from cesdk._event import CloudEvent
from cesdk.extensions import (
    _authcontext,
    _correlation,
    _dataref,
    _partitioning,
    _sequence,
    _severity,
    _time,
    _tracing,
)

__all__ = ["validate"]

_CHECKS: Final[tuple[Callable[[CloudEvent], dict[str, str]], ...]] = (
    _tracing.check_event,
    _partitioning.check_event,
    _sequence.check_event,
    _dataref.check_event,
    _time.check_event,
    _severity.check_event,
    _correlation.check_event,
    _authcontext.check_event,
)


def validate(event: CloudEvent) -> dict[str, str]:
    """Return ``{attribute: problem}`` for every known extension attribute that breaks its spec.

    The envelope already guarantees CloudEvents types; this adds each extension's
    own rules (a W3C traceparent, a non-negative severity, RFC 3339 expiry, ...),
    including attributes an extension makes REQUIRED alongside the one present.
    Recommendations (SHOULD) are not reported. Unknown extensions are ignored.

    Returns:
        An empty dict when every known extension is valid.

    Example:
        >>> ev = CloudEvent(type="t", source="/s", extensions={"severitynumber": -1})
        >>> list(validate(ev))
        ['severitynumber']
    """
    found: dict[str, str] = {}
    for check in _CHECKS:
        found.update(check(event))
    return found
