"""AMQP 1.0 mode (protocol="1.0", RabbitMQ's rabbitmq_amqp1_0 plugin): AmqpSink ->
RabbitMQ -> AmqpSource round trips, native AMQP 1.0 types, settlement, dead letters,
and the sink's error classes (amqp-protocol-binding.md 3.1, 3.1.3.2, 3.2)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Literal

import proton
import pytest
from aio_pika.abc import AbstractChannel
from proton.utils import BlockingConnection

import cesdk
from amqp_helpers import publish_raw, sample_events, unique
from cesdk.testing import CapturingSink, free_port, until
from cesdk_amqp import AmqpSink, AmqpSource
from cesdk_amqp.testing import RabbitMQServer


async def _take(source: AmqpSource, count: int, timeout: float = 10) -> list[cesdk.Delivery]:
    got: list[cesdk.Delivery] = []
    async with asyncio.timeout(timeout):
        async for delivery in source:
            got.append(delivery)
            if len(got) == count:
                break
    return got


def _receive_raw(server: RabbitMQServer, queue: str) -> Any:
    """Take one message off ``queue`` with a plain proton client: the wire values."""
    connection = BlockingConnection(
        f"amqp://127.0.0.1:{server.port}",
        user="guest",
        password="guest",
        allowed_mechs="PLAIN",
        allow_insecure_mechs=True,
        virtual_host="vhost:/",
        timeout=10,
    )
    try:
        receiver = connection.create_receiver(f"/amq/queue/{queue}", credit=1)
        message = receiver.receive(timeout=10)
        receiver.accept()
        return message
    finally:
        connection.close()


@pytest.mark.parametrize("mode", ["binary", "structured"])
async def test_amqp10_round_trip_keeps_every_event(
    rabbitmq_server: RabbitMQServer, mode: Literal["binary", "structured"]
) -> None:
    """Binary (3.1) and structured (3.2) mode over AMQP 1.0 carry data of every kind,
    extensions of every type and times with 0 to 9 fraction digits, before 1970 and
    after 2106, unchanged, through an exchange and a binding."""
    events = sample_events()
    exchange, queue = unique("x10"), unique(f"rt10-{mode}")
    async with AmqpSource(
        queue, url=rabbitmq_server.url, exchange=exchange, routing_key="ev.#", protocol="1.0"
    ) as source:
        async with AmqpSink(
            "ev.{type}", url=rabbitmq_server.url, exchange=exchange, mode=mode, protocol="1.0"
        ) as sink:
            for event in events:
                await sink.send(event)
        deliveries = await _take(source, len(events))
        for delivery in deliveries:
            await delivery.ack()
    assert [d.error for d in deliveries] == [None] * len(events)
    assert [d.event for d in deliveries] == events
    assert all(d.error is None for d in deliveries)
    metadata = deliveries[0].raw.metadata
    assert metadata["protocol"] == "1.0"
    assert metadata["subject"] == "ev.dev.cesdk.amqp.binary"  # the routing key
    assert metadata["message_id"] == "bin-1"
    assert metadata["redelivered"] is False


async def test_amqp10_binary_mode_writes_native_types(rabbitmq_server: RabbitMQServer) -> None:
    """Section 3.1.3.2: Integer as long, Binary as binary, Boolean as boolean, a Timestamp
    that milliseconds hold exactly as an AMQP timestamp, a finer one as its string; the
    data is one data section and datacontenttype the content-type property (3.1.1)."""
    queue = unique("types10")
    async with AmqpSource(queue, url=rabbitmq_server.url, protocol="1.0"):
        pass  # declares the queue
    exact = cesdk.CloudEvent(
        type="t",
        source="/s",
        id="e-1",
        time="2024-05-06T07:08:09.123Z",
        data=b"\x00\x01",
        datacontenttype="application/octet-stream",
        extensions={"count": 7, "flag": True, "blob": b"\xff\x00"},
    )
    fine = exact.replace(id="e-2", time="2024-05-06T07:08:09.1234Z")
    async with AmqpSink(queue, url=rabbitmq_server.url, protocol="1.0") as sink:
        await sink.send(exact)
        await sink.send(fine)
    first = await asyncio.to_thread(_receive_raw, rabbitmq_server, queue)
    second = await asyncio.to_thread(_receive_raw, rabbitmq_server, queue)
    props = first.properties
    assert isinstance(props["cloudEvents_time"], proton.timestamp)
    moment = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    assert int(props["cloudEvents_time"]) == int(moment.timestamp() * 1000)
    assert type(props["cloudEvents_count"]) is int
    assert props["cloudEvents_count"] == 7
    assert props["cloudEvents_flag"] is True
    assert bytes(props["cloudEvents_blob"]) == b"\xff\x00"
    assert props["cloudEvents_id"] == "e-1"
    assert "cloudEvents_datacontenttype" not in props
    assert first.content_type == "application/octet-stream"
    assert bytes(first.body) == b"\x00\x01"
    assert first.durable is True
    assert second.properties["cloudEvents_time"] == "2024-05-06T07:08:09.1234Z"


async def test_amqp10_unsettled_message_comes_back_after_stop(
    rabbitmq_server: RabbitMQServer,
) -> None:
    """A delivery still unsettled when the source stops is redelivered: nothing lost."""
    queue = unique("unacked10")
    event = sample_events()[2]
    async with AmqpSource(queue, url=rabbitmq_server.url, protocol="1.0") as source:
        async with AmqpSink(queue, url=rabbitmq_server.url, protocol="1.0") as sink:
            await sink.send(event)
        (held,) = await _take(source, 1)
        assert held.event == event  # taken, never settled
    async with AmqpSource(queue, url=rabbitmq_server.url, protocol="1.0") as again:
        (delivery,) = await _take(again, 1)
        await delivery.ack()
    assert delivery.event == event
    assert delivery.raw.metadata["redelivered"] is True


async def test_amqp10_nack_with_delay_holds_then_releases(rabbitmq_server: RabbitMQServer) -> None:
    """nack(delay) keeps the message unsettled for the delay, then releases it, and the
    broker delivers it again."""
    queue = unique("delay10")
    event = sample_events()[3]
    async with AmqpSource(queue, url=rabbitmq_server.url, protocol="1.0") as source:
        async with AmqpSink(queue, url=rabbitmq_server.url, protocol="1.0") as sink:
            await sink.send(event)
        iterator = aiter(source)
        first = await anext(iterator)
        loop = asyncio.get_running_loop()
        nacked_at = loop.time()
        await first.nack(0.3)
        async with asyncio.timeout(10):
            again = await anext(iterator)
        waited = loop.time() - nacked_at
        await again.ack()
    assert again.event == event
    assert waited >= 0.3


async def test_amqp10_prefetch_bounds_unsettled_deliveries(rabbitmq_server: RabbitMQServer) -> None:
    """The link's credit is prefetch: with 2 unsettled, the third comes only after a settle."""
    queue = unique("credit10")
    events = [sample_events()[3].replace(id=f"c-{i}") for i in range(3)]
    async with AmqpSource(queue, url=rabbitmq_server.url, protocol="1.0", prefetch=2) as source:
        async with AmqpSink(queue, url=rabbitmq_server.url, protocol="1.0") as sink:
            for event in events:
                await sink.send(event)
        iterator = aiter(source)
        first, second = await anext(iterator), await anext(iterator)
        third = asyncio.ensure_future(anext(iterator))
        # No third delivery while two are unsettled; a settlement lets it through.
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.0):
                await asyncio.shield(third)
        await first.ack()
        async with asyncio.timeout(10):
            delivery = await third
        await second.ack()
        await delivery.ack()
    assert delivery.event is not None
    assert delivery.event.id == "c-2"


