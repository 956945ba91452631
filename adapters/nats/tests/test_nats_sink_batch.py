"""NatsSink.send_batch: one outcome per event, classified as send() would raise it."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg

import cesdk
from cesdk.testing import contract_event, until
from cesdk_nats import NatsSink
from cesdk_nats.testing import NatsServer
from nats_helpers import Stream, subscribe, unique


async def test_jetstream_batch_stores_every_event_with_its_msg_id(
    nats_server: NatsServer, stream: Stream
) -> None:
    events = [contract_event(i) for i in (1, 2, 3)]
    async with NatsSink(
        f"{stream.prefix}.{{type}}", servers=nats_server.url, jetstream=True, stream=stream.name
    ) as sink:
        outcomes = await sink.send_batch(events)
    assert outcomes == [None, None, None]
    info = await stream.nc.jetstream().stream_info(stream.name)
    assert info.state.messages == 3
    ids = []
    for seq in range(1, 4):
        stored = await stream.nc.jetstream().get_msg(stream.name, seq)
        assert stored.headers is not None
        ids.append(stored.headers["Nats-Msg-Id"])
    assert ids == [ev.id for ev in events]


async def test_jetstream_batch_failures_are_per_event(nats_server: NatsServer) -> None:
    events = [contract_event(i) for i in (1, 2)]
    # No stream holds the subject: each publish gets no responders (retryable).
    async with NatsSink(unique("nostream"), servers=nats_server.url, jetstream=True) as sink:
        outcomes = await sink.send_batch(events)
    assert len(outcomes) == 2
    assert all(isinstance(o, cesdk.RetryableDeliveryError) for o in outcomes)


async def test_core_batch_publishes_all_with_one_flush(
    nats_server: NatsServer, client: Client
) -> None:
    prefix = unique("corebatch")
    got: list[Msg] = []

    async def keep(msg: Msg) -> None:
        got.append(msg)

    await subscribe(client, f"{prefix}.>", keep)
    events = [contract_event(i) for i in range(5)]
    async with NatsSink(f"{prefix}.ev", servers=nats_server.url) as sink:
        outcomes = await sink.send_batch(events)
    assert outcomes == [None] * 5
    await until(lambda: len(got) == 5, what="five messages")
    assert [m.headers["ce-id"] for m in got if m.headers] == [ev.id for ev in events]


async def test_a_subject_that_cannot_render_fails_only_that_event(
    nats_server: NatsServer, client: Client
) -> None:
    prefix = unique("render")
    got: list[Msg] = []

    async def keep(msg: Msg) -> None:
        got.append(msg)

    await subscribe(client, f"{prefix}.>", keep)
    events = [
        cesdk.CloudEvent(type="t", source="/s", id="with", subject="web"),
        cesdk.CloudEvent(type="t", source="/s", id="without"),
    ]
    async with NatsSink(f"{prefix}.{{subject}}", servers=nats_server.url) as sink:
        outcomes = await sink.send_batch(events)
    assert outcomes[0] is None
    assert isinstance(outcomes[1], cesdk.PermanentDeliveryError)
    assert "subject" in str(outcomes[1])
    await until(lambda: len(got) == 1, what="the one message")
    assert got[0].subject == f"{prefix}.web"
