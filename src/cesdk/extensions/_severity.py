"""The Severity extension: ``severitynumber`` and ``severitytext``.

See severity.md "Attributes". Numbers follow the OpenTelemetry log data model
("SeverityNumber"): 1-4 TRACE, 5-8 DEBUG, 9-12 INFO, 13-16 WARN, 17-20 ERROR,
21-24 FATAL; the CloudEvents extension itself only forbids negative numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from cesdk._errors import InvalidEventError
from cesdk._event import CloudEvent
from cesdk._types import INT32_MAX
from cesdk.extensions._attributes import check_nonempty_str, parse_integer

__all__ = ["Severity", "SeverityNumber", "check_event", "severity", "with_severity"]


class SeverityNumber(IntEnum):
    """The OpenTelemetry severity numbers; each name is its OpenTelemetry short name."""

    UNSPECIFIED = 0
    TRACE = 1
    TRACE2 = 2
    TRACE3 = 3
    TRACE4 = 4
    DEBUG = 5
    DEBUG2 = 6
    DEBUG3 = 7
    DEBUG4 = 8
    INFO = 9
    INFO2 = 10
    INFO3 = 11
    INFO4 = 12
    WARN = 13
    WARN2 = 14
    WARN3 = 15
    WARN4 = 16
    ERROR = 17
    ERROR2 = 18
    ERROR3 = 19
    ERROR4 = 20
    FATAL = 21
    FATAL2 = 22
    FATAL3 = 23
    FATAL4 = 24


def _number_problem(value: object) -> str | None:
    number = parse_integer(value)
    if isinstance(number, str):
        return number
    if number < 0:
        return (
            f"severitynumber {number} is negative, which the Severity extension forbids; "
            "use 0 (unspecified) to 24 (FATAL4), see SeverityNumber"
        )
    return None


@dataclass(frozen=True, slots=True)
class Severity:
    """An event's severity: a number, ascending from least to most severe, and text.

    Args:
        number: the ``severitynumber``, 0 to 2147483647; OpenTelemetry defines 1-24.
        text: the ``severitytext``, the level name as known at the source, if any.

    Raises:
        InvalidEventError: ``number`` is negative or not an int, or ``text`` is empty.

    Example:
        >>> Severity(SeverityNumber.ERROR2).name
        'ERROR2'
    """

    number: int
    text: str | None = None

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if not isinstance(self.number, int) or isinstance(self.number, bool):
            errors["severitynumber"] = f"must be an int, got {type(self.number).__name__}"
        else:
            problem = _number_problem(self.number)
            if problem is not None:
                errors["severitynumber"] = problem
        if self.text is not None:
            problem = check_nonempty_str(self.text)
            if problem is not None:
                errors["severitytext"] = problem
        if errors:
            raise InvalidEventError(errors)
        # Store a plain int so that a SeverityNumber member is written as digits.
        object.__setattr__(self, "number", int(self.number))

    @property
    def short_name(self) -> str | None:
        """The OpenTelemetry short name of the number (``"WARN3"``), if it has one."""
        if 1 <= self.number <= SeverityNumber.FATAL4:
            return SeverityNumber(self.number).name
        return None

    @property
    def name(self) -> str | None:
        """The ``severitytext``, else the short name, which the spec allows in its place."""
        return self.text if self.text is not None else self.short_name


def severity(event: CloudEvent) -> Severity | None:
    """Return the event's severity, or ``None`` when it has neither attribute.

    A ``severitynumber`` in its string encoding (``"17"``, as binary-mode bindings
    deliver it) is read as a number.

    Raises:
        InvalidEventError: an attribute is malformed, or ``severitytext`` is set
            without the REQUIRED ``severitynumber``.

    Example:
        >>> severity(CloudEvent(type="t", source="/s", extensions={"severitynumber": "17"}))
        Severity(number=17, text=None)
    """
    number = event.get("severitynumber")
    text = event.get("severitytext")
    if number is None and text is None:
        return None
    errors = check_event(event)
    if errors:
        raise InvalidEventError(errors)
    parsed = parse_integer(number)
    assert isinstance(parsed, int)  # check_event accepted it
    return Severity(parsed, text)


def with_severity(event: CloudEvent, number: int, text: str | None = None) -> CloudEvent:
    """Return a copy of ``event`` with ``severitynumber`` and ``severitytext`` set.

    ``text=None`` removes any ``severitytext`` the event had, since it named the
    old number; a source SHOULD map its texts and numbers one to one.

    Raises:
        InvalidEventError: ``number`` is negative, or ``text`` is empty or invalid.

    Example:
        >>> ev = with_severity(CloudEvent(type="t", source="/s"), SeverityNumber.WARN, "WARN")
        >>> ev["severitynumber"], severity(ev).name
        (13, 'WARN')
    """
    level = Severity(number, text)
    return event.replace(severitynumber=level.number, severitytext=level.text)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Severity problems of an event, by attribute name."""
    found: dict[str, str] = {}
    number = event.get("severitynumber")
    text = event.get("severitytext")
    if number is not None:
        problem = _number_problem(number)
        if problem is not None:
            found["severitynumber"] = problem
    elif text is not None:
        found["severitynumber"] = (
            "REQUIRED by the Severity extension when severitytext is set; add it "
            f"(0 to {INT32_MAX}, OpenTelemetry defines 1-24)"
        )
    if text is not None:
        problem = check_nonempty_str(text)
        if problem is not None:
            found["severitytext"] = problem
    return found
