"""The compiled Expression: evaluate(), matches(), the spec's examples, the public surface."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from typing import Any

import pytest
from cesql_events import make_event

import cesdk
from cesdk import cesql
from cesdk.cesql import _ast, _compiler

# -- section 5 examples -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "overrides", "expected"),
    [
        ("EXISTS subject", {}, True),
        ("EXISTS subject", {"subject": None}, False),
        ("firstname = 'Francesco'", {"firstname": "Francesco"}, True),
        (
            "firstname = 'Francesco' OR subject = 'Francesco'",
            {"subject": "Francesco", "firstname": "Doug"},
            True,
        ),
        (
            "firstname = 'Francesco' OR subject = 'Francesco'",
            {"firstname": "Francesco", "subject": "Doug"},
            True,
        ),
        (
            "(firstname = 'Francesco' AND lastname = 'Guardiani') "
            "OR subject = 'Francesco Guardiani'",
            {"subject": "Doug", "firstname": "Francesco", "lastname": "Guardiani"},
            True,
        ),
        (
            "(firstname = 'Francesco' AND lastname = 'Guardiani') "
            "OR subject = 'Francesco Guardiani'",
            {"subject": "Francesco Guardiani", "firstname": "Doug", "lastname": "Davis"},
            True,
        ),
        ("sequence = 10", {"sequence": 10}, True),
        ("sequence = 10", {"sequence": "10"}, True),
        ("hop < ttl", {"hop": "5", "ttl": "10"}, True),
        ("hop < ttl", {"hop": 15, "ttl": 10}, False),
    ],
)
def test_section_5_examples(expression: str, overrides: dict[str, Any], expected: bool) -> None:
    """Section 5: the spec's example expressions."""
    result = cesql.compile(expression).evaluate(make_event(**overrides))
    assert result == cesql.Result(expected, ())


# -- evaluate() and matches() -----------------------------------------------------------------


def test_evaluate_returns_a_result() -> None:
    """DESIGN.md: Expression.evaluate(ev) -> Result(value, errors)."""
    result = cesql.compile("LENGTH(id) + 1").evaluate(make_event())
    assert isinstance(result, cesql.Result)
    value, errors = result
    assert (value, errors) == (5, ())
    assert isinstance(result.errors, tuple)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("TRUE", True),
        ("id = 'myId'", True),
        ("FALSE", False),
        ("'true'", False),  # a String is not the Boolean TRUE
        ("1", False),
        ("id", False),
        ("TRUE OR 1 / 0 = 0", True),  # short-circuited: no error
        ("TRUE AND 1 / 0 = 0", False),
        ("LEFT('abc', -1) = 'abc'", False),  # the value is TRUE, but an error occurred
        ("missing", False),
    ],
)
def test_matches_is_true_only_for_true_without_errors(expression: str, expected: bool) -> None:
    """Section 1.2: a filter passes only on a Boolean TRUE with no errors."""
    expr = cesql.compile(expression)
    assert expr.matches(make_event()) is expected
    assert expr(make_event()) is expected


def test_matches_fails_fast() -> None:
    """Section 1.2 and 4.1: filtering stops evaluating at the first error."""
    calls: list[int] = []
    count = cesql.Function("COUNT", [], int, lambda: calls.append(1) or len(calls))
    expr = cesql.compile("missing = 'x' XOR COUNT() = 1", functions=[count])
    assert expr.matches(make_event()) is False
    assert calls == []
    result = expr.evaluate(make_event())  # complete evaluation goes on
    assert result.value is False
    assert calls == [1]


def test_evaluate_accepts_a_mapping_of_attributes() -> None:
    """A mapping shaped as CloudEvent.attributes is accepted too."""
    expr = cesql.compile("type LIKE 'io.%' AND n > 2")
    assert expr.evaluate({"type": "io.x", "n": 3}) == cesql.Result(True, ())
    assert expr.matches({"type": "io.x", "n": "3"}) is True


def test_evaluate_accepts_a_cloudevent_subclass() -> None:
    """Subclasses read their attributes through the public mapping."""

    class MyEvent(cesdk.CloudEvent):
        pass

    event = MyEvent(type="t", source="/s", subject="x")
    assert cesql.compile("subject = 'x'").matches(event) is True


def test_evaluate_rejects_other_inputs() -> None:
    """Only events and attribute mappings can be evaluated."""
    with pytest.raises(TypeError, match="CloudEvent"):
        cesql.compile("TRUE").evaluate("not an event")  # type: ignore[arg-type]


