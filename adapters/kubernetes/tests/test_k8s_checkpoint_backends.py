"""Checkpoint stores for the Kubernetes sources: a file, Redis (a cesdk StateStore), a ConfigMap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cesdk
from cesdk.testing import RedisServer
from cesdk_kubernetes._checkpoint import (
    ConfigMapCheckpoint,
    FileCheckpoint,
    StateStoreCheckpoint,
    checkpoint_from,
)
from cesdk_kubernetes.testing import FakeApiServer
from cesdk_kubernetes.testing.fixtures import fake_apiserver
from k8s_source_helpers import event_source, ids, take

__all__ = ["fake_apiserver"]


async def test_file_checkpoint_round_trip_and_bad_content(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "cp.json"
    checkpoint = checkpoint_from(f"file://{path}", key="unused")
    assert isinstance(checkpoint, FileCheckpoint)
    assert await checkpoint.load() == {}
    await checkpoint.save({"events/*": "41", "events/shop": "7"})
    await checkpoint.save({"events/*": "42"})
    assert await checkpoint.load() == {"events/*": "42"}
    assert json.loads(path.read_text()) == {"version": 1, "streams": {"events/*": "42"}}
    assert [p.name for p in path.parent.iterdir()] == ["cp.json"]  # no temporary left
    path.write_text("{not json")
    with pytest.raises(cesdk.ConfigError, match=r"cp\.json.*delete it to start afresh"):
        await checkpoint.load()


async def test_redis_checkpoint_round_trip(redis_server: RedisServer) -> None:
    checkpoint = checkpoint_from(redis_server.url, key="k8s-cp-test:events")
    assert isinstance(checkpoint, StateStoreCheckpoint)
    try:
        await checkpoint.save({"events/*": "99"})
        assert await checkpoint.load() == {"events/*": "99"}
    finally:
        await checkpoint.close()
    store = cesdk.RedisDedupStore(redis_server.url, prefix="")
    try:
        assert json.loads(await store.get("k8s-cp-test:events") or "")["streams"] == {
            "events/*": "99"
        }
        # Any StateStore object works as the option's value.
        assert await StateStoreCheckpoint(store, "k8s-cp-test:events").load() == {"events/*": "99"}
    finally:
        await store.close()


@pytest.mark.parametrize("backend", ["configmap", "redis"])
async def test_source_resumes_from_shared_checkpoint(
    fake_apiserver: FakeApiServer, redis_server: RedisServer, backend: str
) -> None:
    fake = fake_apiserver
    checkpoint = (
        "configmap://default/cesdk-events-checkpoint"
        if backend == "configmap"
        else f"{redis_server.url}"
    )
    options = {"checkpoint": checkpoint, "checkpoint_key": f"k8s-cp-resume:{backend}"}
    first = fake.inject_events(2)
    async with event_source(fake, **options) as source:
        await take(source, 2)
        saved = source.positions["events/*"]
    if backend == "configmap":
        stored = fake.get("configmaps", "cesdk-events-checkpoint", namespace="default")
        assert json.loads(stored["data"]["checkpoint.json"])["streams"] == {"events/*": saved}
    later = fake.inject_events(1, reason="Later")
    fake.clear_requests()
    async with event_source(fake, **options) as source:
        got = await take(source, 1)
    assert ids(got) == [f"{later[0]['metadata']['uid']}.1"]
    watch = next(r for r in fake.requests if r.path.endswith("/events"))
    assert watch.query.get("watch") == "true"
    assert watch.query.get("resourceVersion") == saved
    assert first[0]["metadata"]["uid"] not in ids(got)[0]


async def test_configmap_checkpoint_needs_a_client() -> None:
    checkpoint = checkpoint_from("configmap://monitoring/cp", key="x")
    assert isinstance(checkpoint, ConfigMapCheckpoint)
    assert (checkpoint.namespace, checkpoint.name) == ("monitoring", "cp")
    with pytest.raises(RuntimeError, match="bind"):
        await checkpoint.load()
