"""Helpers for the NATS adapter tests: fresh streams, subscriptions the server has."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import StreamConfig

from cesdk_nats._connection import flush_to_server
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


async def subscribe(nc: Client, subject: str, cb: Callable[[Msg], Awaitable[None]]) -> Subscription:
    """Subscribe and return once the server has the subscription (core NATS drops
    what is published before; ``nc.flush()`` alone does not wait for that)."""
    sub = await nc.subscribe(subject, cb=cb)
    await flush_to_server(nc)
    return sub
