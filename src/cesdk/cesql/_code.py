"""Compiled sub-expressions: the ``Code`` record, constants, attribute reads and casts.

How errors travel (sections 3.2 and 3.3): the operator or function where an error
arises records it and returns the value the spec gives (``5 / 0`` is ``0``,
``ABS(-2147483648)`` is ``2147483647``). Every operator *above* it sees that the
error count grew while its operands ran, and returns its own zero value without
computing anything: ``missing / 0`` is ``0`` with only a MissingAttributeError, and
``TRUE AND (1 != 1 / 0)`` is ``false``. An absent attribute reads as :data:`MISSING`
after recording its error, so it never reaches a computation.

Only sub-expressions that can fail pay for the check (``Code.may_fail``), and the
fail-fast sink used for filtering raises on the first error, so there the count never
grows and filtering skips all of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cesdk.cesql._errors import CESQLError, MissingAttributeError
from cesdk.cesql._types import MISSING, ErrorSink, Type, Value, cast, from_attribute

__all__ = ["Code", "Fn", "attribute", "constant", "fold", "may_fail", "typed"]

#: A compiled closure: ``fn(attributes, errors) -> value``.
Fn = Callable[[Mapping[str, Any], ErrorSink], Any]

_NO_ATTRIBUTES: Final[Mapping[str, Any]] = {}


@dataclass(slots=True)
class Code:
    """A compiled sub-expression.

    Attributes:
        fn: the closure.
        type: its static type; ``ANY`` only for an attribute read.
        start: where errors about it point.
        attribute: the attribute name when ``fn`` may return MISSING.
        may_fail: ``fn`` may record an error.
        constant: ``fn`` always returns ``value`` and records no error.
        value: the constant value.
    """

    fn: Fn
    type: Type
    start: int
    may_fail: bool = True
    attribute: str | None = None
    constant: bool = False
    value: Any = None


def constant(value: Value, start: int) -> Code:
    """Return the code of a constant value."""

    def always(a: Mapping[str, Any], e: ErrorSink) -> Any:
        return value

    return Code(always, Type(value.__class__), start, may_fail=False, constant=True, value=value)


def fold(code: Code, *parts: Code) -> Code:
    """Compute a pure operation on constants now; keep its errors for every evaluation."""
    if not all(part.constant for part in parts):
        return code
    errors: list[CESQLError] = []
    value = code.fn(_NO_ATTRIBUTES, errors)
    if not errors:
        return constant(value, code.start)
    recorded = tuple(errors)

    def replay(a: Mapping[str, Any], e: ErrorSink) -> Any:
        for error in recorded:
            e.append(error)
        return value

    return Code(replay, code.type, code.start)


def attribute(name: str, start: int) -> Code:
    """Return the code reading an attribute as it is: MISSING when absent (section 3.2)."""

    def read(a: Mapping[str, Any], e: ErrorSink) -> Any:
        v = a.get(name, MISSING)
        cls = v.__class__
        if cls is str or cls is bool:
            return v
        if v is MISSING:
            e.append(MissingAttributeError(name, position=start))
            return MISSING
        return from_attribute(v)

    return Code(read, Type.ANY, start, attribute=name)


def _attribute_as(name: str, start: int, target: Type) -> Fn:
    """Read an attribute cast to ``target``; MISSING when absent."""
    py = target.value

    def read(a: Mapping[str, Any], e: ErrorSink) -> Any:
        v = a.get(name, MISSING)
        if v.__class__ is py:
            return v
        if v is MISSING:
            e.append(MissingAttributeError(name, position=start))
            return MISSING
        return cast(from_attribute(v), target, e, start)

    return read


def typed(code: Code, target: Type) -> Code:
    """Return ``code`` cast to ``target`` (section 3.7); ANY leaves it as it is."""
    if target is Type.ANY or code.type is target:
        return code
    if code.attribute is not None:
        fn = _attribute_as(code.attribute, code.start, target)
        return Code(fn, target, code.start, attribute=code.attribute)
    inner, start = code.fn, code.start
    # Only a String can fail to become an Integer or a Boolean (section 3.7).
    fails = code.may_fail or code.type is Type.STRING
    if code.type is Type.INTEGER and target is Type.STRING:

        def convert(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return str(inner(a, e))

    elif code.type is Type.BOOLEAN and target is Type.STRING:

        def convert(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return "true" if inner(a, e) else "false"

    elif code.type is Type.BOOLEAN and target is Type.INTEGER:

        def convert(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return 1 if inner(a, e) else 0

    elif code.type is Type.INTEGER and target is Type.BOOLEAN:

        def convert(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return inner(a, e) != 0

    else:

        def convert(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return cast(inner(a, e), target, e, start)

    return fold(Code(convert, target, start, fails), code)


def may_fail(*codes: Code) -> bool:
    """Tell whether evaluating any of the codes may record an error."""
    return any(code.may_fail for code in codes)
