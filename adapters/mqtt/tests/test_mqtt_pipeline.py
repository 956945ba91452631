"""Pipelines over a real broker: 1,000 events without loss, a broker restart mid-stream
(persistent session, Mosquitto persistence) without loss, bad payloads dead-lettered."""

from __future__ import annotations

import asyncio
import json

import cesdk
from cesdk.bindings.mqtt import to_binary
from cesdk.testing import CapturingSink, MemorySink, until
from cesdk_mqtt import MqttSink, MqttSource
from cesdk_mqtt.testing import MosquittoServer
from mqtt_helpers import PlainClient, unique


def _event(n: int) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        type="dev.cesdk.load", source="/mqtt/load", id=f"e-{n}", data={"n": n}, subject=f"s/{n % 7}"
    )


async def test_thousand_events_into_memory_sink(client: PlainClient) -> None:
    prefix = unique("load")
    memory, dead = MemorySink(), CapturingSink()
    source = MqttSource(f"{prefix}/#", port=client.broker.port, receive_maximum=50)
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(memory)],
        dead_letter=dead,
        concurrency=16,
    )
    n = 1000
    async with pipeline:
        # The pipeline opens its source in a task: publish once it has subscribed.
        await until(lambda: source.connections == 1, timeout=10, what="subscribed")
        async with MqttSink(f"{prefix}/{{subject}}", port=client.broker.port) as sink:
            await asyncio.gather(*(sink.send(_event(i)) for i in range(n)))
        await until(lambda: len(memory.events) >= n, timeout=30, what=f"{n} events")
    assert not dead.events
    assert sorted(int(e.id[2:]) for e in memory.events) == list(range(n))


async def test_broker_restart_mid_stream_loses_nothing(
    restartable_mosquitto: MosquittoServer,
) -> None:
    broker = restartable_mosquitto
    prefix, n = unique("restart"), 300
    captured, dead = CapturingSink(delay=0.01), CapturingSink()
    source = MqttSource(
        f"{prefix}/#",
        port=broker.port,
        client_id=unique("restart-src"),
        persistent=True,
        receive_maximum=20,
        max_reconnect_delay=0.3,
    )
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(captured)],
        dead_letter=dead,
        concurrency=4,
    )
    sink = MqttSink(f"{prefix}/in", port=broker.port, timeout=2, connect_timeout=1)
    async with pipeline, sink:
        await until(lambda: source.connections == 1, timeout=10, what="subscribed")
        # Everything is with the broker (PUBACKed) before the restart: the session
        # queues it, persistence keeps it.
        for i in range(n):
            await sink.send(_event(i))
        await until(lambda: len(captured.events) >= n // 4, timeout=20, what="a quarter")
        before = len({e.id for e in captured.events})
        await asyncio.to_thread(broker.restart)
        await until(
            lambda: len({e.id for e in captured.events}) >= n, timeout=30, what="all after restart"
        )
    assert before < n, "everything was delivered before the restart: raise n"
    assert {e.id for e in captured.events} == {f"e-{i}" for i in range(n)}
    assert not dead.events
    assert source.connections >= 2


async def test_undecodable_payload_is_dead_lettered_with_its_bytes(client: PlainClient) -> None:
    prefix = unique("bad")
    memory, dead = MemorySink(), CapturingSink()
    source = MqttSource(f"{prefix}/#", port=client.broker.port)
    body = b"\xff\x00 definitely not a CloudEvent"
    async with cesdk.Pipeline(source, routes=[cesdk.Route(memory)], dead_letter=dead):
        await until(lambda: source.connections == 1, timeout=10, what="subscribed")
        await client.publish(f"{prefix}/raw", body)
        good = to_binary(_event(1))
        await client.publish(f"{prefix}/good", good)
        await until(lambda: bool(dead.events and memory.events), timeout=10, what="both settled")
    (letter,) = dead.events
    assert letter.type == "dev.cesdk.deadletter.undecodable"
    assert letter.data == body
    assert json.loads(str(letter["deadlettermetadata"]))["topic"] == f"{prefix}/raw"
    assert [e.id for e in memory.events] == ["e-1"]
