"""cesdk-slack: post CloudEvents to Slack as Block Kit messages, paced per channel.

::

    import cesdk
    from cesdk_slack import SlackSink

    route = cesdk.Route(SlackSink(token="xoxb-...", channel="#alerts"))

In YAML it is the sink ``use: slack``. ``cesdk_slack.testing.SlackFake`` is a Slack Web
API and incoming-webhook server on loopback that enforces Slack's documented limits.
"""

from cesdk_slack._answers import RETRYABLE, RateLimitedError
from cesdk_slack._blocks import plan_messages
from cesdk_slack._limits import Limits, split_text, units
from cesdk_slack._sink import SlackSink, TemplateSource

__all__ = [
    "RETRYABLE",
    "Limits",
    "RateLimitedError",
    "SlackSink",
    "TemplateSource",
    "plan_messages",
    "split_text",
    "units",
]
