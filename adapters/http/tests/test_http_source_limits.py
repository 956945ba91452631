"""Body limit, slow bodies, rate limit, overload, shutdown: the answers that protect."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import cesdk
from cesdk.bindings import http
from cesdk.testing import CapturingSink, until
from http_source_support import BlockedSink, FailingSink, event, running


async def test_declared_body_over_the_limit_gets_413() -> None:
    async with running(max_body=1024) as run:
        status, headers, _ = await run.post(b"x" * 1025, {"content-type": "application/json"})
        fits = http.to_binary(cesdk.CloudEvent(type="t", source="/s", data="y" * 900))
        ok, _, _ = await run.post(fits.body, fits.headers)
    assert status == 413
    assert headers["connection"] == "close"
    assert ok == 204


async def test_streamed_body_over_the_limit_gets_413() -> None:
    # No Content-Length (chunked): the limit is counted as the body arrives.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):
            yield b"z" * 1024

    message = http.to_binary(event(1))
    async with running(max_body=16 * 1024) as run:
        status, _, _ = await run.post(chunks(), message.headers)  # type: ignore[arg-type]
    assert status == 413
    assert run.sink.events == []


async def test_default_body_limit_is_one_mebibyte() -> None:
    from cesdk_http import HttpSource

    assert HttpSource().max_body == 1024 * 1024


async def test_slow_body_times_out_with_408() -> None:
    # Slowloris: a sender that trickles its body never holds the request past the limit.
    async with running(body_timeout=0.5) as run:
        reader, writer = await asyncio.open_connection("127.0.0.1", run.source.port)
        head = (
            "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            "ce-specversion: 1.0\r\nce-id: 1\r\nce-source: /s\r\nce-type: t\r\n"
            "content-length: 1000\r\n\r\n"
        )
        writer.write(head.encode() + b"{")

        async def trickle() -> None:
            # The slow client, simulated: one byte a tenth of a second.
            for _ in range(100):
                await asyncio.sleep(0.1)
                writer.write(b" ")
                await writer.drain()

        dripping = asyncio.create_task(trickle())
        async with asyncio.timeout(10):
            status_line = await reader.readline()
        dripping.cancel()
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 408"), status_line
    assert run.sink.events == []


async def test_rate_limit_answers_429_with_retry_after() -> None:
    async with running(rate_limit=0.5, rate_burst=2) as run:
        answers = [await run.post_event(event(n)) for n in range(3)]
    assert [status for status, _, _ in answers] == [204, 204, 429]
    assert int(answers[2][1]["retry-after"]) >= 1


async def test_overloaded_source_answers_503_with_retry_after() -> None:
    sink = BlockedSink()
    async with running(sink=sink, concurrency=1, max_pending=2, retry_after=3) as run:
        first = asyncio.create_task(run.post_event(event(1)))
        await until(lambda: sink.waiting == 1, what="the pipeline to hold the first event")
        queued = [asyncio.create_task(run.post_event(event(n))) for n in (2, 3)]
        await until(lambda: run.source.pending == 2, what="two events waiting")
        status, headers, body = await run.post_event(event(4))
        assert status == 503
        assert headers["retry-after"] == "3"
        assert b"retry later" in body
        sink.gate.set()
        results = await asyncio.gather(first, *queued)
    assert [status for status, _, _ in results] == [204, 204, 204]


async def test_shutdown_answers_waiting_requests_503() -> None:
    sink = BlockedSink()
    async with running(sink=sink, concurrency=1) as run:
        in_flight = asyncio.create_task(run.post_event(event(1)))
        await until(lambda: sink.waiting == 1, what="the pipeline to hold the first event")
        waiting = asyncio.create_task(run.post_event(event(2)))
        await until(lambda: run.source.pending == 1, what="the second event to wait")
        run.pipeline.stop()
        status, headers, _ = await asyncio.wait_for(waiting, 10)
        assert status == 503
        assert "retry-after" in headers
        assert headers["connection"] == "close"
        sink.gate.set()
        # In-flight work drains: the first request is answered after delivery.
        assert (await asyncio.wait_for(in_flight, 10))[0] == 204
    assert [e.id for e in sink.events] == ["ev-1"]


async def test_unsettled_request_times_out_with_503() -> None:
    sink = BlockedSink()
    async with running(sink=sink, settle_timeout=0.3) as run:
        status, headers, _ = await run.post_event(event(1))
        assert status == 503
        assert headers["retry-after"] == "1"
        sink.gate.set()


async def test_event_that_cannot_settle_is_answered_503() -> None:
    # The route refuses it and the dead letter sink fails too: the pipeline nacks, and
    # the sender is told to retry instead of being told it was taken.
    async with running(sink=FailingSink(), dead=FailingSink(), settle_timeout=0.5) as run:  # type: ignore[arg-type]
        status, headers, _ = await run.post_event(event(1))
    assert status == 503
    assert int(headers["retry-after"]) >= 1


async def test_nacked_event_is_redelivered_while_the_sender_waits() -> None:
    dead = CapturingSink(fail=3)  # the pipeline's three dead letter attempts fail, once
    async with running(sink=FailingSink(), dead=dead, settle_timeout=10) as run:
        status, _, _ = await run.post_event(event(1))
    assert status == 204
    assert [e.id for e in dead.events] == ["ev-1"]
