"""WebhookSink passes the sink contract of cesdk.testing, against a real aiohttp server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import cesdk
from cesdk.testing import SinkContract, free_port, until
from cesdk_webhook import WebhookSink
from webhook_receiver import Receiver, receiver


class TestWebhookSinkBinaryContract(SinkContract):
    mode = "binary"

    @pytest.fixture(autouse=True)
    async def _receiver(self) -> AsyncIterator[None]:
        async with receiver() as recv:
            self.peer: Receiver = recv
            yield

    async def open_sink(self) -> cesdk.Sink:
        return WebhookSink(self.peer.url, mode=self.mode)  # type: ignore[arg-type]

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        await self.peer.wait_for(count, timeout)
        return self.peer.events()

    async def open_unreachable_sink(self) -> cesdk.Sink | None:
        return WebhookSink(f"http://127.0.0.1:{free_port()}/", timeout=2)


class TestWebhookSinkStructuredContract(TestWebhookSinkBinaryContract):
    mode = "structured"


class TestWebhookSinkBatchContract(TestWebhookSinkBinaryContract):
    mode = "batch"

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        # Several events per request: wait for the events, not the requests.
        await until(lambda: len(self.peer.events()) >= count, timeout=timeout, what="events")
        return self.peer.events()

    async def open_sink(self) -> cesdk.Sink:
        return WebhookSink(self.peer.url, mode="batch", batch_size=5, batch_interval=0.05)
