"""KafkaSource: a consumer group member that commits only what the pipeline settled."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, cast

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from cesdk import Delivery, RawMessage
from cesdk.bindings.kafka import from_kafka
from cesdk_kafka._connection import Connection
from cesdk_kafka._offsets import PartitionOffsets

__all__ = ["KafkaSource"]

log = logging.getLogger("cesdk.kafka")

# aiokafka is untyped: a ConsumerRecord[bytes, bytes] (topic, partition, offset, key,
# value, headers).
_Record = Any


def _text(raw: bytes | None) -> str | None:
    # surrogateescape keeps every byte: the dead letter writes them as \\u escapes.
    return None if raw is None else raw.decode("utf-8", "surrogateescape")


def _raw(record: _Record) -> RawMessage:
    headers = tuple((name, _text(value) or "") for name, value in record.headers or ())
    metadata = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": _text(record.key),
    }
    return RawMessage(record.value or b"", headers, metadata)


_NOT_BUILT = RawMessage()  # a marker; never handed out


class _KafkaDelivery(Delivery):
    """A record's delivery; settling it tells the source, with no closures per record."""

    __slots__ = ("_offsets", "_owner", "_record", "_tp")

    def __init__(
        self, owner: KafkaSource, tp: TopicPartition, offsets: PartitionOffsets, record: _Record
    ) -> None:
        try:
            event, error = from_kafka(record), None
        except Exception as exc:  # a source never crashes on bad input
            event, error = None, exc
        # Delivery's fields, set directly: this runs once per record.
        self.event = event
        self._raw = _NOT_BUILT  # built only if someone reads it (a dead letter)
        self.error = error
        self.key = f"{record.topic}/{record.partition}"
        self.settled = None
        self._on_retry = None
        self.dead_letters = []
        self._owner = owner
        self._tp = tp
        self._offsets = offsets
        self._record = record

    @property
    def raw(self) -> RawMessage:
        raw = self._raw
        if raw is _NOT_BUILT:
            raw = self._raw = _raw(self._record)
        return cast(RawMessage, raw)

    async def ack(self) -> None:
        if self.settled is None:
            self.settled = "ack"
            self._owner._settle(self._tp, self._offsets, self._record.offset)

    async def nack(self, delay: float | None = None) -> None:
        if self.settled is None:
            self.settled = "nack"
            self._owner._requeue(self._tp, self._offsets, self._record, delay)


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka is untyped
    def __init__(self, source: KafkaSource) -> None:
        self.source = source

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        await self.source._revoke(set(revoked))

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.source._assign(set(assigned))


