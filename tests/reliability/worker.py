"""A pipeline process for the crash tests: durable file source -> Redis dedup -> file sink.

Usage: python worker.py INPUT CHECKPOINT OUTPUT DEADLETTER REDIS_URL
"""

from __future__ import annotations

import asyncio
import sys

import cesdk


async def pace(event: cesdk.CloudEvent) -> cesdk.CloudEvent:
    # Slow enough that the test can kill the process mid-stream.
    await asyncio.sleep(0.002)
    return event


async def main(input_path: str, checkpoint: str, output: str, dead: str, redis_url: str) -> None:
    store = cesdk.RedisDedupStore(redis_url, prefix="crash-test:")
    pipeline = cesdk.Pipeline(
        cesdk.FileSource(input_path, checkpoint=checkpoint),
        steps=[pace],
        routes=[
            cesdk.Route(
                cesdk.FileSink(output, fsync=True),
                name="out",
                dedupe=cesdk.Dedupe(store=store, lease=2.0),
            )
        ],
        dead_letter=cesdk.FileSink(dead),
        concurrency=4,
    )
    try:
        await pipeline.run()
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
