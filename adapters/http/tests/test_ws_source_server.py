"""WebSocketSource as a server: negotiation, bad frames, limits, backpressure, shutdown.

websockets-protocol-binding.md 1.4 (handshake), 1.5 (frame types); RFC 6455 7.4.1
(close codes 1001 going away, 1009 message too big).
"""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

import cesdk
from cesdk.testing import CapturingSink, until
from cesdk_http import WebSocketSink
from ws_support import GatedSink, client, close_code, running_ws, ws_event


async def test_no_acceptable_subprotocol_refuses_the_handshake() -> None:
    """1.4: none of the offered subprotocols is supported: refused, no protocol header."""
    async with running_ws(subprotocols=["cloudevents.json"]) as run:
        with pytest.raises(InvalidStatus) as caught:
            async with client(run.url, ["cloudevents.avro", "mqtt"]):
                pass
        response = caught.value.response
        assert response.status_code == 400
        assert "Sec-WebSocket-Protocol" not in response.headers
        detail = orjson.loads(response.body)["detail"]
        assert "cloudevents.avro, mqtt" in detail
        assert "cloudevents.json" in detail
        with pytest.raises(InvalidStatus) as none_offered:
            async with client(run.url, ()):
                pass
        assert none_offered.value.response.status_code == 400
        assert b"no subprotocol" in none_offered.value.response.body
        assert run.source.connections == 0


async def test_sink_gets_a_permanent_error_with_the_reason() -> None:
    """The sink turns the refused handshake into PermanentDeliveryError naming why."""
    async with running_ws(subprotocols=["cloudevents.json"]) as run:
        async with WebSocketSink(run.url, subprotocol="cloudevents.proto") as ws:
            with pytest.raises(cesdk.PermanentDeliveryError) as caught:
                await ws.send(ws_event(1))
        message = str(caught.value)
        assert "400" in message
        assert "cloudevents.json" in message


async def test_bad_frames_are_dead_lettered_and_the_connection_stays() -> None:
    """A frame that is not an event, or of the wrong frame type (1.5), is kept raw."""
    async with running_ws(subprotocols=["cloudevents.json", "cloudevents.avro"]) as run:
        async with client(run.url, ["cloudevents.json"]) as ws:
            await ws.send("this is not JSON")
            await ws.send('[{"specversion": "1.0"}]')  # a batch: not in this binding
            await ws.send(cesdk.formats.json.encode(ws_event(1)).decode())
            await run.dead.wait_for(2)
            await run.sink.wait_for(1)
            assert ws.state.name == "OPEN"
        async with client(run.url, ["cloudevents.avro"]) as ws:
            await ws.send("text frame in an avro stream")
            await run.dead.wait_for(3)
            await ws.send(cesdk.formats.avro.encode(ws_event(2)))
            await run.sink.wait_for(2)
    letters = run.dead.events
    assert [e.type for e in letters] == ["dev.cesdk.deadletter.undecodable"] * 3
    assert [e.id for e in run.sink.events] == ["ws-1", "ws-2"]
    assert letters[0].data == b"this is not JSON"
    assert letters[1].data == b'[{"specversion": "1.0"}]'
    assert letters[2].data == b"text frame in an avro stream"
    assert "batch" in letters[1]["deadletterreason"]
    assert "binary frames" in letters[2]["deadletterreason"]
    assert orjson.loads(letters[2]["deadlettermetadata"])["frame"] == "text"


async def test_oversized_message_closes_with_1009() -> None:
    """A message over max_size closes the connection with 1009; smaller ones pass."""
    async with running_ws(max_size=2048) as run:
        async with client(run.url) as ws:
            await ws.send(cesdk.formats.json.encode(ws_event(1)).decode())
            await run.sink.wait_for(1)
            await ws.send(cesdk.formats.json.encode(ws_event(2).replace(data="x" * 5000)).decode())
            assert await close_code(ws) == 1009
        assert [e.id for e in run.sink.events] == ["ws-1"]
        async with WebSocketSink(run.url, max_size=1024) as sink:
            with pytest.raises(cesdk.PermanentDeliveryError, match="over max_size"):
                await sink.send(ws_event(3).replace(data="y" * 2000))


