"""CESQL types, casts, context attributes and errors: cesql/spec.md 3.1, 3.2, 3.3, 3.7."""

from __future__ import annotations

import pytest
from cesql_events import make_event, run, value_of

from cesdk import cesql
from cesdk.cesql._types import Type, cast

# -- 3.1 type system ---------------------------------------------------------------------


def test_zero_values() -> None:
    """Section 3.1: "" for String, 0 for Integer, false for Boolean."""
    assert Type.STRING.zero == ""
    assert Type.INTEGER.zero == 0
    assert Type.BOOLEAN.zero is False


# -- 3.2 context attributes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("specversion", "1.0"),
        ("id", "myId"),
        ("source", "http://localhost/source"),  # URI-reference is seen as String
        ("type", "com.example.someevent"),
        ("subject", "mySubject"),
        ("time", "2018-04-26T14:48:09+02:00"),  # Timestamp is seen as String
        ("datacontenttype", "application/json"),
        ("dataschema", "http://localhost/schema"),  # URI is seen as String
    ],
)
def test_core_attributes_are_addressable(name: str, expected: str) -> None:
    """Section 3.2: every context attribute is addressable; URIs and times are Strings."""
    assert value_of(name) == expected


def test_extension_types_are_kept() -> None:
    """Section 3.2: Boolean, Integer and String extensions keep their type."""
    assert value_of("mybool", mybool=True) is True
    assert value_of("myint", myint=10) == 10
    assert value_of("myext", myext="my extension") == "my extension"
    assert value_of("myint + 1", myint=10) == 11


def test_binary_extensions_are_base64_strings() -> None:
    """Section 3.2: a value of no CESQL type is a String, here its canonical base64."""
    assert value_of("blob", blob=b"\x00\x01hello") == "AAFoZWxsbw=="
    assert value_of("blob LIKE 'AAF%'", blob=b"\x00\x01hello") is True


def test_time_keeps_its_text_exactly() -> None:
    """Section 3.1: a Timestamp is a String; its RFC 3339 text is not reformatted."""
    assert value_of("time", time="2018-04-26t14:48:09.123456789z") == (
        "2018-04-26t14:48:09.123456789z"
    )
    assert value_of("time LIKE '2018-04-%'") is True


def test_a_missing_attribute_alone_is_false_with_an_error() -> None:
    """Section 3.2: the type of a bare attribute is unknown, so Boolean: false."""
    event = make_event(subject=None)
    assert run("subject", event) == (False, ["MissingAttributeError"])


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("missingattribute * 5", 0),
        ("1 / missingattribute", 0),  # no MathError: nothing is divided
        ("missing / 0", 0),
        ("missing % 0", 0),
        ("missing + 1 = 1", False),
        ("LENGTH(missing)", 0),
        ("UPPER(missing)", ""),
        ("CONCAT('a', missing)", ""),
        ("missing = ''", False),
        ("NOT missing", False),
        ("missing LIKE '%'", False),
        ("missing IN ('a')", False),
        ("INT(missing)", 0),
        ("IS_STRING(missing)", False),
    ],
)
def test_missing_attribute_gives_the_zero_value_of_the_subexpression(
    expression: str, expected: object
) -> None:
    """Section 3.2: the sub-expression returns the zero value of its return type."""
    value, errors = run(expression)
    assert value == expected
    assert type(value) is type(expected)
    assert errors == ["MissingAttributeError"]


def test_missing_attribute_error_names_the_attribute_and_position() -> None:
    """Section 3.3: MissingAttributeError, with where it happened."""
    result = cesql.compile("id = 'myId' AND reason = 'x'").evaluate(make_event())
    (error,) = result.errors
    assert isinstance(error, cesql.MissingAttributeError)
    assert error.attribute == "reason"
    assert error.position == 16
    assert "reason" in str(error)


def test_every_missing_attribute_is_reported() -> None:
    """Section 3.3: the evaluator collects a list of errors."""
    assert run("a + b") == (0, ["MissingAttributeError", "MissingAttributeError"])


