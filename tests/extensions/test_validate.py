"""validate(): every documented extension at once."""

from __future__ import annotations

from cesdk import CloudEvent
from cesdk.extensions import validate

GOOD = {
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "tracestate": "rojo=00f067aa0ba902b7",
    "partitionkey": "web-1",
    "sequence": "0042",
    "dataref": "https://example.com/blobs/1",
    "expirytime": "2030-01-01T00:00:00Z",
    "recordedtime": "2025-01-01T00:00:00Z",
    "severitynumber": 17,
    "severitytext": "ERROR",
    "correlationid": "txn",
    "causationid": "e-1",
    "authtype": "user",
    "authid": "u-1",
    "authclaims": "{}",
}


def test_all_valid() -> None:
    """extensions/README.md "Known Extensions": an event may use many at once."""
    assert validate(CloudEvent(type="t", source="/s", extensions=GOOD)) == {}


def test_reports_every_problem_at_once() -> None:
    """extensions/README.md "Usage": each extension's rules apply to events that use it."""
    bad = {
        "traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "tracestate": ",".join(f"k{i}=v" for i in range(33)),
        "partitionkey": "",
        "sequence": "",
        "dataref": "not a uri",
        "expirytime": "soon",
        "recordedtime": "2025-01-01",
        "severitynumber": -1,
        "severitytext": "",
        "correlationid": "",
        "causationid": "",
        "authtype": "",
        "authclaims": "{",
    }
    problems = validate(CloudEvent(type="t", source="/s", extensions=bad))
    assert set(problems) == set(bad)
    assert all(isinstance(reason, str) and reason for reason in problems.values())


def test_unknown_extensions_are_ignored() -> None:
    """spec.md "Extension Context Attributes": other extensions have no defined meaning here."""
    assert validate(CloudEvent(type="t", source="/s", extensions={"comexample": ""})) == {}
