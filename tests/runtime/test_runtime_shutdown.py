"""Graceful shutdown: stop fetching, drain in-flight work within a deadline, nack what is
unfinished (never ack it), close; ``async with pipeline``; signals.

DESIGN.md "Delivery semantics" (Shutdown); issue 3 "Graceful shutdown with a deadline;
a second signal forces exit; nothing acked that was not delivered".
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from types import TracebackType

import pytest
from runtime_doubles import RecordingSink, make_event, run, stop_and_wait, wait_for_condition

from cesdk import CloudEvent, Delivery, Pipeline, RawMessage, Route
from cesdk.testing import CapturingSink, MemorySource


def _stopping(pipeline: Pipeline) -> Callable[[], bool]:
    """Tell when a signal has been handled (the pipeline has no public flag for it)."""
    return lambda: pipeline._stopping is not None and pipeline._stopping.is_set()


def _acked_ids(source: MemorySource) -> list[str]:
    return sorted(ev.id for ev in source.acked if ev is not None)


async def test_stop_drains_in_flight_deliveries() -> None:
    gate = asyncio.Event()
    sink = RecordingSink(lambda ev: gate.wait())
    source = MemorySource(keep_open=True)
    pipeline = Pipeline(
        source, routes=[Route(sink)], dead_letter=CapturingSink(), shutdown_timeout=10
    )
    task = asyncio.create_task(run(pipeline))
    for n in range(3):
        source.put(make_event(n))
    await wait_for_condition(lambda: sink.in_flight == 3)
    pipeline.stop()
    gate.set()  # the sends finish only after stop(): the drain must wait for them
    await stop_and_wait(pipeline, task)
    assert sorted(sink.ids) == ["ev-0", "ev-1", "ev-2"]
    assert _acked_ids(source) == ["ev-0", "ev-1", "ev-2"]
    assert source.nacked == 0


async def test_unfinished_deliveries_are_nacked_after_the_shutdown_timeout() -> None:
    sink = CapturingSink(delay=60)
    source = MemorySource(keep_open=True)
    pipeline = Pipeline(
        source, routes=[Route(sink)], dead_letter=CapturingSink(), shutdown_timeout=0.05
    )
    task = asyncio.create_task(run(pipeline))
    for n in range(3):
        source.put(make_event(n))
    await wait_for_condition(lambda: sink.in_flight == 3)
    await stop_and_wait(pipeline, task, timeout=5)
    assert sink.events == []
    assert source.acked == []  # never acked what was not delivered
    assert source.nacked == 3


async def test_drain_mixes_finished_and_unfinished() -> None:
    gate = asyncio.Event()

    async def behave(ev: CloudEvent) -> None:
        if ev.subject == "stuck":
            await asyncio.Event().wait()  # never finishes
        await gate.wait()

    sink = RecordingSink(behave)
    source = MemorySource([make_event(1), make_event(2, subject="stuck")], keep_open=True)
    pipeline = Pipeline(
        source, routes=[Route(sink)], dead_letter=CapturingSink(), shutdown_timeout=0.2
    )
    task = asyncio.create_task(run(pipeline))
    await wait_for_condition(lambda: sink.in_flight == 2)
    pipeline.stop()
    gate.set()
    await stop_and_wait(pipeline, task, timeout=5)
    assert sink.ids == ["ev-1"]
    assert _acked_ids(source) == ["ev-1"]
    assert source.nacked == 1


async def test_stop_during_a_retry_wait_nacks() -> None:
    sink = CapturingSink(fail=1, retry_after=60)
    source = MemorySource([make_event(1)], keep_open=True)
    pipeline = Pipeline(
        source, routes=[Route(sink)], dead_letter=CapturingSink(), shutdown_timeout=0.05
    )
    task = asyncio.create_task(run(pipeline))
    await wait_for_condition(lambda: sink.attempts == 1 and sink.in_flight == 0)
    await stop_and_wait(pipeline, task, timeout=5)
    assert source.acked == []
    assert source.nacked == 1


async def test_stop_makes_run_return_normally() -> None:
    source = MemorySource(keep_open=True)
    sink = CapturingSink()
    pipeline = Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink())
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    source.put(make_event(1))
    await sink.wait_for(1)
    pipeline.stop()
    async with asyncio.timeout(5):
        assert await task is None


async def test_async_with_exits_even_before_the_run_started() -> None:
    source = MemorySource(keep_open=True)
    pipeline = Pipeline(source, routes=[Route(CapturingSink())], dead_letter=CapturingSink())
    try:
        async with asyncio.timeout(2):
            async with pipeline:
                pass
    finally:
        leftover = pipeline._run_task
        if leftover is not None and not leftover.done():
            leftover.cancel()


async def test_async_with_delivers_and_drains() -> None:
    source = MemorySource(keep_open=True)
    sink = CapturingSink(delay=0.01)
    pipeline = Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink())
    async with asyncio.timeout(10):
        async with pipeline:
            for n in range(5):
                source.put(make_event(n))
            await sink.wait_for(2)
        # Leaving the block stopped the pipeline after draining what was in flight.
        assert sorted(e.id for e in sink.events) == _acked_ids(source)
        assert len(sink.events) == 5


async def test_async_with_runs_the_pipeline_until_the_source_ends() -> None:
    sink = CapturingSink()
    source = MemorySource([make_event(n) for n in range(5)])
    pipeline = Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink())
    async with asyncio.timeout(10):
        async with pipeline:
            await sink.wait_for(5)
            await wait_for_condition(lambda: len(source.acked) == 5)
    assert pipeline.ready is False


async def test_ready_while_running_and_sinks_closed_after() -> None:
    sink = CapturingSink()
    source = MemorySource(keep_open=True)
    pipeline = Pipeline(source, routes=[Route(sink)], dead_letter=sink)
    assert pipeline.ready is False
    task = asyncio.create_task(run(pipeline))
    await wait_for_condition(lambda: pipeline.ready)
    assert (sink.entered, sink.exited) == (1, 0)
    await stop_and_wait(pipeline, task)
    assert pipeline.ready is False
    assert (sink.entered, sink.exited) == (1, 1)


class _FailingSource:
    """Yields the given deliveries, then breaks like a lost broker connection."""

    def __init__(self, deliveries: list[Delivery]) -> None:
        self.deliveries = deliveries
        self.closed = False

    async def __aenter__(self) -> _FailingSource:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.closed = True

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        for delivery in self.deliveries:
            yield delivery
        raise ConnectionError("broker connection lost")


async def test_a_failing_source_fails_the_run_after_draining() -> None:
    acked: list[int] = []

    def delivery(n: int) -> Delivery:
        async def ack() -> None:
            acked.append(n)

        return Delivery(make_event(n), RawMessage(), on_ack=ack)

    sink = CapturingSink(delay=0.02)
    source = _FailingSource([delivery(1), delivery(2)])
    with pytest.raises(ConnectionError, match="broker connection lost"):
        await run(Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink()))
    assert sorted(acked) == [1, 2]  # drained before the error surfaced
    assert source.closed


async def test_sigterm_stops_fetching_and_drains() -> None:
    gate = asyncio.Event()
    sink = RecordingSink(lambda ev: gate.wait())
    source = MemorySource([make_event(1), make_event(2)], keep_open=True)
    pipeline = Pipeline(
        source, routes=[Route(sink)], dead_letter=CapturingSink(), shutdown_timeout=10
    )
    task = asyncio.create_task(pipeline.run())  # handles SIGTERM/SIGINT itself
    await wait_for_condition(lambda: pipeline.ready and sink.in_flight == 2)
    os.kill(os.getpid(), signal.SIGTERM)
    await wait_for_condition(_stopping(pipeline), what="the signal to be handled")
    gate.set()
    done, _ = await asyncio.wait({task}, timeout=10)
    assert done
    assert _acked_ids(source) == ["ev-1", "ev-2"]
    assert source.nacked == 0
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handler removed again


async def test_second_sigterm_cancels_in_flight_work_and_nacks() -> None:
    sink = CapturingSink(delay=60)
    source = MemorySource([make_event(1), make_event(2)], keep_open=True)
    pipeline = Pipeline(
        source, routes=[Route(sink)], dead_letter=CapturingSink(), shutdown_timeout=60
    )
    task = asyncio.create_task(pipeline.run())
    await wait_for_condition(lambda: pipeline.ready and sink.in_flight == 2)
    os.kill(os.getpid(), signal.SIGTERM)
    await wait_for_condition(_stopping(pipeline), what="the first signal to be handled")
    os.kill(os.getpid(), signal.SIGTERM)
    done, _ = await asyncio.wait({task}, timeout=10)
    assert done  # did not wait out the 60 s shutdown timeout
    assert source.acked == []
    assert source.nacked == 2


async def test_stop_before_run_returns_at_once_without_fetching() -> None:
    sink = CapturingSink()
    source = MemorySource([make_event(1)])
    pipeline = Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink())
    pipeline.stop()
    await run(pipeline, timeout=5)
    assert sink.events == []
    assert source.acked == []


async def test_a_stopped_pipeline_can_run_again() -> None:
    sink = CapturingSink()
    source = MemorySource(keep_open=True)
    pipeline = Pipeline(source, routes=[Route(sink)], dead_letter=CapturingSink())
    for n in range(2):
        task = asyncio.create_task(run(pipeline))
        source.put(make_event(n))
        await sink.wait_for(n + 1)
        await wait_for_condition(lambda want=n + 1: len(source.acked) == want)
        await stop_and_wait(pipeline, task)
    assert [e.id for e in sink.events] == ["ev-0", "ev-1"]
