"""MqttSink -> Mosquitto -> MqttSource keeps every attribute, extension and data byte.

mqtt-protocol-binding.md 3.1 (MQTT 5 binary: Content Type + User Properties), 3.2
(structured: the event format in the payload), 1.3 (MQTT 3.1.1: structured only).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

import cesdk
from cesdk.testing import until
from cesdk_mqtt import MqttSink, MqttSource
from cesdk_mqtt.testing import MosquittoServer
from mqtt_helpers import unique


def _events() -> list[cesdk.CloudEvent]:
    when = datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC)
    return [
        cesdk.CloudEvent(
            type="io.k8s.event.warning",
            source="/k8s/prod",
            id="json-1",
            subject="pod/web-1",
            time=when,
            data={"reason": "BackOff", "count": 3, "nested": {"ok": True}},
            extensions={
                "partitionkey": "web-1",
                "traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01",
            },
        ),
        cesdk.CloudEvent(
            type="dev.cesdk.bytes",
            source="urn:cesdk:bytes",
            id="bin-2",
            data=bytes(range(256)),
            datacontenttype="application/octet-stream",
            extensions={"flag": True, "count": -2147483648, "blob": b"\x00\xff\x10"},
        ),
        cesdk.CloudEvent(
            type="dev.cesdk.text",
            source="/text",
            id="text-3",
            data="héllo ☁ über alles\nline two",
            datacontenttype="text/plain; charset=utf-8",
            dataschema="https://example.com/schema/text",
        ),
        cesdk.CloudEvent(type="dev.cesdk.nodata", source="/none", id="none-4", time=None),
        cesdk.CloudEvent(
            type="dev.cesdk.xml",
            source="/xml",
            id="xml-5",
            data="<a href='x'>&amp;</a>",
            datacontenttype="application/xml",
            extensions={"sequence": "00000005"},
        ),
        cesdk.CloudEvent(type="dev.cesdk.null", source="/null", id="null-6", data=None),
    ]


@pytest.mark.parametrize(("mode", "version"), [("binary", 5), ("structured", 5), ("structured", 3)])
async def test_round_trip_keeps_events(mosquitto: MosquittoServer, mode: str, version: int) -> None:
    prefix = unique("rt")
    events = _events()
    got: list[cesdk.Delivery] = []
    source = MqttSource(f"{prefix}/#", port=mosquitto.port, protocol_version=version)
    async with source:

        async def read() -> None:
            async for delivery in source:
                got.append(delivery)
                await delivery.ack()

        reader = asyncio.create_task(read())
        async with MqttSink(
            f"{prefix}/{{type}}",
            port=mosquitto.port,
            mode=mode,  # type: ignore[arg-type]
            protocol_version=version,
        ) as sink:
            for event in events:
                await sink.send(event)
        await until(lambda: len(got) >= len(events), timeout=10, what="all events")
        reader.cancel()
    assert [d.error for d in got] == [None] * len(events)
    assert [d.event for d in got] == events
    assert [d.key for d in got] == [f"{prefix}/{event.type}" for event in events]
    if version == 5 and mode == "binary":
        # 3.1.3.1: attributes travel as User Properties named exactly as the attribute.
        headers = dict(got[1].raw.headers)
        assert headers["id"] == "bin-2"
        assert headers["content-type"] == "application/octet-stream"
        assert got[1].raw.body == bytes(range(256))
    else:
        assert got[0].raw.body.startswith(b"{")
        assert dict(got[0].raw.headers).get("content-type") == (
            "application/cloudevents+json; charset=utf-8" if version == 5 else None
        )


async def test_structured_in_another_format(mosquitto: MosquittoServer) -> None:
    """3.2: structured mode in a non-JSON format sets Content Type to that format's type."""
    prefix = unique("avro")
    event = _events()[1]
    source = MqttSource(f"{prefix}/#", port=mosquitto.port)
    async with source:
        iterator = aiter(source)
        async with MqttSink(
            f"{prefix}/x", port=mosquitto.port, mode="structured", format="avro"
        ) as sink:
            await sink.send(event)
        async with asyncio.timeout(10):
            delivery = await anext(iterator)
        await delivery.ack()
    assert delivery.event == event
    assert dict(delivery.raw.headers)["content-type"] == "application/cloudevents+avro"
