"""Fixtures for the NATS adapter tests: a real nats-server, a fresh stream, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client

from cesdk_nats.testing import NatsServer
from cesdk_nats.testing.fixtures import nats_server, restartable_nats_server
from nats_helpers import Stream, make_stream

__all__ = ["nats_server", "restartable_nats_server"]


@pytest.fixture
async def stream(nats_server: NatsServer) -> AsyncIterator[Stream]:
    """A fresh stream on the shared server, deleted afterwards."""
    made = await make_stream(nats_server)
    yield made
    await made.nc.jetstream().delete_stream(made.name)
    await made.nc.close()


@pytest.fixture
async def client(nats_server: NatsServer) -> AsyncIterator[Client]:
    """A plain nats-py connection to the shared server."""
    nc = await nats.connect(nats_server.url)
    yield nc
    await nc.close()
