"""Test doubles and small tools shared by the runtime tests.

Importable from any test module in this folder (pytest puts the folder on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import cesdk
from cesdk import CloudEvent, Delivery

# Kept before any test replaces asyncio.sleep with a recording fake.
_real_sleep = asyncio.sleep


def make_event(n: int, **attributes: Any) -> CloudEvent:
    """Return an event with id ``ev-<n>`` and data ``{"n": n}``."""
    attributes.setdefault("type", "dev.cesdk.test")
    attributes.setdefault("source", "/tests/runtime")
    attributes.setdefault("data", {"n": n})
    return CloudEvent(id=f"ev-{n}", **attributes)


async def wait_for_condition(
    condition: Callable[[], bool], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Poll ``condition`` on the event loop until it holds; fail after ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await _real_sleep(0.002)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


async def wait_for_async(
    condition: Callable[[], Awaitable[bool]], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Like ``wait_for_condition``, for a condition that must be awaited (a Redis query)."""
    try:
        async with asyncio.timeout(timeout):
            while not await condition():
                await _real_sleep(0.002)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


async def run(pipeline: cesdk.Pipeline, *, timeout: float = 20.0) -> None:
    """Run the pipeline to its end, failing the test if it does not end in time."""
    async with asyncio.timeout(timeout):
        await pipeline.run(handle_signals=False)


async def stop_and_wait(
    pipeline: cesdk.Pipeline, task: asyncio.Task[None], *, timeout: float = 10.0
) -> None:
    """Call ``pipeline.stop()`` and wait for its run to return; re-raise what it raised."""
    pipeline.stop()
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        raise AssertionError(f"the pipeline did not stop within {timeout}s")
    assert not task.cancelled(), "stop() must make run() return, not cancel it"
    task.result()


class RecordingSink:
    """A sink that records events, times and concurrency, and behaves as told per event.

    Args:
        behaviour: called with each event before it is recorded; may raise to fail
            the send, or return an awaitable (e.g. a sleep) that is awaited first.
    """

    def __init__(
        self, behaviour: Callable[[CloudEvent], Awaitable[None] | None] | None = None
    ) -> None:
        self.behaviour = behaviour
        self.events: list[CloudEvent] = []
        self.sent_at: list[float] = []
        self.attempts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_by_key: Counter[object] = Counter()
        self.max_in_flight_by_key: Counter[object] = Counter()
        self.key: Callable[[CloudEvent], object] = lambda ev: ev.get("partitionkey")
        self.entered = 0
        self.exited = 0

    async def __aenter__(self) -> RecordingSink:
        self.entered += 1
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.exited += 1

    @property
    def ids(self) -> list[str]:
        return [ev.id for ev in self.events]

    async def send(self, event: CloudEvent) -> None:
        self.attempts[event.id] += 1
        key = self.key(event)
        self.in_flight += 1
        self.in_flight_by_key[key] += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.max_in_flight_by_key[key] = max(
            self.max_in_flight_by_key[key], self.in_flight_by_key[key]
        )
        try:
            if self.behaviour is not None:
                result = self.behaviour(event)
                if result is not None:
                    await result
            self.events.append(event)
            self.sent_at.append(time.monotonic())
        finally:
            self.in_flight -= 1
            self.in_flight_by_key[key] -= 1


class SwitchableSink:
    """A sink that raises ``RuntimeError`` while ``broken`` says so, and records otherwise.

    Args:
        broken: a flag, or a function asked at each send.
    """

    def __init__(self, broken: bool | Callable[[], bool] = True) -> None:
        self.broken = broken
        self.events: list[CloudEvent] = []
        self.failures = 0

    async def __aenter__(self) -> SwitchableSink:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def send(self, event: CloudEvent) -> None:
        broken = self.broken() if callable(self.broken) else self.broken
        if broken:
            self.failures += 1
            raise RuntimeError("dead letter sink is down")
        self.events.append(event)


class CountingSource:
    """Wrap a ``MemorySource``; record how far reading runs ahead of settling.

    ``ahead`` holds, at each yield, the number of deliveries yielded but not yet acked
    or nacked (the one being yielded included).
    """

    def __init__(self, inner: cesdk.MemorySource) -> None:
        self.inner = inner
        self.yielded = 0
        self.settled = 0
        self.ahead: list[int] = []

    async def __aenter__(self) -> CountingSource:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.inner.__aexit__(exc_type, exc, tb)

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        async for delivery in self.inner:
            self.yielded += 1
            self.ahead.append(self.yielded - self.settled)
            yield self._wrap(delivery)

    def _wrap(self, delivery: Delivery) -> Delivery:
        async def ack() -> None:
            self.settled += 1
            await delivery.ack()

        async def nack(delay: float | None) -> None:
            self.settled += 1
            await delivery.nack(delay)

        return Delivery(delivery.event, delivery.raw, delivery.error, on_ack=ack, on_nack=nack)


class FakeClock:
    """A clock for stores and rate limiters: call it for the time, ``advance`` to move it."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
