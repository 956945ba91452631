"""Fixtures for the AMQP adapter tests: a real RabbitMQ broker and a plain client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from cesdk_amqp.testing import RabbitMQServer
from cesdk_amqp.testing.fixtures import rabbitmq_server, restartable_rabbitmq_server

__all__ = ["rabbitmq_server", "restartable_rabbitmq_server"]


@pytest.fixture
async def channel(rabbitmq_server: RabbitMQServer) -> AsyncIterator[AbstractChannel]:
    """A plain aio-pika channel on the shared broker (publisher confirms on)."""
    connection = await aio_pika.connect(rabbitmq_server.url)
    yield await connection.channel()
    await connection.close()
