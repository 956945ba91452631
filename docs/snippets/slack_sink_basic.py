import asyncio

import cesdk
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake  # a Slack on loopback, so that this runs anywhere


def pod_event(n: int, channel: str) -> cesdk.CloudEvent:
    return cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        id=f"evt-{n}",
        subject="pod/checkout-1",
        data={  # a Kubernetes Event object
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
            "count": n + 1,
            "involvedObject": {"kind": "Pod", "name": "checkout-1", "namespace": "shop"},
        },
        extensions={"slackchannel": channel},
    )


async def main() -> None:
    async with SlackFake(channels=["alerts", "payments"]) as slack:
        sink = SlackSink(
            token=slack.token,  # your bot token (xoxb-..., scope chat:write)
            api_url=slack.api_url,  # leave out to talk to slack.com
            channel_template="{{ slackchannel | default('alerts') }}",  # or channel="#alerts"
        )
        events = [pod_event(n, ["alerts", "payments"][n % 2]) for n in range(4)]
        pipeline = cesdk.Pipeline(
            cesdk.MemorySource(events), routes=[cesdk.Route(sink)], dead_letter=cesdk.MemorySink()
        )
        await pipeline.run()  # ~1 s: two messages per channel, one second apart

        first = slack.messages("alerts")[0]
        assert [b["type"] for b in first.blocks] == ["header", "section", "section", "context"]
        assert first.blocks[0]["text"]["text"] == "BackOff: Pod/checkout-1"
        assert first.text.startswith("BackOff: Pod/checkout-1")  # the notification text
        assert len(slack.messages("payments")) == 2
        assert slack.ratelimited == 0  # never over one message per second per channel


asyncio.run(main())
