"""The ``Implementation`` contract: one method per conformance-suite operation.

An implementation wraps some CloudEvents library so that the suite can drive it. Inputs
are neutral values (:class:`EventSpec`, :class:`Message`); decoded events come back as
``cesdk.CloudEvent`` values, the common currency the runner compares. Every method
raises :class:`UnsupportedOperationError` unless overridden, so an implementation
only writes what its library can do.

To reject an input, a method raises; :meth:`Implementation.is_rejection` tells a
deliberate rejection from a crash. When a library accepts an input but its result
cannot be expressed as a ``cesdk.CloudEvent``, the method raises
:class:`IncomparableResultError`, so that the runner does not mistake the conversion
failure for a rejection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import cesdk

__all__ = [
    "AttributeInput",
    "EventSpec",
    "Implementation",
    "IncomparableResultError",
    "Message",
    "UnsupportedOperationError",
]

#: The Python types a case uses for attribute values: Boolean, Integer, String, Binary.
AttributeInput = bool | int | str | bytes


class UnsupportedOperationError(Exception):
    """The implementation does not offer this operation (reported, never a failure)."""


class IncomparableResultError(Exception):
    """The implementation accepted the input, but its result is not a valid cesdk event."""


@dataclass(frozen=True)
class EventSpec:
    """An event to build: every attribute by name, and the data.

    Attributes:
        attributes: core and extension attributes alike; ``time`` is RFC 3339 text.
        data: bytes, str or a JSON value; meaningless when ``has_data`` is false.
        has_data: whether the event carries data at all (``None`` is JSON null).
    """

    attributes: Mapping[str, AttributeInput] = field(default_factory=dict)
    data: Any = None
    has_data: bool = False


@dataclass(frozen=True)
class Message:
    """A protocol message, or the bytes of an event format.

    Attributes:
        headers: ``(name, value)`` pairs in order; values are str (HTTP, NATS, MQTT User
            Properties, WebSocket pseudo-headers) or bytes (Kafka). Names keep the case
            they were given in. For AMQP and MQTT, ``content-type`` is the message's
            content-type property and the other pairs are its application properties
            (typed: bool, int, str, bytes for Binary, datetime for timestamp) or User
            Properties.
        body: the body, Kafka value, NATS or MQTT payload, AMQP application data or
            WebSocket message; ``None`` is a Kafka null value.
        key: the Kafka record key.
        typed: header values are protocol-typed and names are case-sensitive (AMQP
            application properties, MQTT User Properties): bytes mean Binary, and the
            checks compare names exactly.
    """

    headers: tuple[tuple[str, Any], ...] = ()
    body: bytes | None = b""
    key: bytes | None = None
    typed: bool = False


class Implementation:
    """A CloudEvents library as the conformance suite drives it.

    Subclass it, override the operations your library supports, and run the suite
    with ``pytest --cesdk-spec-impl yourmodule:YourImplementation``.
    """

    #: A short name for reports.
    name: ClassVar[str] = "implementation"

    def is_rejection(self, error: Exception) -> bool:
        """Tell whether an exception is a deliberate rejection of invalid input."""
        return True

    def reported_attributes(self, error: Exception) -> set[str] | None:
        """Return the attributes an error blames, or ``None`` when the library cannot say."""
        return None

    def create(self, event: EventSpec) -> cesdk.CloudEvent:
        """Build an event through the library's constructor."""
        raise UnsupportedOperationError("create is not supported")

    def json_decode(self, body: bytes) -> cesdk.CloudEvent:
        """Decode one event in the JSON format."""
        raise UnsupportedOperationError("json-decode is not supported")

    def json_encode(self, event: EventSpec) -> bytes:
        """Encode one event in the JSON format."""
        raise UnsupportedOperationError("json-encode is not supported")

    def json_batch_decode(self, body: bytes) -> list[cesdk.CloudEvent]:
        """Decode a JSON batch."""
        raise UnsupportedOperationError("json-batch-decode is not supported")

    def json_batch_encode(self, events: Sequence[EventSpec]) -> bytes:
        """Encode events as a JSON batch."""
        raise UnsupportedOperationError("json-batch-encode is not supported")

    def http_decode(self, message: Message) -> cesdk.CloudEvent:
        """Decode one event from an HTTP message, choosing the mode by Content-Type."""
        raise UnsupportedOperationError("http-decode is not supported")

    def http_batch_decode(self, message: Message) -> list[cesdk.CloudEvent]:
        """Decode a batched-mode HTTP message."""
        raise UnsupportedOperationError("http-batch-decode is not supported")

    def http_encode_binary(self, event: EventSpec) -> Message:
        """Encode an event as a binary-mode HTTP message."""
        raise UnsupportedOperationError("http-encode-binary is not supported")

    def http_encode_structured(self, event: EventSpec) -> Message:
        """Encode an event as a structured-mode HTTP message (JSON format)."""
        raise UnsupportedOperationError("http-encode-structured is not supported")

    def http_encode_batch(self, events: Sequence[EventSpec]) -> Message:
        """Encode events as a batched-mode HTTP message (JSON batch format)."""
        raise UnsupportedOperationError("http-encode-batch is not supported")

    def kafka_decode(self, message: Message) -> cesdk.CloudEvent:
        """Decode one event from a Kafka record."""
        raise UnsupportedOperationError("kafka-decode is not supported")

    def kafka_encode_binary(
        self, event: EventSpec, key: bytes | None, key_mapper: str | None
    ) -> Message:
        """Encode an event as a binary-mode Kafka record.

        Args:
            event: the event.
            key: the record key the user provides, if any.
            key_mapper: ``"partitionkey"`` to opt in to the Partitioning key mapper.
        """
        raise UnsupportedOperationError("kafka-encode-binary is not supported")

    def kafka_encode_structured(
        self, event: EventSpec, key: bytes | None, key_mapper: str | None
    ) -> Message:
        """Encode an event as a structured-mode Kafka record (JSON format)."""
        raise UnsupportedOperationError("kafka-encode-structured is not supported")

    def nats_decode(self, message: Message) -> cesdk.CloudEvent:
        """Decode one event from a NATS message."""
        raise UnsupportedOperationError("nats-decode is not supported")

    def nats_encode_binary(self, event: EventSpec) -> Message:
        """Encode an event as a binary-mode NATS message."""
        raise UnsupportedOperationError("nats-encode-binary is not supported")

    def nats_encode_structured(self, event: EventSpec) -> Message:
        """Encode an event as a structured-mode NATS message (JSON format)."""
        raise UnsupportedOperationError("nats-encode-structured is not supported")

    def avro_decode(self, body: bytes) -> cesdk.CloudEvent:
        """Decode one event in the Avro format."""
        raise UnsupportedOperationError("avro-decode is not supported")

    def avro_encode(self, event: EventSpec) -> bytes:
        """Encode one event in the Avro format."""
        raise UnsupportedOperationError("avro-encode is not supported")

    def protobuf_decode(self, body: bytes) -> cesdk.CloudEvent:
        """Decode one event in the Protobuf format."""
        raise UnsupportedOperationError("protobuf-decode is not supported")

    def protobuf_encode(self, event: EventSpec) -> bytes:
        """Encode one event in the Protobuf format."""
        raise UnsupportedOperationError("protobuf-encode is not supported")

    def protobuf_batch_decode(self, body: bytes) -> list[cesdk.CloudEvent]:
        """Decode a Protobuf batch (``CloudEventBatch``)."""
        raise UnsupportedOperationError("protobuf-batch-decode is not supported")

    def protobuf_batch_encode(self, events: Sequence[EventSpec]) -> bytes:
        """Encode events as a Protobuf batch (``CloudEventBatch``)."""
        raise UnsupportedOperationError("protobuf-batch-encode is not supported")

    def amqp_decode(self, message: Message) -> cesdk.CloudEvent:
        """Decode one event from an AMQP message (``content-type`` + application properties)."""
        raise UnsupportedOperationError("amqp-decode is not supported")

    def amqp_encode_binary(self, event: EventSpec) -> Message:
        """Encode an event as a binary-mode AMQP message (typed application properties)."""
        raise UnsupportedOperationError("amqp-encode-binary is not supported")

    def amqp_encode_structured(self, event: EventSpec) -> Message:
        """Encode an event as a structured-mode AMQP message (JSON format)."""
        raise UnsupportedOperationError("amqp-encode-structured is not supported")

    def mqtt_decode(self, message: Message) -> cesdk.CloudEvent:
        """Decode one event from an MQTT 5.0 PUBLISH (``content-type`` + User Properties)."""
        raise UnsupportedOperationError("mqtt-decode is not supported")

    def mqtt_encode_binary(self, event: EventSpec) -> Message:
        """Encode an event as a binary-mode MQTT 5.0 PUBLISH."""
        raise UnsupportedOperationError("mqtt-encode-binary is not supported")

    def mqtt_encode_structured(self, event: EventSpec) -> Message:
        """Encode an event as a structured-mode MQTT 5.0 PUBLISH (JSON format)."""
        raise UnsupportedOperationError("mqtt-encode-structured is not supported")

    def mqtt3_decode(self, message: Message) -> cesdk.CloudEvent:
        """Decode one event from an MQTT 3.1.1 PUBLISH (a payload, no properties)."""
        raise UnsupportedOperationError("mqtt3-decode is not supported")

    def mqtt3_encode_structured(self, event: EventSpec) -> Message:
        """Encode an event as an MQTT 3.1.1 PUBLISH (structured, JSON format)."""
        raise UnsupportedOperationError("mqtt3-encode-structured is not supported")

    def websockets_handshake(self, message: Message) -> Message:
        """Answer a client's opening handshake: its headers in, the server's headers out.

        The request holds ``Sec-WebSocket-Protocol``; the response holds the chosen
        subprotocol under the same name, or no such header.
        """
        raise UnsupportedOperationError("websockets-handshake is not supported")

    def websockets_decode(self, message: Message) -> cesdk.CloudEvent:
        """Decode one WebSocket message.

        ``Sec-WebSocket-Protocol`` names the agreed subprotocol and ``websocket-frame``
        the frame type (``text`` or ``binary``); the body is the payload.
        """
        raise UnsupportedOperationError("websockets-decode is not supported")

    def websockets_encode(self, event: EventSpec, subprotocol: str) -> Message:
        """Encode an event as one WebSocket message: ``websocket-frame`` and the payload."""
        raise UnsupportedOperationError("websockets-encode is not supported")
