"""TraceState: the W3C Trace Context tracestate behind the Distributed Tracing extension."""

from __future__ import annotations

import pytest

from cesdk import InvalidEventError
from cesdk.extensions import TraceState


def reason(exc: pytest.ExceptionInfo[InvalidEventError]) -> str:
    assert list(exc.value.errors) == ["tracestate"]
    return exc.value.errors["tracestate"]


def test_parse_spec_example() -> None:
    """W3C Trace Context 3.3 "Examples of tracestate HTTP Headers": multiple tracing systems."""
    ts = TraceState.parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    assert ts.entries == (("rojo", "00f067aa0ba902b7"), ("congo", "t61rcWkgMzE"))
    assert ts["congo"] == "t61rcWkgMzE"
    assert ts.get("missing") is None
    assert list(ts) == ["rojo", "congo"]
    assert len(ts) == 2
    assert str(ts) == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"


def test_distributed_tracing_example_header() -> None:
    """distributed-tracing.md "Using the Distributed Tracing Extension": the HTTP example."""
    ts = TraceState.parse(
        "rojo=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,"
        "congo=lZWRzIHRoNhcm5hbCBwbGVhc3VyZS4"
    )
    assert ts["rojo"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_optional_whitespace_and_empty_members() -> None:
    """W3C Trace Context 3.3 "tracestate Header Field Values": OWS and empty members are allowed."""
    ts = TraceState.parse(" a=1 ,\t, ,b=2,")
    assert ts.entries == (("a", "1"), ("b", "2"))
    assert str(ts) == "a=1,b=2"


def test_empty_tracestate_is_valid() -> None:
    """W3C Trace Context 3.3: vendors MUST accept empty tracestate headers."""
    assert len(TraceState.parse("")) == 0
    assert len(TraceState.parse(" , ")) == 0


def test_value_keeps_leading_spaces() -> None:
    """W3C Trace Context 3.3 "Value": leading spaces are part of the value, trailing are OWS."""
    ts = TraceState.parse("a=  x y  ")
    assert ts["a"] == "  x y"


def test_multi_tenant_and_digit_keys() -> None:
    """W3C Trace Context 3.3 "Key": tenant@system keys and keys starting with a digit."""
    ts = TraceState.parse("fw529a3039@dt=d4cda95b652f4a1592b449d5929fda1b,1st/x_y-z*=v")
    assert list(ts) == ["fw529a3039@dt", "1st/x_y-z*"]


def test_thirty_two_members_allowed() -> None:
    """W3C Trace Context 3.3 "list": at most 32 list-members; 32 is fine."""
    text = ",".join(f"k{i}=v{i}" for i in range(32))
    assert len(TraceState.parse(text)) == 32


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (",".join(f"k{i}=v{i}" for i in range(33)), "at most 32"),
        ("Upper=1", "must start with a lowercase letter or digit"),
        ("_a=1", "must start with a lowercase letter or digit"),
        ("a b=1", "must start with a lowercase letter or digit"),
        ("=1", "empty key"),
        ("a", "has no '='"),
        ("a=", "is empty"),
        ("a=x=y", "other than ',' and '='"),
        ("a=caf\u00e9", "printable ASCII"),
        ("a=1,a=2", "more than once"),
        ("a=" + "x" * 257, "longer than 256"),
        ("k" * 257 + "=1", "longer than 256"),
    ],
)
def test_parse_rejects(text: str, expected: str) -> None:
    """W3C Trace Context 3.3 "list-members": key and value grammar, 32 members, unique keys."""
    with pytest.raises(InvalidEventError) as exc:
        TraceState.parse(text)
    assert expected in reason(exc)


def test_longest_key_and_value() -> None:
    """W3C Trace Context 3.3 "Key" and "Value": up to 256 characters each."""
    ts = TraceState.parse("k" * 256 + "=" + "v" * 256)
    assert ts["k" * 256] == "v" * 256


def test_updated_moves_entry_to_front() -> None:
    """W3C Trace Context 3.5 "Mutating the tracestate Field": modified keys move left."""
    ts = TraceState.parse("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    assert str(ts.updated("congo", "ucfJifl5GOE")) == "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7"
    assert str(ts.updated("new", "1")) == "new=1,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
    assert str(ts) == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"  # unchanged


def test_updated_cannot_exceed_limit() -> None:
    """W3C Trace Context 3.3: adding a 33rd member is refused."""
    ts = TraceState((f"k{i}", "v") for i in range(32))
    with pytest.raises(InvalidEventError) as exc:
        ts.updated("one", "more")
    assert "at most 32" in reason(exc)
    assert len(ts.updated("k5", "w")) == 32


def test_without_deletes() -> None:
    """W3C Trace Context 3.5 "Delete a key/value pair"."""
    ts = TraceState.parse("a=1,b=2")
    assert str(ts.without("a")) == "b=2"
    assert ts.without("zzz") == ts


def test_constructor_validates() -> None:
    """W3C Trace Context 3.3 "Key": entries built directly keep the grammar."""
    with pytest.raises(InvalidEventError) as exc:
        TraceState([("BAD", "1")])
    assert "BAD" in reason(exc)


def test_not_a_string() -> None:
    """distributed-tracing.md "tracestate": Type String."""
    with pytest.raises(InvalidEventError) as exc:
        TraceState.parse(b"a=1")  # type: ignore[arg-type]
    assert "must be a String" in reason(exc)
