"""CESQL operators: cesql/spec.md section 3.4 (and 3.6 for short-circuiting)."""

from __future__ import annotations

import pytest
from cesql_events import make_event, run, value_of

# -- 3.4.1 unary operators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected", "errors"),
    [
        ("NOT TRUE", False, []),
        ("NOT FALSE", True, []),
        ("NOT 'TRUE'", False, []),  # implicit String -> Boolean (3.7)
        ("NOT 'false'", True, []),
        ("NOT 10", False, []),  # Integer -> Boolean: non-zero is true (3.7)
        ("NOT 0", True, []),
        ("NOT 'maybe'", False, ["CastError"]),  # an operand that fails: the zero value
        ("NOT missing", False, ["MissingAttributeError"]),
        ("-10", -10, []),
        ("--10", 10, []),
        ("-'10'", -10, []),
        ("--'10'", 10, []),
        ("-TRUE", -1, []),
        ("-missing", 0, ["MissingAttributeError"]),
        ("-'x'", 0, ["CastError"]),
    ],
)
def test_unary_operators(expression: str, expected: object, errors: list[str]) -> None:
    """Section 3.4.1: NOT x: Boolean -> Boolean; -x: Integer -> Integer."""
    assert run(expression) == (expected, errors)


def test_negating_the_smallest_integer_overflows() -> None:
    """Section 3.1: -(-2147483648) is outside the Integer range: MathError, saturated."""
    assert run("-(-2147483648)") == (2147483647, ["MathError"])


# -- 3.4.2 arithmetic ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("4 + 1", 5),
        ("-4 + 1", -3),
        ("-4 + -1", -5),
        ("4 - 1", 3),
        ("-4 - 1", -5),
        ("3 * -4", -12),
        ("5 / 3", 1),
        ("-5 / 3", -1),  # rounded towards 0, not floored
        ("5 / -3", -1),
        ("-5 / -3", 1),
        ("5 % 3", 2),
        ("-5 % 3", -2),  # the sign of x
        ("5 % -3", 2),
        ("-5 % -3", -2),
        ("-2147483648 / 2", -1073741824),
        ("'5' + 3", 8),  # implicit casts (3.7)
        ("5 + '3'", 8),
        ("'5' + '3'", 8),
        ("5 + TRUE", 6),
        ("5 * FALSE", 0),
    ],
)
def test_arithmetic(expression: str, expected: int) -> None:
    """Section 3.4.2: + - * / % on Integers; / rounds towards 0, % takes x's sign."""
    assert value_of(expression) == expected


@pytest.mark.parametrize("expression", ["5 / 0", "5 % 0", "0 / 0", "-5 % 0", "7 / (3 - 3)"])
def test_division_by_zero_is_zero_and_a_math_error(expression: str) -> None:
    """Section 3.4.2: x / 0 and x % 0 return 0 and a MathError."""
    assert run(expression) == (0, ["MathError"])


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2147483647 + 1", 2147483647),
        ("-2147483648 - 1", -2147483648),
        ("65536 * 65536", 2147483647),
        ("-65536 * 65536", -2147483648),
        ("-2147483648 / -1", 2147483647),
    ],
)
def test_overflow_saturates_with_a_math_error(expression: str, expected: int) -> None:
    """Section 3.1 limits Integer to 32 bits; like ABS (3.5.2), overflow saturates."""
    assert run(expression) == (expected, ["MathError"])


def test_a_failed_cast_makes_the_operation_zero() -> None:
    """Section 3.3: an operator meeting an error returns its zero value."""
    assert run("'5avc4' + 10") == (0, ["CastError"])
    assert run("10 * 'x'") == (0, ["CastError"])


