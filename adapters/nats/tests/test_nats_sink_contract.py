"""NatsSink passes the public sink contract, in core and in JetStream mode."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

import cesdk
from cesdk.bindings.nats import from_nats
from cesdk.testing import SinkContract, free_port, until
from cesdk_nats import NatsSink
from cesdk_nats.testing import NatsServer
from nats_helpers import Stream, subscribe, unique


class _Subscribed(SinkContract):
    """Collect what arrives on ``prefix.>`` with a plain subscription."""

    prefix: str
    messages: list[Msg]

    async def _subscribe(self, nc: Client) -> AsyncIterator[None]:
        self.messages = []

        async def keep(msg: Msg) -> None:
            self.messages.append(msg)

        sub = await subscribe(nc, f"{self.prefix}.>", keep)
        yield
        await sub.unsubscribe()

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        await until(lambda: len(self.messages) >= count, timeout=timeout, what=f"{count} msgs")
        return [from_nats(msg) for msg in self.messages]

    async def open_unreachable_sink(self) -> NatsSink:
        return NatsSink("nowhere", servers=f"nats://127.0.0.1:{free_port()}")


class TestNatsCoreSinkContract(_Subscribed):
    mode: Literal["binary", "structured"] = "binary"

    @pytest.fixture(autouse=True)
    async def _peer(self, nats_server: NatsServer, client: Client) -> AsyncIterator[None]:
        self.server, self.prefix = nats_server, unique("sink")
        async for _ in self._subscribe(client):
            yield

    async def open_sink(self) -> NatsSink:
        return NatsSink(f"{self.prefix}.{{type}}", servers=self.server.url, mode=self.mode)


class TestNatsCoreStructuredSinkContract(TestNatsCoreSinkContract):
    mode: Literal["binary", "structured"] = "structured"


class TestNatsJetStreamSinkContract(_Subscribed):
    @pytest.fixture(autouse=True)
    async def _peer(self, nats_server: NatsServer, stream: Stream) -> AsyncIterator[None]:
        self.server, self.stream, self.prefix = nats_server, stream, stream.prefix
        async for _ in self._subscribe(stream.nc):
            yield

    async def open_sink(self) -> NatsSink:
        return NatsSink(
            f"{self.prefix}.{{subject}}",
            servers=self.server.url,
            jetstream=True,
            stream=self.stream.name,
        )

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        got = await super().received(count, timeout)
        info = await self.stream.nc.jetstream().stream_info(self.stream.name)
        assert info.state.messages >= count  # stored in the stream, not only passed on
        return got
