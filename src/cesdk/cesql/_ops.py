"""32-bit Integer arithmetic (cesql/spec.md section 3.4).

``/`` rounds towards zero and ``%`` takes the sign of the dividend, as in C and Java,
not as Python's floor division. Division by zero gives ``0`` and a :class:`MathError`.
The spec does not say what overflow gives; cesdk answers the nearest Integer (the
operation saturates) and a :class:`MathError`, as section 3.5.2 does for ``ABS``.
"""

from __future__ import annotations

from cesdk.cesql._errors import MathError
from cesdk.cesql._types import INT32_MAX, INT32_MIN, ErrorSink

__all__ = ["add", "div", "mod", "mul", "neg", "sub"]


def _overflow(value: int, what: str, errors: ErrorSink, position: int) -> int:
    errors.append(
        MathError(f"{what} = {value} overflows the 32-bit Integer range", position=position)
    )
    return INT32_MAX if value > INT32_MAX else INT32_MIN


def add(x: int, y: int, errors: ErrorSink, position: int) -> int:
    """Return ``x + y``."""
    value = x + y
    if INT32_MIN <= value <= INT32_MAX:
        return value
    return _overflow(value, f"{x} + {y}", errors, position)


def sub(x: int, y: int, errors: ErrorSink, position: int) -> int:
    """Return ``x - y``."""
    value = x - y
    if INT32_MIN <= value <= INT32_MAX:
        return value
    return _overflow(value, f"{x} - {y}", errors, position)


def mul(x: int, y: int, errors: ErrorSink, position: int) -> int:
    """Return ``x * y``."""
    value = x * y
    if INT32_MIN <= value <= INT32_MAX:
        return value
    return _overflow(value, f"{x} * {y}", errors, position)


def div(x: int, y: int, errors: ErrorSink, position: int) -> int:
    """Return ``x / y`` rounded towards zero; ``0`` and a MathError when ``y`` is 0."""
    if y == 0:
        errors.append(MathError(f"{x} / 0: division by zero", position=position))
        return 0
    quotient = abs(x) // abs(y)
    value = -quotient if (x < 0) != (y < 0) else quotient
    if value > INT32_MAX:  # only -2147483648 / -1
        return _overflow(value, f"{x} / {y}", errors, position)
    return value


def mod(x: int, y: int, errors: ErrorSink, position: int) -> int:
    """Return the remainder of ``x / y``, signed as ``x``; ``0`` and a MathError when ``y`` is 0."""
    if y == 0:
        errors.append(MathError(f"{x} % 0: division by zero", position=position))
        return 0
    remainder = abs(x) % abs(y)
    return -remainder if x < 0 else remainder


def neg(x: int, errors: ErrorSink, position: int) -> int:
    """Return ``-x``."""
    if x == INT32_MIN:
        return _overflow(-x, f"-({x})", errors, position)
    return -x
