"""KafkaSource against a real broker: commits, nacks, undecodable records, backpressure,
rebalancing and partition order."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition

import cesdk
from cesdk import Delivery
from cesdk.bindings.kafka import KafkaMessage, to_binary, to_structured
from cesdk.testing import CapturingSink, contract_event
from cesdk_kafka import KafkaSink, KafkaSource
from cesdk_kafka.testing import KafkaBroker
from kafka_helpers import TopicReader, group_name, produce, source_for


async def committed(broker: KafkaBroker, group: str, topic: str, partition: int = 0) -> int | None:
    """The offset the group committed for a partition, as the broker reports it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group)
    await consumer.start()
    try:
        result: int | None = await consumer.committed(TopicPartition(topic, partition))
        return result
    finally:
        await consumer.stop()


async def take(source: KafkaSource, count: int, timeout: float = 20.0) -> list[Delivery]:
    iterator = aiter(source)
    got = []
    async with asyncio.timeout(timeout):
        while len(got) < count:
            got.append(await anext(iterator))
    return got


async def wait_committed(
    broker: KafkaBroker, group: str, topic: str, expected: int, timeout: float = 15.0
) -> None:
    async with asyncio.timeout(timeout):
        while await committed(broker, group, topic) != expected:
            await asyncio.sleep(0.05)  # polling the broker: there is no commit notification


async def test_commits_only_the_contiguous_settled_prefix(kafka_broker: KafkaBroker) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    group = group_name()
    await produce(kafka_broker, topic, [to_binary(contract_event(n)) for n in range(6)])
    source = source_for(kafka_broker, topic, group_id=group, commit_interval=60)
    async with source:
        deliveries = await take(source, 6)
        assert [d.raw.metadata["offset"] for d in deliveries] == list(range(6))
        for n in (0, 1, 3, 4, 5):  # offset 2 is still being worked on
            await deliveries[n].ack()
        await source.commit()
        assert await committed(kafka_broker, group, topic) == 2
        await deliveries[2].ack()
        await source.commit()
        assert await committed(kafka_broker, group, topic) == 6


async def test_nacked_record_is_redelivered_and_not_committed_past(
    kafka_broker: KafkaBroker,
) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    group = group_name()
    await produce(kafka_broker, topic, [to_binary(contract_event(n)) for n in range(3)])
    source = source_for(kafka_broker, topic, group_id=group, commit_interval=60)
    async with source:
        first = await take(source, 3)
        await first[0].ack()
        await first[1].nack(0.05)
        await first[2].ack()
        await source.commit()
        assert await committed(kafka_broker, group, topic) == 1
        (again,) = await take(source, 1)
        assert again.event == first[1].event
        await again.ack()
    # Closing commits what settled.
    assert await committed(kafka_broker, group, topic) == 3


async def test_restart_resumes_after_the_committed_offset(kafka_broker: KafkaBroker) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    group = group_name()
    await produce(kafka_broker, topic, [to_binary(contract_event(n)) for n in range(4)])
    async with source_for(kafka_broker, topic, group_id=group) as source:
        deliveries = await take(source, 4)
        await deliveries[0].ack()
        await deliveries[1].ack()
        await deliveries[3].ack()  # 2 never settles: the process "dies" with it in flight
    async with source_for(kafka_broker, topic, group_id=group) as source:
        again = await take(source, 2)
    assert [d.raw.metadata["offset"] for d in again] == [2, 3]


async def test_undecodable_records_keep_bytes_headers_and_position(
    kafka_broker: KafkaBroker,
) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    bad = [
        KafkaMessage(b"k-1", b"\xffnot an event", [("x-trace", b"abc")]),
        KafkaMessage(None, b"{}", [("content-type", b"application/cloudevents+json")]),
        KafkaMessage(None, b"data", [("ce_id", b"1"), ("ce_source", b"\xff")]),
        KafkaMessage(b"k-4", None, []),
    ]
    await produce(kafka_broker, topic, bad)
    async with source_for(kafka_broker, topic) as source:
        deliveries = await take(source, len(bad))
        for delivery in deliveries:
            await delivery.ack()
    first = deliveries[0]
    assert first.event is None
    assert first.error is not None
    assert first.raw.body == b"\xffnot an event"
    assert first.raw.headers == (("x-trace", "abc"),)
    assert first.raw.metadata == {"topic": topic, "partition": 0, "offset": 0, "key": "k-1"}
    assert all(d.event is None and d.error is not None for d in deliveries)
    assert [d.raw.metadata["offset"] for d in deliveries] == [0, 1, 2, 3]


async def test_undecodable_records_reach_the_dead_letter_sink(kafka_broker: KafkaBroker) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    await produce(kafka_broker, topic, [KafkaMessage(b"k", b"\x00\x01junk", [("h", b"v")])])
    dead = CapturingSink()
    pipeline = cesdk.Pipeline(
        source_for(kafka_broker, topic), routes=[cesdk.Route(CapturingSink())], dead_letter=dead
    )
    async with pipeline:
        (letter,) = await dead.wait_for(1, 20)
    assert letter.type == "dev.cesdk.deadletter.undecodable"
    assert letter.data == b"\x00\x01junk"
    assert f'"topic": "{topic}"' in str(letter["deadlettermetadata"])


