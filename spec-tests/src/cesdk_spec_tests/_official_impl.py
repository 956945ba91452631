"""The official ``cloudevents`` SDK (2.2, ``cloudevents.core``) as the suite drives it.

Only its public ``cloudevents.core`` API is used: ``v1.event.CloudEvent``,
``formats.json.JSONFormat`` and the ``bindings.http`` / ``bindings.kafka`` /
``bindings.amqp`` modules. It has no batch format and no NATS, MQTT or WebSockets
binding; those operations report "unsupported". Its ``AMQPMessage`` keys the
content-type property as ``content-type``, which is the suite's name too. Its
events hold ``time`` as a ``datetime``, so a case's RFC 3339 text is parsed with the
parser its own decoders use (``dateutil``'s ``isoparse``). Results are converted with
``cesdk.interop.from_sdk``; any exception the SDK raises counts as a rejection.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, ClassVar

import cesdk
from cesdk.interop import from_sdk
from cesdk_spec_tests.implementation import (
    EventSpec,
    Implementation,
    IncomparableResultError,
    Message,
    UnsupportedOperationError,
)

__all__ = ["OfficialSdkImplementation"]


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise UnsupportedOperationError(
            "the official SDK is not installed (pip install cloudevents>=2.2)"
        ) from None


def _to_cesdk(event: Any) -> cesdk.CloudEvent:
    try:
        return from_sdk(event)
    except cesdk.InvalidEventError as exc:
        details = "; ".join(
            f"{name if name.isprintable() else repr(name)}: {reason}"
            for name, reason in exc.errors.items()
        )
        raise IncomparableResultError(f"its event breaks the spec ({details})") from exc


def _json_format() -> Any:
    return _module("cloudevents.core.formats.json").JSONFormat()


class OfficialSdkImplementation(Implementation):
    """The official Python SDK's ``cloudevents.core`` API (version 2.2)."""

    name: ClassVar[str] = "cloudevents"

    def _event(self, spec: EventSpec) -> Any:
        sdk_event = _module("cloudevents.core.v1.event").CloudEvent
        attributes: dict[str, Any] = dict(spec.attributes)
        if isinstance(attributes.get("time"), str):
            # dateutil is the official SDK's own dependency and parser; it has no stubs.
            isoparse = _module("dateutil.parser").isoparse
            attributes["time"] = isoparse(attributes["time"])
        return sdk_event(attributes, spec.data if spec.has_data else None)

    def create(self, event: EventSpec) -> cesdk.CloudEvent:
        return _to_cesdk(self._event(event))

    def json_decode(self, body: bytes) -> cesdk.CloudEvent:
        return _to_cesdk(_json_format().read(None, body))

    def json_encode(self, event: EventSpec) -> bytes:
        return bytes(_json_format().write(self._event(event)))

    def _http(self) -> Any:
        return _module("cloudevents.core.bindings.http")

    def http_decode(self, message: Message) -> cesdk.CloudEvent:
        http = self._http()
        headers = {name: str(value) for name, value in message.headers}
        sdk_message = http.HTTPMessage(headers=headers, body=message.body or b"")
        return _to_cesdk(http.from_http(sdk_message, _json_format()))

    def _http_message(self, encode: Callable[..., Any], event: EventSpec) -> Message:
        sdk_message = encode(self._event(event), _json_format())
        return Message(tuple(sdk_message.headers.items()), sdk_message.body)

    def http_encode_binary(self, event: EventSpec) -> Message:
        return self._http_message(self._http().to_binary, event)

    def http_encode_structured(self, event: EventSpec) -> Message:
        return self._http_message(self._http().to_structured, event)

    def _kafka(self) -> Any:
        return _module("cloudevents.core.bindings.kafka")

    def kafka_decode(self, message: Message) -> cesdk.CloudEvent:
        kafka = self._kafka()
        headers = {
            name: value if isinstance(value, bytes) else value.encode("utf-8")
            for name, value in message.headers
        }
        sdk_message = kafka.KafkaMessage(headers=headers, key=message.key, value=message.body)
        return _to_cesdk(kafka.from_kafka(sdk_message, _json_format()))

    def _kafka_message(
        self, encode: Callable[..., Any], event: EventSpec, key: bytes | None, mapper: str | None
    ) -> Message:
        # The SDK takes no record key, only a key mapper; a user's key goes in that way.
        # Without one it applies its default mapper (partitionkey), as it does for users.
        key_mapper = None if key is None or mapper else (lambda _event: key)
        sdk_message = encode(self._event(event), _json_format(), key_mapper)
        sdk_key = sdk_message.key
        if isinstance(sdk_key, str):
            sdk_key = sdk_key.encode("utf-8")
        return Message(tuple(sdk_message.headers.items()), sdk_message.value, sdk_key)

    def kafka_encode_binary(
        self, event: EventSpec, key: bytes | None, key_mapper: str | None
    ) -> Message:
        return self._kafka_message(self._kafka().to_binary, event, key, key_mapper)

    def kafka_encode_structured(
        self, event: EventSpec, key: bytes | None, key_mapper: str | None
    ) -> Message:
        return self._kafka_message(self._kafka().to_structured, event, key, key_mapper)

    def _amqp(self) -> Any:
        return _module("cloudevents.core.bindings.amqp")

    def amqp_decode(self, message: Message) -> cesdk.CloudEvent:
        amqp = self._amqp()
        properties = {name: value for name, value in message.headers if name == "content-type"}
        application_properties = {
            name: value for name, value in message.headers if name != "content-type"
        }
        sdk_message = amqp.AMQPMessage(
            properties=properties,
            application_properties=application_properties,
            application_data=message.body or b"",
        )
        return _to_cesdk(amqp.from_amqp(sdk_message, _json_format()))

    def _amqp_message(self, encode: Callable[..., Any], event: EventSpec) -> Message:
        sdk_message = encode(self._event(event), _json_format())
        headers = [*sdk_message.properties.items(), *sdk_message.application_properties.items()]
        return Message(tuple(headers), sdk_message.application_data, typed=True)

    def amqp_encode_binary(self, event: EventSpec) -> Message:
        return self._amqp_message(self._amqp().to_binary, event)

    def amqp_encode_structured(self, event: EventSpec) -> Message:
        return self._amqp_message(self._amqp().to_structured, event)
