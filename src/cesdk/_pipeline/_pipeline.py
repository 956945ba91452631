"""The pipeline: source -> steps -> routes (filter, steps, retry, rate limit, dedup) -> sinks.

Delivery semantics (DESIGN.md "Delivery semantics"): a delivery is acked only after
every matching route delivered its events or wrote them to the dead letter sink; if the
dead letter sink fails too, the delivery is nacked, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import signal
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar, cast
from urllib.parse import quote

from cesdk import plugins
from cesdk._errors import (
    EncodeError,
    InvalidEventError,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from cesdk._event import CloudEvent
from cesdk._pipeline._contracts import Delivery, Sink, Source
from cesdk._pipeline._deadletter import dead_letter_event, undecodable_event
from cesdk._pipeline._dedup import ClaimState, Dedupe
from cesdk._pipeline._metrics import Metrics
from cesdk._pipeline._ratelimit import RateLimit, RateLimiter
from cesdk._pipeline._retry import Retry
from cesdk._pipeline._steps import FilterLike, Step, apply_steps, as_filter, filter_step
from cesdk._pipeline._tracing import Tracing

# The delivery being handled, so retries and dead letters deep in a send can be told to it.
_CURRENT: contextvars.ContextVar[Delivery | None] = contextvars.ContextVar(
    "cesdk_delivery", default=None
)

__all__ = ["Pipeline", "Route"]

_T = TypeVar("_T")
# What a piece of a delivery's work answers: settled or not (a send, a dead letter), or
# the one-delivery path's (settled, nack delay).
_Outcome = bool | tuple[bool, float | None]

log = logging.getLogger("cesdk.pipeline")

Ordering = (
    Literal["partitionkey", "subject", "source", "type", "delivery"] | Callable[[Delivery], object]
)
_PERMANENT = (PermanentDeliveryError, InvalidEventError, EncodeError)


class Route:
    """Where events go: a sink, with the filter, steps and policies that guard it.

    Args:
        sink: the destination.
        name: a stable name (used in dedup keys, metrics and dead letters); defaults to
            ``route<N>`` by position.
        filter: a callable, a Subscriptions API filter dict, or CESQL text.
        steps: callables applied to each event before sending.
        retry: the retry policy; ``Retry`` defaults when omitted.
        rate_limit: a token bucket for this route (optionally per key).
        dedupe: duplicate suppression; off when omitted.
    """

    def __init__(
        self,
        sink: Sink,
        *,
        name: str | None = None,
        filter: FilterLike | None = None,
        steps: Sequence[Step] = (),
        retry: Retry | None = None,
        rate_limit: RateLimit | None = None,
        dedupe: Dedupe | None = None,
    ) -> None:
        self.sink = sink
        self.name = name
        self.filter = as_filter(filter) if filter is not None else None
        self.steps = tuple(steps)
        self.retry = retry or Retry()
        self.rate_limit = rate_limit
        self.dedupe = dedupe
        self._limiter = RateLimiter(rate_limit) if rate_limit is not None else None

    def __repr__(self) -> str:
        return f"Route({self.name!r}, sink={type(self.sink).__name__})"


class _KeyLocks:
    """One asyncio.Lock per ordering key, dropped when nobody waits on it."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class _Capacity:
    """Deliveries in flight, bounded; a batch takes as many slots as it holds."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._freed = asyncio.Event()

    async def acquire(self, n: int) -> None:
        # A batch larger than the limit is split by the caller; one that fits waits
        # until there is room for all of it.
        while self.used and self.used + n > self.limit:
            self._freed.clear()
            await self._freed.wait()
        self.used += n

    def release(self, n: int) -> None:
        self.used -= n
        self._freed.set()


def _default_dead_letter() -> Sink:
    # Through the registry: the runtime sits below the adapters it runs.
    file_sink = plugins.load("cesdk.sinks", "file")
    return cast(Sink, file_sink("deadletter.jsonl"))


class Pipeline:
    """Connect a source to routes, with at-least-once delivery.

    Args:
        source: where deliveries come from.
        steps: callables applied to every event first (event -> event | list | None).
        routes: the destinations.
        dead_letter: where undeliverable events go; a ``deadletter.jsonl`` file sink
            when omitted.
        concurrency: deliveries in flight at most; the source is not read while full.
        ordering: process one delivery at a time per key: ``"partitionkey"``,
            ``"subject"``, ``"source"``, ``"type"``, ``"delivery"`` (the key the source
            gives, e.g. a Kafka partition) or a function of the delivery.
        shutdown_timeout: seconds to let in-flight work finish when stopping.
        name: names the pipeline in metrics and in undecodable dead letters.
        tracing: ``True`` (or a ``Tracing``) for OpenTelemetry spans per delivery and
            per send, continuing the trace in each event's ``traceparent`` and passing
            the send span's context on (``cesdk[tracing]``).

    Example:
        >>> import cesdk
        >>> from cesdk.testing import CapturingSink, MemorySource
        >>> sink = CapturingSink()
        >>> source = MemorySource([cesdk.CloudEvent(type="t", source="/s")])
        >>> import asyncio
        >>> asyncio.run(cesdk.Pipeline(source, routes=[cesdk.Route(sink)],
        ...                            dead_letter=CapturingSink()).run())
        >>> len(sink.events)
        1
    """

    def __init__(
        self,
        source: Source | None = None,
        *,
        steps: Sequence[Step] = (),
        routes: Sequence[Route] = (),
        dead_letter: Sink | None = None,
        concurrency: int = 64,
        ordering: Ordering | None = None,
        shutdown_timeout: float = 30.0,
        name: str = "pipeline",
        tracing: Tracing | bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.source = source
        self.steps: list[Step] = list(steps)
        self.routes: list[Route] = []
        for route in routes:
            self._add_route(route)
        self.dead_letter = dead_letter if dead_letter is not None else _default_dead_letter()
        self.concurrency = concurrency
        self.ordering = ordering
        self.shutdown_timeout = shutdown_timeout
        self.name = name
        self.metrics = Metrics(pipeline=name)
        self._stopping = asyncio.Event()
        self._force = False
        self._in_flight: set[asyncio.Task[None]] = set()
        self._run_task: asyncio.Task[None] | None = None
        self.ready = False
        self.tick_interval = 1.0
        self.tracing: Tracing | None = (
            tracing if isinstance(tracing, Tracing) else Tracing() if tracing else None
        )

    def _add_route(self, route: Route) -> None:
        if route.name is None:
            route.name = f"route{len(self.routes)}"
        if any(r.name == route.name for r in self.routes):
            raise ValueError(f"two routes are named {route.name!r}; route names must differ")
        self.routes.append(route)

    # -- the fluent form ------------------------------------------------------------

    def filter(self, spec: FilterLike) -> Pipeline:
        """Keep only the events that ``spec`` accepts (callable, filter dict or CESQL)."""
        self.steps.append(filter_step(as_filter(spec)))
        return self

    def map(self, step: Step) -> Pipeline:
        """Apply ``step`` to every event."""
        self.steps.append(step)
        return self

    def to(self, sink: Sink, **options: Any) -> Pipeline:
        """Send every event to ``sink``; ``options`` are ``Route`` keywords."""
        self._add_route(Route(sink, **options))
        return self

    # -- running ------------------------------------------------------------------

    def stop(self) -> None:
        """Stop fetching; in-flight work finishes within ``shutdown_timeout``.

        Called before :meth:`run` starts, the run returns at once.
        """
        self._stopping.set()

    def _on_signal(self) -> None:
        if self._stopping.is_set():
            log.warning("%s: second signal, cancelling in-flight work", self.name)
            self._force = True
            for task in list(self._in_flight):
                task.cancel()
        else:
            log.info("%s: stopping: no new work, draining in-flight deliveries", self.name)
            self.stop()

    async def __aenter__(self) -> Pipeline:
        self._run_task = asyncio.create_task(self.run(handle_signals=False))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if self._run_task is not None:
            await self._run_task

    async def run(self, *, handle_signals: bool = True) -> None:
        """Run until the source ends, ``stop`` is called, or SIGTERM/SIGINT arrives.

        A first signal stops fetching and drains in-flight work for up to
        ``shutdown_timeout`` seconds (unfinished deliveries are nacked, never acked);
        a second one cancels in-flight work at once.
        """
        if self.source is None:
            raise ValueError("the pipeline has no source")
        if not self.routes:
            raise ValueError("the pipeline has no routes: add Route(...) or call .to(sink)")
        loop = asyncio.get_running_loop()
        installed: list[signal.Signals] = []
        if handle_signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, self._on_signal)
                    installed.append(sig)
        try:
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(self.source)
                entered: set[int] = set()
                for sink in [route.sink for route in self.routes] + [self.dead_letter]:
                    if id(sink) not in entered:
                        entered.add(id(sink))
                        await stack.enter_async_context(sink)
                await self._run_loop()
        finally:
            self.ready = False
            self._stopping.clear()  # a later run() starts afresh
            for sig in installed:
                loop.remove_signal_handler(sig)

    async def _run_loop(self) -> None:
        self.ready = True
        if self._stopping.is_set():
            return
        if self.ordering is None and callable(getattr(self.source, "batches", None)):
            fetch = asyncio.create_task(self._fetch_batches(_Capacity(self.concurrency)))
        else:
            slots = asyncio.Semaphore(self.concurrency)
            fetch = asyncio.create_task(self._fetch(slots, _KeyLocks()))
        stop = asyncio.create_task(self._stopping.wait())
        tickers = [step for step in self.steps if callable(getattr(step, "tick", None))]
        ticking = asyncio.create_task(self._tick(tickers)) if tickers else None
        try:
            await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not fetch.done():
                fetch.cancel()
            # Whatever ended the fetching, in-flight work is drained before anything
            # is raised, so no delivery is left unsettled while the sinks close.
            with contextlib.suppress(BaseException):
                await fetch
            await self._drain()
            if ticking is not None:
                ticking.cancel()
                with contextlib.suppress(BaseException):
                    await ticking
                await self._flush_tickers(tickers, flush=True)
        if not fetch.cancelled() and fetch.exception() is not None:
            raise fetch.exception()  # type: ignore[misc]  # checked to be an exception

    async def _tick(self, tickers: list[Any]) -> None:
        # A clock for steps that hold events back (digest): their summaries go out when
        # a window closes even if no further event arrives.
        while True:
            await asyncio.sleep(self.tick_interval)
            await self._flush_tickers(tickers, flush=False)

    async def _flush_tickers(self, tickers: list[Any], *, flush: bool) -> None:
        for ticker in tickers:
            try:
                events = await ticker.tick(flush=flush)
            except Exception:
                log.exception("%s: %r failed to tick", self.name, ticker)
                continue
            for event in events:
                self.metrics.count("received")
                results = await asyncio.gather(*(self._deliver(r, event) for r in self.routes))
                if not all(results):
                    log.error("%s: a summary from %r could not be settled", self.name, ticker)

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        _, pending = await asyncio.wait(set(self._in_flight), timeout=self.shutdown_timeout)
        if pending:
            log.warning(
                "%s: %d deliveries unfinished after %.1fs; nacking them",
                self.name,
                len(pending),
                self.shutdown_timeout,
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _fetch(self, slots: asyncio.Semaphore, locks: _KeyLocks) -> None:
        assert self.source is not None  # run() checked
        iterator = aiter(self.source)
        while True:
            await slots.acquire()
            try:
                delivery = await anext(iterator)
            except StopAsyncIteration:
                slots.release()
                return
            except BaseException:
                slots.release()
                raise
            task = asyncio.create_task(self._handle(delivery, slots, locks))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _fetch_batches(self, capacity: _Capacity) -> None:
        assert self.source is not None  # run() checked
        batches = cast(Any, self.source).batches()
        # Chunks of half the in-flight bound: while one waits for its sink, the next
        # one is already being sent.
        limit = max(1, self.concurrency // 2)
        while True:
            try:
                batch = await anext(batches)
            except StopAsyncIteration:
                return
            for start in range(0, len(batch), limit):
                chunk = list(batch[start : start + limit])
                await capacity.acquire(len(chunk))
                task = asyncio.create_task(self._handle_batch(chunk, capacity))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)

    async def _handle_batch(self, batch: list[Delivery], capacity: _Capacity) -> None:
        # Each delivery is settled, and its slot freed, as soon as its own work is done:
        # one event in a long retry holds back only its own delivery.
        freed: set[int] = set()

        async def settle(index: int, result: tuple[bool, float | None]) -> None:
            settled, delay = result
            delivery = batch[index]
            try:
                if settled:
                    await delivery.ack()
                else:
                    await delivery.nack(delay)
            except Exception:
                log.exception("%s: the source failed to settle %r", self.name, delivery)
            finally:
                freed.add(index)
                capacity.release(1)

        async def finish(index: int, jobs: list[Awaitable[_Outcome]]) -> None:
            result: tuple[bool, float | None] = (True, None)
            try:
                outcomes = await asyncio.gather(*jobs)
            except Exception:
                log.exception("%s: unexpected error handling %r", self.name, batch[index])
                outcomes = [(False, None)]
            for outcome in outcomes:
                if isinstance(outcome, tuple):
                    result = outcome  # the one-delivery path's own answer
                elif not outcome and result[0]:
                    result = (False, 1.0)
            await settle(index, result)

        try:
            jobs = await self._process_batch(batch)
            for index in range(len(batch)):
                if index not in jobs:
                    await settle(index, (True, None))
            if jobs:
                await asyncio.gather(*(finish(index, work) for index, work in jobs.items()))
        except asyncio.CancelledError:
            for delivery in batch:
                with contextlib.suppress(Exception):
                    await delivery.nack()  # no-op for those already settled
            raise
        except Exception:
            log.exception("%s: unexpected error handling a batch; nacking it", self.name)
            for delivery in batch:
                with contextlib.suppress(Exception):
                    await delivery.nack()
        finally:
            capacity.release(len(batch) - len(freed))

    @staticmethod
    async def _for(delivery: Delivery, work: Awaitable[_T]) -> _T:
        # Run in its own task (gather), so retries and dead letters are told to it.
        _CURRENT.set(delivery)
        return await work

    async def _process_batch(self, batch: list[Delivery]) -> dict[int, list[Awaitable[_Outcome]]]:
        """Process deliveries together: one ``send_batch`` per route where the sink has it.

        Returns the work still to do, per delivery index: retries of failed sends, dead
        letters, and the one-delivery path for anything unusual (an undecodable message,
        tracing). A delivery with no entry is done and delivered.
        """
        metrics = self.metrics
        jobs: dict[int, list[Awaitable[_Outcome]]] = {}

        def add(index: int, work: Awaitable[_Outcome]) -> None:
            jobs.setdefault(index, []).append(self._for(batch[index], work))

        # (delivery index, event) pairs after the pipeline steps.
        events: list[tuple[int, CloudEvent]] = []
        decoded = 0
        for index, delivery in enumerate(batch):
            event = delivery.event
            if event is None or self.tracing is not None:
                add(index, self._process(delivery))
                continue
            if not self.steps:
                events.append((index, event))
                decoded += 1
                continue
            metrics.count("received")
            try:
                out = await apply_steps(self.steps, event)
            except Exception as exc:  # as _process does; the steps do not run twice
                dead = dead_letter_event(
                    event, reason=f"pipeline step failed: {exc!r}", attempts=0, sink="steps"
                )
                add(index, self._write_dead_letter(dead, route=""))
                continue
            if not out:
                metrics.count("dropped")
            events.extend((index, ev) for ev in out)
        if decoded:
            metrics.count("received", n=decoded)
        for route in self.routes:
            name = route.name or ""
            picked: list[tuple[int, CloudEvent]] = []
            for index, event in events:
                if route.filter is None and not route.steps:
                    picked.append((index, event))
                    continue
                try:
                    if route.filter is not None and not route.filter(event):
                        metrics.count("filtered", name)
                        continue
                    out = await apply_steps(route.steps, event) if route.steps else [event]
                except Exception as exc:
                    dead = dead_letter_event(
                        event,
                        reason=f"route filter or step failed: {exc!r}",
                        attempts=0,
                        sink=name,
                    )
                    add(index, self._write_dead_letter(dead, route=name))
                    continue
                if not out:
                    metrics.count("dropped", name)
                picked.extend((index, ev) for ev in out)
            if not picked:
                continue
            send_batch = getattr(route.sink, "send_batch", None)
            if (
                send_batch is None
                or route.dedupe is not None
                or route._limiter is not None
                or self.tracing is not None
                or len(picked) == 1
            ):
                for index, event in picked:
                    add(index, self._send(route, event))
                continue
            outcomes = await self._send_batch(route, send_batch, [ev for _, ev in picked])
            for (index, event), failure in zip(picked, outcomes, strict=True):
                if failure is not None:
                    add(index, self._send(route, event, failure))
        return jobs

    async def _send_batch(
        self, route: Route, send_batch: Any, events: list[CloudEvent]
    ) -> list[BaseException | None]:
        name = route.name or ""
        sent_at = time.monotonic()
        try:
            if route.retry.timeout is not None:
                outcomes = await asyncio.wait_for(send_batch(events), route.retry.timeout)
            else:
                outcomes = await send_batch(events)
            outcomes = list(outcomes)
            if len(outcomes) != len(events):
                raise RuntimeError(
                    f"{route.sink!r}.send_batch returned {len(outcomes)} outcomes "
                    f"for {len(events)} events"
                )
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            outcomes = [exc] * len(events)
        delivered = sum(1 for outcome in outcomes if outcome is None)
        if delivered:
            self.metrics.count("delivered", name, delivered)
            took = time.monotonic() - sent_at  # each event waited for the whole batch
            for _ in range(delivered):
                self.metrics.observe(name, took)
        return outcomes

    def _order_key(self, delivery: Delivery) -> object:
        ordering = self.ordering
        if ordering is None:
            return None
        if callable(ordering):
            return ordering(delivery)
        if ordering == "delivery":
            return delivery.key
        if delivery.event is None:
            return None
        return delivery.event.get(ordering)

    async def _handle(self, delivery: Delivery, slots: asyncio.Semaphore, locks: _KeyLocks) -> None:
        _CURRENT.set(delivery)  # this task's own context: no reset needed
        try:
            key = self._order_key(delivery) if self.ordering is not None else None
            if key is None:
                settled, delay = await self._traced_process(delivery)
            else:
                async with locks.hold(key):
                    settled, delay = await self._traced_process(delivery)
            if settled:
                await delivery.ack()
            else:
                await delivery.nack(delay)
        except asyncio.CancelledError:
            # Shutting down before the delivery settled: have it redelivered.
            with contextlib.suppress(Exception):
                await delivery.nack()
            raise
        except Exception:
            log.exception("%s: unexpected error handling %r; nacking it", self.name, delivery)
            with contextlib.suppress(Exception):
                await delivery.nack()
        finally:
            slots.release()

    async def _traced_process(self, delivery: Delivery) -> tuple[bool, float | None]:
        if self.tracing is None or delivery.event is None:
            return await self._process(delivery)
        with self.tracing.span(f"{self.name} process", delivery.event):
            return await self._process(delivery)

    async def _process(self, delivery: Delivery) -> tuple[bool, float | None]:
        """Return (settled, nack delay)."""
        metrics = self.metrics
        metrics.count("received")
        event = delivery.event
        if event is None:
            metrics.count("undecodable")
            dead = undecodable_event(
                delivery.raw, delivery.error, source=f"cesdk://pipeline/{quote(self.name, safe='')}"
            )
            return await self._write_dead_letter(dead, route=""), None
        if self.steps:
            try:
                events = await apply_steps(self.steps, event)
            except Exception as exc:
                dead = dead_letter_event(
                    event, reason=f"pipeline step failed: {exc!r}", attempts=0, sink="steps"
                )
                return await self._write_dead_letter(dead, route=""), None
            if not events:
                metrics.count("dropped")
                return True, None
        else:
            events = [event]
        jobs = [self._deliver(route, ev) for ev in events for route in self.routes]
        if len(jobs) == 1:
            ok = await jobs[0]
            return ok, None if ok else 1.0
        results = await asyncio.gather(*jobs)
        ok = all(results)
        return ok, None if ok else 1.0

    async def _deliver(self, route: Route, event: CloudEvent) -> bool:
        name = route.name or ""
        try:
            if route.filter is not None and not route.filter(event):
                self.metrics.count("filtered", name)
                return True
            events = await apply_steps(route.steps, event) if route.steps else [event]
        except Exception as exc:
            dead = dead_letter_event(
                event, reason=f"route filter or step failed: {exc!r}", attempts=0, sink=name
            )
            return await self._write_dead_letter(dead, route=name)
        if not events:
            self.metrics.count("dropped", name)
            return True
        ok = True
        for ev in events:
            ok = await self._send(route, ev) and ok
        return ok

    async def _claim(self, dedupe: Dedupe, key: str) -> tuple[ClaimState, str]:
        deadline = time.monotonic() + dedupe.lease
        wait = 0.01
        while True:
            claim = await dedupe.store.claim(key, dedupe.lease)
            if claim.state is not ClaimState.BUSY or time.monotonic() > deadline:
                return claim.state, claim.token
            # Another worker is sending this event now: wait for it to commit or release.
            await asyncio.sleep(wait)
            wait = min(wait * 2, 1.0)

    async def _keep_claim(self, dedupe: Dedupe, key: str, token: str) -> tuple[ClaimState, str]:
        try:
            if await dedupe.store.extend(key, token, dedupe.lease):
                return ClaimState.CLAIMED, token
            claim = await dedupe.store.claim(key, dedupe.lease)
        except Exception as exc:
            log.warning("%s: dedup store failed renewing a lease: %r", self.name, exc)
            return ClaimState.BUSY, token
        return claim.state, claim.token

    async def _send(
        self, route: Route, event: CloudEvent, failed: BaseException | None = None
    ) -> bool:
        """Deliver ``event`` on ``route``: retry, then dead-letter; True when settled.

        ``failed`` is the outcome of a first attempt already made (by ``send_batch``).
        """
        name = route.name or ""
        metrics = self.metrics
        dedupe = route.dedupe
        key = token = ""
        if dedupe is not None:
            key = f"{name}\x1f{dedupe.key(event)}"
            try:
                state, token = await self._claim(dedupe, key)
            except Exception as exc:
                log.warning("%s/%s: dedup store failed (%r); will redeliver", self.name, name, exc)
                return False
            if state is ClaimState.DUPLICATE:
                metrics.count("deduplicated", name)
                return True
            if state is ClaimState.BUSY:
                return False
        retry = route.retry
        limiter = route._limiter
        sink = route.sink
        attempts = 0
        started = time.monotonic()
        reason = ""
        while True:
            if limiter is not None and failed is None:
                await limiter.acquire(event)
            attempts += 1
            retry_after: float | None = None
            sent_at = time.monotonic()
            try:
                if failed is not None:
                    first, failed = failed, None
                    raise first
                if self.tracing is not None:
                    with self.tracing.span(f"{name} send", event, child=True):
                        outgoing = self.tracing.inject(event)
                        await self._send_once(sink, outgoing, retry)
                else:
                    await self._send_once(sink, event, retry)
            except _PERMANENT as exc:
                reason = f"permanent failure: {exc}"
                break
            except RetryableDeliveryError as exc:
                retry_after = exc.retry_after
                reason = f"retryable failure: {exc}"
            except TimeoutError:
                reason = f"send timed out after {retry.timeout}s"
            except Exception as exc:
                reason = f"unexpected error: {exc!r}"
            else:
                metrics.observe(name, time.monotonic() - sent_at)
                metrics.count("delivered", name)
                if dedupe is not None:
                    try:
                        await dedupe.store.commit(key, token, dedupe.ttl)
                    except Exception as exc:
                        log.warning("%s/%s: dedup commit failed: %r", self.name, name, exc)
                return True
            delay = retry.delay(
                attempts, elapsed=time.monotonic() - started, retry_after=retry_after
            )
            if delay is None:
                reason = f"gave up after {attempts} attempt(s); last: {reason}"
                break
            metrics.count("retried", name)
            delivery = _CURRENT.get()
            if delivery is not None:
                try:
                    await delivery.retrying(attempts, reason, delay)
                except Exception as exc:
                    log.warning("%s/%s: the source's retry hook failed: %r", self.name, name, exc)
            await asyncio.sleep(delay)
            if dedupe is not None:
                # A long wait may outlast the lease: renew it, or find out who has it.
                state, token = await self._keep_claim(dedupe, key, token)
                if state is ClaimState.DUPLICATE:
                    metrics.count("deduplicated", name)
                    return True
                if state is ClaimState.BUSY:
                    return False  # another worker sends it now; redeliver to find out
        if dedupe is not None:
            with contextlib.suppress(Exception):
                await dedupe.store.release(key, token)
        dead = dead_letter_event(event, reason=reason, attempts=attempts, sink=name)
        return await self._write_dead_letter(dead, route=name)

    @staticmethod
    async def _send_once(sink: Sink, event: CloudEvent, retry: Retry) -> None:
        if retry.timeout is not None:
            await asyncio.wait_for(sink.send(event), retry.timeout)
        else:
            await sink.send(event)

    async def _write_dead_letter(self, event: CloudEvent, *, route: str) -> bool:
        for attempt in range(3):
            try:
                await self.dead_letter.send(event)
            except Exception as exc:
                log.warning(
                    "%s: dead letter sink failed (attempt %d): %r", self.name, attempt + 1, exc
                )
                await asyncio.sleep(0.05 * (attempt + 1))
            else:
                self.metrics.count("deadlettered", route)
                delivery = _CURRENT.get()
                if delivery is not None:
                    reason = event.get("deadletterreason") or "undecodable"
                    delivery.dead_letters.append(f"{route}: {reason}" if route else str(reason))
                return True
        self.metrics.count("failed", route)
        return False


def routes_from(sinks: Iterable[Sink]) -> list[Route]:
    """Return one plain route per sink."""
    return [Route(sink) for sink in sinks]
