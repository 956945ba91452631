"""HttpSource passes the source contract of cesdk.testing (DESIGN.md "Adapter contract").

The peer of an HTTP source is its sender: ``publish`` posts the event and leaves the
request waiting for its answer, as a webhook sender does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

import cesdk
from cesdk.testing import SourceContract
from cesdk_http import HttpSource


class TestHttpSourceContract(SourceContract):
    timeout = 10.0

    @pytest.fixture(autouse=True)
    async def _client(self) -> AsyncIterator[None]:
        self.session = aiohttp.ClientSession()
        self.requests: list[asyncio.Task[int]] = []
        yield
        # The source answered (or, once closed, refused) every request by now.
        await asyncio.wait_for(asyncio.gather(*self.requests, return_exceptions=True), 20)
        await self.session.close()

    async def open_source(self) -> cesdk.Source:
        self.source = HttpSource(port=0)
        return self.source

    async def _post(self, body: bytes, headers: dict[str, str]) -> int:
        async with self.session.post(self.source.url, data=body, headers=headers) as response:
            return response.status

    async def publish(self, event: cesdk.CloudEvent) -> None:
        message = cesdk.bindings.http.to_binary(event)
        self.requests.append(asyncio.create_task(self._post(message.body, message.headers)))

    async def publish_raw(self, body: bytes) -> None:
        headers = {"content-type": "application/octet-stream"}
        self.requests.append(asyncio.create_task(self._post(body, headers)))
