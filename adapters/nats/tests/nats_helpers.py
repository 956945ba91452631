"""Helpers for the NATS adapter tests: fresh streams, waiting on conditions."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js.api import StreamConfig

from cesdk_nats.testing import NatsServer

_names = itertools.count()


@dataclass
class Stream:
    """A JetStream stream made for one test: ``name`` holds subjects ``prefix.>``."""

    name: str
    prefix: str
    nc: Client


def unique(stem: str) -> str:
    """Return a name no other test in this process uses."""
    return f"{stem}{next(_names)}"


async def make_stream(server: NatsServer, **config: object) -> Stream:
    """Connect and create a stream of its own for a test."""
    nc = await nats.connect(server.url)
    name = unique("S")
    prefix = name.lower()
    await nc.jetstream().add_stream(
        StreamConfig(name=name, subjects=[f"{prefix}.>"], **config)  # type: ignore[arg-type]
    )
    return Stream(name, prefix, nc)
