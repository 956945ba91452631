"""StateStore: the small key -> text state adapters keep (Slack thread timestamps)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

import cesdk
from cesdk.testing import RedisServer, until


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_state_get_put_expiry_and_only_if_absent() -> None:
    clock = Clock()
    store = cesdk.MemoryDedupStore(clock=clock)
    assert await store.get("thread:a") is None
    assert await store.put("thread:a", "1700000000.000100", ttl=60)
    assert await store.get("thread:a") == "1700000000.000100"
    assert not await store.put("thread:a", "other", ttl=60, only_if_absent=True)
    assert await store.get("thread:a") == "1700000000.000100"
    clock.now += 61
    assert await store.get("thread:a") is None
    assert await store.put("thread:a", "2", ttl=60, only_if_absent=True)
    assert await store.get("thread:a") == "2"


async def test_memory_state_is_apart_from_dedup_keys() -> None:
    store = cesdk.MemoryDedupStore()
    await store.put("k", "v", ttl=60)
    claim = await store.claim("k", lease=5)
    assert claim.state is cesdk.ClaimState.CLAIMED
    assert await store.get("k") == "v"


async def test_memory_state_sweeps_expired_values() -> None:
    clock = Clock()
    store = cesdk.MemoryDedupStore(clock=clock)
    for i in range(1024):
        await store.put(f"k{i}", "v", ttl=1)
    clock.now += 2
    await store.put("fresh", "v", ttl=60)
    assert len(store._values) == 1  # the 1,024 expired ones are gone


@pytest.fixture
async def redis_stores(redis_server: RedisServer) -> AsyncIterator[list[cesdk.RedisDedupStore]]:
    prefix = f"cesdk-test:{uuid.uuid4().hex}:"
    stores = [cesdk.RedisDedupStore(redis_server.url, prefix=prefix) for _ in range(2)]
    yield stores
    for store in stores:
        await store.close()


async def test_redis_state_is_shared_and_survives_a_new_client(
    redis_stores: list[cesdk.RedisDedupStore],
) -> None:
    first, second = redis_stores
    assert await second.get("thread:web-1") is None
    assert await first.put("thread:web-1", "1700000000.000100", ttl=60)
    assert await second.get("thread:web-1") == "1700000000.000100"
    assert not await second.put("thread:web-1", "x", ttl=60, only_if_absent=True)
    assert await second.put("thread:web-1", "y", ttl=60)
    assert await first.get("thread:web-1") == "y"


async def test_redis_state_expires(redis_stores: list[cesdk.RedisDedupStore]) -> None:
    store = redis_stores[0]
    await store.put("short", "v", ttl=0.05)

    async def gone() -> bool:
        return await store.get("short") is None

    await until(gone, timeout=5, what="the value to expire")
