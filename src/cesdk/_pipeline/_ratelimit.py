"""Token-bucket rate limits, per route and per key."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from cesdk._event import CloudEvent

__all__ = ["RateLimit", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``rate`` sends per second with bursts of ``burst``; optionally per key.

    Args:
        rate: tokens added per second.
        burst: the bucket size: sends allowed back to back after a quiet spell.
        per: an attribute name (``"subject"``, ``"partitionkey"``) or a function of
            the event giving the key that has its own bucket; ``None`` for one bucket.
        overall: with ``per``, an optional cap shared by every key (tokens per second).

    Example:
        Slack allows about one message per second per channel::

            RateLimit(rate=1, burst=1, per="slackchannel", overall=20)
    """

    rate: float
    burst: int = 1
    per: str | Callable[[CloudEvent], object] | None = None
    overall: float | None = None

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1 or (self.overall is not None and self.overall <= 0):
            raise ValueError("RateLimit needs rate > 0, burst >= 1 and overall > 0 when set")


class _Bucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, float(burst), now

    def take(self, now: float) -> float:
        """Take a token; return 0, or the seconds until one is available (taking it then)."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class RateLimiter:
    """The running state of a ``RateLimit``: buckets, bounded in number."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[object, _Bucket] = OrderedDict()
        self._overall = (
            _Bucket(limit.overall, max(1, int(limit.overall)), clock()) if limit.overall else None
        )

    def _key(self, event: CloudEvent) -> object:
        per = self.limit.per
        if per is None:
            return None
        if isinstance(per, str):
            return event.get(per)
        return per(event)

    def reserve(self, event: CloudEvent) -> float:
        """Take a token for ``event``; return how long to wait before sending it."""
        now = self._clock()
        key = self._key(event)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.limit.rate, self.limit.burst, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        wait = bucket.take(now)
        if self._overall is not None:
            wait = max(wait, self._overall.take(now))
        return wait

    async def acquire(self, event: CloudEvent) -> None:
        """Wait until ``event`` may be sent."""
        wait = self.reserve(event)
        if wait > 0:
            await asyncio.sleep(wait)
