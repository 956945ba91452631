"""WebSocketSource and WebSocketSink pass the contracts of cesdk.testing (DESIGN.md).

The sink's peer is a WebSocketSource read directly; the source's peer is a raw
``websockets`` client sending frames (websockets-protocol-binding.md 3).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection

import cesdk
from cesdk.testing import SinkContract, SourceContract, free_port, until
from cesdk_http import WebSocketSink, WebSocketSource
from ws_support import client


class TestWebSocketSinkContract(SinkContract):
    @pytest.fixture(autouse=True)
    async def _peer(self) -> AsyncIterator[None]:
        self.source = WebSocketSource(port=0)
        self.got: list[cesdk.CloudEvent] = []

        async def collect() -> None:
            async for delivery in self.source:
                assert delivery.event is not None, delivery.error
                self.got.append(delivery.event)
                await delivery.ack()

        async with self.source:
            reader = asyncio.create_task(collect())
            yield
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def open_sink(self) -> cesdk.Sink:
        return WebSocketSink(self.source.url)

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        await until(lambda: len(self.got) >= count, timeout=timeout)
        return self.got

    async def open_unreachable_sink(self) -> cesdk.Sink | None:
        return WebSocketSink(f"ws://127.0.0.1:{free_port()}/", open_timeout=2)


class TestWebSocketSourceContract(SourceContract):
    @pytest.fixture(autouse=True)
    async def _client(self) -> AsyncIterator[None]:
        self.connection: ClientConnection | None = None
        yield
        if self.connection is not None:
            await self.connection.close()

    async def open_source(self) -> cesdk.Source:
        self.source = WebSocketSource(port=0)
        return self.source

    async def _send(self, payload: str | bytes) -> None:
        if self.connection is None:
            self.connection = await client(self.source.url)
        await self.connection.send(payload)

    async def publish(self, event: cesdk.CloudEvent) -> None:
        await self._send(cesdk.bindings.websockets.to_frame(event, "cloudevents.json").payload)

    async def publish_raw(self, body: bytes) -> None:
        await self._send(body)  # a binary frame that is not JSON