# -- 3.4.2 comparisons ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("TRUE = FALSE", False),
        ("FALSE = FALSE", True),
        ("1 = 2", False),
        ("2 = 2", True),
        ("'abc' = '123'", False),
        ("'abc' = 'abc'", True),
        ("'abc' = 'ABC'", False),  # case sensitive
        ("TRUE != FALSE", True),
        ("2 != 2", False),
        ("'abc' != 'ABC'", True),
        ("TRUE <> FALSE", True),
        ("'abc' <> 'abc'", False),
        ("2 <= 2", True),
        ("3 <= 2", False),
        ("1 < 2", True),
        ("2 < 2", False),
        ("2 >= 2", True),
        ("2 >= 3", False),
        ("2 > 1", True),
        ("2 > 2", False),
        ("-1 < 0", True),
        ("'10' > '9'", True),  # < > exist for Integer only: the Strings become Integers
    ],
)
def test_comparisons(expression: str, expected: bool) -> None:
    """Section 3.4.2: = != <> on every type, < <= > >= on Integer."""
    assert value_of(expression) is expected


@pytest.mark.parametrize("op", ["=", "!=", "<>", "<", "<=", ">", ">="])
def test_comparison_with_a_missing_attribute_is_false(op: str) -> None:
    """Section 3.2: the comparison returns false, its zero value, with the error."""
    assert run(f"missing {op} 2") == (False, ["MissingAttributeError"])
    assert run(f"2 {op} missing") == (False, ["MissingAttributeError"])


def test_equality_casts_the_left_operand_to_the_right_type() -> None:
    """Section 3.7: '=' is ambiguous, so the right operand's type is the target."""
    assert value_of("true = 'TRUE'") is False  # TRUE -> 'true', which is not 'TRUE'
    assert value_of("'TRUE' = true") is True  # 'TRUE' -> TRUE
    assert value_of("TRUE = 'true' AND FALSE = 'false'") is True  # section 3.7's example
    assert value_of("TRUE = 'TRUE' OR FALSE = 'FALSE'") is False
    assert value_of("1 = '1'") is True
    assert value_of("'01' = 1") is True  # '01' -> 1
    assert value_of("1 = TRUE") is True  # 1 -> TRUE
    assert run("'one' = 1") == (False, ["CastError"])


def test_equality_between_two_attributes_uses_the_right_ones_type() -> None:
    """Section 3.7: with two attributes, the right one's run-time type is the target."""
    assert value_of("a = b", a="5", b=5) is True
    assert value_of("b = a", a="5", b=5) is True
    assert value_of("a = b", a="TRUE", b=True) is True
    assert value_of("b = a", a="TRUE", b=True) is False  # TRUE -> 'true' != 'TRUE'
    assert run("a = b", a="five", b=5) == (False, ["CastError"])


def test_ordering_two_attributes_casts_both_to_integer() -> None:
    """Section 5: `hop < ttl`; < exists for Integer only (3.4.2)."""
    assert value_of("hop < ttl", hop="5", ttl="10") is True
    assert value_of("hop < ttl", hop=5, ttl=10) is True
    assert run("hop < ttl", hop="five", ttl="10") == (False, ["CastError"])


# -- 3.4.2 logic and 3.6 short-circuit ------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"), [(False, False), (False, True), (True, False), (True, True)]
)
def test_truth_tables(left: bool, right: bool) -> None:
    """Section 3.4.2: AND, OR, XOR on Booleans."""
    a, b = str(left).upper(), str(right).upper()
    assert value_of(f"{a} AND {b}") is (left and right)
    assert value_of(f"{a} OR {b}") is (left or right)
    assert value_of(f"{a} XOR {b}") is (left != right)


def test_and_short_circuits() -> None:
    """Section 3.6: when the left operand of AND is false the right is not evaluated."""
    assert run("false and (1 != 1 / 0)") == (False, [])
    assert run("false and missing") == (False, [])


def test_or_short_circuits() -> None:
    """Section 3.6: when the left operand of OR is true the right is not evaluated."""
    assert run("true or (1 != 1 / 0)") == (True, [])
    assert run("true or missing") == (True, [])


def test_an_error_in_an_operand_makes_and_or_false() -> None:
    """Section 3.3: an operator whose operand failed returns its zero value, false."""
    assert run("true and (1 != 1 / 0)") == (False, ["MathError"])
    assert run("false or (1 != 1 / 0)") == (False, ["MathError"])
    assert run("missing = 'x' OR TRUE") == (False, ["MissingAttributeError"])
    assert run("TRUE AND missing = 'x'") == (False, ["MissingAttributeError"])


