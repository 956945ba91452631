"""AmqpSink -> RabbitMQ -> AmqpSource round trips, settlement, dead letters, interop."""

from __future__ import annotations

import asyncio
from typing import Literal

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

import cesdk
from amqp_helpers import publish_raw, sample_events, unique
from cesdk.bindings.amqp import COLON_PREFIX, to_binary
from cesdk.testing import CapturingSink, MemorySink, until
from cesdk_amqp import AmqpSink, AmqpSource
from cesdk_amqp.testing import RabbitMQServer


async def _take(source: AmqpSource, count: int, timeout: float = 10) -> list[cesdk.Delivery]:
    got: list[cesdk.Delivery] = []
    async with asyncio.timeout(timeout):
        async for delivery in source:
            got.append(delivery)
            if len(got) == count:
                break
    return got


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_round_trip_keeps_every_event(
    rabbitmq_server: RabbitMQServer, mode: Literal["binary", "structured"]
) -> None:
    """Binary (3.1) and structured (3.2) mode carry data of every kind and extensions of
    every type unchanged, through the adapter's 0-9-1 header mapping (3.1.3.2)."""
    events = sample_events()
    queue = unique(f"rt-{mode}")
    async with AmqpSource(queue, url=rabbitmq_server.url) as source:
        async with AmqpSink(queue, url=rabbitmq_server.url, mode=mode) as sink:
            for event in events:
                await sink.send(event)
        deliveries = await _take(source, len(events))
        for delivery in deliveries:
            await delivery.ack()
    assert [d.event for d in deliveries] == events
    assert all(d.key == queue for d in deliveries)
    first = deliveries[0].raw
    if mode == "binary":
        assert dict(first.headers)["cloudEvents_flag"] == "true"
        assert first.metadata["content_type"] == "application/octet-stream"
        ext = deliveries[1].event
        assert ext is not None
        assert ext["big"] == 2147483647  # an Integer stays an Integer
    else:
        assert first.metadata["content_type"].startswith("application/cloudevents+json")


