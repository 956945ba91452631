"""Helpers for the AMQP adapter tests: unique names, raw publishing, collecting."""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

import cesdk
from cesdk.bindings.amqp import AmqpMessage, from_amqp

_names = itertools.count()


def unique(stem: str) -> str:
    """Return a queue or exchange name no other test (or xdist worker) uses."""
    return f"{stem}-{os.getpid()}-{next(_names)}"


async def publish_raw(
    channel: AbstractChannel,
    queue: str,
    body: bytes,
    *,
    headers: Mapping[str, Any] | None = None,
    content_type: str | None = None,
) -> None:
    """Publish bytes to ``queue`` through the default exchange, as any producer would."""
    message = aio_pika.Message(body, headers=dict(headers or {}), content_type=content_type)
    await channel.default_exchange.publish(message, routing_key=queue)


class Collector:
    """Consume a queue with a plain client, keeping the messages (auto-acked)."""

    def __init__(self, queue: AbstractQueue) -> None:
        self.queue = queue
        self.messages: list[AbstractIncomingMessage] = []

    async def start(self) -> Collector:
        await self.queue.consume(self._keep, no_ack=True)
        return self

    async def _keep(self, message: AbstractIncomingMessage) -> None:
        self.messages.append(message)


def sample_events() -> list[cesdk.CloudEvent]:
    """Events of every shape: binary, text, JSON and no data; extensions of every type;
    times with and without fractions, before 1970 and after 2106."""
    return [
        cesdk.CloudEvent(
            type="dev.cesdk.amqp.binary",
            source="/amqp/test",
            id="bin-1",
            data=bytes(range(256)),
            datacontenttype="application/octet-stream",
            time="2024-05-06T07:08:09Z",
            extensions={"flag": True, "off": False, "count": -2147483648, "blob": b"\x00\xff"},
        ),
        cesdk.CloudEvent(
            type="dev.cesdk.amqp.text",
            source="https://example.com/src",
            id="text-1",
            data="héllo ☁ text",
            datacontenttype="text/plain; charset=utf-8",
            time="2024-05-06T07:08:09.123456789Z",
            subject="pod/web-1",
            dataschema="https://example.com/schema",
            extensions={
                "big": 2147483647,
                "uri": "urn:example:1",
                "stamp": "1985-04-12T23:20:50.52Z",
            },
        ),
        cesdk.CloudEvent(
            type="dev.cesdk.amqp.json",
            source="/amqp/test",
            id="json-1",
            data={"n": 1, "nested": {"list": [1, 2.5, None, "x"]}},
            time="1969-07-20T20:17:40Z",
        ),
        cesdk.CloudEvent(
            type="dev.cesdk.amqp.nodata",
            source="/amqp/test",
            id="none-1",
            time="2200-01-01T00:00:00Z",
            extensions={"partitionkey": "k"},
        ),
    ]


def decode_plain(message: AbstractIncomingMessage) -> cesdk.CloudEvent:
    """Decode what a plain client received with the binding alone (not the adapter)."""
    properties = {"content_type": message.content_type} if message.content_type else {}
    return from_amqp(AmqpMessage(properties, dict(message.headers or {}), message.body))  # type: ignore[arg-type]