async def test_slow_pipeline_throttles_the_sender_without_loss() -> None:
    """Backpressure: a full queue stops reading; the sender blocks; nothing is lost."""
    sink = GatedSink()
    count, blob = 400, "z" * 60_000  # 24 MB: more than socket buffers can hide
    async with running_ws(sink=sink, concurrency=2, max_pending=4, compression=False) as run:
        sent = 0

        async def produce() -> None:
            nonlocal sent
            async with WebSocketSink(run.url, compression=False, max_size=1 << 20) as ws:
                for n in range(count):
                    await ws.send(ws_event(n).replace(data=blob))
                    sent += 1

        producer = asyncio.create_task(produce())
        # ordering="delivery": one send in flight for the connection, the rest queued.
        await until(lambda: run.source.pending == 4 and sink.waiting == 1, timeout=10)
        done, _ = await asyncio.wait({producer}, timeout=1.0)
        assert not done, "the sender was not throttled"
        # The server read only what the queue and the pipeline hold (plus one waiting put).
        assert run.source.received <= 4 + 2 + 1
        assert run.source.pending == 4
        assert sent < count
        sink.gate.set()
        await asyncio.wait_for(producer, 30)
        await until(lambda: len(sink.events) == count, timeout=30)
    assert [e.id for e in sink.events] == [f"ws-{n}" for n in range(count)]
    assert run.source.dropped == 0


async def test_shutdown_closes_connections_with_1001() -> None:
    """Graceful shutdown: open connections are closed with 1001 (going away)."""
    async with running_ws() as run, client(run.url) as ws:
        await ws.send(cesdk.formats.json.encode(ws_event(1)).decode())
        await run.sink.wait_for(1)
        await until(lambda: run.source.connections == 1, timeout=5)
        await run.pipeline.__aexit__(None, None, None)
        assert await close_code(ws) == 1001
        assert ws.close_reason == "the server is shutting down"


async def test_max_connections_refuses_more_with_503() -> None:
    """Past max_connections, handshakes are refused with 503 and Retry-After."""
    async with running_ws(max_connections=1) as run:
        async with client(run.url):
            await until(lambda: run.source.connections == 1, timeout=5)
            with pytest.raises(InvalidStatus) as caught:
                async with client(run.url):
                    pass
            assert caught.value.response.status_code == 503
            assert caught.value.response.headers["Retry-After"] == "1"
            async with WebSocketSink(run.url) as ws:
                with pytest.raises(cesdk.RetryableDeliveryError) as retry:
                    await ws.send(ws_event(1))
            assert retry.value.retry_after == 1.0
        await until(lambda: run.source.connections == 0, timeout=5)
        async with client(run.url):
            pass


async def test_idle_connection_is_closed() -> None:
    """A connection silent for idle_timeout is closed (1000) and freed."""
    async with running_ws(idle_timeout=0.2) as run, client(run.url) as ws:
        assert await close_code(ws, timeout=5) == 1000
        assert "idle" in (ws.close_reason or "")
        await until(lambda: run.source.connections == 0, timeout=5)


async def test_path_and_plain_http_requests() -> None:
    """Other paths are refused with 404; a plain HTTP request gets 426 Upgrade Required."""
    async with running_ws(path="/events") as run:
        base = f"ws://127.0.0.1:{run.source.port}"
        with pytest.raises(InvalidStatus) as caught:
            async with client(base + "/other"):
                pass
        assert caught.value.response.status_code == 404
        async with client(base + "/events") as ws:
            await ws.send(cesdk.formats.json.encode(ws_event(1)).decode())
            await run.sink.wait_for(1)
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{run.source.port}/events") as response,
        ):
            assert response.status == 426
            assert response.headers["upgrade"] == "websocket"


async def test_peer_dropping_mid_stream_keeps_what_was_read() -> None:
    """Frames read before the sender vanished are still delivered."""
    sink = CapturingSink()
    async with running_ws(sink=sink) as run:
        ws = await client(run.url)
        for n in range(5):
            await ws.send(cesdk.formats.json.encode(ws_event(n)).decode())
        ws.transport.abort()
        await sink.wait_for(5)
        await until(lambda: run.source.connections == 0, timeout=5)
    assert [e.id for e in sink.events] == [f"ws-{n}" for n in range(5)]
    with pytest.raises(ConnectionClosed):
        await ws.send("gone")