async def test_amqp10_bad_payload_is_dead_lettered_with_raw_bytes(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    """An undecodable message reaches the dead letter sink with its bytes, and is
    accepted (so it is not redelivered), while the good one after it is delivered."""
    queue = unique("bad10")
    body = b"\xff\xfe not a CloudEvent"
    good = sample_events()[0]
    delivered, dead = CapturingSink(), CapturingSink()
    source = AmqpSource(queue, url=rabbitmq_server.url, protocol="1.0")
    async with source:  # declares the queue before anything is published
        pass
    pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(delivered)], dead_letter=dead)
    async with pipeline:
        await publish_raw(channel, queue, body)
        async with AmqpSink(queue, url=rabbitmq_server.url, protocol="1.0") as sink:
            await sink.send(good)
        await until(
            lambda: bool(dead.events and delivered.events),
            timeout=10,
            what=f"both settled: {dead.events} {delivered.events}",
        )
    (letter,) = dead.events
    assert letter.type == "dev.cesdk.deadletter.undecodable"
    assert letter.data == body  # the bytes exactly as received
    assert queue in letter["deadlettermetadata"]
    assert delivered.events == [good]
    declared = await channel.declare_queue(queue, durable=True)
    assert declared.declaration_result.message_count == 0  # accepted, not released


