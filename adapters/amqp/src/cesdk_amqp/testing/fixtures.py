"""pytest fixtures for RabbitMQ: skipped when it is not installed, unless ``CI=true``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cesdk_amqp.testing._server import RabbitMQServer

__all__ = ["rabbitmq_server", "restartable_rabbitmq_server"]


def _server() -> RabbitMQServer:
    try:
        return RabbitMQServer()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def rabbitmq_server() -> Iterator[RabbitMQServer]:
    """A RabbitMQ broker on free loopback ports, shared by the session (or xdist worker)."""
    with _server() as server:
        yield server


@pytest.fixture
def restartable_rabbitmq_server() -> Iterator[RabbitMQServer]:
    """A RabbitMQ broker of the test's own, free to stop, kill and restart."""
    with _server() as server:
        yield server
