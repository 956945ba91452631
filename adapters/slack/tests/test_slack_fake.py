"""The Slack fake refuses what Slack refuses, with Slack's answers.

Slack's documentation: chat.postMessage (arguments; errors channel_not_found,
not_in_channel, is_archived, no_text, invalid_blocks, msg_too_long, not_authed,
invalid_auth; "one message per second per channel", 429 with Retry-After and
``ratelimited``), Block Kit limits (50 blocks, section text 3,000, header plain_text
150), incoming webhooks ("ok"; 400 invalid_payload, 404 no_service, 410
channel_is_archived).
"""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import orjson
import pytest

from cesdk.testing import until
from cesdk_slack.testing import SlackFake

Answer = tuple[int, dict[str, str], Any]


async def post_api(
    fake: SlackFake,
    args: dict[str, Any],
    *,
    token: str | None = "default",
    form: bool = False,
) -> Answer:
    headers = {}
    if token == "default":
        token = fake.token
    async with aiohttp.ClientSession() as client:
        if form:
            data: Any = {
                k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in args.items()
            }
            if token:
                data["token"] = token
        else:
            data = orjson.dumps(args)
            headers["Content-Type"] = "application/json; charset=utf-8"
            if token:
                headers["Authorization"] = f"Bearer {token}"
        async with client.post(fake.api_url + "chat.postMessage", data=data, headers=headers) as r:
            return r.status, dict(r.headers), await r.json()


async def post_hook(url: str, body: bytes, content_type: str = "application/json") -> Answer:
    headers = {"Content-Type": content_type}
    async with aiohttp.ClientSession() as client, client.post(url, data=body, headers=headers) as r:
        return r.status, dict(r.headers), await r.text()


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


async def test_a_json_post_is_accepted_and_recorded(fast_slack: SlackFake) -> None:
    status, _, answer = await post_api(fast_slack, {"channel": "#alerts", "text": "hello"})
    assert status == 200
    assert answer["ok"] is True
    assert answer["channel"] == fast_slack.channel_id("alerts")
    assert answer["message"]["text"] == "hello"
    [message] = fast_slack.messages("alerts")
    assert (message.ts, message.text, message.via) == (answer["ts"], "hello", "api")


async def test_ts_are_unique_and_increasing_and_threads_are_recorded(
    fast_slack: SlackFake,
) -> None:
    first = (await post_api(fast_slack, {"channel": "alerts", "text": "a"}))[2]["ts"]
    reply = await post_api(fast_slack, {"channel": "alerts", "text": "b", "thread_ts": first})
    assert reply[2]["message"]["thread_ts"] == first
    assert float(reply[2]["ts"]) > float(first)
    assert [m.text for m in fast_slack.replies(first)] == ["b"]


async def test_a_form_encoded_post_carries_token_and_json_blocks(fast_slack: SlackFake) -> None:
    blocks = [section("*hi*")]
    status, _, answer = await post_api(
        fast_slack, {"channel": "general", "blocks": blocks}, form=True
    )
    assert (status, answer["ok"]) == (200, True)
    assert fast_slack.messages("general")[0].blocks == blocks


@pytest.mark.parametrize(
    ("token", "error"), [(None, "not_authed"), ("xoxb-someone-else", "invalid_auth")]
)
async def test_the_token_is_checked(fast_slack: SlackFake, token: str | None, error: str) -> None:
    status, _, answer = await post_api(fast_slack, {"channel": "alerts", "text": "x"}, token=token)
    assert (status, answer) == (200, {"ok": False, "error": error})
    assert fast_slack.messages() == []


async def test_a_token_inside_a_json_body_does_not_count(fast_slack: SlackFake) -> None:
    args = {"channel": "alerts", "text": "x", "token": fast_slack.token}
    assert (await post_api(fast_slack, args, token=None))[2]["error"] == "not_authed"


