"""NatsSource: core subscriptions (at most once) or a durable JetStream pull consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext, api

from cesdk import CESDKError, Delivery
from cesdk_nats._connection import connect, flush_to_server, server_list
from cesdk_nats._deliveries import make_delivery

__all__ = ["NatsSource"]

log = logging.getLogger("cesdk_nats")

# While the connection is down, fetches fail; wait this long between tries.
_RECONNECT_POLL = 0.1


class NatsSource:
    """Receive CloudEvents from NATS subjects, binary or structured, told apart per message.

    **Core mode** (the default) subscribes to ``subjects`` (wildcards ``*`` and ``>``
    allowed), optionally in a queue ``queue`` group so that several processes share the
    work. Core NATS is **at most once**: a message published while no subscriber is
    connected, or held by a process that stops, is gone. Entering the source returns
    once the server has registered the subscriptions, so everything published after
    that reaches it. A nacked message is retried in this process only.

    **JetStream mode** (``jetstream=True``) reads through a durable pull consumer: it
    creates the consumer (or binds to one that exists), fetches in batches, and
    settles each message when the pipeline settles it: ``ack``; ``nak(delay)`` for a
    retry; ``term`` for an undecodable message once it is dead-lettered. While a
    delivery is unsettled, ``in_progress`` is sent every ``progress_interval``
    seconds so that a long delivery is not redelivered to another worker. Messages
    are kept until acked: stopping, crashing or a broker restart loses nothing.

    Undecodable messages become deliveries with ``event=None``; ``raw.metadata``
    holds ``subject`` and, in JetStream mode, ``stream``, ``consumer``, ``sequence``
    (the stream sequence), ``consumer_sequence`` and ``delivered``. Each delivery's
    ``key`` is its subject (``Pipeline(ordering="delivery")``).

    Args:
        subjects: one subject or several (JetStream: the consumer's filter subjects).
        servers: ``nats://host:port`` URLs (a list, or comma-separated).
        queue: core mode: the queue group.
        jetstream: read through a JetStream pull consumer.
        stream: JetStream: the stream; looked up from the subject when omitted.
        durable: JetStream: the durable consumer's name.
        create: JetStream: create the consumer when it does not exist; ``False``
            binds to an existing one only.
        batch: JetStream: messages per fetch.
        fetch_timeout: JetStream: seconds a fetch waits for messages.
        ack_wait: JetStream: seconds the server waits for an ack before redelivering
            (a new consumer's setting).
        max_deliver: JetStream: deliveries at most per message (a new consumer's
            setting); ``None`` is unlimited.
        ordered: JetStream: strict stream order, retries included: the consumer hands
            out one message at a time (``max_ack_pending=1``).
        progress_interval: JetStream: seconds between ``in_progress`` heartbeats for
            unsettled deliveries; a third of ``ack_wait`` by default.
        name: the client name the server shows.
        connect_options: further ``nats.connect`` keywords (credentials, TLS, ...).

    Example:
        ::

            source = NatsSource("events.>", jetstream=True, stream="EVENTS",
                                durable="notifier", servers="nats://127.0.0.1:4222")
    """

    def __init__(
        self,
        subjects: str | Sequence[str],
        *,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
        queue: str | None = None,
        jetstream: bool = False,
        stream: str | None = None,
        durable: str | None = None,
        create: bool = True,
        batch: int = 64,
        fetch_timeout: float = 1.0,
        ack_wait: float = 30.0,
        max_deliver: int | None = None,
        ordered: bool = False,
        progress_interval: float | None = None,
        name: str = "cesdk-nats-source",
        connect_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.subjects = [subjects] if isinstance(subjects, str) else list(subjects)
        if not self.subjects:
            raise ValueError("NatsSource needs at least one subject")
        if jetstream and durable is None and not create:
            raise ValueError("binding to an existing consumer (create=False) needs durable=")
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self.servers = server_list(servers)
        self.queue = queue
        self.jetstream = jetstream
        self.stream = stream
        self.durable = durable
        self.create = create
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        self.ack_wait = ack_wait
        self.max_deliver = max_deliver
        self.ordered = ordered
        self.progress_interval = progress_interval or ack_wait / 3
        self.name = name
        self.connect_options = dict(connect_options or {})
        self._nc: Client | None = None
        self._pull: JetStreamContext.PullSubscription | None = None
        self._subs: list[Subscription] = []
        self._queue: asyncio.Queue[Msg] | None = None
        self._unsettled: dict[int, Msg] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._progress: asyncio.Task[None] | None = None

    # -- opening and closing ----------------------------------------------------------

    async def __aenter__(self) -> NatsSource:
        self._nc = await connect(self.servers, name=self.name, options=self.connect_options)
        try:
            if self.jetstream:
                self._pull = await self._consumer(self._nc.jetstream())
                self._progress = asyncio.create_task(self._heartbeats())
            else:
                self._queue = asyncio.Queue(maxsize=max(self.batch, 1) * 4)
                for subject in self.subjects:
                    sub = await self._nc.subscribe(subject, queue=self.queue or "", cb=self._put)
                    self._subs.append(sub)
                await self._registered(self._nc)
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def _close(self) -> None:
        tasks = [*self._tasks, *([self._progress] if self._progress else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._progress = None
        nc, self._nc = self._nc, None
        self._pull, self._subs, self._queue = None, [], None
        unsettled = list(self._unsettled.values())
        self._unsettled.clear()
        if nc is not None:
            for msg in unsettled:
                # Fetched but never settled (still in the batch, or abandoned): hand it
                # back now rather than after ack_wait.
                with contextlib.suppress(Exception):
                    await msg.nak()
            with contextlib.suppress(Exception):
                # acks and naks sent just before closing reach the server
                await flush_to_server(nc, timeout=2)
            with contextlib.suppress(Exception):
                await nc.close()

    async def _consumer(self, js: JetStreamContext) -> JetStreamContext.PullSubscription:
        if not self.create:
            assert self.durable is not None  # checked in __init__
            stream = self.stream or await js.find_stream_name_by_subject(self.subjects[0])
            try:
                await js.consumer_info(stream, self.durable)
            except nats.js.errors.NotFoundError:
                raise CESDKError(
                    f"JetStream consumer {self.durable!r} not found in stream {stream!r}; "
                    "create it, or pass create=True"
                ) from None
            return await js.pull_subscribe_bind(durable=self.durable, stream=stream)
        config = api.ConsumerConfig(
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
            max_ack_pending=1 if self.ordered else None,
        )
        if len(self.subjects) > 1:
            config.filter_subjects = list(self.subjects)
        return await js.pull_subscribe(
            self.subjects[0], durable=self.durable, stream=self.stream, config=config
        )

    # -- core mode ------------------------------------------------------------------

    async def _registered(self, nc: Client) -> None:
        # Opened means subscribed: core NATS drops what is published to a subject
        # before the server has registered a subscription to it.
        try:
            await flush_to_server(nc)
        except nats.errors.TimeoutError as exc:
            raise CESDKError(
                f"NATS at {', '.join(self.servers)} did not confirm the subscription to "
                f"{', '.join(self.subjects)} in time; is the server overloaded?"
            ) from exc

    async def _put(self, msg: Msg) -> None:
        # Awaiting a full queue holds back this subscription: backpressure in the
        # client, until its pending limit makes the server see a slow consumer.
        if self._queue is not None:
            await self._queue.put(msg)

    def _core_delivery(self, msg: Msg) -> Delivery:
        async def nack(delay: float | None) -> None:
            # Core NATS cannot redeliver: retry in this process only.
            task = asyncio.create_task(self._requeue(msg, delay))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return make_delivery(msg, jetstream=False, on_nack=nack)

    async def _requeue(self, msg: Msg, delay: float | None) -> None:
        if delay:
            await asyncio.sleep(delay)
        await self._put(msg)

    # -- JetStream mode -------------------------------------------------------------

    def _js_delivery(self, msg: Msg) -> Delivery:
        token = id(msg)
        self._unsettled[token] = msg
        undecodable = False

        async def ack() -> None:
            self._unsettled.pop(token, None)
            # An undecodable message was dead-lettered: term it so it never returns.
            await (msg.term() if undecodable else msg.ack())

        async def nack(delay: float | None) -> None:
            self._unsettled.pop(token, None)
            await msg.nak(delay=delay)

        delivery = make_delivery(msg, jetstream=True, on_ack=ack, on_nack=nack)
        undecodable = delivery.event is None
        return delivery

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.progress_interval)
            for msg in list(self._unsettled.values()):
                with contextlib.suppress(Exception):  # a lost heartbeat costs a redelivery
                    await msg.in_progress()

    async def _fetch(self) -> list[Msg]:
        assert self._pull is not None
        assert self._nc is not None
        while True:
            if not self._nc.is_connected:
                await asyncio.sleep(_RECONNECT_POLL)
                continue
            try:
                return await self._pull.fetch(self.batch, timeout=self.fetch_timeout)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except (
                nats.errors.ConnectionReconnectingError,
                nats.errors.StaleConnectionError,
                nats.errors.ConnectionClosedError,
                nats.js.errors.ServiceUnavailableError,
                nats.js.errors.ServerError,
            ) as exc:
                if self._nc.is_closed:
                    raise
                log.info("NATS fetch failed (%r); trying again", exc)
                await asyncio.sleep(_RECONNECT_POLL)

    # -- iterating ------------------------------------------------------------------

    async def batches(self) -> AsyncIterator[list[Delivery]]:
        """Yield each JetStream fetch (or, in core mode, what is queued) as one list.

        The pipeline uses this instead of iterating delivery by delivery; settlement
        is the same.
        """
        if self._nc is None:
            raise RuntimeError("enter the source first: async with NatsSource(...) as source")
        if self.jetstream:
            while True:
                msgs = await self._fetch()
                if msgs:
                    yield [self._js_delivery(msg) for msg in msgs]
        else:
            queue = self._queue
            assert queue is not None
            while True:
                batch = [self._core_delivery(await queue.get())]
                while len(batch) < self.batch and not queue.empty():
                    batch.append(self._core_delivery(queue.get_nowait()))
                yield batch

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        if self._nc is None:
            raise RuntimeError("enter the source first: async with NatsSource(...) as source")
        if self.jetstream:
            while True:
                # Every fetched message is tracked (and heartbeated) from now on, not
                # only from when the pipeline takes it.
                for delivery in [self._js_delivery(msg) for msg in await self._fetch()]:
                    yield delivery
        else:
            queue = self._queue
            assert queue is not None
            while True:
                yield self._core_delivery(await queue.get())
