"""pytest fixtures for MQTT: skipped when ``mosquitto`` is missing, unless ``CI=true``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cesdk_mqtt.testing._server import MosquittoServer

__all__ = ["mosquitto", "restartable_mosquitto"]


def _server() -> MosquittoServer:
    try:
        return MosquittoServer()
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[MosquittoServer]:
    """A Mosquitto broker on a free loopback port, shared by the session."""
    with _server() as server:
        yield server


@pytest.fixture
def restartable_mosquitto() -> Iterator[MosquittoServer]:
    """A Mosquitto broker of the test's own, free to stop and restart."""
    with _server() as server:
        yield server
