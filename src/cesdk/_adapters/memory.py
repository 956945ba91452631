"""In-process channels: a memory source and sink over asyncio queues."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from cesdk._adapters._lifecycle import NothingToOpen
from cesdk._errors import CESDKError
from cesdk._event import CloudEvent
from cesdk._pipeline._contracts import Delivery, RawMessage
from cesdk.formats import json as json_format

__all__ = ["MemorySink", "MemorySource"]

_CHANNELS: dict[str, asyncio.Queue[Any]] = {}
_CLOSE = object()
_NO_RAW = RawMessage(metadata={"memory": True})


def channel(name: str) -> asyncio.Queue[Any]:
    """Return the named in-process channel, creating it on first use."""
    queue = _CHANNELS.get(name)
    if queue is None:
        queue = _CHANNELS[name] = asyncio.Queue()
    return queue


def _decode(
    item: CloudEvent | RawMessage | bytes,
) -> tuple[CloudEvent | None, RawMessage, Exception | None]:
    if isinstance(item, CloudEvent):
        # Handed over as an event: there were no bytes on any wire to keep.
        return item, _NO_RAW, None
    raw = item if isinstance(item, RawMessage) else RawMessage(bytes(item))
    try:
        return json_format.decode(raw.body), raw, None
    except CESDKError as exc:
        return None, raw, exc


class MemorySource(NothingToOpen):
    """A source fed from memory: a list of events, or a named channel that stays open.

    Items may be events, raw JSON bytes or ``RawMessage`` (bytes that fail
    to decode become undecodable deliveries, as from a real broker). A nacked delivery
    is put back after its delay, so the source behaves like an at-least-once broker.

    With a list and ``keep_open=False`` the iteration ends once every item is acked,
    which makes ``await pipeline.run()`` return in tests and demos.

    Args:
        items: what to deliver, in order.
        channel: read the named in-process channel (what ``MemorySink(channel=...)``
            writes) instead; stays open until ``close``.
        keep_open: keep waiting for ``put`` after the items run out.
    """

    def __init__(
        self,
        items: Iterable[CloudEvent | RawMessage | bytes] = (),
        *,
        channel: str | None = None,
        keep_open: bool = False,
    ) -> None:
        self._channel = channel
        self._queue: asyncio.Queue[Any] | None = None
        self._initial = list(items)
        self._keep_open = keep_open or channel is not None
        self._unsettled = 0
        self._closed = False
        self.acked: list[CloudEvent | None] = []
        self.nacked = 0
        self._idle: asyncio.Event | None = None

    def _q(self) -> asyncio.Queue[Any]:
        if self._queue is None:
            self._queue = channel(self._channel) if self._channel else asyncio.Queue()
            for item in self._initial:
                self._queue.put_nowait(item)
            self._initial = []
        return self._queue

    async def __aenter__(self) -> MemorySource:
        self._q()
        return self

    def put(self, item: CloudEvent | RawMessage | bytes) -> None:
        """Add an item to deliver."""
        self._q().put_nowait(item)

    def close(self) -> None:
        """End the iteration once what is queued has been delivered and settled."""
        self._closed = True
        self._q().put_nowait(_CLOSE)

    def _finished(self) -> bool:
        queue = self._q()
        done = self._closed or not self._keep_open
        return done and queue.empty() and self._unsettled == 0

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        queue = self._q()
        while True:
            if self._finished():
                return
            if queue.empty() and self._unsettled and (not self._keep_open or self._closed):
                # Wait for outstanding deliveries: a nack puts one back.
                self._idle = asyncio.Event()
                await self._idle.wait()
                continue
            item = await queue.get()
            if item is _CLOSE:
                self._closed = True
                continue
            yield self._delivery(item)

    def _wake(self) -> None:
        if self._idle is not None:
            self._idle.set()

    def _delivery(self, item: CloudEvent | RawMessage | bytes) -> Delivery:
        event, raw, error = _decode(item)
        self._unsettled += 1

        async def ack() -> None:
            self._unsettled -= 1
            self.acked.append(event)
            self._wake()

        async def nack(delay: float | None) -> None:
            self.nacked += 1
            if delay:
                asyncio.get_running_loop().call_later(delay, self._requeue, item)
            else:
                self._requeue(item)

        return Delivery(event, raw, error, on_ack=ack, on_nack=nack)

    def _requeue(self, item: Any) -> None:
        self._unsettled -= 1
        self._q().put_nowait(item)
        self._wake()


class MemorySink(NothingToOpen):
    """A sink that keeps events in a list and, optionally, writes a named channel.

    Args:
        channel: also put each event on this in-process channel, for a
            ``MemorySource(channel=...)`` to read.
    """

    def __init__(self, *, channel: str | None = None) -> None:
        self.channel = channel
        self.events: list[CloudEvent] = []

    async def send(self, event: CloudEvent) -> None:
        """Keep the event (and put it on the channel)."""
        self.events.append(event)
        if self.channel is not None:
            channel(self.channel).put_nowait(event)

    async def send_batch(self, events: Sequence[CloudEvent]) -> list[BaseException | None]:
        """Keep the events (and put them on the channel); none can fail."""
        self.events.extend(events)
        if self.channel is not None:
            queue = channel(self.channel)
            for event in events:
                queue.put_nowait(event)
        return [None] * len(events)
