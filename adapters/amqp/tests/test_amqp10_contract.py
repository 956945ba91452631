"""AmqpSource and AmqpSink with protocol="1.0" pass the public source and sink contracts
(DESIGN.md "Adapter contract"), binary and structured (amqp-protocol-binding.md 3.1, 3.2)."""

from __future__ import annotations

from typing import ClassVar, Literal

import pytest
from aio_pika.abc import AbstractChannel

import cesdk
from amqp_helpers import Collector, decode_plain, publish_raw, unique
from cesdk.bindings.amqp import to_structured
from cesdk.testing import SinkContract, SourceContract, free_port, until
from cesdk_amqp import AmqpSink, AmqpSource
from cesdk_amqp.testing import RabbitMQServer


class TestAmqp10SourceContract(SourceContract):
    """Events published by the 1.0 sink (binary) or as structured JSON by a 0-9-1 client."""

    structured: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _peer(self, rabbitmq_server: RabbitMQServer, channel: AbstractChannel) -> None:
        self.server, self.channel = rabbitmq_server, channel
        self.queue = unique("contract10")

    async def open_source(self) -> AmqpSource:
        return AmqpSource(self.queue, url=self.server.url, prefetch=8, protocol="1.0")

    async def publish(self, event: cesdk.CloudEvent) -> None:
        if self.structured:
            message = to_structured(event)
            content_type = message.properties["content_type"]
            await publish_raw(self.channel, self.queue, message.body, content_type=content_type)
            return
        async with AmqpSink(self.queue, url=self.server.url, protocol="1.0") as sink:
            await sink.send(event)

    async def publish_raw(self, body: bytes) -> None:
        await publish_raw(self.channel, self.queue, body)


class TestAmqp10StructuredSourceContract(TestAmqp10SourceContract):
    structured: ClassVar[bool] = True


class TestAmqp10SinkContract(SinkContract):
    """What the 1.0 sink publishes is read back by a plain 0-9-1 client: structured mode
    only, since RabbitMQ 3.x does not map 1.0 application properties to 0-9-1 headers."""

    mode: Literal["binary", "structured"] = "structured"

    @pytest.fixture(autouse=True)
    async def _peer(self, rabbitmq_server: RabbitMQServer, channel: AbstractChannel) -> None:
        self.server = rabbitmq_server
        self.exchange = unique("sink10-x")
        exchange = await channel.declare_exchange(self.exchange, "topic", auto_delete=True)
        queue = await channel.declare_queue(unique("sink10-q"), exclusive=True)
        await queue.bind(exchange, routing_key="contract.#")
        self.collector = await Collector(queue).start()

    async def open_sink(self) -> AmqpSink:
        return AmqpSink(
            "contract.{type}",
            url=self.server.url,
            exchange=self.exchange,
            mode=self.mode,
            protocol="1.0",
        )

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        messages = self.collector.messages
        await until(lambda: len(messages) >= count, timeout=timeout, what=f"{count} messages")
        assert all(m.routing_key == "contract.dev.cesdk.contract" for m in messages)
        assert all(m.delivery_mode == 2 for m in messages)  # durable -> persistent
        return [decode_plain(m) for m in messages]

    async def open_unreachable_sink(self) -> AmqpSink:
        url = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
        return AmqpSink("x", url=url, protocol="1.0", timeout=5)
