"""MqttSource passes the public source contract, on MQTT 5 and on MQTT 3.1.1."""

from __future__ import annotations

from typing import ClassVar

import pytest

import cesdk
from cesdk.bindings.mqtt import MQTT_3_1_1, to_binary, to_structured
from cesdk.testing import SourceContract
from cesdk_mqtt import MqttSource
from cesdk_mqtt.testing import MosquittoServer
from mqtt_helpers import PlainClient, unique


class TestMqttV5SourceContract(SourceContract):
    version: ClassVar[int] = 5

    @pytest.fixture(autouse=True)
    def _peer(self, mosquitto: MosquittoServer, client: PlainClient) -> None:
        self.broker, self.client = mosquitto, client
        self.prefix = unique("src")

    async def open_source(self) -> MqttSource:
        return MqttSource(f"{self.prefix}/+", port=self.broker.port, protocol_version=self.version)

    async def publish(self, event: cesdk.CloudEvent) -> None:
        # Binary mode (mqtt-protocol-binding.md 3.1): User Properties + Content Type.
        await self.client.publish(f"{self.prefix}/ev", to_binary(event))

    async def publish_raw(self, body: bytes) -> None:
        await self.client.publish(f"{self.prefix}/raw", body)


class TestMqttV3SourceContract(TestMqttV5SourceContract):
    version: ClassVar[int] = 3

    @pytest.fixture(autouse=True)
    def _peer(self, mosquitto: MosquittoServer, client_v3: PlainClient) -> None:
        self.broker, self.client = mosquitto, client_v3
        self.prefix = unique("src3")

    async def publish(self, event: cesdk.CloudEvent) -> None:
        # MQTT 3.1.1 has structured mode only (mqtt-protocol-binding.md 1.3, 3.2).
        await self.client.publish(f"{self.prefix}/ev", to_structured(event, version=MQTT_3_1_1))
