"""The Sequence extension: sequence, a String compared lexicographically."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent, InvalidEventError
from cesdk.extensions import compare_sequence, sequence, validate, with_sequence


def event(source: str = "https://example.com/users/service", **ext: object) -> CloudEvent:
    return CloudEvent(type="com.example.user.updated", source=source, extensions=ext)


def test_spec_valid_usage() -> None:
    """sequence.md "Valid Usage": "002" comes after "001" from the same source."""
    first, second = event(sequence="001"), event(sequence="002")
    assert sequence(first) == "001"
    assert compare_sequence(first, second) == -1
    assert compare_sequence(second, first) == 1
    assert compare_sequence(first, event(sequence="001")) == 0
    assert validate(first) == {}


def test_comparison_is_by_string_not_number() -> None:
    """sequence.md "sequence": order is a simple string compare, so "10" precedes "9"."""
    assert compare_sequence(event(sequence="10"), event(sequence="9")) == -1


def test_different_sources_do_not_compare() -> None:
    """sequence.md "Separate Sequences from Different Sources": cannot be meaningfully compared."""
    users = event(sequence="005")
    orders = event("https://example.com/orders/service", sequence="003")
    assert compare_sequence(users, orders) is None


def test_missing_sequence_does_not_compare() -> None:
    """sequence.md "Attributes": an event without the extension has no position."""
    assert compare_sequence(event(sequence="1"), event()) is None
    assert sequence(event()) is None


def test_counter_is_zero_padded() -> None:
    """sequence.md "sequence": padding with leading zeros keeps integers orderable as text."""
    nine, ten = with_sequence(event(), 9), with_sequence(event(), 10)
    assert sequence(nine) == "0" * 19 + "9"
    assert compare_sequence(nine, ten) == -1
    assert sequence(with_sequence(event(), 7, width=3)) == "007"


def test_text_is_stored_as_given() -> None:
    """sequence.md "sequence": producers define the values by out-of-band agreement."""
    assert sequence(with_sequence(event(), "2024-01-01/0001")) == "2024-01-01/0001"


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("", {}, "non-empty"),
        (-1, {}, "negative"),
        (1000, {"width": 3}, "more than 3 digits"),
        (True, {}, "must be a String, got Boolean"),
        (b"1", {}, "must be a String, got Binary"),
    ],
)
def test_setter_rejects(value: object, kwargs: dict[str, int], expected: str) -> None:
    """sequence.md "sequence": MUST be a non-empty lexicographically-orderable string."""
    with pytest.raises(InvalidEventError) as exc:
        with_sequence(event(), value, **kwargs)  # type: ignore[arg-type]
    assert expected in exc.value.errors["sequence"]


def test_validate_rejects_integer_attribute() -> None:
    """sequence.md "sequence": Type String; an Integer attribute breaks the string compare."""
    ev = event(sequence=3)
    assert "must be a String" in validate(ev)["sequence"]
    with pytest.raises(InvalidEventError):
        sequence(ev)
