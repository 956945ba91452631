import asyncio

import orjson
from aiohttp import web

import cesdk
from cesdk.testing import free_port
from cesdk_webhook import WebhookSink

bodies: list[dict] = []


async def chat(request: web.Request) -> web.Response:  # a chat tool's incoming webhook
    bodies.append(orjson.loads(await request.read()))
    return web.Response(text="ok")


async def main() -> None:
    app = web.Application()
    app.router.add_post("/chat", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()

    sink = WebhookSink(
        f"http://127.0.0.1:{port}/chat",
        mode="template",
        template={
            "text": ":warning: {data.reason} on {subject:-an unknown object}",
            "severity": "{severity:-warning}",  # an extension, with a default
            "details": "{data}",  # a whole value keeps its JSON type
        },
    )
    event = cesdk.CloudEvent(
        type="io.k8s.event.warning",
        source="/k8s/prod",
        subject="pod/web-1",
        data={"reason": "BackOff", "count": 7},
    )
    async with sink:
        await sink.send(event)
    await runner.cleanup()
    assert bodies == [
        {
            "text": ":warning: BackOff on pod/web-1",
            "severity": "warning",
            "details": {"reason": "BackOff", "count": 7},
        }
    ]


asyncio.run(main())
