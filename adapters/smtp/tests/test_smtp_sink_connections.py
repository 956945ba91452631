"""Connections: reused across mails, bounded by pool_size, replaced when the server drops
them (RFC 5321 4.5.3.2.7: servers close idle sessions; a client reconnects).
"""

from __future__ import annotations

import asyncio

import cesdk
from cesdk.testing import CapturingSink, MemorySource, until
from cesdk_smtp.testing import Replies, SmtpServer
from smtp_helpers import k8s_event, plain_sink


async def test_sequential_mails_share_one_connection() -> None:
    async with SmtpServer() as server:
        async with plain_sink(server) as sink:
            for n in range(20):
                await sink.send(k8s_event(n))
            assert sink.connections_opened == 1
        mails = await server.wait_for(20)
        assert server.connections == 1
    assert {m.connection for m in mails} == {1}


async def test_concurrent_mails_use_at_most_pool_size_connections() -> None:
    async with SmtpServer() as server:
        async with plain_sink(server, pool_size=2) as sink:
            await asyncio.gather(*(sink.send(k8s_event(n)) for n in range(30)))
        mails = await server.wait_for(30)
        assert 1 <= server.connections <= 2
    assert sorted(m.header("X-CloudEvents-Id") for m in mails) == sorted(
        f"k8s-{n}" for n in range(30)
    )


async def test_a_pipeline_of_many_events_over_two_connections() -> None:
    async with SmtpServer() as server:
        dead = CapturingSink()
        await cesdk.Pipeline(
            MemorySource([k8s_event(n) for n in range(50)]),
            routes=[cesdk.Route(plain_sink(server, pool_size=2))],
            dead_letter=dead,
            concurrency=16,
        ).run(handle_signals=False)
        await server.wait_for(50)
        assert server.connections <= 2
    assert dead.events == []


async def test_reconnects_after_the_server_restarts() -> None:
    async with SmtpServer() as server:
        async with plain_sink(server) as sink:
            await sink.send(k8s_event(1))
            await server.wait_for(1)
            await asyncio.to_thread(server.restart)  # drops the pooled connection
            await sink.send(k8s_event(2))  # reconnects by itself, nothing raised
            await sink.send(k8s_event(3))
            assert sink.connections_opened == 2
        mails = await server.wait_for(3)
    assert [m.header("X-CloudEvents-Id") for m in mails] == ["k8s-1", "k8s-2", "k8s-3"]
    assert server.connections == 1  # counted since the restart: one new connection


async def test_a_server_that_stays_down_gives_retryable_errors_then_recovers() -> None:
    async with SmtpServer() as server:
        dead = CapturingSink()
        source = MemorySource([k8s_event(1)])
        async with plain_sink(server, timeout=2) as sink:
            await sink.send(k8s_event(0))
            await asyncio.to_thread(server.stop)
            pipeline = cesdk.Pipeline(
                source,
                routes=[
                    cesdk.Route(
                        sink, retry=cesdk.Retry(max_attempts=100, initial_delay=0.05, max_delay=0.1)
                    )
                ],
                dead_letter=dead,
            )
            run = asyncio.create_task(pipeline.run(handle_signals=False))
            # Wait until the pipeline has failed and retried a few times, then restart.
            await until(lambda: pipeline.metrics.total("retried") >= 2, timeout=10, what="retries")
            await asyncio.to_thread(server.start)
            await run
        mails = await server.wait_for(2)  # messages are kept across a restart
    assert [m.header("X-CloudEvents-Id") for m in mails] == ["k8s-0", "k8s-1"]
    assert pipeline.metrics.total("delivered") == 1
    assert dead.events == []


async def test_connections_are_replaced_after_max_messages() -> None:
    async with SmtpServer() as server:
        async with plain_sink(server, max_messages_per_connection=3) as sink:
            for n in range(7):
                await sink.send(k8s_event(n))
        mails = await server.wait_for(7)
    assert [m.connection for m in mails] == [1, 1, 1, 2, 2, 2, 3]


async def test_idle_connections_are_closed_and_replaced() -> None:
    async with SmtpServer() as server:
        async with plain_sink(server, idle_timeout=0.05) as sink:
            await sink.send(k8s_event(1))
            await server.wait_for(1)
            conn = sink._pool._idle[0]
            conn.last_used -= 1.0  # as if a second had passed: past idle_timeout
            await sink.send(k8s_event(2))
        mails = await server.wait_for(2)
    assert [m.connection for m in mails] == [1, 2]


async def test_a_reused_connection_answered_421_is_replaced_at_once() -> None:
    # A server closing an idle session says 421 (RFC 5321 3.8): nothing was sent on
    # that connection yet, so the sink reconnects within the same send.
    async with SmtpServer() as server:
        async with plain_sink(server) as sink:
            await sink.send(k8s_event(1))
            server.mail_replies = Replies(["421 4.4.2 Idle for too long, closing"])
            await sink.send(k8s_event(2))
        mails = await server.wait_for(2)
    assert [m.connection for m in mails] == [1, 2]