def test_evaluation_does_not_mutate_the_event() -> None:
    """Section 1: an expression MUST NOT mutate the input event."""
    event = make_event(seq="5", flag=True)
    before = dict(event.attributes)
    cesql.compile("CONCAT(UPPER(id), seq + 1, flag, missing) = 'x' OR EXISTS x").evaluate(event)
    assert dict(event.attributes) == before


def test_values_from_a_mapping_that_cloudevents_would_not_hold() -> None:
    """Section 3.2: values of no CESQL type are Strings."""
    from datetime import UTC, datetime

    expr = cesql.compile("x")
    assert expr.evaluate({"x": datetime(2024, 1, 2, tzinfo=UTC)}).value == "2024-01-02T00:00:00Z"
    assert expr.evaluate({"x": 2**40}).value == str(2**40)
    assert expr.evaluate({"x": 1.5}).value == "1.5"
    assert expr.evaluate({"x": bytearray(b"\x01")}).value == "AQ=="
    # An int beyond 32 bits is no Integer: it cannot reach an Integer operation as one.
    assert cesql.compile("ABS(x)").evaluate({"x": 2**40}).value == 0
    assert cesql.compile("EXISTS x").evaluate({"x": None}).value is False  # None: unset


def test_an_internal_failure_is_a_generic_error_not_an_exception() -> None:
    """Section 3.3: GenericError is "any error not specified above"; evaluation stays total."""
    expr = cesql.compile("LENGTH(id) + 1")

    def broken(a: object, e: object) -> object:
        raise RuntimeError("bug")

    expr._fn = broken  # type: ignore[misc]  # simulate a defect in a compiled closure
    expr._fast = broken  # type: ignore[misc]
    value, errors = expr.evaluate(make_event())
    assert value == 0  # the zero value of the expression's type, Integer
    assert [type(e) for e in errors] == [cesql.GenericError]
    assert "RuntimeError: bug" in str(errors[0])
    assert expr.matches(make_event()) is False


def test_repr_and_text() -> None:
    """An expression shows the text it was compiled from."""
    expr = cesql.compile("id = 'x'")
    assert expr.text == "id = 'x'"
    assert repr(expr) == "cesql.compile(\"id = 'x'\")"


# -- compiled to closures ---------------------------------------------------------------------


def _reachable(root: object) -> Iterator[object]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, types.FunctionType):
            stack.extend(cell.cell_contents for cell in obj.__closure__ or ())
            stack.extend(obj.__defaults__ or ())
        elif isinstance(obj, tuple | list | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, cesql.Expression):
            stack.append(obj._fn)


def test_expressions_hold_closures_not_a_syntax_tree() -> None:
    """The issue: compile to closures, no walk over a tree per event."""
    expr = cesql.compile(
        "type LIKE 'io.%' AND (subject IN ('a', 'b', x) OR NOT EXISTS y) "
        "AND LENGTH(CONCAT(id, 'x')) + n * 2 >= 3 XOR z = 'q' AND NOPE(1)"
    )
    node_types = tuple(
        cls
        for cls in vars(_ast).values()
        if isinstance(cls, type) and cls.__module__ == _ast.__name__
    )
    assert node_types
    assert not [obj for obj in _reachable(expr) if isinstance(obj, node_types)]


def test_evaluation_does_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    """All the work on the tree happens once, in compile()."""
    expr = cesql.compile("type = 'x' OR LENGTH(subject) > 3")

    def fail(*args: object) -> None:
        raise AssertionError("compile_node called during evaluation")

    monkeypatch.setattr(_compiler, "compile_node", fail)
    assert expr.evaluate(make_event()) == cesql.Result(True, ())


def test_constant_sub_expressions_are_computed_once() -> None:
    """Pure built-in operations on literals are folded; their errors still show."""
    expr = cesql.compile("ABS(-2147483648)")
    assert expr.evaluate({}) == expr.evaluate({})
    assert [type(e) for e in expr.evaluate({}).errors] == [cesql.MathError]


# -- public surface ------------------------------------------------------------------------------


def test_all_is_sorted_and_complete() -> None:
    """STYLE.md rule 1: a sorted __all__ listing exactly the public names."""
    public = {name for name in vars(cesql) if not name.startswith("_")}
    modules = {name for name in public if isinstance(getattr(cesql, name), types.ModuleType)}
    assert set(cesql.__all__) == public - modules
    groups = [
        (0 if n.isupper() else 1 if n[0].isupper() else 2, re.sub(r"\d+", "", n))
        for n in cesql.__all__
    ]
    assert groups == sorted(groups)
