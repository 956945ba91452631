"""The runner's verdicts, with small implementations that misbehave on purpose."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import ClassVar

import pytest

import cesdk
from cesdk_spec_tests import (
    Case,
    CesdkImplementation,
    EventSpec,
    Implementation,
    IncomparableResultError,
    Message,
    run_case,
)
from cesdk_spec_tests._checks import _instant, json_equal

EVENT = {"specversion": "1.0", "id": "1", "source": "/s", "type": "t"}


def _case(op: str, expect: dict[str, object], **input: object) -> Case:
    return Case("core/test/case", "Type System", "MUST", op, input, expect)


class Crashing(CesdkImplementation):
    def create(self, event: EventSpec) -> cesdk.CloudEvent:
        raise KeyError("time")


class Accepting(Implementation):
    name: ClassVar[str] = "accepting"

    def create(self, event: EventSpec) -> cesdk.CloudEvent:
        return cesdk.CloudEvent.from_attributes(EVENT)

    def json_decode(self, body: bytes) -> cesdk.CloudEvent:
        raise IncomparableResultError("not a cesdk event")

    def http_encode_binary(self, event: EventSpec) -> Message:
        return Message((("ce-flag", "True"), ("Content-Type", "text/plain")), b"hi")


INVALID = _case("create", {"outcome": "invalid", "attribute": "subject"})


def test_cesdk_must_raise_its_own_errors() -> None:
    result = run_case(Crashing(), INVALID)
    assert result.status == "fail"
    assert result.note.startswith("crashed instead of rejecting: KeyError")


def test_any_exception_rejects_for_other_implementations() -> None:
    class Raising(Implementation):
        def create(self, event: EventSpec) -> cesdk.CloudEvent:
            raise TypeError("no")

    assert run_case(Raising(), INVALID).status == "pass"


def test_accepting_an_invalid_input_fails() -> None:
    assert run_case(Accepting(), INVALID).note.startswith("accepted an invalid input")


def test_an_unusable_result_is_not_a_rejection() -> None:
    result = run_case(Accepting(), _case("json-decode", {"outcome": "invalid"}))
    assert (result.status, result.note) == ("fail", "accepted an invalid input: not a cesdk event")


def test_the_blamed_attribute_is_checked() -> None:
    case = _case(
        "create",
        {"outcome": "invalid", "attribute": "subject"},
        attributes={**EVENT, "type": ""},
    )
    result = run_case(CesdkImplementation(), case)
    assert (result.status, result.note) == ("fail", "rejected, but blamed type instead of subject")


def test_missing_operations_are_unsupported() -> None:
    result = run_case(Accepting(), _case("nats-decode", {"outcome": "valid"}))
    assert (result.status, result.note) == ("unsupported", "nats-decode is not supported")


def test_message_checks() -> None:
    expect = {
        "outcome": "valid",
        "headers": {"CE-FLAG": "true"},
        "content_type": "TEXT/PLAIN",
        "body": "hi",
        "headers_absent": ["content-type"],
    }
    result = run_case(Accepting(), _case("http-encode-binary", expect))
    assert result.note == (
        "header CE-FLAG is 'True', expected 'true'; header content-type is present ('text/plain')"
    )


def test_event_checks_report_every_difference() -> None:
    expect = {"outcome": "valid", "attributes": {**EVENT, "subject": "x"}, "data": {"a": 1}}
    result = run_case(Accepting(), _case("create", expect))
    assert result.note == "missing attribute 'subject'; the event has no data"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [(True, 1, False), ("1", 1, False), (1, 1.0, True), ({"a": [None]}, {"a": [None]}, True)],
)
def test_json_equal_is_strict(a: object, b: object, equal: bool) -> None:
    assert json_equal(a, b) is equal


def test_time_compares_instants_at_full_precision() -> None:
    assert _instant("2018-04-05T17:31:00.50Z") == _instant("2018-04-05t19:31:00.5+02:00")
    assert _instant("2018-04-05T17:31:00.123456789Z") != _instant("2018-04-05T17:31:00.123456Z")
    assert _instant("2016-12-31T23:59:60Z") != _instant("2017-01-01T00:00:00Z")


def test_a_malformed_case_input_raises_instead_of_passing() -> None:
    case = _case("json-decode", {"outcome": "invalid"}, body_b64="not base64!")
    with pytest.raises(ValueError, match="base64"):
        run_case(CesdkImplementation(), case)


def test_typed_header_checks() -> None:
    """AMQP properties: exact names, canonical values, timestamps by instant, types."""

    class Amqp(Implementation):
        def amqp_encode_binary(self, event: EventSpec) -> Message:
            stamp = datetime(2018, 4, 5, 19, 31, tzinfo=timezone(timedelta(hours=2)))
            headers = (("cloudEvents_flag", True), ("cloudEvents_time", stamp))
            return Message(headers, b"", typed=True)

    expect = {
        "outcome": "valid",
        "headers": {"cloudEvents_flag": True, "cloudEvents_time": "2018-04-05T17:31:00.000Z"},
        "header_types": {"cloudEvents_flag": "boolean", "cloudEvents_time": "timestamp"},
    }
    assert run_case(Amqp(), _case("amqp-encode-binary", expect)).status == "pass"
    wrong = {
        "outcome": "valid",
        "headers": {
            "cloudevents_flag": True,
            "cloudEvents_time": {"timestamp": "2018-04-05T17:31:01Z"},
        },
        "header_types": {"cloudEvents_flag": "integer"},
        "headers_absent": ["cloudEvents_flag"],
    }
    problems = run_case(Amqp(), _case("amqp-encode-binary", wrong)).note.split("; ")
    assert problems[0] == "header cloudevents_flag is missing"
    assert problems[1].startswith("header cloudEvents_time is datetime.datetime(2018, 4, 5, 19")
    assert problems[1].endswith("expected {'timestamp': '2018-04-05T17:31:01Z'}")
    assert problems[2:] == [
        "header cloudEvents_flag is True, expected a integer",
        "header cloudEvents_flag is present ('true')",
    ]
