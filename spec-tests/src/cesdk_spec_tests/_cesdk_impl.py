"""The conformance suite's view of cesdk, through its public API only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import cesdk
from cesdk.bindings import amqp, http, kafka, mqtt, nats, websockets
from cesdk.formats import avro, protobuf
from cesdk.formats import json as json_format
from cesdk_spec_tests.implementation import EventSpec, Implementation, Message

__all__ = ["CesdkImplementation"]

_CORE = ("specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject")


def _event(spec: EventSpec) -> cesdk.CloudEvent:
    """Build through the constructor, the API users call; ``None`` means "not given"."""
    attrs = dict(spec.attributes)
    kwargs: dict[str, Any] = {name: attrs.pop(name) for name in _CORE if name in attrs}
    # type and source are required keywords; None makes the constructor report them.
    kwargs.setdefault("type", None)
    kwargs.setdefault("source", None)
    # The constructor stamps "now" unless told otherwise; a case states every attribute.
    kwargs["time"] = attrs.pop("time", None)
    data = spec.data if spec.has_data else cesdk.NO_DATA
    return cesdk.CloudEvent(**kwargs, extensions=attrs, data=data)


def _str_headers(message: Message) -> list[tuple[str, str]]:
    return [
        (name, value.decode("utf-8") if isinstance(value, bytes) else value)
        for name, value in message.headers
    ]


def _http(message: http.HttpMessage) -> Message:
    return Message(tuple(message.headers.items()), message.body)


def _nats(message: nats.NatsMessage) -> Message:
    return Message(tuple(message.headers.items()), message.data)


def _kafka(message: kafka.KafkaMessage) -> Message:
    return Message(tuple(message.headers), message.value, message.key)


def _content_type_and_rest(message: Message) -> tuple[str | None, list[tuple[str, Any]]]:
    """Split the ``content-type`` pseudo-header from AMQP or MQTT properties."""
    content_type = None
    rest = []
    for name, value in message.headers:
        if name == "content-type":
            content_type = value.decode("utf-8") if isinstance(value, bytes) else str(value)
        else:
            rest.append((name, value))
    return content_type, rest


def _amqp(message: amqp.AmqpMessage) -> Message:
    content_type = message.properties.get("content_type")
    headers = [] if content_type is None else [("content-type", content_type)]
    return Message((*headers, *message.application_properties.items()), message.body, typed=True)


def _mqtt(message: mqtt.MqttMessage) -> Message:
    headers = [] if message.content_type is None else [("content-type", message.content_type)]
    return Message((*headers, *message.user_properties), message.payload, typed=True)


def _header(message: Message, name: str) -> str:
    for key, value in message.headers:
        if key.lower() == name.lower():
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return ""


def _key_mapper(name: str | None) -> kafka.KeyMapper | None:
    return kafka.partitionkey_mapper if name == "partitionkey" else None


class CesdkImplementation(Implementation):
    """cesdk itself: every operation; only ``cesdk.CESDKError`` counts as a rejection."""

    name: ClassVar[str] = "cesdk"

    def is_rejection(self, error: Exception) -> bool:
        """cesdk promises that every deliberate error is a ``CESDKError``."""
        return isinstance(error, cesdk.CESDKError)

    def reported_attributes(self, error: Exception) -> set[str] | None:
        """Read ``.errors`` and a header name in ``.position`` (``ce-subject``, or
        ``cloudEvents_subject`` for AMQP)."""
        names: set[str] = set()
        if isinstance(error, cesdk.InvalidEventError):
            names.update(error.errors)
        if isinstance(error, cesdk.DecodeError) and isinstance(error.position, str):
            position = error.position.lower()
            for prefix in ("ce-", "ce_", "cloudevents_", "cloudevents:"):
                if position.startswith(prefix):
                    position = position[len(prefix) :]
                    break
            names.add(position)
        return names

    def create(self, event: EventSpec) -> cesdk.CloudEvent:
        return _event(event)

    def json_decode(self, body: bytes) -> cesdk.CloudEvent:
        return json_format.decode(body)

    def json_encode(self, event: EventSpec) -> bytes:
        return json_format.encode(_event(event))

    def json_batch_decode(self, body: bytes) -> list[cesdk.CloudEvent]:
        return json_format.decode_batch(body)

    def json_batch_encode(self, events: Sequence[EventSpec]) -> bytes:
        return json_format.encode_batch([_event(e) for e in events])

    def avro_decode(self, body: bytes) -> cesdk.CloudEvent:
        return avro.decode(body)

    def avro_encode(self, event: EventSpec) -> bytes:
        return avro.encode(_event(event))

    def protobuf_decode(self, body: bytes) -> cesdk.CloudEvent:
        return protobuf.decode(body)

    def protobuf_encode(self, event: EventSpec) -> bytes:
        return protobuf.encode(_event(event))

    def protobuf_batch_decode(self, body: bytes) -> list[cesdk.CloudEvent]:
        return protobuf.decode_batch(body)

    def protobuf_batch_encode(self, events: Sequence[EventSpec]) -> bytes:
        return protobuf.encode_batch([_event(e) for e in events])

    def http_decode(self, message: Message) -> cesdk.CloudEvent:
        return http.from_http(_str_headers(message), message.body or b"")

    def http_batch_decode(self, message: Message) -> list[cesdk.CloudEvent]:
        return http.from_http_batch(_str_headers(message), message.body or b"")

    def http_encode_binary(self, event: EventSpec) -> Message:
        return _http(http.to_binary(_event(event)))

    def http_encode_structured(self, event: EventSpec) -> Message:
        return _http(http.to_structured(_event(event)))

    def http_encode_batch(self, events: Sequence[EventSpec]) -> Message:
        return _http(http.to_batch([_event(e) for e in events]))

    def kafka_decode(self, message: Message) -> cesdk.CloudEvent:
        headers = [
            (name, value if isinstance(value, bytes) else value.encode("utf-8"))
            for name, value in message.headers
        ]
        return kafka.from_kafka(kafka.KafkaMessage(message.key, message.body, headers))

    def kafka_encode_binary(
        self, event: EventSpec, key: bytes | None, key_mapper: str | None
    ) -> Message:
        return _kafka(kafka.to_binary(_event(event), key=key, key_mapper=_key_mapper(key_mapper)))

    def kafka_encode_structured(
        self, event: EventSpec, key: bytes | None, key_mapper: str | None
    ) -> Message:
        msg = kafka.to_structured(_event(event), key=key, key_mapper=_key_mapper(key_mapper))
        return _kafka(msg)

    def nats_decode(self, message: Message) -> cesdk.CloudEvent:
        return nats.from_nats(nats.NatsMessage(dict(_str_headers(message)), message.body or b""))

    def nats_encode_binary(self, event: EventSpec) -> Message:
        return _nats(nats.to_binary(_event(event)))

    def nats_encode_structured(self, event: EventSpec) -> Message:
        return _nats(nats.to_structured(_event(event)))

    def amqp_decode(self, message: Message) -> cesdk.CloudEvent:
        content_type, rest = _content_type_and_rest(message)
        properties = {} if content_type is None else {"content_type": content_type}
        return amqp.from_amqp(amqp.AmqpMessage(properties, dict(rest), message.body or b""))

    def amqp_encode_binary(self, event: EventSpec) -> Message:
        return _amqp(amqp.to_binary(_event(event)))

    def amqp_encode_structured(self, event: EventSpec) -> Message:
        return _amqp(amqp.to_structured(_event(event)))

    def mqtt_decode(self, message: Message) -> cesdk.CloudEvent:
        content_type, rest = _content_type_and_rest(message)
        return mqtt.from_mqtt(mqtt.MqttMessage(message.body or b"", content_type, rest))

    def mqtt_encode_binary(self, event: EventSpec) -> Message:
        return _mqtt(mqtt.to_binary(_event(event)))

    def mqtt_encode_structured(self, event: EventSpec) -> Message:
        return _mqtt(mqtt.to_structured(_event(event)))

    def mqtt3_decode(self, message: Message) -> cesdk.CloudEvent:
        return mqtt.from_mqtt(mqtt.MqttMessage(message.body or b""), version=mqtt.MQTT_3_1_1)

    def mqtt3_encode_structured(self, event: EventSpec) -> Message:
        return _mqtt(mqtt.to_structured(_event(event), version=mqtt.MQTT_3_1_1))

    def websockets_handshake(self, message: Message) -> Message:
        offered = [
            value.decode("latin-1") if isinstance(value, bytes) else str(value)
            for name, value in message.headers
            if name.lower() == "sec-websocket-protocol"
        ]
        chosen = websockets.negotiate(offered)
        return Message(() if chosen is None else (("Sec-WebSocket-Protocol", chosen),))

    def websockets_decode(self, message: Message) -> cesdk.CloudEvent:
        body = message.body or b""
        kind = _header(message, "websocket-frame")
        payload: str | bytes = body.decode("utf-8", "surrogateescape") if kind == "text" else body
        subprotocol = _header(message, "sec-websocket-protocol")
        return websockets.from_frame((kind, payload), subprotocol)

    def websockets_encode(self, event: EventSpec, subprotocol: str) -> Message:
        frame = websockets.to_frame(_event(event), subprotocol)
        payload = frame.payload.encode("utf-8") if isinstance(frame.payload, str) else frame.payload
        return Message((("websocket-frame", frame.kind),), payload)
