"""WebSocketSink -> WebSocketSource over loopback, for each CloudEvents subprotocol.

websockets-protocol-binding.md 1.4 (handshake), 1.5 (subprotocols and frame types),
3 (one structured event per message).
"""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

import cesdk
from cesdk.testing import CapturingSink
from cesdk_http import WebSocketSink, WebSocketSource
from ws_support import running_ws, ws_event


@pytest.mark.parametrize("subprotocol", cesdk.bindings.websockets.SUBPROTOCOLS)
async def test_round_trip_per_subprotocol(subprotocol: str) -> None:
    """1.5: the agreed subprotocol picks the format and the frame type; events survive."""
    events = [
        ws_event(0, extensions={"flag": True, "count": 7}),
        ws_event(1).replace(data=b"\x00\x01binary"),
        ws_event(2).replace(data="plain text", datacontenttype="text/plain"),
    ]
    sink = CapturingSink()
    async with running_ws(sink=sink) as run:
        async with WebSocketSink(run.url, subprotocol=subprotocol) as ws:
            for event in events:
                await ws.send(event)
            assert ws.subprotocol == subprotocol
        got = await sink.wait_for(len(events), timeout=10)
        assert run.dead.events == []
    assert got == events


async def test_frame_type_and_raw_metadata_follow_the_subprotocol() -> None:
    """1.5: JSON travels in text frames, Avro and Protobuf in binary frames."""
    source = WebSocketSource(port=0)
    async with source:
        iterator = aiter(source)
        for subprotocol, kind in [
            ("cloudevents.json", "text"),
            ("cloudevents.avro", "binary"),
            ("cloudevents.proto", "binary"),
        ]:
            async with WebSocketSink(source.url, subprotocol=subprotocol) as ws:
                await ws.send(ws_event(5))
            delivery = await anext(iterator)
            await delivery.ack()
            assert delivery.event == ws_event(5)
            assert delivery.raw.metadata["frame"] == kind
            assert delivery.raw.metadata["subprotocol"] == subprotocol
            assert delivery.raw.headers == (("sec-websocket-protocol", subprotocol),)
            fmt = cesdk.bindings.websockets.format_for(subprotocol)
            assert fmt.decode(delivery.raw.body) == ws_event(5)


async def test_client_preference_order_wins() -> None:
    """1.4: the server picks the first offered subprotocol it supports."""
    source = WebSocketSource(port=0, subprotocols=["cloudevents.json", "cloudevents.proto"])
    async with source:
        iterator = aiter(source)
        sink = WebSocketSink(
            source.url, subprotocol=["cloudevents.avro", "cloudevents.proto", "cloudevents.json"]
        )
        async with sink:
            await sink.send(ws_event(1))
            assert sink.subprotocol == "cloudevents.proto"
        delivery = await anext(iterator)
        assert delivery.raw.metadata["subprotocol"] == "cloudevents.proto"
        assert delivery.event == ws_event(1)


async def test_thousand_events_in_order_without_loss() -> None:
    """1,000 events over one connection reach the sink once each, in order."""
    sink = CapturingSink()
    events = [ws_event(n) for n in range(1000)]
    async with running_ws(sink=sink, max_pending=32) as run:
        async with WebSocketSink(run.url) as ws:
            for event in events:
                await ws.send(event)
        got = await sink.wait_for(1000, timeout=30)
        assert run.dead.events == []
    assert [e.id for e in got] == [e.id for e in events]
    assert got == events


async def test_wss_with_tls_options(tmp_path: Path) -> None:
    """wss://: the source serves TLS; the sink trusts the test CA through ssl_cafile."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile, cafile = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_pem.write_to_path(str(keyfile))
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    ca.cert_pem.write_to_path(str(cafile))
    sink = CapturingSink()
    source = WebSocketSource(port=0, ssl_certfile=str(certfile), ssl_keyfile=str(keyfile))
    async with running_ws(source, sink=sink) as run:
        assert run.url.startswith("wss://")
        async with WebSocketSink(run.url, ssl_cafile=str(cafile)) as ws:
            await ws.send(ws_event(1))
        assert await sink.wait_for(1) == [ws_event(1)]
        untrusted = WebSocketSink(run.url)  # system roots do not know the test CA
        async with untrusted:
            with pytest.raises(cesdk.DeliveryError) as caught:
                await untrusted.send(ws_event(2))
        assert isinstance(caught.value.__cause__, ssl.SSLError | OSError)
