"""Fixtures for the MQTT adapter tests: a real Mosquitto, a plain client of our own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cesdk_mqtt.testing import MosquittoServer
from cesdk_mqtt.testing.fixtures import mosquitto, restartable_mosquitto
from mqtt_helpers import PlainClient

__all__ = ["mosquitto", "restartable_mosquitto"]


@pytest.fixture
async def client(mosquitto: MosquittoServer) -> AsyncIterator[PlainClient]:
    """An MQTT 5 connection to the shared broker, for publishing and watching."""
    async with PlainClient(mosquitto) as plain:
        yield plain


@pytest.fixture
async def client_v3(mosquitto: MosquittoServer) -> AsyncIterator[PlainClient]:
    """An MQTT 3.1.1 connection to the shared broker."""
    async with PlainClient(mosquitto, protocol_version=3) as plain:
        yield plain
