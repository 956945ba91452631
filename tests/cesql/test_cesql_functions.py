"""CESQL functions: built-ins (cesql/spec.md 3.5.1, 3.5.2), casting functions, user functions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cesql_events import make_event, run, value_of

from cesdk import cesql

# -- 3.5.1 string functions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("LENGTH('abc')", 3),
        ("LENGTH('')", 0),
        ("LENGTH('2')", 1),
        ("LENGTH(TRUE)", 4),  # implicit Boolean -> String
        ("LENGTH(12345)", 5),
        ("LENGTH('héllo')", 5),  # characters, not bytes
        ("CONCAT('a', 'b', 'c')", "abc"),
        ("CONCAT()", ""),
        ("CONCAT('a')", "a"),
        ("CONCAT('a', 1, TRUE)", "a1true"),
        ("CONCAT_WS(',', 'a', 'b', 'c')", "a,b,c"),
        ("CONCAT_WS(',')", ""),
        ("CONCAT_WS(',', 'a')", "a"),
        ("CONCAT_WS(1, 2, 3)", "213"),
        ("LOWER('AbC')", "abc"),
        ("LOWER('abc')", "abc"),
        ("UPPER('AbC')", "ABC"),
        ("UPPER(TRUE)", "TRUE"),
        ("TRIM('   a b c   ')", "a b c"),
        ("TRIM('   a b c')", "a b c"),
        ("TRIM('a b c   ')", "a b c"),
        ("TRIM('a b c')", "a b c"),
        ("TRIM('\t\n a \r\n')", "a"),
        ("TRIM('\u00a0\u2003a\u3000')", "a"),  # Unicode white space
        ("TRIM('\x1fa\x1f')", "\x1fa\x1f"),  # not Unicode white space: kept
        ("LEFT('abc', 2)", "ab"),
        ("LEFT('abc', 10)", "abc"),
        ("LEFT('', 0)", ""),
        ("LEFT('abc', 0)", ""),
        ("RIGHT('abc', 2)", "bc"),
        ("RIGHT('abc', 10)", "abc"),
        ("RIGHT('', 0)", ""),
        ("RIGHT('abc', 0)", ""),
        ("SUBSTRING('abcdef', 1)", "abcdef"),
        ("SUBSTRING('abcdef', 2)", "bcdef"),
        ("SUBSTRING('Quadratically', 5)", "ratically"),
        ("SUBSTRING('Sakila', -3)", "ila"),
        ("SUBSTRING('abcdef', 6)", "f"),
        ("SUBSTRING('abcdef', -6)", "abcdef"),
        ("SUBSTRING('abcdef', 1, 6)", "abcdef"),
        ("SUBSTRING('abcdef', 2, 4)", "bcde"),
        ("SUBSTRING('Sakila', -5, 3)", "aki"),
        ("SUBSTRING('abcdef', 3, 100)", "cdef"),  # len past the end: the maximum
        ("SUBSTRING('abcdef', 3, 0)", ""),
        ("SUBSTRING('Quadratically', 0)", ""),
        ("SUBSTRING('Quadratically', 0, 1)", ""),
        ("SUBSTRING('', 0)", ""),
    ],
)
def test_string_functions(expression: str, expected: object) -> None:
    """Section 3.5.1: LENGTH, CONCAT, CONCAT_WS, LOWER, UPPER, TRIM, LEFT, RIGHT, SUBSTRING."""
    assert value_of(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("LEFT('abc', -2)", "abc"),
        ("RIGHT('abc', -2)", "abc"),
        ("SUBSTRING('abcdef', 10)", ""),
        ("SUBSTRING('abcdef', 7)", ""),
        ("SUBSTRING('abcdef', -10)", ""),
        ("SUBSTRING('abcdef', -7)", ""),
        ("SUBSTRING('abcdef', 10, 10)", ""),
        ("SUBSTRING('abcdef', -10, 10)", ""),
        ("SUBSTRING('abcdef', 2, -1)", ""),
        ("SUBSTRING('', 1)", ""),
    ],
)
def test_string_function_errors(expression: str, expected: str) -> None:
    """Section 3.5.1: the value the spec gives, and a FunctionEvaluationError."""
    assert run(expression) == (expected, ["FunctionEvaluationError"])


def test_function_evaluation_error_names_the_function_and_position() -> None:
    """Section 3.3: FunctionEvaluationError, pointing at the call."""
    result = cesql.compile("'x' = LEFT('abc', -1)").evaluate({})
    (error,) = result.errors
    assert isinstance(error, cesql.FunctionEvaluationError)
    assert error.function == "LEFT"
    assert error.position == 6


# -- 3.5.2 math functions ---------------------------------------------------------------


def test_abs() -> None:
    """Section 3.5.2: ABS(x), and the most negative Integer."""
    assert value_of("ABS(10)") == 10
    assert value_of("ABS(-10)") == 10
    assert value_of("ABS(0)") == 0
    assert value_of("ABS('-7')") == 7
    assert run("ABS(-2147483648)") == (2147483647, ["MathError"])


# -- casting functions (the spec's examples use INT; the TCK the others) --------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("INT('1')", 1),
        ("INT('-1')", -1),
        ("INT(1)", 1),
        ("INT(-1)", -1),
        ("INT(TRUE)", 1),
        ("INT(FALSE)", 0),
        ("BOOL('TRUE')", True),
        ('BOOL("false")', False),
        ("BOOL(TRUE)", True),
        ("BOOL(FALSE)", False),
        ("BOOL(1)", True),
        ("BOOL(0)", False),
        ("BOOL(100)", True),
        ("BOOL(-50)", True),
        ("STRING(TRUE)", "true"),
        ("STRING(FALSE)", "false"),
        ("STRING(1)", "1"),
        ("STRING(-1)", "-1"),
        ('STRING("abc")', "abc"),
        ("IS_INT('12')", True),
        ("IS_INT(12)", True),
        ("IS_INT('1.5')", False),
        ("IS_INT('99999999999')", False),
        ("IS_INT(TRUE)", False),
        ("IS_BOOL('tRuE')", True),
        ("IS_BOOL(FALSE)", True),
        ("IS_BOOL('yes')", False),
        ("IS_BOOL(1)", False),
        ("IS_STRING('x')", True),
        ("IS_STRING(1)", False),
        ("IS_STRING(TRUE)", False),
    ],
)
def test_casting_functions(expression: str, expected: object) -> None:
    """Section 3.7's casts, called explicitly; IS_* tell whether a value has or spells a type."""
    value = value_of(expression)
    assert value == expected
    assert type(value) is type(expected)


