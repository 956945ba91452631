"""The URL form, YAML ``use: mqtt``, TLS (``mqtts://``) and the missing-broker rule."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import trustme

import cesdk
from cesdk.testing import contract_event
from cesdk_mqtt import MqttSink, MqttSource
from cesdk_mqtt.testing import MosquittoServer, find_mosquitto
from mqtt_helpers import own_broker, unique


def test_sink_from_url() -> None:
    sink = MqttSink.from_url(
        "mqtt://bob:pw%40x@broker.example:1884/events/{type}"
        "?qos=0&retain=true&protocol_version=3&mode=structured&client_id=me"
    )
    assert sink.topic.template == "events/{type}"
    assert (sink.qos, sink.retain, sink.mode) == (0, True, "structured")
    s = sink.settings
    assert (s.host, s.port, s.protocol_version, s.client_id) == ("broker.example", 1884, 4, "me")
    assert (s.username, s.password, s.tls) == ("bob", "pw@x", None)
    assert "pw@x" not in repr(sink)
    assert "pw@x" not in repr(s)


def test_source_from_url_and_defaults() -> None:
    source = MqttSource.from_url(
        "mqtts://broker.example/k8s/%23?persistent=true&client_id=n1&session_expiry=60"
    )
    assert source.topics == ["k8s/#"]
    s = source.settings
    assert (s.port, s.tls is not None, s.clean_start, s.session_expiry) == (8883, True, False, 60)
    assert MqttSource.from_url("mqtt://h/a/+").settings.port == 1883
    with pytest.raises(ValueError, match="no topic"):
        MqttSource.from_url("mqtt://h")
    with pytest.raises(ValueError, match="not mqtt"):
        MqttSink.from_url("http://h/x")
    with pytest.raises(ValueError, match="unknown query"):
        MqttSink.from_url("mqtt://h/x?colour=blue")
    with pytest.raises(cesdk.ConfigError, match="topic filter"):
        MqttSource("a/#/b")


def test_yaml_uses_the_plugin(tmp_path: Path) -> None:
    path = tmp_path / "mqtt.yaml"
    path.write_text(
        "source:\n  use: mqtt\n  topics: [k8s/#, alerts/+]\n  host: broker\n  port: 1884\n"
        "  persistent: true\n  client_id: notifier\n  protocol_version: 3\n"
        "routes:\n  - use: mqtt\n    topic: out/{type}\n    mode: structured\n    retain: true\n"
    )
    pipeline = cesdk.load_pipeline(path)
    source = pipeline.source
    assert isinstance(source, MqttSource)
    assert source.topics == ["k8s/#", "alerts/+"]
    assert (source.settings.port, source.settings.protocol_version) == (1884, 4)
    assert source.persistent
    assert source.settings.client_id == "notifier"
    sink = pipeline.routes[0].sink
    assert isinstance(sink, MqttSink)
    assert (sink.topic.template, sink.mode, sink.retain) == ("out/{type}", "structured", True)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    for more in cert.cert_chain_pems[1:]:
        more.write_to_path(str(cert_file), append=True)
    cert.private_key_pem.write_to_path(str(key_file))
    return ca_file, cert_file, key_file


async def test_tls_round_trip(tls_files: tuple[Path, Path, Path]) -> None:
    ca_file, cert_file, key_file = tls_files
    with own_broker(tls=(str(cert_file), str(key_file))) as broker:
        assert broker.url.startswith("mqtts://")
        prefix, event = unique("tls"), contract_event(1)
        source = MqttSource.from_url(f"{broker.url}/{prefix}/%23", ca_file=str(ca_file))
        async with source:
            iterator = aiter(source)
            sink = MqttSink.from_url(f"{broker.url}/{prefix}/{{type}}?ca_file={ca_file}")
            async with sink:
                await sink.send(event)
            async with asyncio.timeout(10):
                delivery = await anext(iterator)
            await delivery.ack()
        assert delivery.event == event
        # Without the CA the broker's certificate is not trusted: no connection.
        with pytest.raises(cesdk.CESDKError, match="cannot connect"):
            async with MqttSource(f"{prefix}/#", port=broker.port, tls=True):
                pass


def test_missing_broker_under_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError, match="CI=true"):
        find_mosquitto("no-such-mosquitto")
    monkeypatch.delenv("CI")
    with pytest.raises(FileNotFoundError, match="apt-get install mosquitto"):
        find_mosquitto("no-such-mosquitto")


async def test_unreachable_broker_fails_the_source_clearly() -> None:
    from cesdk.testing import free_port

    with pytest.raises(cesdk.CESDKError, match="cannot connect to the MQTT broker"):
        async with MqttSource("a/#", port=free_port(), connect_timeout=1):
            pass


def test_server_keeps_port_across_restart() -> None:
    broker: MosquittoServer
    with own_broker() as broker:
        port = broker.port
        broker.restart()
        assert broker.running
        assert broker.port == port
