"""Helpers shared by the Kafka adapter tests: produce raw records, read a topic back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from cesdk import CloudEvent
from cesdk.bindings.kafka import KafkaMessage, from_kafka
from cesdk_kafka import KafkaSource
from cesdk_kafka.testing import KafkaBroker


def group_name() -> str:
    """A fresh consumer group, so each test starts without committed offsets."""
    return f"cesdk-test-{uuid.uuid4().hex[:10]}"


def source_for(broker: KafkaBroker, topic: str, **options: Any) -> KafkaSource:
    """A KafkaSource on ``topic`` in a fresh group, with the broker's test timeouts."""
    options.setdefault("group_id", group_name())
    options.setdefault("commit_interval", 0.2)
    consumer_options = {**broker.consumer_options, **options.pop("consumer_options", {})}
    return KafkaSource(
        topic,
        bootstrap_servers=broker.bootstrap,
        consumer_options=consumer_options,
        **options,
    )


async def produce(
    broker: KafkaBroker,
    topic: str,
    messages: Sequence[KafkaMessage],
    *,
    partition: int | None = None,
) -> None:
    """Produce records as any producer would, and wait until each is acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    await producer.start()
    try:
        # aiokafka refuses a record with neither key nor value: such a one (an event
        # without data) gets an empty key.
        sent = [
            await producer.send(
                topic,
                m.value,
                key=b"" if m.key is None and m.value is None else m.key,
                headers=list(m.headers),
                partition=partition,
            )
            for m in messages
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


class TopicReader:
    """Read every record of a topic from the beginning, without a consumer group."""

    def __init__(self, broker: KafkaBroker, topic: str) -> None:
        self.broker = broker
        self.topic = topic
        self.records: list[Any] = []
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> TopicReader:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.broker.bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        partitions: set[int] | None = None
        async with asyncio.timeout(15):
            while not partitions:
                await consumer._client.force_metadata_update()
                partitions = consumer.partitions_for_topic(self.topic)
        consumer.assign([TopicPartition(self.topic, p) for p in sorted(partitions)])
        self._consumer = consumer
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def wait_for(self, count: int, timeout: float = 20.0) -> list[Any]:
        """Wait until ``count`` records were read; return all read so far."""
        assert self._consumer is not None
        async with asyncio.timeout(timeout):
            while len(self.records) < count:
                batch = await self._consumer.getmany(timeout_ms=100)
                for records in batch.values():
                    self.records.extend(records)
        return self.records

    async def events(self, count: int, timeout: float = 20.0) -> list[CloudEvent]:
        """Wait for ``count`` records and decode them as CloudEvents."""
        return [from_kafka(r) for r in await self.wait_for(count, timeout)]
