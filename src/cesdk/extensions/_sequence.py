"""The Sequence extension: ``sequence``.

See sequence.md: the value is a String that orders the events of one ``source`` by
plain string comparison; the lower value comes first.
"""

from __future__ import annotations

from typing import Final

from cesdk._errors import InvalidEventError
from cesdk._event import CloudEvent
from cesdk.extensions._attributes import check_nonempty_str, problems, read_str, require

__all__ = ["check_event", "compare_sequence", "sequence", "with_sequence"]

#: Digits that hold any unsigned 64-bit counter, so that zero-padded numbers compare
#: as text in the same order as numbers.
DEFAULT_WIDTH: Final = 20


def sequence(event: CloudEvent) -> str | None:
    """Return the event's ``sequence`` text, or ``None`` when it has none.

    The value is text on purpose: the spec defines its order as a string
    comparison, never a numeric one (``"10" < "9"``).

    Raises:
        InvalidEventError: the attribute is set but is not a non-empty String.
    """
    return read_str(event, "sequence", check_nonempty_str)


def with_sequence(event: CloudEvent, value: str | int, *, width: int = DEFAULT_WIDTH) -> CloudEvent:
    """Return a copy of ``event`` whose ``sequence`` is ``value``.

    The producer MUST format values so that a string comparison orders them
    (sequence.md "sequence"). A non-negative ``int`` is therefore written with
    leading zeros to ``width`` digits; text is stored as given, and its producer
    keeps it orderable.

    Args:
        event: the event to copy.
        value: the sequence text, or a non-negative counter.
        width: how many digits a counter is padded to; keep it the same for every
            event of a source.

    Raises:
        InvalidEventError: ``value`` is empty, negative, wider than ``width`` or not
            a String or int.

    Example:
        >>> ev = with_sequence(CloudEvent(type="t", source="/s"), 42, width=6)
        >>> sequence(ev)
        '000042'
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InvalidEventError(
                {
                    "sequence": f"{value} is negative, and '-' does not sort as a number in "
                    "text; count from 0, or pass your own orderable text"
                }
            )
        text = f"{value:0{width}d}"
        if len(text) > width:
            raise InvalidEventError(
                {
                    "sequence": f"{value} has more than {width} digits and would sort "
                    f"before smaller padded numbers; pass a larger width"
                }
            )
        value = text
    require("sequence", value, check_nonempty_str)
    return event.replace(sequence=value)


def compare_sequence(first: CloudEvent, second: CloudEvent) -> int | None:
    """Order two events by ``sequence``: -1, 0 or 1, like ``cmp``.

    Returns ``None`` when they cannot be compared: either has no ``sequence``, or
    their ``source`` differs, since each source has a sequence of its own.
    Strings compare by code point, which is also the order of their UTF-8 bytes.

    Raises:
        InvalidEventError: a ``sequence`` is set but is not a non-empty String.

    Example:
        >>> a = with_sequence(CloudEvent(type="t", source="/s"), "001")
        >>> b = with_sequence(CloudEvent(type="t", source="/s"), "002")
        >>> compare_sequence(a, b)
        -1
    """
    left, right = sequence(first), sequence(second)
    if left is None or right is None or first.source != second.source:
        return None
    return (left > right) - (left < right)


def check_event(event: CloudEvent) -> dict[str, str]:
    """Return the Sequence problems of an event, by attribute name."""
    return problems(event, {"sequence": check_nonempty_str})
