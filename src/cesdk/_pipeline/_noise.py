"""Noise control for notifications: ``threshold`` and ``once_per`` steps.

Their state (a counter per key and window) lives in a store with ``incr``: the
``MemoryDedupStore`` by default, or a ``RedisDedupStore`` so that it survives restarts
and is shared by every replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import orjson

from cesdk._event import CloudEvent
from cesdk._pipeline._dedup import MemoryDedupStore
from cesdk._pipeline._steps import Step
from cesdk.formats import json as json_format

__all__ = ["Digest", "WindowCounter", "digest", "once_per", "threshold"]

KeySpec = str | Callable[[CloudEvent], object]


@runtime_checkable
class WindowCounter(Protocol):
    """Counts occurrences of a key in a window that starts at its first occurrence."""

    async def incr(self, key: str, window: float) -> int:
        """Add one to ``key``'s count and return it; the count resets ``window`` s later."""
        ...


def _key_function(key: KeySpec) -> Callable[[CloudEvent], object]:
    if callable(key):
        return key
    name = key

    def attribute(event: CloudEvent) -> object:
        return event.get(name)

    return attribute


def _default_store() -> WindowCounter:
    return MemoryDedupStore()


def threshold(
    count: int, window: float, key: KeySpec = "subject", *, store: WindowCounter | None = None
) -> Step:
    """Pass an event on only when its key has occurred ``count`` times within ``window`` s.

    The ``count``-th occurrence goes through; the others in that window are dropped.

    Args:
        count: occurrences needed.
        window: seconds, counted from the key's first occurrence.
        key: an attribute name or a function of the event.
        store: where counters live (shared Redis for several replicas).

    Example:
        Notify when a pod backs off 3 times within 10 minutes::

            cesdk.Pipeline(source).map(threshold(3, 600, key="subject")).to(sink)
    """
    if count < 1 or window <= 0:
        raise ValueError("threshold needs count >= 1 and window > 0")
    state = store if store is not None else _default_store()
    key_of = _key_function(key)

    async def step(event: CloudEvent) -> CloudEvent | None:
        n = await state.incr(f"threshold\x1f{count}\x1f{key_of(event)}", window)
        return event if n == count else None

    step.__qualname__ = f"threshold({count}, {window})"
    return step


def once_per(
    window: float, key: KeySpec = "subject", *, store: WindowCounter | None = None
) -> Step:
    """Pass the first event of each key per ``window`` seconds; drop the repeats.

    Args:
        window: seconds, counted from the key's first occurrence.
        key: an attribute name or a function of the event.
        store: where counters live (shared Redis for several replicas).
    """
    if window <= 0:
        raise ValueError("once_per needs window > 0")
    state = store if store is not None else _default_store()
    key_of = _key_function(key)

    async def step(event: CloudEvent) -> CloudEvent | None:
        n = await state.incr(f"once\x1f{key_of(event)}", window)
        return event if n == 1 else None

    step.__qualname__ = f"once_per({window})"
    return step


class Digest:
    """Group events per key into one summary event per window (a step with a clock).

    Each event is held back (the step returns None) until its key's window closes or
    ``max`` events are held; then one ``dev.cesdk.digest`` event carries them all as
    data (``events``: the held events in the JSON format, ``count``, ``key``). The
    pipeline calls :meth:`tick` every second, so a window closes on time even when no
    further event arrives.

    Held events live in memory: a crash loses the ones not yet summarised. Use it for
    notifications where a lost digest line is acceptable and a flood is not.

    Args:
        window: seconds from a key's first held event to its summary.
        key: an attribute name or a function of the event.
        max: the most events one summary carries; reaching it sends it early.
        source: the summary events' source.
    """

    def __init__(
        self,
        window: float,
        key: KeySpec = "subject",
        *,
        max: int = 50,
        source: str = "/cesdk/digest",
        clock: Callable[[], float] | None = None,
    ) -> None:
        if window <= 0 or max < 1:
            raise ValueError("digest needs window > 0 and max >= 1")
        self.window = window
        self.max = max
        self.source = source
        self._key = _key_function(key)
        self._clock = clock or time.monotonic
        self._held: dict[str, tuple[float, list[CloudEvent]]] = {}

    def __repr__(self) -> str:
        return f"digest({self.window}, max={self.max})"

    def _summary(self, key: str, events: list[CloudEvent]) -> CloudEvent:
        return CloudEvent(
            type="dev.cesdk.digest",
            source=self.source,
            subject=key,
            data={
                "key": key,
                "count": len(events),
                "first": events[0].get("time") and str(events[0].get("time")),
                "events": [orjson.loads(json_format.encode(ev)) for ev in events],
            },
        )

    async def __call__(self, event: CloudEvent) -> CloudEvent | None:
        """Hold ``event``; return a summary when its key's batch is full."""
        key = str(self._key(event))
        started, events = self._held.get(key, (self._clock(), []))
        events.append(event)
        if len(events) >= self.max:
            self._held.pop(key, None)
            return self._summary(key, events)
        self._held[key] = (started, events)
        return None

    async def tick(self, *, flush: bool = False) -> list[CloudEvent]:
        """Return the summaries of every window that has closed (every one, to flush)."""
        now = self._clock()
        due = [k for k, (started, _) in self._held.items() if flush or now - started >= self.window]
        return [self._summary(k, self._held.pop(k)[1]) for k in due]


def digest(
    window: float, key: KeySpec = "subject", *, max: int = 50, source: str = "/cesdk/digest"
) -> Digest:
    """Return a :class:`Digest` step: one summary event per key per ``window`` seconds."""
    return Digest(window, key, max=max, source=source)
