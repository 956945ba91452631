import asyncio

from aiohttp import web

import cesdk
from cesdk.testing import free_port
from cesdk_webhook import WebhookSink

answers = iter(
    [
        web.Response(status=429, headers={"Retry-After": "1"}),  # retried after 1 s
        web.Response(status=422, text="field 'reason' is required"),  # dead-lettered
    ]
)


async def receive(request: web.Request) -> web.Response:
    return next(answers)


async def main() -> None:
    app = web.Application()
    app.router.add_post("/", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    dead = cesdk.MemorySink()
    pipeline = cesdk.Pipeline(
        cesdk.MemorySource([cesdk.CloudEvent(type="t", source="/s", id="1")]),
        routes=[cesdk.Route(WebhookSink(f"http://127.0.0.1:{port}/"), name="hook")],
        dead_letter=dead,
    )
    await pipeline.run()
    await runner.cleanup()
    (letter,) = dead.events
    assert letter["deadletterattempts"] == 2
    assert letter["deadletterreason"].endswith(
        "answered 422 Unprocessable Entity: field 'reason' is required"
    )


asyncio.run(main())
