"""Noise control for notifications: ``threshold`` and ``once_per`` steps.

Their state (a counter per key and window) lives in a store with ``incr``: the
``MemoryDedupStore`` by default, or a ``RedisDedupStore`` so that it survives restarts
and is shared by every replica.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from cesdk._event import CloudEvent
from cesdk._pipeline._dedup import MemoryDedupStore
from cesdk._pipeline._steps import Step

__all__ = ["WindowCounter", "once_per", "threshold"]

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
    state = store or _default_store()
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
    state = store or _default_store()
    key_of = _key_function(key)

    async def step(event: CloudEvent) -> CloudEvent | None:
        n = await state.incr(f"once\x1f{key_of(event)}", window)
        return event if n == 1 else None

    step.__qualname__ = f"once_per({window})"
    return step
