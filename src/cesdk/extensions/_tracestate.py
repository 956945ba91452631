"""W3C Trace Context ``tracestate`` values.

See distributed-tracing.md "tracestate", which defers to W3C Trace Context section
3.3 ("tracestate Header"): a comma-separated list of at most 32 ``key=value``
list-members, each key at most once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from cesdk._errors import InvalidEventError
from cesdk.extensions._attributes import type_name

__all__ = ["MAX_MEMBERS", "TraceState", "check_tracestate"]

MAX_MEMBERS: Final = 32

# W3C Trace Context "Key": the Level 2 grammar, which admits every Level 1 simple
# and multi-tenant ("tenant@system") key, so both generations of tracers parse.
_KEY: Final = re.compile(r"[a-z0-9][a-z0-9_\-*/@]{0,255}")
# "Value": printable ASCII but ',' and '=', at most 256, not ending in a space.
_VALUE: Final = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
_OWS: Final = " \t"


def _key_problem(key: str) -> str | None:
    if _KEY.fullmatch(key) is not None:
        return None
    if not key:
        return "a tracestate list-member has an empty key; write 'key=value'"
    if len(key) > 256:
        return f"the tracestate key {key[:20]!r}... is longer than 256 characters"
    return (
        f"the tracestate key {key!r} must start with a lowercase letter or digit and "
        "contain only a-z, 0-9, '_', '-', '*', '/' and '@'"
    )


def _value_problem(key: str, value: str) -> str | None:
    if _VALUE.fullmatch(value) is not None:
        return None
    if not value:
        return f"the tracestate value of {key!r} is empty; a value has 1 to 256 characters"
    if len(value) > 256:
        return f"the tracestate value of {key!r} is longer than 256 characters"
    return (
        f"the tracestate value of {key!r} may hold only printable ASCII other than "
        f"',' and '=', and may not end in a space; got {value!r}"
    )


def _entries_problem(entries: tuple[tuple[str, str], ...]) -> str | None:
    if len(entries) > MAX_MEMBERS:
        return (
            f"tracestate has {len(entries)} list-members; W3C Trace Context allows at "
            f"most {MAX_MEMBERS}: drop entries from the end (the oldest)"
        )
    seen: set[str] = set()
    for key, value in entries:
        problem = _key_problem(key) or _value_problem(key, value)
        if problem is not None:
            return problem
        if key in seen:
            return (
                f"the tracestate key {key!r} appears more than once; W3C Trace Context "
                "allows one entry per key (keep the left-most, the most recent)"
            )
        seen.add(key)
    return None


def _split(text: str) -> tuple[tuple[str, str], ...] | str:
    entries: list[tuple[str, str]] = []
    for raw in text.split(","):
        member = raw.strip(_OWS)
        # Empty and whitespace-only list-members are allowed and carry nothing; they
        # arise when several tracestate headers are joined, so they are not counted.
        if not member:
            continue
        key, sep, value = member.partition("=")
        if not sep:
            return f"the tracestate list-member {member!r} has no '='; write 'key=value'"
        entries.append((key, value))
    return tuple(entries)


def check_tracestate(value: object) -> str | None:
    """Check a ``tracestate`` value; return ``None`` or what is wrong."""
    if not isinstance(value, str):
        return f"must be a String, got {type_name(value)}"
    entries = _split(value)
    if isinstance(entries, str):
        return entries
    return _entries_problem(entries)


@dataclass(frozen=True, slots=True, init=False)
class TraceState(Mapping[str, str]):
    """An immutable, ordered W3C ``tracestate``: vendor key to opaque value.

    The left-most entry belongs to the tracing system that wrote the traceparent.

    Args:
        entries: ``(key, value)`` pairs, most recent first.

    Raises:
        InvalidEventError: a key or value is malformed, a key repeats, or there are
            more than 32 entries; ``.errors`` names ``tracestate``.

    Example:
        >>> ts = TraceState.parse("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE")
        >>> str(ts.updated("congo", "ucfJifl5GOE"))
        'congo=ucfJifl5GOE,rojo=00f067aa0ba902b7'
    """

    entries: tuple[tuple[str, str], ...]

    def __init__(self, entries: Iterable[tuple[str, str]] = ()) -> None:
        items = tuple((key, value) for key, value in entries)
        problem = _entries_problem(items)
        if problem is not None:
            raise InvalidEventError({"tracestate": problem})
        object.__setattr__(self, "entries", items)

    @classmethod
    def parse(cls, text: str) -> TraceState:
        """Parse a ``tracestate`` string; an empty one gives an empty TraceState.

        Raises:
            InvalidEventError: ``text`` is not a valid tracestate.
        """
        problem = check_tracestate(text)
        if problem is not None:
            raise InvalidEventError({"tracestate": problem})
        return cls(_split(text))  # type: ignore[arg-type]  # checked: not a reason

    def updated(self, key: str, value: str) -> TraceState:
        """Return a copy with ``key`` set and moved to the front, as W3C asks of a mutation.

        Raises:
            InvalidEventError: the key or value is malformed, or the list would
                exceed 32 entries.
        """
        return TraceState(((key, value), *((k, v) for k, v in self.entries if k != key)))

    def without(self, key: str) -> TraceState:
        """Return a copy without ``key`` (a no-op when absent)."""
        return TraceState((k, v) for k, v in self.entries if k != key)

    def __getitem__(self, key: str) -> str:
        for k, v in self.entries:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __str__(self) -> str:
        return ",".join(f"{k}={v}" for k, v in self.entries)
