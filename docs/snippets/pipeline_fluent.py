import asyncio

import cesdk
from cesdk.testing import CapturingSink


def add_team(event: cesdk.CloudEvent) -> cesdk.CloudEvent:
    return event.replace(extensions={**event.extensions, "team": "payments"})


sink = CapturingSink()
events = [cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod")]
pipeline = (
    cesdk.Pipeline(cesdk.MemorySource(events), dead_letter=cesdk.MemorySink())
    .filter(lambda ev: ev.type.startswith("io.k8s."))
    .map(add_team)
    .to(sink, name="pager")
)
asyncio.run(pipeline.run())
assert sink.events[0]["team"] == "payments"
