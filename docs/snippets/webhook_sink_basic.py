import asyncio

from aiohttp import web

import cesdk
from cesdk.bindings import http
from cesdk.testing import free_port
from cesdk_webhook import WebhookSink

received: list[cesdk.CloudEvent] = []


async def receive(request: web.Request) -> web.Response:  # any webhook receiver
    received.append(http.from_http(request.headers.items(), await request.read()))
    return web.Response(status=204)


async def main() -> None:
    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    sink = WebhookSink(
        f"http://127.0.0.1:{port}/hook",
        mode="binary",  # or "structured", "batch", "template"
        timeout=5,  # seconds per request
        headers={"X-Team": "ops"},
    )
    events = [
        cesdk.CloudEvent(
            type="io.k8s.event.warning", source="/k8s/prod", id=str(n), data={"reason": "BackOff"}
        )
        for n in range(3)
    ]
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource(events), routes=[cesdk.Route(sink)], dead_letter=cesdk.MemorySink()
    )
    await pipeline.run()
    await runner.cleanup()
    assert sorted(e.id for e in received) == ["0", "1", "2"]


asyncio.run(main())
