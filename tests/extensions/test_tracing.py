"""The Distributed Tracing extension on events: traceparent and tracestate attributes."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent, InvalidEventError
from cesdk.extensions import (
    TraceParent,
    TraceState,
    traceparent,
    tracestate,
    validate,
    with_traceparent,
)

TP = "00-0af7651916cd43dd8448eb211c80319c-b9c7c989f97918e1-01"


def event(**extensions: object) -> CloudEvent:
    return CloudEvent(type="example", source="http://localhost", id="1", extensions=extensions)


def test_getters_read_the_spec_example() -> None:
    """distributed-tracing.md "Using the Distributed Tracing Extension": the HTTP example."""
    ev = event(traceparent=TP, tracestate="rojo=00f067aa0ba902b7")
    tp = traceparent(ev)
    assert tp is not None
    assert tp.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert tp.parent_id == "b9c7c989f97918e1"
    assert tp.sampled
    ts = tracestate(ev)
    assert ts is not None
    assert ts["rojo"] == "00f067aa0ba902b7"
    assert validate(ev) == {}


def test_getters_return_none_when_absent() -> None:
    """distributed-tracing.md "Attributes": the extension is optional on an event."""
    ev = event()
    assert traceparent(ev) is None
    assert tracestate(ev) is None


def test_getter_raises_on_malformed_value() -> None:
    """distributed-tracing.md "traceparent": the value follows W3C Trace Context 3.2."""
    ev = event(traceparent=TP.upper())
    with pytest.raises(InvalidEventError) as exc:
        traceparent(ev)
    assert "uppercase" in exc.value.errors["traceparent"]


def test_setter_writes_both_attributes() -> None:
    """distributed-tracing.md "Attributes": traceparent and tracestate are Strings."""
    tp = TraceParent.parse(TP)
    ev = with_traceparent(event(), tp, TraceState.parse("congo=t61rcWkgMzE"))
    assert ev["traceparent"] == TP
    assert ev["tracestate"] == "congo=t61rcWkgMzE"
    assert "traceparent" not in event()  # the original is untouched


def test_setter_normalizes_tracestate_text() -> None:
    """W3C Trace Context 3.3: optional whitespace MAY be excluded when propagating."""
    ev = with_traceparent(event(), TP, " a=1 , ,b=2")
    assert ev["tracestate"] == "a=1,b=2"


def test_setter_keeps_text_of_higher_versions() -> None:
    """W3C Trace Context 3.2 "Versioning": pass-through services should not analyze the version."""
    text = "cc-0af7651916cd43dd8448eb211c80319c-b9c7c989f97918e1-01-extra"
    assert with_traceparent(event(), text)["traceparent"] == text


def test_child_keeps_tracestate() -> None:
    """W3C Trace Context 3.4 "Update parent-id": tracestate stays with the same trace."""
    ev = event(traceparent=TP, tracestate="rojo=1")
    tp = traceparent(ev)
    assert tp is not None
    child = with_traceparent(ev, tp.child())
    assert child["tracestate"] == "rojo=1"
    assert traceparent(child).trace_id == tp.trace_id  # type: ignore[union-attr]


def test_restart_drops_tracestate() -> None:
    """W3C Trace Context 3.4 "Restart trace": vendors SHOULD clean up tracestate."""
    ev = event(traceparent=TP, tracestate="rojo=1")
    restarted = with_traceparent(ev, TraceParent.new())
    assert "tracestate" not in restarted


def test_empty_tracestate_removes_attribute() -> None:
    """W3C Trace Context 3.3: vendors SHOULD avoid sending empty tracestate."""
    ev = event(traceparent=TP, tracestate="rojo=1")
    assert "tracestate" not in with_traceparent(ev, TP, "")
    assert "tracestate" not in with_traceparent(ev, TP, TraceState())


def test_setter_reports_every_problem() -> None:
    """distributed-tracing.md "Attributes": both values are checked before the event changes."""
    with pytest.raises(InvalidEventError) as exc:
        with_traceparent(event(), "00-zz", "BAD=1")
    assert set(exc.value.errors) == {"traceparent", "tracestate"}


def test_validate_reports_problems() -> None:
    """distributed-tracing.md "traceparent": REQUIRED, a non-empty W3C traceparent."""
    bad = event(traceparent="00-" + "0" * 32 + "-b9c7c989f97918e1-01", tracestate="a=1,a=2")
    problems = validate(bad)
    assert "all zeros" in problems["traceparent"]
    assert "more than once" in problems["tracestate"]


def test_validate_tracestate_needs_traceparent() -> None:
    """distributed-tracing.md "traceparent": REQUIRED whenever the extension is used."""
    problems = validate(event(tracestate="a=1"))
    assert list(problems) == ["traceparent"]
    assert "REQUIRED" in problems["traceparent"]


def test_validate_wrong_type() -> None:
    """distributed-tracing.md "traceparent": Type String, not Integer."""
    assert "must be a String" in validate(event(traceparent=7))["traceparent"]
