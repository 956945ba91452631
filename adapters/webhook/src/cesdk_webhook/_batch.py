"""Batch mode: gather events into one request of N events, or of what T seconds bring."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import cesdk

__all__ = ["Batcher"]

Post = Callable[[Sequence[cesdk.CloudEvent]], Awaitable[None]]


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


class Batcher:
    """Collect events and post them together; each ``add`` returns with its batch's fate.

    A batch goes out when it holds ``size`` events, or ``interval`` seconds after its
    first event arrived. Every sender of a batch sees the same outcome: all delivered,
    or all raise the same error (and the pipeline retries each one).

    Args:
        post: sends one batch.
        size: events per request at most.
        interval: seconds a batch waits for more events.
    """

    def __init__(self, post: Post, *, size: int, interval: float) -> None:
        if size < 1 or interval < 0:
            raise ValueError("batch_size must be >= 1 and batch_interval >= 0")
        self._post, self.size, self.interval = post, size, interval
        self._events: list[cesdk.CloudEvent] = []
        self._done: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._flights: set[asyncio.Task[None]] = set()

    async def add(self, event: cesdk.CloudEvent) -> None:
        """Add an event and wait until its batch was delivered (or raise its error)."""
        loop = asyncio.get_running_loop()
        if self._done is None:
            self._done = loop.create_future()
            # Senders may all be cancelled (a send timeout); the error is theirs to see,
            # not the event loop's "exception was never retrieved".
            self._done.add_done_callback(_retrieve)
            self._timer = loop.call_later(self.interval, self.flush)
        done = self._done
        self._events.append(event)
        if len(self._events) >= self.size:
            self.flush()
        await asyncio.shield(done)

    def flush(self) -> None:
        """Send the batch gathered so far, now."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        events, done = self._events, self._done
        self._events, self._done = [], None
        if done is None or not events:
            return
        task = asyncio.get_running_loop().create_task(self._send(events, done))
        self._flights.add(task)
        task.add_done_callback(self._flights.discard)

    async def _send(self, events: list[cesdk.CloudEvent], done: asyncio.Future[None]) -> None:
        try:
            await self._post(events)
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
        else:
            if not done.done():
                done.set_result(None)
        finally:
            if not done.done():  # cancelled while posting
                done.set_exception(cesdk.RetryableDeliveryError("the batch was cancelled"))

    async def close(self) -> None:
        """Send what is gathered and wait for every batch in flight."""
        self.flush()
        if self._flights:
            await asyncio.gather(*self._flights, return_exceptions=True)