def test_casting_functions_report_failed_casts() -> None:
    """Section 3.7: a failed cast is a CastError with the zero value."""
    assert run("INT('ABC')") == (0, ["CastError"])
    assert run("BOOL('ABC')") == (False, ["CastError"])


def test_casting_functions_on_typed_attributes() -> None:
    """Section 3.2: extensions keep their type, which the IS_* functions see."""
    assert value_of("IS_INT(n) AND IS_BOOL(b) AND IS_STRING(s)", n=1, b=True, s="x") is True
    assert value_of("IS_INT(s)", s="42") is True
    assert value_of("INT(s) + 1", s="41") == 42


# -- 3.5 dispatch and missing functions ------------------------------------------------------


@pytest.mark.parametrize(
    "expression", ["CONCAT_WS()", "NOPE()", "NOPE(1, 2)", "ABS()", "ABS(1, 2)", "SUBSTRING('a')"]
)
def test_a_call_that_cannot_be_dispatched_is_false(expression: str) -> None:
    """Section 3.5: the return value is false, with a MissingFunctionError."""
    assert run(expression) == (False, ["MissingFunctionError"])


def test_missing_function_error_says_what_exists() -> None:
    """Section 3.3: MissingFunctionError names the function and its known overloads."""
    (error,) = cesql.compile("SUBSTRING('a')").evaluate({}).errors
    assert isinstance(error, cesql.MissingFunctionError)
    assert error.function == "SUBSTRING"
    assert "SUBSTRING(String, Integer): String" in str(error)
    assert "SUBSTRING(String, Integer, Integer): String" in str(error)


def test_arguments_of_a_missing_function_are_not_evaluated() -> None:
    """Section 3.5: the call is false; nothing else is reported."""
    assert run("NOPE(1 / 0, missing)") == (False, ["MissingFunctionError"])


def test_arguments_that_fail_stop_the_call() -> None:
    """Section 3.3: a function whose argument failed returns its zero value."""
    assert run("UPPER(1 / 0)") == ("", ["MathError"])
    assert run("ABS(INT('x'))") == (0, ["CastError"])


# -- user-defined functions ------------------------------------------------------------


