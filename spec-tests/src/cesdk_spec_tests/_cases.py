"""Load conformance cases from the YAML files under ``cases/`` and check their shape.

The file format is described in :mod:`cesdk_spec_tests.runner`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any, Final

import yaml

from cesdk_spec_tests import _reference
from cesdk_spec_tests.implementation import AttributeInput, EventSpec, Message

__all__ = ["DOCUMENTS", "OPERATIONS", "Case", "CaseError", "load_cases"]

#: The specification documents, in report order; each has ``cases/<name>.yaml``.
DOCUMENTS: Final = (
    "core",
    "json-format",
    "avro-format",
    "protobuf-format",
    "http-binding",
    "kafka-binding",
    "nats-binding",
    "amqp-binding",
    "mqtt-binding",
    "websockets-binding",
)

OPERATIONS: Final = frozenset(
    {
        "create",
        "json-decode",
        "json-encode",
        "json-batch-decode",
        "json-batch-encode",
        "avro-decode",
        "avro-encode",
        "protobuf-decode",
        "protobuf-encode",
        "protobuf-batch-decode",
        "protobuf-batch-encode",
        "http-decode",
        "http-batch-decode",
        "http-encode-binary",
        "http-encode-structured",
        "http-encode-batch",
        "kafka-decode",
        "kafka-encode-binary",
        "kafka-encode-structured",
        "nats-decode",
        "nats-encode-binary",
        "nats-encode-structured",
        "amqp-decode",
        "amqp-encode-binary",
        "amqp-encode-structured",
        "mqtt-decode",
        "mqtt-encode-binary",
        "mqtt-encode-structured",
        "mqtt3-decode",
        "mqtt3-encode-structured",
        "websockets-handshake",
        "websockets-decode",
        "websockets-encode",
    }
)

_CASE_KEYS: Final = frozenset({"id", "spec", "quote", "op", "input", "expect", "cesdk_xfail"})
_EXPECT_KEYS: Final = frozenset(
    {
        "outcome",
        "attribute",
        # events
        "attributes",
        "attribute_types",
        "data",
        "data_b64",
        "no_data",
        "count",
        "events",
        # messages and encoded bytes
        "headers",
        "headers_absent",
        "header_types",
        "content_type",
        "body",
        "body_b64",
        "body_json",
        "body_json_absent",
        "body_avro",
        "body_protobuf",
        "body_null",
        "key",
        "key_null",
    }
)


class CaseError(ValueError):
    """A case file that does not follow the documented format."""


@dataclass(frozen=True)
class Case:
    """One conformance case: an operation, its input and the expected outcome.

    Attributes:
        id: ``document/section/slug``, also the pytest id.
        spec: the title of the section the case checks.
        quote: the MUST or MUST NOT sentence, copied from the spec.
        op: the operation, one of :data:`OPERATIONS`.
        input: the operation's input, as written in the file.
        expect: the expected outcome and checks, as written in the file.
        cesdk_xfail: why cesdk is known to get this case wrong, if it does.
    """

    id: str
    spec: str
    quote: str
    op: str
    input: Mapping[str, Any]
    expect: Mapping[str, Any]
    cesdk_xfail: str | None = None

    @property
    def document(self) -> str:
        """The document part of the id, e.g. ``http-binding``."""
        return self.id.split("/", 1)[0]

    @property
    def invalid(self) -> bool:
        """Whether the input must be rejected."""
        return bool(self.expect["outcome"] == "invalid")


def _case_of(raw: object, document: str) -> Case:
    if not isinstance(raw, dict):
        raise CaseError(f"{document}.yaml: every case is a mapping, got {raw!r:.60}")
    case_id = raw.get("id")
    where = f"{document}.yaml, case {case_id!r}"
    unknown = set(raw) - _CASE_KEYS
    if unknown:
        raise CaseError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("id", "spec", "quote", "op"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CaseError(f"{where}: {key!r} must be a non-empty string")
    parts = raw["id"].split("/")
    if len(parts) != 3 or parts[0] != document or not all(parts):
        raise CaseError(f"{where}: the id must read '{document}/<section>/<slug>'")
    if raw["op"] not in OPERATIONS:
        raise CaseError(f"{where}: unknown op {raw['op']!r}")
    expect = raw.get("expect")
    if not isinstance(expect, dict) or expect.get("outcome") not in ("valid", "invalid"):
        raise CaseError(f"{where}: 'expect' needs 'outcome: valid' or 'outcome: invalid'")
    unknown = set(expect) - _EXPECT_KEYS
    if unknown:
        raise CaseError(f"{where}: unknown expectation keys {sorted(unknown)}")
    if expect["outcome"] == "invalid" and set(expect) - {"outcome", "attribute"}:
        raise CaseError(f"{where}: an invalid case may only name the 'attribute'")
    if not isinstance(raw.get("input", {}), dict):
        raise CaseError(f"{where}: 'input' must be a mapping")
    if not isinstance(raw.get("cesdk_xfail", ""), str):
        raise CaseError(f"{where}: 'cesdk_xfail' must be the reason, as a string")
    return Case(
        id=raw["id"],
        spec=raw["spec"],
        quote=" ".join(raw["quote"].split()),
        op=raw["op"],
        input=raw.get("input") or {},
        expect=expect,
        cesdk_xfail=raw.get("cesdk_xfail"),
    )


def load_cases(documents: Iterable[str] = DOCUMENTS) -> list[Case]:
    """Load and check the cases of the given documents, in file order.

    Raises:
        CaseError: a case file breaks the format, or two cases share an id.
    """
    cases: list[Case] = []
    seen: set[str] = set()
    folder = resources.files("cesdk_spec_tests") / "cases"
    for document in documents:
        text = (folder / f"{document}.yaml").read_text(encoding="utf-8")
        loaded = yaml.safe_load(text)
        if not isinstance(loaded, dict) or not isinstance(loaded.get("cases"), list):
            raise CaseError(f"{document}.yaml: expected a mapping with a 'cases' list")
        for raw in loaded["cases"]:
            case = _case_of(raw, document)
            if case.id in seen:
                raise CaseError(f"{document}.yaml: duplicate case id {case.id!r}")
            seen.add(case.id)
            cases.append(case)
    return cases


# -- input conventions (see the runner's module docstring) ----------------------------


def binary_of(value: object) -> bytes | None:
    """Return the bytes of a ``{b64: ...}`` mapping, or ``None`` for anything else."""
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"], validate=True)
    return None


def _attribute(value: object) -> AttributeInput:
    raw = binary_of(value)
    if raw is not None:
        return raw
    if isinstance(value, bool | int | str):
        return value
    raise CaseError(f"attribute values are str, int, bool or {{b64: ...}}, got {value!r:.60}")


def event_spec_of(raw: Mapping[str, Any]) -> EventSpec:
    """Build an :class:`EventSpec` from ``attributes`` and ``data`` / ``data_b64``."""
    attributes = {name: _attribute(v) for name, v in (raw.get("attributes") or {}).items()}
    if "data_b64" in raw:
        return EventSpec(attributes, base64.b64decode(raw["data_b64"], validate=True), True)
    if "data" in raw:
        return EventSpec(attributes, raw["data"], True)
    return EventSpec(attributes)


def body_of(raw: Mapping[str, Any]) -> bytes | None:
    """Return the body given as ``body`` (text or null), ``body_b64``, ``body_json``,
    ``body_avro`` (an Avro record) or ``body_protobuf`` (a message in the JSON mapping;
    one with ``events`` is a ``CloudEventBatch``)."""
    if "body_avro" in raw:
        return _reference.avro_write(raw["body_avro"])
    if "body_protobuf" in raw:
        message = raw["body_protobuf"]
        return _reference.protobuf_write(message, batch="events" in message)
    if "body_b64" in raw:
        return base64.b64decode(raw["body_b64"], validate=True)
    if "body_json" in raw:
        return json.dumps(raw["body_json"], ensure_ascii=False).encode("utf-8")
    body = raw.get("body", "")
    if body is None:
        return None
    if not isinstance(body, str):
        raise CaseError(f"'body' is text or null, got {body!r:.60}")
    return body.encode("utf-8")


def _typed(value: object) -> object:
    """An AMQP-typed value: bool, int, str, ``{b64: ...}`` bytes or ``{timestamp: ...}``."""
    raw = binary_of(value)
    if raw is not None:
        return raw
    if isinstance(value, dict) and set(value) == {"timestamp"}:
        return datetime.fromisoformat(str(value["timestamp"]))
    if isinstance(value, bool | int | str):
        return value
    raise CaseError(f"typed header values are bool, int, str, b64 or timestamp: {value!r:.60}")


def message_of(raw: Mapping[str, Any], *, typed: bool = False) -> Message:
    """Build a :class:`Message` from ``headers``, the body keys and ``key`` / ``key_b64``.

    With ``typed`` (AMQP application properties) header values keep their type.
    """
    headers = raw.get("headers") or {}
    pairs = headers.items() if isinstance(headers, dict) else headers
    out: list[tuple[str, Any]] = []
    for name, value in pairs:
        raw_value = binary_of(value)
        if typed and str(name) != "content-type":
            out.append((str(name), _typed(value)))
        else:
            out.append((str(name), raw_value if raw_value is not None else str(value)))
    key: bytes | None = None
    if "key_b64" in raw:
        key = base64.b64decode(raw["key_b64"], validate=True)
    elif raw.get("key") is not None:
        key = str(raw["key"]).encode("utf-8")
    return Message(tuple(out), body_of(raw), key, typed=typed)
