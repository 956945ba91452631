"""Fixtures for the runtime tests.

``redis_server`` comes from the public test kit, ``cesdk.testing.fixtures``, which the
repository's root ``conftest.py`` names in ``pytest_plugins``.
"""

from __future__ import annotations

import asyncio

import pytest

__all__ = ["recorded_sleeps"]


@pytest.fixture
def recorded_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replace ``asyncio.sleep`` by one that records each delay and only yields.

    A fake clock for retry waits: tests check the delays the runtime asked for
    instead of measuring wall time.
    """
    real_sleep = asyncio.sleep
    delays: list[float] = []

    async def fake_sleep(delay: float, result: object = None) -> object:
        delays.append(delay)
        await real_sleep(0)
        return result

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    return delays
