"""Retry: exponential backoff with full jitter, cap, attempts, elapsed time, Retry-After,
permanent errors; parse_retry_after (RFC 9110 section 10.2.3) and parse_duration
(ISO 8601 durations, Knative's ``backoffDelay``).

DESIGN.md "Delivery semantics" (Retry); issue 3 "Delivery semantics".
"""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from runtime_doubles import RecordingSink, make_event, run, stop_and_wait, wait_for_condition

import cesdk
from cesdk import Pipeline, Retry, Route, parse_duration, parse_retry_after
from cesdk.testing import CapturingSink, MemorySource

# -- Retry.delay -----------------------------------------------------------------------


def test_exponential_backoff_without_jitter_doubles_up_to_the_cap() -> None:
    retry = Retry(max_attempts=10, initial_delay=0.5, max_delay=5.0, jitter=False, max_elapsed=None)
    delays = [retry.delay(attempt, elapsed=0.0) for attempt in range(1, 10)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0]


def test_linear_backoff_grows_by_the_initial_delay() -> None:
    retry = Retry(max_attempts=10, initial_delay=0.5, max_delay=1.7, backoff="linear", jitter=False)
    assert [retry.delay(a, elapsed=0.0) for a in range(1, 5)] == [0.5, 1.0, 1.5, 1.7]


def test_multiplier_sets_the_growth() -> None:
    retry = Retry(max_attempts=10, initial_delay=1.0, multiplier=3.0, max_delay=100.0, jitter=False)
    assert [retry.delay(a, elapsed=0.0) for a in range(1, 5)] == [1.0, 3.0, 9.0, 27.0]


def test_full_jitter_is_reproducible_with_a_seeded_random() -> None:
    retry = Retry(max_attempts=10, initial_delay=0.5, max_delay=5.0, max_elapsed=None)
    got = [retry.delay(a, elapsed=0.0, rng=random.Random(42)) for a in range(1, 8)]
    want = [random.Random(42).uniform(0.0, min(5.0, 0.5 * 2 ** (a - 1))) for a in range(1, 8)]
    assert got == want


def test_full_jitter_spreads_over_zero_to_the_backoff_and_grows() -> None:
    retry = Retry(max_attempts=20, initial_delay=0.1, max_delay=3.0, max_elapsed=None)
    rng = random.Random(1234)
    highest = []
    for attempt in range(1, 8):
        bound = min(3.0, 0.1 * 2 ** (attempt - 1))  # 0.1 0.2 0.4 0.8 1.6 3.0 3.0
        samples = [retry.delay(attempt, elapsed=0.0, rng=rng) for _ in range(400)]
        values = [s for s in samples if s is not None]
        assert len(values) == 400
        assert all(0.0 <= v <= bound for v in values)
        # "Full" jitter: the draws cover the whole range, not just its top.
        assert min(values) < 0.1 * bound
        assert max(values) > 0.9 * bound
        highest.append(max(values))
    assert all(a < b for a, b in itertools.pairwise(highest[:6]))  # grows until the cap
    assert max(highest) <= 3.0  # the cap


@given(
    attempt=st.integers(1, 60),
    seed=st.integers(0, 2**32),
    initial=st.floats(0.0, 10.0),
    cap=st.floats(0.0, 100.0),
)
def test_jittered_delay_never_exceeds_the_cap_or_the_backoff(
    attempt: int, seed: int, initial: float, cap: float
) -> None:
    retry = Retry(max_attempts=100, initial_delay=initial, max_delay=cap, max_elapsed=None)
    delay = retry.delay(attempt, elapsed=0.0, rng=random.Random(seed))
    assert delay is not None
    assert 0.0 <= delay <= min(cap, initial * 2.0 ** (attempt - 1))


def test_max_attempts_counts_the_first_send() -> None:
    retry = Retry(max_attempts=3, jitter=False, max_elapsed=None)
    assert retry.delay(1, elapsed=0.0) is not None
    assert retry.delay(2, elapsed=0.0) is not None
    assert retry.delay(3, elapsed=0.0) is None
    assert Retry(max_attempts=1).delay(1, elapsed=0.0) is None


