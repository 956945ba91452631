"""Leader election over a coordination.k8s.io/v1 Lease: one replica watches, another takes over.

client-go ``tools/leaderelection``: a candidate takes a Lease that is free, released
(empty holder) or not renewed for ``leaseDurationSeconds`` on its own clock; writes carry
the resourceVersion (``409 Conflict`` for the loser); a leader that cannot renew within
``renew_deadline`` stops leading.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import cesdk
from cesdk.testing import CapturingSink, stop_process, until
from cesdk_kubernetes._client import KubeClient
from cesdk_kubernetes._leader import LeaderElection, LeaderElectionConfig
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver
from k8s_source_helpers import Receiver, alive, event_source, start_pipeline

__all__ = ["fake_apiserver"]

LEASE = {
    "lease": "default/cesdk-events",
    "lease_duration": 3,
    "renew_deadline": 2,
    "retry_period": 0.2,
}
CHECKPOINT = "configmap://default/cesdk-events-checkpoint"


def holder(fake: FakeApiServer) -> str | None:
    try:
        lease = fake.get("leases.coordination.k8s.io", "cesdk-events", namespace="default")
    except Exception:  # not created yet
        return None
    return str(lease["spec"].get("holderIdentity") or "")


def saved(fake: FakeApiServer) -> int:
    try:
        cm = fake.get("configmaps", "cesdk-events-checkpoint", namespace="default")
    except Exception:  # not written yet
        return 0
    import json

    return int(json.loads(cm["data"]["checkpoint.json"])["streams"].get("events/*", 0))


def replica(fake: FakeApiServer, identity: str) -> tuple[cesdk.Pipeline, CapturingSink, Any]:
    sink = CapturingSink()
    source = event_source(
        fake,
        leader_election={**LEASE, "identity": identity},
        checkpoint=CHECKPOINT,
        checkpoint_interval=0.05,
    )
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(sink)], dead_letter=CapturingSink())
    return pipeline, sink, source


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = await Receiver().start()
    yield hook
    await hook.close()


async def test_two_candidates_one_lease(fake_apiserver: FakeApiServer) -> None:
    client = KubeClient(fake_apiserver.api_client(), owned=True)
    first = LeaderElection(client, LeaderElectionConfig.parse({**LEASE, "identity": "one"}))
    second = LeaderElection(client, LeaderElectionConfig.parse({**LEASE, "identity": "two"}))
    try:
        await first.acquire()
        assert holder(fake_apiserver) == "one"
        waiting = asyncio.ensure_future(second.acquire())
        # "one" renews while "two" tries: two keeps failing for longer than a lease.
        renewing = asyncio.ensure_future(first.hold())
        await asyncio.sleep(0)
        done, _ = await asyncio.wait({waiting}, timeout=3.5)  # over a lease duration
        assert not done
        assert holder(fake_apiserver) == "one"
        renewing.cancel()
        await first.release()
        await asyncio.wait_for(waiting, timeout=2)  # released: taken at once
        assert second.leading
        assert holder(fake_apiserver) == "two"
        lease = fake_apiserver.get(
            "leases.coordination.k8s.io", "cesdk-events", namespace="default"
        )
        assert lease["spec"]["leaseTransitions"] == 1
    finally:
        client.close()


async def test_graceful_stop_hands_over_and_continues_from_checkpoint(
    fake_apiserver: FakeApiServer,
) -> None:
    fake = fake_apiserver
    pipeline_a, sink_a, _ = replica(fake, "a")
    pipeline_b, sink_b, source_b = replica(fake, "b")
    task_a = asyncio.create_task(pipeline_a.run(handle_signals=False))
    await until(lambda: holder(fake) == "a" and fake.watch_count == 1, timeout=10)
    task_b = asyncio.create_task(pipeline_b.run(handle_signals=False))
    try:
        made = fake.inject_events(10)
        await until(lambda: len(sink_a.events) == 10, timeout=10)
        await until(lambda: saved(fake) >= int(made[-1]["metadata"]["resourceVersion"]), timeout=10)
        assert not source_b.leading
        assert sink_b.events == []
        assert fake.watch_count == 1
        started = time.monotonic()
        pipeline_a.stop()
        await task_a
        later = fake.inject_events(5, reason="Later")
        await until(lambda: len(sink_b.events) == 5, timeout=10)
        assert time.monotonic() - started < 3  # released: no lease duration to wait
        assert holder(fake) == "b"
        assert [e.id for e in sink_b.events] == [f"{e['metadata']['uid']}.1" for e in later]
    finally:
        pipeline_a.stop()
        pipeline_b.stop()
        await asyncio.gather(task_a, task_b)


async def test_losing_the_lease_stops_watching(fake_apiserver: FakeApiServer) -> None:
    fake = fake_apiserver
    pipeline, sink, source = replica(fake, "a")
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    try:
        await until(lambda: holder(fake) == "a" and fake.watch_count == 1, timeout=10)
        # Someone else takes the Lease (as after a long pause of ours).
        lease = fake.get("leases.coordination.k8s.io", "cesdk-events", namespace="default")
        lease["spec"]["holderIdentity"] = "intruder"
        fake.update(lease)
        await until(lambda: not source.leading and fake.watch_count == 0, timeout=10)
        fake.inject_events(3)
        # Not leading: nothing is read. It campaigns again and takes the Lease once the
        # intruder's record is older than the lease duration, then reads what it missed.
        await until(lambda: len(sink.events) == 3, timeout=15)
        assert holder(fake) == "a"
    finally:
        pipeline.stop()
        await task


async def test_killed_leader_is_replaced_and_nothing_is_missed(
    fake_apiserver: FakeApiServer, receiver: Receiver, tmp_path: Path
) -> None:
    fake = fake_apiserver
    config = tmp_path / "leader.yaml"
    config.write_text(
        f"""\
source:
  use: kubernetes-events
  kubeconfig: {fake.kubeconfig_path}
  checkpoint: {CHECKPOINT}
  checkpoint_interval: 0.05
  leader_election: {{lease: default/cesdk-events, identity: child, lease_duration: 3,
                     renew_deadline: 2, retry_period: 0.2}}
sink: {{use: webhook, url: "{receiver.url}"}}
dead_letter: {{use: file, path: {tmp_path / "dead.jsonl"}}}
"""
    )
    child = start_pipeline(config)
    try:

        def leading() -> bool:
            alive(child)
            return holder(fake) == "child" and fake.watch_count == 1

        await until(leading, timeout=60)
        pipeline_b, sink_b, source_b = replica(fake, "b")
        task_b = asyncio.create_task(pipeline_b.run(handle_signals=False))
        made = fake.inject_events(10)
        await until(lambda: len(receiver.received) == 10, timeout=20)
        await until(lambda: saved(fake) >= int(made[-1]["metadata"]["resourceVersion"]), timeout=10)
        assert not source_b.leading
        assert sink_b.events == []
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        killed = time.monotonic()
        later = fake.inject_events(5, reason="AfterKill")
        await until(lambda: len(sink_b.events) == 5, timeout=20)
        # Not released: the follower waited for the lease to run out on its clock.
        assert time.monotonic() - killed >= 2.5
        assert holder(fake) == "b"
        assert [e.id for e in sink_b.events] == [f"{e['metadata']['uid']}.1" for e in later]
        pipeline_b.stop()
        await task_b
    finally:
        stop_process(child)
