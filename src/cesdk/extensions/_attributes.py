"""Checks shared by the extension modules: each returns ``None`` or a reason.

Like the ``check_*`` functions of ``_types``, these never raise, so that
``validate`` can collect every problem of an event at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from cesdk._errors import InvalidEventError
from cesdk._event import CloudEvent
from cesdk._types import INT32_MAX, check_string, check_timestamp, format_datetime

#: A check takes an attribute value and returns ``None`` or what is wrong with it.
Check = Callable[[object], str | None]

# spec.md "Type System", Integer: the string encoding is a JSON Number's integer part.
_INTEGER_TEXT: Final = re.compile(r"-?(?:0|[1-9][0-9]*)")


def type_name(value: object) -> str:
    """Name the CloudEvents type of a value, so messages speak the spec's words."""
    if isinstance(value, bool):
        return f"Boolean {value!r}"
    if isinstance(value, int):
        return f"Integer {value}"
    if isinstance(value, bytes):
        return "Binary"
    if isinstance(value, str):
        return f"String {value!r}"
    return type(value).__name__


def check_str(value: object) -> str | None:
    """Check a String value; the empty string is allowed."""
    if not isinstance(value, str):
        return f"must be a String, got {type_name(value)}"
    return check_string(value)


def check_nonempty_str(value: object) -> str | None:
    """Check a String value that the extension says MUST be non-empty."""
    if isinstance(value, str) and not value:
        return "must be a non-empty String"
    return check_str(value)


def check_timestamp_value(value: object) -> str | None:
    """Check a Timestamp value as the envelope stores it: RFC 3339 text."""
    if not isinstance(value, str):
        return f"must be a Timestamp (RFC 3339 text), got {type_name(value)}"
    return check_timestamp(value)


def parse_integer(value: object) -> int | str:
    """Return an Integer value as ``int``, or a reason.

    Binary-mode bindings carry every extension as text, so the canonical string
    encoding (``"17"``) is accepted as well as a native ``int``.
    """
    if isinstance(value, str):
        if _INTEGER_TEXT.fullmatch(value) is None:
            return (
                f"must be an Integer, got {value!r}; write digits only, optionally "
                "after a '-', without leading zeros or a '+'"
            )
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = int(value)
    else:
        return f"must be an Integer, got {type_name(value)}"
    if not -INT32_MAX - 1 <= number <= INT32_MAX:
        return f"Integer {number} is outside the 32-bit range [-2147483648, 2147483647]"
    return number


def timestamp_text(name: str, when: object) -> str:
    """Return the RFC 3339 text of a datetime or text given to a setter.

    Raises:
        InvalidEventError: ``when`` is naive, not a datetime, or not RFC 3339 text.
    """
    if isinstance(when, datetime):
        try:
            return format_datetime(when)
        except ValueError as exc:
            raise InvalidEventError({name: str(exc)}) from None
    problem = check_timestamp_value(when)
    if problem is not None:
        raise InvalidEventError({name: problem})
    return when  # type: ignore[return-value]  # checked to be str just above


def read_str(event: CloudEvent, name: str, check: Check) -> str | None:
    """Return a String-valued attribute, ``None`` when unset.

    Raises:
        InvalidEventError: the attribute is set but fails ``check`` (which must
            reject anything but a ``str``).
    """
    value = event.get(name)
    if value is None:
        return None
    problem = check(value)
    if problem is not None or not isinstance(value, str):
        raise InvalidEventError({name: problem or f"must be a String, got {type_name(value)}"})
    return value


def require(name: str, value: object, check: Check) -> None:
    """Check a value given to a setter.

    Raises:
        InvalidEventError: ``value`` fails ``check``.
    """
    problem = check(value)
    if problem is not None:
        raise InvalidEventError({name: problem})


def problems(event: CloudEvent, checks: Mapping[str, Check]) -> dict[str, str]:
    """Return ``{attribute: reason}`` for each attribute of ``checks`` that is set and fails."""
    found: dict[str, str] = {}
    for name, check in checks.items():
        value = event.get(name)
        if value is not None:
            problem = check(value)
            if problem is not None:
                found[name] = problem
    return found
