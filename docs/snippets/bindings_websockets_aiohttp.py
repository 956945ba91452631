import asyncio

import aiohttp
from aiohttp import web

import cesdk
from cesdk.bindings import websockets
from cesdk.testing import free_port

received: list[cesdk.CloudEvent] = []


async def events(request: web.Request) -> web.WebSocketResponse:
    # Pick the subprotocol from the client's offer; none means no header in the answer.
    chosen = websockets.negotiate(request.headers.getall("Sec-WebSocket-Protocol", []))
    ws = web.WebSocketResponse(protocols=[chosen] if chosen else ())
    await ws.prepare(request)
    if chosen is None:
        await ws.close(code=1002, message=b"no CloudEvents subprotocol in common")
        return ws
    async for message in ws:
        if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            event = websockets.from_frame(message.data, chosen)
            received.append(event)
            reply = event.replace(type="io.k8s.event.ack", id=f"ack-{event.id}")
            await ws.send_str(websockets.to_frame(reply, chosen).payload)  # type: ignore[arg-type]
    return ws


async def main() -> None:
    app = web.Application()
    app.router.add_get("/events", events)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{port}/events"
            offer = websockets.supported_subprotocols()
            async with session.ws_connect(url, protocols=offer) as ws:
                assert ws.protocol == "cloudevents.json"
                ev = cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", id="7")
                frame = websockets.to_frame(ev, ws.protocol)
                await ws.send_str(frame.payload)  # type: ignore[arg-type]
                answer = await ws.receive()
                ack = websockets.from_frame(answer.data, ws.protocol)
                assert ack.type == "io.k8s.event.ack"
                assert ack.id == "ack-7"
    finally:
        await runner.cleanup()
    assert received[0].id == "7"


if __name__ == "__main__":
    asyncio.run(main())
