import asyncio

import cesdk
from cesdk.testing import CapturingSink

events = [
    cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", subject="pod/web-1"),
    cesdk.CloudEvent(type="io.k8s.event.normal", source="/k8s/prod", subject="pod/web-1"),
]
alerts = CapturingSink()
dead_letters = CapturingSink()

pipeline = cesdk.Pipeline(
    cesdk.MemorySource(events),
    routes=[
        cesdk.Route(
            alerts,
            name="alerts",
            filter=lambda ev: ev.type.endswith(".warning"),
            retry=cesdk.Retry(max_attempts=5, initial_delay=0.01),
        )
    ],
    dead_letter=dead_letters,
)
asyncio.run(pipeline.run())  # returns when a finite source is exhausted and settled

assert [ev.type for ev in alerts.events] == ["io.k8s.event.warning"]
assert pipeline.metrics.snapshot()["alerts/filtered"] == 1
assert dead_letters.events == []
