"""KafkaSink.send_batch: the records go out together, each with its own outcome."""

from __future__ import annotations

from cesdk import CloudEvent, PermanentDeliveryError, RetryableDeliveryError
from cesdk.testing import contract_event
from cesdk_kafka import KafkaSink
from cesdk_kafka.testing import KafkaBroker
from kafka_helpers import TopicReader


async def test_a_batch_is_produced_in_order_and_a_too_large_record_fails_alone(
    kafka_broker: KafkaBroker,
) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    big = CloudEvent(type="t", source="/s", id="big", data=b"x" * 50_000)
    events = [contract_event(1), big, contract_event(2), contract_event(3)]
    sink = KafkaSink(topic, bootstrap_servers=kafka_broker.bootstrap, max_request_size=10_000)
    async with sink:
        outcomes = await sink.send_batch(events)
    assert outcomes[0] is None
    assert isinstance(outcomes[1], PermanentDeliveryError)
    assert outcomes[2:] == [None, None]
    async with TopicReader(kafka_broker, topic) as reader:
        got = await reader.events(3)
    assert [ev.id for ev in got] == [events[0].id, events[2].id, events[3].id]


async def test_a_closed_sink_fails_every_event_retryably(kafka_broker: KafkaBroker) -> None:
    sink = KafkaSink("unused", bootstrap_servers=kafka_broker.bootstrap)
    outcomes = await sink.send_batch([contract_event(1), contract_event(2)])
    assert len(outcomes) == 2
    assert all(isinstance(o, RetryableDeliveryError) for o in outcomes)
