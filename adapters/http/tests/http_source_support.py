"""Run an HttpSource inside a pipeline for the tests, and post to it with aiohttp."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

import cesdk
from cesdk.testing import CapturingSink
from cesdk_http import HttpSource


@dataclass
class Running:
    """A source in a running pipeline, its sinks, and a client session."""

    source: HttpSource
    pipeline: cesdk.Pipeline
    sink: Any
    dead: CapturingSink
    session: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.source.url

    async def post(
        self,
        body: bytes,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
        *,
        path: str = "",
        method: str = "POST",
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request; return status, headers and body."""
        url = f"http://127.0.0.1:{self.source.port}{path or self.source.path or '/'}"
        async with self.session.request(
            method, url, data=body, headers=headers or {}, allow_redirects=False
        ) as response:
            return response.status, response.headers, await response.read()

    async def post_event(
        self, event: cesdk.CloudEvent, *, mode: str = "binary", **headers: str
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one event in binary or structured mode."""
        encode = (
            cesdk.bindings.http.to_binary if mode == "binary" else cesdk.bindings.http.to_structured
        )
        message = encode(event)
        return await self.post(message.body, {**message.headers, **headers})


@contextlib.asynccontextmanager
async def running(
    source: HttpSource | None = None,
    *,
    sink: Any = None,
    dead: CapturingSink | None = None,
    concurrency: int = 64,
    **options: Any,
) -> AsyncIterator[Running]:
    """Run ``source`` (or ``HttpSource(port=0, **options)``) into ``sink`` until exit."""
    source = source if source is not None else HttpSource(port=0, **options)
    sink = sink if sink is not None else CapturingSink()
    dead = dead if dead is not None else CapturingSink()
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(sink, retry=cesdk.Retry(max_attempts=1))],
        dead_letter=dead,
        concurrency=concurrency,
        shutdown_timeout=5,
    )
    async with aiohttp.ClientSession() as session, pipeline:
        await source.wait_ready()
        yield Running(source, pipeline, sink, dead, session)


def event(n: int = 0, **extra: Any) -> cesdk.CloudEvent:
    """Return a sample event."""
    return cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        id=f"ev-{n}",
        subject=f"pod/web-{n}",
        time="2024-05-14T09:21:07.482913Z",
        data={"reason": "BackOff", "n": n},
        **extra,
    )


class BlockedSink:
    """A sink whose sends wait until ``release``."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.waiting = 0
        self.events: list[cesdk.CloudEvent] = []

    async def __aenter__(self) -> BlockedSink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.gate.set()

    async def send(self, event: cesdk.CloudEvent) -> None:
        self.waiting += 1
        await self.gate.wait()
        self.events.append(event)


class FailingSink(BlockedSink):
    async def send(self, event: cesdk.CloudEvent) -> None:
        raise cesdk.PermanentDeliveryError("refused")
