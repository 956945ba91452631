"""Acknowledgement after settlement, and persistent sessions that outlive the source.

MQTT 5.0 4.3.2 / 3.1.1 4.3.2: the receiver of a QoS 1 PUBLISH owns the message once it
sends the PUBACK, so the source sends it only when the pipeline settled the delivery.
MQTT 5.0 4.4 / 3.1.1 4.4: on a reconnect with a kept session (Clean Start 0), the
server resends unacknowledged PUBLISH packets; MQTT 5.0 3.1.2.11.2: Session Expiry.
"""

from __future__ import annotations

import asyncio

import pytest

import cesdk
from cesdk.bindings.mqtt import to_structured
from cesdk.testing import contract_event, until
from cesdk_mqtt import MqttSource
from cesdk_mqtt.testing import MosquittoServer
from mqtt_helpers import PlainClient, unique


async def _take(iterator: object, count: int) -> list[cesdk.Delivery]:
    got = []
    async with asyncio.timeout(10):
        for _ in range(count):
            got.append(await anext(iterator))  # type: ignore[call-overload]
    return got


@pytest.mark.parametrize("version", [5, 3])
async def test_unsettled_and_nacked_come_back_after_restart(
    mosquitto: MosquittoServer, version: int
) -> None:
    prefix, client_id = unique("sess"), unique("notifier")
    events = [contract_event(n) for n in range(5)]
    level = 4 if version == 3 else 5  # the binding's protocol level for 3.1.1 is 4

    def source() -> MqttSource:
        return MqttSource(
            f"{prefix}/#",
            port=mosquitto.port,
            protocol_version=version,
            client_id=client_id,
            persistent=True,
        )

    async with PlainClient(mosquitto, protocol_version=version) as publisher:
        async with source() as first:
            iterator = aiter(first)
            for event in events[:3]:
                await publisher.publish(f"{prefix}/a", to_structured(event, version=level))
            acked, nacked, unsettled = await _take(iterator, 3)
            await acked.ack()
            await nacked.nack(30.0)  # held here, not acknowledged: MQTT has no negative ack
            assert unsettled.event == events[2]
        # While the source is away, the broker queues for the kept session.
        for event in events[3:]:
            await publisher.publish(f"{prefix}/b", to_structured(event, version=level))
        async with source() as second:
            assert second._conn is not None
            assert second._conn.session_present
            again = await _take(aiter(second), 4)
            for delivery in again:
                await delivery.ack()
        async with source() as third:
            # All settled now: nothing more comes, a new event does.
            await publisher.publish(f"{prefix}/c", to_structured(contract_event(9), version=level))
            (last,) = await _take(aiter(third), 1)
            await last.ack()
    ids = [d.event.id for d in again if d.event]
    assert sorted(ids) == sorted(e.id for e in events[1:])  # not the acked first one
    assert ids[:2] == [events[1].id, events[2].id]  # resent first, then the queued ones
    assert all(d.raw.metadata["dup"] for d in again[:2])
    assert last.event is not None
    assert last.event.id == "contract-9"


async def test_without_a_persistent_session_nothing_is_kept(mosquitto: MosquittoServer) -> None:
    """The default (Clean Start, expiry 0) is a new session each time: at most once across stops."""
    prefix, client_id = unique("clean"), unique("c")
    async with PlainClient(mosquitto) as publisher:
        async with MqttSource(f"{prefix}/#", port=mosquitto.port, client_id=client_id) as first:
            await publisher.publish(f"{prefix}/a", to_structured(contract_event(1)))
            (unsettled,) = await _take(aiter(first), 1)
        await publisher.publish(f"{prefix}/a", to_structured(contract_event(2)))  # nobody listens
        async with MqttSource(f"{prefix}/#", port=mosquitto.port, client_id=client_id) as second:
            assert second._conn is not None
            assert not second._conn.session_present
            await publisher.publish(f"{prefix}/a", to_structured(contract_event(3)))
            (fresh,) = await _take(aiter(second), 1)
            await fresh.ack()
    assert unsettled.event is not None
    assert fresh.event is not None
    assert fresh.event.id == "contract-3"


async def test_nack_yields_again_after_the_delay_without_puback(client: PlainClient) -> None:
    prefix = unique("nack")
    source = MqttSource(f"{prefix}/#", port=client.broker.port)
    async with source:
        iterator = aiter(source)
        await client.publish(f"{prefix}/x", to_structured(contract_event(1)))
        (first,) = await _take(iterator, 1)
        await first.nack(0.2)
        (again,) = await _take(iterator, 1)
        assert again.event == first.event
        assert again is not first
        assert again.settled is None
        await again.ack()


def test_persistent_needs_a_client_id() -> None:
    with pytest.raises(cesdk.ConfigError, match="client_id"):
        MqttSource("a/#", persistent=True)


async def test_source_reconnects_and_subscribes_again(
    restartable_mosquitto: MosquittoServer,
) -> None:
    """After the broker went away, the source reconnects (with backoff) and resubscribes."""
    broker = restartable_mosquitto
    source = MqttSource("rc/#", port=broker.port, max_reconnect_delay=0.2)
    async with source:
        iterator = aiter(source)
        await asyncio.to_thread(broker.restart)  # a clean session: the subscription is gone
        await until(lambda: source.connections == 2, timeout=15, what="the reconnect")
        async with PlainClient(broker) as publisher:
            await publisher.publish("rc/x", to_structured(contract_event(7)))
        (delivery,) = await _take(iterator, 1)
        await delivery.ack()
    assert delivery.event is not None
    assert delivery.event.id == "contract-7"
