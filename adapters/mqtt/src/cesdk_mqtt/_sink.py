"""MqttSink: publish events to a topic, QoS 1 awaiting the PUBACK."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from types import ModuleType, TracebackType
from typing import Any, Final, Literal

from paho.mqtt.properties import Properties

from cesdk import (
    CESDKError,
    CloudEvent,
    ConfigError,
    EncodeError,
    PermanentDeliveryError,
    RetryableDeliveryError,
    plugins,
)
from cesdk.bindings.mqtt import MQTT_5, MqttMessage, to_binary, to_structured
from cesdk.formats import Format
from cesdk_mqtt._connection import (
    BrokerRefusedError,
    ConnectionLostError,
    MqttConnection,
    describe,
)
from cesdk_mqtt._settings import Settings, parse_url
from cesdk_mqtt._topic import TopicTemplate

__all__ = ["MqttSink"]

# PUBACK reason codes that a later try can get past: Quota exceeded (MQTT 5.0 3.4.2.1).
_RETRYABLE_PUBACK: Final = frozenset({0x97})


def _varint_size(n: int) -> int:
    size = 1
    while n >= 128:
        n //= 128
        size += 1
    return size


def packet_size(
    topic: str, payload: bytes, qos: int, properties: Properties | None, v5: bool
) -> int:
    """Return the size in bytes of the PUBLISH packet (MQTT 5.0 3.3)."""
    remaining = 2 + len(topic.encode("utf-8")) + len(payload) + (2 if qos else 0)
    if v5:
        # paho leaves pack() unannotated
        packed = properties.pack() if properties is not None else b"\x00"  # type: ignore[no-untyped-call]
        remaining += len(packed)
    return 1 + _varint_size(remaining) + remaining


def _format(format: str | ModuleType | Format) -> Format:
    if isinstance(format, str):
        try:
            loaded: Format = plugins.load("cesdk.formats", format)
        except CESDKError as exc:
            raise ConfigError(f"format {format!r}: {exc}", key="format") from exc
        return loaded
    return format


class MqttSink:
    """Publish CloudEvents to an MQTT broker, binary (MQTT 5 properties) or structured.

    With QoS 1 (the default) ``send`` returns once the broker has answered the PUBLISH
    with a PUBACK, so the event is the broker's: at least once. QoS 0 returns once
    the packet is written (at most once).

    The topic is a template filled from the event's attributes: ``events/{type}``
    publishes a ``com.example.ping`` event to ``events/com.example.ping``. A rendered
    topic with ``+``, ``#`` or an empty level is refused.

    Errors: a lost or unreachable broker, a missing PUBACK, a broker that is busy or
    over quota raise ``RetryableDeliveryError``; a PUBACK reason code of 0x80 or more
    (``0x87 Not authorized``, ``0x90 Topic Name invalid``, ...), a packet larger than
    the broker's Maximum Packet Size (from its CONNACK, MQTT 5) or ``max_packet_size``,
    a topic that cannot be rendered or an event the binding cannot carry raise
    ``PermanentDeliveryError``.

    Args:
        topic: the topic, or a template with ``{attribute}`` fields.
        host: the broker's host name or address.
        port: the broker's port; 1883, or 8883 with TLS.
        qos: 1 (default: wait for the PUBACK) or 0.
        retain: publish with the retain flag (the broker keeps the last event per
            topic for new subscribers).
        mode: ``"binary"`` (MQTT 5 only: attributes in User Properties) or
            ``"structured"`` (the event format in the payload).
        format: structured mode's event format: a name (``"json"``, ``"avro"``,
            ``"protobuf"``) or a format module; MQTT 3.1.1 carries JSON only.
        protocol_version: ``5`` (MQTT 5.0) or ``3`` (MQTT 3.1.1: structured JSON only).
        client_id: the client id; a random one by default.
        username: user name for the broker.
        password: password for the broker; it never appears in logs or reprs.
        tls: connect with TLS (``mqtts://``), or an ``ssl.SSLContext`` to use.
        ca_file: CA bundle to verify the broker's certificate (implies TLS).
        cert_file: client certificate (PEM) for mutual TLS.
        key_file: the client certificate's key, if not in ``cert_file``.
        tls_insecure: do not verify the broker's certificate (tests only).
        max_packet_size: refuse larger PUBLISH packets before sending (for MQTT 3.1.1
            brokers, which cannot say their limit); MQTT 5 brokers' own limit applies too.
        timeout: seconds to wait for the PUBACK.
        keepalive: seconds between keepalive pings.
        connect_timeout: seconds to wait for the broker to accept a connection.

    Raises:
        ConfigError: binary mode with MQTT 3.1.1, a QoS other than 0 or 1, a bad topic
            template, an unknown format or protocol version.
    """

    def __init__(
        self,
        topic: str = "events/{type}",
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        qos: int = 1,
        retain: bool = False,
        mode: Literal["binary", "structured"] = "binary",
        format: str | ModuleType | Format = "json",
        protocol_version: int | str = 5,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        tls: bool | ssl.SSLContext = False,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        tls_insecure: bool = False,
        max_packet_size: int | None = None,
        timeout: float = 10.0,
        keepalive: int = 60,
        connect_timeout: float = 5.0,
    ) -> None:
        if mode not in ("binary", "structured"):
            raise ConfigError(f"mode must be 'binary' or 'structured', not {mode!r}", key="mode")
        if qos not in (0, 1):
            raise ConfigError(f"qos must be 0 or 1, not {qos!r}", key="qos")
        self.settings = Settings.make(
            host=host,
            port=port,
            protocol_version=protocol_version,
            client_id=client_id,
            persistent=False,
            session_expiry=0,
            keepalive=keepalive,
            username=username,
            password=password,
            tls=tls,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            tls_insecure=tls_insecure,
            receive_maximum=None,
            connect_timeout=connect_timeout,
            role="sink",
        )
        self.v5 = self.settings.protocol_version == MQTT_5
        if mode == "binary" and not self.v5:
            raise ConfigError(
                "MQTT 3.1.1 has no binary mode (it has no User Properties; "
                "mqtt-protocol-binding.md 1.3): use mode='structured' or protocol_version=5",
                key="mode",
            )
        self.format = _format(format)
        if not self.v5 and self.format.CONTENT_TYPE != "application/cloudevents+json":
            raise ConfigError(
                f"MQTT 3.1.1 carries only the JSON event format, not {self.format.CONTENT_TYPE!r} "
                "(mqtt-protocol-binding.md 3)",
                key="format",
            )
        self.topic = TopicTemplate(topic)
        self.qos = qos
        self.retain = retain
        self.mode = mode
        self.max_packet_size = max_packet_size
        self.timeout = timeout
        self._conn: MqttConnection | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MqttSink:
        """Return a sink for ``mqtt://[user:password@]host:port/topic?qos=1`` (or ``mqtts://``).

        The path is the topic (a template is allowed: ``/events/{type}``); the query
        may set ``qos``, ``retain``, ``protocol_version``, ``mode``, ``format``,
        ``client_id``, ``tls_insecure``, ``ca_file``. Keyword arguments win over the URL.

        Raises:
            ValueError: not an MQTT URL, or a URL without a topic.
        """
        topic, parsed = parse_url(url)
        if not topic:
            raise ValueError("the MQTT URL names no topic: mqtt://host:port/TOPIC")
        for key in ("persistent", "session_expiry"):
            parsed.pop(key, None)
        parsed.update(options)
        return cls(topic, **parsed)

    def __repr__(self) -> str:
        return f"MqttSink({self.topic.template!r}, {self.settings.address}, qos={self.qos})"

    async def __aenter__(self) -> MqttSink:
        # The broker may come up later: send() connects then, or raises a retryable error.
        with contextlib.suppress(CESDKError, ConnectionLostError):
            await self._connection()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    async def _connection(self) -> MqttConnection:
        async with self._lock:
            if self._conn is None or self._conn.lost.done():
                if self._conn is not None:
                    await self._conn.close()
                    self._conn = None
                self._conn = await MqttConnection(self.settings).open()
            return self._conn

    def _encode(self, event: CloudEvent) -> MqttMessage:
        try:
            if self.mode == "binary":
                return to_binary(event)
            return to_structured(event, version=self.settings.protocol_version, format=self.format)
        except EncodeError as exc:
            raise PermanentDeliveryError(f"cannot encode event {event.id!r}: {exc}") from exc

    def _properties(self, conn: MqttConnection, message: MqttMessage) -> Properties | None:
        if not self.v5:
            return None
        properties = conn.properties()
        if message.content_type is not None:
            properties.ContentType = message.content_type
        if message.user_properties:
            properties.UserProperty = list(message.user_properties)
        return properties

    async def send(self, event: CloudEvent) -> None:
        """Publish ``event``; with QoS 1, return once the broker acknowledged it.

        Raises:
            RetryableDeliveryError: the broker is unreachable, the connection was lost,
                no PUBACK came within ``timeout``, or the broker is over quota.
            PermanentDeliveryError: the broker refused the message (a PUBACK reason
                code of 0x80 or more), the packet is too large, or the event or its
                topic cannot be published.
        """
        topic = self.topic.render(event)
        message = self._encode(event)
        try:
            conn = await self._connection()
        except BrokerRefusedError as exc:
            error = RetryableDeliveryError if exc.transient else PermanentDeliveryError
            raise error(str(exc)) from exc
        except ConnectionLostError as exc:
            raise RetryableDeliveryError(str(exc)) from exc
        properties = self._properties(conn, message)
        size = packet_size(topic, message.payload, self.qos, properties, self.v5)
        limits = [n for n in (self.max_packet_size, conn.maximum_packet_size) if n]
        if limits and size > min(limits):
            raise PermanentDeliveryError(
                f"event {event.id!r} makes a PUBLISH packet of {size} bytes to {topic!r}; "
                f"the broker's maximum packet size is {min(limits)} bytes"
            )
        try:
            async with asyncio.timeout(self.timeout):
                code = await conn.publish(
                    topic, message.payload, qos=self.qos, retain=self.retain, properties=properties
                )
        except TimeoutError:
            raise RetryableDeliveryError(
                f"no PUBACK for event {event.id!r} on {topic!r} within {self.timeout} s"
            ) from None
        except ConnectionLostError as exc:
            raise RetryableDeliveryError(
                f"publishing event {event.id!r} to {topic!r} failed: {exc}"
            ) from exc
        except ValueError as exc:  # paho refuses a topic or payload it cannot send
            raise PermanentDeliveryError(
                f"cannot publish event {event.id!r} to {topic!r}: {exc}"
            ) from exc
        if code is not None and code.is_failure:
            error = (
                RetryableDeliveryError
                if code.value in _RETRYABLE_PUBACK
                else PermanentDeliveryError
            )
            raise error(
                f"the MQTT broker refused event {event.id!r} on {topic!r}: {describe(code)}"
            )
