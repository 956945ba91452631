"""JetStream mode is at least once: ack settles, nak redelivers, term ends poison messages."""

from __future__ import annotations

import asyncio

import pytest

import cesdk
from cesdk.bindings.nats import to_binary
from cesdk.testing import CapturingSink, contract_event, until
from cesdk_nats import NatsSource
from cesdk_nats.testing import NatsServer
from nats_helpers import Stream, unique


def _source(server: NatsServer, stream: Stream, durable: str, **options: object) -> NatsSource:
    return NatsSource(
        f"{stream.prefix}.>",
        servers=server.url,
        jetstream=True,
        stream=stream.name,
        durable=durable,
        fetch_timeout=0.3,
        **options,  # type: ignore[arg-type]
    )


async def _publish(stream: Stream, *events: cesdk.CloudEvent) -> None:
    js = stream.nc.jetstream()
    for event in events:
        message = to_binary(event)
        await js.publish(f"{stream.prefix}.ev", message.data, headers=message.headers)


async def _settled(stream: Stream, durable: str) -> bool:
    info = await stream.nc.jetstream().consumer_info(stream.name, durable)
    return info.num_ack_pending == 0 and info.num_pending == 0


async def test_ack_settles_and_survives_reopening(nats_server: NatsServer, stream: Stream) -> None:
    durable = unique("acked")
    await _publish(stream, contract_event(1), contract_event(2))
    async with _source(nats_server, stream, durable) as source:
        iterator = aiter(source)
        first = await anext(iterator)
        await first.ack()
        second = await anext(iterator)  # taken, never settled: must come back
    async with _source(nats_server, stream, durable, ack_wait=0.5) as source:
        again = await anext(aiter(source))
        await again.ack()
    assert first.event is not None
    assert again.event == second.event
    assert again.raw.metadata["delivered"] == 2
    await until(lambda: _settled(stream, durable), what="everything acked")


async def test_nack_with_delay_redelivers(nats_server: NatsServer, stream: Stream) -> None:
    durable = unique("nak")
    await _publish(stream, contract_event(3))
    async with _source(nats_server, stream, durable) as source:
        iterator = aiter(source)
        first = await anext(iterator)
        await first.nack(0.2)
        again = await anext(iterator)
        await again.ack()
    assert again.event == first.event
    assert (first.raw.metadata["delivered"], again.raw.metadata["delivered"]) == (1, 2)
    assert again.raw.metadata["sequence"] == first.raw.metadata["sequence"]


async def test_max_deliver_stops_redelivery(nats_server: NatsServer, stream: Stream) -> None:
    durable = unique("maxdeliver")
    await _publish(stream, contract_event(4), contract_event(5))
    seen: list[str] = []
    async with _source(nats_server, stream, durable, max_deliver=2, batch=1) as source:
        iterator = aiter(source)
        while len(seen) < 3:  # contract-4 twice (nacked), contract-5 once (acked)
            delivery = await anext(iterator)
            assert delivery.event is not None
            seen.append(delivery.event.id)
            await (delivery.ack() if delivery.event.id == "contract-5" else delivery.nack())
        with pytest.raises(TimeoutError):  # a third delivery of contract-4 never comes
            async with asyncio.timeout(1.0):
                await anext(iterator)
    assert sorted(seen) == ["contract-4", "contract-4", "contract-5"]
    info = await stream.nc.jetstream().consumer_info(stream.name, durable)
    assert info.config.max_deliver == 2


async def test_undecodable_is_dead_lettered_then_termed(
    nats_server: NatsServer, stream: Stream
) -> None:
    durable = unique("poison")
    js = stream.nc.jetstream()
    await js.publish(f"{stream.prefix}.bad", b"\xffnot an event", headers={"x-a": "1"})
    await _publish(stream, contract_event(6))
    sink, dead = CapturingSink(), CapturingSink()
    pipeline = cesdk.Pipeline(
        _source(nats_server, stream, durable, ack_wait=1.0),
        routes=[cesdk.Route(sink)],
        dead_letter=dead,
    )
    async with pipeline:
        await until(lambda: len(sink.events) == 1 and len(dead.events) == 1, what="both")
        await until(lambda: _settled(stream, durable), what="the poison message termed")
    letter = dead.events[0]
    assert letter.type == "dev.cesdk.deadletter.undecodable"
    assert letter.data == b"\xffnot an event"
    assert f'"stream": "{stream.name}"' in letter["deadlettermetadata"]
    assert '"sequence": 1' in letter["deadlettermetadata"]
    info = await js.consumer_info(stream.name, durable)
    assert info.num_redelivered == 0  # termed, not left to time out


async def test_in_progress_keeps_a_long_delivery(nats_server: NatsServer, stream: Stream) -> None:
    durable = unique("slow")
    await _publish(stream, contract_event(7))
    async with _source(nats_server, stream, durable, ack_wait=0.6, progress_interval=0.1) as src:
        delivery = await anext(aiter(src))
        # Work that outlasts ack_wait twice over: the heartbeats hold the message.
        await asyncio.sleep(1.5)
        info = await stream.nc.jetstream().consumer_info(stream.name, durable)
        assert info.num_redelivered == 0
        assert info.num_ack_pending == 1
        await delivery.ack()
    await until(lambda: _settled(stream, durable), what="acked")


async def test_ordered_hands_out_one_at_a_time(nats_server: NatsServer, stream: Stream) -> None:
    durable = unique("ordered")
    await _publish(stream, *(contract_event(n) for n in range(3)))
    order = []
    async with _source(nats_server, stream, durable, ordered=True) as source:
        iterator = aiter(source)
        first = await anext(iterator)
        await first.nack()  # a retry comes before anything later in the stream
        async for delivery in iterator:
            assert delivery.event is not None
            order.append(delivery.event.id)
            await delivery.ack()
            if len(order) == 3:
                break
    assert order == ["contract-0", "contract-1", "contract-2"]
    info = await stream.nc.jetstream().consumer_info(stream.name, durable)
    assert info.config.max_ack_pending == 1


async def test_bind_to_an_existing_consumer(nats_server: NatsServer, stream: Stream) -> None:
    durable = unique("bound")
    async with _source(nats_server, stream, durable):
        pass  # creates the durable consumer
    await _publish(stream, contract_event(8))
    async with _source(nats_server, stream, durable, create=False) as source:
        delivery = await anext(aiter(source))
        await delivery.ack()
    assert delivery.event is not None
    assert delivery.event.id == "contract-8"
    with pytest.raises(Exception, match="not found"):
        async with _source(nats_server, stream, unique("missing"), create=False):
            pass


def test_bind_needs_a_durable_name() -> None:
    with pytest.raises(ValueError, match="durable"):
        NatsSource("a.b", jetstream=True, create=False)


async def test_several_filter_subjects(nats_server: NatsServer, stream: Stream) -> None:
    js = stream.nc.jetstream()
    for n, leaf in enumerate(("a", "c", "b")):
        message = to_binary(contract_event(n))
        await js.publish(f"{stream.prefix}.{leaf}", message.data, headers=message.headers)
    subjects = [f"{stream.prefix}.a", f"{stream.prefix}.b"]
    source = NatsSource(
        subjects,
        servers=nats_server.url,
        jetstream=True,
        durable=unique("multi"),
        fetch_timeout=0.3,
    )
    async with source:
        iterator = aiter(source)
        got = []
        for _ in range(2):
            delivery = await anext(iterator)
            got.append(delivery.raw.metadata["subject"])
            await delivery.ack()
    assert got == subjects
