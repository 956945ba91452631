"""How AmqpSink reports failures, and how URLs are read (the password never shown)."""

from __future__ import annotations

import logging

import pytest
from aio_pika.abc import AbstractChannel

import cesdk
from amqp_helpers import sample_events, unique
from cesdk.testing import free_port
from cesdk_amqp import AmqpSink, AmqpSource
from cesdk_amqp.testing import RabbitMQServer


async def test_broker_nack_is_retryable(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    """A full queue with overflow=reject-publish answers basic.nack: retry later."""
    queue = unique("full")
    await channel.declare_queue(
        queue, exclusive=True, arguments={"x-max-length": 1, "x-overflow": "reject-publish"}
    )
    first, second = sample_events()[:2]
    async with AmqpSink(queue, url=rabbitmq_server.url) as sink:
        await sink.send(first)
        with pytest.raises(cesdk.RetryableDeliveryError, match="did not accept event 'text-1'"):
            await sink.send(second)


async def test_unroutable_is_permanent_and_names_exchange_and_key(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    exchange = unique("lonely")
    await channel.declare_exchange(exchange, "topic", auto_delete=True)
    async with AmqpSink("nobody.{type}", url=rabbitmq_server.url, exchange=exchange) as sink:
        with pytest.raises(cesdk.PermanentDeliveryError) as caught:
            await sink.send(sample_events()[0])
        # The channel is still usable afterwards: a routable send goes through.
        queue = await channel.declare_queue(unique("late"), exclusive=True)
        await queue.bind(exchange, routing_key="nobody.#")
        await sink.send(sample_events()[1])
    message = str(caught.value)
    assert exchange in message
    assert "nobody.dev.cesdk.amqp.binary" in message
    assert "guest:guest" not in message


async def test_missing_exchange_is_permanent(rabbitmq_server: RabbitMQServer) -> None:
    async with AmqpSink("k", url=rabbitmq_server.url, exchange=unique("missing")) as sink:
        for _ in range(2):  # the closed channel is replaced each time
            with pytest.raises(cesdk.PermanentDeliveryError, match="no exchange"):
                await sink.send(sample_events()[0])


async def test_unreachable_broker_is_retryable_without_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"amqp://alice:s3cret-pw@127.0.0.1:{free_port()}/prod"
    async with AmqpSink("k", url=url, connect_timeout=1) as sink:
        with pytest.raises(cesdk.RetryableDeliveryError) as caught:
            await sink.send(sample_events()[0])
    assert "alice:***@127.0.0.1" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in caplog.text
    with pytest.raises(cesdk.CESDKError) as refused:
        async with AmqpSource("q", url=url, connect_timeout=1):
            pass
    assert "s3cret-pw" not in str(refused.value)


async def test_wrong_password_is_named_without_the_password(
    rabbitmq_server: RabbitMQServer,
) -> None:
    url = f"amqp://guest:wrong-pw@127.0.0.1:{rabbitmq_server.port}/"
    with pytest.raises(cesdk.CESDKError, match="refused the login") as caught:
        async with AmqpSource("q", url=url):
            pass
    assert "wrong-pw" not in str(caught.value)


def test_from_url_reads_options_and_keeps_client_ones() -> None:
    source = AmqpSource.from_url(
        "amqp://u:p@127.0.0.1:5673/vh?queue=jobs&exchange=ev&routing_key=k8s.%23&prefetch=7"
        "&heartbeat=30"
    )
    assert (source.queue, source.exchange, source.routing_keys, source.prefetch) == (
        "jobs",
        "ev",
        ["k8s.#"],
        7,
    )
    assert source.url == "amqp://u:p@127.0.0.1:5673/vh?heartbeat=30"
    sink = AmqpSink.from_url(
        "amqp://u:p@host/vh?exchange=alerts&routing_key=events.%7Btype%7D", mode="structured"
    )
    assert (sink.exchange, sink.routing_key.template, sink.mode) == (
        "alerts",
        "events.{type}",
        "structured",
    )
    with pytest.raises(ValueError, match="names no queue"):
        AmqpSource.from_url("amqp://u:secret@host/")
    with pytest.raises(ValueError, match="not an AMQP URL") as bad:
        AmqpSink.from_url("http://u:secret@host/")
    assert "secret" not in str(bad.value)


def test_bad_options_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="not an attribute name"):
        AmqpSink("events.{Type}")
    with pytest.raises(ValueError, match="mode must be"):
        AmqpSink(mode="batch")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pass exchange= too"):
        AmqpSource("q", routing_key="a.#")
    with pytest.raises(ValueError, match="prefetch"):
        AmqpSource("q", prefetch=0)


async def test_template_needs_the_attribute() -> None:
    sink = AmqpSink("events.{subject}")
    with pytest.raises(cesdk.PermanentDeliveryError, match="needs attribute 'subject'"):
        await sink.send(sample_events()[0])


def test_plugins_are_found_by_name() -> None:
    from cesdk import plugins

    assert plugins.load("cesdk.sources", "amqp") is AmqpSource
    assert plugins.load("cesdk.sinks", "amqp") is AmqpSink


def test_docs_yaml_pipeline_is_valid() -> None:
    """The pipeline on docs/adapters/amqp.md names real options of real types."""
    from pathlib import Path

    snippet = Path(__file__).parents[3] / "docs" / "snippets" / "amqp_pipeline.yaml"
    assert cesdk.validate_file(snippet) == []
