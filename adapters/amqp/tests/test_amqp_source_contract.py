"""AmqpSource passes the public source contract (DESIGN.md "Adapter contract"),
with binary-mode and structured-mode producers (amqp-protocol-binding.md 3.1, 3.2)."""

from __future__ import annotations

from typing import ClassVar

import pytest
from aio_pika.abc import AbstractChannel

import cesdk
from amqp_helpers import publish_raw, unique
from cesdk.bindings.amqp import to_binary, to_structured
from cesdk.testing import SourceContract
from cesdk_amqp import AmqpSource
from cesdk_amqp.testing import RabbitMQServer


class TestAmqpSourceContract(SourceContract):
    structured: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _peer(self, rabbitmq_server: RabbitMQServer, channel: AbstractChannel) -> None:
        self.server, self.channel = rabbitmq_server, channel
        self.queue = unique("contract")

    async def open_source(self) -> AmqpSource:
        return AmqpSource(self.queue, url=self.server.url, prefetch=8)

    async def publish(self, event: cesdk.CloudEvent) -> None:
        if self.structured:
            message = to_structured(event)
            headers = None
        else:
            # The binding's header mapping, as a third-party 0-9-1 producer writes it.
            message = to_binary(event, timestamp_digits=None)
            headers = {
                k: bytearray(v) if isinstance(v, bytes) else v
                for k, v in message.application_properties.items()
            }
        await publish_raw(
            self.channel,
            self.queue,
            message.body,
            headers=headers,
            content_type=message.properties.get("content_type"),
        )

    async def publish_raw(self, body: bytes) -> None:
        await publish_raw(self.channel, self.queue, body)


class TestAmqpStructuredSourceContract(TestAmqpSourceContract):
    structured: ClassVar[bool] = True
