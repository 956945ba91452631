import asyncio

import aiohttp

import cesdk
from cesdk.bindings import http
from cesdk_http import HttpSource


async def main() -> None:
    source = HttpSource(host="127.0.0.1", port=0)  # port 0: any free port
    delivered = cesdk.MemorySink()
    dead_letters = cesdk.MemorySink()  # a FileSink("deadletter.jsonl") by default
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(delivered)], dead_letter=dead_letters)
    async with pipeline:  # starts the server; stops it, drained, on exit
        await source.wait_ready()
        event = cesdk.CloudEvent(
            type="io.k8s.event.warning", source="/k8s/prod", id="1", data={"reason": "BackOff"}
        )
        message = http.to_binary(event)  # or to_structured / to_batch
        async with aiohttp.ClientSession() as client:
            async with client.post(
                source.url, data=message.body, headers=message.headers
            ) as response:
                # Answered after the pipeline settled the event.
                assert response.status == 204
                assert delivered.events == [event]
            # An invalid event: 400, with a problem body naming the attribute.
            bad = {**message.headers, "ce-time": "yesterday"}
            async with client.post(source.url, data=message.body, headers=bad) as response:
                problem = await response.json(content_type="application/problem+json")
                assert (response.status, problem["attribute"]) == (400, "time")
            # ...and its bytes are kept: an undecodable event in the dead letter sink.
            assert dead_letters.events[0].type == "dev.cesdk.deadletter.undecodable"


asyncio.run(main())
