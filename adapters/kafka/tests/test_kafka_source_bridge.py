"""Kafka -> pipeline -> Kafka keeps every attribute, extension and data byte.

Events are drawn by the repository's spec-based strategies (tests/strategies.py):
kafka-protocol-binding.md 3.2 (binary mode, where a null value differs from an empty
one) and 3.3 (structured mode, the JSON format).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cesdk
from cesdk.bindings.kafka import to_binary, to_structured
from cesdk.testing import CapturingSink
from cesdk_kafka import KafkaSink
from cesdk_kafka.testing import KafkaBroker
from kafka_helpers import TopicReader, produce, source_for


def _strategies() -> ModuleType:
    path = Path(__file__).parents[3] / "tests" / "strategies.py"
    spec = importlib.util.spec_from_file_location("cesdk_test_strategies", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


strategies = _strategies()


async def bridge(
    broker: KafkaBroker, events: list[cesdk.CloudEvent], mode: str
) -> list[cesdk.CloudEvent]:
    encode = to_binary if mode == "binary" else to_structured
    inbound = await broker.create_topic(partitions=1)
    outbound = await broker.create_topic(partitions=1)
    await produce(broker, inbound, [encode(e) for e in events])
    dead = CapturingSink()
    pipeline = cesdk.Pipeline(
        source_for(broker, inbound),
        routes=[cesdk.Route(KafkaSink(outbound, bootstrap_servers=broker.bootstrap, mode=mode))],  # type: ignore[arg-type]
        dead_letter=dead,
        ordering="delivery",
    )
    async with TopicReader(broker, outbound) as reader, pipeline:
        got = await reader.events(len(events), timeout=30)
    assert dead.events == []
    return got


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_kafka_to_kafka_preserves_events(kafka_broker: KafkaBroker, mode: str) -> None:
    data_mode = "kafka" if mode == "binary" else "format"

    @settings(
        max_examples=3,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(strategies.events(data_mode), min_size=1, max_size=15))
    def check(events: list[cesdk.CloudEvent]) -> None:
        got = asyncio.run(bridge(kafka_broker, events, mode))
        assert got == events

    check()
