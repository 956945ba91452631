"""Duplicate suppression: two-phase claim / commit / release with a lease and a TTL, in
memory and in a real Redis; two processes sharing Redis deliver each event once.

DESIGN.md "Delivery semantics" (Idempotent effect); issue 3 "Dedup".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from runtime_doubles import FakeClock, make_event, run, wait_for_async, wait_for_condition

import cesdk
from cesdk import ClaimState, Dedupe, MemoryDedupStore, Pipeline, RedisDedupStore, Route
from cesdk.formats import json as json_format
from cesdk.testing import CapturingSink, MemorySource, RedisServer, free_port

WORKER = Path(__file__).with_name("dedup_worker.py")

# -- MemoryDedupStore, with an injected clock ---------------------------------------------


async def test_memory_claim_then_busy_then_commit_then_duplicate() -> None:
    store = MemoryDedupStore(clock=FakeClock())
    first = await store.claim("k", lease=30)
    assert first.state is ClaimState.CLAIMED
    assert first.token
    assert (await store.claim("k", lease=30)).state is ClaimState.BUSY
    await store.commit("k", first.token, ttl=3600)
    assert (await store.claim("k", lease=30)).state is ClaimState.DUPLICATE
    assert (await store.claim("other", lease=30)).state is ClaimState.CLAIMED


async def test_memory_release_lets_a_retry_claim_again() -> None:
    store = MemoryDedupStore(clock=FakeClock())
    claim = await store.claim("k", lease=30)
    await store.release("k", claim.token)
    again = await store.claim("k", lease=30)
    assert again.state is ClaimState.CLAIMED
    assert again.token != claim.token


async def test_memory_release_with_another_token_is_ignored() -> None:
    store = MemoryDedupStore(clock=FakeClock())
    claim = await store.claim("k", lease=30)
    await store.release("k", "not-my-token")
    assert (await store.claim("k", lease=30)).state is ClaimState.BUSY
    await store.commit("k", claim.token, ttl=60)
    await store.release("k", claim.token)  # a release never undoes a commit
    assert (await store.claim("k", lease=30)).state is ClaimState.DUPLICATE


async def test_memory_lease_expiry_lets_another_worker_take_over() -> None:
    clock = FakeClock()
    store = MemoryDedupStore(clock=clock)
    crashed = await store.claim("k", lease=5)
    clock.advance(4.9)
    assert (await store.claim("k", lease=5)).state is ClaimState.BUSY
    clock.advance(0.2)
    takeover = await store.claim("k", lease=5)
    assert takeover.state is ClaimState.CLAIMED
    assert takeover.token != crashed.token


async def test_memory_ttl_forgets_delivered_keys() -> None:
    clock = FakeClock()
    store = MemoryDedupStore(clock=clock)
    claim = await store.claim("k", lease=5)
    await store.commit("k", claim.token, ttl=100)
    clock.advance(99)
    assert (await store.claim("k", lease=5)).state is ClaimState.DUPLICATE
    clock.advance(2)
    assert (await store.claim("k", lease=5)).state is ClaimState.CLAIMED


async def test_memory_commit_after_own_lease_expired_still_records() -> None:
    clock = FakeClock()
    store = MemoryDedupStore(clock=clock)
    claim = await store.claim("k", lease=1)
    clock.advance(10)  # a slow send outlived its lease; nobody else took the key
    await store.commit("k", claim.token, ttl=100)
    assert (await store.claim("k", lease=1)).state is ClaimState.DUPLICATE


async def test_memory_store_stays_bounded_as_entries_expire() -> None:
    clock = FakeClock()
    store = MemoryDedupStore(clock=clock)
    sizes = []
    for n in range(20_000):
        claim = await store.claim(f"k{n}", lease=1)
        if n % 2:
            await store.commit(f"k{n}", claim.token, ttl=1)
        clock.advance(0.01)  # about 100 live entries at any time
        sizes.append(len(store))
    assert max(sizes) <= 2048  # expired entries are swept, not kept forever


async def test_memory_commit_survives_a_takeover_and_a_failed_release() -> None:
    clock = FakeClock()
    store = MemoryDedupStore(clock=clock)
    slow = await store.claim("k", lease=1)
    clock.advance(2)
    other = await store.claim("k", lease=1)
    assert other.state is ClaimState.CLAIMED
    await store.commit("k", slow.token, ttl=100)  # the slow send did succeed
    await store.release("k", other.token)  # the other worker's send failed
    assert (await store.claim("k", lease=1)).state is ClaimState.DUPLICATE


def test_dedupe_defaults() -> None:
    dedupe = Dedupe()
    assert isinstance(dedupe.store, MemoryDedupStore)
    assert dedupe.ttl == 24 * 3600
    assert dedupe.lease == 60
    a = make_event(1)
    assert dedupe.key(a) == dedupe.key(a.replace(subject="changed"))
    assert dedupe.key(a) != dedupe.key(a.replace(source="/other"))
    assert dedupe.key(a) != dedupe.key(a.replace(id="ev-2"))


async def test_custom_dedupe_key_in_a_pipeline() -> None:
    sink = CapturingSink()
    events = [
        make_event(1, subject="pod/a"),
        make_event(2, subject="pod/a"),
        make_event(3, subject="pod/b"),
    ]
    pipeline = Pipeline(
        MemorySource(events),
        routes=[Route(sink, dedupe=Dedupe(key=lambda ev: ev.subject))],
        dead_letter=CapturingSink(),
        concurrency=1,
    )
    await run(pipeline)
    assert [e.id for e in sink.events] == ["ev-1", "ev-3"]


async def test_failed_send_releases_the_claim_so_redelivery_can_send() -> None:
    store = MemoryDedupStore()
    sink = CapturingSink(permanent=True)
    dead = CapturingSink()
    await run(
        Pipeline(
            MemorySource([make_event(1)]),
            routes=[Route(sink, name="r", dedupe=Dedupe(store=store))],
            dead_letter=dead,
        )
    )
    assert [e.id for e in dead.events] == ["ev-1"]
    # Nothing delivered, so nothing recorded: the key is free for a replay.
    assert (await store.claim("r\x1f" + Dedupe().key(make_event(1)), 1)).state is (
        ClaimState.CLAIMED
    )


# -- RedisDedupStore, against a real redis-server ----------------------------------------


@pytest.fixture
def prefix() -> str:
    return f"cesdk-test:{uuid.uuid4().hex}:"


@pytest.fixture
async def raw_redis(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def stores(
    redis_server: RedisServer, prefix: str
) -> AsyncIterator[tuple[RedisDedupStore, RedisDedupStore]]:
    """Two stores with their own connections, as two processes would have."""
    a = RedisDedupStore(redis_server.url, prefix=prefix)
    b = RedisDedupStore(redis_server.url, prefix=prefix)
    yield a, b
    await a.close()
    await b.close()


async def test_redis_claim_commit_release_and_the_key_prefix(
    stores: tuple[RedisDedupStore, RedisDedupStore], raw_redis: aioredis.Redis, prefix: str
) -> None:
    store, _ = stores
    claim = await store.claim("k", lease=30)
    assert claim.state is ClaimState.CLAIMED
    assert await raw_redis.get(prefix + "k") == claim.token.encode()
    assert 0 < await raw_redis.pttl(prefix + "k") <= 30_000
    assert (await store.claim("k", lease=30)).state is ClaimState.BUSY
    await store.release("k", claim.token)
    assert await raw_redis.exists(prefix + "k") == 0
    again = await store.claim("k", lease=30)
    await store.commit("k", again.token, ttl=3600)
    assert 30_000 < await raw_redis.pttl(prefix + "k") <= 3_600_000
    assert (await store.claim("k", lease=30)).state is ClaimState.DUPLICATE
    assert await raw_redis.keys("k") == []  # nothing outside the prefix


async def test_redis_two_stores_agree(stores: tuple[RedisDedupStore, RedisDedupStore]) -> None:
    a, b = stores
    claim = await a.claim("shared", lease=30)
    assert claim.state is ClaimState.CLAIMED
    assert (await b.claim("shared", lease=30)).state is ClaimState.BUSY
    await b.release("shared", "a token b never had")
    assert (await b.claim("shared", lease=30)).state is ClaimState.BUSY
    await a.commit("shared", claim.token, ttl=60)
    assert (await b.claim("shared", lease=30)).state is ClaimState.DUPLICATE


async def test_redis_prefixes_keep_pipelines_apart(redis_server: RedisServer) -> None:
    a = RedisDedupStore(redis_server.url, prefix=f"one-{uuid.uuid4().hex}:")
    b = RedisDedupStore(redis_server.url, prefix=f"two-{uuid.uuid4().hex}:")
    try:
        claim = await a.claim("k", lease=30)
        await a.commit("k", claim.token, ttl=60)
        assert (await b.claim("k", lease=30)).state is ClaimState.CLAIMED
    finally:
        await a.close()
        await b.close()


async def test_redis_lease_expiry_lets_another_store_take_over(
    stores: tuple[RedisDedupStore, RedisDedupStore],
) -> None:
    a, b = stores
    crashed = await a.claim("k", lease=0.05)
    assert crashed.state is ClaimState.CLAIMED
    states: list[ClaimState] = []
    tokens: list[str] = []

    async def taken_over() -> bool:
        claim = await b.claim("k", lease=30)
        states.append(claim.state)
        tokens.append(claim.token)
        return claim.state is ClaimState.CLAIMED

    await wait_for_async(taken_over, what="the lease to expire")
    assert set(states[:-1]) <= {ClaimState.BUSY}  # never DUPLICATE: nothing was delivered
    assert tokens[-1] != crashed.token


async def test_redis_ttl_expiry_forgets_delivered_keys(
    stores: tuple[RedisDedupStore, RedisDedupStore], raw_redis: aioredis.Redis, prefix: str
) -> None:
    a, b = stores
    claim = await a.claim("k", lease=30)
    await a.commit("k", claim.token, ttl=0.05)
    assert (await b.claim("k", lease=30)).state is ClaimState.DUPLICATE

    async def expired() -> bool:
        return not await raw_redis.exists(prefix + "k")

    await wait_for_async(expired, what="redis to expire the delivered key")
    assert (await b.claim("k", lease=30)).state is ClaimState.CLAIMED


async def test_redis_commit_survives_a_takeover_and_a_failed_release(
    stores: tuple[RedisDedupStore, RedisDedupStore], raw_redis: aioredis.Redis, prefix: str
) -> None:
    slow_store, other_store = stores
    slow = await slow_store.claim("k", lease=30)
    await raw_redis.delete(prefix + "k")  # the slow worker's lease expired
    other = await other_store.claim("k", lease=30)
    assert other.state is ClaimState.CLAIMED
    await slow_store.commit("k", slow.token, ttl=100)  # the slow send did succeed
    await other_store.release("k", other.token)  # the other worker's send failed
    assert (await other_store.claim("k", lease=30)).state is ClaimState.DUPLICATE


async def test_redis_store_accepts_a_decoding_client(
    redis_server: RedisServer, prefix: str
) -> None:
    client = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    store = RedisDedupStore(client=client, prefix=prefix)
    try:
        claim = await store.claim("k", lease=30)
        await store.commit("k", claim.token, ttl=60)
        assert (await store.claim("k", lease=30)).state is ClaimState.DUPLICATE
    finally:
        await store.close()


async def test_redis_dedup_survives_a_pipeline_restart(
    redis_server: RedisServer, prefix: str
) -> None:
    delivered: list[str] = []
    for batch in ([make_event(1), make_event(2)], [make_event(1), make_event(2), make_event(3)]):
        store = RedisDedupStore(redis_server.url, prefix=prefix)
        sink = CapturingSink()
        pipeline = Pipeline(
            MemorySource(batch),
            routes=[Route(sink, name="r", dedupe=Dedupe(store=store))],
            dead_letter=CapturingSink(),
        )
        try:
            await run(pipeline)
        finally:
            await store.close()
        delivered += [e.id for e in sink.events]
    assert sorted(delivered) == ["ev-1", "ev-2", "ev-3"]


def test_two_pipeline_processes_sharing_redis_deliver_each_event_once(
    redis_server: RedisServer, prefix: str, tmp_path: Path
) -> None:
    count = 200
    out = tmp_path / "delivered.jsonl"
    workers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), redis_server.url, prefix, str(out), str(count), order],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in ("forward", "reverse")
    ]
    reports = []
    try:
        for worker in workers:
            stdout, stderr = worker.communicate(timeout=60)
            assert worker.returncode == 0, stderr
            reports.append(json.loads(stdout.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    ids = [json_format.decode(line).id for line in out.read_bytes().splitlines()]
    assert Counter(ids) == Counter(f"e-{n}" for n in range(count))  # each exactly once
    assert (
        not (tmp_path / "delivered.jsonl.dead").exists()
        or not (tmp_path / "delivered.jsonl.dead").read_bytes()
    )
    assert sum(r["delivered"] for r in reports) == count
    for report in reports:
        # Both worked, and each accounted every event as sent or as the other's.
        assert report["delivered"] > 0
        assert report["delivered"] + report["deduplicated"] == count


def test_redis_store_without_redis_py_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    with pytest.raises(cesdk.MissingDependencyError, match=r"cesdk\[redis\]"):
        RedisDedupStore("redis://127.0.0.1:1/0")


async def test_unreachable_redis_nacks_instead_of_sending_or_acking() -> None:
    # A dedup store that cannot answer must not turn into "send anyway" or "ack anyway".
    store = RedisDedupStore(f"redis://127.0.0.1:{free_port()}/0")
    source = MemorySource([make_event(1)])
    sink = CapturingSink()
    pipeline = Pipeline(
        source, routes=[Route(sink, dedupe=Dedupe(store=store))], dead_letter=CapturingSink()
    )
    task = asyncio.create_task(run(pipeline))
    try:
        await wait_for_condition(lambda: source.nacked >= 1, what="a nack")
        assert source.acked == []
        assert sink.events == []
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await store.close()


async def test_duplicate_in_flight_waits_for_the_first_then_is_deduplicated() -> None:
    ev = make_event(1)
    sink = CapturingSink(delay=0.05)
    source = MemorySource([ev, json_format.decode(json_format.encode(ev))])
    pipeline = Pipeline(
        source,
        routes=[Route(sink, name="r", dedupe=Dedupe())],
        dead_letter=CapturingSink(),
        concurrency=2,
    )
    await run(pipeline)
    assert sink.attempts == 1  # the copy never reached the sink, not even concurrently
    assert [e.id for e in sink.events] == ["ev-1"]
    assert pipeline.metrics.counts[("r", "deduplicated")] == 1
    assert len(source.acked) == 2
