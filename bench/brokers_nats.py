"""NATS benchmark: NatsSource(JetStream) -> pipeline -> NatsSink(JetStream) against raw nats-py.

N small events (20,000) wait in a JetStream stream. Each contender runs in its own
process against the same ``nats-server -js``, from the start of reading until the last
event is stored in the outbound stream (every publish awaits its PubAck):

* raw: a durable pull consumer's ``fetch(64)`` -> ``js.publish`` each message
  (concurrently, per batch) -> ``ack`` each;
* cesdk: ``NatsSource(jetstream=True, batch=64)`` -> ``Pipeline`` -> ``NatsSink(jetstream=True)``.

Each contender runs ``--trials`` times (3), alternating, each on fresh streams; the
best run counts, as this machine's noise moves single runs by 15%. Reports events/s,
the ratio (target: cesdk at least 70% of raw) and each process's peak RSS.
Run with ``make bench`` or ``uv run python bench/brokers_nats.py [-n N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

# Before nats: importing nats-py drops sys.path[0], this folder.
from benchutil import peak_rss_mb

# isort: split
import nats
from nats.js.api import StreamConfig

import cesdk
from cesdk.bindings.nats import to_binary
from cesdk_nats import NatsSink, NatsSource
from cesdk_nats.testing import NatsServer

TARGET = 0.70
BATCH = 64


async def _fill(url: str, name: str, n: int) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    for stream in (f"{name}IN", f"{name}OUT"):
        await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"]))
    for start in range(0, n, 500):
        futures = []
        for i in range(start, min(start + 500, n)):
            event = cesdk.CloudEvent(
                type="io.k8s.event.warning", source="/bench", id=f"e{i}", data={"n": i}
            )
            message = to_binary(event)
            futures.append(
                await js.publish_async(
                    f"{name.lower()}in.ev", message.data, headers=message.headers
                )
            )
        await asyncio.gather(*futures)
    await nc.close()


async def _stored(url: str, stream: str, n: int) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    while (await js.stream_info(stream)).state.messages < n:
        await asyncio.sleep(0.02)  # polling the outcome; the work runs meanwhile
    await nc.close()


async def _raw(url: str, name: str, n: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    psub = await js.pull_subscribe(f"{name.lower()}in.>", durable="raw", stream=f"{name}IN")
    out = f"{name.lower()}out.ev"
    start = time.perf_counter()
    done = 0
    while done < n:
        try:
            msgs = await psub.fetch(BATCH, timeout=1)
        except nats.errors.TimeoutError:
            continue
        await asyncio.gather(*(js.publish(out, m.data, headers=m.headers) for m in msgs))
        for m in msgs:
            await m.ack()
        done += len(msgs)
    await _stored(url, f"{name}OUT", n)
    elapsed = time.perf_counter() - start
    await nc.close()
    return elapsed


async def _cesdk(url: str, name: str, n: int) -> float:
    source = NatsSource(
        f"{name.lower()}in.>", servers=url, jetstream=True, stream=f"{name}IN",
        durable="cesdk", batch=BATCH,
    )  # fmt: skip
    sink = NatsSink(f"{name.lower()}out.ev", servers=url, jetstream=True)
    pipeline = cesdk.Pipeline(
        source, routes=[cesdk.Route(sink)], dead_letter=cesdk.MemorySink(), concurrency=BATCH
    )
    start = time.perf_counter()
    async with pipeline:
        await _stored(url, f"{name}OUT", n)
        return time.perf_counter() - start


def _child(args: argparse.Namespace) -> None:
    run = _raw if args.child == "raw" else _cesdk
    elapsed = asyncio.run(run(args.url, args.name, args.n))
    print(json.dumps({"seconds": elapsed, "rss_mb": peak_rss_mb()}))


def _contender(kind: str, url: str, n: int, trial: int) -> dict[str, float]:
    name = f"{kind.upper()}{trial}"
    asyncio.run(_fill(url, name, n))
    command = [sys.executable, __file__, "--child", kind, "--url", url, "--name", name]
    out = subprocess.run([*command, "-n", str(n)], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="events (default 20,000)")
    parser.add_argument("--trials", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--child", choices=("raw", "cesdk"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    runs: dict[str, list[dict[str, float]]] = {"raw": [], "cesdk": []}
    with NatsServer() as server:
        # Alternated, so that both see the same machine noise; the best run counts.
        for trial in range(args.trials):
            for kind in runs:
                runs[kind].append(_contender(kind, server.url, args.n, trial))
    raw_rate, our_rate = (args.n / min(r["seconds"] for r in runs[k]) for k in runs)
    raw_rss, our_rss = (max(r["rss_mb"] for r in runs[k]) for k in runs)
    ratio = our_rate / raw_rate
    verdict = "meets" if ratio >= TARGET else "misses"
    print(
        f"NATS JetStream fetch -> publish (PubAck) -> ack, {args.n:,} events, best of {args.trials}"
    )
    print(f"  raw nats-py  {raw_rate:>9,.0f} events/s   peak RSS {raw_rss:.0f} MB")
    print(f"  cesdk        {our_rate:>9,.0f} events/s   peak RSS {our_rss:.0f} MB")
    print(f"  ratio {ratio:.0%} ({verdict} the {TARGET:.0%} target)")


if __name__ == "__main__":
    main()
