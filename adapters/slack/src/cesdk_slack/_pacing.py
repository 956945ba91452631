"""Pacing: one message at a time per channel, at most ``rate`` per second, plus a
workspace-wide cap; a ``429`` pauses only its channel.

Slack counts a message when it arrives. A channel's next message starts ``1/rate``
seconds after the previous one was *answered*, not after it was sent: whatever the
network delays, two messages can then never arrive closer together than ``1/rate``.
The cost is one round trip per message on top of the interval.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

__all__ = ["Lane", "Pacer"]

_PRUNE_AT = 1024


class Lane:
    """One channel's turn-taking: a FIFO lock and the earliest time of its next message."""

    __slots__ = ("lock", "next_at", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.next_at = 0.0
        self.users = 0


class _Bucket:
    """A token bucket whose ``reserve`` returns the wait and takes the token then."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, now

    def reserve(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class Pacer:
    """Turns per channel, paced by answers, under an optional workspace-wide cap.

    Args:
        rate: messages per second per channel.
        workspace_rate: messages per second over all channels, or ``None``.
        clock: a monotonic clock in seconds.
    """

    def __init__(
        self,
        rate: float,
        workspace_rate: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or (workspace_rate is not None and workspace_rate <= 0):
            raise ValueError("rate and workspace_rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._lanes: dict[str, Lane] = {}
        self._workspace = (
            _Bucket(workspace_rate, max(1.0, workspace_rate), clock())
            if workspace_rate is not None
            else None
        )

    @asynccontextmanager
    async def lane(self, channel: str) -> AsyncIterator[Lane]:
        """Hold ``channel`` for a sequence of messages (the parts of one event)."""
        lane = self._lanes.get(channel)
        if lane is None:
            if len(self._lanes) >= _PRUNE_AT:
                self._prune()
            lane = self._lanes[channel] = Lane()
        lane.users += 1
        try:
            async with lane.lock:
                yield lane
        finally:
            lane.users -= 1

    def _prune(self) -> None:
        now = self._clock()
        self._lanes = {
            name: lane for name, lane in self._lanes.items() if lane.users or lane.next_at > now
        }

    async def turn(self, lane: Lane) -> None:
        """Wait until ``lane`` may send its next message (call while holding the lane)."""
        while (wait := lane.next_at - self._clock()) > 0:
            await asyncio.sleep(wait)  # pacing; re-checked, as a 429 may extend the pause
        if self._workspace is not None:
            wait = self._workspace.reserve(self._clock())
            if wait > 0:
                await asyncio.sleep(wait)

    def answered(self, lane: Lane) -> None:
        """Record that the lane's message was answered: the next waits ``1/rate`` from now."""
        lane.next_at = max(lane.next_at, self._clock() + self.interval)

    def pause(self, channel: str, seconds: float) -> None:
        """Hold every message of ``channel`` back for ``seconds`` (Slack's ``Retry-After``)."""
        lane = self._lanes.get(channel)
        if lane is None:
            lane = self._lanes[channel] = Lane()
        lane.next_at = max(lane.next_at, self._clock() + seconds)

    def paused_for(self, channel: str) -> float:
        """Seconds until ``channel`` may send again (0 when it may now)."""
        lane = self._lanes.get(channel)
        return max(0.0, lane.next_at - self._clock()) if lane is not None else 0.0
