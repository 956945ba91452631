"""CESQL syntax: literals, identifiers, keywords, precedence, parse errors.

Each case cites cesql/spec.md (section 2 and 3.6) or the grammar, CESQLParser.g4 /
CESQLLexer.g4.
"""

from __future__ import annotations

import pytest
from cesql_events import value_of

from cesdk import cesql
from cesdk.cesql._ast import Binary, Call, Identifier, Like, Literal, Logical, Unary
from cesdk.cesql._parser import MAX_DEPTH, parse

# -- 2.2 literals ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("TRUE", True),
        ("FALSE", False),
        ("0", 0),
        ("1", 1),
        ("2147483647", 2147483647),
        ("-2147483648", -2147483648),
        ("+5", 5),
        ("'abc'", "abc"),
        ('"abc"', "abc"),
        ("'aBc'", "aBc"),
        ("''", ""),
    ],
)
def test_literals(expression: str, expected: object) -> None:
    """Section 2.2: integer, boolean, and '' or "" delimited string literals."""
    value = value_of(expression)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (r"""'a"b\'c'""", "a\"b'c"),  # \' escapes the single quote
        (r'''"a'b\"c"''', "a'b\"c"),  # \" escapes the double quote
        ("'it''s'", "it's"),  # the grammar's doubled quote, as in SQL
        ('"say ""hi"""', 'say "hi"'),
        (r"'a\\b'", "a\\b"),  # \\ is one backslash
        (r"'a\%b'", r"a\%b"),  # other pairs stay, for LIKE (section 3.4.3)
        (r"'a\"b'", r"a\"b"),  # \" is not an escape inside '...'
        ("'line\nbreak'", "line\nbreak"),
    ],
)
def test_string_escapes(expression: str, expected: str) -> None:
    """Section 2.2: the delimiting quote is escaped with a backslash."""
    assert value_of(expression) == expected


@pytest.mark.parametrize("expression", ["2147483648", "-2147483649", "99999999999999999999"])
def test_integer_literals_are_32_bit(expression: str) -> None:
    """Section 2.2: integer literals MUST be valid 32 bit signed integers."""
    with pytest.raises(cesql.ParseError, match="32-bit"):
        cesql.compile(expression)


@pytest.mark.parametrize(
    "expression", ["true", "True", "tRuE", "TRUE AND true", "not false", "NoT fAlSe"]
)
def test_keywords_are_case_insensitive(expression: str) -> None:
    """Section 2: keywords are case-insensitive."""
    assert value_of(expression) is True


def test_section_2_example_both_cases_mean_the_same() -> None:
    """Section 2: the spec's own example, in lower and upper case."""
    lower = "int(hop) < int(ttl) and int(hop) < 1000"
    upper = "INT(hop) < INT(ttl) AND INT(hop) < 1000"
    assert value_of(lower, hop="5", ttl="10") is True
    assert value_of(upper, hop="5", ttl="10") is True
    assert value_of(lower, hop="50", ttl="10") is False


def test_function_names_are_case_insensitive() -> None:
    """Section 2: keywords, function names included, are case-insensitive."""
    assert value_of("abs(-3) + Abs(-3) + ABS(-3)") == 9
    assert value_of("concat_ws('-', 'a', 'b')") == "a-b"


# -- 2.2 identifiers -------------------------------------------------------------------


def test_identifiers_address_attributes() -> None:
    """Section 3.2: an identifier addresses the attribute of the same name."""
    assert value_of("id") == "myId"
    assert value_of("myext", myext="value") == "value"
    assert value_of("ext1", ext1="digits allowed") == "digits allowed"


def test_identifiers_may_start_with_a_digit() -> None:
    """Section 2.2: value-identifier ::= (lowercase-char | digit)+, so 1a is a name."""
    assert value_of("1a", **{"1a": "x"}) == "x"


def test_upper_case_identifiers_read_the_lower_case_attribute() -> None:
    """CESQLLexer.g4 accepts [a-zA-Z0-9]+; attribute names are lower case (section 2.2)."""
    assert value_of("ID") == "myId"


