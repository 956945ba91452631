import asyncio

from websockets.asyncio.server import ServerConnection, serve

import cesdk
from cesdk.bindings import websockets as ws_binding
from cesdk_http import WebSocketSource


async def feed(connection: ServerConnection) -> None:
    # A server that streams events to whoever connects, in the agreed format.
    subprotocol = connection.subprotocol or "cloudevents.json"
    for n in range(2):
        event = cesdk.CloudEvent(type="com.example.tick", source="/clock", id=str(n))
        await connection.send(ws_binding.to_frame(event, subprotocol).payload)
    await connection.send("not an event")  # kept: event=None, the raw bytes, the error
    await connection.wait_closed()


async def main() -> None:
    offered = ws_binding.supported_subprotocols()
    async with serve(feed, "127.0.0.1", 0, subprotocols=list(offered)) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        # Client mode: connect out, read, and reconnect with backoff when it drops.
        source = WebSocketSource.connect(f"ws://127.0.0.1:{port}/", reconnect_delay=0.1)
        async with source:
            deliveries = aiter(source)
            got = [await anext(deliveries) for _ in range(3)]
            for delivery in got:
                await delivery.ack()
    assert [d.event.id for d in got if d.event is not None] == ["0", "1"]
    assert got[2].event is None  # dead-lettered by a pipeline; the connection stays open
    assert got[2].raw.body == b"not an event"
    print(got[2].error)


asyncio.run(main())
