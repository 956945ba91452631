"""The Partitioning extension: partitionkey."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent, InvalidEventError
from cesdk.extensions import partitionkey, validate, with_partitionkey


def event(**extensions: object) -> CloudEvent:
    return CloudEvent(type="t", source="/s", extensions=extensions)


def test_round_trip() -> None:
    """partitioning.md "partitionkey": the ID of the entity the event is associated with."""
    ev = with_partitionkey(event(), "web-1")
    assert ev["partitionkey"] == "web-1"
    assert partitionkey(ev) == "web-1"
    assert validate(ev) == {}


def test_absent() -> None:
    """partitioning.md "Attributes": events without the extension have no key."""
    assert partitionkey(event()) is None


def test_setter_replaces_key() -> None:
    """partitioning.md "partitionkey": the value may change from hop to hop."""
    assert partitionkey(with_partitionkey(event(partitionkey="a"), "b")) == "b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "non-empty"), (5, "must be a String, got Integer 5"), ("a\nb", "U+000A")],
)
def test_setter_rejects(value: object, expected: str) -> None:
    """partitioning.md "partitionkey": Type String, MUST be a non-empty string."""
    with pytest.raises(InvalidEventError) as exc:
        with_partitionkey(event(), value)  # type: ignore[arg-type]
    assert expected in exc.value.errors["partitionkey"]


def test_getter_and_validate_reject_non_string() -> None:
    """partitioning.md "partitionkey": an Integer (as a JSON number would give) is not a String."""
    ev = event(partitionkey=42)
    assert "must be a String" in validate(ev)["partitionkey"]
    with pytest.raises(InvalidEventError):
        partitionkey(ev)


def test_validate_rejects_empty() -> None:
    """partitioning.md "partitionkey": MUST be a non-empty string."""
    assert validate(event(partitionkey="")) == {"partitionkey": "must be a non-empty String"}