# -- 3.7 casting ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "expected"),
    [
        (0, Type.STRING, "0"),
        (-15, Type.STRING, "-15"),
        (2147483647, Type.STRING, "2147483647"),
        (0, Type.BOOLEAN, False),
        (1, Type.BOOLEAN, True),
        (-50, Type.BOOLEAN, True),
        ("42", Type.INTEGER, 42),
        ("+42", Type.INTEGER, 42),
        ("-42", Type.INTEGER, -42),
        ("007", Type.INTEGER, 7),
        ("-2147483648", Type.INTEGER, -2147483648),
        ("true", Type.BOOLEAN, True),
        ("TRUE", Type.BOOLEAN, True),
        ("False", Type.BOOLEAN, False),
        (True, Type.INTEGER, 1),
        (False, Type.INTEGER, 0),
        (True, Type.STRING, "true"),
        (False, Type.STRING, "false"),
        ("x", Type.STRING, "x"),
    ],
)
def test_cast_table(value: object, target: Type, expected: object) -> None:
    """Section 3.7: the casts a CESQL engine MUST support, and their semantics."""
    errors: list[cesql.CESQLError] = []
    result = cast(value, target, errors)  # type: ignore[arg-type]
    assert result == expected
    assert type(result) is type(expected)
    assert errors == []


@pytest.mark.parametrize(
    ("value", "target", "zero"),
    [
        ("", Type.INTEGER, 0),
        ("abc", Type.INTEGER, 0),
        ("1.5", Type.INTEGER, 0),
        (" 1", Type.INTEGER, 0),
        ("1_000", Type.INTEGER, 0),  # Python's int() accepts this; CESQL does not
        ("\u0661", Type.INTEGER, 0),  # an Arabic-Indic digit: not base 10 ASCII
        ("2147483648", Type.INTEGER, 0),  # overflow
        ("-2147483649", Type.INTEGER, 0),
        ("yes", Type.BOOLEAN, False),
        ("", Type.BOOLEAN, False),
        ("1", Type.BOOLEAN, False),
        ("true ", Type.BOOLEAN, False),
    ],
)
def test_failed_casts_return_the_zero_value_and_a_cast_error(
    value: str, target: Type, zero: object
) -> None:
    """Section 3.7: a failed cast is an error along with the zero value."""
    errors: list[cesql.CESQLError] = []
    assert cast(value, target, errors) == zero
    (error,) = errors
    assert isinstance(error, cesql.CastError)


def test_section_3_7_example_sequence_equals_ten() -> None:
    """Section 3.7: in `sequence = 10`, sequence is cast to Integer."""
    assert value_of("sequence = 10", sequence="10") is True
    assert value_of("sequence = 10", sequence="010") is True
    assert value_of("sequence = 5", sequence="6") is False
    assert run("sequence = 10", sequence="ten") == (False, ["CastError"])


def test_section_3_7_example_predicate_on_sequence_plus_ten() -> None:
    """Section 3.7: MY_STRING_PREDICATE(sequence + 10) casts to Integer, then String."""
    seen: list[object] = []

    def predicate(value: str) -> bool:
        seen.append(value)
        return value == "15"

    fn = cesql.Function("MY_STRING_PREDICATE", [str], bool, predicate)
    expr = cesql.compile("MY_STRING_PREDICATE(sequence + 10)", functions=[fn])
    assert expr.evaluate(make_event(sequence="5")) == cesql.Result(True, ())
    assert seen == ["15"]


# -- 3.3 errors ---------------------------------------------------------------------------


def test_error_types_have_the_spec_names() -> None:
    """Section 3.3: every error type of the spec, under one root."""
    names = {
        "ParseError": "parse",
        "MathError": "math",
        "CastError": "cast",
        "MissingAttributeError": "missingAttribute",
        "MissingFunctionError": "missingFunction",
        "FunctionEvaluationError": "functionEvaluation",
        "GenericError": "generic",
    }
    for name, code in names.items():
        cls = getattr(cesql, name)
        assert cls.__name__ == name
        assert cls.code == code
        assert issubclass(cls, cesql.CESQLError)
    import cesdk

    assert issubclass(cesql.CESQLError, cesdk.CESDKError)


def test_evaluation_errors_are_returned_not_raised() -> None:
    """Section 3.3 and 4.1: every operator is total; evaluate() collects every error."""
    result = cesql.compile("1 / 0 + INT('x') + LENGTH(missing)").evaluate(make_event())
    assert result.value == 0
    assert [type(e) for e in result.errors] == [
        cesql.MathError,
        cesql.CastError,
        cesql.MissingAttributeError,
    ]
    result = cesql.compile("(1 / 0) = 0 XOR INT('x') = 0").evaluate(make_event())
    assert result.value is False
    assert [type(e) for e in result.errors] == [cesql.MathError, cesql.CastError]