@pytest.mark.parametrize(
    ("channel", "error"),
    [("nowhere", "channel_not_found"), ("private", "not_in_channel"), ("", "channel_not_found")],
)
async def test_channels_are_checked(fast_slack: SlackFake, channel: str, error: str) -> None:
    answer = (await post_api(fast_slack, {"channel": channel, "text": "x"}))[2]
    assert answer == {"ok": False, "error": error}


async def test_an_archived_channel_refuses(fast_slack: SlackFake) -> None:
    fast_slack.archive("general")
    assert (await post_api(fast_slack, {"channel": "general", "text": "x"}))[2]["error"] == (
        "is_archived"
    )


@pytest.mark.parametrize(
    ("args", "error", "detail"),
    [
        ({}, "no_text", None),
        ({"text": ""}, "no_text", None),
        ({"blocks": []}, "no_text", None),
        ({"text": "x" * 40_001}, "msg_too_long", None),
        ({"blocks": "not json"}, "invalid_blocks_format", None),
        ({"blocks": {"type": "section"}}, "invalid_blocks_format", None),
        ({"blocks": [section("x")] * 51}, "invalid_blocks", "no more than 50 items"),
        ({"blocks": [section("x" * 3001)]}, "invalid_blocks", "/blocks/0/text/text"),
        ({"blocks": [section("😀" * 1501)]}, "invalid_blocks", "less than 3001"),
        ({"blocks": [section("")]}, "invalid_blocks", "more than 0"),
        (
            {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
            "invalid_blocks",
            "less than 151",
        ),
        (
            {"blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}}]},
            "invalid_blocks",
            "plain_text",
        ),
        ({"blocks": [{"type": "section"}]}, "invalid_blocks", "text or fields"),
        ({"blocks": [{"type": "carousel"}]}, "invalid_blocks", "unsupported type"),
        ({"blocks": [{**section("x"), "colour": "red"}]}, "invalid_blocks", "'colour'"),
        ({"blocks": [{"type": "context", "elements": []}]}, "invalid_blocks", "1 to 10"),
    ],
)
async def test_the_message_shape_and_limits_are_enforced(
    fast_slack: SlackFake, args: dict[str, Any], error: str, detail: str | None
) -> None:
    answer = (await post_api(fast_slack, {"channel": "alerts", **args}))[2]
    assert answer["ok"] is False
    assert answer["error"] == error
    if detail is not None:
        assert detail in " ".join(answer["response_metadata"]["messages"])
    assert fast_slack.messages() == []


async def test_messages_at_the_limits_are_accepted(fast_slack: SlackFake) -> None:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}]
    blocks += [section("😀" * 1500)] + [section("x" * 3000)] * 48  # 50 blocks
    answer = (
        await post_api(fast_slack, {"channel": "alerts", "text": "t" * 40_000, "blocks": blocks})
    )[2]
    assert answer["ok"] is True, answer


async def test_a_second_message_within_a_second_gets_429(slack: SlackFake) -> None:
    assert (await post_api(slack, {"channel": "alerts", "text": "1"}))[2]["ok"] is True
    status, headers, answer = await post_api(slack, {"channel": "alerts", "text": "2"})
    assert (status, answer) == (429, {"ok": False, "error": "ratelimited"})
    assert headers["Retry-After"] == "1"
    # Another channel is paced on its own.
    assert (await post_api(slack, {"channel": "general", "text": "3"}))[2]["ok"] is True
    assert slack.ratelimited == 1
    assert slack.ratelimited_by_channel == {"alerts": 1}
    assert slack.max_rate_seen("alerts") == 2  # the refused post counts as an attempt
    first = slack.messages("alerts")[0].time
    await until(lambda: time.monotonic() - first >= 1.0, timeout=5)
    assert (await post_api(slack, {"channel": "alerts", "text": "4"}))[2]["ok"] is True
    assert [m.text for m in slack.messages("alerts")] == ["1", "4"]


