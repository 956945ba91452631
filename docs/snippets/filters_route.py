import asyncio

import cesdk
from cesdk import filters
from cesdk.testing import CapturingSink

events = [
    cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", subject="pod/web-1"),
    cesdk.CloudEvent(type="io.k8s.event.normal", source="/k8s/prod", subject="pod/web-1"),
    cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/staging", subject="pod/db-0"),
]
pager, audit, staging = CapturingSink(), CapturingSink(), CapturingSink()
pipeline = cesdk.Pipeline(
    cesdk.MemorySource(events),
    routes=[
        # A Filter object, a filter dict, or CESQL text: all three are route filters.
        cesdk.Route(
            pager,
            name="pager",
            filter=filters.Suffix(type=".warning") & filters.Sql("source = '/k8s/prod'"),
        ),
        cesdk.Route(audit, name="audit", filter={"prefix": {"subject": "pod/"}}),
        cesdk.Route(staging, name="staging", filter="source LIKE '%/staging'"),
    ],
    dead_letter=cesdk.MemorySink(),
)
asyncio.run(pipeline.run())
assert [ev.subject for ev in pager.events] == ["pod/web-1"]
assert len(audit.events) == 3
assert [ev.subject for ev in staging.events] == ["pod/db-0"]
