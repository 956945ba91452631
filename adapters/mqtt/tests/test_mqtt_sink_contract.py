"""MqttSink passes the public sink contract: MQTT 5 binary and structured, MQTT 3.1.1.

mqtt-protocol-binding.md 3.1 (binary) and 3.2 (structured); MQTT 3.1.1 is structured
only (section 1.3).
"""

from __future__ import annotations

from typing import ClassVar

import pytest

import cesdk
from cesdk.bindings.mqtt import MQTT_3_1_1, MQTT_5, from_mqtt
from cesdk.testing import SinkContract, free_port
from cesdk_mqtt import MqttSink
from cesdk_mqtt.testing import MosquittoServer
from mqtt_helpers import PlainClient, unique


class TestMqttV5BinarySinkContract(SinkContract):
    mode: ClassVar[str] = "binary"
    version: ClassVar[int] = 5

    @pytest.fixture(autouse=True)
    async def _peer(self, mosquitto: MosquittoServer, client: PlainClient) -> None:
        self.broker, self.client, self.prefix = mosquitto, client, unique("sink")
        await client.watch(f"{self.prefix}/#")

    async def open_sink(self) -> MqttSink:
        return MqttSink(
            f"{self.prefix}/{{type}}",
            port=self.broker.port,
            mode=self.mode,  # type: ignore[arg-type]
            protocol_version=self.version,
        )

    async def received(self, count: int, timeout: float) -> list[cesdk.CloudEvent]:
        messages = await self.client.collected(count, timeout)
        version = MQTT_5 if self.version == 5 else MQTT_3_1_1
        return [from_mqtt(message, version=version) for message in messages]

    async def open_unreachable_sink(self) -> MqttSink:
        return MqttSink("nowhere", port=free_port(), connect_timeout=1)


class TestMqttV5StructuredSinkContract(TestMqttV5BinarySinkContract):
    mode: ClassVar[str] = "structured"


class TestMqttV3StructuredSinkContract(TestMqttV5BinarySinkContract):
    mode: ClassVar[str] = "structured"
    version: ClassVar[int] = 3
