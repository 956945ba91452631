"""The batch path: a source with ``batches()`` and a sink with ``send_batch()``.

DESIGN.md "Delivery semantics": at least once end to end, whatever the path. A batch is
an optimisation only, so every outcome the one-delivery path has (retries, dead letters,
undecodable messages, failing steps, dedup) must be the same through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from runtime_doubles import make_event, run

import cesdk
from cesdk import CloudEvent, Delivery, RawMessage


class BatchListSource:
    """Yields the given lists of deliveries from ``batches()``; iterating one by one fails."""

    def __init__(self, batches: list[list[Delivery]]) -> None:
        self._batches = batches
        self.iterated = False

    async def __aenter__(self) -> BatchListSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        self.iterated = True
        for batch in self._batches:
            for delivery in batch:
                yield delivery

    async def batches(self) -> AsyncIterator[list[Delivery]]:
        for batch in self._batches:
            yield batch


class BatchSink:
    """Records events; ``outcome(event)`` tells what each one gets from ``send_batch``.

    ``send`` (the retry path) delivers unless ``fail_sends`` says otherwise.
    """

    def __init__(
        self,
        outcome: object = None,
        *,
        fail_sends: int = 0,
        raise_batch: BaseException | None = None,
    ) -> None:
        self.outcome = outcome
        self.fail_sends = fail_sends
        self.raise_batch = raise_batch
        self.batches: list[list[str]] = []
        self.sends: list[str] = []
        self.delivered: list[str] = []

    async def __aenter__(self) -> BatchSink:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send_batch(self, events: Sequence[CloudEvent]) -> list[BaseException | None]:
        self.batches.append([ev.id for ev in events])
        if self.raise_batch is not None:
            raise self.raise_batch
        outcomes: list[BaseException | None] = []
        for ev in events:
            result = self.outcome(ev) if callable(self.outcome) else None
            outcomes.append(result)
            if result is None:
                self.delivered.append(ev.id)
        return outcomes

    async def send(self, event: CloudEvent) -> None:
        self.sends.append(event.id)
        if self.fail_sends:
            self.fail_sends -= 1
            raise cesdk.RetryableDeliveryError("still down")
        self.delivered.append(event.id)


def _deliveries(n: int, start: int = 0) -> tuple[list[Delivery], list[str]]:
    settled: list[str] = []
    out = []
    for i in range(start, start + n):
        ev = make_event(i)

        async def ack(i: int = i) -> None:
            settled.append(f"ack ev-{i}")

        async def nack(delay: float | None, i: int = i) -> None:
            settled.append(f"nack ev-{i}")

        out.append(Delivery(ev, RawMessage(b"raw"), on_ack=ack, on_nack=nack))
    return out, settled


def _no_retry_wait() -> cesdk.Retry:
    return cesdk.Retry(max_attempts=3, initial_delay=0.0, max_delay=0.0)


async def test_a_batch_goes_to_send_batch_and_every_delivery_is_acked() -> None:
    deliveries, settled = _deliveries(6)
    source = BatchListSource([deliveries[:4], deliveries[4:]])
    sink = BatchSink()
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(sink)], dead_letter=cesdk.MemorySink())
    await run(pipeline)
    assert not source.iterated
    assert sink.batches == [["ev-0", "ev-1", "ev-2", "ev-3"], ["ev-4", "ev-5"]]
    assert sink.sends == []
    assert sorted(settled) == sorted(f"ack ev-{i}" for i in range(6))
    snapshot = pipeline.metrics.snapshot()
    assert snapshot["*/received"] == 6
    assert snapshot["route0/delivered"] == 6


async def test_batches_are_cut_to_half_the_concurrency() -> None:
    deliveries, settled = _deliveries(10)
    sink = BatchSink()
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]),
        routes=[cesdk.Route(sink)],
        dead_letter=cesdk.MemorySink(),
        concurrency=8,
    )
    await run(pipeline)
    assert [len(batch) for batch in sink.batches] == [4, 4, 2]
    assert len(settled) == 10


async def test_a_failed_event_is_retried_alone_and_the_others_are_not_resent() -> None:
    deliveries, settled = _deliveries(4)

    def outcome(ev: CloudEvent) -> BaseException | None:
        return cesdk.RetryableDeliveryError("busy") if ev.id == "ev-2" else None

    sink = BatchSink(outcome, fail_sends=1)
    route = cesdk.Route(sink, retry=_no_retry_wait())
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]), routes=[route], dead_letter=cesdk.MemorySink()
    )
    await run(pipeline)
    # send_batch failed ev-2 (attempt 1), send failed again (2), then delivered (3).
    assert sink.sends == ["ev-2", "ev-2"]
    assert sorted(sink.delivered) == ["ev-0", "ev-1", "ev-2", "ev-3"]
    assert sorted(settled) == sorted(f"ack ev-{i}" for i in range(4))
    snapshot = pipeline.metrics.snapshot()
    assert snapshot["route0/retried"] == 2
    assert snapshot["route0/delivered"] == 4


async def test_a_permanent_failure_is_dead_lettered_without_another_send() -> None:
    deliveries, settled = _deliveries(3)

    def outcome(ev: CloudEvent) -> BaseException | None:
        return cesdk.PermanentDeliveryError("refused: too large") if ev.id == "ev-1" else None

    sink = BatchSink(outcome)
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]), routes=[cesdk.Route(sink, name="out")], dead_letter=dead
    )
    await run(pipeline)
    assert sink.sends == []
    assert [ev.id for ev in dead.events] == ["ev-1"]
    assert "refused: too large" in dead.events[0]["deadletterreason"]
    assert dead.events[0]["deadletterattempts"] == 1
    # Dead-lettered counts as settled: acked, and the delivery knows why.
    assert sorted(settled) == ["ack ev-0", "ack ev-1", "ack ev-2"]
    assert deliveries[1].dead_letters
    assert "too large" in deliveries[1].dead_letters[0]
    assert deliveries[0].dead_letters == []


async def test_send_batch_raising_fails_every_event_of_it_and_each_is_retried() -> None:
    deliveries, settled = _deliveries(3)
    sink = BatchSink(raise_batch=cesdk.RetryableDeliveryError("broker gone"))
    route = cesdk.Route(sink, retry=_no_retry_wait())
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]), routes=[route], dead_letter=cesdk.MemorySink()
    )
    await run(pipeline)
    assert sorted(sink.sends) == ["ev-0", "ev-1", "ev-2"]
    assert sorted(settled) == ["ack ev-0", "ack ev-1", "ack ev-2"]


async def test_a_wrong_number_of_outcomes_is_a_failure_not_a_success() -> None:
    deliveries, settled = _deliveries(3)

    class ShortSink(BatchSink):
        async def send_batch(self, events: Sequence[CloudEvent]) -> list[BaseException | None]:
            return [None]  # says one outcome for three events

    sink = ShortSink()
    route = cesdk.Route(sink, retry=_no_retry_wait())
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]), routes=[route], dead_letter=cesdk.MemorySink()
    )
    await run(pipeline)
    # Nothing is taken as delivered on a broken answer: all three go through send.
    assert sorted(sink.sends) == ["ev-0", "ev-1", "ev-2"]
    assert len(settled) == 3


async def test_on_retry_hears_of_a_failure_from_the_batch() -> None:
    heard: list[tuple[int, str]] = []

    async def on_retry(attempt: int, reason: str, delay: float) -> None:
        heard.append((attempt, reason))

    delivery = Delivery(make_event(7), RawMessage(b""), on_retry=on_retry)
    sink = BatchSink(lambda ev: cesdk.RetryableDeliveryError("flaky"))
    route = cesdk.Route(sink, retry=_no_retry_wait())
    other, _ = _deliveries(1)
    pipeline = cesdk.Pipeline(
        BatchListSource([[delivery, *other]]), routes=[route], dead_letter=cesdk.MemorySink()
    )
    await run(pipeline)
    assert heard
    assert heard[0][0] == 1
    assert "flaky" in heard[0][1]
    assert delivery.settled == "ack"


async def test_undecodable_and_failing_steps_in_a_batch_are_dead_lettered() -> None:
    good, settled = _deliveries(2)
    bad = Delivery(None, RawMessage(b"\x00not an event"), ValueError("garbage"))
    explode = make_event(99)

    def step(ev: CloudEvent) -> CloudEvent:
        if ev.id == "ev-99":
            raise RuntimeError("step blew up")
        return ev

    sink = BatchSink()
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        BatchListSource([[good[0], bad, Delivery(explode, RawMessage(b"")), good[1]]]),
        steps=[step],
        routes=[cesdk.Route(sink)],
        dead_letter=dead,
    )
    await run(pipeline)
    assert sink.batches == [["ev-0", "ev-1"]]
    reasons = sorted(str(ev.get("deadletterreason") or ev.type) for ev in dead.events)
    assert len(dead.events) == 2
    assert any("step blew up" in reason for reason in reasons)
    assert any(ev.type == "dev.cesdk.deadletter.undecodable" for ev in dead.events)
    assert bad.settled == "ack"
    assert sorted(settled) == ["ack ev-0", "ack ev-1"]
    assert pipeline.metrics.snapshot()["*/received"] == 4


async def test_routes_filter_per_event_and_dedup_routes_use_send() -> None:
    deliveries, settled = _deliveries(4)
    evens = BatchSink()
    deduped = BatchSink()
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]),
        routes=[
            cesdk.Route(evens, name="evens", filter=lambda ev: ev.data["n"] % 2 == 0),
            cesdk.Route(deduped, name="dedup", dedupe=cesdk.Dedupe()),
        ],
        dead_letter=cesdk.MemorySink(),
    )
    await run(pipeline)
    assert evens.batches == [["ev-0", "ev-2"]]
    assert deduped.batches == []
    assert sorted(deduped.sends) == ["ev-0", "ev-1", "ev-2", "ev-3"]
    assert pipeline.metrics.snapshot()["evens/filtered"] == 2
    assert len(settled) == 4


async def test_ordering_uses_the_one_delivery_path() -> None:
    deliveries, settled = _deliveries(3)
    source = BatchListSource([deliveries])
    sink = BatchSink()
    pipeline = cesdk.Pipeline(
        source, routes=[cesdk.Route(sink)], dead_letter=cesdk.MemorySink(), ordering="subject"
    )
    await run(pipeline)
    assert source.iterated
    assert sink.batches == []
    assert sink.sends == ["ev-0", "ev-1", "ev-2"]
    assert len(settled) == 3


async def test_stopping_mid_batch_nacks_what_did_not_settle() -> None:
    deliveries, settled = _deliveries(3)
    release = asyncio.Event()

    class StuckSink(BatchSink):
        async def send_batch(self, events: Sequence[CloudEvent]) -> list[BaseException | None]:
            self.batches.append([ev.id for ev in events])
            await release.wait()  # never set: the sink hangs
            return [None] * len(events)

    sink = StuckSink()
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]),
        routes=[cesdk.Route(sink)],
        dead_letter=cesdk.MemorySink(),
        shutdown_timeout=0.2,
    )
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    await cesdk.testing.until(lambda: bool(sink.batches), timeout=5)
    pipeline.stop()
    await asyncio.wait_for(task, 5)
    assert sorted(settled) == ["nack ev-0", "nack ev-1", "nack ev-2"]


@pytest.mark.parametrize("raw_kind", ["value", "function"])
def test_delivery_raw_may_be_built_on_first_read(raw_kind: str) -> None:
    built: list[int] = []
    message = RawMessage(b"body", (("h", "v"),), {"offset": 3})

    def build() -> RawMessage:
        built.append(1)
        return message

    delivery = Delivery(None, message if raw_kind == "value" else build, ValueError("x"))
    assert built == []
    assert delivery.raw is message
    assert delivery.raw is message
    assert built == ([] if raw_kind == "value" else [1])  # built once, then kept


async def test_memory_sink_takes_a_batch_and_feeds_its_channel() -> None:
    deliveries, settled = _deliveries(3)
    sink = cesdk.MemorySink(channel="batch-test")
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]), routes=[cesdk.Route(sink)], dead_letter=cesdk.MemorySink()
    )
    await run(pipeline)
    assert [ev.id for ev in sink.events] == ["ev-0", "ev-1", "ev-2"]
    reader = cesdk.MemorySource(channel="batch-test")
    seen: list[str] = []
    async with reader, asyncio.timeout(5):
        deliveries_out = aiter(reader)
        for _ in range(3):
            delivery = await anext(deliveries_out)
            assert delivery.event is not None
            seen.append(delivery.event.id)
    assert seen == ["ev-0", "ev-1", "ev-2"]
    assert len(settled) == 3


async def test_an_event_in_retry_holds_back_only_its_own_delivery() -> None:
    deliveries, settled = _deliveries(3)
    release = asyncio.Event()

    class SlowRetrySink(BatchSink):
        async def send(self, event: CloudEvent) -> None:
            self.sends.append(event.id)
            await release.wait()  # the retry of ev-1 takes as long as the test says
            self.delivered.append(event.id)

    sink = SlowRetrySink(
        lambda ev: cesdk.RetryableDeliveryError("busy") if ev.id == "ev-1" else None
    )
    route = cesdk.Route(sink, retry=_no_retry_wait())
    pipeline = cesdk.Pipeline(
        BatchListSource([deliveries]), routes=[route], dead_letter=cesdk.MemorySink()
    )
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    await cesdk.testing.until(lambda: sink.sends == ["ev-1"], timeout=5)
    await cesdk.testing.until(lambda: len(settled) == 2, timeout=5)
    assert sorted(settled) == ["ack ev-0", "ack ev-2"]  # settled while ev-1 still retries
    assert deliveries[1].settled is None
    release.set()
    await asyncio.wait_for(task, 5)
    assert sorted(settled) == ["ack ev-0", "ack ev-1", "ack ev-2"]