def test_max_elapsed_gives_up_when_the_next_wait_would_pass_it() -> None:
    retry = Retry(max_attempts=100, initial_delay=1.0, jitter=False, max_elapsed=10.0)
    assert retry.delay(1, elapsed=8.5) == 1.0
    assert retry.delay(1, elapsed=9.5) is None
    assert retry.delay(1, elapsed=20.0) is None


def test_retry_after_replaces_the_computed_delay() -> None:
    retry = Retry(max_attempts=5, initial_delay=0.1, max_delay=1.0, max_elapsed=60.0)
    rng = random.Random(0)
    assert retry.delay(1, elapsed=0.0, retry_after=7.0, rng=rng) == 7.0
    assert retry.delay(4, elapsed=0.0, retry_after=0.0, rng=rng) == 0.0
    # ... but not the attempt and elapsed limits.
    assert retry.delay(5, elapsed=0.0, retry_after=1.0) is None
    assert retry.delay(1, elapsed=55.0, retry_after=10.0) is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"initial_delay": -1.0}, "negative"),
        ({"max_delay": -1.0}, "negative"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"backoff": "fibonacci"}, "backoff"),
        ({"timeout": 0.0}, "timeout"),
    ],
)
def test_invalid_retry_is_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Retry(**options)


# -- parse_retry_after (RFC 9110 section 10.2.3) ------------------------------------------

_NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("120", 120.0), ("0", 0.0), (" 5 ", 5.0), ("86400", 86400.0)],
)
def test_retry_after_delay_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value) == seconds


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 21 Oct 2015 07:28:00 GMT",  # IMF-fixdate, the preferred format
        "Wednesday, 21-Oct-15 07:28:00 GMT",  # obsolete RFC 850 format
        "Wed Oct 21 07:28:00 2015",  # obsolete asctime format
    ],
)
def test_retry_after_http_date(value: str) -> None:
    # RFC 9110 section 5.6.7: recipients accept all three HTTP-date formats.
    assert parse_retry_after(value, now=_NOW) == 60.0


def test_retry_after_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=_NOW) == 0.0


def test_retry_after_date_defaults_to_the_current_time() -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    value = soon.strftime("%a, %d %b %Y %H:%M:%S GMT")
    seconds = parse_retry_after(value)
    assert seconds is not None
    assert 3500 < seconds <= 3600


@pytest.mark.parametrize(
    "value", [None, "", "soon", "-5", "1.5", "5s", "Wed, 99 Foo 2015 07:28:00 GMT", "0x10"]
)
def test_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_retry_after_unicode_digit_garbage_is_none() -> None:
    # U+00B2 is Latin-1, so a header decoded as ISO-8859-1 can carry it.
    assert parse_retry_after("\u00b2") is None


# -- parse_duration (ISO 8601) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0.5S", 0.5),
        ("PT1M30S", 90.0),
        ("P1D", 86400.0),
        ("PT2H", 7200.0),
        ("P1DT2H3M4S", 86400.0 + 7200 + 180 + 4),
        ("PT0.2S", 0.2),  # Knative's usual backoffDelay
        (" pt10s ", 10.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "P1DT", "1S", "PT1.5", "0.5", "abc", "-PT1S", "PT1S junk", "P1Y"]
)
def test_parse_duration_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_duration(text)


# -- retries in a running pipeline ----------------------------------------------------------

_FAST = Retry(max_attempts=5, initial_delay=0.001, max_delay=0.002)


async def test_retryable_failures_are_retried_until_delivered() -> None:
    sink = CapturingSink(fail=3)
    dead = CapturingSink()
    pipeline = Pipeline(
        MemorySource([make_event(1)]), routes=[Route(sink, retry=_FAST)], dead_letter=dead
    )
    await run(pipeline)
    assert [e.id for e in sink.events] == ["ev-1"]
    assert sink.attempts == 4
    assert dead.events == []
    assert pipeline.metrics.counts[("route0", "retried")] == 3
    assert pipeline.metrics.counts[("route0", "delivered")] == 1


