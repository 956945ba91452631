"""pytest fixtures for RabbitMQ: skipped when it is not installed, unless ``CI=true``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cesdk_amqp.testing._server import RabbitMQServer

__all__ = ["rabbitmq_server", "restartable_rabbitmq_server"]


def _server(*, amqp10: bool = False) -> RabbitMQServer:
    try:
        return RabbitMQServer(amqp10=amqp10)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[RabbitMQServer]:
    """A RabbitMQ broker on free loopback ports, shared by the session (or xdist worker).

    Its ``rabbitmq_amqp1_0`` plugin is on: the port speaks AMQP 0-9-1 and 1.0.
    """
    with _server(amqp10=True) as server:
        yield server


@pytest.fixture
def restartable_rabbitmq_server() -> Iterator[RabbitMQServer]:
    """A RabbitMQ broker of the test's own, free to stop, kill and restart (AMQP 1.0 on)."""
    with _server(amqp10=True) as server:
        yield server