def test_a_long_identifier_is_accepted() -> None:
    """Section 2.2: 'SHOULD NOT' exceed 20 characters is advice, not a parse error."""
    name = "a" * 30
    assert value_of(name, **{name: "ok"}) == "ok"


def test_whitespace_separates_tokens() -> None:
    """CESQLLexer.g4: spaces, tabs, carriage returns and newlines are skipped."""
    assert value_of("\t1\r\n+\n 2 ") == 3


# -- 3.6 precedence and associativity ---------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("4 * 2 + 4 / 2", 10),
        ("4 * (2 + 4) / 2", 12),
        ("2 + 3 * 4", 14),
        ("10 - 4 - 3", 3),  # left-associative
        ("64 / 4 / 2", 8),
        ("7 % 4 % 2", 1),
        ("1 + 2 = 3", True),  # arithmetic binds tighter than comparison
        ("1 < 2 = TRUE", True),  # comparisons are left-associative
        ("-2 * 3", -6),
        ("5-1", 4),  # a minus after an operand subtracts
        ("5 -1", 4),
        ("4 + -1", 3),
        ("--10", 10),
        ("- -10", 10),
        ("(2 + 3) * 4", 20),
        ("4 * (2 + 3)", 20),
        ("(TRUE)", True),
    ],
)
def test_precedence(expression: str, expected: object) -> None:
    """Section 3.6: operators by precedence, equal precedence left to right."""
    assert value_of(expression) == expected


def test_and_or_xor_share_one_right_associative_level() -> None:
    """CESQLParser.g4: `<assoc=right> expression (AND | OR | XOR) expression`, one level.

    So ``FALSE AND FALSE OR TRUE`` is ``FALSE AND (FALSE OR TRUE)``, which is false,
    where SQL would read ``(FALSE AND FALSE) OR TRUE``.
    """
    assert value_of("FALSE AND FALSE OR TRUE") is False
    assert value_of("(FALSE AND FALSE) OR TRUE") is True
    assert value_of("TRUE OR FALSE AND FALSE") is True
    node = parse("a AND b OR c XOR d")
    assert isinstance(node, Logical)
    assert node.op == "AND"
    assert isinstance(node.operands[1], Logical)
    assert node.operands[1].op == "OR"


def test_a_chain_of_one_logical_operator_is_one_node() -> None:
    """Section 3.4.2: AND is associative; the chain compiles to one n-ary node."""
    node = parse(" AND ".join(f"x{i}" for i in range(500)))
    assert isinstance(node, Logical)
    assert len(node.operands) == 500


def test_prefix_operators_bind_tighter_than_binary_ones() -> None:
    """Section 3.6 and the grammar: NOT and - come before LIKE, IN and the binaries."""
    assert parse("NOT a = b") == Binary(
        "=", Unary("NOT", Identifier("a", 4), 0), Identifier("b", 8), 6
    )
    assert parse("-a * b") == Binary("*", Unary("-", Identifier("a", 1), 0), Identifier("b", 5), 3)
    # (NOT TRUE) is false, and the String 'false' is LIKE 'f%'.
    assert value_of("NOT TRUE LIKE 'f%'") is True


def test_like_binds_tighter_than_in_and_arithmetic() -> None:
    """Section 3.6: LIKE, then IN, then the binary operators."""
    node = parse("1 + a LIKE 'x'")
    assert isinstance(node, Binary)
    assert isinstance(node.right, Like)
    assert value_of("'ab' LIKE 'a%' IN (TRUE)") is True


def test_function_calls_and_their_arguments() -> None:
    """Section 2.4: function-identifier '(' argument-list? ')'."""
    assert parse("ABS(-1)") == Call("ABS", (Literal(-1, 4),), 0)
    assert value_of("CONCAT()") == ""
    assert value_of("CONCAT ( 'a' , 'b' )") == "ab"
    assert value_of("LENGTH(CONCAT('ab', UPPER('c')))") == 3