def test_xor_evaluates_both_operands() -> None:
    """Section 3.6 asks short-circuiting of AND and OR only."""
    assert run("TRUE XOR (1 / 0 = 0)") == (False, ["MathError"])


def test_section_3_2_example() -> None:
    """Section 3.2: `true AND (missingAttribute = "")` is false with the error."""
    assert run('true AND (missingAttribute = "")') == (False, ["MissingAttributeError"])


def test_logical_operators_cast_their_operands() -> None:
    """Section 3.7: operands of AND are cast to Boolean."""
    assert value_of("'true' AND 1") is True
    assert value_of("0 OR 'FALSE'") is False
    assert run("'yes' AND TRUE") == (False, ["CastError"])


# -- 3.4.3 LIKE ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("abc", "abc", True),
        ("abc", "ABC", False),  # case sensitive
        ("ac", "abc", False),
        ("", "abc", False),
        ("", "", True),
        ("", "%", True),
        ("abc", "a%b%c", True),
        ("azzzbzzzc", "a%b%c", True),
        ("a%b%c", "a%b%c", True),
        (".ab.cde.", ".%.%.", True),
        ("ab.cde", ".%.%.", False),
        ("abc", "a_b_c", False),
        ("azbzc", "a_b_c", True),
        ("a_b_c", "a_b_c", True),
        ("abzc", "a_b_c", False),
        ("ab", "_b*", False),  # section 3.4.3's example: * is an ordinary character
        ("ab*", "_b*", True),
        ("abc", "%", True),
        ("abc", "%%", True),
        ("abc", "___", True),
        ("abcd", "___", False),
        ("abc%", "abc\\%", True),  # section 3.4.3: escaped % matches %
        ("abcd", "abc\\%", False),
        ("a_b_c", "a\\_b\\_c", True),
        ("azbzc", "a\\_b\\_c", False),
        ("a%b%c", "a\\%b\\%c", True),
        ("abc", "a\\%b\\%c", False),
        ("ab\\c", "ab\\c", True),  # a backslash before anything else matches itself
        ("a\\b", "a\\\\b", True),  # \\ in a pattern is one backslash
        ("io.k8s.event", "io.k8s.%", True),
        ("io.k8sXevent", "io.k8s.%", False),  # . is not a regex dot
        ("myevent.error", "%.error", True),
        ("a long message", "%long%", True),
        ("(a+b)", "(a+b)", True),
        ("abc123123%456_dzf", "abc%123\\%456\\_d_f", True),
    ],
)
def test_like(value: str, pattern: str, expected: bool) -> None:
    """Section 3.4.3: % is any run, _ one character, \\% and \\_ are literal."""
    literal = pattern.replace("\\", "\\\\").replace("'", "\\'")
    assert value_of(f"myext LIKE '{literal}'", myext=value) is expected
    assert value_of(f"myext NOT LIKE '{literal}'", myext=value) is (not expected)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("234 LIKE '23_'", True),
        ("2344 LIKE '23%'", True),
        ("2344 LIKE '23_'", False),
        ("TRUE LIKE 'tr%'", True),
        ("TRUE LIKE '%ue'", True),
        ("FALSE LIKE 'tr%'", False),
        ("-5 LIKE '-%'", True),
    ],
)
def test_like_casts_the_operand_to_string(expression: str, expected: bool) -> None:
    """Section 3.4.3: a non-String left operand is cast to String first."""
    assert value_of(expression) is expected


def test_like_wildcards_match_newlines() -> None:
    """Section 3.4.3: % is any characters and _ any one, a line break included."""
    assert value_of("'line\nbreak' LIKE 'line%'") is True
    assert value_of("'line\nbreak' LIKE 'line_break'") is True


