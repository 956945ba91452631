"""One pipeline process for ``test_runtime_dedup.py``: read the same events as its twin,
deliver through a Redis-backed dedup to a shared JSON Lines file, print its counts.

Usage: python dedup_worker.py REDIS_URL PREFIX OUT_FILE COUNT forward|reverse
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import redis.asyncio as aioredis

import cesdk
from cesdk.testing import MemorySource


class SlowFileSink(cesdk.FileSink):
    """A file sink with a receiver's latency, so that the two processes overlap."""

    async def send(self, event: cesdk.CloudEvent) -> None:
        await asyncio.sleep(0.003)
        await super().send(event)


async def _start_together(url: str, key: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        await client.incr(key)
        deadline = time.monotonic() + 30
        while int(await client.get(key) or 0) < 2:
            if time.monotonic() > deadline:
                raise SystemExit("the other worker never started")
            await asyncio.sleep(0.002)
    finally:
        await client.aclose()


async def main(url: str, prefix: str, out: str, count: int, order: str) -> None:
    events = [
        cesdk.CloudEvent(type="dev.cesdk.test", source="/two-processes", id=f"e-{n}", data={"n": n})
        for n in range(count)
    ]
    if order == "reverse":
        events.reverse()
    await _start_together(url, prefix + "barrier")
    store = cesdk.RedisDedupStore(url, prefix=prefix)
    pipeline = cesdk.Pipeline(
        MemorySource(events),
        routes=[
            cesdk.Route(
                SlowFileSink(out), name="shared", dedupe=cesdk.Dedupe(store=store, lease=10)
            )
        ],
        dead_letter=cesdk.FileSink(out + ".dead"),
        concurrency=8,
    )
    try:
        await pipeline.run(handle_signals=False)
    finally:
        await store.close()
    counts = pipeline.metrics.counts
    print(
        json.dumps(
            {
                "delivered": counts[("shared", "delivered")],
                "deduplicated": counts[("shared", "deduplicated")],
            }
        )
    )


if __name__ == "__main__":
    url, prefix, out, count, order = sys.argv[1:6]
    asyncio.run(main(url, prefix, out, int(count), order))
