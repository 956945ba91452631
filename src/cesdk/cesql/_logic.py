"""AND, OR and XOR (cesql/spec.md sections 3.4.2 and 3.6).

AND stops at the first operand that is not TRUE, OR at the first TRUE: the right operand
is not evaluated, so ``FALSE AND 1 / 0 = 0`` has no error. An operand that failed makes
the whole chain FALSE, the zero value (section 3.3). Operands arrive as TRUE, FALSE or,
for a missing attribute, MISSING, which is not TRUE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cesdk.cesql._ast import Logical
from cesdk.cesql._code import Code, Fn, fold, may_fail, typed
from cesdk.cesql._types import ErrorSink, Type

__all__ = ["compile_logical"]


def compile_logical(node: Logical, operands: list[Code], checked: bool) -> Code:
    """Compile a chain of AND, OR or XOR; ``checked`` as for ``compile_node``."""
    codes = [typed(code, Type.BOOLEAN) for code in operands]
    fns = [code.fn for code in codes]
    fails = may_fail(*codes)
    # A failed operand yields False, its zero value, which also ends an AND. Short
    # chains are unrolled: a loop costs more than the operands of a typical filter.
    if node.op == "AND":
        logic = _and(fns, checked and fails)
    elif node.op == "OR":
        logic = _or(fns, checked and fails)
    elif checked and fails:

        def logic(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            values = [f(a, e) for f in fns]
            if len(e) != n:
                return False
            return values.count(True) % 2 == 1

    else:

        def logic(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return [f(a, e) for f in fns].count(True) % 2 == 1

    return fold(Code(logic, Type.BOOLEAN, node.start, fails), *codes)


def _and(fns: list[Fn], check: bool) -> Fn:
    if len(fns) == 2:
        f0, f1 = fns
        if not check:

            def both(a: Mapping[str, Any], e: ErrorSink) -> Any:
                return f0(a, e) is True and f1(a, e) is True

            return both

        def both_checked(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            return f0(a, e) is True and f1(a, e) is True and len(e) == n

        return both_checked
    if len(fns) == 3 and not check:
        f0, f1, f2 = fns

        def three(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return f0(a, e) is True and f1(a, e) is True and f2(a, e) is True

        return three
    if len(fns) == 3:
        f0, f1, f2 = fns

        def three_checked(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            return f0(a, e) is True and f1(a, e) is True and f2(a, e) is True and len(e) == n

        return three_checked

    def every(a: Mapping[str, Any], e: ErrorSink) -> Any:
        n = len(e)
        for f in fns:
            if f(a, e) is not True:
                return False
        return len(e) == n

    return every


def _or(fns: list[Fn], check: bool) -> Fn:
    if len(fns) == 2 and not check:
        f0, f1 = fns

        def either(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return f0(a, e) is True or f1(a, e) is True

        return either
    if not check:

        def some(a: Mapping[str, Any], e: ErrorSink) -> Any:
            for f in fns:  # noqa: SIM110  # a loop is faster than any() over a generator
                if f(a, e) is True:
                    return True
            return False

        return some

    def some_checked(a: Mapping[str, Any], e: ErrorSink) -> Any:
        n = len(e)
        for f in fns:
            v = f(a, e)
            if len(e) != n:
                return False
            if v is True:
                return True
        return False

    return some_checked
