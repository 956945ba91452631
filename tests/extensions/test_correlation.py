"""The Correlation extension: correlationid and causationid."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent, InvalidEventError
from cesdk.extensions import (
    causationid,
    correlationid,
    validate,
    with_causationid,
    with_cause,
    with_correlationid,
)


def order() -> CloudEvent:
    return CloudEvent(
        type="com.example.order.placed",
        source="https://example.com/orders",
        id="order-123",
        extensions={"correlationid": "txn-abc-123"},
    )


def test_spec_example_chain() -> None:
    """correlation.md "Example 1: Complete Correlation Chain": payment caused by the order."""
    payment = CloudEvent(
        type="com.example.payment.processed", source="https://example.com/payments"
    )
    payment = with_cause(payment, order())
    assert correlationid(payment) == "txn-abc-123"
    assert causationid(payment) == "order-123"
    assert validate(payment) == {}


def test_cause_without_correlation_keeps_own() -> None:
    """correlation.md "Usage": the attributes can be used independently."""
    cause = CloudEvent(type="t", source="/s", id="c-1")
    ev = with_cause(CloudEvent(type="t", source="/s", extensions={"correlationid": "mine"}), cause)
    assert correlationid(ev) == "mine"
    assert causationid(ev) == "c-1"


def test_setters() -> None:
    """correlation.md "correlationid" and "causationid": Type String."""
    ev = with_causationid(with_correlationid(CloudEvent(type="t", source="/s"), "txn"), "e-1")
    assert (correlationid(ev), causationid(ev)) == ("txn", "e-1")


def test_absent() -> None:
    """correlation.md "Attributes": both are OPTIONAL."""
    ev = CloudEvent(type="t", source="/s")
    assert correlationid(ev) is None
    assert causationid(ev) is None


@pytest.mark.parametrize("setter", [with_correlationid, with_causationid])
def test_setters_reject_empty(setter: object) -> None:
    """correlation.md "Attributes": if present, MUST be a non-empty string."""
    with pytest.raises(InvalidEventError) as exc:
        setter(CloudEvent(type="t", source="/s"), "")  # type: ignore[operator]
    assert list(exc.value.errors.values()) == ["must be a non-empty String"]


def test_validate_reports_both() -> None:
    """correlation.md "Attributes": if present, MUST be a non-empty string."""
    ev = CloudEvent(type="t", source="/s", extensions={"correlationid": "", "causationid": 3})
    problems = validate(ev)
    assert problems["correlationid"] == "must be a non-empty String"
    assert "must be a String, got Integer 3" in problems["causationid"]
