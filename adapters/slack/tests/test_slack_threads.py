"""Threads: the first message for a thread_key starts a thread, later ones reply in it
(thread_ts); the ts is kept in a cesdk.StateStore, so with Redis it survives a restart.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

import cesdk
from cesdk.testing import RedisServer
from cesdk_slack import SlackSink
from cesdk_slack.testing import SlackFake
from slack_helpers import api_sink, event


async def test_later_messages_for_a_key_reply_in_its_thread(fast_slack: SlackFake) -> None:
    sink = api_sink(fast_slack, thread_key="{{ subject }}", rate=50)
    async with sink:
        for item in [event(1, subject="pod/a"), event(2, subject="pod/b")]:
            await sink.send(item)
        for n in (3, 4):
            await sink.send(event(n, subject="pod/a"))
        await sink.send(event(5, subject="pod/b"))
    first_a, first_b, *replies = fast_slack.messages()
    assert first_a.thread_ts is None
    assert first_b.thread_ts is None
    assert [m.thread_ts for m in replies] == [first_a.ts, first_a.ts, first_b.ts]


async def test_an_empty_key_posts_outside_any_thread(fast_slack: SlackFake) -> None:
    sink = api_sink(fast_slack, thread_key="{{ data.incident | default('') }}", rate=50)
    async with sink:
        for n in range(3):
            await sink.send(event(n))
    assert [m.thread_ts for m in fast_slack.messages()] == [None, None, None]


async def test_concurrent_first_messages_start_one_thread(fast_slack: SlackFake) -> None:
    sink = api_sink(fast_slack, thread_key="{{ subject }}", rate=50)
    async with sink:
        await asyncio.gather(*(sink.send(event(n, subject="pod/a")) for n in range(5)))
    messages = fast_slack.messages()
    starters = [m for m in messages if m.thread_ts is None]
    assert len(starters) == 1
    assert all(m.thread_ts == starters[0].ts for m in messages if m is not starters[0])


async def test_the_parts_of_a_long_first_message_go_into_its_thread(
    fast_slack: SlackFake,
) -> None:
    body = "{% for p in data.paragraphs %}{{ p }}\n\n{% endfor %}"
    long = event(1, subject="pod/a", data={"paragraphs": ["x" * 2900] * 20})
    sink = api_sink(fast_slack, template=body, thread_key="{{ subject }}", rate=50)
    async with sink:
        await sink.send(long)
        await sink.send(event(2, subject="pod/a", data={"paragraphs": ["later"]}))
    first, *rest = fast_slack.messages()
    assert len(rest) == 2
    assert first.thread_ts is None
    assert [m.thread_ts for m in rest] == [first.ts, first.ts]


async def test_threads_survive_a_restart_with_redis(
    fast_slack: SlackFake, redis_server: RedisServer
) -> None:
    prefix = f"slack-test-{uuid.uuid4().hex}:"
    options = {"thread_key": "{{ subject }}", "state_url": redis_server.url, "rate": 50}
    async with api_sink(fast_slack, state_prefix=prefix, **options) as first:
        await first.send(event(1, subject="pod/a"))
    # A new process: a new sink, the same Redis.
    async with api_sink(fast_slack, state_prefix=prefix, **options) as second:
        await second.send(event(2, subject="pod/a"))
    started, reply = fast_slack.messages()
    assert started.thread_ts is None
    assert reply.thread_ts == started.ts
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        [key] = await client.keys(prefix + "*")
        assert await client.get(key) == started.ts.encode()
        assert 0 < await client.ttl(key) <= 7 * 24 * 3600  # thread_ttl
    finally:
        await client.aclose()


async def test_a_shared_state_store_object_works_the_same(
    fast_slack: SlackFake, redis_server: RedisServer
) -> None:
    store = cesdk.RedisDedupStore(redis_server.url, prefix=f"slack-test-{uuid.uuid4().hex}:")
    try:
        for n in (1, 2):
            async with api_sink(fast_slack, thread_key="{{ subject }}", state=store) as sink:
                await sink.send(event(n, subject="pod/a"))
    finally:
        await store.close()
    started, reply = fast_slack.messages()
    assert reply.thread_ts == started.ts


async def test_a_failing_state_store_is_retryable(fast_slack: SlackFake) -> None:
    class Broken:
        async def get(self, key: str) -> str | None:
            raise ConnectionError("redis is away")

        async def put(
            self, key: str, value: str, ttl: float, *, only_if_absent: bool = False
        ) -> bool:
            raise AssertionError("not reached")

        async def close(self) -> None:
            return None

    sink = api_sink(fast_slack, thread_key="{{ subject }}", state=Broken())
    async with sink:
        with pytest.raises(cesdk.RetryableDeliveryError, match="redis is away"):
            await sink.send(event(1))
    assert fast_slack.messages() == []


def test_threads_need_a_bot_token() -> None:
    with pytest.raises(ValueError, match="thread"):
        SlackSink("https://hooks.slack.com/services/T/B/x", thread_key="{{ subject }}")
