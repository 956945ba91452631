"""Run a WebSocketSource in a pipeline for the tests, and talk to it with real clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

import cesdk
from cesdk.testing import CapturingSink
from cesdk_http import WebSocketSource


@dataclass
class RunningWs:
    """A source in a running pipeline, with its sinks."""

    source: WebSocketSource
    pipeline: cesdk.Pipeline
    sink: Any
    dead: CapturingSink

    @property
    def url(self) -> str:
        return self.source.url


@contextlib.asynccontextmanager
async def running_ws(
    source: WebSocketSource | None = None,
    *,
    sink: Any = None,
    concurrency: int = 64,
    **options: Any,
) -> AsyncIterator[RunningWs]:
    """Run ``source`` (or ``WebSocketSource(port=0, **options)``) into ``sink`` until exit."""
    source = source if source is not None else WebSocketSource(port=0, **options)
    sink = sink if sink is not None else CapturingSink()
    dead = CapturingSink()
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(sink, retry=cesdk.Retry(max_attempts=1))],
        dead_letter=dead,
        concurrency=concurrency,
        ordering="delivery",
        shutdown_timeout=5,
    )
    async with pipeline:
        await source.wait_ready()
        yield RunningWs(source, pipeline, sink, dead)


def client(url: str, subprotocols: Sequence[str] = ("cloudevents.json",), **kw: Any) -> Any:
    """Open a raw ``websockets`` client offering ``subprotocols`` (async context manager)."""
    offered = [Subprotocol(s) for s in subprotocols] or None  # None: no header at all
    return connect(url, subprotocols=offered, **kw)


def ws_event(n: int = 0, **extra: Any) -> cesdk.CloudEvent:
    """Return a sample event."""
    return cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        id=f"ws-{n}",
        subject=f"pod/web-{n}",
        time="2024-05-14T09:21:07.482913Z",
        data={"reason": "BackOff", "n": n},
        **extra,
    )


async def close_code(connection: ClientConnection, timeout: float = 10.0) -> int | None:
    """Wait until the server closes ``connection``; return the close code it sent."""
    async with asyncio.timeout(timeout):
        await connection.wait_closed()
    return connection.close_code


class GatedSink:
    """A sink whose sends wait until ``gate`` is set; records events in order."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = 0
        self.events: list[cesdk.CloudEvent] = []

    async def __aenter__(self) -> GatedSink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.gate.set()

    async def send(self, event: cesdk.CloudEvent) -> None:
        self.waiting += 1
        await self.gate.wait()
        self.events.append(event)
