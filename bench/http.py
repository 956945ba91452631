"""HTTP benchmark: the webhook sink and the HTTP source against bare aiohttp and uvicorn.

(a) a bare aiohttp client posts binary-mode messages at concurrency 32 to a receiver
    (uvicorn + httptools serving an ASGI app that answers 204, in its own process);
(b) ``WebhookSink`` does the same through a pipeline from a memory source
    (concurrency 32), against the same receiver. Target: b >= 60% of a.
(c) the same aiohttp client as (a) posts to ``HttpSource`` -> pipeline -> memory sink
    (in its own process, answering after settlement). Target: c >= 60% of a, which is
    that client against a bare uvicorn app answering 204.

Run with ``make bench`` or ``uv run python bench/http.py [--events N]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file's name
# would hide the standard library's `http` from aiohttp and uvicorn.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import argparse  # after the sys.path fix above
import asyncio
import subprocess
import time
from collections.abc import Sequence
from typing import Any

import aiohttp

import cesdk
from cesdk.bindings import http
from cesdk.testing import free_port

CONCURRENCY = 32
TARGET = 0.60


def _events(n: int) -> list[cesdk.CloudEvent]:
    return [
        cesdk.CloudEvent(
            type="io.k8s.event.warning",
            source="/k8s/prod",
            id=f"e{i}",
            subject=f"pod/web-{i % 50}",
            data={"reason": "BackOff", "n": i},
        )
        for i in range(n)
    ]


# -- the servers, each run in a process of its own -----------------------------------


async def _bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(
        _bare_app, host="127.0.0.1", port=port, http="httptools", loop="asyncio",
        lifespan="off", access_log=False, log_level="warning",
    )  # fmt: skip


class _CountingSink:
    def __init__(self) -> None:
        self.count = 0

    async def __aenter__(self) -> _CountingSink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, event: cesdk.CloudEvent) -> None:
        self.count += 1


def _serve_source(port: int) -> None:
    from cesdk_http import HttpSource

    source = HttpSource(port=port, max_pending=4096)
    pipeline = cesdk.Pipeline(
        source, routes=[cesdk.Route(_CountingSink())], dead_letter=cesdk.MemorySink()
    )
    asyncio.run(pipeline.run())


def _start(kind: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)])
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            asyncio.run(_post_all(url, [http.to_binary(_events(1)[0])], 1))
            return process, url
        except (aiohttp.ClientError, OSError):
            time.sleep(0.05)  # polling a starting process: nothing to wait on instead
    process.kill()
    raise RuntimeError(f"the {kind} server did not start")


# -- the clients -----------------------------------------------------------------------


async def _post_all(url: str, messages: Sequence[http.HttpMessage], concurrency: int) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        queue = iter(messages)

        async def worker() -> None:
            for message in queue:
                async with session.post(url, data=message.body, headers=message.headers) as r:
                    if r.status != 204:
                        raise RuntimeError(f"{url} answered {r.status}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started


async def _through_sink(url: str, events: list[cesdk.CloudEvent]) -> float:
    from cesdk_webhook import WebhookSink

    sink = WebhookSink(url, max_connections=CONCURRENCY)
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource(events),
        routes=[cesdk.Route(sink)],
        dead_letter=cesdk.MemorySink(),
        concurrency=CONCURRENCY,
    )
    started = time.perf_counter()
    await pipeline.run(handle_signals=False)
    elapsed = time.perf_counter() - started
    delivered = pipeline.metrics.total("delivered")
    if delivered != len(events):
        raise RuntimeError(f"the pipeline delivered {delivered} of {len(events)}")
    return elapsed


def _rate(n: int, seconds: float) -> float:
    return n / seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--events", type=int, default=20_000, help="requests per run")
    parser.add_argument("--serve", choices=("bare", "source"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve == "bare":
        _serve_bare(args.port)
        return 0
    if args.serve == "source":
        _serve_source(args.port)
        return 0

    events = _events(args.events)
    messages = [http.to_binary(ev) for ev in events]
    warm = messages[: min(2000, len(messages))]
    bare, bare_url = _start("bare")
    source, source_url = _start("source")
    try:
        asyncio.run(_post_all(bare_url, warm, CONCURRENCY))
        a = _rate(len(messages), asyncio.run(_post_all(bare_url, messages, CONCURRENCY)))
        asyncio.run(_through_sink(bare_url, events[: len(warm)]))
        b = _rate(len(events), asyncio.run(_through_sink(bare_url, events)))
        asyncio.run(_post_all(source_url, warm, CONCURRENCY))
        c = _rate(len(messages), asyncio.run(_post_all(source_url, messages, CONCURRENCY)))
    finally:
        for process in (bare, source):
            process.terminate()
            process.wait(timeout=20)

    rows = [
        ("(a) aiohttp client -> bare uvicorn 204", a, None),
        ("(b) MemorySource -> pipeline -> WebhookSink -> bare uvicorn", b, b / a),
        ("(c) aiohttp client -> HttpSource -> pipeline -> memory sink", c, c / a),
    ]
    print(f"HTTP, {args.events} binary-mode requests, concurrency {CONCURRENCY}")
    print(f"{'run':<62} {'req/s':>9} {'vs (a)':>8} {'target':>7}")
    failed = False
    for name, rate, ratio in rows:
        shown = f"{ratio:8.0%}" if ratio is not None else f"{'':>8}"
        verdict = ""
        if ratio is not None:
            ok = ratio >= TARGET
            failed |= not ok
            verdict = f"{'>= 60%':>7} {'ok' if ok else 'MISSED'}"
        print(f"{name:<62} {rate:9.0f} {shown} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
