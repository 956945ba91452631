"""A Redis-backed dedup store, shared by every process that points at the same Redis."""

from __future__ import annotations

import uuid
from typing import Any, Final

from cesdk._errors import MissingDependencyError
from cesdk._pipeline._dedup import Claim, ClaimState

__all__ = ["RedisDedupStore"]

# A lease is "p:<token>", a delivered key "d". Release deletes only our own lease.
_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# Commit marks the key delivered, unless a lease of someone else's has since taken it
# (ours expired): then both sent, and the later commit records it all the same.
_COMMIT: Final = """
redis.call('SET', KEYS[1], 'd', 'PX', ARGV[1])
return 1
"""

_EXTEND: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# A counter whose window starts at the first occurrence: INCR, then set the expiry
# only on the first.
_INCR: Final = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisDedupStore:
    """Keys in Redis: ``SET key NX PX`` to claim, Lua scripts to commit and release.

    Install the extra: ``pip install "cesdk[redis]"``.

    Args:
        url: a Redis URL such as ``redis://127.0.0.1:6379/0``.
        prefix: prepended to every key, so several pipelines can share a database.
        client: an existing ``redis.asyncio.Redis`` to use instead of ``url``.
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "cesdk:dedup:",
        client: Any = None,
    ) -> None:
        if client is None:
            try:
                import redis.asyncio as aioredis  # optional extra
            except ImportError:
                raise MissingDependencyError(
                    'RedisDedupStore needs redis-py; install the extra: pip install "cesdk[redis]"'
                ) from None
            client = aioredis.Redis.from_url(url)
        self.url = url
        self.prefix = prefix
        self._redis = client
        self._release = client.register_script(_RELEASE)
        self._commit = client.register_script(_COMMIT)
        self._incr = client.register_script(_INCR)
        self._extend = client.register_script(_EXTEND)

    async def claim(self, key: str, lease: float) -> Claim:
        """Take the key for ``lease`` seconds unless it is delivered or leased."""
        name = self.prefix + key
        for _ in range(3):
            token = "p:" + uuid.uuid4().hex
            if await self._redis.set(name, token, nx=True, px=max(1, int(lease * 1000))):
                return Claim(ClaimState.CLAIMED, token)
            current = await self._redis.get(name)
            if current is None:
                continue  # expired between the two calls: try again
            if current in (b"d", "d"):  # bytes, or str from a decode_responses client
                return Claim(ClaimState.DUPLICATE)
            return Claim(ClaimState.BUSY)
        return Claim(ClaimState.BUSY)

    async def commit(self, key: str, token: str, ttl: float) -> None:
        """Record the key as delivered for ``ttl`` seconds."""
        await self._commit(keys=[self.prefix + key], args=[max(1, int(ttl * 1000))])

    async def extend(self, key: str, token: str, lease: float) -> bool:
        """Renew our lease for ``lease`` seconds; False if it is no longer ours."""
        renewed = await self._extend(
            keys=[self.prefix + key], args=[token, max(1, int(lease * 1000))]
        )
        return bool(renewed)

    async def release(self, key: str, token: str) -> None:
        """Delete our lease, if it is still ours."""
        await self._release(keys=[self.prefix + key], args=[token])

    async def incr(self, key: str, window: float) -> int:
        """Count an occurrence of ``key`` in a window starting at its first occurrence."""
        n = await self._incr(keys=[self.prefix + "count:" + key], args=[max(1, int(window * 1000))])
        return int(n)

    async def get(self, key: str) -> str | None:
        """A value stored with :meth:`put` (state such as a Slack thread), or ``None``."""
        value = await self._redis.get(self.prefix + "state:" + key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def put(self, key: str, value: str, ttl: float, *, only_if_absent: bool = False) -> bool:
        """Store ``value`` for ``ttl`` seconds; False if ``only_if_absent`` and already set."""
        done = await self._redis.set(
            self.prefix + "state:" + key, value, px=max(1, int(ttl * 1000)), nx=only_if_absent
        )
        return bool(done)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
