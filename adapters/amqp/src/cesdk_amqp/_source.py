"""AmqpSource: consume a RabbitMQ queue, ack after settlement, reconnect on broker loss.

AMQP 0-9-1 (aio-pika) by default; ``protocol="1.0"`` reads through RabbitMQ's AMQP 1.0
plugin with python-qpid-proton (``_source10``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractIncomingMessage,
    AbstractQueue,
)

from cesdk import CESDKError, Delivery
from cesdk_amqp._codec import decode, raw_message
from cesdk_amqp._connection import CONNECTION_ERRORS, connect
from cesdk_amqp._url import DEFAULT_URL, redact, split_options

if TYPE_CHECKING:
    from cesdk_amqp._amqp10 import Received
    from cesdk_amqp._source10 import Amqp10Consumer

__all__ = ["AmqpSource"]

log = logging.getLogger("cesdk_amqp")

_URL_OPTIONS = (
    "queue",
    "exchange",
    "exchange_type",
    "routing_key",
    "prefetch",
    "declare",
    "protocol",
)
PROTOCOLS = ("0-9-1", "1.0")
_TRUE = ("1", "true", "yes", "on")


class AmqpSource:
    """Receive CloudEvents from a RabbitMQ queue over AMQP 0-9-1 or 1.0, binary or structured.

    Messages are decoded per message: a content type ``application/cloudevents...`` is
    structured mode, anything else binary mode with ``cloudEvents_`` (or
    ``cloudEvents:``) headers. The source consumes with manual acknowledgements and
    settles each message when the pipeline settles it:

    - **ack** (``basic.ack``) once every route delivered the event or wrote it to the
      dead letter sink; an undecodable message is acked too, once dead-lettered.
    - **nack(delay)**: the message is held, still unacknowledged, for ``delay``
      seconds, then handed back with ``basic.nack(requeue=True)``; RabbitMQ puts it
      back in its place in the queue and delivers it again (``redelivered`` set).
    - Anything unsettled when the source closes, or when the connection is lost, goes
      back to the queue: the broker requeues what a closed channel had not acked.

    ``prefetch`` bounds the unacknowledged messages the broker hands out (``basic.qos``):
    backpressure. When the connection or channel is lost, the source reconnects with
    exponential backoff (``reconnect_delay`` doubling up to ``max_reconnect_delay``),
    declares again and goes on consuming; deliveries from the lost channel are void
    and skipped, since the broker redelivers them.

    With ``protocol="1.0"`` the source opens an AMQP 1.0 receiver link on RabbitMQ's
    address ``/amq/queue/<queue>`` (the ``rabbitmq_amqp1_0`` plugin must be enabled;
    install ``cesdk-amqp[amqp10]``). The link's credit is ``prefetch``, topped up as
    messages are settled; ack settles with the ``accepted`` outcome, nack with
    ``released`` (after ``delay``), which requeues. Application properties arrive with
    their AMQP types (a ``timestamp`` ``time`` keeps its milliseconds). RabbitMQ 3.x's
    1.0 plugin cannot declare a durable queue bound to an exchange, so ``declare`` and
    ``exchange`` are carried out over AMQP 0-9-1 on the same URL first.

    Each delivery's ``key`` is the queue name (``key_by="queue"``) or the message's
    routing key (``key_by="routing_key"``), for ``Pipeline(ordering="delivery")``.
    ``raw.metadata`` holds ``queue``, ``exchange``, ``routing_key``, ``redelivered``,
    ``content_type`` and ``message_id``.

    Args:
        queue: the queue to consume.
        url: ``amqp://user:password@host:5672/vhost``; further query parameters
            (``heartbeat``, ...) go to the client.
        exchange: bind the queue to this exchange.
        routing_key: the binding key or keys (``"events.#"``); ``#`` by default when
            ``exchange`` is set.
        exchange_type: with ``declare``: the exchange's type when it is declared.
        declare: declare the queue (durable) and, with ``exchange``, the exchange
            (durable); ``False`` uses what exists and fails if the queue is missing.
        durable: with ``declare``: declare a durable queue.
        prefetch: unacknowledged messages at most (``basic.qos`` prefetch count).
        key_by: what each delivery's ``key`` is.
        reconnect_delay: seconds before the first reconnect try.
        max_reconnect_delay: the longest pause between reconnect tries.
        connect_timeout: seconds a connection attempt may take.
        name: the connection name the broker shows.
        protocol: ``"0-9-1"`` (aio-pika) or ``"1.0"`` (python-qpid-proton). With
            ``"1.0"``, ``key_by="routing_key"`` keys by the message's ``subject``.

    Example:
        ::

            source = AmqpSource("notifier", exchange="events", routing_key="k8s.#",
                                url="amqp://guest:guest@127.0.0.1:5672/")
    """

    def __init__(
        self,
        queue: str,
        *,
        url: str = DEFAULT_URL,
        exchange: str | None = None,
        routing_key: str | Sequence[str] | None = None,
        exchange_type: str = "topic",
        declare: bool = True,
        durable: bool = True,
        prefetch: int = 64,
        key_by: Literal["queue", "routing_key"] = "queue",
        reconnect_delay: float = 0.5,
        max_reconnect_delay: float = 10.0,
        connect_timeout: float = 5.0,
        name: str = "cesdk-amqp-source",
        protocol: Literal["0-9-1", "1.0"] = "0-9-1",
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be '0-9-1' or '1.0', not {protocol!r}")
        if not queue:
            raise ValueError("AmqpSource needs a queue name")
        if prefetch < 1:
            raise ValueError(f"prefetch must be at least 1, not {prefetch}")
        if key_by not in ("queue", "routing_key"):
            raise ValueError(f"key_by must be 'queue' or 'routing_key', not {key_by!r}")
        split_options(url, ())  # checks the URL
        self.queue = queue
        self.url = url
        self.exchange = exchange
        keys = [routing_key] if isinstance(routing_key, str) else list(routing_key or [])
        self.routing_keys = keys or (["#"] if exchange else [])
        if self.routing_keys and not exchange:
            raise ValueError("routing_key binds the queue to an exchange: pass exchange= too")
        self.exchange_type = exchange_type
        self.declare = declare
        self.durable = durable
        self.prefetch = prefetch
        self.key_by = key_by
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.connect_timeout = connect_timeout
        self.name = name
        self.protocol = protocol
        self._consumer10: Amqp10Consumer | None = None
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._received: asyncio.Queue[tuple[AbstractChannel, AbstractIncomingMessage]] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._delayed: set[asyncio.Task[None]] = set()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AmqpSource:
        """Return a source for ``amqp://user:pass@host:5672/vhost?queue=NAME``.

        The query may also say ``exchange``, ``routing_key`` (repeatable),
        ``exchange_type``, ``prefetch``, ``declare`` and ``protocol`` (``1.0``); other
        parameters stay in the URL for the client.

        Raises:
            ValueError: not an AMQP URL, or no queue.
        """
        client_url, query = split_options(url, _URL_OPTIONS)
        queue = options.pop("queue", None) or query.get("queue")
        if not queue:
            raise ValueError(f"{redact(url)!r} names no queue: add ?queue=NAME")
        if "exchange" in query:
            options.setdefault("exchange", query["exchange"])
        if "exchange_type" in query:
            options.setdefault("exchange_type", query["exchange_type"])
        if "routing_key" in query:
            options.setdefault("routing_key", query["routing_key"])
        if "prefetch" in query:
            options.setdefault("prefetch", int(query["prefetch"]))
        if "declare" in query:
            options.setdefault("declare", query["declare"].lower() in _TRUE)
        if "protocol" in query:
            options.setdefault("protocol", query["protocol"])
        return cls(queue, url=client_url, **options)

    # -- opening and closing ----------------------------------------------------------

    async def __aenter__(self) -> AmqpSource:
        if self.protocol == "1.0":
            await self._open10()
            return self
        self._received = asyncio.Queue()  # holds at most `prefetch` per channel
        await self._open()
        self._watcher = asyncio.create_task(self._keep_connected())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        consumer, self._consumer10 = self._consumer10, None
        if consumer is not None:
            await consumer.close()
        tasks = [*self._delayed, *([self._watcher] if self._watcher else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._delayed.clear()
        self._watcher = None
        self._received = None
        await self._drop_connection()

    async def _drop_connection(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            # Closing the channel hands every unacknowledged message back to the queue.
            with contextlib.suppress(Exception):
                await connection.close()

    async def _open(self) -> None:
        connection = await connect(self.url, name=self.name, timeout=self.connect_timeout)
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=self.prefetch)
            queue = await self._queue(channel)
            received = self._received
            assert received is not None

            async def keep(message: AbstractIncomingMessage) -> None:
                received.put_nowait((channel, message))

            await queue.consume(keep, no_ack=False)
        except BaseException:
            with contextlib.suppress(Exception):
                await connection.close()
            raise
        self._connection, self._channel = connection, channel

    async def _open10(self) -> None:
        from cesdk_amqp._source10 import Amqp10Consumer  # proton only when asked for

        if self.declare or self.exchange:
            # RabbitMQ 3.x's AMQP 1.0 plugin can neither declare a durable queue nor
            # bind one: do that over 0-9-1, which the same listener speaks.
            connection = await connect(self.url, name=self.name, timeout=self.connect_timeout)
            try:
                await self._queue(await connection.channel())
            finally:
                with contextlib.suppress(Exception):
                    await connection.close()
        consumer = Amqp10Consumer(
            url=self.url,
            queue=self.queue,
            prefetch=self.prefetch,
            key=self._key10,
            reconnect_delay=self.reconnect_delay,
            max_reconnect_delay=self.max_reconnect_delay,
            connect_timeout=self.connect_timeout,
            name=self.name,
        )
        await consumer.open()
        self._consumer10 = consumer

    def _key10(self, received: Received) -> str:
        if self.key_by == "routing_key" and received.subject is not None:
            return received.subject
        return self.queue

    async def _queue(self, channel: AbstractChannel) -> AbstractQueue:
        try:
            if self.declare:
                queue = await channel.declare_queue(self.queue, durable=self.durable)
            else:
                queue = await channel.get_queue(self.queue, ensure=True)
            if self.exchange:
                if self.declare:
                    await channel.declare_exchange(self.exchange, self.exchange_type, durable=True)
                for key in self.routing_keys:
                    await queue.bind(self.exchange, routing_key=key)
        except aiormq.exceptions.ChannelNotFoundEntity as exc:
            raise CESDKError(
                f"AMQP broker at {redact(self.url)}: {exc.args[0] if exc.args else exc}; "
                "create the queue and exchange, or pass declare=True"
            ) from exc
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            raise CESDKError(
                f"AMQP broker at {redact(self.url)} refused to declare queue {self.queue!r} "
                f"or exchange {self.exchange!r} as asked: {exc}; they exist with other "
                "settings (durable, type, arguments): match them, or pass declare=False"
            ) from exc
        return queue

    async def _keep_connected(self) -> None:
        delay = self.reconnect_delay
        while True:
            connection, channel = self._connection, self._channel
            if connection is not None and channel is not None:
                waits = [
                    asyncio.ensure_future(connection.closed()),
                    asyncio.ensure_future(channel.closed()),
                ]
                try:
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiting in waits:
                        waiting.cancel()
                log.warning(
                    "AMQP connection to %s lost; reconnecting to consume %r",
                    redact(self.url),
                    self.queue,
                )
                await self._drop_connection()
                delay = self.reconnect_delay
            try:
                await self._open()
            except (CESDKError, *CONNECTION_ERRORS, aiormq.exceptions.AMQPError) as exc:
                log.info("AMQP reconnect failed (%s); next try in %.1fs", exc, delay)
                await asyncio.sleep(delay)  # backoff between reconnect tries
                delay = min(delay * 2, self.max_reconnect_delay)
            else:
                log.info("AMQP connection to %s re-established", redact(self.url))

    # -- settling -------------------------------------------------------------------

    def _delivery(self, channel: AbstractChannel, message: AbstractIncomingMessage) -> Delivery:
        event, error = decode(message)

        async def ack() -> None:
            # Delivered, or (undecodable or not) written to the dead letter sink.
            with contextlib.suppress(*CONNECTION_ERRORS, aiormq.exceptions.AMQPError):
                await message.ack()  # on a lost channel the broker redelivers it

        async def nack(delay: float | None) -> None:
            if not delay or delay <= 0:
                await self._requeue(message)
                return
            task = asyncio.create_task(self._requeue_later(message, delay))
            self._delayed.add(task)
            task.add_done_callback(self._delayed.discard)

        key = self.queue if self.key_by == "queue" else message.routing_key
        return Delivery(
            event,
            lambda: raw_message(message, queue=self.queue),
            error,
            on_ack=ack,
            on_nack=nack,
            key=key,
        )

    async def _requeue(self, message: AbstractIncomingMessage) -> None:
        with contextlib.suppress(*CONNECTION_ERRORS, aiormq.exceptions.AMQPError):
            await message.nack(requeue=True)

    async def _requeue_later(self, message: AbstractIncomingMessage, delay: float) -> None:
        # Held unacknowledged meanwhile: it counts against prefetch, and a crash or a
        # close hands it back to the queue at once.
        await asyncio.sleep(delay)
        await self._requeue(message)

    # -- iterating ------------------------------------------------------------------

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        if self._consumer10 is not None:
            async for delivery in self._consumer10:
                yield delivery
            return
        received = self._received
        if received is None:
            raise RuntimeError("enter the source first: async with AmqpSource(...) as source")
        while True:
            channel, message = await received.get()
            if channel.is_closed:
                continue  # void: the broker requeued it when the channel closed
            yield self._delivery(channel, message)
