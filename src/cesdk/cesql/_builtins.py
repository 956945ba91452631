"""The built-in functions of section 3.5, and the casting functions the spec's examples use.

Each is total: where the spec asks for an error it returns a :class:`Result` carrying
the spec's value and the error; the call site adds the position.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from cesdk.cesql._errors import CESQLError, FunctionEvaluationError, MathError
from cesdk.cesql._functions import Function, set_builtins
from cesdk.cesql._types import (
    INT32_MAX,
    INT32_MIN,
    Result,
    Type,
    Value,
    to_boolean,
    to_integer,
    to_string,
)

__all__ = ["BUILTINS"]

# The Unicode White_Space property (section 3.5.1, TRIM). str.strip() would also remove
# U+001C..U+001F, which Python counts as space but Unicode does not.
_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _failed(name: str, value: Value, message: str) -> Result:
    return Result(value, (FunctionEvaluationError(f"{name}: {message}", function=name),))


def _length(x: str) -> int:
    return len(x)


def _concat(*parts: str) -> str:
    return "".join(parts)


def _concat_ws(delimiter: str, *parts: str) -> str:
    return delimiter.join(parts)


def _lower(x: str) -> str:
    return x.lower()


def _upper(x: str) -> str:
    return x.upper()


def _trim(x: str) -> str:
    return x.strip(_WHITESPACE)


def _left(x: str, y: int) -> str | Result:
    if y < 0:
        return _failed("LEFT", x, f"the length {y} is negative")
    return x[:y]


def _right(x: str, y: int) -> str | Result:
    if y < 0:
        return _failed("RIGHT", x, f"the length {y} is negative")
    if y >= len(x):
        return x
    return x[len(x) - y :]


def _start(name: str, x: str, pos: int) -> int | Result:
    """Return the 0-based start of SUBSTRING, or the Result of a bad position."""
    if pos > len(x) or pos < -len(x):
        return _failed(name, "", f"the position {pos} is outside the string of length {len(x)}")
    return pos - 1 if pos > 0 else len(x) + pos


def _substring(x: str, pos: int) -> str | Result:
    start = _start("SUBSTRING", x, pos)
    if isinstance(start, Result):
        return start
    return "" if pos == 0 else x[start:]


def _substring_len(x: str, pos: int, length: int) -> str | Result:
    start = _start("SUBSTRING", x, pos)
    if isinstance(start, Result):
        return start
    if length < 0:
        return _failed("SUBSTRING", "", f"the length {length} is negative")
    return "" if pos == 0 else x[start : start + length]


def _abs(x: int) -> int | Result:
    if x == INT32_MIN:
        error = MathError(f"ABS({x}) overflows the 32-bit Integer range")
        return Result(INT32_MAX, (error,))
    return abs(x)


def _cast_to(target: Type) -> Function:
    casts: dict[Type, Callable[..., Value]] = {
        Type.INTEGER: to_integer,
        Type.BOOLEAN: to_boolean,
        Type.STRING: to_string,
    }
    convert = casts[target]

    def cast_value(x: Value) -> Value | Result:
        errors: list[CESQLError] = []
        value = convert(x, errors)
        return Result(value, tuple(errors)) if errors else value

    if target is Type.INTEGER:
        # INT(attr) on a header-borne number is the usual call: skip the error list.
        def cast_integer(x: Value) -> Value | Result:
            if x.__class__ is str and len(x) < 10 and x.isascii() and x.isdigit():
                return int(x)
            return cast_value(x)

        implementation = cast_integer
    else:
        implementation = cast_value
    return Function(
        {Type.INTEGER: "INT", Type.BOOLEAN: "BOOL", Type.STRING: "STRING"}[target],
        [object],
        target,
        implementation,
        _builtin=True,
    )


def _is_int(x: Value) -> bool:
    if x.__class__ is int:
        return True
    if x.__class__ is str:
        errors: list[CESQLError] = []
        to_integer(x, errors)
        return not errors
    return False


def _is_bool(x: Value) -> bool:
    return x.__class__ is bool or (x.__class__ is str and x.lower() in ("true", "false"))


def _is_string(x: Value) -> bool:
    return x.__class__ is str


def _builtin(name: str, params: list[type], returns: type, impl: object) -> Function:
    return Function(name, params, returns, impl, _builtin=True)  # type: ignore[arg-type]  # callables


BUILTINS: Final = (
    _builtin("LENGTH", [str], int, _length),
    Function("CONCAT", [], str, _concat, variadic=str, _builtin=True),
    Function("CONCAT_WS", [str], str, _concat_ws, variadic=str, _builtin=True),
    _builtin("LOWER", [str], str, _lower),
    _builtin("UPPER", [str], str, _upper),
    _builtin("TRIM", [str], str, _trim),
    _builtin("LEFT", [str, int], str, _left),
    _builtin("RIGHT", [str, int], str, _right),
    _builtin("SUBSTRING", [str, int], str, _substring),
    _builtin("SUBSTRING", [str, int, int], str, _substring_len),
    _builtin("ABS", [int], int, _abs),
    _cast_to(Type.INTEGER),
    _cast_to(Type.BOOLEAN),
    _cast_to(Type.STRING),
    _builtin("IS_INT", [object], bool, _is_int),
    _builtin("IS_BOOL", [object], bool, _is_bool),
    _builtin("IS_STRING", [object], bool, _is_string),
)

set_builtins(BUILTINS)
