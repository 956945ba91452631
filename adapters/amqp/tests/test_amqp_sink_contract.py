"""AmqpSink passes the public sink contract, binary and structured: what it publishes
is read back with a plain client and decoded by the binding (amqp-protocol-binding.md 3)."""

from __future__ import annotations

from typing import Literal

import pytest
from aio_pika.abc import AbstractChannel

import cesdk
from amqp_helpers import Collector, decode_plain, unique
from cesdk.testing import SinkContract, free_port, until
from cesdk_amqp import AmqpSink
from cesdk_amqp.testing import RabbitMQServer


class TestAmqpSinkContract(SinkContract):
    mode: Literal["binary", "structured"] = "binary"

    @pytest.fixture(autouse=True)
    async def _peer(self, rabbitmq_server: RabbitMQServer, channel: AbstractChannel) -> None:
        self.server = rabbitmq_server
        self.exchange = unique("sink-x")
        exchange = await channel.declare_exchange(self.exchange, "topic", auto_delete=True)
        queue = await channel.declare_queue(unique("sink-q"), exclusive=True)
        await queue.bind(exchange, routing_key="contract.#")
        self.collector = await Collector(queue).start()

    async def open_sink(self) -> AmqpSink:
        return AmqpSink(
            "contract.{type}", url=self.server.url, exchange=self.exchange, mode=self.mode
        )

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        messages = self.collector.messages
        await until(lambda: len(messages) >= count, timeout=timeout, what=f"{count} messages")
        assert all(m.routing_key == "contract.dev.cesdk.contract" for m in messages)
        assert all(m.delivery_mode == 2 for m in messages)  # persistent
        return [decode_plain(m) for m in messages]

    async def open_unreachable_sink(self) -> AmqpSink:
        return AmqpSink("x", url=f"amqp://guest:guest@127.0.0.1:{free_port()}/", connect_timeout=1)


class TestAmqpStructuredSinkContract(TestAmqpSinkContract):
    mode: Literal["binary", "structured"] = "structured"
