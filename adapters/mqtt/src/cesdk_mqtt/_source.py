"""MqttSource: subscribe to topic filters; PUBACK each QoS 1 message once it is settled."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt

from cesdk import CESDKError, CloudEvent, ConfigError, Delivery, RawMessage
from cesdk.bindings.mqtt import MQTT_5, from_mqtt
from cesdk_mqtt._connection import ConnectionLostError, MqttConnection, describe
from cesdk_mqtt._settings import Settings, parse_url
from cesdk_mqtt._topic import check_filter

__all__ = ["MqttSource"]

log = logging.getLogger("cesdk_mqtt")

_Received = tuple[MqttConnection, mqtt.MQTTMessage]


def _topic(message: mqtt.MQTTMessage) -> str:
    try:
        return message.topic
    except UnicodeDecodeError:  # brokers check UTF-8, but a raw message must not crash us
        return bytes(message._topic).decode("utf-8", "replace")


def _headers(message: mqtt.MQTTMessage) -> tuple[tuple[str, str], ...]:
    properties = getattr(message, "properties", None)
    if properties is None:
        return ()
    headers: list[tuple[str, str]] = []
    content_type = getattr(properties, "ContentType", None)
    if content_type is not None:
        headers.append(("content-type", str(content_type)))
    headers.extend((str(k), str(v)) for k, v in getattr(properties, "UserProperty", None) or ())
    return tuple(headers)


class MqttSource:
    """Receive CloudEvents from MQTT topic filters, binary or structured, told apart per message.

    **QoS 1** (the default) is at least once: each message's PUBACK is sent only when
    the pipeline settles its delivery (``ack``), so a message the process had not
    finished with when it stopped or crashed stays with the broker. With
    ``persistent=True`` (a fixed ``client_id``, Clean Start off, a session expiry) the
    broker also keeps the subscription and queues QoS 1 messages while the source is
    away, and sends the unacknowledged ones again when it comes back.

    **Nack**: MQTT has no negative acknowledgement, and the broker redelivers a
    message only on a new connection. A nacked delivery is therefore held here and
    yielded again after its delay, still without a PUBACK; if the process ends
    first, the broker redelivers it to the next session (persistent sessions only).
    PUBACKs are sent in the order deliveries settle, which Mosquitto and the other
    common brokers accept.

    **Undecodable** messages become deliveries with ``event=None``, the payload in
    ``raw.body``, Content Type and User Properties in ``raw.headers``, and the topic,
    QoS, retain and dup flags in ``raw.metadata``; the pipeline dead-letters them and
    acks. Each delivery's ``key`` is its topic, for ``Pipeline(ordering="delivery")``.

    **Broker loss**: the source reconnects with exponential backoff and jitter
    (``reconnect_delay`` up to ``max_reconnect_delay``) and subscribes again.
    Deliveries from the lost connection can no longer be acknowledged; with a
    persistent session the broker sends them again (the pipeline's duplicate
    suppression, keyed on source and id, keeps the effect single).

    **QoS 0** is at most once: nothing is acknowledged, and nothing survives a stop.

    Args:
        topics: one topic filter or several (``+`` and ``#`` wildcards allowed).
        host: the broker's host name or address.
        port: the broker's port; 1883, or 8883 with TLS.
        qos: the subscription QoS, 1 (default) or 0.
        protocol_version: ``5`` (MQTT 5.0: binary and structured) or ``3`` (MQTT 3.1.1:
            structured JSON only).
        client_id: the client id; required for a persistent session, random otherwise.
        persistent: keep the session (subscriptions, unacknowledged and queued QoS 1
            messages) across disconnects and restarts.
        session_expiry: MQTT 5: seconds the broker keeps a persistent session after a
            disconnect (MQTT 3.1.1 sessions last until the broker's own expiry).
        receive_maximum: MQTT 5: unacknowledged QoS 1 messages the broker may send at
            once; the flow control that bounds this source's memory.
        username: user name for the broker.
        password: password for the broker; it never appears in logs or reprs.
        tls: connect with TLS (``mqtts://``), or an ``ssl.SSLContext`` to use.
        ca_file: CA bundle to verify the broker's certificate (implies TLS).
        cert_file: client certificate (PEM) for mutual TLS.
        key_file: the client certificate's key, if not in ``cert_file``.
        tls_insecure: do not verify the broker's certificate (tests only).
        keepalive: seconds between keepalive pings; a dead broker is noticed after
            about one and a half times this.
        connect_timeout: seconds to wait for the broker to accept a connection.
        reconnect_delay: first wait before reconnecting after the broker was lost.
        max_reconnect_delay: the longest wait between reconnection attempts.

    Raises:
        ConfigError: no topic filter or a malformed one, a QoS other than 0 or 1, a
            persistent session without ``client_id``, an unknown protocol version.

    Example:
        ::

            source = MqttSource(["k8s/#"], host="broker", persistent=True,
                                client_id="notifier")
    """

    def __init__(
        self,
        topics: str | Sequence[str],
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        qos: int = 1,
        protocol_version: int | str = 5,
        client_id: str | None = None,
        persistent: bool = False,
        session_expiry: int = 3600,
        receive_maximum: int | None = 100,
        username: str | None = None,
        password: str | None = None,
        tls: bool | ssl.SSLContext = False,
        ca_file: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        tls_insecure: bool = False,
        keepalive: int = 30,
        connect_timeout: float = 5.0,
        reconnect_delay: float = 0.1,
        max_reconnect_delay: float = 5.0,
    ) -> None:
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        if not self.topics:
            raise ConfigError("MqttSource needs at least one topic filter", key="topics")
        for topic_filter in self.topics:
            check_filter(topic_filter)
        if qos not in (0, 1):
            raise ConfigError(f"qos must be 0 or 1, not {qos!r}", key="qos")
        self.qos = qos
        self.settings = Settings.make(
            host=host,
            port=port,
            protocol_version=protocol_version,
            client_id=client_id,
            persistent=persistent,
            session_expiry=session_expiry,
            keepalive=keepalive,
            username=username,
            password=password,
            tls=tls,
            ca_file=ca_file,
            cert_file=cert_file,
            key_file=key_file,
            tls_insecure=tls_insecure,
            receive_maximum=receive_maximum,
            connect_timeout=connect_timeout,
            role="source",
        )
        self.persistent = persistent
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self._conn: MqttConnection | None = None
        self._queue: asyncio.Queue[_Received] | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0
        """How many connections this source has opened (reconnects included)."""

    @classmethod
    def from_url(cls, url: str, **options: Any) -> MqttSource:
        """Return a source for ``mqtt://[user:password@]host:port/topic/filter?qos=1``.

        The path is one topic filter (``#`` must be written ``%23`` in a URL); the query
        may set ``qos``, ``protocol_version``, ``client_id``, ``persistent``,
        ``session_expiry``, ``tls_insecure``, ``ca_file``. Keyword arguments win.

        Raises:
            ValueError: not an MQTT URL, or a URL without a topic filter.
        """
        topic, parsed = parse_url(url)
        if not topic and "topics" not in options:
            raise ValueError("the MQTT URL names no topic filter: mqtt://host:port/TOPIC")
        for key in ("retain", "mode", "format"):
            parsed.pop(key, None)
        parsed.update(options)
        return cls(parsed.pop("topics", topic), **parsed)

    def __repr__(self) -> str:
        return f"MqttSource({self.topics!r}, {self.settings.address}, qos={self.qos})"

    # -- opening and closing ----------------------------------------------------------

    async def __aenter__(self) -> MqttSource:
        self._queue = asyncio.Queue()
        self._conn = await self._open()
        self._supervisor = asyncio.create_task(self._supervise())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tasks = [*self._tasks, *([self._supervisor] if self._supervisor else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._supervisor = None
        conn, self._conn = self._conn, None
        if conn is not None:
            # Unacknowledged messages stay with the broker (persistent sessions).
            await conn.close()
        self._queue = None

    async def _open(self) -> MqttConnection:
        conn = MqttConnection(self.settings, on_message=self._received)
        try:
            await conn.open()
            codes = await conn.subscribe(
                [(topic, self.qos) for topic in self.topics], self.settings.connect_timeout
            )
        except ConnectionLostError as exc:
            await conn.close()
            raise CESDKError(str(exc)) from exc
        except BaseException:
            await conn.close()
            raise
        refused = [
            f"{topic!r}: {describe(code)}"
            for topic, code in zip(self.topics, codes, strict=False)
            if code.is_failure
        ]
        if refused:
            await conn.close()
            raise CESDKError(
                f"the MQTT broker at {self.settings.address} refused the subscription to "
                + ", ".join(refused)
            )
        self.connections += 1
        log.info(
            "MQTT source connected to %s as %r (session present: %s)",
            self.settings.address,
            self.settings.client_id,
            conn.session_present,
        )
        return conn

    async def _supervise(self) -> None:
        while True:
            assert self._conn is not None
            reason = await asyncio.shield(self._conn.lost)
            log.warning(
                "MQTT connection to %s lost (%s); reconnecting", self.settings.address, reason
            )
            await self._conn.close()
            delay = self.reconnect_delay
            while True:
                try:
                    self._conn = await self._open()
                    break
                except Exception as exc:  # whatever it was, keep trying: the run must go on
                    log.info("MQTT reconnect failed (%s); next try in %.2f s", exc, delay)
                # Backoff with full jitter between reconnection attempts.
                await asyncio.sleep(random.uniform(0, delay))
                delay = min(delay * 2, self.max_reconnect_delay)

    def _received(self, conn: MqttConnection, message: mqtt.MQTTMessage) -> None:
        if self._queue is not None:
            self._queue.put_nowait((conn, message))

    # -- deliveries -------------------------------------------------------------------

    def _decode(self, message: mqtt.MQTTMessage) -> tuple[CloudEvent | None, Exception | None]:
        try:
            return from_mqtt(message, version=self.settings.protocol_version), None
        except CESDKError as exc:
            return None, exc
        except Exception as exc:  # a malformed message must become a dead letter, not a crash
            return None, exc

    def _delivery(self, conn: MqttConnection, message: mqtt.MQTTMessage) -> Delivery:
        event, error = self._decode(message)
        topic = _topic(message)
        v5 = self.settings.protocol_version == MQTT_5

        def raw() -> RawMessage:
            metadata = {
                "topic": topic,
                "qos": message.qos,
                "retain": bool(message.retain),
                "dup": bool(message.dup),
                "mid": message.mid,
            }
            return RawMessage(bytes(message.payload), _headers(message) if v5 else (), metadata)

        async def ack() -> None:
            if message.qos >= 1:
                # A no-op when the connection it came on is gone: the broker sends the
                # message again on the next one (persistent session).
                conn.ack(message.mid)

        async def nack(delay: float | None) -> None:
            if conn.lost.done() and self.persistent:
                return  # the broker redelivers it on the new connection
            task = asyncio.create_task(self._requeue(conn, message, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return Delivery(event, raw, error, key=topic, on_ack=ack, on_nack=nack)

    async def _requeue(
        self, conn: MqttConnection, message: mqtt.MQTTMessage, delay: float | None
    ) -> None:
        if delay:
            await asyncio.sleep(delay)  # the retry delay the pipeline asked for
        self._received(conn, message)

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        if self._queue is None:
            raise RuntimeError("enter the source first: async with MqttSource(...) as source")
        queue = self._queue
        while True:
            conn, message = await queue.get()
            yield self._delivery(conn, message)
