"""Noise control steps: threshold, once_per, digest (issue 3, "Noise control steps")."""

from __future__ import annotations

import asyncio

import pytest

import cesdk
from cesdk.testing import CapturingSink, RedisServer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _event(n: int, subject: str = "pod/web-1") -> cesdk.CloudEvent:
    return cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s", subject=subject, id=str(n))


async def test_threshold_passes_only_the_nth_occurrence_per_window() -> None:
    clock = FakeClock()
    step = cesdk.threshold(3, 60, key="subject", store=cesdk.MemoryDedupStore(clock=clock))
    passed = [await step(_event(n)) is not None for n in range(7)]
    assert passed == [False, False, True, False, False, False, False]
    clock.now += 61  # a new window starts
    assert [await step(_event(n)) is not None for n in range(3)] == [False, False, True]


async def test_threshold_counts_each_key_apart() -> None:
    step = cesdk.threshold(2, 60, key="subject")
    a1, b1, a2 = _event(1, "pod/a"), _event(2, "pod/b"), _event(3, "pod/a")
    assert [await step(ev) for ev in (a1, b1, a2)] == [None, None, a2]


async def test_once_per_passes_the_first_per_window() -> None:
    clock = FakeClock()
    step = cesdk.once_per(300, key=lambda ev: ev.subject, store=cesdk.MemoryDedupStore(clock=clock))
    assert [await step(_event(n)) is not None for n in range(3)] == [True, False, False]
    clock.now += 301
    assert await step(_event(9)) is not None


async def test_counters_survive_a_restart_with_redis(redis_server: RedisServer) -> None:
    """State in Redis: a new process (a new store object) continues the same count."""
    first = cesdk.RedisDedupStore(redis_server.url, prefix="noise-test:")
    step = cesdk.threshold(3, 60, key="subject", store=first)
    assert await step(_event(1)) is None
    assert await step(_event(2)) is None
    await first.close()
    second = cesdk.RedisDedupStore(redis_server.url, prefix="noise-test:")
    restarted = cesdk.threshold(3, 60, key="subject", store=second)
    assert await restarted(_event(3)) is not None
    await second.close()


@pytest.mark.parametrize("bad", [(0, 60), (3, 0)])
def test_threshold_rejects_nonsense(bad: tuple[int, float]) -> None:
    with pytest.raises(ValueError, match="threshold"):
        cesdk.threshold(*bad)


async def test_digest_sends_one_summary_per_full_batch() -> None:
    step = cesdk.digest(600, key="subject", max=3)
    out = [await step(_event(n)) for n in range(3)]
    assert out[:2] == [None, None]
    summary = out[2]
    assert summary is not None
    assert summary.type == "dev.cesdk.digest"
    assert summary.subject == "pod/web-1"
    assert summary.data["count"] == 3
    assert [e["id"] for e in summary.data["events"]] == ["0", "1", "2"]


async def test_digest_window_closes_on_tick() -> None:
    clock = FakeClock()
    step = cesdk.Digest(60, key="subject", max=100, clock=clock)
    assert await step(_event(1)) is None
    assert await step.tick() == []
    clock.now += 60
    (summary,) = await step.tick()
    assert summary.data["count"] == 1
    assert await step.tick() == []


async def test_pipeline_ticks_digests_and_flushes_them_on_stop() -> None:
    sink = CapturingSink()
    source = cesdk.MemorySource([_event(n, f"pod/{n % 2}") for n in range(5)], keep_open=True)
    pipeline = cesdk.Pipeline(
        source,
        steps=[cesdk.digest(3600, key="subject", max=3)],
        routes=[cesdk.Route(sink)],
        dead_letter=CapturingSink(),
    )
    task = asyncio.create_task(pipeline.run())
    (full,) = await sink.wait_for(1)  # pod/0 reached max=3
    assert full.data["count"] == 3
    pipeline.stop()
    await asyncio.wait_for(task, 10)
    # Stopping flushes what was held: pod/1's two events are not lost.
    assert [e.data["count"] for e in sink.events] == [3, 2]
