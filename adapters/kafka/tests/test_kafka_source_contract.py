"""KafkaSource passes the public source contract against a real Kafka-protocol broker."""

from __future__ import annotations

import pytest

from cesdk import CloudEvent
from cesdk.bindings.kafka import KafkaMessage, to_binary
from cesdk.testing import SourceContract
from cesdk_kafka import KafkaSource
from cesdk_kafka.testing import KafkaBroker
from kafka_helpers import produce, source_for


class TestKafkaSourceContract(SourceContract):
    timeout = 30.0

    @pytest.fixture(autouse=True)
    async def _topic(self, kafka_broker: KafkaBroker) -> None:
        self.broker = kafka_broker
        self.topic = await kafka_broker.create_topic(partitions=1)

    async def open_source(self) -> KafkaSource:
        return source_for(self.broker, self.topic)

    async def publish(self, event: CloudEvent) -> None:
        await produce(self.broker, self.topic, [to_binary(event)])

    async def publish_raw(self, body: bytes) -> None:
        await produce(self.broker, self.topic, [KafkaMessage(None, body, [])])
