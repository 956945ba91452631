import asyncio

import cesdk
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake


async def main() -> None:
    async with SlackFake(channels=["alerts"], not_member=["secret"]) as slack:
        sink = SlackSink(
            token=slack.token, api_url=slack.api_url, channel_template="{{ slackchannel }}"
        )
        slack.fail_next("alerts", status=503)  # a Slack hiccup: retried
        events = [
            cesdk.CloudEvent(
                type="t", source="/s", id=channel, extensions={"slackchannel": channel}
            )
            for channel in ["alerts", "nowhere", "secret"]
        ]
        dead_letters = cesdk.MemorySink()
        pipeline = cesdk.Pipeline(
            cesdk.MemorySource(events), routes=[cesdk.Route(sink)], dead_letter=dead_letters
        )
        await pipeline.run()

        assert len(slack.messages("alerts")) == 1  # after one retry
        reasons = {e.id: e["deadletterreason"] for e in dead_letters.events}
        assert "channel_not_found" in reasons["nowhere"]
        assert "not_in_channel" in reasons["secret"]  # "...invite it (/invite @app)..."


asyncio.run(main())
