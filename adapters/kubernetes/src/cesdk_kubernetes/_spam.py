"""The per-object spam filter of client-go's event recorder: a token bucket per key.

client-go (``tools/record/events_cache.go``, ``EventSourceObjectSpamFilter``) keeps one
token bucket per source and regarding object, ``burst`` 25 and one token every 5 minutes,
in an LRU cache of 4096 keys, and silently drops what the bucket refuses.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["SpamFilter"]


class SpamFilter:
    """Allow ``burst`` events per key at once, then one per ``interval`` seconds.

    Args:
        burst: the bucket's size: events allowed back to back.
        interval: seconds to earn one more token.
        max_keys: keys remembered (least recently used forgotten first, as client-go).
        clock: monotonic seconds; tests pass their own.
    """

    def __init__(
        self,
        *,
        burst: int = 25,
        interval: float = 300.0,
        max_keys: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1:
            raise ValueError(f"spam_burst must be at least 1, not {burst}")
        if interval <= 0:
            raise ValueError(f"spam_interval must be positive seconds, not {interval}")
        self.burst, self.interval, self.max_keys, self.clock = burst, interval, max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Take a token for ``key``; ``False`` when its bucket is empty (the event is spam)."""
        now = self.clock()
        tokens, stamp = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) / self.interval)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def refund(self, key: str) -> None:
        """Give back the token an event took when it was not recorded after all."""
        entry = self._buckets.get(key)
        if entry is not None:
            self._buckets[key] = (min(float(self.burst), entry[0] + 1.0), entry[1])

    def tokens(self, key: str) -> float:
        """The tokens ``key`` has now (``burst`` for a key never seen)."""
        tokens, stamp = self._buckets.get(key, (float(self.burst), self.clock()))
        return min(float(self.burst), tokens + (self.clock() - stamp) / self.interval)
