"""The conformance suite's view of cesdk, through its public API only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import cesdk
from cesdk.bindings import http, kafka, nats
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


def _key_mapper(name: str | None) -> kafka.KeyMapper | None:
    return kafka.partitionkey_mapper if name == "partitionkey" else None


class CesdkImplementation(Implementation):
    """cesdk itself: every operation; only ``cesdk.CESDKError`` counts as a rejection."""

    name: ClassVar[str] = "cesdk"

    def is_rejection(self, error: Exception) -> bool:
        """cesdk promises that every deliberate error is a ``CESDKError``."""
        return isinstance(error, cesdk.CESDKError)

    def reported_attributes(self, error: Exception) -> set[str] | None:
        """Read ``.errors`` and a header name in ``.position`` (``ce-subject``)."""
        names: set[str] = set()
        if isinstance(error, cesdk.InvalidEventError):
            names.update(error.errors)
        if isinstance(error, cesdk.DecodeError) and isinstance(error.position, str):
            position = error.position.lower()
            names.add(position[3:] if position.startswith(("ce-", "ce_")) else position)
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
