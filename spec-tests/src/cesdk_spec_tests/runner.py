"""Run conformance cases against an :class:`~cesdk_spec_tests.Implementation`.

Case files
==========

``cases/<document>.yaml`` holds ``cases:``, a list of mappings::

    - id: http-binding/3.1.3.2/reject-invalid-utf8     # document/section/slug
      spec: 3.1.3.2. HTTP Header Values                 # the section title
      quote: encoded byte sequences which are invalid in UTF-8 MUST be rejected.
      op: http-decode                                   # see OPERATIONS
      input: {headers: {...}, body: ...}
      expect: {outcome: invalid, attribute: subject}
      cesdk_xfail: "why cesdk gets it wrong"            # optional; a bug to fix

``quote`` is copied from the spec (whitespace and Markdown links may differ). Other
top-level keys of a file, such as ``anchors:``, only hold YAML anchors for reuse.
Double-quoted YAML strings carry any character as an escape (``"\\u00e9"``, or
``"\\udead"`` for a lone surrogate).

Inputs
------
- ``create``, ``*-encode*``: ``attributes`` (every attribute by name, core and
  extension; ``time`` as RFC 3339 text) and ``data`` (str or any JSON value; ``null``
  is JSON null) or ``data_b64`` (Binary data). Neither key means "no data". Batch
  encoders take ``events``, a list of such mappings. Kafka encoders also take ``key``
  (the user's record key) and ``key_mapper: partitionkey`` (opt in to that mapper).
- ``*-decode``: ``body`` (UTF-8 text; ``null`` is a Kafka null value), ``body_b64``
  (raw bytes) or ``body_json`` (any YAML value, written as JSON); bindings also take
  ``headers`` (a mapping, or a list of ``[name, value]`` pairs to repeat a name) and
  Kafka ``key``.
- Avro and Protobuf: ``body_avro`` is a record of the spec's Avro schema and
  ``body_protobuf`` a ``CloudEvent`` (or, for ``protobuf-batch-decode``, a
  ``CloudEventBatch``) in protobuf's JSON mapping; reference libraries write them
  (``_reference.py``). Any decode operation takes them, HTTP's included.
- AMQP and MQTT: the ``content-type`` header is the message's content-type property;
  the other headers are the AMQP application properties or MQTT User Properties.
  AMQP values are typed: bool, int, str, ``{b64: ...}`` (binary) or
  ``{timestamp: "RFC 3339"}`` (an AMQP timestamp). ``mqtt3-*`` operations are MQTT
  3.1.1: a payload and nothing else.
- WebSockets: ``websockets-handshake`` takes the client's request ``headers``
  (``Sec-WebSocket-Protocol``) and yields the server's response headers;
  ``websockets-encode`` takes an event and ``subprotocol``; ``websockets-decode``
  takes ``headers`` ``Sec-WebSocket-Protocol`` (the agreed subprotocol) and
  ``websocket-frame`` (``text`` or ``binary``) and the body. Encoded WebSocket
  messages carry their frame type in the ``websocket-frame`` header.

Binary values
-------------
Keys ending in ``_b64`` hold base64 text. Where a value may be of several types (an
attribute, a Kafka header value), ``{b64: "AP8="}`` stands for those raw bytes.

Expectations
------------
``outcome: invalid`` passes when the implementation raises a rejection (for cesdk a
``cesdk.CESDKError``; a ``KeyError`` or ``TypeError`` is a failure); ``attribute``
names the attribute the error must blame, where the implementation can say.
``outcome: valid`` passes when every given check holds:

- events: ``attributes`` (the exact set; values compared by canonical string, ``time``
  by instant at full precision), ``attribute_types`` (name: boolean, integer, string
  or binary), ``data`` (strict JSON comparison; a str stays a str), ``data_b64``
  (Binary), ``no_data: true``; batches: ``count`` and ``events`` (one check mapping
  per event).
- messages and encoded bytes: ``headers`` (exact values, names case-insensitive;
  for AMQP and MQTT names compare exactly and typed values by canonical string,
  timestamps by instant), ``headers_absent``, ``header_types`` (name: boolean,
  integer, string, binary or timestamp), ``content_type`` (media type without
  parameters, any case),
  ``body``, ``body_b64``, ``body_json`` (objects must hold these members; arrays
  match item by item), ``body_json_absent`` (member names), ``body_null``, ``key``,
  ``key_null``, ``body_avro`` (the body read as the spec's Avro record must hold these
  members) and ``body_protobuf`` (the body read as a ``CloudEvent``, or
  ``CloudEventBatch`` after ``protobuf-batch-encode``, in protobuf's JSON mapping with
  the .proto's field names, must hold these members).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cesdk_spec_tests._cases import Case, body_of, event_spec_of, message_of
from cesdk_spec_tests._checks import check_event, check_events, check_message, describe
from cesdk_spec_tests.implementation import (
    EventSpec,
    Implementation,
    IncomparableResultError,
    Message,
    UnsupportedOperationError,
)

__all__ = ["Result", "prepare", "run_case"]

Status = Literal["pass", "fail", "unsupported"]


@dataclass(frozen=True)
class Result:
    """How an implementation did on one case.

    Attributes:
        status: ``pass``, ``fail`` or ``unsupported`` (the operation is not offered).
        note: what happened, in a sentence; empty on a plain pass.
    """

    status: Status
    note: str = ""


_Call = Callable[[Implementation], object]


def _kafka_args(raw: Mapping[str, Any]) -> tuple[EventSpec, bytes | None, str | None]:
    key = raw.get("key")
    key_bytes = None if key is None else str(key).encode("utf-8")
    return event_spec_of(raw), key_bytes, raw.get("key_mapper")


def prepare(case: Case) -> _Call:
    """Turn a case's input into a call on an implementation.

    The input is decoded here, before any implementation runs, so that a mistake in
    a case file raises instead of passing for a rejection.

    Raises:
        CaseError: the input does not follow the documented conventions.
        ValueError: a ``_b64`` value is not base64.
    """
    raw, op = case.input, case.op
    if op in ("create", "json-encode") or op.startswith(("http-encode-", "nats-encode-")):
        if op.endswith("-batch"):
            events = [event_spec_of(item) for item in raw.get("events", ())]
            return lambda impl: impl.http_encode_batch(events)
        event = event_spec_of(raw)
        calls: dict[str, _Call] = {
            "create": lambda impl: impl.create(event),
            "json-encode": lambda impl: Message(body=impl.json_encode(event)),
            "http-encode-binary": lambda impl: impl.http_encode_binary(event),
            "http-encode-structured": lambda impl: impl.http_encode_structured(event),
            "nats-encode-binary": lambda impl: impl.nats_encode_binary(event),
            "nats-encode-structured": lambda impl: impl.nats_encode_structured(event),
        }
        return calls[op]
    if op == "json-batch-encode":
        events = [event_spec_of(item) for item in raw.get("events", ())]
        return lambda impl: Message(body=impl.json_batch_encode(events))
    if op.startswith(("amqp-encode-", "mqtt-encode-", "mqtt3-encode-")):
        event = event_spec_of(raw)
        encoders: dict[str, _Call] = {
            "amqp-encode-binary": lambda impl: impl.amqp_encode_binary(event),
            "amqp-encode-structured": lambda impl: impl.amqp_encode_structured(event),
            "mqtt-encode-binary": lambda impl: impl.mqtt_encode_binary(event),
            "mqtt-encode-structured": lambda impl: impl.mqtt_encode_structured(event),
            "mqtt3-encode-structured": lambda impl: impl.mqtt3_encode_structured(event),
        }
        return encoders[op]
    if op == "websockets-encode":
        event, subprotocol = event_spec_of(raw), str(raw.get("subprotocol", ""))
        return lambda impl: impl.websockets_encode(event, subprotocol)
    if op.startswith(("avro-", "protobuf-")):
        return _prepare_binary_format(op, raw)
    if op.startswith("kafka-encode-"):
        args = _kafka_args(raw)
        if op == "kafka-encode-binary":
            return lambda impl: impl.kafka_encode_binary(*args)
        return lambda impl: impl.kafka_encode_structured(*args)
    if op.startswith("json-"):
        body = body_of(raw) or b""
        if op == "json-decode":
            return lambda impl: impl.json_decode(body)
        return lambda impl: impl.json_batch_decode(body)
    message = message_of(raw, typed=op == "amqp-decode")
    decoders: dict[str, _Call] = {
        "http-decode": lambda impl: impl.http_decode(message),
        "http-batch-decode": lambda impl: impl.http_batch_decode(message),
        "kafka-decode": lambda impl: impl.kafka_decode(message),
        "nats-decode": lambda impl: impl.nats_decode(message),
        "amqp-decode": lambda impl: impl.amqp_decode(message),
        "mqtt-decode": lambda impl: impl.mqtt_decode(message),
        "mqtt3-decode": lambda impl: impl.mqtt3_decode(message),
        "websockets-handshake": lambda impl: impl.websockets_handshake(message),
        "websockets-decode": lambda impl: impl.websockets_decode(message),
    }
    return decoders[op]


def _prepare_binary_format(op: str, raw: Mapping[str, Any]) -> _Call:
    """The Avro and Protobuf format operations: bytes in, events out, and back."""
    if op.endswith("-decode"):
        body = body_of(raw) or b""
        decoders: dict[str, _Call] = {
            "avro-decode": lambda impl: impl.avro_decode(body),
            "protobuf-decode": lambda impl: impl.protobuf_decode(body),
            "protobuf-batch-decode": lambda impl: impl.protobuf_batch_decode(body),
        }
        return decoders[op]
    if op == "protobuf-batch-encode":
        events = [event_spec_of(item) for item in raw.get("events", ())]
        return lambda impl: Message(body=impl.protobuf_batch_encode(events))
    event = event_spec_of(raw)
    if op == "avro-encode":
        return lambda impl: Message(body=impl.avro_encode(event))
    return lambda impl: Message(body=impl.protobuf_encode(event))


# Libraries that invent an id use UUID4s; masking them keeps notes (and reports) stable.
_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _stable(note: str) -> str:
    return _UUID4.sub("<new UUID4>", note)


def _error_text(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if len(text) > 100:
        text = text[:97] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _rejected(impl: Implementation, case: Case, error: Exception) -> Result:
    if not case.invalid:
        return Result("fail", f"rejected a valid input: {_error_text(error)}")
    if not impl.is_rejection(error):
        return Result("fail", f"crashed instead of rejecting: {_error_text(error)}")
    blamed = case.expect.get("attribute")
    reported = impl.reported_attributes(error) if blamed else None
    if reported is not None and blamed not in reported:
        named = ", ".join(sorted(reported)) or "nothing"
        return Result("fail", f"rejected, but blamed {named} instead of {blamed}")
    return Result("pass", f"rejected: {_error_text(error)}")


def _check(case: Case, produced: object) -> list[str]:
    if isinstance(produced, Message):
        return check_message(produced, case.expect)
    if case.op.endswith("batch-decode"):
        return check_events(produced, case.expect)
    return check_event(produced, case.expect)


def run_case(impl: Implementation, case: Case) -> Result:
    """Run one case and judge the outcome.

    Raises:
        CaseError: the case's input is malformed; whatever the implementation raises
            is judged, never propagated.
    """
    result = _run(impl, case)
    return Result(result.status, _stable(result.note))


def _run(impl: Implementation, case: Case) -> Result:
    call = prepare(case)
    try:
        produced = call(impl)
    except UnsupportedOperationError as exc:
        return Result("unsupported", str(exc))
    except IncomparableResultError as exc:
        verdict = "accepted an invalid input" if case.invalid else "gave an unusable result"
        return Result("fail", f"{verdict}: {exc}")
    except Exception as exc:  # every exception is data here: a rejection or a crash
        return _rejected(impl, case, exc)
    if case.invalid:
        shown = describe(produced, case.expect.get("attribute"))
        return Result("fail", f"accepted an invalid input ({shown})")
    problems = _check(case, produced)
    if problems:
        return Result("fail", "; ".join(problems))
    return Result("pass")
