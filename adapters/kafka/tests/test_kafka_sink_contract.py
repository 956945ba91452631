"""KafkaSink passes the public sink contract against a real Kafka-protocol broker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cesdk import CloudEvent
from cesdk.testing import SinkContract, free_port
from cesdk_kafka import KafkaSink
from cesdk_kafka.testing import KafkaBroker
from kafka_helpers import TopicReader


class TestKafkaSinkContract(SinkContract):
    timeout = 20.0

    @pytest.fixture(autouse=True)
    async def _topic(self, kafka_broker: KafkaBroker) -> AsyncIterator[None]:
        self.broker = kafka_broker
        # One partition: the reader sees the records in the order they were sent.
        self.topic = await kafka_broker.create_topic(partitions=1)
        async with TopicReader(kafka_broker, self.topic) as reader:
            self.reader = reader
            yield

    async def open_sink(self) -> KafkaSink:
        return KafkaSink(self.topic, bootstrap_servers=self.broker.bootstrap)

    async def received(self, count: int, timeout: float) -> list[CloudEvent]:
        return await self.reader.events(count, timeout)

    async def open_unreachable_sink(self) -> KafkaSink:
        return KafkaSink(
            self.topic,
            bootstrap_servers=f"127.0.0.1:{free_port()}",
            producer_options={"request_timeout_ms": 2000},
        )


class TestKafkaSinkStructuredContract(TestKafkaSinkContract):
    async def open_sink(self) -> KafkaSink:
        return KafkaSink(self.topic, bootstrap_servers=self.broker.bootstrap, mode="structured")
