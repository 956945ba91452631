import asyncio

import cesdk
from cesdk.testing import CapturingSink

backoffs = [
    cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s", subject="pod/web-1", id=str(i))
    for i in range(7)
]
sink = CapturingSink()
pipeline = cesdk.Pipeline(
    cesdk.MemorySource(backoffs),
    steps=[cesdk.threshold(3, window=600, key="subject")],  # tell a human on the 3rd
    routes=[cesdk.Route(sink)],
    dead_letter=cesdk.MemorySink(),
    concurrency=1,
)
asyncio.run(pipeline.run())
assert [ev.id for ev in sink.events] == ["2"]
