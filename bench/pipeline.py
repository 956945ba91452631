"""Pipeline benchmark: memory source -> one filter step -> memory sink.

Reports events per second with dedup off and with ``MemoryDedupStore``, and the
resident memory growth from 10k to 1M events (``--rss``). Run with ``make bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import time

import cesdk

TARGETS = {"no dedup": 50_000, "memory dedup": 20_000}


def _events(n: int) -> list[cesdk.CloudEvent]:
    return [
        cesdk.CloudEvent(
            type="io.k8s.event.warning" if i % 10 else "io.k8s.event.normal",
            source="/k8s/prod",
            id=f"e{i}",
            subject=f"pod/web-{i % 50}",
            data={"n": i},
        )
        for i in range(n)
    ]


def _is_warning(event: cesdk.CloudEvent) -> bool:
    return event.type == "io.k8s.event.warning"


async def _run(events: list[cesdk.CloudEvent], dedupe: bool) -> tuple[float, int]:
    sink = cesdk.MemorySink()
    route = cesdk.Route(sink, dedupe=cesdk.Dedupe() if dedupe else None)
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource(events), routes=[route], dead_letter=cesdk.MemorySink()
    ).filter(_is_warning)
    gc.collect()
    start = time.perf_counter()
    await pipeline.run(handle_signals=False)
    elapsed = time.perf_counter() - start
    return len(events) / elapsed, len(sink.events)


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _stream(count: int) -> float:
    """Feed ``count`` events through a keep-open source; return RSS (MB) at the end."""
    source = cesdk.MemorySource(keep_open=True)
    sink = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(_Counting())], dead_letter=sink)
    event = cesdk.CloudEvent(type="t", source="/s", id="x", data={"n": 1})

    async def feed() -> None:
        for i in range(count):
            source.put(event)
            if i % 1000 == 0:
                await asyncio.sleep(0)  # let the pipeline drain: a producer at line rate
        source.close()

    await asyncio.gather(pipeline.run(handle_signals=False), feed())
    return _rss_mb()


class _Counting:
    def __init__(self) -> None:
        self.n = 0

    async def __aenter__(self) -> _Counting:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, event: cesdk.CloudEvent) -> None:
        self.n += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rss", action="store_true", help="also measure RSS 10k vs 1M")
    args = parser.parse_args()
    events = _events(args.events)
    print(f"{'pipeline':16} {'events/s':>10} {'target':>8}")
    for label, dedupe in (("no dedup", False), ("memory dedup", True)):
        rate, delivered = asyncio.run(_run(events, dedupe))
        mark = "ok" if rate >= TARGETS[label] else "below"
        print(f"{label:16} {rate:10,.0f} {TARGETS[label]:8,} {mark}  ({delivered} delivered)")
    if args.rss:
        small = asyncio.run(_stream(10_000))
        large = asyncio.run(_stream(1_000_000))
        growth = large - small
        print(f"RSS after 10k: {small:.1f} MB, after 1M: {large:.1f} MB, growth {growth:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
