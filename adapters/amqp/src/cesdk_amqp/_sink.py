"""AmqpSink: publish events to a RabbitMQ exchange and wait for the publisher confirm.

AMQP 0-9-1 (aio-pika) by default; ``protocol="1.0"`` sends through RabbitMQ's AMQP 1.0
plugin with python-qpid-proton (``_sink10``) and waits for the delivery's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Literal

import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange

from cesdk import (
    CESDKError,
    CloudEvent,
    EncodeError,
    PermanentDeliveryError,
    RetryableDeliveryError,
    plugins,
)
from cesdk.bindings.amqp import AmqpMessage, to_binary, to_structured
from cesdk.formats import Format
from cesdk.formats import json as json_format
from cesdk_amqp._codec import encode
from cesdk_amqp._connection import CONNECTION_ERRORS, connect
from cesdk_amqp._routing import RoutingKeyTemplate
from cesdk_amqp._url import DEFAULT_URL, redact, split_options

if TYPE_CHECKING:
    from cesdk_amqp._sink10 import Amqp10Publisher

__all__ = ["AmqpSink"]

_URL_OPTIONS = ("exchange", "routing_key", "exchange_type", "format", "protocol")


def _format(format: Format | ModuleType | str | None) -> Format:
    if format is None:
        return json_format
    if isinstance(format, str):
        try:
            loaded: Format = plugins.load("cesdk.formats", format)
        except CESDKError as exc:
            raise ValueError(f"format {format!r}: {exc}") from exc
        return loaded
    return format


class AmqpSink:
    """Publish CloudEvents to a RabbitMQ exchange over AMQP 0-9-1 or 1.0.

    Binary mode (the default) puts every attribute in a ``cloudEvents_`` header and
    ``datacontenttype`` in the ``content_type`` property; structured mode puts the event,
    in ``format`` (JSON by default), in the body. Messages are persistent
    (``delivery_mode=2``) and published with ``mandatory=True`` on a channel in
    publisher-confirm mode: ``send`` returns only once the broker has confirmed the
    message (for a durable queue: written it to disk).

    The routing key is a template filled from the event's attributes:
    ``events.{type}`` sends a ``com.example.ping`` event with the routing key
    ``events.com.example.ping``.

    Errors: the broker unreachable, the connection or channel lost, a confirm that
    does not come within ``timeout``, or a ``basic.nack`` raise
    ``RetryableDeliveryError``. A message no queue is bound to receive (returned,
    since ``mandatory``), an exchange that does not exist, or an event the binding
    cannot carry raise ``PermanentDeliveryError`` naming the exchange and routing key.

    With ``protocol="1.0"`` the sink opens one AMQP 1.0 sender link to RabbitMQ's
    address ``/exchange/<exchange>`` (``/queue`` for the default exchange) and sends
    each message with the rendered routing key as its ``subject``, which the broker
    routes by. Binary mode writes native AMQP 1.0 types: ``time`` as a ``timestamp``
    when milliseconds hold it exactly, integers as ``long``, binary as ``binary``.
    ``send`` waits for the delivery's outcome: ``accepted`` returns; ``rejected``
    raises ``PermanentDeliveryError`` with the broker's condition; ``released`` or
    ``modified``, a lost connection or no outcome within ``timeout`` raise
    ``RetryableDeliveryError``; a missing exchange raises ``PermanentDeliveryError``.
    RabbitMQ 3.x's plugin drops unroutable messages and still accepts them, so
    ``mandatory`` has no effect there. ``exchange_type`` declares the exchange over
    AMQP 0-9-1 on the same URL.

    Args:
        routing_key: the routing key, or a template with ``{attribute}`` fields.
        url: ``amqp://user:password@host:5672/vhost``.
        exchange: the exchange; ``""`` is the default exchange, which routes to the
            queue named by the routing key.
        exchange_type: declare ``exchange`` (durable) with this type when connecting;
            ``None`` publishes to an exchange that must exist.
        mode: ``"binary"`` (default) or ``"structured"``.
        format: structured mode's event format: a ``cesdk.formats`` module or its
            entry-point name (``"json"``, ``"avro"``, ``"protobuf"``).
        mandatory: have unroutable messages returned (and raise) instead of dropped.
        persistent: persistent delivery mode.
        timeout: seconds to wait for the publisher confirm.
        connect_timeout: seconds a connection attempt may take.
        name: the connection name the broker shows.
        protocol: ``"0-9-1"`` (aio-pika) or ``"1.0"`` (python-qpid-proton; install
            ``cesdk-amqp[amqp10]``).
    """

    def __init__(
        self,
        routing_key: str = "events.{type}",
        *,
        url: str = DEFAULT_URL,
        exchange: str = "",
        exchange_type: str | None = None,
        mode: Literal["binary", "structured"] = "binary",
        format: Format | ModuleType | str | None = None,
        mandatory: bool = True,
        persistent: bool = True,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        name: str = "cesdk-amqp-sink",
        protocol: Literal["0-9-1", "1.0"] = "0-9-1",
    ) -> None:
        if protocol not in ("0-9-1", "1.0"):
            raise ValueError(f"protocol must be '0-9-1' or '1.0', not {protocol!r}")
        if mode not in ("binary", "structured"):
            raise ValueError(f"mode must be 'binary' or 'structured', not {mode!r}")
        split_options(url, ())  # checks the URL
        self.routing_key = RoutingKeyTemplate(routing_key)
        self.url = url
        self.exchange = exchange
        self.exchange_type = exchange_type
        self.mode = mode
        self.format = _format(format)
        self.mandatory = mandatory
        self.persistent = persistent
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.name = name
        self.protocol = protocol
        self._publisher10: Amqp10Publisher | None = None
        self._declared10 = False
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_url(
        cls, url: str, mode: Literal["binary", "structured"] = "binary", **options: Any
    ) -> AmqpSink:
        """Return a sink for ``amqp://user:pass@host:5672/vhost?exchange=X&routing_key=K``.

        ``routing_key`` may be a template (``events.{type}``); ``exchange_type`` declares
        the exchange; ``format`` names structured mode's format; ``protocol=1.0``
        speaks AMQP 1.0. Other query parameters stay in the URL for the client.

        Raises:
            ValueError: not an AMQP URL.
        """
        client_url, query = split_options(url, _URL_OPTIONS)
        for name in _URL_OPTIONS:
            if name in query:
                options.setdefault(name, query[name])
        return cls(url=client_url, mode=mode, **options)

    def _where(self, routing_key: str) -> str:
        exchange = repr(self.exchange) if self.exchange else "the default exchange"
        return f"{exchange} with routing key {routing_key!r} at {redact(self.url)}"

    # -- connecting -----------------------------------------------------------------

    async def __aenter__(self) -> AmqpSink:
        if self.protocol == "1.0":
            from cesdk_amqp._sink10 import Amqp10Publisher  # proton only when asked for

            address = f"/exchange/{self.exchange}" if self.exchange else "/queue"
            self._publisher10 = Amqp10Publisher(url=self.url, address=address, name=self.name)
            self._publisher10.open()
            return self
        # The broker may come up later: send() tries again, and raises then.
        with contextlib.suppress(CESDKError):
            await self._connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        publisher, self._publisher10 = self._publisher10, None
        if publisher is not None:
            await publisher.close()
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._channel, self._exchange = None, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _connect(self) -> AbstractExchange:
        async with self._lock:
            channel_open = self._channel is not None and not self._channel.is_closed
            if self._exchange is not None and channel_open:
                return self._exchange
            connection = self._connection
            if connection is None or connection.is_closed:
                await self._drop()
                connection = await connect(self.url, name=self.name, timeout=self.connect_timeout)
                self._connection = connection
            # A channel the broker closed (a missing exchange) is replaced here.
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            if not self.exchange:
                exchange = channel.default_exchange
            elif self.exchange_type:
                exchange = await channel.declare_exchange(
                    self.exchange, self.exchange_type, durable=True
                )
            else:
                exchange = await channel.get_exchange(self.exchange, ensure=False)
            self._channel, self._exchange = channel, exchange
            return exchange

    # -- sending --------------------------------------------------------------------

    async def send(self, event: CloudEvent) -> None:
        """Publish ``event`` and return once the broker confirmed it.

        Raises:
            RetryableDeliveryError: the broker is unreachable, the connection was lost,
                the confirm timed out, or the broker nacked the message.
            PermanentDeliveryError: unroutable (no queue bound for the routing key), no
                such exchange, or an event that cannot be encoded.
        """
        routing_key = self.routing_key.render(event)
        if self._publisher10 is not None:
            await self._send10(self._publisher10, event, routing_key)
            return
        if self.protocol == "1.0":
            raise RuntimeError("enter the sink first: async with AmqpSink(...) as sink")
        try:
            message = encode(event, mode=self.mode, format=self.format, persistent=self.persistent)
        except EncodeError as exc:
            raise PermanentDeliveryError(f"cannot encode event {event.id!r}: {exc}") from exc
        try:
            exchange = await self._connect()
        except CESDKError as exc:
            raise RetryableDeliveryError(str(exc)) from exc
        except aiormq.exceptions.ChannelNotFoundEntity as exc:
            raise PermanentDeliveryError(
                f"cannot publish to {self._where(routing_key)}: {exc}"
            ) from exc
        except (*CONNECTION_ERRORS, aiormq.exceptions.AMQPError) as exc:
            await self._drop()
            raise RetryableDeliveryError(f"AMQP broker at {redact(self.url)}: {exc!r}") from exc
        try:
            await exchange.publish(
                message, routing_key, mandatory=self.mandatory, timeout=self.timeout
            )
        except asyncio.CancelledError:
            raise
        except aiormq.exceptions.PublishError as exc:
            raise PermanentDeliveryError(
                f"unroutable: no queue is bound to receive event {event.id!r} from "
                f"{self._where(routing_key)} (the broker returned it: {exc.args[0]!s}); "
                "bind a queue, or publish with mandatory=False to let it drop"
            ) from exc
        except aiormq.exceptions.DeliveryError as exc:
            raise RetryableDeliveryError(
                f"the broker did not accept event {event.id!r} at {self._where(routing_key)}: {exc}"
            ) from exc
        except aiormq.exceptions.ChannelNotFoundEntity as exc:
            raise PermanentDeliveryError(
                f"cannot publish to {self._where(routing_key)}: {exc}; declare the exchange, "
                "or pass exchange_type= to have the sink declare it"
            ) from exc
        except (*CONNECTION_ERRORS, aiormq.exceptions.AMQPError) as exc:
            await self._drop()
            raise RetryableDeliveryError(
                f"publishing event {event.id!r} to {self._where(routing_key)} failed: {exc!r}"
            ) from exc

    async def _declare10(self) -> None:
        # RabbitMQ 3.x's AMQP 1.0 plugin cannot declare exchanges: 0-9-1 on the same port.
        if self._declared10 or not (self.exchange and self.exchange_type):
            return
        try:
            await self._connect()
        except CESDKError as exc:
            raise RetryableDeliveryError(str(exc)) from exc
        except (*CONNECTION_ERRORS, aiormq.exceptions.AMQPError) as exc:
            raise RetryableDeliveryError(
                f"cannot declare exchange {self.exchange!r} at {redact(self.url)}: {exc!r}"
            ) from exc
        finally:
            await self._drop()
        self._declared10 = True

    async def _send10(self, publisher: Amqp10Publisher, event: CloudEvent, key: str) -> None:
        from cesdk_amqp._amqp10 import to_proton

        try:
            encoded: AmqpMessage = (
                to_structured(event, format=self.format)
                if self.mode == "structured"
                else to_binary(event)
            )
        except EncodeError as exc:
            raise PermanentDeliveryError(f"cannot encode event {event.id!r}: {exc}") from exc
        await self._declare10()
        message = to_proton(encoded, durable=self.persistent, subject=key, message_id=event.id)
        outcome = await publisher.send(message, self.timeout)
        where = self._where(key)
        if outcome.state == "accepted":
            return
        if outcome.state == "rejected":
            raise PermanentDeliveryError(
                f"the broker rejected event {event.id!r} at {where}: {outcome.detail}"
            )
        if "amqp:not-found" in outcome.detail:
            raise PermanentDeliveryError(
                f"cannot publish to {where}: {outcome.detail}; declare the exchange, "
                "or pass exchange_type= to have the sink declare it"
            )
        raise RetryableDeliveryError(
            f"event {event.id!r} not delivered to {where} ({outcome.state}): {outcome.detail}"
        )
