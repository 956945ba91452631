"""`cesdk run` with `use: kubernetes-events`, SIGKILLed mid-stream and restarted.

DESIGN.md "Delivery semantics": at least once end to end, and with a Redis dedup store
each notification once. The file checkpoint only ever holds a resourceVersion whose
deliveries have all settled, so the restarted process resumes from there (watch, or a
re-list when the version was compacted) and every replay carries the id it had before.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from cesdk.testing import RedisServer, stop_process, until
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver
from k8s_source_helpers import Receiver, alive, start_pipeline

__all__ = ["fake_apiserver"]

BEFORE, DURING, WHILE_DOWN = 80, 80, 40
GATE = 100

PIPELINE = """\
source:
  use: kubernetes-events
  kubeconfig: {kubeconfig}
  checkpoint: file://{checkpoint}
  checkpoint_interval: 0.1
  page_size: 25
routes:
  - name: hook
    use: webhook
    url: {url}
    mode: binary
    timeout: 5
    retry: {{max_attempts: 1000, initial_delay: 0.02, max_delay: 0.2, max_elapsed: 120}}
# A killed process's claims block their keys for the lease: short, so the test is quick.
dedupe: {{store: redis, url: "{redis}", prefix: "{prefix}", ttl: P1D, lease: PT2S}}
dead_letter: {{use: file, path: {dead}}}
concurrency: 8
shutdown_timeout: 5
"""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = await Receiver().start()
    yield hook
    await hook.close()


def position(checkpoint: Path) -> int:
    if not checkpoint.exists():
        return 0
    return int(json.loads(checkpoint.read_text())["streams"].get("events/*", 0))


@pytest.mark.parametrize("compacted", [False, True], ids=["resume", "compacted-relist"])
async def test_sigkill_then_restart_misses_nothing_and_repeats_nothing(
    fake_apiserver: FakeApiServer,
    redis_server: RedisServer,
    receiver: Receiver,
    tmp_path: Path,
    compacted: bool,
) -> None:
    fake = fake_apiserver
    checkpoint = tmp_path / "checkpoint.json"
    prefix = f"k8s-sigkill-{compacted}:"
    config = tmp_path / "pipeline.yaml"

    def configure(run: str) -> None:
        receiver.run = run
        config.write_text(
            PIPELINE.format(
                kubeconfig=fake.kubeconfig_path,
                checkpoint=checkpoint,
                url=f"{receiver.url}?run={run}",
                redis=redis_server.url,
                prefix=prefix,
                dead=tmp_path / "dead.jsonl",
            )
        )

    configure("1")
    client = redis.from_url(redis_server.url)

    async def recorded() -> int:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        values = await client.mget(keys) if keys else []
        return sum(value == b"d" for value in values)

    made = fake.inject_events(BEFORE, reason="Before")
    receiver.limit = GATE
    child = start_pipeline(config)

    def watching() -> bool:
        alive(child)
        return fake.watch_count >= 1

    try:
        await until(watching, timeout=60)
        made += fake.inject_events(DURING, reason="During")
        await until(lambda: len(receiver.received) >= GATE, timeout=60)
        # Every accepted send is recorded in Redis, and the checkpoint has moved: kill.
        await until(lambda: position(checkpoint) > 0, timeout=30)
        async with asyncio.timeout(30):
            while await recorded() < GATE:
                await asyncio.sleep(0.02)  # polling Redis, with the deadline above
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        saved = position(checkpoint)
        sent = set(receiver.received)
        # The checkpoint never passes a delivery that was not settled.
        for event in made:
            if int(event["metadata"]["resourceVersion"]) <= saved:
                assert f"{event['metadata']['uid']}.1" in sent
        assert len(sent) == GATE < BEFORE + DURING

        made += fake.inject_events(WHILE_DOWN, reason="WhileDown")
        if compacted:
            fake.compact()
        fake.clear_requests()
        receiver.limit = None
        configure("2")
        child = start_pipeline(config)
        expected = {f"{e['metadata']['uid']}.1" for e in made}
        await until(lambda: set(receiver.received) == expected, timeout=90)
        final = int(made[-1]["metadata"]["resourceVersion"])
        await until(lambda: position(checkpoint) >= final, timeout=30)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
    finally:
        stop_process(child)
        await client.aclose()
    assert len(receiver.received) == len(expected)  # none notified twice
    event_requests = [r for r in fake.requests if r.path.endswith("/events")]
    if compacted:
        # The checkpoint was gone: 410, then a list, whose replays Redis dropped.
        assert any("watch" not in r.query for r in event_requests)
    else:
        assert event_requests[0].query.get("watch") == "true"
        assert event_requests[0].query.get("resourceVersion") == str(saved)
