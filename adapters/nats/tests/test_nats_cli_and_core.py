"""`cesdk send nats://...` through NatsSink.from_url, YAML `use: nats`, core-mode retries."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from nats.aio.client import Client

import cesdk
from cesdk.bindings.nats import to_binary
from cesdk.testing import contract_event, until
from cesdk_nats import NatsSource
from cesdk_nats.testing import NatsServer
from nats_helpers import Stream, unique


async def test_cesdk_send_to_jetstream(nats_server: NatsServer, stream: Stream) -> None:
    target = f"{nats_server.url}/{stream.prefix}.{{type}}?jetstream=true&stream={stream.name}"
    command = [sys.executable, "-m", "cesdk", "send", target, "--type", "t.x", "--source", "/cli"]
    done = await asyncio.to_thread(
        subprocess.run, [*command, "--count", "3", "--id", "cli"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    js = stream.nc.jetstream()
    assert (await js.stream_info(stream.name)).state.messages == 3
    stored = await js.get_msg(stream.name, 1)
    assert stored.subject == f"{stream.prefix}.t.x"
    assert stored.headers is not None
    assert stored.headers["Nats-Msg-Id"] == "cli-0"


def test_yaml_uses_the_plugin(tmp_path: Path) -> None:
    path = tmp_path / "nats.yaml"
    path.write_text(
        "source:\n  use: nats\n  subjects: [a.>]\n  jetstream: true\n  durable: d\n"
        "  max_deliver: 3\nroutes:\n  - use: nats\n    subject: out.{type}\n"
        "    jetstream: true\n"
    )
    pipeline = cesdk.load_pipeline(path)
    assert isinstance(pipeline.source, NatsSource)
    assert (pipeline.source.durable, pipeline.source.max_deliver) == ("d", 3)
    assert pipeline.routes[0].sink.subject.template == "out.{type}"  # type: ignore[attr-defined]


async def test_core_nack_retries_in_process(nats_server: NatsServer, client: Client) -> None:
    subject = unique("corenack") + ".x"
    async with NatsSource(subject, servers=nats_server.url) as source:
        iterator = aiter(source)
        message = to_binary(contract_event(1))
        await client.publish(subject, message.data, headers=message.headers)
        async with asyncio.timeout(10):
            first = await anext(iterator)
        await first.nack(0.01)
        async with asyncio.timeout(5):
            again = await anext(iterator)
        await again.ack()
    assert again.event == first.event
    assert again.raw.metadata == {"subject": subject}


async def test_queue_group_shares_the_work(nats_server: NatsServer, client: Client) -> None:
    subject = unique("queue") + ".x"
    one = NatsSource(subject, servers=nats_server.url, queue="workers")
    two = NatsSource(subject, servers=nats_server.url, queue="workers")
    got: list[str] = []

    async def drain(source: NatsSource) -> None:
        async for delivery in source:
            assert delivery.event is not None
            got.append(delivery.event.id)
            await delivery.ack()

    async with one, two:
        tasks = [asyncio.create_task(drain(s)) for s in (one, two)]
        for n in range(20):
            message = to_binary(contract_event(n))
            await client.publish(subject, message.data, headers=message.headers)
        await until(lambda: len(got) >= 20, timeout=5, what="20 events")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert sorted(got) == sorted(f"contract-{n}" for n in range(20))  # each exactly once


def test_missing_server_under_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from cesdk_nats.testing import find_nats_server

    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError, match="CI=true"):
        find_nats_server("no-such-nats-server")
    monkeypatch.delenv("CI")
    with pytest.raises(FileNotFoundError):
        find_nats_server("no-such-nats-server")
