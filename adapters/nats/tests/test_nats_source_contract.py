"""NatsSource passes the public source contract, in core and in JetStream mode."""

from __future__ import annotations

from typing import ClassVar

import pytest
from nats.aio.client import Client

import cesdk
from cesdk.bindings.nats import to_binary, to_structured
from cesdk.testing import SourceContract
from cesdk_nats import NatsSource
from cesdk_nats.testing import NatsServer
from nats_helpers import Stream, unique


class TestNatsCoreSourceContract(SourceContract):
    # Core NATS is at most once: nothing is redelivered after a nack or a restart.
    redelivers: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _peer(self, nats_server: NatsServer, client: Client) -> None:
        self.server, self.nc = nats_server, client
        self.subject = unique("core") + ".events"

    async def open_source(self) -> NatsSource:
        return NatsSource(self.subject.rsplit(".", 1)[0] + ".*", servers=self.server.url)

    async def publish(self, event: cesdk.CloudEvent) -> None:
        message = to_binary(event)
        await self.nc.publish(self.subject, message.data, headers=message.headers)
        await self.nc.flush()

    async def publish_raw(self, body: bytes) -> None:
        await self.nc.publish(self.subject, body)
        await self.nc.flush()


class TestNatsJetStreamSourceContract(SourceContract):
    @pytest.fixture(autouse=True)
    def _peer(self, nats_server: NatsServer, stream: Stream) -> None:
        self.server, self.stream = nats_server, stream
        self.durable = unique("contract")

    async def open_source(self) -> NatsSource:
        return NatsSource(
            f"{self.stream.prefix}.>",
            servers=self.server.url,
            jetstream=True,
            stream=self.stream.name,
            durable=self.durable,
            fetch_timeout=0.5,
        )

    async def publish(self, event: cesdk.CloudEvent) -> None:
        # Structured here, binary in the core test: both are read per message.
        message = to_structured(event)
        js = self.stream.nc.jetstream()
        await js.publish(f"{self.stream.prefix}.ev", message.data, headers=message.headers)

    async def publish_raw(self, body: bytes) -> None:
        await self.stream.nc.jetstream().publish(f"{self.stream.prefix}.raw", body)
