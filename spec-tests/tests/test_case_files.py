"""The case files themselves: well-formed, and true to the spec text they cite."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pytest

from cesdk_spec_tests import DOCUMENTS, Case, CaseError, load_cases
from cesdk_spec_tests._cases import _case_of
from cesdk_spec_tests.runner import prepare

SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec" / "cloudevents"
SPEC_FILES = {
    "core": "spec.md",
    "json-format": "formats/json-format.md",
    "avro-format": "formats/avro-format.md",
    "protobuf-format": "formats/protobuf-format.md",
    "http-binding": "bindings/http-protocol-binding.md",
    "kafka-binding": "bindings/kafka-protocol-binding.md",
    "nats-binding": "bindings/nats-protocol-binding.md",
    "amqp-binding": "bindings/amqp-protocol-binding.md",
    "mqtt-binding": "bindings/mqtt-protocol-binding.md",
    "websockets-binding": "bindings/websockets-protocol-binding.md",
}
CASES = load_cases()


def _spec_text(document: str) -> str:
    path = SPEC_DIR / SPEC_FILES[document]
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the spec text is missing: {path}")
        pytest.skip(f"the spec text is not checked out at {path}")
    return path.read_text(encoding="utf-8")


def _plain(markdown: str) -> str:
    """Drop Markdown links (keeping their text) and collapse whitespace."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)
    return " ".join(text.split())


def test_at_least_150_cases_cover_every_document() -> None:
    per_document = Counter(case.document for case in CASES)
    assert len(CASES) >= 150
    assert set(per_document) == set(DOCUMENTS)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_quotes_are_copied_from_the_spec(document: str) -> None:
    text = _plain(_spec_text(document))
    wrong = [c.id for c in CASES if c.document == document and _plain(c.quote) not in text]
    assert wrong == []


@pytest.mark.parametrize("document", DOCUMENTS)
def test_spec_names_a_section_heading(document: str) -> None:
    headings = {
        _plain(line.lstrip("#")) for line in _spec_text(document).splitlines() if line[:1] == "#"
    }
    wrong = [c.id for c in CASES if c.document == document and c.spec not in headings]
    assert wrong == []


def test_numbered_sections_match_the_case_id() -> None:
    wrong = [
        case.id
        for case in CASES
        if case.document != "core" and case.spec.split()[0].rstrip(".") != case.id.split("/")[1]
    ]
    assert wrong == []


# Sections that state a rule as plain fact rather than with MUST: how a receiver tells
# the content modes apart, what a batch is, which Kafka record means "no data", the
# data/data_base64 exclusivity that follows from 3.1.1's MUSTs, and the AMQP and MQTT
# mappings of content-type, data and the batch mode, which those bindings state plainly.
PLAIN_RULES = {
    "http-binding/3",
    "kafka-binding/3",
    "nats-binding/3",
    "json-format/3.1.1",
    "json-format/4.1",
    "protobuf-format/2.3",  # the mapping and the batch envelope are stated as fact
    "protobuf-format/2.4",
    "protobuf-format/5.1",
    "protobuf-format/5.2",
    "kafka-binding/3.2.2",
    "amqp-binding/1.3",
    "amqp-binding/3",
    "amqp-binding/3.1.1",
    "amqp-binding/3.1.2",
    "amqp-binding/3.2.1",
    "amqp-binding/3.2.2",
    "mqtt-binding/1.3",
    "mqtt-binding/3",
    "mqtt-binding/3.1.4",
}


def test_every_quote_says_must_unless_its_section_states_plain_rules() -> None:
    wrong = [
        case.id
        for case in CASES
        if "MUST" not in case.quote and case.id.rsplit("/", 1)[0] not in PLAIN_RULES
    ]
    assert wrong == []


def _raw(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "id": "core/naming/example",
        "spec": "Naming Conventions",
        "quote": "MUST",
        "op": "create",
        "expect": {"outcome": "valid"},
    }
    raw.update(changes)
    return raw


def test_a_well_formed_case_loads() -> None:
    case = _case_of(_raw(cesdk_xfail="a bug"), "core")
    assert case == Case(
        "core/naming/example",
        "Naming Conventions",
        "MUST",
        "create",
        {},
        {"outcome": "valid"},
        "a bug",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "json-format/2/wrong-document"},
        {"id": "core/no-slug"},
        {"op": "http-teleport"},
        {"expect": {"outcome": "maybe"}},
        {"expect": {"outcome": "valid", "atributes": {}}},
        {"expect": {"outcome": "invalid", "data": 1}},
        {"quote": ""},
        {"extra": 1},
        {"input": ["not", "a", "mapping"]},
        {"cesdk_xfail": True},
    ],
)
def test_a_malformed_case_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(CaseError):
        _case_of(_raw(**changes), "core")


def test_every_case_input_follows_the_conventions() -> None:
    for case in CASES:
        prepare(case)
