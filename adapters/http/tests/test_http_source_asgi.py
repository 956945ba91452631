"""HttpSource as an ASGI application mounted in Starlette, served by the app's uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

import cesdk
from cesdk.testing import CapturingSink, free_port, until
from cesdk_http import HttpSource
from http_source_support import event


async def hello(request: object) -> PlainTextResponse:
    return PlainTextResponse("hello")


async def test_mounted_in_starlette() -> None:
    source = HttpSource(serve=False, path="/in")
    sink = CapturingSink()
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(sink)], dead_letter=CapturingSink())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with pipeline:  # the application runs the pipeline for its lifetime
            yield

    app = Starlette(routes=[Route("/", hello), Mount("/events", app=source)], lifespan=lifespan)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]  # test owns signals
    serving = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started and source.ready, what="the app to start")
        message = cesdk.bindings.http.to_binary(event(1))
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"http://127.0.0.1:{port}/events/in", data=message.body, headers=message.headers
            ) as response:
                assert response.status == 204
            async with session.get(f"http://127.0.0.1:{port}/") as response:
                assert await response.text() == "hello"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 20)
    assert sink.events == [event(1)]