class KafkaSource:
    """Read CloudEvents from Kafka topics as a consumer group member.

    Records are decoded in binary or structured mode, whichever each one uses; one that
    is not a CloudEvent becomes a delivery with ``event=None`` whose ``raw`` keeps the
    value, the headers and ``topic``/``partition``/``offset``/``key``.

    Offsets are committed manually, per partition, up to the highest *contiguous*
    settled offset: a record still in flight, or nacked and waiting to be delivered
    again, holds its partition's commit back, so a crash redelivers it and never loses
    it. Commits happen every ``commit_interval`` seconds, when partitions are revoked
    and on close. On revocation the source stops handing out records of the revoked
    partitions and waits up to ``revoke_timeout`` seconds for their in-flight records
    to settle before committing. A partition with ``max_pending`` records not yet
    committable is paused until the backlog halves. ``Delivery.key`` is
    ``"topic/partition"``: ``Pipeline(ordering="delivery")`` keeps partition order.

    Args:
        topics: a topic name or names; or give ``pattern``.
        pattern: a regular expression of topic names to subscribe to.
        bootstrap_servers: ``host:port`` (comma-separated) or a list.
        group_id: the consumer group.
        start: where a group without committed offsets starts: ``"earliest"`` or
            ``"latest"``.
        commit_interval: seconds between offset commits.
        max_pending: records per partition fetched but not committable before the
            partition is paused.
        max_records: records fetched per poll at most.
        revoke_timeout: seconds to wait for in-flight records on revocation.
        max_nack_delay: the longest a nacked record waits before redelivery.
        client_id, security_protocol, ssl_context, ssl_cafile, ssl_certfile,
            ssl_keyfile, sasl_mechanism, sasl_username, sasl_password: see
            ``Connection``: TLS and SASL PLAIN / SCRAM.
        consumer_options: more ``AIOKafkaConsumer`` keyword arguments (timeouts).

    Example:
        ::

            source = KafkaSource("orders", bootstrap_servers="kafka:9092", group_id="notify")
            await cesdk.Pipeline(source, routes=[cesdk.Route(sink)],
                                 ordering="delivery").run()
    """

    def __init__(
        self,
        topics: str | Sequence[str] = (),
        *,
        pattern: str | None = None,
        bootstrap_servers: str | Sequence[str] = "localhost:9092",
        group_id: str = "cesdk",
        start: Literal["earliest", "latest"] = "earliest",
        commit_interval: float = 1.0,
        max_pending: int = 10_000,
        max_records: int = 500,
        revoke_timeout: float = 10.0,
        max_nack_delay: float = 60.0,
        client_id: str = "cesdk",
        security_protocol: str | None = None,
        ssl_context: Any = None,
        ssl_cafile: str | None = None,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        sasl_mechanism: str | None = None,
        sasl_username: str | None = None,
        sasl_password: str | None = None,
        consumer_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.topics = (topics,) if isinstance(topics, str) else tuple(topics)
        if bool(self.topics) == (pattern is not None):
            raise ValueError("give topics or a pattern, not both and not neither")
        if start not in ("earliest", "latest"):
            raise ValueError(f"start must be 'earliest' or 'latest', not {start!r}")
        if max_pending < 1 or max_records < 1:
            raise ValueError("max_pending and max_records must be at least 1")
        self.pattern = pattern
        self.group_id = group_id
        self.start = start
        self.commit_interval = commit_interval
        self.max_pending = max_pending
        self.max_records = max_records
        self.revoke_timeout = revoke_timeout
        self.max_nack_delay = max_nack_delay
        self.connection = Connection(
            bootstrap_servers=bootstrap_servers,
            client_id=client_id,
            security_protocol=security_protocol,
            ssl_context=ssl_context,
            ssl_cafile=ssl_cafile,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            sasl_mechanism=sasl_mechanism,
            sasl_username=sasl_username,
            sasl_password=sasl_password,
        )
        self.consumer_options = dict(consumer_options or {})
        self._consumer: AIOKafkaConsumer | None = None
        self._partitions: dict[TopicPartition, PartitionOffsets] = {}
        self._paused: set[TopicPartition] = set()
        self._generation = 0
        self._retry: list[tuple[float, int, TopicPartition, PartitionOffsets, _Record]] = []
        self._order = itertools.count()
        self._settled = asyncio.Event()
        self._commit_task: asyncio.Task[None] | None = None
        self._buffered: deque[tuple[int, TopicPartition, _Record]] = deque()

    def __repr__(self) -> str:
        what = self.pattern if self.pattern is not None else ",".join(self.topics)
        return f"KafkaSource({what!r}, group_id={self.group_id!r})"

    # -- lifecycle ------------------------------------------------------------------

    async def __aenter__(self) -> KafkaSource:
        options = {
            "group_id": self.group_id,
            "enable_auto_commit": False,
            "auto_offset_reset": self.start,
            **self.consumer_options,
        }
        consumer = AIOKafkaConsumer(**self.connection.client_options(options))
        listener = _Listener(self)
        if self.pattern is not None:
            consumer.subscribe(pattern=self.pattern, listener=listener)
        else:
            consumer.subscribe(topics=list(self.topics), listener=listener)
        await consumer.start()
        self._consumer = consumer
        self._commit_task = asyncio.create_task(self._commit_periodically())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        consumer, self._consumer = self._consumer, None
        if self._commit_task is not None:
            self._commit_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._commit_task
            self._commit_task = None
        if consumer is None:
            return
        try:
            await self._commit(consumer, self._partitions)
        finally:
            self._partitions.clear()
            self._paused.clear()
            self._retry.clear()
            self._buffered.clear()
            await consumer.stop()

    # -- rebalancing ----------------------------------------------------------------

    def _assign(self, assigned: set[TopicPartition]) -> None:
        self._generation += 1
        for tp in assigned:
            self._partitions[tp] = PartitionOffsets()
        log.info("%r: assigned %s", self, sorted(f"{tp.topic}/{tp.partition}" for tp in assigned))

    async def _revoke(self, revoked: set[TopicPartition]) -> None:
        # Records already fetched for these partitions are no longer handed out...
        self._generation += 1
        self._retry = [item for item in self._retry if item[2] not in revoked]
        heapq.heapify(self._retry)
        leaving = {tp: self._partitions[tp] for tp in revoked if tp in self._partitions}
        # ...those in flight may settle for a while, then the settled prefix is committed.
        deadline = time.monotonic() + self.revoke_timeout
        while any(offsets.in_flight for offsets in leaving.values()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning(
                    "%r: revoked partitions still have records in flight after "
                    "%.1fs; committing only what settled",
                    self,
                    self.revoke_timeout,
                )
                break
            self._settled.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), remaining)
        if self._consumer is not None:
            await self._commit(self._consumer, leaving)
        for tp in leaving:
            del self._partitions[tp]
            self._paused.discard(tp)

    # -- settlement and commits -----------------------------------------------------

    def _settle(self, tp: TopicPartition, offsets: PartitionOffsets, offset: int) -> None:
        if self._partitions.get(tp) is not offsets:
            return  # revoked meanwhile: whoever owns the partition now redelivers it
        offsets.settle(offset)
        if tp in self._paused and offsets.pending <= self.max_pending // 2:
            self._paused.discard(tp)
            if self._consumer is not None:
                self._consumer.resume(tp)
        self._settled.set()

    def _requeue(
        self, tp: TopicPartition, offsets: PartitionOffsets, record: _Record, delay: float | None
    ) -> None:
        if self._partitions.get(tp) is not offsets:
            return
        offsets.requeue()
        due = time.monotonic() + min(max(delay or 0.0, 0.0), self.max_nack_delay)
        heapq.heappush(self._retry, (due, next(self._order), tp, offsets, record))
        self._settled.set()

    async def _commit(
        self, consumer: AIOKafkaConsumer, partitions: Mapping[TopicPartition, PartitionOffsets]
    ) -> None:
        positions = {}
        for tp, offsets in partitions.items():
            position = offsets.committable()
            if position is not None:
                positions[tp] = position
        if not positions:
            return
        try:
            await consumer.commit(positions)
        except KafkaError as exc:
            # The next commit, or the next owner after a rebalance, covers it: nothing
            # settled is lost, at worst some records are delivered again.
            log.warning("%r: offset commit failed: %r", self, exc)
            return
        for tp, position in positions.items():
            partitions[tp].committed = position

    async def _commit_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.commit_interval)
            if self._consumer is not None:
                await self._commit(self._consumer, dict(self._partitions))

    @property
    def paused(self) -> frozenset[str]:
        """The partitions paused for backpressure, as ``"topic/partition"``."""
        return frozenset(f"{tp.topic}/{tp.partition}" for tp in self._paused)

    async def commit(self) -> None:
        """Commit every partition's settled position now."""
        if self._consumer is not None:
            await self._commit(self._consumer, dict(self._partitions))

    # -- iteration ------------------------------------------------------------------

    def _delivery(self, tp: TopicPartition, offsets: PartitionOffsets, record: _Record) -> Delivery:
        return _KafkaDelivery(self, tp, offsets, record)

    def _due_retry(self) -> Delivery | None:
        retry = self._retry
        while retry and retry[0][0] <= time.monotonic():
            _, _, tp, offsets, record = heapq.heappop(retry)
            if self._partitions.get(tp) is offsets:
                offsets.redeliver()
                return self._delivery(tp, offsets, record)
        return None

    def _poll_timeout_ms(self) -> int:
        # Nacked records become due while the consumer waits: never wait past them.
        wait = 0.1
        if self._retry:
            wait = min(wait, max(self._retry[0][0] - time.monotonic(), 0.0))
        return int(wait * 1000)

    def _next_buffered(self, consumer: AIOKafkaConsumer) -> Delivery | None:
        buffered = self._buffered  # outlives an abandoned iterator: nothing fetched is lost
        while buffered:
            generation, tp, record = buffered.popleft()
            offsets = self._partitions.get(tp)
            if generation != self._generation or offsets is None:
                continue  # fetched before a rebalance: refetched from the commit
            offsets.track(record.offset)
            if offsets.pending >= self.max_pending and tp not in self._paused:
                self._paused.add(tp)
                consumer.pause(tp)
            return self._delivery(tp, offsets, record)
        return None

    async def _fetch(self, consumer: AIOKafkaConsumer) -> None:
        batch = await consumer.getmany(
            timeout_ms=self._poll_timeout_ms(), max_records=self.max_records
        )
        generation = self._generation
        for tp, records in batch.items():
            self._buffered.extend((generation, tp, record) for record in records)

    def _consumer_or_raise(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError(f"{self!r} is not open: use it with 'async with'")
        return self._consumer

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        consumer = self._consumer_or_raise()
        while True:
            delivery = self._due_retry() or self._next_buffered(consumer)
            if delivery is not None:
                yield delivery
            else:
                await self._fetch(consumer)

    async def batches(self) -> AsyncIterator[list[Delivery]]:
        """Yield what each poll fetched (and nacked records now due) as one list.

        The pipeline uses this instead of iterating delivery by delivery; the
        offsets, pausing and commits are the same.
        """
        consumer = self._consumer_or_raise()
        while True:
            batch: list[Delivery] = []
            while (delivery := self._due_retry() or self._next_buffered(consumer)) is not None:
                batch.append(delivery)
                if len(batch) >= self.max_records:
                    break
            if batch:
                yield batch
            else:
                await self._fetch(consumer)