async def test_max_attempts_then_dead_letter() -> None:
    sink = CapturingSink(fail=100)
    dead = CapturingSink()
    retry = Retry(max_attempts=3, initial_delay=0.001, max_delay=0.002)
    await run(
        Pipeline(MemorySource([make_event(1)]), routes=[Route(sink, retry=retry)], dead_letter=dead)
    )
    assert sink.attempts == 3
    [letter] = dead.events
    assert letter["deadletterattempts"] == 3
    assert "gave up after 3 attempt(s)" in letter["deadletterreason"]
    assert "CapturingSink fails ev-1 for now" in letter["deadletterreason"]


async def test_unexpected_exception_is_retried_like_a_retryable_one() -> None:
    calls = 0

    def explode_twice(ev: cesdk.CloudEvent) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise ConnectionResetError("peer went away")

    sink = RecordingSink(explode_twice)
    await run(
        Pipeline(
            MemorySource([make_event(1)]),
            routes=[Route(sink, retry=_FAST)],
            dead_letter=CapturingSink(),
        )
    )
    assert sink.ids == ["ev-1"]
    assert sink.attempts["ev-1"] == 3


@pytest.mark.parametrize(
    "error",
    [
        cesdk.PermanentDeliveryError("404 Not Found"),
        cesdk.InvalidEventError({"type": "the receiver does not know it"}),
        cesdk.EncodeError("cannot carry this data"),
    ],
    ids=["permanent", "invalid-event", "encode"],
)
async def test_permanent_errors_skip_retries(
    recorded_sleeps: list[float], error: Exception
) -> None:
    def refuse(ev: cesdk.CloudEvent) -> None:
        raise error

    sink = RecordingSink(refuse)
    dead = CapturingSink()
    retry = Retry(max_attempts=10, initial_delay=5.0)
    await run(
        Pipeline(MemorySource([make_event(1)]), routes=[Route(sink, retry=retry)], dead_letter=dead)
    )
    assert sink.attempts["ev-1"] == 1
    assert recorded_sleeps == []  # not a single backoff wait
    [letter] = dead.events
    assert letter["deadletterattempts"] == 1
    assert letter["deadletterreason"].startswith("permanent failure")
    assert str(error) in letter["deadletterreason"]


async def test_retry_after_from_the_sink_is_honoured(recorded_sleeps: list[float]) -> None:
    sink = CapturingSink(fail=2, retry_after=7.5)
    retry = Retry(max_attempts=5, initial_delay=0.01, max_delay=0.02)
    await run(
        Pipeline(
            MemorySource([make_event(1)]),
            routes=[Route(sink, retry=retry)],
            dead_letter=CapturingSink(),
        )
    )
    assert [e.id for e in sink.events] == ["ev-1"]
    # The receiver's wait replaces backoff (and its cap): both retries waited 7.5 s.
    assert recorded_sleeps == [7.5, 7.5]


async def test_backoff_waits_grow_in_a_running_pipeline(recorded_sleeps: list[float]) -> None:
    sink = CapturingSink(fail=4)
    retry = Retry(max_attempts=10, initial_delay=1.0, max_delay=5.0, jitter=False)
    await run(
        Pipeline(
            MemorySource([make_event(1)]),
            routes=[Route(sink, retry=retry)],
            dead_letter=CapturingSink(),
        )
    )
    assert recorded_sleeps == [1.0, 2.0, 4.0, 5.0]


async def test_retry_after_beyond_max_elapsed_dead_letters_at_once(
    recorded_sleeps: list[float],
) -> None:
    sink = CapturingSink(fail=1, retry_after=600.0)
    dead = CapturingSink()
    retry = Retry(max_attempts=5, max_elapsed=60.0)
    await run(
        Pipeline(MemorySource([make_event(1)]), routes=[Route(sink, retry=retry)], dead_letter=dead)
    )
    assert 600.0 not in recorded_sleeps
    assert sink.events == []
    assert [e["deadletterattempts"] for e in dead.events] == [1]


