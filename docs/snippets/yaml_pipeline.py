import asyncio
import contextlib
import json
import tempfile
from pathlib import Path

import cesdk
from cesdk import load_pipeline

config = Path(__file__).parent / "yaml_pipeline.yaml"
pipeline = load_pipeline(config, environ={})
oncall, archive = pipeline.routes

# Knative's delivery block is the default of every route; a route's own retry wins.
assert oncall.retry.max_attempts == 8
assert oncall.retry.max_delay == 60.0
assert oncall.retry.initial_delay == 0.2
assert oncall.retry.timeout == 10.0
assert archive.retry.max_attempts == 6  # retry: 5 means six sends at most
assert oncall.rate_limit == cesdk.RateLimit(rate=1, burst=5, per="subject")
assert oncall.dedupe is not None
assert oncall.dedupe.ttl == 86400.0
assert archive.dedupe is None
assert (pipeline.concurrency, pipeline.ordering, pipeline.shutdown_timeout) == (32, "subject", 30)


def event(n: int, kind: str, pod: str) -> str:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(n),
            "source": "/k8s",
            "type": f"io.k8s.event.{kind}",
            "subject": pod,
        }
    )


with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
    lines = [
        event(1, "warning", "pod/web-1"),
        event(2, "warning", "pod/web-1"),  # same pod within 10 minutes: dropped
        event(3, "normal", "pod/web-2"),
        event(4, "warning", "pod/web-2"),  # once_per already saw pod/web-2 (event 3)
    ]
    Path("events.jsonl").write_text("\n".join(lines) + "\n")
    asyncio.run(load_pipeline(config, environ={}).run())
    oncall_ids = [json.loads(x)["id"] for x in Path("oncall.jsonl").read_text().splitlines()]
    archive_ids = [json.loads(x)["id"] for x in Path("archive.jsonl").read_text().splitlines()]

assert oncall_ids == ["1"]
assert sorted(archive_ids) == ["1", "3"]
