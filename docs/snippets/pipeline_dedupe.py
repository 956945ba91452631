import asyncio

import cesdk
from cesdk.testing import CapturingSink

event = cesdk.CloudEvent(type="t", source="/s", id="42")
sink = CapturingSink()
dedupe = cesdk.Dedupe(store=cesdk.MemoryDedupStore(), ttl=3600)
pipeline = cesdk.Pipeline(
    cesdk.MemorySource([event, event, event]),  # the broker redelivered it twice
    routes=[cesdk.Route(sink, name="slack", dedupe=dedupe)],
    dead_letter=cesdk.MemorySink(),
)
asyncio.run(pipeline.run())
assert len(sink.events) == 1
assert pipeline.metrics.snapshot()["slack/deduplicated"] == 2
