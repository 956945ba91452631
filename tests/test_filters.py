"""The Subscriptions API filter dialects: subscriptions/spec.md section 3.2.4 (and 3.2.1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cesdk
from cesdk import cesql, filters


def event(**attributes: Any) -> cesdk.CloudEvent:
    base: dict[str, Any] = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}
    return cesdk.CloudEvent.from_attributes({**base, **attributes})


PUSH = event(type="com.github.push", subject="https://github.com/cloudevents/spec")

# -- 3.2.4.1.1 REQUIRED dialects ---------------------------------------------------------------


def test_exact() -> None:
    """exact: every named attribute equals its value, case-sensitively (spec example)."""
    f = filters.build(
        {"exact": {"type": "com.github.push", "subject": "https://github.com/cloudevents/spec"}}
    )
    assert f(PUSH) is True
    assert f(event(type="com.github.push", subject="https://github.com/cloudevents")) is False
    assert f(event(type="com.github.PUSH", subject="https://github.com/cloudevents/spec")) is False
    assert f(event(type="com.github.push")) is False  # no subject: no match


def test_prefix() -> None:
    """prefix: every named attribute starts with its value (spec example)."""
    f = filters.build(
        {"prefix": {"type": "com.github.", "subject": "https://github.com/cloudevents"}}
    )
    assert f(PUSH) is True
    assert f(event(type="com.github.push", subject="https://github.com/other")) is False
    assert f(event(type="com.GitHub.push", subject="https://github.com/cloudevents")) is False
    assert filters.Prefix(type="com.github.push")(PUSH) is True  # a value is its own prefix


def test_suffix() -> None:
    """suffix: every named attribute ends with its value (spec example)."""
    f = filters.build({"suffix": {"type": ".created", "subject": "/cloudevents/spec"}})
    assert f(event(type="com.github.created", subject="https://github.com/cloudevents/spec"))
    assert not f(PUSH)
    assert not f(event(type="x.CREATED", subject="/cloudevents/spec"))


def test_all() -> None:
    """all: every nested filter must be true (spec example)."""
    f = filters.build(
        {
            "all": [
                {"exact": {"type": "com.github.push"}},
                {"exact": {"subject": "https://github.com/cloudevents/spec"}},
            ]
        }
    )
    assert f(PUSH) is True
    assert f(event(type="com.github.push")) is False


def test_any() -> None:
    """any: at least one nested filter must be true (spec example)."""
    f = filters.build(
        {
            "any": [
                {"exact": {"type": "com.github.push"}},
                {"exact": {"subject": "https://github.com/cloudevents/spec"}},
            ]
        }
    )
    assert f(PUSH) is True
    assert f(event(type="x", subject="https://github.com/cloudevents/spec")) is True
    assert f(event(type="x")) is False


def test_not() -> None:
    """not: the inverse of the nested filter (spec example)."""
    f = filters.build({"not": {"exact": {"type": "com.github.push"}}})
    assert f(PUSH) is False
    assert f(event(type="com.github.pull")) is True


# -- 3.2.4.1.2 OPTIONAL sql -----------------------------------------------------------------


def test_sql() -> None:
    """sql: true only when the expression is the Boolean TRUE (spec example)."""
    f = filters.build({"sql": "source LIKE '%cloudevents%'"})
    assert f(event(source="https://cloudevents.io/x")) is True
    assert f(event(source="/elsewhere")) is False


@pytest.mark.parametrize(
    "expression",
    [
        "missing = 'x'",  # an error: false
        "1 / 0 = 0",  # an error, though the value is TRUE: false
        "'true'",  # not a Boolean: false
        "1",
        "FALSE",
    ],
)
def test_sql_is_false_unless_true_without_errors(expression: str) -> None:
    """sql: false on an error, on FALSE, or on a value that is not a Boolean."""
    assert filters.Sql(expression)(event()) is False


def test_sql_with_user_functions() -> None:
    """sql: user-defined CESQL functions can be passed to build()."""
    shout = cesql.Function("SHOUT", [str], str, lambda s: s.upper())
    f = filters.build({"sql": "SHOUT(type) = 'T'"}, functions=[shout])
    assert f(event()) is True
    compiled = cesql.compile("type = 't'")
    assert filters.Sql(compiled).expression is compiled


# -- values, types ---------------------------------------------------------------------------


def test_attribute_values_compare_as_their_canonical_strings() -> None:
    """Values are Strings in the dialects; other types compare by their String form."""
    ev = event(n=5, flag=True, blob=b"\x00\x01", time="2024-01-02T03:04:05.5Z")
    assert filters.Exact(n="5", flag="true", blob="AAE=")(ev) is True
    assert filters.Prefix(time="2024-01-02T")(ev) is True
    assert filters.Suffix(time=".5Z")(ev) is True
    assert filters.Exact(flag="True")(ev) is False


def test_filters_take_attribute_mappings_too() -> None:
    """A mapping of attributes, as CloudEvent.attributes holds them, works like an event."""
    assert filters.Exact(type="t")({"type": "t"}) is True  # type: ignore[arg-type]


# -- building ---------------------------------------------------------------------------


def test_a_list_means_all_of_them() -> None:
    """Section 3.2.1 filters: every filter of the array must be true."""
    f = filters.build([{"prefix": {"type": "com.github."}}, {"suffix": {"subject": "/spec"}}])
    assert isinstance(f, filters.FilterList)
    assert f(PUSH) is True
    assert f(event(type="com.github.push")) is False


def test_an_empty_list_passes_every_event() -> None:
    """Section 3.2.1 filters: an empty array implies true."""
    assert filters.build([])(PUSH) is True


def test_python_construction_and_operators() -> None:
    """Filters compose with & | ~ into all, any and not."""
    f = (filters.Exact(type="x") | filters.Prefix({"type": "com."})) & ~filters.Suffix(subject="/x")
    assert f(PUSH) is True
    assert f.spec == {
        "all": [
            {"any": [{"exact": {"type": "x"}}, {"prefix": {"type": "com."}}]},
            {"not": {"suffix": {"subject": "/x"}}},
        ]
    }
    chained = filters.Exact(type="a") & filters.Exact(type="b") & filters.Exact(type="c")
    assert isinstance(chained, filters.AllOf)
    assert len(chained.filters) == 3


@pytest.mark.parametrize(
    "spec",
    [
        {"exact": {"type": "a", "subject": "b"}},
        {"prefix": {"type": "a"}},
        {"suffix": {"type": "a"}},
        {"all": [{"exact": {"type": "a"}}, {"any": [{"sql": "EXISTS x"}]}]},
        {"not": {"not": {"exact": {"type": "a"}}}},
        {"sql": "type = 'a'"},
        [{"exact": {"type": "a"}}, {"sql": "TRUE"}],
        [],
    ],
)
def test_spec_round_trips(spec: Any) -> None:
    """A filter gives back the JSON form it was built from."""
    f = filters.build(spec)
    assert f.spec == spec
    assert filters.build(f.spec).spec == spec
    assert repr(f) == f"filters.build({spec!r})"


def test_json_form() -> None:
    """Section 3.2.4.1: { "dialect": { properties } }, as JSON text decodes."""
    text = '{"all": [{"exact": {"type": "com.github.push"}}, {"sql": "EXISTS subject"}]}'
    assert filters.build(json.loads(text))(PUSH) is True


def test_yaml_form() -> None:
    """The same form written in YAML, as a pipeline file would hold it."""
    yaml = pytest.importorskip("yaml")
    document = yaml.safe_load(
        """
        filter:
          any:
            - exact: {type: com.github.push}
            - sql: "subject LIKE '%/spec'"
        """
    )
    assert filters.build(document["filter"])(PUSH) is True


def test_a_filter_is_a_plain_predicate() -> None:
    """A Filter is a callable event -> bool, usable wherever a predicate is."""
    events = [PUSH, event(type="other")]
    assert list(filter(filters.Exact(type="other"), events)) == [events[1]]
    assert filters.build(filters.Exact(type="t")).spec == {"exact": {"type": "t"}}


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "path", "reason"),
    [
        ({"exakt": {"type": "x"}}, "filter", "unknown filter dialect 'exakt'"),
        ({}, "filter", "exactly one dialect; found none"),
        ({"exact": {"type": "x"}, "prefix": {"type": "x"}}, "filter", "exactly one dialect"),
        ("type = 'x'", "filter", "got str"),
        ({"exact": {}}, "filter.exact", "non-empty mapping"),
        ({"exact": [["type", "x"]]}, "filter.exact", "non-empty mapping"),
        ({"exact": {"": "x"}}, "filter.exact", "non-empty"),
        ({"prefix": {"type": ""}}, "filter.prefix", "non-empty String"),
        ({"suffix": {"type": 5}}, "filter.suffix", "non-empty String"),
        ({"exact": {"Type": "x"}}, "filter.exact", "lower-case"),
        ({"all": []}, "filter.all", "at least one"),
        ({"any": []}, "filter.any", "at least one"),
        ({"all": {"exact": {"type": "x"}}}, "filter.all", "list of filters"),
        ({"not": [{"exact": {"type": "x"}}]}, "filter.not", "one filter"),
        ({"not": {"bogus": {}}}, "filter.not", "unknown filter dialect"),
        ({"sql": "type ="}, "filter.sql", "invalid CESQL expression"),
        ({"sql": ""}, "filter.sql", "non-empty CESQL"),
        ({"sql": 5}, "filter.sql", "non-empty CESQL"),
        (
            {"any": [{"exact": {"type": "x"}}, {"all": [{"x": 1}]}]},
            "filter.any[1].all[0]",
            "unknown",
        ),
        ([{"exact": {"type": "x"}}, {"prefix": {}}], "filters[1].prefix", "non-empty"),
    ],
)
def test_invalid_filters_are_rejected_when_built(spec: Any, path: str, reason: str) -> None:
    """Section 3.2.4: an unsupported dialect or a broken filter MUST be rejected."""
    with pytest.raises(filters.InvalidFilterError) as caught:
        filters.build(spec)
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert isinstance(caught.value, cesdk.CESDKError)
    assert isinstance(caught.value, ValueError)


def test_invalid_sql_shows_where() -> None:
    """subscriptions 3.2.4.1.2: SHOULD reject invalid CESQL; the caret points at it."""
    with pytest.raises(filters.InvalidFilterError) as caught:
        filters.build({"sql": "type LIKE 5"})
    assert "    type LIKE 5\n              ^" in str(caught.value)
    assert isinstance(caught.value.__cause__, cesql.ParseError)


def test_python_constructors_validate_too() -> None:
    """The classes check what build() checks."""
    with pytest.raises(filters.InvalidFilterError):
        filters.Exact()
    with pytest.raises(filters.InvalidFilterError):
        filters.AllOf([])
    with pytest.raises(filters.InvalidFilterError):
        filters.AnyOf([{"exact": {"type": "x"}}])  # type: ignore[list-item]
    with pytest.raises(filters.InvalidFilterError):
        filters.Not({"exact": {"type": "x"}})  # type: ignore[arg-type]
    with pytest.raises(filters.InvalidFilterError):
        filters.FilterList([lambda ev: True])  # type: ignore[list-item]


# -- every dialect agrees with its CESQL equivalent ---------------------------------------------

NAMES = ["type", "subject", "a", "b"]
TEXT = "a1%_\\'"


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def to_cesql(spec: Any) -> str:
    """Translate a filter into the CESQL expression that means the same."""
    ((dialect, value),) = spec.items()
    if dialect in ("exact", "prefix", "suffix"):
        tests = []
        for name, text in value.items():
            test = {
                "exact": f"{name} = {_literal(text)}",
                "prefix": f"{name} LIKE {_literal(_like(text) + '%')}",
                "suffix": f"{name} LIKE {_literal('%' + _like(text))}",
            }[dialect]
            # EXISTS first: without it a missing attribute is an error, which would make
            # any enclosing NOT false too, where the not dialect says true.
            tests.append(f"(EXISTS {name} AND {test})")
        return "(" + " AND ".join(tests) + ")"
    if dialect in ("all", "any"):
        joiner = " AND " if dialect == "all" else " OR "
        return "(" + joiner.join(to_cesql(f) for f in value) + ")"
    if dialect == "not":
        return f"(NOT {to_cesql(value)})"
    return f"({value})"


attributes = st.dictionaries(
    st.sampled_from(NAMES), st.text(TEXT, min_size=1, max_size=3), max_size=2, min_size=1
)
leaf_filters = st.one_of(
    st.builds(lambda d, v: {d: v}, st.sampled_from(["exact", "prefix", "suffix"]), attributes),
    st.sampled_from(NAMES).map(lambda n: {"sql": f"EXISTS {n}"}),
)
filter_specs = st.recursive(
    leaf_filters,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda fs: {"all": fs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda fs: {"any": fs}),
        inner.map(lambda f: {"not": f}),
    ),
    max_leaves=6,
)


@st.composite
def events(draw: st.DrawFn) -> cesdk.CloudEvent:
    attrs: dict[str, Any] = {"type": draw(st.text(TEXT, min_size=1, max_size=4))}
    if draw(st.booleans()):
        attrs["subject"] = draw(st.text(TEXT, min_size=1, max_size=4))
    for name in ("a", "b"):  # extensions may be Integers too
        if draw(st.booleans()):
            attrs[name] = draw(st.one_of(st.text(TEXT, min_size=1, max_size=4), st.integers(0, 3)))
    return event(**attrs)


@settings(max_examples=300, deadline=None)
@given(filter_specs, events())
def test_every_dialect_agrees_with_its_cesql_equivalent(spec: Any, ev: cesdk.CloudEvent) -> None:
    """Section 3.2.4.1: exact/prefix/suffix/all/any/not mean what their CESQL spells."""
    expression = cesql.compile(to_cesql(spec))
    assert filters.build(spec)(ev) is expression.matches(ev)
