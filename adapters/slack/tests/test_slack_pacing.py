"""Pacing: Slack allows about one message per second per channel ("chat.postMessage ...
one message per second per channel, while also maintaining a workspace-wide limit"); a
429 carries Retry-After. The sink waits for its turn, pauses only the channel that got
the 429, and the fake's receive times show no channel over one message per second.
"""

from __future__ import annotations

import asyncio
import itertools

import cesdk
from cesdk_slack.testing import SlackFake
from slack_helpers import api_sink, event


def routed(n: int, channel: str) -> cesdk.CloudEvent:
    return event(n, extensions={"slackchannel": channel})


async def run(sink: cesdk.Sink, events: list[cesdk.CloudEvent]) -> cesdk.MemorySink:
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource(events), routes=[cesdk.Route(sink)], dead_letter=dead
    )
    await pipeline.run(handle_signals=False)
    return dead


async def test_each_channel_is_paced_on_its_own(slack: SlackFake) -> None:
    events = [routed(n, ("alerts", "general")[n % 2]) for n in range(6)]
    dead = await run(api_sink(slack, channel_template="{{ slackchannel }}"), events)
    assert dead.events == []
    assert slack.ratelimited == 0
    for channel in ("alerts", "general"):
        assert len(slack.messages(channel)) == 3
        assert slack.max_rate_seen(channel) == 1
        assert min(slack.gaps(channel)) >= 1.0
    # Paced independently: each channel's second message came after the other's first.
    alerts, general = (slack.messages(c) for c in ("alerts", "general"))
    assert general[0].time < alerts[1].time
    assert alerts[0].time < general[1].time


async def test_concurrent_sends_wait_for_their_turn_in_order(slack: SlackFake) -> None:
    sink = api_sink(slack)
    async with sink:
        await asyncio.gather(*(sink.send(event(n)) for n in range(3)))
    assert slack.ratelimited == 0
    assert min(slack.gaps("alerts")) >= 1.0
    assert [m.context_text() for m in slack.messages()] == [
        f"event e{n} · /k8s/prod" for n in range(3)
    ]


async def test_the_workspace_cap_spans_channels() -> None:
    channels = [f"c{n}" for n in range(6)]
    async with SlackFake(channels=channels) as slack:
        events = [routed(n, channel) for n, channel in enumerate(channels)]
        sink = api_sink(slack, channel_template="{{ slackchannel }}", workspace_rate=2)
        assert (await run(sink, events)).events == []
        times = sorted(m.time for m in slack.messages())
    # A bucket of 2 refilled at 2 per second: the last of 6 starts (6 - 2) / 2 s after the
    # first (less the first request's extra latency: it opened the connection).
    assert times[-1] - times[0] >= 2.0 - 0.1
    assert slack.ratelimited == 0


async def test_a_429_pauses_that_channel_only(slack: SlackFake) -> None:
    slack.fail_next("alerts", status=429, retry_after=2)
    events = [routed(0, "alerts"), routed(1, "general"), routed(2, "alerts")]
    dead = await run(api_sink(slack, channel_template="{{ slackchannel }}"), events)
    assert dead.events == []
    assert slack.ratelimited == 1
    refused = next(a for a in slack.attempts if a.status == 429)
    alerts = slack.messages("alerts")
    assert [m.context_text()[:8] for m in alerts] == ["event e0", "event e2"]
    assert alerts[0].time - refused.time >= 2.0  # Retry-After honoured
    [general] = slack.messages("general")
    assert general.time < refused.time + 1.0  # not held back by the other channel's pause


async def test_a_sink_faster_than_slack_recovers_from_429(slack: SlackFake) -> None:
    # rate=10 overruns the fake's one per second: it answers 429, the sink pauses the
    # channel for Retry-After, the pipeline retries; everything arrives, paced.
    dead = await run(api_sink(slack, rate=10), [event(n) for n in range(3)])
    assert dead.events == []
    assert slack.ratelimited >= 1
    assert len(slack.messages("alerts")) == 3
    accepted = [m.time for m in slack.messages("alerts")]
    assert all(b - a >= 1.0 - slack.tolerance for a, b in itertools.pairwise(accepted))