async def test_binary_headers_are_typed(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    """Section 3.1.3.2: Boolean, Integer, Binary and a whole-second Timestamp travel as
    native header types, not as strings; the fractional time as its canonical string."""
    queue = await channel.declare_queue(unique("typed"), exclusive=True)
    events = sample_events()
    async with AmqpSink(queue.name, url=rabbitmq_server.url) as sink:
        await sink.send(events[0])
        await sink.send(events[1])
    first = await queue.get(timeout=5, fail=True)
    second = await queue.get(timeout=5, fail=True)
    assert first is not None
    assert second is not None
    headers = first.headers
    assert headers["cloudEvents_flag"] is True
    assert headers["cloudEvents_count"] == -2147483648
    assert bytes(headers["cloudEvents_blob"]) == b"\x00\xff"  # type: ignore[arg-type]
    assert headers["cloudEvents_time"].year == 2024  # type: ignore[union-attr]
    assert second.headers["cloudEvents_time"] == "2024-05-06T07:08:09.123456789Z"
    assert first.delivery_mode == aio_pika.DeliveryMode.PERSISTENT


async def test_colon_prefixed_headers_from_another_sdk_are_read(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    """Section 3.1.3.1 permits ``cloudEvents:``; a producer that writes it (as Spring's
    and older SDKs do) is read by the source."""
    event = sample_events()[1]
    message = to_binary(event, prefix=COLON_PREFIX, timestamp_digits=None)
    queue = unique("colon")
    async with AmqpSource(queue, url=rabbitmq_server.url) as source:
        await publish_raw(
            channel,
            queue,
            message.body,
            headers=dict(message.application_properties),
            content_type=message.properties["content_type"],
        )
        (delivery,) = await _take(source, 1)
        await delivery.ack()
    assert delivery.event == event
    assert ("cloudEvents:id", "text-1") in delivery.raw.headers


async def test_unacked_message_comes_back_after_stop(rabbitmq_server: RabbitMQServer) -> None:
    """A delivery still unsettled when the source stops is redelivered: nothing lost."""
    queue = unique("unacked")
    event = sample_events()[2]
    async with (
        AmqpSink(queue, url=rabbitmq_server.url) as sink,
        AmqpSource(queue, url=rabbitmq_server.url) as source,
    ):
        await sink.send(event)
        (held,) = await _take(source, 1)
        assert held.event == event  # taken, never settled
    async with AmqpSource(queue, url=rabbitmq_server.url) as again:
        (delivery,) = await _take(again, 1)
        await delivery.ack()
    assert delivery.event == event
    assert delivery.raw.metadata["redelivered"] is True


async def test_nack_with_delay_holds_then_requeues(rabbitmq_server: RabbitMQServer) -> None:
    """nack(delay) keeps the message unacknowledged for the delay, then requeues it."""
    queue = unique("delay")
    event = sample_events()[3]
    async with AmqpSource(queue, url=rabbitmq_server.url) as source:
        async with AmqpSink(queue, url=rabbitmq_server.url) as sink:
            await sink.send(event)
        iterator = aiter(source)
        first = await anext(iterator)
        loop = asyncio.get_running_loop()
        nacked_at = loop.time()
        await first.nack(0.3)
        async with asyncio.timeout(10):
            again = await anext(iterator)
        waited = loop.time() - nacked_at
        await again.ack()
    assert again.event == event
    assert again.raw.metadata["redelivered"] is True
    assert waited >= 0.3


async def test_bad_payload_is_dead_lettered_with_raw_bytes(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    """An undecodable message reaches the dead letter sink with its bytes, and is acked
    (so it is not redelivered), while the good one after it is delivered."""
    queue = unique("bad")
    body = b"\xff\xfe not a CloudEvent"
    good = sample_events()[0]
    delivered, dead = CapturingSink(), CapturingSink()
    source = AmqpSource(queue, url=rabbitmq_server.url)
    async with source:  # declares the queue before anything is published
        pass
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(delivered)],
        dead_letter=dead,
    )
    async with pipeline:
        await publish_raw(channel, queue, body, headers={"x-app": "legacy"})
        async with AmqpSink(queue, url=rabbitmq_server.url) as sink:
            await sink.send(good)
        await until(lambda: bool(dead.events and delivered.events), timeout=10, what="both settled")
    (letter,) = dead.events
    assert letter.type == "dev.cesdk.deadletter.undecodable"
    assert letter.data == body  # the bytes exactly as received
    assert "x-app" in letter["deadletterheaders"]
    assert queue in letter["deadlettermetadata"]
    assert delivered.events == [good]
    declared = await channel.declare_queue(queue, durable=True)
    assert declared.declaration_result.message_count == 0  # acked, not requeued


async def test_pipeline_moves_1000_events_without_loss(rabbitmq_server: RabbitMQServer) -> None:
    """1,000 events through a bound exchange into a MemorySink: each arrives exactly once
    per id, and the queue is empty afterwards (everything acked)."""
    exchange, queue = unique("bulk-x"), unique("bulk-q")
    n = 1000
    events = [
        cesdk.CloudEvent(type="dev.cesdk.bulk", source="/bulk", id=f"b-{i}", data={"i": i})
        for i in range(n)
    ]
    memory = MemorySink()
    source = AmqpSource(
        queue, url=rabbitmq_server.url, exchange=exchange, routing_key="bulk.#", prefetch=50
    )
    async with source:  # declares and binds before anything is published
        pass
    async with AmqpSink(
        "bulk.{type}", url=rabbitmq_server.url, exchange=exchange, exchange_type="topic"
    ) as sink:
        for start in range(0, n, 100):
            await asyncio.gather(*(sink.send(ev) for ev in events[start : start + 100]))
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(memory)], concurrency=32)
    async with pipeline:
        await until(lambda: len(memory.events) >= n, timeout=60, what=f"{n} events")
    assert sorted(ev.id for ev in memory.events) == sorted(ev.id for ev in events)
    connection = await aio_pika.connect(rabbitmq_server.url)
    async with connection:
        ch = await connection.channel()
        declared = await ch.declare_queue(queue, durable=True)
        assert declared.declaration_result.message_count == 0
