"""Core NATS: an entered source is subscribed, a core send has reached the server.

Core NATS is at most once: a message published before the server has registered a
subscription is dropped, so "opened" has to mean "subscribed". nats-py's ``flush()``
writes its PING ahead of the commands still in the client's write buffer, so its PONG
can come back before the server has read the SUB (or PUB). On a busy machine the
server reads the PING in one read and the SUB in a later one: the source looked open,
a test published, and the message was gone (the old intermittent core-mode loss).

``HoldAfterPing`` makes that timing certain instead of rare: it passes everything a
client sends up to and including a PING at once, and what follows ``hold`` seconds
later, as a server that reads the rest late would see it.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

from nats.aio.client import Client
from nats.aio.msg import Msg

from cesdk.bindings.nats import to_binary
from cesdk.testing import contract_event, until
from cesdk_nats import NatsSink, NatsSource
from cesdk_nats.testing import NatsServer
from nats_helpers import subscribe, unique

_PING = b"PING\r\n"


def _partial_ping(data: bytes) -> int:
    """Return how many trailing bytes of ``data`` could start a PING cut by a read."""
    for size in range(len(_PING) - 1, 0, -1):
        if data.endswith(_PING[:size]):
            return size
    return 0


class HoldAfterPing:
    """A TCP proxy to nats-server that holds back what a client sends after each PING."""

    def __init__(self, server: NatsServer, hold: float = 0.3) -> None:
        self.server, self.hold = server, hold
        self.url = ""
        self._listener: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> HoldAfterPing:
        self._listener = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"nats://127.0.0.1:{self._listener.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.cut()

    async def cut(self) -> None:
        """Drop every connection, and whatever is held back, as a network failure would."""
        if self._listener is not None:
            self._listener.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
        self._tasks.clear()
        self._writers.clear()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.server.port)
        self._writers += [client_w, server_w]
        for pipe in (self._forward(server_r, client_w), self._forward_holding(client_r, server_w)):
            task = asyncio.create_task(pipe)
            self._tasks.add(task)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _forward_holding(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        pending = b""
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                pending += data
                while (end := pending.find(_PING)) >= 0:
                    end += len(_PING)
                    writer.write(pending[:end])
                    await writer.drain()
                    pending = pending[end:]
                    await asyncio.sleep(self.hold)  # the fault injected: what follows is late
                ready = len(pending) - _partial_ping(pending)
                writer.write(pending[:ready])
                await writer.drain()
                pending = pending[ready:]
        writer.close()


async def test_entered_core_source_is_subscribed(nats_server: NatsServer, client: Client) -> None:
    subject = unique("late") + ".x"
    event = contract_event(1)
    async with (
        HoldAfterPing(nats_server) as proxy,
        NatsSource(subject, servers=proxy.url) as source,
    ):
        iterator = aiter(source)
        # Published on another connection, straight to the server, right after entering.
        message = to_binary(event)
        await client.publish(subject, message.data, headers=message.headers)
        async with asyncio.timeout(5):
            delivery = await anext(iterator)
        await delivery.ack()
    assert delivery.event == event


async def test_entered_core_queue_group_is_subscribed(
    nats_server: NatsServer, client: Client
) -> None:
    subject = unique("lateq") + ".x"
    async with (
        HoldAfterPing(nats_server) as proxy,
        NatsSource([subject, subject + ".more"], servers=proxy.url, queue="q") as source,
    ):
        iterator = aiter(source)
        for n, target in enumerate((subject, subject + ".more")):
            message = to_binary(contract_event(n))
            await client.publish(target, message.data, headers=message.headers)
        got = []
        async with asyncio.timeout(5):
            for _ in range(2):
                delivery = await anext(iterator)
                await delivery.ack()
                got.append(delivery)
    assert sorted(d.raw.metadata["subject"] for d in got) == [subject, subject + ".more"]


async def test_core_send_returns_once_the_server_has_it(
    nats_server: NatsServer, client: Client
) -> None:
    subject = unique("sent") + ".x"
    got: list[Msg] = []

    async def keep(msg: Msg) -> None:
        got.append(msg)

    await subscribe(client, subject, keep)
    event = contract_event(2)
    async with HoldAfterPing(nats_server) as proxy, NatsSink(subject, servers=proxy.url) as sink:
        await sink.send(event)
        # The network fails right after send() returned: the message must be on the
        # server already, not held back with the bytes that followed the PING.
        await proxy.cut()
    await until(lambda: len(got) == 1, timeout=5, what="the message sent before the cut")
    assert got[0].headers is not None
    assert got[0].headers["ce-id"] == event.id
