"""Interop with the official Python SDK's AMQP binding, through a real broker: its
``cloudEvents_`` application properties as 0-9-1 headers (amqp-protocol-binding.md 3.1)."""

from __future__ import annotations

import asyncio

from aio_pika.abc import AbstractChannel
from cloudevents.core.bindings import amqp as sdk_amqp
from cloudevents.core.formats.json import JSONFormat

import cesdk
from amqp_helpers import publish_raw, unique
from cesdk import interop
from cesdk_amqp import AmqpSink, AmqpSource
from cesdk_amqp.testing import RabbitMQServer

EVENT = cesdk.CloudEvent(
    type="com.example.interop",
    source="/interop",
    id="i-1",
    time="2018-04-05T03:56:24Z",
    subject="s",
    data={"hello": "world"},
    datacontenttype="application/json",
    extensions={"attempt": 3},
)


async def test_official_sdk_message_is_decoded(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    """The SDK writes time as milliseconds (an int); the source reads it as a time."""
    message = sdk_amqp.to_binary(interop.to_sdk(EVENT), JSONFormat())
    assert message.application_properties["cloudEvents_time"] == 1522900584000
    queue = unique("sdk-in")
    async with AmqpSource(queue, url=rabbitmq_server.url) as source:
        await publish_raw(
            channel,
            queue,
            message.application_data,
            headers=message.application_properties,
            content_type=message.properties.get("content-type"),
        )
        async with asyncio.timeout(10):
            delivery = await anext(aiter(source))
        await delivery.ack()
    assert delivery.event == EVENT


async def test_sink_message_is_read_by_the_official_sdk(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    queue = await channel.declare_queue(unique("sdk-out"), exclusive=True)
    async with AmqpSink(queue.name, url=rabbitmq_server.url) as sink:
        await sink.send(EVENT)
    received = await queue.get(timeout=5, fail=True)
    assert received is not None
    for_sdk = sdk_amqp.AMQPMessage(
        properties={"content-type": received.content_type},
        application_properties=dict(received.headers),
        application_data=received.body,
    )
    assert interop.from_sdk(sdk_amqp.from_amqp(for_sdk, JSONFormat())) == EVENT