async def test_binary_and_structured_records_are_both_decoded(kafka_broker: KafkaBroker) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    events = [contract_event(n) for n in range(4)]
    encode = [to_binary, to_structured, to_binary, to_structured]
    await produce(kafka_broker, topic, [f(e) for f, e in zip(encode, events, strict=True)])
    async with source_for(kafka_broker, topic) as source:
        deliveries = await take(source, 4)
    assert [d.event for d in deliveries] == events
    assert {d.key for d in deliveries} == {f"{topic}/0"}


async def test_a_full_partition_is_paused_until_work_settles(kafka_broker: KafkaBroker) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    await produce(kafka_broker, topic, [to_binary(contract_event(n)) for n in range(10)])
    source = source_for(kafka_broker, topic, max_pending=4)
    async with source:
        first = await take(source, 4)
        assert source.paused == {f"{topic}/0"}
        for delivery in first:
            await delivery.ack()
        assert source.paused == frozenset()
        rest = await take(source, 6)
        for delivery in rest:
            await delivery.ack()
    assert [d.raw.metadata["offset"] for d in first + rest] == list(range(10))


async def test_revocation_waits_for_in_flight_work_then_commits(
    kafka_broker: KafkaBroker,
) -> None:
    """A second member joins: the first lets its in-flight work settle, commits it, and
    hands the partitions over; nothing is committed while work is still in flight."""
    topic = await kafka_broker.create_topic(partitions=2)
    group = group_name()
    await produce(kafka_broker, topic, [to_binary(contract_event(n)) for n in range(20)])
    first = source_for(kafka_broker, topic, group_id=group, commit_interval=60)
    second = source_for(kafka_broker, topic, group_id=group, commit_interval=60)
    async with first:
        held = await take(first, 20)
        generation = first._generation
        entering = asyncio.create_task(second.__aenter__())
        try:
            async with asyncio.timeout(30):
                while first._generation == generation:  # the revocation has started
                    await asyncio.sleep(0.01)
            for partition in (0, 1):  # held back by the in-flight records
                assert await committed(kafka_broker, group, topic, partition) is None
            for delivery in held:
                await delivery.ack()
            await entering
            async with asyncio.timeout(30):
                while not (first._partitions and second._partitions):
                    await asyncio.sleep(0.05)
            for partition in (0, 1):
                expected = sum(d.raw.metadata["partition"] == partition for d in held)
                assert await committed(kafka_broker, group, topic, partition) == expected
        finally:
            await second.__aexit__(None, None, None)


async def test_partition_order_with_ordering_delivery(kafka_broker: KafkaBroker) -> None:
    """Pipeline(ordering="delivery") keys on "topic/partition": each partition's events
    reach the sink in offset order although many are in flight."""
    source_topic = await kafka_broker.create_topic(partitions=3)
    target_topic = await kafka_broker.create_topic(partitions=1)
    events = [contract_event(n) for n in range(60)]
    await produce(kafka_broker, source_topic, [to_binary(e, key=e["partitionkey"]) for e in events])
    sink = KafkaSink(target_topic, bootstrap_servers=kafka_broker.bootstrap)
    pipeline = cesdk.Pipeline(
        source_for(kafka_broker, source_topic),
        routes=[cesdk.Route(sink)],
        dead_letter=CapturingSink(),
        ordering="delivery",
        concurrency=16,
    )
    async with TopicReader(kafka_broker, target_topic) as reader, pipeline:
        got = await reader.events(len(events))
    for key in ("key-0", "key-1", "key-2"):
        sent = [e.id for e in events if e["partitionkey"] == key]
        assert [e.id for e in got if e["partitionkey"] == key] == sent


async def test_pattern_subscription(kafka_broker: KafkaBroker) -> None:
    prefix = f"cesdk-pattern-{group_name()[-10:]}"
    first = await kafka_broker.create_topic(f"{prefix}-a", partitions=1)
    second = await kafka_broker.create_topic(f"{prefix}-b", partitions=1)
    await produce(kafka_broker, first, [to_binary(contract_event(1))])
    await produce(kafka_broker, second, [to_binary(contract_event(2))])
    source = KafkaSource(
        pattern=rf"^{prefix}-.*",
        bootstrap_servers=kafka_broker.bootstrap,
        group_id=group_name(),
        consumer_options=kafka_broker.consumer_options,
    )
    async with source:
        deliveries = await take(source, 2)
    assert sorted(d.raw.metadata["topic"] for d in deliveries) == [first, second]
    assert sorted(d.event.id for d in deliveries if d.event) == ["contract-1", "contract-2"]