# -- parse errors (section 3.3, ParseError) -------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "column", "reason"),
    [
        ("", 1, "expected an expression"),
        ("1 +", 4, "expected an expression"),
        ("(1 + 2", 7, "closing the '('"),
        ("1 + 2)", 6, "closes no '('"),
        ("'abc", 1, "no closing '"),
        ('"abc', 1, 'no closing "'),
        ("a $ b", 3, "unexpected character '$'"),
        ("x LIKE 123", 8, "must be a string literal"),
        ("x LIKE y", 8, "must be a string literal"),
        ("x IN ()", 7, "at least one element"),
        ("x IN 1", 6, "'('"),
        ("x IN (1, )", 10, "expected an expression"),
        ("a NOT b", 3, "LIKE or IN"),
        ("1 2", 3, "expected an operator"),
        ("EXISTS 1", 8, "attribute name"),
        ("EXISTS", 7, "attribute name"),
        ("abc_1", 1, "neither an attribute name"),
        ("foo_bar", 1, "not an attribute name"),
        ("ABC1(2)", 1, "not a function name"),
        ("+x", 1, "no unary plus"),
        ("a = = b", 5, "expected an expression"),
        ("AND", 1, "expected an expression"),
        ("TRUE(1)", 5, "expected an operator"),
        ("ABS(1", 6, "closing the arguments of ABS"),
    ],
)
def test_parse_errors_point_at_the_problem(expression: str, column: int, reason: str) -> None:
    """Section 3.3: a ParseError, with its position and a caret under it."""
    with pytest.raises(cesql.ParseError) as caught:
        cesql.compile(expression)
    error = caught.value
    assert reason in error.message
    assert error.column == column
    assert error.position == column - 1
    assert error.line == 1
    caret_line = str(error).splitlines()[-1]
    assert caret_line == " " * (4 + column - 1) + "^"


def test_parse_error_on_a_later_line() -> None:
    """A multi-line expression reports the line and column."""
    with pytest.raises(cesql.ParseError) as caught:
        cesql.compile("type = 'x'\nAND\nsubject ==")
    assert (caught.value.line, caught.value.column) == (3, 10)
    assert "line 3, column 10" in str(caught.value)
    assert str(caught.value).splitlines()[-2] == "    subject =="


def test_parse_error_excerpt_of_a_long_line_is_cut_around_the_caret() -> None:
    """The excerpt stays readable for long expressions."""
    text = " AND ".join(f"attr{i} = 'v'" for i in range(30)) + " AND )"
    with pytest.raises(cesql.ParseError) as caught:
        cesql.compile(text)
    excerpt, caret = str(caught.value).splitlines()[-2:]
    assert len(excerpt) < 90
    assert excerpt[caret.index("^")] == ")"


def test_parse_error_is_a_value_error_and_a_cesdk_error() -> None:
    """_errors.py: ParseError mixes in ValueError under CESDKError."""
    with pytest.raises(ValueError, match="expected"):
        cesql.compile("1 +")
    assert issubclass(cesql.ParseError, cesql.CESQLError)


def test_too_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    """Deep trees would overflow Python's stack; they are refused when parsed."""
    with pytest.raises(cesql.ParseError, match="nests"):
        cesql.compile("(" * 100 + "1" + ")" * 100)
    with pytest.raises(cesql.ParseError, match="nests"):
        cesql.compile("NOT " * 100 + "TRUE")
    with pytest.raises(cesql.ParseError, match="nests"):
        cesql.compile("+".join(["1"] * (MAX_DEPTH + 5)))
    assert value_of("(" * 30 + "1" + ")" * 30) == 1
    assert value_of("+".join(["1"] * 100)) == 100


def test_a_non_string_expression_is_a_type_error() -> None:
    """compile() takes text."""
    with pytest.raises(TypeError):
        cesql.compile(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("keyword", ["in", "and", "like", "exists", "xor"])
def test_keywords_cannot_be_addressed_as_attributes(keyword: str) -> None:
    """CESQLLexer.g4: keywords are tokens of their own."""
    with pytest.raises(cesql.ParseError):
        cesql.compile(f"{keyword} = 'x'")
