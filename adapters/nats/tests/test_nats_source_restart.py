"""A broker restart in the middle of a JetStream run loses nothing (same store dir)."""

from __future__ import annotations

import asyncio

import nats
from nats.aio.msg import Msg

import cesdk
from cesdk.bindings.nats import from_nats, to_binary
from cesdk.testing import CapturingSink, until
from cesdk_nats import NatsSink, NatsSource
from cesdk_nats.testing import NatsServer
from nats_helpers import make_stream

N = 300


async def test_restart_mid_stream_loses_nothing(restartable_nats_server: NatsServer) -> None:
    server = restartable_nats_server
    inbound = await make_stream(server)
    outbound = await make_stream(server)
    events = [
        cesdk.CloudEvent(type="dev.cesdk.restart", source="/restart", id=f"r-{n}", data={"n": n})
        for n in range(N)
    ]
    js = inbound.nc.jetstream()
    for event in events:
        message = to_binary(event)
        await js.publish(f"{inbound.prefix}.in", message.data, headers=message.headers)
    await inbound.nc.close()
    await outbound.nc.close()

    dead = CapturingSink()
    pipeline = cesdk.Pipeline(
        NatsSource(
            f"{inbound.prefix}.>",
            servers=server.url,
            jetstream=True,
            stream=inbound.name,
            durable="restart",
            batch=20,
            fetch_timeout=0.3,
            ack_wait=2.0,
        ),
        routes=[
            cesdk.Route(
                NatsSink(f"{outbound.prefix}.out", servers=server.url, jetstream=True, timeout=1),
                retry=cesdk.Retry(max_attempts=1000, max_delay=0.5, max_elapsed=60),
            )
        ],
        dead_letter=dead,
        concurrency=8,
    )

    async def stored() -> int:
        # A fresh connection each time: the server goes away in between.
        try:
            nc = await nats.connect(
                server.url, allow_reconnect=False, max_reconnect_attempts=1, connect_timeout=1
            )
        except Exception:
            return -1
        try:
            info = await nc.jetstream().stream_info(outbound.name)
            return info.state.messages
        finally:
            await nc.close()

    async with pipeline:
        await until(lambda: _at_least(stored, N // 4), timeout=20, what="a quarter delivered")
        before = await stored()
        await asyncio.to_thread(server.restart)
        await until(lambda: _at_least(stored, N), timeout=30, what="all delivered")

    assert not dead.events
    assert before < N, "everything was delivered before the restart: raise N"

    nc = await nats.connect(server.url)
    received: set[str] = set()

    async def keep(msg: Msg) -> None:
        received.add(from_nats(msg).id)

    sub = await nc.jetstream().subscribe(f"{outbound.prefix}.>", cb=keep, ordered_consumer=True)
    await until(lambda: len(received) >= N, timeout=10, what="reading the outbound stream")
    await sub.unsubscribe()
    await nc.close()
    assert received == {event.id for event in events}


async def _at_least(count: object, n: int) -> bool:
    assert callable(count)
    return bool(await count() >= n)
