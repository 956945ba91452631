"""Kafka -> NATS and NATS -> Kafka pipelines keep every attribute, extension and data byte.

Events are drawn by the repository's spec-based strategies (tests/strategies.py) and go
through real brokers (Tansu or ``CESDK_KAFKA_BOOTSTRAP``, and nats-server with
JetStream) in every pairing of content modes: kafka-protocol-binding.md 3.2 (binary)
and 3.3 (structured); nats-protocol-binding.md 3.1 (binary) and 3.2 (structured).

A bridge is only as faithful as its less expressive leg, so the data drawn depends on
the pair of modes (see tests/strategies.py): NATS binary mode reads an empty payload as
"no data" while Kafka binary mode tells a null value from an empty one; structured
mode keeps any data in the JSON format.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Literal

import nats
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import StreamConfig

import cesdk
from cesdk.bindings import kafka as kafka_binding
from cesdk.bindings import nats as nats_binding
from cesdk.testing import CapturingSink, until
from cesdk_kafka import KafkaSink
from cesdk_kafka.testing import KafkaBroker
from cesdk_nats import NatsSink, NatsSource
from cesdk_nats.testing import NatsServer
from cesdk_nats.testing.fixtures import nats_server
from kafka_helpers import TopicReader, produce, source_for

__all__ = ["nats_server"]  # the fixture, for the tests below

Mode = Literal["binary", "structured"]
PAIRS = [(k, n) for k in ("binary", "structured") for n in ("binary", "structured")]


def _strategies() -> ModuleType:
    name = "cesdk_test_strategies"  # the name test_kafka_source_bridge.py loads it under
    if name in sys.modules:
        return sys.modules[name]
    path = Path(__file__).parents[3] / "tests" / "strategies.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


strategies = _strategies()


def _data_mode(kafka_mode: Mode, nats_mode: Mode) -> str:
    """The data both legs carry faithfully (tests/strategies.py, "data mode")."""
    if nats_mode == "binary":
        return "binary"  # an empty NATS payload is no data
    if kafka_mode == "binary":
        return "kafka"  # Kafka binary: data typed by its content type, empty kept
    return "format"  # JSON format on both legs: any data


@st.composite
def _events(draw: st.DrawFn, mode: str) -> cesdk.CloudEvent:
    try:
        event: cesdk.CloudEvent = draw(strategies.events(mode))
    except cesdk.InvalidEventError:
        # tests/strategies.py uri_references() can draw "//name:text" for a path (an
        # empty first segment makes it an authority with a bad port); cesdk rightly
        # rejects that source. Skip those until the strategy is fixed.
        reject()
    return event


def _event_lists(kafka_mode: Mode, nats_mode: Mode) -> st.SearchStrategy[list[cesdk.CloudEvent]]:
    # Distinct ids: NatsSink sets Nats-Msg-Id to the id, and JetStream stores a repeated
    # id once; that duplicate window is tested in the NATS adapter's own tests.
    return st.lists(
        _events(_data_mode(kafka_mode, nats_mode)),
        min_size=1,
        max_size=12,
        unique_by=lambda event: event.id,
    )


_SETTINGS = settings(
    max_examples=4,  # up to 48 events per pairing, through real brokers
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


async def _new_stream(js: JetStreamContext) -> tuple[str, str]:
    name = f"BRIDGE{uuid.uuid4().hex[:10].upper()}"
    await js.add_stream(StreamConfig(name=name, subjects=[f"{name.lower()}.>"]))
    return name, name.lower()


async def _read(js: JetStreamContext, stream: str, subject: str, count: int) -> list[Msg]:
    """Read a stream's first ``count`` messages, as a consumer receives them."""
    reader = await js.pull_subscribe(subject, stream=stream)
    got: list[Msg] = []
    async with asyncio.timeout(30):
        while len(got) < count:
            got += await reader.fetch(count - len(got), timeout=5)
    await reader.unsubscribe()
    return got


