"""Threads: the ``ts`` of the message that started a thread, remembered per key.

The state store holds ``thread:<channel>:<hash of key>`` -> ``ts``, so with a
``RedisDedupStore`` a restarted sink (or a replica) replies in the same thread. Within one
process a lock per (channel, key) makes the first message for a key post alone: the ones
that arrive meanwhile wait for its ``ts`` instead of starting threads of their own.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["KeyLocks", "thread_state_key"]


def thread_state_key(channel: str, key: str) -> str:
    """The state store key of a thread (the key hashed: it may be long or odd)."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"slack:thread:{channel}:{digest}"


class KeyLocks:
    """One asyncio.Lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        """Hold the lock of ``key`` (waiters are served in arrival order)."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