@cesql.function
def hasprefix(value: str, prefix: str) -> bool:
    """A two-argument user function."""
    return value.startswith(prefix)


@cesql.function
def konkat(*parts: str) -> str:
    """A variadic user function."""
    return "".join(parts)


def test_user_defined_functions() -> None:
    """Section 3.5: user functions with typed parameters and a variadic last one."""
    functions = [hasprefix, konkat]

    def check(expression: str, expected: object) -> None:
        result = cesql.compile(expression, functions=functions).evaluate(make_event())
        assert result == cesql.Result(expected, ())

    check("HASPREFIX('abcdef', 'ab')", True)
    check("hasprefix('abcdef', '')", True)
    check("HASPREFIX('abcdef', 'abcdefg')", False)
    check("HASPREFIX(type, 'com.')", True)
    check("HASPREFIX(12345, 12)", True)  # arguments cast to the declared String
    check("KONKAT('a', 'b', 'c')", "abc")
    check("KONKAT()", "")
    check("KONKAT(1, TRUE)", "1true")


def test_function_from_annotations() -> None:
    """function() reads the parameter, variadic and return types from annotations."""
    assert hasprefix.name == "HASPREFIX"
    assert hasprefix.signature() == "HASPREFIX(String, String): Boolean"
    assert konkat.signature() == "KONKAT(String...): String"

    @cesql.function(name="add_all", returns=int)
    def anything(first: int, *rest: int):  # type: ignore[no-untyped-def]
        return first + sum(rest)

    assert anything.signature() == "ADD_ALL(Integer, Integer...): Integer"
    expr = cesql.compile("ADD_ALL('1', 2, TRUE)", functions=[anything])
    assert expr.evaluate({}).value == 4


def test_any_parameter_receives_the_value_unchanged() -> None:
    """A parameter typed object takes Boolean, Integer or String as they are."""
    seen: list[object] = []

    def kind(value: object) -> str:
        seen.append(value)
        return type(value).__name__

    fn = cesql.Function("KIND", [object], str, kind)
    expr = cesql.compile("CONCAT(KIND(1), KIND('1'), KIND(TRUE), KIND(n))", functions=fn)
    assert expr.evaluate({"n": 5}).value == "intstrboolint"
    assert seen == [1, "1", True, 5]


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        (None, ""),
        (5, ""),
        (b"bytes", ""),
        (cesql.Result(None, ()), ""),  # type: ignore[arg-type]
    ],
)
def test_user_function_returning_the_wrong_type(returned: object, expected: str) -> None:
    """Section 3.5.3: no valid value means the zero value and a FunctionEvaluationError."""
    fn = cesql.Function("BAD", [], str, lambda: returned)
    result = cesql.compile("BAD()", functions=[fn]).evaluate({})
    assert result.value == expected
    assert [type(e) for e in result.errors] == [cesql.FunctionEvaluationError]
    assert "BAD returned" in str(result.errors[0])


def test_user_function_returning_an_int_outside_32_bits() -> None:
    """Section 3.1: an Integer is 32-bit; anything larger is not a valid return value."""
    fn = cesql.Function("BIG", [], int, lambda: 2**40)
    assert cesql.compile("BIG()", functions=[fn]).evaluate({}).value == 0


def test_user_function_that_raises() -> None:
    """Section 3.5.3: the zero value and a FunctionEvaluationError, never an exception."""

    def boom(x: int) -> int:
        raise RuntimeError("boom")

    fn = cesql.Function("BOOM", [int], int, boom)
    result = cesql.compile("BOOM(1) + 1", functions=[fn]).evaluate({})
    assert result.value == 0
    (error,) = result.errors
    assert isinstance(error, cesql.FunctionEvaluationError)
    assert "RuntimeError: boom" in str(error)
    assert error.position == 0
    assert cesql.compile("BOOM(1) = 0", functions=[fn]).matches({}) is False


def test_user_function_reporting_errors_with_a_value() -> None:
    """Section 3.5.3: a function may return errors along with a valid value."""

    def lenient(x: str) -> cesql.Result:
        if x.isdigit():
            return cesql.Result(True, ())
        return cesql.Result(False, (cesql.FunctionEvaluationError("not digits"), "plain text"))

    fn = cesql.Function("DIGITS", [str], bool, lenient)
    expr = cesql.compile("DIGITS(x)", functions=[fn])
    assert expr.evaluate({"x": "12"}) == cesql.Result(True, ())
    result = expr.evaluate({"x": "1a"})
    assert result.value is False
    assert [type(e) for e in result.errors] == [cesql.FunctionEvaluationError] * 2
    assert all(e.position == 0 for e in result.errors)


