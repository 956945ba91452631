"""MqttSink's errors: what a retry can fix is retryable, what it cannot is permanent.

MQTT 5.0 3.4.2.1 (PUBACK reason codes), 3.2.2.3.6 (Maximum Packet Size in the CONNACK),
4.7 (topic names hold no wildcards), mqtt-protocol-binding.md 1.3 (3.1.1 has no binary
mode).
"""

from __future__ import annotations

import asyncio
import logging

import pytest

import cesdk
from cesdk.bindings.mqtt import from_mqtt
from cesdk.testing import contract_event
from cesdk_mqtt import MqttSink, MqttSource
from cesdk_mqtt.testing import MosquittoServer
from mqtt_helpers import PlainClient, own_broker, unique


@pytest.mark.parametrize(
    ("attributes", "problem"),
    [
        ({"subject": "a/+/b"}, "wildcard"),
        ({"subject": "all/#"}, "wildcard"),
        ({"subject": "/leading"}, "empty level"),
        ({"subject": "trailing/"}, "empty level"),
        ({"subject": "nul\x00"}, None),  # not a valid CloudEvents String either
    ],
)
async def test_rendered_topic_refused(
    mosquitto: MosquittoServer, attributes: dict[str, str], problem: str | None
) -> None:
    try:
        event = contract_event(1).replace(**attributes)
    except cesdk.InvalidEventError:
        assert problem is None
        return
    async with MqttSink("events/{subject}", port=mosquitto.port) as sink:
        with pytest.raises(cesdk.PermanentDeliveryError, match=problem):
            await sink.send(event)


async def test_missing_attribute_is_permanent(mosquitto: MosquittoServer) -> None:
    async with MqttSink("events/{tenant}", port=mosquitto.port) as sink:
        with pytest.raises(cesdk.PermanentDeliveryError, match="tenant"):
            await sink.send(contract_event(1))


@pytest.mark.parametrize("topic", ["events/#", "a/+/b", "", "{Type}"])
def test_bad_fixed_topic_is_a_config_error(topic: str) -> None:
    with pytest.raises(cesdk.ConfigError):
        MqttSink(topic)


def test_binary_on_mqtt_3_is_a_config_error() -> None:
    with pytest.raises(cesdk.ConfigError, match="no binary mode"):
        MqttSink("t", protocol_version=3)
    with pytest.raises(cesdk.ConfigError, match="JSON"):
        MqttSink("t", protocol_version=3, mode="structured", format="avro")
    with pytest.raises(cesdk.ConfigError, match="protocol_version"):
        MqttSink("t", protocol_version=4.5)  # type: ignore[arg-type]
    with pytest.raises(cesdk.ConfigError, match="qos"):
        MqttSink("t", qos=2)
    assert MqttSink("t", protocol_version="3.1.1", mode="structured").settings.protocol_version == 4


async def test_not_authorized_puback_is_permanent() -> None:
    """An ACL refusal comes back as PUBACK reason code 0x87 on MQTT 5."""
    with own_broker(acl="topic readwrite allowed/#\ntopic read denied/#") as broker:
        async with MqttSink("{subject}", port=broker.port) as sink:
            await sink.send(contract_event(1).replace(subject="allowed/x"))
            with pytest.raises(cesdk.PermanentDeliveryError, match="0x87 Not authorized"):
                await sink.send(contract_event(2).replace(subject="denied/x"))


async def test_packet_over_the_brokers_maximum_is_permanent() -> None:
    with own_broker(max_packet_size=2000) as broker:
        async with PlainClient(broker) as watcher:
            await watcher.watch("big/#")
            async with MqttSink("big/x", port=broker.port) as sink:
                await sink.send(contract_event(1))
                with pytest.raises(cesdk.PermanentDeliveryError, match="maximum packet size"):
                    await sink.send(contract_event(2).replace(data=b"x" * 3000))
                await sink.send(contract_event(3))  # the connection is still good
            got = await watcher.collected(2)
    assert [from_mqtt(m).id for m in got] == ["contract-1", "contract-3"]


async def test_own_packet_limit_for_mqtt_3(mosquitto: MosquittoServer) -> None:
    """MQTT 3.1.1 brokers cannot tell their limit: max_packet_size says it for them."""
    sink = MqttSink(
        "big3/x", port=mosquitto.port, protocol_version=3, mode="structured", max_packet_size=500
    )
    async with sink:
        with pytest.raises(cesdk.PermanentDeliveryError, match="500 bytes"):
            await sink.send(contract_event(1).replace(data="y" * 600))


async def test_broker_down_is_retryable_and_the_sink_recovers(
    restartable_mosquitto: MosquittoServer,
) -> None:
    broker = restartable_mosquitto
    async with MqttSink("down/x", port=broker.port, connect_timeout=1, timeout=2) as sink:
        await sink.send(contract_event(1))
        await asyncio.to_thread(broker.stop)
        with pytest.raises(cesdk.RetryableDeliveryError):
            await sink.send(contract_event(2))
        await asyncio.to_thread(broker.start)
        await sink.send(contract_event(3))  # a new connection


async def test_credentials_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with own_broker(users={"alice": "s3cret-pw"}) as broker:
        url = f"mqtt://alice:wrong-pw@127.0.0.1:{broker.port}/creds/x"
        async with MqttSink.from_url(url) as sink:
            # Mosquitto answers a wrong password with 0x87 Not authorized (0x86 elsewhere).
            with pytest.raises(cesdk.PermanentDeliveryError, match="refused the conn") as refused:
                await sink.send(contract_event(1))
        assert "wrong-pw" not in str(refused.value)
        assert "wrong-pw" not in repr(sink)
        assert "wrong-pw" not in repr(sink.settings)
        good = MqttSink("creds/x", port=broker.port, username="alice", password="s3cret-pw")
        async with good:
            await good.send(contract_event(2))
        source = MqttSource(
            "creds/#", port=broker.port, username="alice", password="s3cret-pw", client_id="c"
        )
        async with source:
            assert "s3cret-pw" not in repr(source)
        with pytest.raises(cesdk.CESDKError, match="refused the connection"):
            async with MqttSource("creds/#", port=broker.port, username="alice", password="no"):
                pass
    assert "s3cret-pw" not in caplog.text
    assert "wrong-pw" not in caplog.text


async def test_retain_and_qos0(mosquitto: MosquittoServer) -> None:
    prefix = unique("retain")
    async with MqttSink(f"{prefix}/last", port=mosquitto.port, retain=True, qos=0) as sink:
        await sink.send(contract_event(1))
    async with MqttSink(f"{prefix}/last", port=mosquitto.port, retain=True) as sink:
        await sink.send(contract_event(2))
    # A subscriber that comes later gets the retained event, flagged as such.
    source = MqttSource(f"{prefix}/#", port=mosquitto.port, qos=0)
    async with source:
        async with asyncio.timeout(10):
            delivery = await anext(aiter(source))
        await delivery.ack()
    assert delivery.event is not None
    assert delivery.event.id == "contract-2"
    assert delivery.raw.metadata["retain"] is True
    assert delivery.raw.metadata["qos"] == 0