async def test_amqp10_sink_to_missing_exchange_is_permanent(
    rabbitmq_server: RabbitMQServer,
) -> None:
    """No such exchange: the broker ends the link with amqp:not-found; a retry cannot help."""
    event = sample_events()[3]
    missing = unique("missing10")
    async with AmqpSink("k", url=rabbitmq_server.url, exchange=missing, protocol="1.0") as sink:
        with pytest.raises(cesdk.PermanentDeliveryError, match="not-found"):
            await sink.send(event)


async def test_amqp10_sink_declares_exchange_with_exchange_type(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    """exchange_type declares the exchange (over 0-9-1) before the 1.0 link opens."""
    exchange = unique("decl10")
    async with AmqpSink(
        "k", url=rabbitmq_server.url, exchange=exchange, exchange_type="fanout", protocol="1.0"
    ) as sink:
        await sink.send(sample_events()[3])
    declared = await channel.declare_exchange(exchange, "fanout", durable=True, passive=True)
    assert declared.name == exchange


async def test_amqp10_sink_to_down_broker_is_retryable() -> None:
    """Nothing listening: RetryableDeliveryError, quickly, naming the broker."""
    url = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    async with AmqpSink("q", url=url, protocol="1.0", timeout=5) as sink:
        with pytest.raises(cesdk.RetryableDeliveryError):
            await sink.send(sample_events()[3])


async def test_amqp10_source_names_a_missing_queue(rabbitmq_server: RabbitMQServer) -> None:
    """declare=False on a queue that does not exist: an error naming it, not a hang."""
    queue = unique("absent10")
    source = AmqpSource(queue, url=rabbitmq_server.url, protocol="1.0", declare=False)
    with pytest.raises(cesdk.CESDKError, match=queue):
        async with source:
            pass


def test_amqp10_protocol_option_is_checked_and_read_from_url() -> None:
    """protocol is "0-9-1" or "1.0"; ?protocol=1.0 in a URL selects AMQP 1.0."""
    with pytest.raises(ValueError, match="protocol"):
        AmqpSource("q", protocol="2.0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="protocol"):
        AmqpSink(protocol="0-10")  # type: ignore[arg-type]
    source = AmqpSource.from_url("amqp://guest:guest@127.0.0.1:5672/?queue=q&protocol=1.0")
    sink = AmqpSink.from_url("amqp://guest:guest@127.0.0.1:5672/?exchange=x&protocol=1.0")
    assert (source.protocol, sink.protocol) == ("1.0", "1.0")
    assert "protocol" not in source.url
    assert "protocol" not in sink.url
