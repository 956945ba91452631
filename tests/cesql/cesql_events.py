"""Events and a runner shared by the CESQL tests."""

from __future__ import annotations

from typing import Any

import cesdk
from cesdk import cesql


def make_event(**overrides: Any) -> cesdk.CloudEvent:
    """Return an event with every core attribute set; keywords override or add attributes.

    A keyword set to ``None`` removes an optional attribute.
    """
    attributes: dict[str, Any] = {
        "specversion": "1.0",
        "id": "myId",
        "source": "http://localhost/source",
        "type": "com.example.someevent",
        "subject": "mySubject",
        "time": "2018-04-26T14:48:09+02:00",
        "datacontenttype": "application/json",
        "dataschema": "http://localhost/schema",
    }
    attributes.update(overrides)
    return cesdk.CloudEvent.from_attributes(attributes)


def run(expression: str, event: Any = None, **overrides: Any) -> tuple[Any, list[str]]:
    """Evaluate and return the value and the spec names of the errors, in order."""
    if event is None:
        event = make_event(**overrides)
    result = cesql.compile(expression).evaluate(event)
    return result.value, [type(error).__name__ for error in result.errors]


def value_of(expression: str, **overrides: Any) -> Any:
    """Evaluate, assert that no error occurred, and return the value."""
    value, errors = run(expression, **overrides)
    assert errors == [], f"{expression!r} gave {errors}"
    return value
