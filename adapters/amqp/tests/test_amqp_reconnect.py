"""Broker loss: the source reconnects with backoff and loses nothing; the sink raises
RetryableDeliveryError while the broker is down and delivers once it is back."""

from __future__ import annotations

import asyncio

import pytest

import cesdk
from cesdk.testing import MemorySink, until
from cesdk_amqp import AmqpSink, AmqpSource
from cesdk_amqp.testing import RabbitMQServer


async def test_broker_restart_mid_run_loses_nothing(
    restartable_rabbitmq_server: RabbitMQServer,
) -> None:
    server = restartable_rabbitmq_server
    queue = "restart"
    n = 200
    events = [
        cesdk.CloudEvent(type="dev.cesdk.restart", source="/r", id=f"r-{i}", data={"i": i})
        for i in range(n)
    ]
    memory = MemorySink()
    source = AmqpSource(queue, url=server.url, prefetch=10, reconnect_delay=0.2)
    async with source:
        pass
    async with AmqpSink(queue, url=server.url) as sink:
        await asyncio.gather(*(sink.send(ev) for ev in events[: n // 2]))
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(memory)],
        dead_letter=dead,
        concurrency=4,
    )
    async with pipeline:
        await until(lambda: len(memory.events) >= 10, timeout=20, what="the first deliveries")
        await asyncio.to_thread(server.restart)  # durable queue, persistent messages
        async with AmqpSink(queue, url=server.url) as sink:
            await asyncio.gather(*(sink.send(ev) for ev in events[n // 2 :]))
        await until(
            lambda: {ev.id for ev in memory.events} >= {ev.id for ev in events},
            timeout=40,
            what="every event after the restart",
        )
    # At least once: a delivery acked on the lost channel may be seen twice, none lost.
    assert {ev.id for ev in memory.events} == {ev.id for ev in events}
    assert dead.events == []


async def test_sink_raises_retryable_while_down_then_recovers(
    restartable_rabbitmq_server: RabbitMQServer,
) -> None:
    server = restartable_rabbitmq_server
    event = cesdk.CloudEvent(type="dev.cesdk.down", source="/d", id="d-1")
    async with AmqpSource("down", url=server.url):
        pass
    async with AmqpSink("down", url=server.url, connect_timeout=1) as sink:
        await sink.send(event)
        await asyncio.to_thread(server.kill)
        with pytest.raises(cesdk.RetryableDeliveryError):
            await sink.send(event)
        await asyncio.to_thread(server.start)
        await sink.send(event.replace(id="d-2"))
    async with AmqpSource("down", url=server.url) as source:
        got = []
        async with asyncio.timeout(10):
            async for delivery in source:
                got.append(delivery.event.id if delivery.event else None)
                await delivery.ack()
                if "d-2" in got:
                    break
    assert "d-2" in got
