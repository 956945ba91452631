import asyncio

import cesdk
import cesdk.testing
from cesdk_http import WebSocketSink, WebSocketSource


async def main() -> None:
    source = WebSocketSource(host="127.0.0.1", port=0, path="/events")  # port 0: any free port
    delivered = cesdk.MemorySink()
    dead_letters = cesdk.MemorySink()  # a FileSink("deadletter.jsonl") by default
    pipeline = cesdk.Pipeline(
        source,
        routes=[cesdk.Route(delivered)],
        dead_letter=dead_letters,
        ordering="delivery",  # one ordering key per connection: each stream stays in order
    )
    async with pipeline:  # starts the server; closes connections with 1001 on exit
        await source.wait_ready()
        events = [
            cesdk.CloudEvent(type="io.k8s.event.warning", source="/k8s/prod", id=str(n))
            for n in range(3)
        ]
        # The sink offers cloudevents.proto; the server agrees; frames are binary.
        async with WebSocketSink(source.url, subprotocol="cloudevents.proto") as sink:
            for event in events:
                await sink.send(event)  # returns once the frame is written
            assert sink.subprotocol == "cloudevents.proto"
        # Sent is not yet delivered: the binding has no acknowledgement. Wait for the sink.
        await cesdk.testing.until(lambda: len(delivered.events) == 3, timeout=5)
        assert delivered.events == events
        assert dead_letters.events == []


asyncio.run(main())
