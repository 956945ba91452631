"""Fixtures for the Slack tests: a Slack fake on loopback (``redis_server`` comes from the
root ``conftest.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cesdk_slack.testing import SlackFake


@pytest.fixture
async def slack() -> AsyncIterator[SlackFake]:
    """A fake with channels ``alerts`` and ``general``, ``private`` (the bot not in it),
    paced at Slack's one message per second per channel."""
    async with SlackFake(channels=["alerts", "general"], not_member=["private"]) as fake:
        yield fake


@pytest.fixture
async def fast_slack() -> AsyncIterator[SlackFake]:
    """The same, allowing 50 messages per second per channel (for tests not about pacing)."""
    async with SlackFake(channels=["alerts", "general"], not_member=["private"], rate=50) as fake:
        yield fake
