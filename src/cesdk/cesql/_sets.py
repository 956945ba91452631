"""``x [NOT] IN (y1, y2, ...)`` (cesql/spec.md sections 3.4.5 and 3.7).

Each element is cast to the type of ``x`` and compared as ``=`` would. When every
element is a constant, which is the usual case, the casts are done once for each type
``x`` may have, and membership is one ``frozenset`` lookup. An element that cannot take
the type of ``x`` is a CastError, and IN is then false, its zero value (section 3.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cesdk.cesql._ast import In
from cesdk.cesql._code import Code, Fn
from cesdk.cesql._errors import CESQLError, MissingAttributeError
from cesdk.cesql._types import MISSING, ErrorSink, Type, cast, from_attribute, type_of

__all__ = ["compile_in"]

# Keyed by the Python class of x: bool, int or str.
_Entry = tuple[frozenset[Any], tuple[CESQLError, ...]]
_Table = dict[type, _Entry]


def _constant_table(items: list[Code]) -> _Table:
    table: _Table = {}
    for target in (Type.BOOLEAN, Type.INTEGER, Type.STRING):
        errors: list[CESQLError] = []
        values = frozenset(cast(item.value, target, errors, item.start) for item in items)
        table[target.value] = (values, tuple(errors))
    return table


def compile_in(node: In, operand: Code, items: list[Code], checked: bool = True) -> Code:
    """Compile an IN operation; ``checked`` as for ``compile_node``."""
    if all(item.constant for item in items):
        table = _constant_table(items)
        if operand.attribute is not None:
            fn = _attribute_in(operand.attribute, operand.start, table, node.negated)
            return Code(fn, Type.BOOLEAN, node.start)
        entry = table[operand.type.value]
        fn = _typed_in(operand, entry, node.negated, checked)
        return Code(fn, Type.BOOLEAN, node.start, operand.may_fail or bool(entry[1]))
    return Code(_general_in(operand, items, node.negated), Type.BOOLEAN, node.start)


def _attribute_in(name: str, at: int, table: _Table, negated: bool) -> Fn:
    strings = table[str][0]  # casting to String never fails

    def contains(a: Mapping[str, Any], e: ErrorSink) -> Any:
        v = a.get(name, MISSING)
        if v.__class__ is str:
            return (v not in strings) if negated else (v in strings)
        if v is MISSING:
            e.append(MissingAttributeError(name, position=at))
            return False
        v = from_attribute(v)
        values, errors = table[v.__class__]
        if errors:
            for error in errors:
                e.append(error)
            return False
        return (v not in values) if negated else (v in values)

    return contains


def _typed_in(operand: Code, entry: _Entry, negated: bool, checked: bool) -> Fn:
    xf = operand.fn
    values, errors = entry
    if errors:

        def contains(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            xf(a, e)
            if len(e) == n:  # the elements are cast only to the type of a valid x
                for error in errors:
                    e.append(error)
            return False

    elif checked and operand.may_fail:

        def contains(a: Mapping[str, Any], e: ErrorSink) -> Any:
            n = len(e)
            v = xf(a, e)
            if len(e) != n:
                return False
            return (v not in values) if negated else (v in values)

    elif negated:

        def contains(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return xf(a, e) not in values

    else:

        def contains(a: Mapping[str, Any], e: ErrorSink) -> Any:
            return xf(a, e) in values

    return contains


def _general_in(operand: Code, items: list[Code], negated: bool) -> Fn:
    xf = operand.fn
    elements = [(item.fn, item.start) for item in items]

    def contains(a: Mapping[str, Any], e: ErrorSink) -> Any:
        n = len(e)
        v = xf(a, e)
        ws = [(f(a, e), at) for f, at in elements]
        if len(e) != n:
            return False
        target = type_of(v)
        cast_values = [w if w.__class__ is v.__class__ else cast(w, target, e, at) for w, at in ws]
        if len(e) != n:
            return False
        return (v not in cast_values) if negated else (v in cast_values)

    return contains
