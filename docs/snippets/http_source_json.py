import asyncio

import aiohttp

import cesdk
from cesdk_http import HttpSource

# GitHub posts plain JSON; each attribute is a template over the request.
source = HttpSource(
    port=0,
    mode="json",
    json_type="com.github.{header.x-github-event}",
    json_source="https://github.com/{body.repository.full_name:-unknown}",
    json_id="{header.x-github-delivery}",  # the same on GitHub's redeliveries
    json_subject="{body.ref:-}",
)


async def main() -> None:
    got = cesdk.MemorySink()
    async with cesdk.Pipeline(source, routes=[cesdk.Route(got)], dead_letter=cesdk.MemorySink()):
        await source.wait_ready()
        push = {"ref": "refs/heads/main", "repository": {"full_name": "octo/hello"}}
        headers = {"x-github-event": "push", "x-github-delivery": "72d3162e-cc78"}
        async with (
            aiohttp.ClientSession() as client,
            client.post(source.url, json=push, headers=headers) as response,
        ):
            assert response.status == 204
    (event,) = got.events
    assert (event.type, event.id) == ("com.github.push", "72d3162e-cc78")
    assert event.source == "https://github.com/octo/hello"
    assert event.subject == "refs/heads/main"
    assert event.data == push


asyncio.run(main())
