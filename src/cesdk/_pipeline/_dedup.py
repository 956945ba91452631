"""Duplicate suppression: two-phase claim / commit / release, keyed on (source, id, route)."""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from cesdk._event import CloudEvent

__all__ = ["Claim", "ClaimState", "DedupStore", "Dedupe", "MemoryDedupStore", "StateStore"]


class ClaimState(enum.Enum):
    """What a claim found."""

    CLAIMED = "claimed"  #: nobody had the key: send, then commit or release
    DUPLICATE = "duplicate"  #: already delivered within the retention TTL: skip
    BUSY = "busy"  #: another worker holds the lease right now: wait and claim again


@dataclass(frozen=True, slots=True)
class Claim:
    """The answer to ``DedupStore.claim``; ``token`` identifies our lease."""

    state: ClaimState
    token: str = ""


@runtime_checkable
class DedupStore(Protocol):
    """Where delivered keys are remembered; shared by every worker that must agree."""

    async def claim(self, key: str, lease: float) -> Claim:
        """Take the key for ``lease`` seconds unless it is delivered or leased already."""
        ...

    async def commit(self, key: str, token: str, ttl: float) -> None:
        """Record the key as delivered for ``ttl`` seconds (if our lease still holds it)."""
        ...

    async def release(self, key: str, token: str) -> None:
        """Give the key back after a failed send, so that a retry may claim it."""
        ...

    async def extend(self, key: str, token: str, lease: float) -> bool:
        """Renew our lease for ``lease`` seconds; False if it is no longer ours."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class StateStore(Protocol):
    """Small key -> text state with expiry, kept by adapters (Slack thread timestamps).

    ``MemoryDedupStore`` and ``RedisDedupStore`` are both state stores; with Redis the
    state survives restarts and is shared by replicas.
    """

    async def get(self, key: str) -> str | None:
        """The value, or ``None`` when unset or expired."""
        ...

    async def put(self, key: str, value: str, ttl: float, *, only_if_absent: bool = False) -> bool:
        """Store the value for ``ttl`` seconds; False if ``only_if_absent`` and already set."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class MemoryDedupStore:
    """An in-process store: a dict of key -> (state, token, expiry), swept as it grows.

    Good for one process. Use ``RedisDedupStore`` when several processes
    (or restarts) must agree.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[str, tuple[bool, str, float]] = {}
        self._clock = clock
        self._next_sweep = 1024
        self._values: dict[str, tuple[str, float]] = {}
        self._next_value_sweep = 1024

    def _sweep(self, now: float) -> None:
        self._entries = {k: v for k, v in self._entries.items() if v[2] > now}
        self._next_sweep = max(1024, 2 * len(self._entries))

    async def claim(self, key: str, lease: float) -> Claim:
        """Take the key for ``lease`` seconds unless it is delivered or leased."""
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[2] > now:
            return Claim(ClaimState.DUPLICATE if entry[0] else ClaimState.BUSY)
        if len(self._entries) >= self._next_sweep:
            self._sweep(now)
        token = uuid.uuid4().hex
        self._entries[key] = (False, token, now + lease)
        return Claim(ClaimState.CLAIMED, token)

    async def commit(self, key: str, token: str, ttl: float) -> None:
        """Record the key as delivered for ``ttl`` seconds."""
        # Delivered is delivered: even if our lease expired and another worker took
        # the key over meanwhile, record it, so that worker's release cannot forget it.
        self._entries[key] = (True, token, self._clock() + ttl)

    async def extend(self, key: str, token: str, lease: float) -> bool:
        """Renew our lease for ``lease`` seconds; False if it is no longer ours."""
        entry = self._entries.get(key)
        if entry is None or entry[0] or entry[1] != token:
            return False
        self._entries[key] = (False, token, self._clock() + lease)
        return True

    async def release(self, key: str, token: str) -> None:
        """Forget our lease on the key."""
        entry = self._entries.get(key)
        if entry is not None and not entry[0] and entry[1] == token:
            del self._entries[key]

    async def incr(self, key: str, window: float) -> int:
        """Count an occurrence of ``key`` in a window starting at its first occurrence."""
        now = self._clock()
        full = "\x1ecount\x1e" + key
        entry = self._entries.get(full)
        if entry is None or entry[2] <= now:
            self._entries[full] = (True, "1", now + window)
            return 1
        n = int(entry[1]) + 1
        self._entries[full] = (True, str(n), entry[2])
        return n

    async def get(self, key: str) -> str | None:
        """A value stored with :meth:`put` (state such as a Slack thread), or ``None``."""
        entry = self._values.get(key)
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    async def put(self, key: str, value: str, ttl: float, *, only_if_absent: bool = False) -> bool:
        """Store ``value`` under ``key`` for ``ttl`` seconds; False if ``only_if_absent`` and set.

        A separate key space from the dedup keys: adapters keep small state here (the
        Slack sink remembers thread timestamps), so it survives restarts with Redis.
        """
        now = self._clock()
        entry = self._values.get(key)
        if only_if_absent and entry is not None and entry[1] > now:
            return False
        if len(self._values) >= self._next_value_sweep:
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
            self._next_value_sweep = max(1024, 2 * len(self._values))
        self._values[key] = (value, now + ttl)
        return True

    async def close(self) -> None:
        """Nothing to release."""

    def __len__(self) -> int:
        return len(self._entries)


def _default_key(event: CloudEvent) -> str:
    # spec.md "id": source + id identify an event.
    return f"{event.source}\x1f{event.id}"


@dataclass(frozen=True, slots=True)
class Dedupe:
    """Duplicate suppression for a route.

    Args:
        store: where keys live; a new ``MemoryDedupStore`` when omitted.
        ttl: seconds a delivered key is remembered.
        lease: seconds a claim holds before another worker may take over (a crashed
            worker's claim expires after this).
        key: computes the identity of an event; ``source`` + ``id`` by default.
    """

    store: DedupStore = field(default_factory=MemoryDedupStore)
    ttl: float = 24 * 3600.0
    lease: float = 60.0
    key: Callable[[CloudEvent], str] = _default_key
