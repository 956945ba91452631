"""SlackSink passes the sink contract of cesdk.testing, against the Slack fake.

Slack shows a rendering of the event, not the event: the contract compares ids, read back
from each message's context line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import cesdk
from cesdk.testing import SinkContract, free_port
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake
from slack_helpers import as_event


class TestSlackSinkApiContract(SinkContract):
    carries_full_events = False

    @pytest.fixture(autouse=True)
    async def _fake(self) -> AsyncIterator[None]:
        # 100 messages per second: the contract sends 20 at once to one channel.
        async with SlackFake(channels=["alerts"], rate=100) as fake:
            self.fake = fake
            yield

    async def open_sink(self) -> cesdk.Sink:
        return SlackSink(
            token=self.fake.token, channel="alerts", api_url=self.fake.api_url, rate=100
        )

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        messages = await self.fake.wait_for(count, timeout=timeout)
        return [as_event(m) for m in messages]

    async def open_unreachable_sink(self) -> cesdk.Sink | None:
        return SlackSink(
            token="xoxb-nobody",
            channel="alerts",
            api_url=f"http://127.0.0.1:{free_port()}/api/",
            timeout=2,
        )


class TestSlackSinkWebhookContract(TestSlackSinkApiContract):
    async def open_sink(self) -> cesdk.Sink:
        return SlackSink(self.fake.add_webhook("alerts"), rate=100)

    async def open_unreachable_sink(self) -> cesdk.Sink | None:
        return SlackSink(f"http://127.0.0.1:{free_port()}/services/T1/B1/secret", timeout=2)
