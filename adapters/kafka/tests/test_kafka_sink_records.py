"""What KafkaSink puts on the wire: modes, record keys, error classes, URLs.

The record layout is the Kafka protocol binding's (kafka-protocol-binding.md): section
3.1 (key mapping, opt-in), 3.2 (binary mode: ce_ headers), 3.3 (structured mode).
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from cesdk import CloudEvent, PermanentDeliveryError, RetryableDeliveryError
from cesdk.bindings.kafka import from_kafka
from cesdk.testing import contract_event
from cesdk_kafka import KafkaSink
from cesdk_kafka._errors import classify
from cesdk_kafka.testing import KafkaBroker
from kafka_helpers import TopicReader


async def test_binary_mode_puts_attributes_in_headers(kafka_broker: KafkaBroker) -> None:
    """Section 3.2: attributes as ce_ headers, data as the value, no key by default."""
    topic = await kafka_broker.create_topic(partitions=1)
    event = contract_event(1)
    async with TopicReader(kafka_broker, topic) as reader:
        async with KafkaSink(topic, bootstrap_servers=kafka_broker.bootstrap) as sink:
            await sink.send(event)
        (record,) = await reader.wait_for(1)
    headers = dict(record.headers)
    assert headers["ce_id"] == b"contract-1"
    assert headers["ce_partitionkey"] == b"key-1"
    assert headers["content-type"] == b"application/json"
    assert record.key is None  # 3.1: key mapping is opt-in


async def test_structured_mode_puts_the_event_in_the_value(kafka_broker: KafkaBroker) -> None:
    """Section 3.3: the JSON format in the value, content-type application/cloudevents+json."""
    topic = await kafka_broker.create_topic(partitions=1)
    event = contract_event(2)
    async with TopicReader(kafka_broker, topic) as reader:
        sink = KafkaSink(topic, bootstrap_servers=kafka_broker.bootstrap, mode="structured")
        async with sink:
            await sink.send(event)
        (record,) = await reader.wait_for(1)
    assert dict(record.headers)["content-type"].startswith(b"application/cloudevents+json")
    assert b'"id":"contract-2"' in record.value


async def test_partitionkey_mapping_keys_records(kafka_broker: KafkaBroker) -> None:
    """Section 3.1 with the Partitioning extension: one key's events share a partition."""
    topic = await kafka_broker.create_topic(partitions=3)
    events = [contract_event(n) for n in range(12)]
    async with TopicReader(kafka_broker, topic) as reader:
        sink = KafkaSink(topic, bootstrap_servers=kafka_broker.bootstrap, key="partitionkey")
        async with sink:
            for event in events:
                await sink.send(event)
        records = await reader.wait_for(len(events))
    partitions: dict[bytes, set[int]] = {}
    for record in records:
        assert record.key == dict(record.headers)["ce_partitionkey"]
        partitions.setdefault(record.key, set()).add(record.partition)
    assert sorted(partitions) == [b"key-0", b"key-1", b"key-2"]
    assert all(len(found) == 1 for found in partitions.values())


async def test_custom_key_mapper(kafka_broker: KafkaBroker) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    async with TopicReader(kafka_broker, topic) as reader:
        sink = KafkaSink(
            topic,
            bootstrap_servers=kafka_broker.bootstrap,
            key=lambda event: event.subject,
        )
        async with sink:
            await sink.send(contract_event(5))
        (record,) = await reader.wait_for(1)
    assert record.key == b"item/5"


async def test_record_too_large_is_permanent(kafka_broker: KafkaBroker) -> None:
    topic = await kafka_broker.create_topic(partitions=1)
    big = CloudEvent(type="t", source="/s", data=b"x" * 50_000)
    sink = KafkaSink(topic, bootstrap_servers=kafka_broker.bootstrap, max_request_size=10_000)
    async with sink:
        with pytest.raises(PermanentDeliveryError, match=r"too large|TooLarge"):
            await sink.send(big)


def test_errors_are_classified() -> None:
    from aiokafka import errors

    assert isinstance(classify(errors.KafkaTimeoutError(), "t"), RetryableDeliveryError)
    assert isinstance(classify(errors.NotLeaderForPartitionError(), "t"), RetryableDeliveryError)
    assert isinstance(classify(errors.KafkaConnectionError(), "t"), RetryableDeliveryError)
    assert isinstance(classify(errors.MessageSizeTooLargeError(), "t"), PermanentDeliveryError)
    assert isinstance(classify(errors.InvalidTopicError(), "t"), PermanentDeliveryError)
    assert isinstance(classify(errors.TopicAuthorizationFailedError(), "t"), PermanentDeliveryError)


def test_from_url() -> None:
    sink = KafkaSink.from_url("kafka://broker-1:9092,broker-2:9092/alerts", mode="structured")
    assert sink.topic == "alerts"
    assert sink.mode == "structured"
    assert sink.connection.bootstrap_servers == "broker-1:9092,broker-2:9092"
    for bad in ("kafka://host:9092", "kafka:///topic", "http://host/topic"):
        with pytest.raises(ValueError, match="kafka"):
            KafkaSink.from_url(bad)


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="mode"):
        KafkaSink("t", mode="avro")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="key"):
        KafkaSink("t", key="subject")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sasl_username"):
        KafkaSink("t", sasl_mechanism="PLAIN")


def test_sasl_and_tls_options() -> None:
    sink = KafkaSink("t", sasl_mechanism="SCRAM-SHA-512", sasl_username="u", sasl_password="p")
    options = sink.connection.client_options()
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "u"
    tls = KafkaSink(
        "t",
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username="u",
        sasl_password="p",
    )
    assert tls.connection.client_options()["ssl_context"] is not None


async def test_an_event_without_data_has_a_null_value(kafka_broker: KafkaBroker) -> None:
    """Section 3.2.2: no data, no value; the event comes back without data."""
    topic = await kafka_broker.create_topic(partitions=2)
    event = CloudEvent(type="t", source="/s", id="no-data")
    async with TopicReader(kafka_broker, topic) as reader:
        async with KafkaSink(topic, bootstrap_servers=kafka_broker.bootstrap) as sink:
            await sink.send(event)
        (record,) = await reader.wait_for(1)
    assert record.value is None
    assert from_kafka(record) == event


async def test_cesdk_send_to_a_kafka_url(kafka_broker: KafkaBroker) -> None:
    """``cesdk send kafka://host:port/topic`` goes through ``KafkaSink.from_url``."""
    topic = await kafka_broker.create_topic(partitions=1)
    command = [
        sys.executable, "-m", "cesdk", "send", f"kafka://{kafka_broker.bootstrap}/{topic}",
        "--type", "com.example.ping", "--source", "/cli", "--id", "ping",
        "--count", "3", "--mode", "structured",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(*command, stderr=asyncio.subprocess.PIPE)
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    async with TopicReader(kafka_broker, topic) as reader:
        events = await reader.events(3)
    assert [e.id for e in events] == ["ping-0", "ping-1", "ping-2"]
