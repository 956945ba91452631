import asyncio

import cesdk
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake


async def main() -> None:
    async with SlackFake(channels=["alerts"]) as slack:
        sink = SlackSink(
            token=slack.token,
            api_url=slack.api_url,
            channel="alerts",
            thread_key="{{ subject | default('') }}",  # one thread per object
            # state_url="redis://127.0.0.1:6379/0",  # keep thread ts across restarts
        )
        events = [
            cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s", subject=subject)
            for subject in ["pod/a", "pod/b", "pod/a", "pod/a"]
        ]
        async with sink:
            await asyncio.gather(*(sink.send(event) for event in events))  # ~3 s, paced

        a, b, *replies = slack.messages("alerts")
        assert (a.thread_ts, b.thread_ts) == (None, None)  # each started a thread
        assert [m.thread_ts for m in replies] == [a.ts, a.ts]  # pod/a's replies


asyncio.run(main())
