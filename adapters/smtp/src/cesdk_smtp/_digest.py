"""Digest mode: gather events per recipient set into one mail of N events or T seconds.

Each ``add`` returns only when the mail carrying its event was accepted (or raises that
mail's error), so the pipeline acks an event only after its digest went out: a crash
while events wait loses nothing, the source redelivers them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

import cesdk

__all__ = ["DigestQueue"]

Post = Callable[[Hashable, list[cesdk.CloudEvent]], Awaitable[None]]


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


@dataclass
class _Batch:
    done: asyncio.Future[None]
    timer: asyncio.TimerHandle
    events: list[cesdk.CloudEvent] = field(default_factory=list)


class DigestQueue:
    """Batches per key; a batch goes out at ``size`` events or ``interval`` s after its first.

    Every event of a batch sees the same outcome: all delivered, or all raise the same
    error (and the pipeline retries each one, perhaps into another digest).

    Args:
        post: sends one batch: ``post(key, events)``.
        size: events per mail at most.
        interval: seconds a batch waits for more events.
    """

    def __init__(self, post: Post, *, size: int, interval: float) -> None:
        if size < 1 or interval <= 0:
            raise ValueError("digest_size must be >= 1 and digest_interval > 0")
        self._post, self.size, self.interval = post, size, interval
        self._batches: dict[Hashable, _Batch] = {}
        self._flights: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """Events waiting for their digest."""
        return sum(len(batch.events) for batch in self._batches.values())

    async def add(self, key: Hashable, event: cesdk.CloudEvent) -> None:
        """Add ``event`` to ``key``'s batch; return when that batch was delivered."""
        batch = self._batches.get(key)
        if batch is None:
            loop = asyncio.get_running_loop()
            done: asyncio.Future[None] = loop.create_future()
            # Senders may all be cancelled (a send timeout): the error is theirs, not
            # the loop's "exception was never retrieved".
            done.add_done_callback(_retrieve)
            batch = _Batch(done, loop.call_later(self.interval, self.flush, key))
            self._batches[key] = batch
        batch.events.append(event)
        done = batch.done
        if len(batch.events) >= self.size:
            self.flush(key)
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            # The send gave up (a send timeout, a shutdown): the pipeline will deliver
            # this event again, so it leaves a digest that has not gone out yet.
            if self._batches.get(key) is batch:
                batch.events = [e for e in batch.events if e is not event]
                if not batch.events:
                    batch.timer.cancel()
                    del self._batches[key]
                    done.cancel()
            raise

    def flush(self, key: Hashable) -> None:
        """Send ``key``'s batch now."""
        batch = self._batches.pop(key, None)
        if batch is None:
            return
        batch.timer.cancel()
        task = asyncio.get_running_loop().create_task(self._send(key, batch))
        self._flights.add(task)
        task.add_done_callback(self._flights.discard)

    async def _send(self, key: Hashable, batch: _Batch) -> None:
        done = batch.done
        try:
            await self._post(key, batch.events)
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
        else:
            if not done.done():
                done.set_result(None)
        finally:
            if not done.done():  # cancelled while sending
                done.set_exception(cesdk.RetryableDeliveryError("the digest mail was cancelled"))

    async def close(self) -> None:
        """Send every batch gathered so far and wait for all in flight."""
        for key in list(self._batches):
            self.flush(key)
        if self._flights:
            await asyncio.gather(*self._flights, return_exceptions=True)
