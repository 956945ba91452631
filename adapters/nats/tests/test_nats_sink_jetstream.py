"""NatsSink: subject templates, the Nats-Msg-Id duplicate window, errors, from_url."""

from __future__ import annotations

import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

import cesdk
from cesdk.testing import contract_event, free_port, until
from cesdk_nats import NatsSink, SubjectTemplate
from cesdk_nats.testing import NatsServer
from nats_helpers import Stream, subscribe, unique


async def test_subject_template_from_attributes(nats_server: NatsServer, client: Client) -> None:
    prefix = unique("tpl")
    got: list[Msg] = []

    async def keep(msg: Msg) -> None:
        got.append(msg)

    await subscribe(client, f"{prefix}.>", keep)
    event = cesdk.CloudEvent(type="com.example.ping", source="/s", subject="pod web 1")
    async with NatsSink(f"{prefix}.{{type}}.{{subject}}", servers=nats_server.url) as sink:
        await sink.send(event)
    await until(lambda: len(got) == 1, what="the message")
    assert got[0].subject == f"{prefix}.com.example.ping.pod_web_1"
    assert got[0].headers is not None
    assert got[0].headers["ce-id"] == event.id


def test_subject_template_rules() -> None:
    event = contract_event(1, flag=True)
    assert SubjectTemplate("a.{flag}.{sequence}").render(event) == "a.true.00000001"
    with pytest.raises(cesdk.PermanentDeliveryError, match="dataschema"):
        SubjectTemplate("a.{dataschema}").render(event)
    with pytest.raises(ValueError, match="attribute name"):
        SubjectTemplate("a.{Type!r}")


async def test_msg_id_dedup_window(nats_server: NatsServer, stream: Stream) -> None:
    event, other = contract_event(1), contract_event(2)
    async with NatsSink(
        f"{stream.prefix}.out", servers=nats_server.url, jetstream=True, stream=stream.name
    ) as sink:
        for ev in (event, event, other, event):  # a retried send repeats the same id
            await sink.send(ev)
    info = await stream.nc.jetstream().stream_info(stream.name)
    assert info.state.messages == 2
    stored = await stream.nc.jetstream().get_msg(stream.name, 1)
    assert stored.headers is not None
    assert stored.headers["Nats-Msg-Id"] == event.id


async def test_errors_are_classified(nats_server: NatsServer) -> None:
    event = contract_event(3)
    # No stream holds the subject: no responders, which a later try may get past.
    async with NatsSink(unique("nostream"), servers=nats_server.url, jetstream=True) as sink:
        with pytest.raises(cesdk.RetryableDeliveryError):
            await sink.send(event)
    async with NatsSink("down", servers=f"nats://127.0.0.1:{free_port()}") as sink:
        with pytest.raises(cesdk.RetryableDeliveryError, match="cannot connect"):
            await sink.send(event)
    big = event.replace(data=b"x" * 2_000_000, datacontenttype="application/octet-stream")
    async with NatsSink(unique("big"), servers=nats_server.url) as sink:
        with pytest.raises(cesdk.PermanentDeliveryError):
            await sink.send(big)


def test_from_url() -> None:
    sink = NatsSink.from_url("nats://10.0.0.1:4333/events.{type}", mode="structured")
    assert (sink.servers, sink.subject.template, sink.mode) == (
        ["nats://10.0.0.1:4333"],
        "events.{type}",
        "structured",
    )
    assert not sink.jetstream
    js = NatsSink.from_url("nats://h:1/a.b?jetstream=true&stream=S")
    assert js.jetstream
    assert js.stream == "S"
    with pytest.raises(ValueError, match="subject"):
        NatsSink.from_url("nats://h:1/")


def test_plugins_find_the_adapters() -> None:
    from cesdk import plugins

    assert plugins.load("cesdk.sources", "nats").__name__ == "NatsSource"
    assert plugins.load("cesdk.sinks", "nats") is NatsSink
