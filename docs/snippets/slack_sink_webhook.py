import asyncio

import cesdk
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake


async def main() -> None:
    async with SlackFake(channels=["alerts"]) as slack:
        url = slack.add_webhook("alerts")  # in Slack: https://hooks.slack.com/services/T/B/X
        sink = SlackSink(url, template="*{{ type }}* from `{{ source }}`", header_template="")
        assert "services" not in repr(sink)  # SlackSink(webhook_url='***')
        async with sink:
            await sink.send(cesdk.CloudEvent(type="com.example.deployed", source="/ci"))
        [message] = slack.messages("alerts")
        assert message.section_texts() == ["*com.example.deployed* from `/ci`"]


asyncio.run(main())
