"""Slack's refusals: permanent ones are dead-lettered with Slack's error string, the
retryable ones (ratelimited, 5xx, network) retried; template errors dead-letter the
event with the template, line and event id; the webhook URL and token never show.
"""

from __future__ import annotations

import logging

import pytest

import cesdk
from cesdk.testing import free_port
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake
from slack_helpers import api_sink, event


async def run(sink: cesdk.Sink, events: list[cesdk.CloudEvent]) -> cesdk.MemorySink:
    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource(events),
        routes=[cesdk.Route(sink, retry=cesdk.Retry(initial_delay=0.01, jitter=False))],
        dead_letter=dead,
    )
    await pipeline.run(handle_signals=False)
    return dead


def reasons(dead: cesdk.MemorySink) -> dict[str, str]:
    return {e.id: str(e["deadletterreason"]) for e in dead.events}


async def test_permanent_refusals_are_dead_lettered_with_slacks_code(
    fast_slack: SlackFake,
) -> None:
    fast_slack.archive("general")
    targets = {"e0": "alerts", "e1": "nowhere", "e2": "private", "e3": "general"}
    events = [event(int(i[1:]), extensions={"slackchannel": c}) for i, c in targets.items()]
    sink = api_sink(fast_slack, channel_template="{{ slackchannel }}")
    dead = await run(sink, events)
    found = reasons(dead)
    assert set(found) == {"e1", "e2", "e3"}
    assert "channel_not_found" in found["e1"]
    assert "not_in_channel" in found["e2"]
    assert "invite" in found["e2"]  # says what to do
    assert "is_archived" in found["e3"]
    assert all(e["deadletterattempts"] == 1 for e in dead.events)  # not retried
    assert [m.channel_name for m in fast_slack.messages()] == ["alerts"]


async def test_a_bad_token_is_invalid_auth_and_the_token_stays_hidden(
    fast_slack: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "xoxb-1234-very-secret-token"
    sink = SlackSink(token=secret, channel="alerts", api_url=fast_slack.api_url)
    assert secret not in repr(sink)
    with caplog.at_level(logging.DEBUG):
        dead = await run(sink, [event(1)])
    assert "invalid_auth" in reasons(dead)["e1"]
    assert secret not in reasons(dead)["e1"]
    assert secret not in caplog.text


async def test_retryable_refusals_are_retried(fast_slack: SlackFake) -> None:
    fast_slack.fail_next("alerts", status=502)
    fast_slack.fail_next("alerts", error="internal_error")
    fast_slack.fail_next("alerts", error="ratelimited")
    dead = await run(api_sink(fast_slack, rate=50), [event(1)])
    assert dead.events == []
    assert [a.error for a in fast_slack.attempts] == [
        "internal_error",
        "internal_error",
        "ratelimited",
        None,
    ]
    assert len(fast_slack.messages()) == 1


async def test_after_its_429_waits_the_message_goes_back_to_the_pipeline(
    fast_slack: SlackFake,
) -> None:
    fast_slack.fail_next("alerts", status=429, retry_after=7)
    sink = api_sink(fast_slack, ratelimit_waits=0)
    async with sink:
        with pytest.raises(cesdk.RetryableDeliveryError, match="429") as raised:
            await sink.send(event(1))
    assert raised.value.retry_after == 7


@pytest.mark.parametrize(
    ("template", "line"),
    [("first line\n{{ data.nothing.here }}\n", 2), ("{{ data.message | nosuchfilter }}", None)],
)
async def test_a_template_error_dead_letters_that_event_only(
    fast_slack: SlackFake, template: str, line: int | None
) -> None:
    if line is None:  # a template that does not compile is refused when the sink is built
        with pytest.raises(cesdk.ConfigError, match=r"SlackSink\.template"):
            api_sink(fast_slack, template=template)
        return
    good = event(2, data={"message": "fine", "nothing": {"here": "there"}})
    dead = await run(api_sink(fast_slack, template=template), [event(1), good])
    reason = reasons(dead)["e1"]
    assert f"template SlackSink.template line {line} failed for event 'e1'" in reason
    assert [m.section_texts() for m in fast_slack.messages()] == [["first line\nthere"]]


async def test_a_channel_template_that_renders_no_channel_is_dead_lettered(
    fast_slack: SlackFake,
) -> None:
    sink = api_sink(fast_slack, channel_template="{{ data.room | default('') }}")
    dead = await run(sink, [event(1), event(2, data={"room": "alerts"})])
    assert "SlackSink.channel_template" in reasons(dead)["e1"]
    assert len(fast_slack.messages("alerts")) == 1


async def test_webhook_refusals_are_permanent_and_hide_the_url(
    fast_slack: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    url = fast_slack.add_webhook("general")
    secret = url.rsplit("/", 1)[-1]
    unknown = SlackSink(url + "x")
    assert secret not in repr(unknown)
    fast_slack.archive("general")
    with caplog.at_level(logging.DEBUG):
        dead_unknown = await run(unknown, [event(1)])
        dead_archived = await run(SlackSink(url), [event(2)])
    assert "no_service" in reasons(dead_unknown)["e1"]
    assert "channel_is_archived" in reasons(dead_archived)["e2"]
    for text in (*reasons(dead_unknown).values(), *reasons(dead_archived).values(), caplog.text):
        assert secret not in text


async def test_network_errors_are_retryable_and_hide_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/services/T1/B1/hush-hush-secret"
    async with SlackSink(url, timeout=2) as sink:
        with pytest.raises(cesdk.RetryableDeliveryError) as raised:
            await sink.send(event(1))
    assert "hush-hush-secret" not in str(raised.value)
    assert raised.value.__cause__ is None  # aiohttp's error, which names the URL, is dropped


async def test_a_closed_sink_refuses_retryably(fast_slack: SlackFake) -> None:
    with pytest.raises(cesdk.RetryableDeliveryError, match="not open"):
        await api_sink(fast_slack).send(event(1))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "webhook_url"),
        ({"webhook_url": "https://h/x", "token": "xoxb-1"}, "webhook_url"),
        ({"token": "xoxb-1"}, "channel"),
        ({"token": "xoxb-1", "channel": "a", "channel_template": "b"}, "channel"),
        ({"webhook_url": "https://h/x", "thread_key": "{{ subject }}"}, "thread_key"),
        ({"webhook_url": "ftp://h/x"}, "https"),
        ({"token": "xoxb-1", "channel": "a", "rate": 0}, "rate"),
        ({"token": "xoxb-1", "channel": "a", "state_url": "redis://x", "state": object()}, "state"),
        ({"token": "xoxb-1", "channel": "a", "template": "x", "template_file": "y"}, "template"),
        ({"token": "xoxb-1", "channel": "a", "state": "redis://x"}, "state_url"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        SlackSink(**options)  # type: ignore[arg-type]
    assert "xoxb-1" not in str(raised.value)
