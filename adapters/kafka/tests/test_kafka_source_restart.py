"""A consumer process SIGKILLed mid-stream and restarted loses nothing; with a Redis
dedup store the sink sees each event once (DESIGN.md "Delivery semantics")."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis.asyncio as redis
from aiokafka import AIOKafkaConsumer, TopicPartition

from cesdk.bindings.kafka import to_binary
from cesdk.testing import RedisServer, contract_event
from cesdk_kafka.testing import KafkaBroker
from kafka_helpers import TopicReader, group_name, produce

CHILD = Path(__file__).with_name("kafka_restart_child.py")
N = 300
GATE = 120


def start_child(
    broker: KafkaBroker, inbound: str, outbound: str, group: str, **options: Any
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, str(CHILD), broker.bootstrap, inbound, outbound, group],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdin is not None
    options.setdefault("consumer_options", broker.consumer_options)
    process.stdin.write(json.dumps(options).encode() + b"\n")
    process.stdin.close()
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


async def committed_total(broker: KafkaBroker, group: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group)
    await consumer.start()
    try:
        total = 0
        for partition in range(3):
            total += await consumer.committed(TopicPartition(topic, partition)) or 0
        return total
    finally:
        await consumer.stop()


async def setup(broker: KafkaBroker) -> tuple[str, str, list[str]]:
    inbound = await broker.create_topic(partitions=3)
    outbound = await broker.create_topic(partitions=1)
    events = [contract_event(n) for n in range(N)]
    await produce(broker, inbound, [to_binary(e, key=e.id) for e in events])
    return inbound, outbound, [e.id for e in events]


async def test_sigkill_mid_stream_then_restart_loses_nothing(kafka_broker: KafkaBroker) -> None:
    inbound, outbound, ids = await setup(kafka_broker)
    group = group_name()
    child = start_child(kafka_broker, inbound, outbound, group, gate=GATE)
    try:
        async with TopicReader(kafka_broker, outbound) as reader:
            await reader.wait_for(GATE, timeout=30)
            # Sends past the gate are in flight now; wait for a timer commit, then kill.
            async with asyncio.timeout(15):
                while (before := await committed_total(kafka_broker, group, inbound)) == 0:
                    await asyncio.sleep(0.05)  # polling the broker's committed offsets
            kill(child)
            assert before <= GATE  # never committed past what was sent
            child = start_child(kafka_broker, inbound, outbound, group)
            async with asyncio.timeout(60):
                while not set(ids) <= {dict(r.headers)["ce_id"].decode() for r in reader.records}:
                    await reader.wait_for(len(reader.records) + 1, timeout=60)
            got = [dict(r.headers)["ce_id"].decode() for r in reader.records]
    finally:
        kill(child)
    assert set(got) == set(ids)
    # Resumed from the committed offsets: only work after them was done again.
    assert len(got) - N <= GATE - before


async def test_sigkill_with_redis_dedupe_sends_each_event_once(
    kafka_broker: KafkaBroker, redis_server: RedisServer
) -> None:
    inbound, outbound, ids = await setup(kafka_broker)
    group = group_name()
    client = redis.from_url(redis_server.url)

    async def recorded() -> int:
        keys = [key async for key in client.scan_iter(match=f"{group}:*")]
        values = await client.mget(keys) if keys else []
        return sum(value == b"d" for value in values)

    # No commits before the kill: every event comes again, and Redis must stop them.
    child = start_child(
        kafka_broker,
        inbound,
        outbound,
        group,
        gate=GATE,
        commit_interval=3600,
        redis=redis_server.url,
    )
    try:
        async with TopicReader(kafka_broker, outbound) as reader:
            await reader.wait_for(GATE, timeout=30)
            async with asyncio.timeout(15):
                while await recorded() < GATE:  # every finished send is recorded
                    await asyncio.sleep(0.02)
            kill(child)
            child = start_child(kafka_broker, inbound, outbound, group, redis=redis_server.url)
            await reader.wait_for(N, timeout=60)
            # Everything settled and committed: nothing more can arrive.
            async with asyncio.timeout(60):
                while await committed_total(kafka_broker, group, inbound) < N:
                    await asyncio.sleep(0.05)
            got = [dict(r.headers)["ce_id"].decode() for r in await reader.wait_for(N)]
            await reader.wait_for(0)  # one more poll: nothing else came
    finally:
        kill(child)
        await client.aclose()
    assert sorted(got) == sorted(ids)