async def kafka_to_nats(
    broker: KafkaBroker,
    server: NatsServer,
    events: list[cesdk.CloudEvent],
    kafka_mode: Mode,
    nats_mode: Mode,
) -> list[cesdk.CloudEvent]:
    """Produce to Kafka, bridge to a JetStream stream, return what the stream stored."""
    encode = kafka_binding.to_binary if kafka_mode == "binary" else kafka_binding.to_structured
    topic = await broker.create_topic(partitions=1)
    await produce(broker, topic, [encode(event) for event in events])
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    stream, prefix = await _new_stream(js)
    try:
        sink = NatsSink(
            f"{prefix}.out", servers=server.url, jetstream=True, stream=stream, mode=nats_mode
        )
        dead = CapturingSink()

        async def all_stored() -> bool:
            return (await js.stream_info(stream)).state.messages >= len(events)

        async with cesdk.Pipeline(
            source_for(broker, topic), routes=[cesdk.Route(sink)], dead_letter=dead,
            ordering="delivery",
        ):  # fmt: skip
            await until(all_stored, timeout=30, what=f"{len(events)} events in {stream}")
        assert dead.events == []
        assert (await js.stream_info(stream)).state.messages == len(events)
        stored = await _read(js, stream, f"{prefix}.>", len(events))
        assert {msg.subject for msg in stored} == {f"{prefix}.out"}
        return [nats_binding.from_nats(msg) for msg in stored]
    finally:
        await js.delete_stream(stream)
        await nc.close()


async def nats_to_kafka(
    broker: KafkaBroker,
    server: NatsServer,
    events: list[cesdk.CloudEvent],
    kafka_mode: Mode,
    nats_mode: Mode,
) -> list[cesdk.CloudEvent]:
    """Publish to a JetStream stream, bridge to a Kafka topic, return what the topic holds."""
    encode = nats_binding.to_binary if nats_mode == "binary" else nats_binding.to_structured
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    stream, prefix = await _new_stream(js)
    try:
        for event in events:
            message = encode(event)
            await js.publish(f"{prefix}.in", message.data, headers=message.headers or None)
        topic = await broker.create_topic(partitions=1)
        source = NatsSource(
            f"{prefix}.>", servers=server.url, jetstream=True, stream=stream, durable="bridge",
            fetch_timeout=0.2,
        )  # fmt: skip
        sink = KafkaSink(topic, bootstrap_servers=broker.bootstrap, mode=kafka_mode)
        dead = CapturingSink()
        pipeline = cesdk.Pipeline(
            source, routes=[cesdk.Route(sink)], dead_letter=dead, ordering="delivery"
        )
        async with TopicReader(broker, topic) as reader, pipeline:
            got = await reader.events(len(events), timeout=30)
        assert dead.events == []
        return got
    finally:
        await js.delete_stream(stream)
        await nc.close()


@pytest.mark.parametrize(("kafka_mode", "nats_mode"), PAIRS)
def test_bridge_kafka_to_nats_preserves_events(
    kafka_broker: KafkaBroker, nats_server: NatsServer, kafka_mode: Mode, nats_mode: Mode
) -> None:
    @_SETTINGS
    @given(_event_lists(kafka_mode, nats_mode))
    def check(events: list[cesdk.CloudEvent]) -> None:
        got = asyncio.run(kafka_to_nats(kafka_broker, nats_server, events, kafka_mode, nats_mode))
        assert got == events

    check()


@pytest.mark.parametrize(("kafka_mode", "nats_mode"), PAIRS)
def test_bridge_nats_to_kafka_preserves_events(
    kafka_broker: KafkaBroker, nats_server: NatsServer, kafka_mode: Mode, nats_mode: Mode
) -> None:
    @_SETTINGS
    @given(_event_lists(kafka_mode, nats_mode))
    def check(events: list[cesdk.CloudEvent]) -> None:
        got = asyncio.run(nats_to_kafka(kafka_broker, nats_server, events, kafka_mode, nats_mode))
        assert got == events

    check()
