"""The client side: WebSocketSource.connect (read from a server) and WebSocketSink errors.

The peer is a real ``websockets`` server on a loopback port
(websockets-protocol-binding.md 1.4: the server answers with the chosen subprotocol).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.typing import Subprotocol

import cesdk
from cesdk import plugins
from cesdk.testing import free_port, until
from cesdk_http import WebSocketHandshakeError, WebSocketSink, WebSocketSource
from ws_support import running_ws, ws_event

Handler = Callable[[ServerConnection], Any]


@contextlib.asynccontextmanager
async def ws_server(handler: Handler, port: int = 0, **options: Any) -> AsyncIterator[Server]:
    """Serve ``handler`` with the ``websockets`` library, offering the CloudEvents formats."""
    options.setdefault("subprotocols", [Subprotocol("cloudevents.json")])
    async with serve(handler, "127.0.0.1", port, **options) as server:
        yield server


def port_of(server: Server) -> int:
    port: int = next(iter(server.sockets)).getsockname()[1]
    return port


async def test_connect_reads_events_and_reconnects() -> None:
    """Client mode reads what the server sends; a dropped connection is reopened."""
    connections = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        base = (connections - 1) * 2
        for n in (base, base + 1):
            await ws.send(cesdk.formats.json.encode(ws_event(n)).decode())
        if connections == 1:
            await ws.close(1011, "going down for a moment")
        else:
            await ws.wait_closed()

    async with ws_server(handler) as server:
        url = f"ws://127.0.0.1:{port_of(server)}/feed"
        source = WebSocketSource.connect(url, reconnect_delay=0.05, reconnect_max_delay=0.2)
        assert repr(source) == f"WebSocketSource.connect({url!r})"
        got = []
        async with source:
            iterator = aiter(source)
            for _ in range(4):
                delivery = await asyncio.wait_for(anext(iterator), 10)
                await delivery.ack()
                got.append(delivery)
        assert [d.event.id for d in got if d.event] == ["ws-0", "ws-1", "ws-2", "ws-3"]
        assert connections == 2
        assert got[0].key != got[2].key  # one ordering key per connection
        assert got[0].raw.metadata["peer"] == url


async def test_connect_waits_for_a_server_that_is_down() -> None:
    """Unreachable: the source keeps retrying with backoff until the server is up."""
    port = free_port()
    source = WebSocketSource.connect(
        f"ws://127.0.0.1:{port}/", reconnect_delay=0.05, reconnect_max_delay=0.1
    )

    async def handler(ws: ServerConnection) -> None:
        await ws.send(cesdk.formats.json.encode(ws_event(7)).decode())
        await ws.wait_closed()

    async with source:
        iterator = aiter(source)
        waiting = asyncio.ensure_future(anext(iterator))
        async with ws_server(handler, port=port):
            delivery = await asyncio.wait_for(waiting, 10)
        assert delivery.event == ws_event(7)


async def test_connect_without_an_agreed_subprotocol_fails_the_iteration() -> None:
    """1.4: a server that answers with no CloudEvents subprotocol ends the source."""

    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    def choose_none(connection: ServerConnection, offered: Any) -> None:
        return None

    async with ws_server(handler, select_subprotocol=choose_none) as server:
        source = WebSocketSource.connect(f"ws://127.0.0.1:{port_of(server)}/")
        async with source:
            with pytest.raises(WebSocketHandshakeError, match="none of the offered"):
                await asyncio.wait_for(anext(aiter(source)), 10)


async def test_sink_refused_for_good_or_for_now() -> None:
    """A 404 handshake is permanent; a subprotocol-less accept is permanent; no server
    is retryable, and the sink reconnects once the server is back."""
    async with running_ws(path="/in") as run:
        wrong = WebSocketSink(f"ws://127.0.0.1:{run.source.port}/elsewhere")
        async with wrong:
            with pytest.raises(cesdk.PermanentDeliveryError, match="404"):
                await wrong.send(ws_event(1))

    async def handler(ws: ServerConnection) -> None:
        await ws.wait_closed()

    async with ws_server(handler, select_subprotocol=lambda c, o: None) as server:
        sink = WebSocketSink(f"ws://127.0.0.1:{port_of(server)}/")
        async with sink:
            with pytest.raises(cesdk.PermanentDeliveryError, match="none of the offered"):
                await sink.send(ws_event(1))


async def test_sink_connection_loss_is_retryable_and_reconnects() -> None:
    """Connection lost, server down: RetryableDeliveryError; back up: the sink reconnects."""
    received: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        async for message in ws:
            assert isinstance(message, str)
            received.append(cesdk.formats.json.decode(message.encode()).id)

    port = free_port()
    sink = WebSocketSink(f"ws://127.0.0.1:{port}/", open_timeout=2)
    async with sink:
        async with ws_server(handler, port=port):
            await sink.send(ws_event(1))
            await until(lambda: received == ["ws-1"], timeout=5)
        with pytest.raises(cesdk.RetryableDeliveryError, match="cannot connect"):
            await sink.send(ws_event(2))
        async with ws_server(handler, port=port):
            await sink.send(ws_event(3))
            await until(lambda: received == ["ws-1", "ws-3"], timeout=5)
        assert sink.connects == 2


def test_from_url_and_options_are_checked() -> None:
    """from_url maps a format name to its subprotocol; bad options say what to do."""
    sink = WebSocketSink.from_url("ws://127.0.0.1:1/", mode="avro")
    assert sink.subprotocols == ("cloudevents.avro",)
    assert WebSocketSink.from_url("ws://h/", mode="binary").subprotocols == ("cloudevents.json",)
    with pytest.raises(ValueError, match="ws:// or wss://"):
        WebSocketSink("http://example.com/")
    with pytest.raises(ValueError, match="not a CloudEvents subprotocol"):
        WebSocketSink("ws://h/", subprotocol="cloudevents.xml")
    with pytest.raises(ValueError, match="ws:// or wss://"):
        WebSocketSource(connect_to="http://example.com/")


def test_entry_points_and_yaml(tmp_path: Path) -> None:
    """``use: websocket`` names the source and the sink; YAML options are converted."""
    assert plugins.load("cesdk.sources", "websocket") is WebSocketSource
    assert plugins.load("cesdk.sinks", "websocket") is WebSocketSink
    path = tmp_path / "p.yaml"
    path.write_text(
        "source:\n  use: websocket\n  port: '9001'\n  max_size: 4096\n  idle_timeout: 30\n"
        "sink:\n  use: websocket\n  url: ws://127.0.0.1:9002/in\n"
        "  subprotocol: cloudevents.proto\n"
    )
    pipeline = cesdk.load_pipeline(path)
    source = pipeline.source
    assert isinstance(source, WebSocketSource)
    assert (source.port, source.max_size, source.idle_timeout) == (9001, 4096, 30)
    sink = pipeline.routes[0].sink
    assert isinstance(sink, WebSocketSink)
    assert sink.subprotocols == ("cloudevents.proto",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("source:\n  use: websocket\n  max_sise: 1\nsink: memory\n")
    problems = cesdk.validate_file(bad)
    assert problems
    assert problems[0].key == "source.max_sise"
    assert "max_size" in str(problems[0])


@pytest.mark.parametrize("name", ["ws_source.yaml", "ws_sink.yaml"])
def test_documented_yaml_is_valid(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The YAML on docs/adapters/websockets.md checks clean (plugins, options, types)."""
    monkeypatch.setenv("WS_TOKEN", "secret")
    snippets = Path(__file__).parents[3] / "docs" / "snippets"
    assert cesdk.validate_file(snippets / name) == []
