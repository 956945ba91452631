"""Turn a syntax tree into nested Python closures, once, at compile time.

Each closure takes ``(attributes, errors)`` and returns a value: the tree is never walked
while evaluating. The compiler knows the static type of every sub-expression (only an
attribute is dynamic), so casts are chosen here, constant sub-expressions are computed
here, and the common filter shapes (``attr = 'x'``, ``attr LIKE 'x%'``,
``attr IN ('a', 'b')``) read the attribute inline. How errors travel is told in
``_code``: ``n = len(e)`` before the operands and ``len(e) != n`` after them is the
test for "an operand failed", made only where an operand may fail.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

from cesdk.cesql import _ops
from cesdk.cesql._ast import Binary, Exists, Identifier, In, Like, Literal, Logical, Node, Unary
from cesdk.cesql._calls import compile_call
from cesdk.cesql._code import Code, attribute, constant, fold, may_fail, typed
from cesdk.cesql._errors import MissingAttributeError
from cesdk.cesql._functions import FunctionTable
from cesdk.cesql._like import compile_like
from cesdk.cesql._logic import compile_logical
from cesdk.cesql._sets import compile_in
from cesdk.cesql._types import (
    MISSING,
    TYPE_OF_CLASS,
    ErrorSink,
    Type,
    cast,
    from_attribute,
)

__all__ = ["compile_node"]

# spec.md: these are always present on a valid event, so EXISTS is constant (section 3.4.4).
_REQUIRED: Final = frozenset({"specversion", "id", "source", "type"})
_COMPARE: Final = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
}
_ARITHMETIC: Final = {
    "+": _ops.add,
    "-": _ops.sub,
    "*": _ops.mul,
    "/": _ops.div,
    "%": _ops.mod,
}


def compile_node(node: Node, functions: FunctionTable, checked: bool = True) -> Code:
    """Compile a syntax tree; the root may return MISSING only if it is an attribute.

    Args:
        node: the tree.
        functions: the functions calls may use.
        checked: ``False`` for the fail-fast sink, whose first error unwinds the whole
            evaluation: then no operator needs to check whether its operands failed.
    """
    if isinstance(node, Literal):
        return constant(node.value, node.start)
    if isinstance(node, Identifier):
        return attribute(node.name, node.start)
    if isinstance(node, Exists):
        return _exists(node)
    if isinstance(node, Unary):
        return _unary(node, compile_node(node.operand, functions, checked), checked)
    if isinstance(node, Binary):
        left = compile_node(node.left, functions, checked)
        right = compile_node(node.right, functions, checked)
        if node.op in _ARITHMETIC:
            return _arithmetic(node, left, right, checked)
        if node.op in ("=", "!=", "<>"):
            return _equality(node, left, right, checked)
        return _ordering(node, left, right, checked)
    if isinstance(node, Logical):
        operands = [compile_node(op, functions, checked) for op in node.operands]
        return compile_logical(node, operands, checked)
    if isinstance(node, Like):
        return compile_like(node, compile_node(node.operand, functions, checked), checked)
    if isinstance(node, In):
        operand = compile_node(node.operand, functions, checked)
        items = [compile_node(item, functions, checked) for item in node.items]
        return fold(compile_in(node, operand, items, checked), operand, *items)
    return compile_call(
        node, [compile_node(arg, functions, checked) for arg in node.args], functions, checked
    )


# -- operators --------------------------------------------------------------------------


def _exists(node: Exists) -> Code:
    if node.name in _REQUIRED:
        return constant(True, node.start)
    name = node.name

    def exists(a: Mapping[str, Any], e: ErrorSink) -> Any:
        return name in a

    return Code(exists, Type.BOOLEAN, node.start, may_fail=False)


def _unary(node: Unary, operand: Code, checked: bool) -> Code:
    start = node.start
    if node.op == "NOT":
        x = typed(operand, Type.BOOLEAN)
        xf = x.fn
        if checked and x.may_fail:

            def negate(a: Mapping[str, Any], e: ErrorSink) -> Any:
                n = len(e)
                v = xf(a, e)
                return False if len(e) != n else not v

        else:

            def negate(a: Mapping[str, Any], e: ErrorSink) -> Any:
                return not xf(a, e)

        return fold(Code(negate, Type.BOOLEAN, start, x.may_fail), x)
    x = typed(operand, Type.INTEGER)
    xf = x.fn
    if checked and x.may_fail:

        def minus(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            v = xf(a, e)
            return 0 if len(e) != n else _ops.neg(v, e, start)

    else:

        def minus(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return _ops.neg(xf(a, e), e, start)

    return fold(Code(minus, Type.INTEGER, start), x)


def _arithmetic(node: Binary, left: Code, right: Code, checked: bool) -> Code:
    x, y = typed(left, Type.INTEGER), typed(right, Type.INTEGER)
    op, start = _ARITHMETIC[node.op], node.start
    xf, yf = x.fn, y.fn
    if checked and may_fail(x, y):

        def arithmetic(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            v, w = xf(a, e), yf(a, e)
            return 0 if len(e) != n else op(v, w, e, start)

    elif y.constant:
        w = y.value

        def arithmetic(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return op(xf(a, e), w, e, start)

    else:

        def arithmetic(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return op(xf(a, e), yf(a, e), e, start)

    # Every operation may fail: division by zero, or an overflow.
    return fold(Code(arithmetic, Type.INTEGER, start), x, y)


def _compare(start: int, x: Code, y: Code, op: Callable[[Any, Any], bool], checked: bool) -> Code:
    """Compare two operands already cast to one type."""
    xf, yf = x.fn, y.fn
    if y.constant and x.attribute is not None:
        # The usual filter shape, attr = 'literal': read, cast and compare in one call.
        name, py, w, target, at = x.attribute, x.type.value, y.value, x.type, x.start

        def compare(a: Mapping[str, Any], e: ErrorSink) -> Any:
            v = a.get(name, MISSING)
            if v.__class__ is py:
                return op(v, w)
            if v is MISSING:
                e.append(MissingAttributeError(name, position=at))
                return False
            n = len(e)
            v = cast(from_attribute(v), target, e, at)
            return False if len(e) != n else op(v, w)

    elif checked and y.constant and x.may_fail:
        w = y.value

        def compare(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            v = xf(a, e)
            return False if len(e) != n else op(v, w)

    elif checked and may_fail(x, y):

        def compare(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            v, w = xf(a, e), yf(a, e)
            return False if len(e) != n else op(v, w)

    elif y.constant:
        w = y.value

        def compare(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return op(xf(a, e), w)

    else:

        def compare(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return op(xf(a, e), yf(a, e))

    return fold(Code(compare, Type.BOOLEAN, start, may_fail(x, y)), x, y)


def _ordering(node: Binary, left: Code, right: Code, checked: bool) -> Code:
    # < <= > >= exist for Integer only: both sides are cast to Integer (section 3.4.2).
    x, y = typed(left, Type.INTEGER), typed(right, Type.INTEGER)
    return _compare(node.start, x, y, _COMPARE[node.op], checked)


def _equality(node: Binary, left: Code, right: Code, checked: bool) -> Code:
    """``=`` is defined for three types: the right operand's type picks one (section 3.7)."""
    op = _COMPARE[node.op]
    if right.type is not Type.ANY:
        return _compare(node.start, typed(left, right.type), right, op, checked)
    # The right operand is an attribute: its type is known only at run time.
    xf, yf, at = left.fn, right.fn, left.start

    def compare(a: Mapping[str, Any], e: ErrorSink) -> Any:
        n = len(e)
        v, w = xf(a, e), yf(a, e)
        if len(e) != n:
            return False
        if v.__class__ is not w.__class__:
            v = cast(v, TYPE_OF_CLASS[w.__class__], e, at)
            if len(e) != n:
                return False
        return op(v, w)

    return Code(compare, Type.BOOLEAN, node.start)
