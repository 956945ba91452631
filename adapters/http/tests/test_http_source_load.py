"""10,000 events posted concurrently: every one delivered, none lost, none doubled."""

from __future__ import annotations

import asyncio

import cesdk
from cesdk.bindings import http
from http_source_support import running

COUNT = 10_000
SENDERS = 64


async def test_ten_thousand_concurrent_events_none_lost() -> None:
    sink = cesdk.MemorySink()
    messages = [
        http.to_binary(cesdk.CloudEvent(type="load", source="/load", id=str(n), data={"n": n}))
        for n in range(COUNT)
    ]
    statuses: list[int] = []
    async with running(sink=sink, concurrency=128) as run:
        pending = iter(messages)

        async def sender() -> None:
            for message in pending:
                async with run.session.post(
                    run.url, data=message.body, headers=message.headers
                ) as response:
                    statuses.append(response.status)

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    assert statuses == [204] * COUNT
    ids = [event.id for event in sink.events]
    assert len(ids) == COUNT
    assert set(ids) == {str(n) for n in range(COUNT)}
    assert run.pipeline.metrics.total("delivered") == COUNT
