"""Flow control: ordering per key, bounded in-flight work (backpressure) and token-bucket
rate limits per route and per key.

DESIGN.md "Delivery semantics" (Ordering, Backpressure, Rate limits); issue 3.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import defaultdict

import pytest
from runtime_doubles import (
    CountingSource,
    FakeClock,
    RecordingSink,
    make_event,
    run,
    wait_for_condition,
)

import cesdk
from cesdk import Pipeline, RateLimit, Route
from cesdk._pipeline._ratelimit import RateLimiter
from cesdk.testing import CapturingSink, MemorySource

# -- ordering per key ----------------------------------------------------------------------


def _random_delays(seed: int) -> RecordingSink:
    rng = random.Random(seed)
    return RecordingSink(lambda ev: asyncio.sleep(rng.uniform(0, 0.004)))


def _per_key(sink: RecordingSink, attribute: str) -> dict[object, list[int]]:
    seen: dict[object, list[int]] = defaultdict(list)
    for ev in sink.events:
        seen[ev.get(attribute)].append(ev.data["n"])
    return seen


async def test_partitionkey_ordering_keeps_each_key_in_order() -> None:
    keys = ["a", "b", "c", "d"]
    events = [make_event(n, extensions={"partitionkey": keys[n % 4]}) for n in range(48)]
    sink = _random_delays(7)
    await run(
        Pipeline(
            MemorySource(events),
            routes=[Route(sink)],
            dead_letter=CapturingSink(),
            concurrency=16,
            ordering="partitionkey",
        )
    )
    per_key = _per_key(sink, "partitionkey")
    assert set(per_key) == set(keys)
    for key, ns in per_key.items():
        assert ns == sorted(ns), key
        assert len(ns) == 12
    assert max(sink.max_in_flight_by_key.values()) == 1  # one in flight per key
    assert sink.max_in_flight > 1  # different keys proceeded together


async def test_without_ordering_the_same_key_runs_concurrently() -> None:
    # The contrast that shows the ordering test measures something.
    events = [make_event(n, extensions={"partitionkey": "a"}) for n in range(16)]
    sink = _random_delays(7)
    await run(
        Pipeline(
            MemorySource(events), routes=[Route(sink)], dead_letter=CapturingSink(), concurrency=8
        )
    )
    assert sink.max_in_flight_by_key["a"] > 1


async def test_subject_ordering() -> None:
    subjects = ["pod/a", "pod/b", "pod/c"]
    events = [make_event(n, subject=subjects[n % 3]) for n in range(30)]
    sink = _random_delays(11)
    sink.key = lambda ev: ev.subject
    await run(
        Pipeline(
            MemorySource(events),
            routes=[Route(sink)],
            dead_letter=CapturingSink(),
            concurrency=10,
            ordering="subject",
        )
    )
    for subject, ns in _per_key(sink, "subject").items():
        assert ns == sorted(ns), subject
    assert max(sink.max_in_flight_by_key.values()) == 1
    assert sink.max_in_flight > 1


async def test_ordering_by_a_function_of_the_delivery() -> None:
    events = [make_event(n) for n in range(20)]
    sink = _random_delays(3)
    sink.key = lambda ev: ev.data["n"] % 2
    await run(
        Pipeline(
            MemorySource(events),
            routes=[Route(sink)],
            dead_letter=CapturingSink(),
            concurrency=8,
            ordering=lambda d: d.event.data["n"] % 2,
        )
    )
    for parity in (0, 1):
        ns = [ev.data["n"] for ev in sink.events if ev.data["n"] % 2 == parity]
        assert ns == sorted(ns)
    assert max(sink.max_in_flight_by_key.values()) == 1
    assert sink.max_in_flight == 2


# -- backpressure ----------------------------------------------------------------------------


async def test_concurrency_bounds_in_flight_work_and_reading_ahead() -> None:
    inner = MemorySource([make_event(n) for n in range(40)])
    source = CountingSource(inner)
    sink = CapturingSink(delay=0.005)
    await run(Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink(), concurrency=4))
    assert len(sink.events) == 40
    assert sink.max_in_flight <= 4
    assert sink.max_in_flight == 4  # the bound was reached, so it was tested
    # The source is not read ahead of the work: never more than 4 unsettled deliveries.
    assert source.yielded == 40
    assert max(source.ahead) <= 4
    assert max(source.ahead) == 4


async def test_slow_sink_stops_the_source_from_fetching() -> None:
    gate = asyncio.Event()
    sink = RecordingSink(lambda ev: gate.wait())
    inner = MemorySource([make_event(n) for n in range(100)])
    source = CountingSource(inner)
    task = asyncio.create_task(
        run(Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink(), concurrency=3))
    )
    await wait_for_condition(lambda: sink.in_flight == 3)
    # Give the fetch loop every chance to read on: it must not.
    for _ in range(50):
        await asyncio.sleep(0)
    assert source.yielded == 3
    gate.set()
    await task
    assert source.yielded == 100
    assert len(sink.events) == 100


# -- rate limits: the arithmetic, with an injected clock ----------------------------------


def _limiter(limit: RateLimit, clock: FakeClock) -> RateLimiter:
    return RateLimiter(limit, clock=clock)


def test_token_bucket_allows_a_burst_then_spaces_sends() -> None:
    clock = FakeClock()
    limiter = _limiter(RateLimit(rate=2, burst=3), clock)
    ev = make_event(1)
    assert [limiter.reserve(ev) for _ in range(5)] == [0.0, 0.0, 0.0, 0.5, 1.0]
    clock.advance(1.0)  # two tokens back, but two were borrowed
    assert limiter.reserve(ev) == pytest.approx(0.5)
    clock.advance(10.0)  # a quiet spell refills only up to the burst
    assert [limiter.reserve(ev) for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(0.5)]


def test_token_bucket_refills_at_the_rate() -> None:
    clock = FakeClock()
    limiter = _limiter(RateLimit(rate=4, burst=1), clock)
    ev = make_event(1)
    assert limiter.reserve(ev) == 0.0
    clock.advance(0.1)
    assert limiter.reserve(ev) == pytest.approx(0.15)  # 0.4 tokens back, 0.6 missing
    clock.advance(0.15)
    assert limiter.reserve(ev) == pytest.approx(0.25)


def test_rate_limit_per_key_gives_each_key_its_bucket() -> None:
    clock = FakeClock()
    limiter = _limiter(RateLimit(rate=1, burst=1, per="subject"), clock)
    a1, a2 = make_event(1, subject="#alerts"), make_event(2, subject="#alerts")
    b1 = make_event(3, subject="#ops")
    assert limiter.reserve(a1) == 0.0
    assert limiter.reserve(b1) == 0.0
    assert limiter.reserve(a2) == 1.0
    assert limiter.reserve(a2) == 2.0
    clock.advance(0.5)
    assert limiter.reserve(b1) == pytest.approx(0.5)


def test_rate_limit_per_key_function_and_overall_cap() -> None:
    clock = FakeClock()
    limit = RateLimit(rate=10, burst=10, per=lambda ev: ev.data["n"], overall=2)
    limiter = _limiter(limit, clock)
    # Every event has its own key, but all share the overall bucket of 2 per second.
    waits = [limiter.reserve(make_event(n)) for n in range(4)]
    assert waits == [0.0, 0.0, 0.5, 1.0]


def test_events_without_the_key_share_one_bucket() -> None:
    clock = FakeClock()
    limiter = _limiter(RateLimit(rate=1, burst=1, per="partitionkey"), clock)
    assert limiter.reserve(make_event(1)) == 0.0
    assert limiter.reserve(make_event(2)) == 1.0


@pytest.mark.parametrize(
    "options",
    [{"rate": 0}, {"rate": -1}, {"rate": 1, "burst": 0}, {"rate": 1, "overall": 0}],
)
def test_invalid_rate_limit_is_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RateLimit"):
        RateLimit(**options)


# -- rate limits in a running pipeline --------------------------------------------------------


async def test_route_rate_limit_spaces_real_sends() -> None:
    sink = RecordingSink()
    events = [make_event(n) for n in range(6)]
    start = time.monotonic()
    await run(
        Pipeline(
            MemorySource(events),
            routes=[Route(sink, rate_limit=RateLimit(rate=50, burst=1))],
            dead_letter=CapturingSink(),
        )
    )
    assert len(sink.events) == 6
    # A token bucket of 1 at 50/s: the k-th send comes no sooner than k * 20 ms after the
    # start (2 ms of slack for the event loop's clock resolution).
    early = [k for k, at in enumerate(sink.sent_at) if at - start < k * 0.020 - 0.002]
    assert early == [], [at - start for at in sink.sent_at]


async def test_rate_limit_applies_per_route() -> None:
    limited = RecordingSink()
    free = RecordingSink()
    events = [make_event(n) for n in range(5)]
    start = time.monotonic()
    await run(
        Pipeline(
            MemorySource(events),
            routes=[
                Route(limited, name="slack", rate_limit=RateLimit(rate=40, burst=1)),
                Route(free, name="log"),
            ],
            dead_letter=CapturingSink(),
        )
    )
    assert len(limited.events) == len(free.events) == 5
    assert limited.sent_at[-1] - start >= 4 * 0.025 - 0.002
    # The unlimited route was not held back to the limited one's pace.
    assert free.sent_at[-1] < limited.sent_at[-1]


async def test_per_key_rate_limit_lets_other_keys_through() -> None:
    sink = RecordingSink()
    limit = RateLimit(rate=0.5, burst=1, per="subject")  # one send per 2 s per subject
    source = MemorySource(
        [make_event(1, subject="#a"), make_event(2, subject="#a")]
        + [make_event(n, subject=f"#k{n}") for n in range(3, 9)],
        keep_open=True,
    )
    pipeline = Pipeline(
        source,
        routes=[Route(sink, rate_limit=limit)],
        dead_letter=CapturingSink(),
        shutdown_timeout=0.05,
    )
    task = asyncio.create_task(run(pipeline))
    await wait_for_events(sink, 7)
    # The second "#a" waits its turn; the six other keys did not wait behind it.
    assert sorted(sink.ids) == sorted(["ev-1", *[f"ev-{n}" for n in range(3, 9)]])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert "ev-2" not in sink.ids


async def wait_for_events(sink: RecordingSink, count: int) -> None:
    await wait_for_condition(lambda: len(sink.events) >= count, what=f"{count} events")


def test_rate_limit_is_exported_and_limiter_is_private() -> None:
    assert cesdk.RateLimit is RateLimit
    assert "RateLimiter" not in cesdk.__all__
