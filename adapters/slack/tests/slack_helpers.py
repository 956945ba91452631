"""Events and small helpers shared by the Slack tests."""

from __future__ import annotations

import re
from typing import Any

import cesdk
from cesdk_slack import SlackSink
from cesdk_slack.testing import Received, SlackFake

_FOOTER = re.compile(r"event (\S+) · (\S+)")


def event(n: int = 0, **attributes: Any) -> cesdk.CloudEvent:
    """A Kubernetes-looking warning event number ``n``."""
    values: dict[str, Any] = {
        "type": "io.k8s.event.warning",
        "source": "/k8s/prod",
        "id": f"e{n}",
        "subject": f"pod/web-{n}",
        "data": {"message": f"Back-off restarting failed container {n}"},
    }
    values.update(attributes)
    return cesdk.CloudEvent(**values)


def api_sink(fake: SlackFake, channel: str = "alerts", **options: Any) -> SlackSink:
    """A bot-token sink posting to ``fake``."""
    if "channel_template" not in options:
        options["channel"] = channel
    return SlackSink(token=fake.token, api_url=fake.api_url, **options)


def event_id(message: Received) -> str:
    """The event id a message's context line names."""
    found = _FOOTER.search(message.context_text())
    assert found is not None, f"no event id in {message.context_text()!r}"
    return found.group(1)


def as_event(message: Received) -> cesdk.CloudEvent:
    """A stand-in event for a received message: its id and source from the context line."""
    found = _FOOTER.search(message.context_text())
    assert found is not None, f"no event id in {message.context_text()!r}"
    return cesdk.CloudEvent(
        type="dev.cesdk.slack.received", id=found.group(1), source=found.group(2)
    )
