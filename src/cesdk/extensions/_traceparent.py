"""W3C Trace Context ``traceparent`` values.

See distributed-tracing.md "traceparent", which defers to W3C Trace Context section
3.2 ("traceparent Header"): ``version "-" trace-id "-" parent-id "-" trace-flags``,
all lowercase hex.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Final

from cesdk._errors import InvalidEventError
from cesdk.extensions._attributes import type_name

__all__ = ["TraceParent", "check_traceparent"]

_VERSION_00: Final = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_LOWER_HEX: Final = re.compile(r"[0-9a-f]*")
_ANY_HEX: Final = re.compile(r"[0-9a-fA-F]*")
_SHAPE: Final = "'00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>'"
# Offsets of the fields in every version; later versions may only append fields.
_FIELDS: Final = (("version", 0, 2), ("trace-id", 3, 35), ("parent-id", 36, 52), ("flags", 53, 55))
_SAMPLED: Final = 0x01


def _hex_problem(field: str, text: str, size: int) -> str | None:
    if len(text) == size and _LOWER_HEX.fullmatch(text) is not None:
        if field in ("trace-id", "parent-id") and text == "0" * size:
            return (
                f"the {field} is all zeros, which W3C Trace Context forbids; "
                "start a new trace with TraceParent.new()"
            )
        return None
    if len(text) == size and _ANY_HEX.fullmatch(text) is not None:
        return (
            f"the {field} {text!r} has uppercase hex digits; W3C Trace Context allows "
            f"only lowercase (0-9, a-f): use {text.lower()!r}"
        )
    return f"the {field} must be {size} lowercase hex digits, got {text!r}"


def check_traceparent(value: object) -> str | None:
    """Check a ``traceparent`` value; return ``None`` or what is wrong.

    Version ``00`` is exactly 55 characters. A higher version is accepted when its
    first four fields parse as version ``00`` and are followed by the end of the text
    or a ``-`` (W3C Trace Context "Versioning of traceparent").
    """
    if (
        isinstance(value, str)
        and _VERSION_00.fullmatch(value) is not None
        and value[3:35] != "0" * 32
        and value[36:52] != "0" * 16
    ):
        return None
    if not isinstance(value, str):
        return f"must be a String, got {type_name(value)}"
    if not value:
        return f"must be a non-empty String of the form {_SHAPE}"
    version = value[:2]
    problem = _hex_problem("version", version, 2)
    if problem is not None:
        return problem
    if version == "ff":
        return "version ff is forbidden by W3C Trace Context; write version 00"
    if len(value) < 55 or (version == "00" and len(value) != 55):
        return (
            f"a version-{version} traceparent is {'exactly' if version == '00' else 'at least'} "
            f"55 characters of the form {_SHAPE}, got {len(value)}: {value!r}"
        )
    for at in (2, 35, 52):
        if value[at] != "-":
            return f"expected '-' at position {at} of {value!r}, the form is {_SHAPE}"
    if len(value) > 55 and value[55] != "-":
        return f"the flags of {value!r} must be followed by '-' or the end of the text"
    for field, start, end in _FIELDS[1:]:
        problem = _hex_problem(field, value[start:end], end - start)
        if problem is not None:
            return problem
    return None


def _random_id(size: int) -> str:
    while True:  # an all-zero id is invalid; drawing one is astronomically rare
        text = secrets.token_hex(size)
        if text != "0" * (2 * size):
            return text


@dataclass(frozen=True, slots=True)
class TraceParent:
    """A W3C Trace Context ``traceparent``: trace id, parent (span) id and flags.

    Args:
        trace_id: 32 lowercase hex digits, not all zeros.
        parent_id: 16 lowercase hex digits, not all zeros.
        flags: the 8-bit trace-flags; bit 0 is ``sampled``.

    Raises:
        InvalidEventError: a field is malformed; ``.errors`` names ``traceparent``.

    Example:
        >>> tp = TraceParent.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        >>> tp.sampled, tp.trace_id == tp.child().trace_id
        (True, True)
    """

    trace_id: str
    parent_id: str
    flags: int = 0

    def __post_init__(self) -> None:
        problem = None
        if not isinstance(self.trace_id, str) or not isinstance(self.parent_id, str):
            problem = "trace_id and parent_id must be str"
        elif isinstance(self.flags, bool) or not isinstance(self.flags, int):
            problem = f"flags must be an int from 0 to 255, got {type(self.flags).__name__}"
        elif not 0 <= self.flags <= 0xFF:
            problem = f"flags is an 8-bit field (0 to 255), got {self.flags}"
        else:
            problem = _hex_problem("trace-id", self.trace_id, 32) or _hex_problem(
                "parent-id", self.parent_id, 16
            )
        if problem is not None:
            raise InvalidEventError({"traceparent": problem})

    @classmethod
    def parse(cls, text: str) -> TraceParent:
        """Parse a ``traceparent`` string.

        A version above ``00`` is read through its first four fields and downgraded,
        as W3C Trace Context asks: ``str()`` of the result writes version ``00``.

        Raises:
            InvalidEventError: ``text`` is not a valid traceparent.
        """
        problem = check_traceparent(text)
        if problem is not None:
            raise InvalidEventError({"traceparent": problem})
        return cls(text[3:35], text[36:52], int(text[53:55], 16))

    @classmethod
    def new(cls, sampled: bool = True) -> TraceParent:
        """Start a new trace: random trace id and parent id."""
        return cls(_random_id(16), _random_id(8), _SAMPLED if sampled else 0)

    @property
    def sampled(self) -> bool:
        """Whether the caller may have recorded trace data (flags bit 0)."""
        return bool(self.flags & _SAMPLED)

    def child(self, sampled: bool | None = None) -> TraceParent:
        """Return the traceparent of a new span in the same trace.

        The parent id is new, as W3C Trace Context requires whenever the ``sampled``
        flag changes; ``sampled=None`` keeps the flags.
        """
        flags = self.flags
        if sampled is not None:
            flags = flags | _SAMPLED if sampled else flags & ~_SAMPLED
        return TraceParent(self.trace_id, _random_id(8), flags)

    def __str__(self) -> str:
        return f"00-{self.trace_id}-{self.parent_id}-{self.flags:02x}"
