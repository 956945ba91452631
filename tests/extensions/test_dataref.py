"""The Dataref extension (Claim Check Pattern): dataref."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent, InvalidEventError
from cesdk.extensions import dataref, validate, with_dataref

REF = "https://github.com/cloudevents/spec/pull/123/events/A234-1234-1234.xml"


def event(**ext: object) -> CloudEvent:
    return CloudEvent(
        type="com.github.pull_request.opened",
        source="https://github.com/cloudevents/spec/pull/123",
        id="A234-1234-1234",
        datacontenttype="text/xml",
        data='<much wow="xml"/>',
        extensions=ext,
    )


def test_data_and_dataref_together() -> None:
    """dataref.md "Examples": both data and dataref MAY exist at the same time."""
    ev = with_dataref(event(), REF)
    assert dataref(ev) == REF
    assert ev.data == '<much wow="xml"/>'
    assert validate(ev) == {}


def test_middleware_drops_data() -> None:
    """dataref.md "Examples": a middleware replaced the data with a dataref."""
    ref = "https://tenant123.middleware.com/events/data/A234-1234-1234.xml"
    ev = with_dataref(event(), ref, drop_data=True)
    assert dataref(ev) == ref
    assert not ev.has_data
    assert ev.datacontenttype == "text/xml"


def test_relative_reference() -> None:
    """dataref.md "dataref": Type URI-reference, so a relative reference is fine."""
    assert dataref(with_dataref(event(), "/blobs/42?v=1#part")) == "/blobs/42?v=1#part"


def test_absent() -> None:
    """dataref.md "Attributes": events without the extension have no dataref."""
    assert dataref(event()) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "non-empty"),
        ("https://example.com/a b", "percent-encode"),
        ("a#b#c", "at most one '#'"),
        (7, "URI-reference"),
    ],
)
def test_setter_rejects(value: object, expected: str) -> None:
    """dataref.md "dataref": Type URI-reference (RFC 3986 section 4.1)."""
    with pytest.raises(InvalidEventError) as exc:
        with_dataref(event(), value)  # type: ignore[arg-type]
    assert expected in exc.value.errors["dataref"]


def test_validate_and_getter_reject_bad_reference() -> None:
    """dataref.md "dataref": Type URI-reference."""
    ev = event(dataref="has space")
    assert "dataref" in validate(ev)
    with pytest.raises(InvalidEventError):
        dataref(ev)
