"""WebSocketSource mounted in a Starlette application served by someone else's uvicorn.

The host server's message limit is larger than the source's ``max_size``, so the
source's own check closes the connection with 1009 (RFC 6455 7.4.1).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

import cesdk
from cesdk.testing import CapturingSink, free_port, until
from cesdk_http import WebSocketSource
from ws_support import client, close_code, ws_event


@pytest.fixture
async def mounted() -> AsyncIterator[tuple[WebSocketSource, str, CapturingSink]]:
    source = WebSocketSource(serve=False, path="/events", max_size=4096)
    app = Starlette(routes=[Mount("/cloudevents", app=source)])
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ws="websockets-sansio", log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    sink = CapturingSink()
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(sink)], dead_letter=CapturingSink())
    try:
        await until(lambda: server.started, timeout=10)
        async with pipeline:
            await source.wait_ready()
            yield source, f"ws://127.0.0.1:{port}/cloudevents/events", sink
    finally:
        server.should_exit = True
        await serving


async def test_mounted_source_takes_events_on_its_path(
    mounted: tuple[WebSocketSource, str, CapturingSink],
) -> None:
    source, url, sink = mounted
    async with client(url, ["cloudevents.json"]) as ws:
        await ws.send(cesdk.formats.json.encode(ws_event(1)).decode())
        assert await sink.wait_for(1) == [ws_event(1)]
        assert source.connections == 1


async def test_mounted_source_closes_oversized_messages_with_1009(
    mounted: tuple[WebSocketSource, str, CapturingSink],
) -> None:
    source, url, sink = mounted
    async with client(url, ["cloudevents.json"]) as ws:
        await ws.send(cesdk.formats.json.encode(ws_event(2).replace(data="x" * 8000)).decode())
        assert await close_code(ws) == 1009
        assert "max_size 4096" in (ws.close_reason or "")
    assert source.too_big == 1
    assert sink.events == []
