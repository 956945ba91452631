"""CESQL types, zero values and casts (cesql/spec.md sections 3.1, 3.2 and 3.7).

Values are plain Python objects: ``bool`` is Boolean, ``int`` is Integer (32-bit) and
``str`` is String. Casts never raise: a failed cast appends a :class:`CastError` to the
error sink and yields the target type's zero value, as section 3.7 requires.
"""

from __future__ import annotations

import base64
import enum
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, NamedTuple

from cesdk._types import INT32_MAX, INT32_MIN, format_datetime
from cesdk.cesql._errors import CastError, CESQLError

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "MISSING",
    "TYPE_OF_CLASS",
    "Caster",
    "ErrorSink",
    "Result",
    "Type",
    "Value",
    "cast",
    "caster",
    "from_attribute",
    "to_boolean",
    "to_integer",
    "to_string",
    "type_name",
    "type_of",
]

#: A CESQL value: Boolean, Integer or String.
Value = bool | int | str


#: Where evaluation puts its errors: a list, or the fail-fast list that raises on append.
ErrorSink = list[CESQLError]


class Result(NamedTuple):
    """The outcome of an evaluation: a value, and every error met on the way.

    Attributes:
        value: a ``bool``, ``int`` or ``str``; the type's zero value where an error
            left no better answer (section 3.3).
        errors: the errors, in the order they arose; empty when all went well.
    """

    value: Value
    errors: tuple[CESQLError, ...] = ()


class Type(enum.Enum):
    """The static type of a sub-expression; ``ANY`` is an attribute, known at run time."""

    BOOLEAN = bool
    INTEGER = int
    STRING = str
    ANY = object

    @property
    def zero(self) -> Value:
        """The zero value of the type (section 3.1); ``ANY`` counts as Boolean (section 3.2)."""
        return _ZERO[self]


_ZERO: Final[dict[Type, Value]] = {
    Type.BOOLEAN: False,
    Type.INTEGER: 0,
    Type.STRING: "",
    Type.ANY: False,
}


class _Missing:
    """What an attribute read yields when the event lacks the attribute."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: The marker an attribute read returns for an absent attribute; the operator that
#: receives it answers its own zero value (section 3.2).
MISSING: Final[Any] = _Missing()


# Enum members are slow to reach as class attributes and to hash; evaluation uses these.
_BOOLEAN: Final = Type.BOOLEAN
_INTEGER: Final = Type.INTEGER
_STRING: Final = Type.STRING
#: The CESQL type of each Python class of a value.
TYPE_OF_CLASS: Final[dict[type, Type]] = {bool: _BOOLEAN, int: _INTEGER, str: _STRING}


def type_of(value: Value) -> Type:
    """Return the CESQL type of a value."""
    return TYPE_OF_CLASS[value.__class__]


def type_name(value: Value) -> str:
    """Return the spec's name for the type of a value: Boolean, Integer or String."""
    return _NAMES[type_of(value)]


_NAMES: Final = {Type.BOOLEAN: "Boolean", Type.INTEGER: "Integer", Type.STRING: "String"}


def from_attribute(value: object) -> Value:
    """Return the CESQL value of an attribute value (section 3.2).

    Binary, Timestamp and anything else that is not Boolean, Integer or String is seen
    as its canonical String.
    """
    cls = value.__class__
    if cls is str or cls is bool:
        return value  # type: ignore[return-value]  # str or bool, checked above
    if cls is int:
        if INT32_MIN <= value <= INT32_MAX:  # type: ignore[operator]  # an int
            return value  # type: ignore[return-value]  # an int
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime) and value.tzinfo is not None:
        return format_datetime(value)
    if isinstance(value, bool | int | str):
        return from_attribute(_plain(value))
    return str(value)


def _plain(value: bool | int | str) -> Value:
    # Subclasses (an IntEnum, a str subclass) become the builtin they extend.
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return str(value)


_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


def to_integer(value: Value, errors: ErrorSink, position: int | None = None) -> int:
    """Cast to Integer (section 3.7): a base 10 32-bit integer, optionally signed."""
    cls = value.__class__
    if cls is int:
        return value  # type: ignore[return-value]  # an int
    if cls is bool:
        return 1 if value else 0
    text: str = value  # type: ignore[assignment]  # a str
    if len(text) < 10 and text.isascii() and text.isdigit():
        return int(text)  # the common case: fewer than 10 digits always fit
    if _INTEGER_TEXT.fullmatch(text) is not None:
        number = int(text)
        if INT32_MIN <= number <= INT32_MAX:
            return number
        reason = "it is outside the 32-bit Integer range"
    else:
        reason = "it is not a base 10 integer"
    errors.append(
        CastError(f"cannot cast the String {_show(text)} to Integer: {reason}", position=position)
    )
    return 0


def to_boolean(value: Value, errors: ErrorSink, position: int | None = None) -> bool:
    """Cast to Boolean (section 3.7): 'true' or 'false' in any case; 0 is false."""
    cls = value.__class__
    if cls is bool:
        return value  # type: ignore[return-value]  # a bool
    if cls is int:
        return value != 0
    lowered = value.lower()  # type: ignore[union-attr]  # a str
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    errors.append(
        CastError(
            f"cannot cast the String {_show(value)} to Boolean: only 'true' and 'false' "  # type: ignore[arg-type]  # a str
            "(any case) are Booleans",
            position=position,
        )
    )
    return False


def to_string(value: Value, errors: ErrorSink, position: int | None = None) -> str:
    """Cast to String (section 3.7); never fails."""
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[return-value]  # a str
    if cls is bool:
        return "true" if value else "false"
    return str(value)


def _show(value: str) -> str:
    return repr(value) if len(value) <= 40 else repr(value[:37] + "...")


def cast(value: Value, target: Type, errors: ErrorSink, position: int | None = None) -> Value:
    """Cast a value to a type with the semantics of section 3.7.

    A failed cast appends a :class:`CastError` and returns the target's zero value.
    ``Type.ANY`` returns the value unchanged.
    """
    if target is _STRING:
        return to_string(value, errors, position)
    if target is _INTEGER:
        return to_integer(value, errors, position)
    if target is _BOOLEAN:
        return to_boolean(value, errors, position)
    return value


#: A cast of one operand, bound to its position: ``caster(value, errors) -> value``.
Caster = Callable[[Any, ErrorSink], Any]


def caster(target: Type, position: int | None) -> Caster:
    """Return a cast to ``target`` that reports errors at ``position``."""

    def cast_operand(value: Any, errors: ErrorSink) -> Any:
        return cast(value, target, errors, position)

    return cast_operand
