"""pytest fixtures for NATS: skipped when ``nats-server`` is missing, unless ``CI=true``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cesdk_nats.testing._server import NatsServer

__all__ = ["nats_server", "restartable_nats_server"]


def _server() -> NatsServer:
    try:
        return NatsServer()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    """A ``nats-server -js`` on a free loopback port, shared by the session."""
    with _server() as server:
        yield server


@pytest.fixture
def restartable_nats_server() -> Iterator[NatsServer]:
    """A ``nats-server -js`` of the test's own, free to stop and restart."""
    with _server() as server:
        yield server
