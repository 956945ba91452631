import asyncio
import contextlib

import aiohttp
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

import cesdk
from cesdk.bindings import http
from cesdk.testing import free_port
from cesdk_http import HttpSource

source = HttpSource(serve=False)  # the application's server serves it
got = cesdk.MemorySink()
pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(got)], dead_letter=cesdk.MemorySink())


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    async with pipeline:  # the pipeline runs as long as the application
        yield


app = Starlette(routes=[Mount("/events", app=source)], lifespan=lifespan)


async def main() -> None:  # what `uvicorn module:app` would do, for one request
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:  # uvicorn offers a flag, not an event, to wait on
            await asyncio.sleep(0.01)
    message = http.to_structured(cesdk.CloudEvent(type="t", source="/s", id="1"))
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            f"http://127.0.0.1:{port}/events/", data=message.body, headers=message.headers
        ) as response,
    ):
        assert response.status == 204
    server.should_exit = True
    await serving
    assert [e.id for e in got.events] == ["1"]


asyncio.run(main())
