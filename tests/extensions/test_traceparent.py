"""TraceParent: the W3C Trace Context value behind the Distributed Tracing extension."""

from __future__ import annotations

import pytest

from cesdk import InvalidEventError
from cesdk.extensions import TraceParent

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def reason(exc: pytest.ExceptionInfo[InvalidEventError]) -> str:
    assert list(exc.value.errors) == ["traceparent"]
    return exc.value.errors["traceparent"]


def test_parse_spec_example() -> None:
    """distributed-tracing.md "traceparent"; W3C Trace Context 3.2 "Examples of ... Headers"."""
    tp = TraceParent.parse(VALID)
    assert tp.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert tp.parent_id == "00f067aa0ba902b7"
    assert tp.flags == 1
    assert tp.sampled is True
    assert str(tp) == VALID


def test_unsampled_flags() -> None:
    """W3C Trace Context 3.2 "trace-flags": flags 00 means the caller did not sample."""
    tp = TraceParent.parse(VALID[:-2] + "00")
    assert tp.sampled is False
    assert str(tp).endswith("-00")


def test_flags_are_a_bit_field() -> None:
    """W3C Trace Context 3.2 "trace-flags": 09 is sampled plus an unknown bit, kept as is."""
    tp = TraceParent.parse(VALID[:-2] + "09")
    assert tp.sampled is True
    assert tp.flags == 0x09
    assert str(tp).endswith("-09")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "non-empty"),
        ("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "uppercase"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", "uppercase"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", "uppercase"),
        ("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "uppercase"),
        ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "all zeros"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "all zeros"),
        ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version ff"),
        ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "exactly 55"),
        ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", "exactly 55"),
        ("00-4bf92f3577b34da6a3ce929d0e0e47360-0f067aa0ba902b7-01", "expected '-' at position 35"),
        ("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "expected '-' at position 2"),
        ("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01", "32 lowercase hex digits"),
        ("zz-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "2 lowercase hex digits"),
        (" 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "2 lowercase hex digits"),
    ],
)
def test_parse_rejects(text: str, expected: str) -> None:
    """W3C Trace Context 3.2 "traceparent Header Field Values": HEXDIGLC, sizes, no ff."""
    with pytest.raises(InvalidEventError) as exc:
        TraceParent.parse(text)
    assert expected in reason(exc)


def test_uppercase_message_says_how_to_fix() -> None:
    """W3C Trace Context 3.2 "trace-id": lowercase hex only; the message shows the fix."""
    with pytest.raises(InvalidEventError) as exc:
        TraceParent.parse(VALID.upper())
    assert "'00-" not in reason(exc)  # the version is fine; the trace-id is named
    assert "'4bf92f3577b34da6a3ce929d0e0e4736'" in reason(exc)


def test_higher_version_is_parsed_and_downgraded() -> None:
    """W3C Trace Context 3.2 "Versioning of traceparent": read four fields, write version 00."""
    tp = TraceParent.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future")
    assert (tp.trace_id, tp.parent_id, tp.flags) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
        1,
    )
    assert str(tp) == VALID


@pytest.mark.parametrize(
    "text",
    [
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what",
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",
    ],
)
def test_higher_version_still_needs_the_version_00_fields(text: str) -> None:
    """W3C Trace Context 3.2 "Versioning": flags must end the text or be followed by '-'."""
    with pytest.raises(InvalidEventError):
        TraceParent.parse(text)


def test_not_a_string() -> None:
    """distributed-tracing.md "traceparent": Type String."""
    with pytest.raises(InvalidEventError) as exc:
        TraceParent.parse(42)  # type: ignore[arg-type]
    assert "must be a String" in reason(exc)


def test_new_starts_a_valid_random_trace() -> None:
    """W3C Trace Context 3.2 "trace-id"/"parent-id": random, not all zeros."""
    a, b = TraceParent.new(), TraceParent.new(sampled=False)
    assert a.sampled is True
    assert b.sampled is False
    assert a.trace_id != b.trace_id
    assert TraceParent.parse(str(a)) == a
    assert TraceParent.parse(str(b)) == b


def test_child_keeps_trace_and_changes_parent() -> None:
    """W3C Trace Context 3.4 "Mutating the traceparent Field": update parent-id."""
    tp = TraceParent.parse(VALID[:-2] + "03")
    child = tp.child()
    assert child.trace_id == tp.trace_id
    assert child.parent_id != tp.parent_id
    assert child.flags == 0x03


def test_child_can_change_sampled() -> None:
    """W3C Trace Context 3.4 "Update sampled": the parent-id changes with the flag."""
    tp = TraceParent.parse(VALID)
    off = tp.child(sampled=False)
    assert off.sampled is False
    assert off.parent_id != tp.parent_id
    assert off.child(sampled=True).sampled is True


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"trace_id": "0" * 32, "parent_id": "00f067aa0ba902b7"}, "all zeros"),
        ({"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "parent_id": "abc"}, "16 lowercase"),
        (
            {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "parent_id": "1" * 16, "flags": 256},
            "8-bit",
        ),
        (
            {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "parent_id": "1" * 16, "flags": True},
            "flags must be an int",
        ),
    ],
)
def test_constructor_validates(kwargs: dict[str, object], expected: str) -> None:
    """W3C Trace Context 3.2 "version-format": the fields keep their grammar when built directly."""
    with pytest.raises(InvalidEventError) as exc:
        TraceParent(**kwargs)  # type: ignore[arg-type]
    assert expected in reason(exc)


def test_is_immutable_value() -> None:
    """A TraceParent is a frozen value: equal fields, equal objects."""
    tp = TraceParent.parse(VALID)
    assert tp == TraceParent.parse(VALID)
    assert hash(tp) == hash(TraceParent.parse(VALID))
    with pytest.raises(AttributeError):
        tp.flags = 0  # type: ignore[misc]
