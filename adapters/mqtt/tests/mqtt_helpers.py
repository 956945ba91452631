"""Helpers for the MQTT adapter tests: a plain client that publishes and collects."""

from __future__ import annotations

import itertools
from types import TracebackType

import paho.mqtt.client as mqtt
import pytest

from cesdk.bindings.mqtt import MqttMessage
from cesdk.testing import until
from cesdk_mqtt._connection import MqttConnection
from cesdk_mqtt._settings import Settings
from cesdk_mqtt.testing import MosquittoServer

_names = itertools.count()


def unique(stem: str) -> str:
    """Return a name no other test in this process uses."""
    return f"{stem}{next(_names)}"


def settings(
    broker: MosquittoServer, *, protocol_version: int = 5, client_id: str | None = None
) -> Settings:
    """Plain connection settings for the test broker."""
    return Settings.make(
        host=broker.host,
        port=broker.port,
        protocol_version=protocol_version,
        client_id=client_id,
        persistent=False,
        session_expiry=0,
        keepalive=30,
        username=None,
        password=None,
        tls=False,
        ca_file=None,
        cert_file=None,
        key_file=None,
        tls_insecure=False,
        receive_maximum=None,
        connect_timeout=5,
        role="test",
    )


class PlainClient:
    """A connection of the tests' own: publish binding messages, collect what arrives."""

    def __init__(self, broker: MosquittoServer, *, protocol_version: int = 5) -> None:
        self.broker = broker
        self.protocol_version = protocol_version
        self.messages: list[mqtt.MQTTMessage] = []
        self.conn: MqttConnection | None = None

    async def __aenter__(self) -> PlainClient:
        self.conn = MqttConnection(
            settings(self.broker, protocol_version=self.protocol_version), self._keep
        )
        await self.conn.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.conn is not None
        await self.conn.close()

    def _keep(self, conn: MqttConnection, message: mqtt.MQTTMessage) -> None:
        self.messages.append(message)
        conn.ack(message.mid)

    async def watch(self, topic_filter: str) -> None:
        """Subscribe (QoS 1) and return once the broker confirmed it."""
        assert self.conn is not None
        codes = await self.conn.subscribe([(topic_filter, 1)], timeout=5)
        assert not codes[0].is_failure

    async def collected(self, count: int, timeout: float = 10) -> list[mqtt.MQTTMessage]:
        """Wait until ``count`` messages arrived; return them all."""
        await until(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} msgs")
        return self.messages

    async def publish(
        self, topic: str, message: MqttMessage | bytes, *, retain: bool = False
    ) -> None:
        """Publish with QoS 1 and wait for the PUBACK."""
        assert self.conn is not None
        if isinstance(message, bytes):
            message = MqttMessage(message)
        properties = None
        if self.protocol_version == 5 and (message.content_type or message.user_properties):
            properties = self.conn.properties()
            if message.content_type is not None:
                properties.ContentType = message.content_type
            if message.user_properties:
                properties.UserProperty = list(message.user_properties)
        code = await self.conn.publish(
            topic, message.payload, qos=1, retain=retain, properties=properties
        )
        assert code is not None
        assert not code.is_failure, code


def own_broker(**options: object) -> MosquittoServer:
    """A broker of the test's own with special options (skipped if mosquitto is missing)."""
    try:
        return MosquittoServer(**options)  # type: ignore[arg-type]
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
