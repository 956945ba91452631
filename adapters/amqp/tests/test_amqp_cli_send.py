"""``cesdk send amqp://...``: the command finds the AMQP sink by the URL's scheme."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from aio_pika.abc import AbstractChannel

from amqp_helpers import decode_plain, unique
from cesdk_amqp.testing import RabbitMQServer


async def test_cesdk_send_publishes_to_the_queue(
    rabbitmq_server: RabbitMQServer, channel: AbstractChannel
) -> None:
    name = unique("cli")
    queue = await channel.declare_queue(name, durable=True)
    # The default exchange routes by queue name.
    target = f"{rabbitmq_server.url}?routing_key={name}"
    command = [sys.executable, "-m", "cesdk", "send", target, "--type", "t.amqp"]
    done = await asyncio.to_thread(
        subprocess.run,
        [*command, "--source", "/cli", "--count", "2", "--id", "a"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    received = []
    for _ in range(2):
        message = await queue.get(timeout=10, fail=True)
        assert message is not None
        received.append(decode_plain(message))
        await message.ack()
    assert [ev.id for ev in received] == ["a-0", "a-1"]
    assert {ev.type for ev in received} == {"t.amqp"}
