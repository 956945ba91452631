"""A pipeline process for the restart tests: Kafka -> pipeline -> Kafka, killed by the test.

Usage: python kafka_restart_child.py BOOTSTRAP INBOUND OUTBOUND GROUP < OPTIONS_JSON

Options: ``consumer_options``; ``commit_interval``; ``redis`` (a URL: the route then
suppresses duplicates in Redis); ``gate`` (sends stop after that many events and wait
forever, so the test kills the process while deliveries are in flight).
"""

from __future__ import annotations

import asyncio
import json
import sys

import cesdk
from cesdk_kafka import KafkaSink, KafkaSource


class GatedSink:
    """Pass sends through until ``gate`` have gone out; hold the later ones forever."""

    def __init__(self, sink: KafkaSink, gate: int | None) -> None:
        self.sink = sink
        self.gate = gate
        self.started = 0

    async def __aenter__(self) -> GatedSink:
        await self.sink.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.sink.__aexit__(None, None, None)

    async def send(self, event: cesdk.CloudEvent) -> None:
        self.started += 1
        if self.gate is not None and self.started > self.gate:
            await asyncio.Event().wait()
        await self.sink.send(event)


async def main(argv: list[str]) -> None:
    bootstrap, inbound, outbound, group = argv[:4]
    options = json.loads(sys.stdin.readline() or "{}")
    gate = options.get("gate")
    dedupe = None
    if options.get("redis"):
        store = cesdk.RedisDedupStore(options["redis"], prefix=f"{group}:")
        dedupe = cesdk.Dedupe(store=store, lease=1.0)
    source = KafkaSource(
        inbound,
        bootstrap_servers=bootstrap,
        group_id=group,
        commit_interval=options.get("commit_interval", 0.1),
        consumer_options=options.get("consumer_options", {}),
    )
    sink = GatedSink(KafkaSink(outbound, bootstrap_servers=bootstrap), gate)
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(sink, name="out", dedupe=dedupe)],
        dead_letter=cesdk.ConsoleSink(),
        concurrency=16,
    )
    await pipeline.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
