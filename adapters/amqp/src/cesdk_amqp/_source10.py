"""The AMQP 1.0 side of AmqpSource: a receiver link in a proton thread, settled from asyncio."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from cesdk import CESDKError, Delivery
from cesdk.bindings.amqp import from_amqp
from cesdk_amqp._amqp10 import (
    ACCEPTED,
    RELEASED,
    Endpoint,
    Handler,
    ProtonThread,
    Received,
    condition_text,
    from_proton,
    raw_message,
)
from cesdk_amqp._url import redact

__all__ = ["Amqp10Consumer"]

log = logging.getLogger("cesdk_amqp")

# What the loop side gets from the proton thread: the connection generation the
# message arrived on, proton's delivery (touched only in the thread) and the message.
Arrival = tuple[int, Any, Received]


class _Receiving(Handler):
    """Keep one receiver link open on ``address``, reconnecting with backoff.

    Credit is ``prefetch`` at the start and one more per settled message, so at most
    ``prefetch`` messages are unsettled at a time: backpressure.
    """

    def __init__(self, consumer: Amqp10Consumer) -> None:
        super().__init__(prefetch=0, auto_accept=False, auto_settle=False)
        self.consumer = consumer
        self.generation = 0
        self.receiver: Any = None
        self.timer: Any = None
        self.delay = consumer.reconnect_delay
        self.container: Any = None

    def on_start(self, event: Any) -> None:
        self.container = event.container
        self._connect()

    def _connect(self) -> None:
        consumer = self.consumer
        self.generation += 1
        self.connection = consumer.endpoint.connect(self.container)
        self.receiver = self.container.create_receiver(self.connection, consumer.address)

    def on_link_opened(self, event: Any) -> None:
        if event.link.is_receiver and event.connection == self.connection:
            self.receiver.flow(self.consumer.prefetch)
            self.delay = self.consumer.reconnect_delay
            self.consumer.report(None)

    def on_message(self, event: Any) -> None:
        self.consumer.arrive((self.generation, event.delivery, from_proton(event.message)))

    def settle_delivery(self, generation: int, delivery: Any, outcome: Any) -> None:
        # A delivery of a lost connection is void: the broker requeued it.
        if generation != self.generation or delivery.settled:
            return
        delivery.update(outcome)
        delivery.settle()
        self.receiver.flow(1)

    # -- failures: every one ends the connection and starts the next try --------------

    def on_link_error(self, event: Any) -> None:
        self._lost(f"the broker closed the link: {condition_text(event.link)}")

    def on_session_error(self, event: Any) -> None:
        self._lost(f"the broker closed the session: {condition_text(event.session)}")

    def on_connection_error(self, event: Any) -> None:
        self._lost(f"the broker closed the connection: {condition_text(event.connection)}")

    def on_transport_error(self, event: Any) -> None:
        self._lost(condition_text(event.transport))

    def on_disconnected(self, event: Any) -> None:
        self._lost("disconnected")

    def _lost(self, why: str) -> None:
        connection, self.connection, self.receiver = self.connection, None, None
        if connection is None:
            return  # this connection's loss is handled already
        connection.close()
        if self.closing:
            return
        self.consumer.report(why)
        self.timer = self.container.schedule(self.delay, self)
        self.delay = min(self.delay * 2, self.consumer.max_reconnect_delay)

    def on_timer_task(self, event: Any) -> None:
        self.timer = None
        if self.connection is None and not self.closing:
            self._connect()

    def shutdown(self) -> None:
        if self.timer is not None:
            self.timer.cancel()  # a pending timer would keep the container running
        super().shutdown()


class Amqp10Consumer:
    """Consume ``queue`` over AMQP 1.0 and yield ``Delivery`` values (AmqpSource's engine).

    The queue is read through RabbitMQ's address ``/amq/queue/<queue>``, which names
    an existing queue and declares nothing.
    """

    def __init__(
        self,
        *,
        url: str,
        queue: str,
        prefetch: int,
        key: Callable[[Received], str],
        reconnect_delay: float,
        max_reconnect_delay: float,
        connect_timeout: float,
        name: str,
    ) -> None:
        self.url = url
        self.endpoint = Endpoint.parse(url)
        self.queue = queue
        self.address = f"/amq/queue/{queue}"
        self.prefetch = prefetch
        self.key = key
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.connect_timeout = connect_timeout
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._arrivals: asyncio.Queue[Arrival] = asyncio.Queue()
        self._opened: asyncio.Future[None] | None = None
        self._handler: _Receiving | None = None
        self._thread: ProtonThread | None = None
        self._delayed: set[asyncio.Task[None]] = set()

    # -- called from the proton thread ------------------------------------------------

    def _to_loop(self, function: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
                loop.call_soon_threadsafe(function, *args)

    def arrive(self, arrival: Arrival) -> None:
        self._to_loop(self._arrivals.put_nowait, arrival)

    def report(self, error: str | None) -> None:
        """Tell the loop the link opened (``None``) or the connection was lost."""
        self._to_loop(self._on_report, error)

    def _on_report(self, error: str | None) -> None:
        opened = self._opened
        if opened is not None and not opened.done():
            if error is None:
                opened.set_result(None)
            else:
                opened.set_exception(
                    CESDKError(
                        f"cannot consume queue {self.queue!r} over AMQP 1.0 at "
                        f"{redact(self.url)}: {error}"
                    )
                )
        elif error is not None:
            log.warning(
                "AMQP 1.0 connection to %s lost (%s); reconnecting to consume %r",
                redact(self.url),
                error,
                self.queue,
            )
        else:
            log.info("AMQP 1.0 connection to %s re-established", redact(self.url))

    # -- opening and closing ----------------------------------------------------------

    async def open(self) -> None:
        """Start the thread and wait for the link; keep retrying in the background after.

        Raises:
            CESDKError: the first connection or link failed, with the broker's reason.
        """
        self._loop = asyncio.get_running_loop()
        self._arrivals = asyncio.Queue()
        self._opened = self._loop.create_future()
        self._handler = _Receiving(self)
        self._thread = ProtonThread(self._handler, name=f"{self.name}-{self.queue}")
        self._thread.start()
        try:
            async with asyncio.timeout(self.connect_timeout + 1):
                await self._opened
        except BaseException as exc:
            await self.close()
            if isinstance(exc, TimeoutError):
                raise CESDKError(
                    f"no AMQP 1.0 link to queue {self.queue!r} at {redact(self.url)} within "
                    f"{self.connect_timeout}s; is RabbitMQ's rabbitmq_amqp1_0 plugin enabled?"
                ) from None
            raise

    async def close(self) -> None:
        tasks = list(self._delayed)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        thread, self._thread = self._thread, None
        if thread is not None:
            # Closing the connection hands every unsettled message back to the queue.
            await asyncio.get_running_loop().run_in_executor(None, thread.stop)
        self._loop = None

    # -- settling -------------------------------------------------------------------

    def _settle(self, generation: int, delivery: Any, outcome: Any) -> Callable[[], None]:
        handler = self._handler

        def settle() -> None:
            if handler is not None:
                handler.settle_delivery(generation, delivery, outcome)

        return settle

    def _call(self, function: Callable[[], None]) -> None:
        if self._thread is not None:
            self._thread.call(function)

    def delivery(self, arrival: Arrival) -> Delivery:
        generation, proton_delivery, received = arrival
        try:
            event, error = from_amqp(received.message), None
        except Exception as exc:  # a malformed message must become a dead letter, not a crash
            event, error = None, exc
        accept = self._settle(generation, proton_delivery, ACCEPTED)
        # RabbitMQ 3.x's plugin does not support the "modified" outcome; "released"
        # puts the message back in the queue.
        release = self._settle(generation, proton_delivery, RELEASED)

        async def ack() -> None:
            self._call(accept)  # delivered, or dead-lettered

        async def nack(delay: float | None) -> None:
            if not delay or delay <= 0:
                self._call(release)
                return
            task = asyncio.create_task(self._release_later(release, delay))
            self._delayed.add(task)
            task.add_done_callback(self._delayed.discard)

        return Delivery(
            event,
            lambda: raw_message(received, queue=self.queue, address=self.address),
            error,
            on_ack=ack,
            on_nack=nack,
            key=self.key(received),
        )

    async def _release_later(self, release: Callable[[], None], delay: float) -> None:
        # Held unsettled meanwhile: it counts against the credit, and a close hands it
        # back to the queue at once.
        await asyncio.sleep(delay)
        self._call(release)

    def is_current(self, arrival: Arrival) -> bool:
        return self._handler is not None and arrival[0] == self._handler.generation

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        while True:
            arrival = await self._arrivals.get()
            if not self.is_current(arrival):
                continue  # void: the broker requeued it when the connection was lost
            yield self.delivery(arrival)
