"""The Severity extension: severitynumber and severitytext."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent, InvalidEventError
from cesdk.extensions import Severity, SeverityNumber, severity, validate, with_severity


def event(**ext: object) -> CloudEvent:
    return CloudEvent(type="t", source="/s", extensions=ext)


def test_round_trip() -> None:
    """severity.md "Attributes": severitynumber (Integer) and severitytext (String)."""
    ev = with_severity(event(), 17, "ERROR")
    assert ev["severitynumber"] == 17
    assert ev["severitytext"] == "ERROR"
    assert severity(ev) == Severity(17, "ERROR")
    assert validate(ev) == {}


def test_enum_member_is_stored_as_plain_integer() -> None:
    """severity.md "severitynumber": Type Integer; the OpenTelemetry numbers."""
    ev = with_severity(event(), SeverityNumber.WARN)
    assert type(ev["severitynumber"]) is int
    assert ev["severitynumber"] == 13


def test_short_name_substitutes_missing_text() -> None:
    """severity.md "severitytext": the short name MAY substitute a missing severitytext."""
    level = severity(event(severitynumber=18))
    assert level == Severity(18)
    assert level is not None
    assert level.text is None
    assert level.short_name == "ERROR2"
    assert level.name == "ERROR2"
    assert Severity(18, "CRIT").name == "CRIT"


def test_numbers_outside_opentelemetry_have_no_short_name() -> None:
    """severity.md "severitynumber": only negative numbers are forbidden."""
    assert Severity(0).short_name is None
    assert Severity(25).short_name is None
    assert validate(event(severitynumber=2147483647)) == {}


def test_string_encoded_number() -> None:
    """spec.md "Type System" Integer string encoding, as binary-mode bindings deliver it."""
    assert severity(event(severitynumber="9", severitytext="INFO")) == Severity(9, "INFO")


def test_setting_number_alone_removes_stale_text() -> None:
    """severity.md "Attributes": texts and numbers of a source SHOULD map one to one."""
    ev = with_severity(event(severitynumber=17, severitytext="ERROR"), 9)
    assert "severitytext" not in ev
    assert severity(ev) == Severity(9)


def test_absent() -> None:
    """severity.md "Attributes": the extension MAY be included."""
    assert severity(event()) is None


@pytest.mark.parametrize(
    ("number", "text", "name", "expected"),
    [
        (-1, None, "severitynumber", "negative"),
        (2**31, None, "severitynumber", "outside the 32-bit range"),
        (True, None, "severitynumber", "must be an int"),
        (1.5, None, "severitynumber", "must be an int"),
        (9, "", "severitytext", "non-empty"),
        (9, 9, "severitytext", "must be a String"),
    ],
)
def test_setter_rejects(number: object, text: object, name: str, expected: str) -> None:
    """severity.md "severitynumber": MUST NOT be negative; "severitytext": non-empty string."""
    with pytest.raises(InvalidEventError) as exc:
        with_severity(event(), number, text)  # type: ignore[arg-type]
    assert expected in exc.value.errors[name]


@pytest.mark.parametrize(
    ("ext", "name", "expected"),
    [
        ({"severitynumber": -5}, "severitynumber", "negative"),
        ({"severitynumber": "-5"}, "severitynumber", "negative"),
        ({"severitynumber": "017"}, "severitynumber", "must be an Integer"),
        ({"severitynumber": "high"}, "severitynumber", "must be an Integer"),
        ({"severitynumber": True}, "severitynumber", "must be an Integer, got Boolean"),
        ({"severitytext": "WARN"}, "severitynumber", "REQUIRED"),
        ({"severitynumber": 13, "severitytext": ""}, "severitytext", "non-empty"),
    ],
)
def test_validate_and_getter_report(ext: dict[str, object], name: str, expected: str) -> None:
    """severity.md "severitynumber": REQUIRED, not negative; "severitytext": non-empty."""
    ev = event(**ext)
    assert expected in validate(ev)[name]
    with pytest.raises(InvalidEventError) as exc:
        severity(ev)
    assert expected in exc.value.errors[name]


def test_lowercase_text_is_only_a_recommendation() -> None:
    """severity.md "severitytext": SHOULD be uppercase, so lowercase is still valid."""
    assert validate(event(severitynumber=5, severitytext="debug")) == {}
