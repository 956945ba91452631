"""10,000 events from a pipeline through WebhookSink into HttpSource: none lost."""

from __future__ import annotations

import cesdk
from cesdk_http import HttpSource
from cesdk_webhook import WebhookSink

COUNT = 10_000


async def test_ten_thousand_events_end_to_end_none_lost() -> None:
    received = cesdk.MemorySink()
    source = HttpSource(port=0, max_pending=4096)
    receiving = cesdk.Pipeline(
        source, routes=[cesdk.Route(received)], dead_letter=cesdk.MemorySink(), concurrency=256
    )
    events = [
        cesdk.CloudEvent(type="load", source="/load", id=str(n), data={"n": n})
        for n in range(COUNT)
    ]
    async with receiving:
        await source.wait_ready()
        sending = cesdk.Pipeline(
            cesdk.MemorySource(events),
            routes=[cesdk.Route(WebhookSink(source.url, max_connections=64))],
            dead_letter=cesdk.MemorySink(),
            concurrency=64,
        )
        await sending.run(handle_signals=False)
    assert sending.metrics.total("delivered") == COUNT
    assert sending.metrics.total("deadlettered") == 0
    ids = [event.id for event in received.events]
    assert len(ids) == COUNT
    assert set(ids) == {str(n) for n in range(COUNT)}
