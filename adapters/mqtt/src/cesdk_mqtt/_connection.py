"""One MQTT connection: a paho-mqtt client driven by the asyncio event loop.

paho-mqtt speaks MQTT 5.0 and 3.1.1 and lets the application send each PUBACK itself
(``manual_ack``), which is what acknowledging only after settlement needs. Its network
loop is replaced by the event loop's reader and writer callbacks (paho's documented
``on_socket_*`` hooks), so nothing blocks the loop except the TCP and TLS handshake,
which runs in a worker thread.

A ``MqttConnection`` is used once: after it is lost, a new one is made (with the same
client id, so a persistent session carries on). Packet identifiers belong to one
connection, so an acknowledgement is only ever sent on the connection that received
the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from cesdk import CESDKError
from cesdk.bindings.mqtt import MQTT_5
from cesdk_mqtt._settings import Settings

__all__ = ["BrokerRefusedError", "ConnectionLostError", "MqttConnection", "describe"]

log = logging.getLogger("cesdk_mqtt")

# How often paho's housekeeping (keepalive PINGREQ, PINGRESP timeout) runs.
_MISC_INTERVAL = 1.0


class ConnectionLostError(ConnectionError):
    """The connection to the broker is gone (or was never made)."""


class BrokerRefusedError(CESDKError):
    """The broker answered the CONNECT with a failure reason code.

    Attributes:
        code: the CONNACK reason code (MQTT 5.0 3.2.2.2; MQTT 3.1.1 return codes are
            mapped to the MQTT 5.0 ones by paho-mqtt).
    """

    # Server unavailable, Server busy, Quota exceeded, Connection rate exceeded.
    TRANSIENT = frozenset({0x88, 0x89, 0x97, 0x9F})

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    @property
    def transient(self) -> bool:
        """Whether trying again later can succeed."""
        return self.code in self.TRANSIENT


def describe(code: ReasonCode | int) -> str:
    """Return ``0x87 Not authorized`` for a reason code."""
    if isinstance(code, ReasonCode):
        return f"0x{code.value:02X} {code.getName()}"
    return f"0x{code:02X}"


MessageCallback = Callable[["MqttConnection", mqtt.MQTTMessage], None]


class MqttConnection:
    """A connected paho client, its callbacks turned into futures.

    Args:
        settings: where and how to connect.
        on_message: called in the event loop for each PUBLISH received; nothing is
            acknowledged until ``ack`` is called for it.
    """

    def __init__(self, settings: Settings, on_message: MessageCallback | None = None) -> None:
        self.settings = settings
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._v5 = settings.protocol_version == MQTT_5
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            clean_session=None if self._v5 else settings.clean_start,
            protocol=mqtt.MQTTv5 if self._v5 else mqtt.MQTTv311,
            manual_ack=True,
            reconnect_on_failure=False,
        )
        client.connect_timeout = settings.connect_timeout
        if settings.username is not None:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls is not None:
            client.tls_set_context(settings.tls)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        self._client = client
        self._message_cb = on_message
        self._fd: int | None = None
        self._sock: Any = None
        self._attached = False
        self._writing = False
        self._connack: asyncio.Future[tuple[ReasonCode, bool, Properties | None]] = (
            self._loop.create_future()
        )
        self.lost: asyncio.Future[str] = self._loop.create_future()
        self._publishes: dict[int, asyncio.Future[ReasonCode]] = {}
        self._subscribes: dict[int, asyncio.Future[list[ReasonCode]]] = {}
        self._misc: asyncio.Task[None] | None = None
        self.session_present = False
        self.maximum_packet_size: int | None = None

    # -- opening and closing ----------------------------------------------------------

    def _connect_blocking(self) -> None:
        s = self.settings
        if self._v5:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
            properties.SessionExpiryInterval = s.session_expiry
            if s.receive_maximum is not None:
                properties.ReceiveMaximum = s.receive_maximum
            self._client.connect(
                s.host, s.port, s.keepalive, clean_start=s.clean_start, properties=properties
            )
        else:
            self._client.connect(s.host, s.port, s.keepalive)

    async def open(self) -> MqttConnection:
        """Connect and wait for the CONNACK.

        Raises:
            ConnectionLostError: the broker cannot be reached or did not answer.
            CESDKError: the broker refused the connection (its reason code named).
        """
        where = self.settings.address
        try:
            # The TCP connect (and TLS handshake) blocks: a worker thread does it.
            await asyncio.wait_for(
                self._loop.run_in_executor(None, self._connect_blocking),
                timeout=self.settings.connect_timeout + 1,
            )
        except (OSError, TimeoutError, ValueError) as exc:
            await self.close()
            raise ConnectionLostError(
                f"cannot connect to the MQTT broker at {where}: {exc!r}"
            ) from None
        self._attach()
        try:
            async with asyncio.timeout(self.settings.connect_timeout):
                code, session_present, properties = await self._connack
        except (TimeoutError, ConnectionLostError) as exc:
            await self.close()
            raise ConnectionLostError(
                f"the MQTT broker at {where} did not accept the connection: {exc!r}"
            ) from None
        if code.is_failure:
            await self.close()
            raise BrokerRefusedError(
                f"the MQTT broker at {where} refused the connection of client "
                f"{self.settings.client_id!r}: {describe(code)}",
                code.value,
            )
        self.session_present = session_present
        size = getattr(properties, "MaximumPacketSize", None) if properties else None
        self.maximum_packet_size = size if isinstance(size, int) else None
        self._misc = asyncio.create_task(self._housekeeping())
        return self

    async def close(self, timeout: float = 2.0) -> None:
        """Send DISCONNECT (the session stays, if it is persistent) and close the socket."""
        if not self.lost.done() and self._attached:
            with contextlib.suppress(Exception):
                self._client.disconnect()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.lost), timeout)
        self._lose("closed")
        if self._misc is not None:
            self._misc.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._misc
        self._detach()
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    @property
    def connected(self) -> bool:
        """Whether the connection is up."""
        return self._connack.done() and not self.lost.done()

    # -- publishing, subscribing, acknowledging ------------------------------------------

    def properties(self) -> Properties:
        """Return an empty PUBLISH properties value."""
        return Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho leaves it unannotated

    async def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int,
        retain: bool,
        properties: Properties | None,
    ) -> ReasonCode | None:
        """Publish; return the PUBACK's reason code (QoS 1) or ``None`` once written (QoS 0).

        Raises:
            ConnectionLostError: the connection is gone, or went while waiting.
        """
        if self.lost.done():
            raise ConnectionLostError(f"not connected: {self.lost.result()}")
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise ConnectionLostError(mqtt.error_string(info.rc))
        future: asyncio.Future[ReasonCode] = self._loop.create_future()
        self._publishes[info.mid] = future
        try:
            code = await future
        finally:
            self._publishes.pop(info.mid, None)
        return code if qos else None

    async def subscribe(self, topics: list[tuple[str, int]], timeout: float) -> list[ReasonCode]:
        """Subscribe and return the SUBACK's reason code per topic filter.

        Raises:
            ConnectionLostError: the connection went, or no SUBACK came in time.
        """
        request: Any = (
            [(topic, SubscribeOptions(qos=qos)) for topic, qos in topics]
            if self._v5
            else list(topics)
        )
        rc, mid = self._client.subscribe(request)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise ConnectionLostError(mqtt.error_string(rc))
        future: asyncio.Future[list[ReasonCode]] = self._loop.create_future()
        self._subscribes[mid] = future
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise ConnectionLostError("the broker did not answer the SUBSCRIBE in time") from None
        finally:
            self._subscribes.pop(mid, None)

    def ack(self, mid: int) -> None:
        """Send the PUBACK for a QoS 1 message received on this connection."""
        if not self.lost.done():
            self._client.ack(mid, 1)

    # -- paho callbacks ---------------------------------------------------------------

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        if not self._connack.done():
            self._connack.set_result((code, flags.session_present, properties))

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self._lose(f"disconnected ({describe(code)})")

    def _lose(self, reason: str) -> None:
        if self.lost.done():
            return
        self.lost.set_result(reason)
        error = ConnectionLostError(f"the connection to {self.settings.address} was lost: {reason}")
        if not self._connack.done():
            self._connack.set_exception(error)
        waiters: list[asyncio.Future[Any]] = [*self._publishes.values(), *self._subscribes.values()]
        for future in waiters:
            if not future.done():
                future.set_exception(error)

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        future = self._publishes.get(mid)
        if future is not None and not future.done():
            future.set_result(code)

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        future = self._subscribes.get(mid)
        if future is not None and not future.done():
            future.set_result(list(codes))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if self._message_cb is not None and not self.lost.done():
            self._message_cb(self, message)

    # -- the socket, driven by the event loop -----------------------------------------

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        # Called in the worker thread during connect: only remembered until _attach.
        self._sock = sock
        self._fd = sock.fileno()

    def _attach(self) -> None:
        if self._fd is None:
            return
        self._attached = True
        self._loop.add_reader(self._fd, self._read)
        if self._client.want_write():
            self._on_register_write(self._client, None, self._sock)

    def _detach(self) -> None:
        if self._attached and self._fd is not None:
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
        self._attached = False
        self._writing = False

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if threading.get_ident() != self._loop_thread:
            # A connect that failed in the worker thread: open() reports it.
            self._sock = self._fd = None
            return
        self._detach()
        self._sock = None
        self._lose("the socket closed")

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._attached and not self._writing and self._fd is not None:
            self._writing = True
            self._loop.add_writer(self._fd, self._client.loop_write)

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        if self._attached and self._writing and self._fd is not None:
            self._writing = False
            self._loop.remove_writer(self._fd)

    def _read(self) -> None:
        self._client.loop_read()
        # TLS may hold decrypted bytes the selector cannot see: read them too.
        while self._sock is not None and getattr(self._sock, "pending", lambda: 0)() > 0:
            if self._client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                break

    async def _housekeeping(self) -> None:
        while not self.lost.done():
            await asyncio.sleep(_MISC_INTERVAL)  # a timer: paho's keepalive clock
            self._client.loop_misc()
