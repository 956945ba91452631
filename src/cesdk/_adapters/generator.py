"""A source of synthetic events, for demos and load tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from cesdk._adapters._lifecycle import NothingToOpen
from cesdk._event import CloudEvent
from cesdk._pipeline._contracts import Delivery, RawMessage

__all__ = ["GeneratorSource"]


class GeneratorSource(NothingToOpen):
    """Emit ``count`` events, at most ``rate`` per second, then end (once all settle).

    Events carry ``sequence`` data ``{"n": i}`` and ids ``<prefix>-<i>``, so that runs
    are reproducible and duplicates recognisable. Nacked events are emitted again.

    Args:
        count: how many events; ``None`` for no end.
        rate: events per second at most; ``None`` for as fast as they are taken.
        type: the events' type.
        source: the events' source.
        id_prefix: the first part of every id.
        data: extra fields merged into each event's data.
    """

    def __init__(
        self,
        count: int | None = 10,
        *,
        rate: float | None = None,
        type: str = "dev.cesdk.generated",
        source: str = "/cesdk/generator",
        id_prefix: str = "gen",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.count = count
        self.rate = rate
        self.type = type
        self.source = source
        self.id_prefix = id_prefix
        self.data = dict(data or {})
        self._retry: asyncio.Queue[CloudEvent] = asyncio.Queue()
        self._unsettled = 0
        self._changed = asyncio.Event()

    def _delivery(self, event: CloudEvent) -> Delivery:
        self._unsettled += 1

        async def ack() -> None:
            self._unsettled -= 1
            self._changed.set()

        async def nack(delay: float | None) -> None:
            self._unsettled -= 1
            self._retry.put_nowait(event)
            self._changed.set()

        return Delivery(event, RawMessage(), on_ack=ack, on_nack=nack)

    async def __aiter__(self) -> AsyncIterator[Delivery]:
        n = 0
        started = time.monotonic()
        while True:
            if not self._retry.empty():
                yield self._delivery(self._retry.get_nowait())
                continue
            if self.count is None or n < self.count:
                if self.rate is not None:
                    due = started + n / self.rate
                    wait = due - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                event = CloudEvent(
                    type=self.type,
                    source=self.source,
                    id=f"{self.id_prefix}-{n}",
                    data={**self.data, "n": n},
                )
                n += 1
                yield self._delivery(event)
                continue
            if self._unsettled == 0:
                return
            self._changed.clear()
            await self._changed.wait()