def test_like_pattern_as_written_in_the_expression() -> None:
    """Section 3.4.3: the escapes reach LIKE through the string literal."""
    assert value_of(r"'ab\c' LIKE 'ab\c'") is True
    assert value_of(r"'a_b_c' LIKE 'a\_b\_c'") is True
    assert value_of(r"'azbzc' LIKE 'a\_b\_c'") is False
    assert value_of("'it''s' LIKE 'it''%'") is True


def test_like_on_a_missing_attribute_is_false() -> None:
    """Section 3.2: false, the zero value of LIKE, with the error; NOT LIKE too."""
    assert run("myext LIKE 'custom%'") == (False, ["MissingAttributeError"])
    assert run("myext NOT LIKE 'custom%'") == (False, ["MissingAttributeError"])


# -- 3.4.4 EXISTS ------------------------------------------------------------------------


def test_exists() -> None:
    """Section 3.4.4: true when the attribute is in the event."""
    assert value_of("EXISTS subject") is True
    assert value_of("EXISTS time") is True
    assert value_of("EXISTS myext", myext="x") is True
    assert value_of("EXISTS myext") is False
    assert run("EXISTS subject", make_event(subject=None, time=None)) == (False, [])
    assert run("EXISTS time", make_event(subject=None, time=None)) == (False, [])


@pytest.mark.parametrize("name", ["specversion", "id", "source", "type"])
def test_exists_is_always_true_for_required_attributes(name: str) -> None:
    """Section 3.4.4: EXISTS MUST be true for the REQUIRED attributes."""
    assert value_of(f"EXISTS {name}") is True
    assert run(f"EXISTS {name}", {}) == (True, [])


def test_exists_is_case_insensitive_in_its_name() -> None:
    """CESQLLexer.g4 accepts upper-case identifiers; they name lower-case attributes."""
    assert value_of("EXISTS SUBJECT") is True


# -- 3.4.5 IN ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("123 IN (1, 2, 3, 12, 13, 23, 123)", True),
        ("123 NOT IN (1, 2, 3, 12, 13, 23, 123)", False),
        ("4 IN (1, 2, 3)", False),
        ("4 NOT IN (1, 2, 3)", True),
        ("'abc' IN ('abc', \"bcd\")", True),
        ("'aBc' IN ('abc', 'bcd')", False),
        ("TRUE IN (FALSE, TRUE)", True),
        ("TRUE IN (FALSE)", False),
        ("1 IN ('1', '2')", True),  # the elements become the type of x (3.7)
        ("'1' IN (1, 2)", True),  # 1 -> '1'
        ("'01' IN (1, 2)", False),  # 1 -> '1', not '01'
        ("'true' IN (TRUE, 'x')", True),
        ("TRUE IN ('true')", True),
        ("1 IN (TRUE)", True),
        ("source IN (myext, 'x')", True),
        ("myext IN (source)", True),
        ("3 IN (1 + 2)", True),
        ("'b' IN (LOWER('B'))", True),
    ],
)
def test_in(expression: str, expected: bool) -> None:
    """Section 3.4.5: x IN set is true when x equals an element, after casting."""
    assert value_of(expression, myext="http://localhost/source") is expected


def test_in_with_a_missing_attribute_is_false() -> None:
    """Section 3.2: the zero value, false, and the error."""
    assert run("missing IN (1, 2)") == (False, ["MissingAttributeError"])
    assert run("missing NOT IN (1, 2)") == (False, ["MissingAttributeError"])
    assert run("1 IN (missing, 1)") == (False, ["MissingAttributeError"])


def test_in_with_an_element_that_cannot_be_cast_is_false() -> None:
    """Section 3.7: an element that cannot take x's type is a CastError; IN is false."""
    assert run("1 IN ('x', 1)") == (False, ["CastError"])
    assert run("n IN ('x', 1)", n=1) == (False, ["CastError"])
    assert run("n IN ('x', 1)", n="x") == (True, [])  # a String: no cast needed


def test_in_on_typed_attributes() -> None:
    """Section 3.2: Integer and Boolean extensions keep their types."""
    assert value_of("n IN ('5', 6)", n=5) is True
    assert value_of("b IN ('TRUE')", b=True) is True
    assert value_of("b NOT IN (FALSE)", b=True) is True
