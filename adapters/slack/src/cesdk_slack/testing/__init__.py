"""Test kit for Slack sinks: ``SlackFake``, a Slack that runs on loopback.

It speaks ``chat.postMessage`` (JSON or form-encoded) and incoming webhooks, checks the
token, the channels, the Block Kit shape and Slack's limits, answers ``429`` with
``Retry-After`` when a channel gets more than one message per second, and records what
it accepted::

    from cesdk_slack import SlackSink
    from cesdk_slack.testing import SlackFake

    async with SlackFake(channels=["alerts"]) as slack:
        async with SlackSink(token=slack.token, channel="alerts", api_url=slack.api_url) as sink:
            await sink.send(event)
        [message] = await slack.wait_for(1)
        assert message.special() == []     # no mention, no link
        assert slack.ratelimited == 0       # no 429 was needed
"""

from cesdk_slack.testing._checks import RefusalError, check_message
from cesdk_slack.testing._fake import Attempt, Received, SlackFake

__all__ = ["Attempt", "Received", "RefusalError", "SlackFake", "check_message"]
