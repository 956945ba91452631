"""The frames a WebSocket source received, waiting for the pipeline: bounded, never lossy.

A connection ``put``s each frame it read and waits while the queue is full; meanwhile
it does not read the next frame, so the server stops reading the socket and TCP pushes
back on the sender. Nothing is dropped to make room. A nacked delivery goes back into
the queue (the peer cannot resend it: the binding has no acknowledgement), past the
capacity, so that a nack never waits.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator

import cesdk

__all__ = ["FrameQueue", "QueuedFrame"]

log = logging.getLogger("cesdk.websocket")


class QueuedFrame:
    """One received frame (decoded or not) on its way to the pipeline."""

    __slots__ = ("error", "event", "key", "queue", "raw")

    def __init__(
        self,
        queue: FrameQueue,
        event: cesdk.CloudEvent | None,
        raw: cesdk.RawMessage,
        error: Exception | None,
        key: str | None,
    ) -> None:
        self.queue, self.event, self.raw, self.error, self.key = queue, event, raw, error, key

    async def _ack(self) -> None:
        self.queue.settled += 1

    async def _nack(self, delay: float | None) -> None:
        self.queue.put_back(self, delay or 0.0)

    def delivery(self) -> cesdk.Delivery:
        return cesdk.Delivery(
            self.event, self.raw, self.error, on_ack=self._ack, on_nack=self._nack, key=self.key
        )


class FrameQueue:
    """Frames waiting for the pipeline, at most ``capacity`` of them (nacks aside).

    Attributes:
        received: frames taken from connections so far.
        settled: deliveries acked so far.
        dropped: frames still waiting (or nacked) when the source stopped: the peer
            believes them sent, and nobody can send them again.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.stopping = False
        self.received = self.settled = self.dropped = 0
        self._items: deque[QueuedFrame] = deque()
        self._ready = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._failure: BaseException | None = None

    def __len__(self) -> int:
        return len(self._items)

    async def put(self, frame: QueuedFrame) -> bool:
        """Queue a frame, waiting for room; ``False`` if the source stops meanwhile."""
        while len(self._items) >= self.capacity and not self.stopping:
            self._room.clear()
            await self._room.wait()
        if self.stopping:
            self._lost(1)
            return False
        self._items.append(frame)
        self.received += 1
        self._ready.set()
        return True

    def put_back(self, frame: QueuedFrame, delay: float) -> None:
        """Queue a nacked frame again after ``delay`` seconds."""
        if self.stopping:
            self._lost(1)
        elif delay > 0:
            asyncio.get_running_loop().call_later(delay, self._back, frame)
        else:
            self._back(frame)

    def _back(self, frame: QueuedFrame) -> None:
        if self.stopping:
            self._lost(1)
            return
        self._items.append(frame)
        self._ready.set()

    def _lost(self, count: int) -> None:
        self.dropped += count
        log.warning(
            "cesdk websocket: %d received frame(s) not settled while stopping; the "
            "WebSocket binding has no acknowledgement, so the sender cannot send them again",
            count,
        )

    def fail(self, error: BaseException) -> None:
        """End the iteration with ``error`` once the frames before it are taken."""
        self._failure = error
        self._ready.set()

    def stop(self) -> None:
        """Refuse further frames and forget the waiting ones (counted in ``dropped``)."""
        self.stopping = True
        if self._items:
            self._lost(len(self._items))
            self._items.clear()
        self._ready.set()
        self._room.set()

    def start(self) -> None:
        """Take frames again (the source was entered anew)."""
        self.stopping = False
        self._failure = None

    async def deliveries(self) -> AsyncIterator[cesdk.Delivery]:
        """Yield a delivery per frame until the source stops (or ``fail`` was called)."""
        items, ready = self._items, self._ready
        while not self.stopping:
            if not items:
                if self._failure is not None:
                    raise self._failure
                ready.clear()
                await ready.wait()
                continue
            frame = items.popleft()
            self._room.set()
            yield frame.delivery()
