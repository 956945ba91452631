"""A slow, plain tree-walking CESQL evaluator, written from the spec for differential tests.

It shares only the parser, the cast table and the built-in functions with cesdk (each
tested by hand on its own); the compiler's closures, fused fast paths, constant folding
and fail-fast filtering are checked against it. Semantics, from cesql/spec.md:

* operands are evaluated left to right, each cast to the type its operator needs
  (section 3.7) as soon as it is evaluated;
* an operator whose operands (or their casts) recorded an error returns its zero value
  without computing (sections 3.2 and 3.3);
* AND stops at the first operand that is not TRUE, OR at the first error or TRUE
  (section 3.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cesdk.cesql._ast import (
    Binary,
    Call,
    Exists,
    Identifier,
    In,
    Like,
    Literal,
    Logical,
    Node,
    Unary,
)
from cesdk.cesql._errors import CESQLError, MathError, MissingAttributeError, MissingFunctionError
from cesdk.cesql._functions import default_table
from cesdk.cesql._types import Result, Type, cast, from_attribute

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
REQUIRED = {"specversion", "id", "source", "type"}
_ABSENT = object()


def static_type(node: Node) -> Type:
    """The type a node returns, known before evaluation; ANY for attributes."""
    if isinstance(node, Literal):
        return Type(type(node.value))
    if isinstance(node, Identifier):
        return Type.ANY
    if isinstance(node, Unary):
        return Type.BOOLEAN if node.op == "NOT" else Type.INTEGER
    if isinstance(node, Binary):
        return Type.INTEGER if node.op in "+-*/%" else Type.BOOLEAN
    if isinstance(node, Call):
        fn = default_table().resolve(node.name, len(node.args))
        return Type.BOOLEAN if fn is None else fn.returns
    return Type.BOOLEAN


def evaluate(node: Node, attributes: Mapping[str, Any]) -> Result:
    """Evaluate a syntax tree on an attribute mapping."""
    errors: list[CESQLError] = []
    value = _eval(node, attributes, errors)
    if value is _ABSENT:
        value = False
    return Result(value, tuple(errors))


def _typed(node: Node, target: Type, a: Mapping[str, Any], errors: list[CESQLError]) -> Any:
    value = _eval(node, a, errors)
    if value is _ABSENT or target is Type.ANY:
        return value
    return cast(value, target, errors, node.start)


def _clamp(value: int, errors: list[CESQLError]) -> int:
    if INT_MIN <= value <= INT_MAX:
        return value
    errors.append(MathError("overflow"))
    return max(INT_MIN, min(INT_MAX, value))


def _arith(op: str, x: int, y: int, errors: list[CESQLError]) -> int:
    if op in "/%" and y == 0:
        errors.append(MathError("division by zero"))
        return 0
    if op == "+":
        return _clamp(x + y, errors)
    if op == "-":
        return _clamp(x - y, errors)
    if op == "*":
        return _clamp(x * y, errors)
    quotient = int(abs(x) // abs(y)) * (1 if (x < 0) == (y < 0) else -1)
    if op == "/":
        return _clamp(quotient, errors)
    return x - quotient * y


def _eval(node: Node, a: Mapping[str, Any], errors: list[CESQLError]) -> Any:
    n = len(errors)
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Identifier):
        if node.name not in a:
            errors.append(MissingAttributeError(node.name))
            return _ABSENT
        return from_attribute(a[node.name])
    if isinstance(node, Exists):
        return node.name in REQUIRED or node.name in a
    if isinstance(node, Unary):
        if node.op == "NOT":
            v = _typed(node.operand, Type.BOOLEAN, a, errors)
            return False if len(errors) != n else not v
        v = _typed(node.operand, Type.INTEGER, a, errors)
        return 0 if len(errors) != n else _clamp(-v, errors)
    if isinstance(node, Binary):
        if node.op in "+-*/%":
            x = _typed(node.left, Type.INTEGER, a, errors)
            y = _typed(node.right, Type.INTEGER, a, errors)
            return 0 if len(errors) != n else _arith(node.op, x, y, errors)
        if node.op in ("=", "!=", "<>"):
            right_type = static_type(node.right)
            x = _typed(node.left, right_type, a, errors)
            y = _eval(node.right, a, errors)
            if len(errors) != n:
                return False
            if right_type is Type.ANY:
                x = cast(x, Type(type(y)), errors)
                if len(errors) != n:
                    return False
            return (x == y) == (node.op == "=")
        x = _typed(node.left, Type.INTEGER, a, errors)
        y = _typed(node.right, Type.INTEGER, a, errors)
        if len(errors) != n:
            return False
        return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[node.op]
    if isinstance(node, Logical):
        if node.op == "AND":
            for operand in node.operands:
                if _typed(operand, Type.BOOLEAN, a, errors) is not True:
                    return False
            return len(errors) == n
        if node.op == "OR":
            for operand in node.operands:
                v = _typed(operand, Type.BOOLEAN, a, errors)
                if len(errors) != n:
                    return False
                if v is True:
                    return True
            return False
        values = [_typed(operand, Type.BOOLEAN, a, errors) for operand in node.operands]
        return False if len(errors) != n else values.count(True) % 2 == 1
    if isinstance(node, Like):
        v = _typed(node.operand, Type.STRING, a, errors)
        if len(errors) != n:
            return False
        return _like(v, node.pattern) != node.negated
    if isinstance(node, In):
        x = _eval(node.operand, a, errors)
        items = [_eval(item, a, errors) for item in node.items]
        if len(errors) != n:
            return False
        cast_items = [cast(y, Type(type(x)), errors) for y in items]
        if len(errors) != n:
            return False
        return (x in cast_items) != node.negated
    assert isinstance(node, Call)
    fn = default_table().resolve(node.name, len(node.args))
    if fn is None:
        errors.append(MissingFunctionError(node.name, "missing"))
        return False
    args = [_typed(arg, fn.parameter_type(i), a, errors) for i, arg in enumerate(node.args)]
    if len(errors) != n:
        return fn.returns.zero
    result = fn.implementation(*args)
    if isinstance(result, Result):
        errors.extend(result.errors)
        return result.value
    return result


def _like(value: str, pattern: str) -> bool:
    """Match by backtracking over the pattern, character by character (section 3.4.3)."""
    tokens: list[str | None] = []  # None is %, "" is _, else one literal character
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "%_\\":
            tokens.append(pattern[i + 1])
            i += 2
            continue
        tokens.append(None if ch == "%" else "" if ch == "_" else ch)
        i += 1

    def match(t: int, v: int) -> bool:
        if t == len(tokens):
            return v == len(value)
        token = tokens[t]
        if token is None:
            return any(match(t + 1, k) for k in range(v, len(value) + 1))
        if v == len(value):
            return False
        return (token == "" or token == value[v]) and match(t + 1, v + 1)

    return match(0, 0)