async def test_send_timeout_counts_as_a_retryable_failure() -> None:
    slow_once = True

    async def stall_first(ev: cesdk.CloudEvent) -> None:
        nonlocal slow_once
        if slow_once:
            slow_once = False
            await asyncio.Event().wait()  # never returns: only the timeout ends it

    sink = RecordingSink(lambda ev: stall_first(ev))
    retry = Retry(max_attempts=3, initial_delay=0.001, timeout=0.05)
    await run(
        Pipeline(
            MemorySource([make_event(1)]),
            routes=[Route(sink, retry=retry)],
            dead_letter=CapturingSink(),
        )
    )
    assert sink.ids == ["ev-1"]
    assert sink.attempts["ev-1"] == 2


async def test_send_timeout_reason_in_dead_letter() -> None:
    sink = RecordingSink(lambda ev: asyncio.Event().wait())
    dead = CapturingSink()
    retry = Retry(max_attempts=2, initial_delay=0.001, timeout=0.02)
    await run(
        Pipeline(MemorySource([make_event(1)]), routes=[Route(sink, retry=retry)], dead_letter=dead)
    )
    [letter] = dead.events
    assert "timed out" in letter["deadletterreason"]
    assert letter["deadletterattempts"] == 2


# -- a waiting retry never blocks other routes or keys ----------------------------------------


async def test_waiting_retry_does_not_block_other_routes_or_events() -> None:
    def stall_ev0(ev: cesdk.CloudEvent) -> None:
        if ev.id == "ev-0":
            raise cesdk.RetryableDeliveryError("busy", retry_after=60.0)

    waiting = RecordingSink(stall_ev0)
    other = RecordingSink()
    source = MemorySource([make_event(n) for n in range(5)], keep_open=True)
    pipeline = Pipeline(
        source,
        routes=[Route(waiting, name="waiting"), Route(other, name="other")],
        dead_letter=CapturingSink(),
        shutdown_timeout=0.05,
    )
    task = asyncio.create_task(run(pipeline))
    # ev-0 now waits 60 s on route "waiting"; everything else must flow meanwhile.
    await wait_for_condition(
        lambda: (
            sorted(other.ids) == [f"ev-{n}" for n in range(5)]
            and sorted(waiting.ids) == [f"ev-{n}" for n in range(1, 5)]
            and len(source.acked) == 4
        ),
        what="the other route and the other events",
    )
    assert waiting.attempts["ev-0"] == 1
    assert sorted(ev.id for ev in source.acked if ev is not None) == [
        f"ev-{n}" for n in range(1, 5)
    ]
    await stop_and_wait(pipeline, task)
    assert source.nacked == 1  # ev-0 was still waiting: nacked, not acked


async def test_waiting_retry_blocks_only_its_own_ordering_key() -> None:
    def stall_a0(ev: cesdk.CloudEvent) -> None:
        if ev.id == "ev-0":
            raise cesdk.RetryableDeliveryError("busy", retry_after=60.0)

    sink = RecordingSink(stall_a0)
    events = [
        make_event(0, extensions={"partitionkey": "a"}),
        make_event(1, extensions={"partitionkey": "a"}),
        *[make_event(n, extensions={"partitionkey": "b"}) for n in range(2, 6)],
    ]
    source = MemorySource(events, keep_open=True)
    pipeline = Pipeline(
        source,
        routes=[Route(sink)],
        dead_letter=CapturingSink(),
        ordering="partitionkey",
        shutdown_timeout=0.05,
    )
    task = asyncio.create_task(run(pipeline))
    await wait_for_condition(lambda: sink.ids == ["ev-2", "ev-3", "ev-4", "ev-5"])
    # Key "b" flowed; key "a" keeps its order: ev-1 waits behind the retrying ev-0.
    assert sink.attempts["ev-0"] == 1
    assert sink.attempts["ev-1"] == 0
    await stop_and_wait(pipeline, task)
    assert source.nacked == 2