async def test_failures_can_be_injected(fast_slack: SlackFake) -> None:
    fast_slack.fail_next("alerts", status=503)
    fast_slack.fail_next("alerts", error="fatal_error")
    fast_slack.fail_next("alerts", status=429, retry_after=3)
    fast_slack.fail_next("general", error="restricted_action", after=1)
    status, _, answer = await post_api(fast_slack, {"channel": "alerts", "text": "x"})
    assert (status, answer["error"]) == (503, "internal_error")
    status, _, answer = await post_api(fast_slack, {"channel": "alerts", "text": "x"})
    assert (status, answer["error"]) == (200, "fatal_error")
    status, headers, answer = await post_api(fast_slack, {"channel": "alerts", "text": "x"})
    assert (status, headers["Retry-After"], answer["error"]) == (429, "3", "ratelimited")
    assert (await post_api(fast_slack, {"channel": "general", "text": "ok"}))[2]["ok"] is True
    answer = (await post_api(fast_slack, {"channel": "general", "text": "x"}))[2]
    assert answer["error"] == "restricted_action"
    assert (await post_api(fast_slack, {"channel": "alerts", "text": "x"}))[2]["ok"] is True
    assert fast_slack.ratelimited == 1


async def test_unknown_methods_are_refused(fast_slack: SlackFake) -> None:
    url = fast_slack.api_url + "chat.deleteEverything"
    async with aiohttp.ClientSession() as client, client.post(url) as response:
        assert (await response.json())["error"] == "unknown_method"


async def test_an_incoming_webhook_answers_ok(slack: SlackFake) -> None:
    url = slack.add_webhook("alerts")
    status, _, text = await post_hook(url, orjson.dumps({"text": "hi", "thread_ts": "1.2"}))
    assert (status, text) == (200, "ok")
    [message] = slack.messages("alerts")
    assert (message.via, message.text, message.thread_ts) == ("webhook", "hi", None)
    # The webhook shares the channel's pace.
    status, headers, text = await post_hook(url, orjson.dumps({"text": "again"}))
    assert (status, text, headers["Retry-After"]) == (429, "rate_limited", "1")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "text"),
    [
        (b"{not json", "application/json", 400, "invalid_payload"),
        (b"[1, 2]", "application/json", 400, "invalid_payload"),
        (b"{}", "application/json", 400, "no_text"),
        (b'{"blocks": [{"type": "section"}]}', "application/json", 400, "invalid_blocks"),
        (b'{"text": "' + b"x" * 40_001 + b'"}', "application/json", 400, "msg_too_long"),
        (b"payload=%7B%22text%22%3A%22hi%22%7D", "application/x-www-form-urlencoded", 200, "ok"),
    ],
)
async def test_webhook_answers(
    fast_slack: SlackFake, body: bytes, content_type: str, status: int, text: str
) -> None:
    url = fast_slack.add_webhook("alerts")
    assert (await post_hook(url, body, content_type))[::2] == (status, text)


async def test_unknown_and_archived_webhooks(fast_slack: SlackFake) -> None:
    url = fast_slack.add_webhook("general")
    assert (await post_hook(url + "x", b'{"text": "x"}'))[::2] == (404, "no_service")
    fast_slack.archive("general")
    assert (await post_hook(url, b'{"text": "x"}'))[::2] == (410, "channel_is_archived")
    fast_slack.fail_next("alerts", status=500)
    hook = fast_slack.add_webhook("alerts")
    assert (await post_hook(hook, b'{"text": "x"}'))[::2] == (500, "rollup_error")


async def test_special_sequences_are_found_in_mrkdwn_only(fast_slack: SlackFake) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "<!channel> is plain here"}},
        section("hi <@U123> and <https://x.example|click> but &lt;!here&gt;"),
    ]
    await post_api(fast_slack, {"channel": "alerts", "text": "<!here>", "blocks": blocks})
    [message] = fast_slack.messages()
    assert message.special() == ["<!here>", "<@U123>", "<https://x.example|click>"]