def test_user_functions_are_not_folded_at_compile_time() -> None:
    """Built-ins on constants are computed once; user code runs at every evaluation."""
    calls: list[int] = []
    fn = cesql.Function("COUNTER", [], int, lambda: calls.append(1) or len(calls))
    expr = cesql.compile("COUNTER()", functions=[fn])
    assert [expr.evaluate({}).value for _ in range(3)] == [1, 2, 3]


# -- section 3.5 overload rules ----------------------------------------------------------------


def _fn(name: str, arity: int, variadic: bool = False) -> cesql.Function:
    return cesql.Function(
        name, [str] * arity, str, lambda *a: "", variadic=str if variadic else None
    )


def test_overloads_by_arity() -> None:
    """Section 3.5: ABC(x), ABC(x, y) and ABC(x, y, z, ...) may live together."""
    functions = [
        cesql.Function("ABC", [str], int, lambda x: 1),
        cesql.Function("ABC", [str, str], int, lambda x, y: 2),
        cesql.Function("ABC", [str, str, str], int, lambda *a: len(a), variadic=str),
    ]
    for args, expected in [("'a'", 1), ("'a','b'", 2), ("'a','b','c'", 3), ("1,2,3,4,5", 5)]:
        assert cesql.compile(f"ABC({args})", functions=functions).evaluate({}).value == expected
    assert cesql.compile("ABC()", functions=functions).evaluate({}).value is False


@pytest.mark.parametrize(
    ("functions", "reason"),
    [
        ([_fn("ABC", 0, variadic=True), _fn("ABC", 3)], "needs at least 4"),
        ([_fn("ABC", 1, variadic=True), _fn("ABC", 2, variadic=True)], "two variadic"),
        ([_fn("ABC", 2), _fn("ABC", 2)], "same name and arity"),
        ([_fn("LENGTH", 1)], "built-in"),
        ([_fn("concat", 3)], "needs at least 4"),  # the built-in CONCAT is variadic
    ],
)
def test_invalid_overload_sets_are_rejected(functions: list[cesql.Function], reason: str) -> None:
    """Section 3.5: the engine MUST reject definitions that cannot be told apart."""
    with pytest.raises(cesql.InvalidFunctionError, match=reason):
        cesql.compile("TRUE", functions=functions)


@pytest.mark.parametrize(
    "make",
    [
        lambda: cesql.Function("1ABC", [], str, str),
        lambda: cesql.Function("A-B", [], str, str),
        lambda: cesql.Function("ABC", [float], str, str),
        lambda: cesql.Function("ABC", [], object, str),
        lambda: cesql.Function("ABC", [], str, "not callable"),
        lambda: cesql.function(lambda x: x),
    ],
)
def test_invalid_definitions_are_rejected(make: object) -> None:
    """Section 2.4 names; section 3.1 types."""
    with pytest.raises(cesql.InvalidFunctionError):
        make()  # type: ignore[operator]


def test_functions_must_be_function_objects() -> None:
    """A plain callable is refused with a hint."""
    with pytest.raises(cesql.InvalidFunctionError, match=r"cesql\.function"):
        cesql.compile("TRUE", functions=[len])  # type: ignore[list-item]


@pytest.fixture
def registered() -> Iterator[cesql.Function]:
    fn = cesql.register(cesql.Function("SHOUT", [str], str, lambda s: s.upper() + "!"))
    yield fn
    cesql.unregister(fn)


def test_register_makes_a_function_available_everywhere(registered: cesql.Function) -> None:
    """register() serves compiles that cannot pass functions=, such as YAML filters."""
    assert cesql.compile("SHOUT('hi')").evaluate({}).value == "HI!"
    with pytest.raises(cesql.InvalidFunctionError):
        cesql.register(cesql.Function("SHOUT", [str], str, str.upper))


def test_unregister_removes_it(registered: cesql.Function) -> None:
    """unregister() undoes register() for later compiles."""
    before = cesql.compile("SHOUT('a')")
    cesql.unregister(registered)
    assert run("SHOUT('a')") == (False, ["MissingFunctionError"])
    assert before.evaluate({}).value == "A!"
