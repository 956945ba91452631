"""Property tests: random expressions and events (cesql/spec.md sections 3.3 and 1.2).

* ``compile`` raises nothing but :class:`CESQLError` (a ParseError) on any text;
* ``evaluate`` never raises, always returns a Boolean, Integer or String (section 3.1)
  and errors of the spec's types (section 3.3), never the catch-all GenericError;
* ``matches`` is TRUE exactly when the value is TRUE without errors (section 1.2);
* the compiled closures agree with a plain tree-walking evaluator (cesql_reference.py).
"""

from __future__ import annotations

import string
from typing import Any

from cesql_reference import evaluate as reference_evaluate
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import cesql
from cesdk.cesql._parser import parse

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = ["a", "b", "n", "flag", "blob", "missing", "id", "type", "subject", "time"]
FUNCTIONS = [
    "LENGTH",
    "CONCAT",
    "CONCAT_WS",
    "LOWER",
    "UPPER",
    "TRIM",
    "LEFT",
    "RIGHT",
    "SUBSTRING",
    "ABS",
    "INT",
    "BOOL",
    "STRING",
    "IS_INT",
    "IS_BOOL",
    "IS_STRING",
    "NOPE",
]
BINARY = ["+", "-", "*", "/", "%", "=", "!=", "<>", "<", "<=", ">", ">=", "AND", "OR", "XOR"]
_TEXT = "ab1-%_\\' \"xT"


def _quote(body: str, quote: str) -> str:
    return quote + body.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def _case(word: str, upper: bool) -> str:
    return word.upper() if upper else word.lower()


integers = st.one_of(
    st.integers(-5, 5),
    st.sampled_from([2**31 - 1, -(2**31), 65536, 2**31, -(2**31) - 1]),
).map(str)
strings = st.builds(_quote, st.text(_TEXT, max_size=5), st.sampled_from(["'", '"']))
booleans = st.builds(_case, st.sampled_from(["true", "false"]), st.booleans())
names = st.builds(_case, st.sampled_from(NAMES), st.booleans())
leaves = st.one_of(integers, strings, booleans, names, names.map("EXISTS {}".format))
patterns = st.builds(_quote, st.text("ab%_\\", max_size=5), st.just("'"))


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds("{}{}".format, st.sampled_from(["NOT ", "-", "- "]), children),
        st.builds("{} {} {}".format, children, st.sampled_from(BINARY), children),
        children.map("({})".format),
        st.builds("{} {}LIKE {}".format, children, st.sampled_from(["", "NOT "]), patterns),
        st.builds(
            "{} {}IN ({})".format,
            children,
            st.sampled_from(["", "NOT "]),
            st.lists(children, min_size=1, max_size=3).map(", ".join),
        ),
        st.builds(
            "{}({})".format,
            st.builds(_case, st.sampled_from(FUNCTIONS), st.booleans()),
            st.lists(children, max_size=3).map(", ".join),
        ),
    )


expressions = st.recursive(leaves, _extend, max_leaves=10)

_VALUE_TEXT = st.text("ab1-T ", max_size=4)
attribute_values: dict[str, st.SearchStrategy[Any]] = {
    "a": st.one_of(_VALUE_TEXT, st.sampled_from(["1", "-3", "true", "FALSE", "2147483648"])),
    "b": st.one_of(st.integers(-3, 3), st.booleans(), _VALUE_TEXT),
    "n": st.sampled_from([0, 1, -1, 7, 2**31 - 1, -(2**31)]),
    "flag": st.booleans(),
    "blob": st.binary(max_size=4),
    "subject": st.text("ab1", min_size=1, max_size=3),
}


@st.composite
def events(draw: st.DrawFn) -> cesdk.CloudEvent:
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "id": draw(st.sampled_from(["1", "a", "ab"])),
        "source": "/s",
        "type": draw(st.sampled_from(["a", "T", "ab1"])),
    }
    for name, values in attribute_values.items():
        if draw(st.booleans()):
            attributes[name] = draw(values)
    if draw(st.booleans()):
        attributes["time"] = "2018-04-26T14:48:09Z"
    return cesdk.CloudEvent.from_attributes(attributes)


def _compile(text: str) -> cesql.Expression | None:
    try:
        return cesql.compile(text)
    except cesql.CESQLError:
        return None


def _summary(result: cesql.Result) -> tuple[Any, list[str]]:
    return result.value, [repr(error) for error in result.errors]


def _check_result(result: cesql.Result) -> None:
    assert type(result.value) in (bool, int, str)
    if type(result.value) is int:
        assert -(2**31) <= result.value <= 2**31 - 1
    for error in result.errors:
        assert isinstance(error, cesql.CESQLError)
        assert not isinstance(error, cesql.GenericError | cesql.ParseError), error


@SETTINGS
@given(st.text(max_size=40))
def test_any_text_compiles_or_raises_a_cesql_error(text: str) -> None:
    """Section 3.3: a ParseError, nothing else, for whatever text."""
    expression = _compile(text)
    if expression is not None:
        _check_result(expression.evaluate({}))


@SETTINGS
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["(", ")", ",", "'", '"', "\\", "NOT", "IN", "LIKE", "EXISTS", "AND", "-", "+"]
            ),
            st.sampled_from(BINARY),
            leaves,
            st.sampled_from(FUNCTIONS),
        ),
        max_size=12,
    )
)
def test_token_soup_compiles_or_raises_a_cesql_error(tokens: list[str]) -> None:
    """Section 3.3: near-miss token sequences also give only ParseErrors."""
    expression = _compile(" ".join(tokens))
    if expression is not None:
        _check_result(expression.evaluate({"a": "1"}))


@SETTINGS
@given(expressions, events())
def test_evaluate_never_raises(text: str, event: cesdk.CloudEvent) -> None:
    """Sections 3.3 and 1.2: evaluation is total; matches() agrees with evaluate()."""
    expression = _compile(text)
    assume(expression is not None)
    assert expression is not None
    result = expression.evaluate(event)
    _check_result(result)
    assert expression.matches(event) is (result.value is True and not result.errors)
    assert _summary(expression.evaluate(dict(event.attributes))) == _summary(result)


@SETTINGS
@given(expressions, events())
def test_compiled_closures_agree_with_a_tree_walker(text: str, event: cesdk.CloudEvent) -> None:
    """The closures, fast paths and folded constants compute what the spec says."""
    expression = _compile(text)
    assume(expression is not None)
    assert expression is not None
    compiled = expression.evaluate(event)
    expected = reference_evaluate(parse(text), event.attributes)
    assert compiled.value == expected.value
    assert type(compiled.value) is type(expected.value)
    assert [type(e) for e in compiled.errors] == [type(e) for e in expected.errors]


@SETTINGS
@given(st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=12))
def test_any_word_is_a_name_or_a_parse_error(word: str) -> None:
    """CESQLLexer.g4: words are identifiers, keywords or (with '_') function names."""
    expression = _compile(word)
    if expression is not None:
        _check_result(expression.evaluate({word.lower(): "x"}))
