import asyncio

import cesdk
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake


async def test_my_alerts() -> None:  # a test of your own, with pytest-asyncio
    async with SlackFake(channels=["alerts"], not_member=["private"]) as slack:
        slack.fail_next("alerts", status=429, retry_after=1)  # Slack says: slow down
        sink = SlackSink(token=slack.token, api_url=slack.api_url, channel="alerts")
        async with sink:
            await sink.send(cesdk.CloudEvent(type="t", source="/s", data="<!channel> hi"))
            await sink.send(cesdk.CloudEvent(type="t", source="/s", data="again"))
        first, second = await slack.wait_for(2)
        assert first.special() == []  # no mention or link reached Slack
        assert slack.ratelimited == 1  # the 429 it was told to send, and no other
        assert slack.max_rate_seen("alerts") == 1  # never two posts within a second
        assert second.time - first.time >= 1.0


asyncio.run(test_my_alerts())
