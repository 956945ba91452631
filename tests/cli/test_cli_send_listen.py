"""``cesdk send`` to a running ``cesdk listen``, and the receiver's HTTP/1.1 handling
(http-protocol-binding.md section 3 for the modes; RFC 9112 for framing)."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_processes import Listener, start_listener

import cesdk
from cesdk._cli import main
from cesdk.bindings import http as http_binding
from cesdk.testing import free_port

Cesdk = Callable[..., subprocess.CompletedProcess[str]]
EnvWith = Callable[..., dict[str, str]]


def events_printed(stdout: str) -> list[cesdk.CloudEvent]:
    return [cesdk.formats.json.decode(line.encode()) for line in stdout.splitlines() if line]


def post(listener: Listener, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=20)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_send_binary_and_structured(cesdk: Cesdk, listener: Listener, tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text('{"reason": "BackOff", "count": 3}')
    first = cesdk(
        "send", listener.url, "--type", "io.k8s.event.warning", "--source", "/k8s/prod",
        "--id", "e-1", "--subject", "pod/web-1", "--data", "@data.json",
        "--extension", "partitionkey=web-1", "-e", "team=ops",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "e-1 -> " in first.stderr
    assert "204 No Content" in first.stderr
    second = cesdk(
        "send", listener.url, "--type", "t.text", "--source", "/s", "--id", "e-2",
        "--data", "plain words", "--datacontenttype", "text/plain", "--mode", "structured",
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    code, out, _ = listener.stop()
    assert code == 0
    one, two = events_printed(out)
    assert (one.id, one.type, one.subject) == ("e-1", "io.k8s.event.warning", "pod/web-1")
    assert one.data == {"reason": "BackOff", "count": 3}
    assert (one["partitionkey"], one["team"]) == ("web-1", "ops")
    assert (two.id, two.data, two.datacontenttype) == ("e-2", "plain words", "text/plain")


def test_send_count_shows_progress(cesdk: Cesdk, listener: Listener) -> None:
    done = cesdk("send", listener.url, "--type", "t", "--source", "/s", "--id", "n", "--count", "5")
    assert done.returncode == 0, done.stderr
    # Standard error is a pipe here: plain lines, the last one final.
    lines = done.stderr.splitlines()
    assert lines[0] == "sent 1/5"
    assert lines[-1] == f"cesdk send: sent 5 events to {listener.url}"
    assert "\r" not in done.stderr
    _, out, _ = listener.stop()
    assert sorted(e.id for e in events_printed(out)) == [f"n-{i}" for i in range(5)]


def test_listen_pretty_prints(cesdk: Cesdk) -> None:
    pretty = start_listener()
    try:
        done = cesdk("send", pretty.url, "--type", "io.example.ping", "--source", "/demo",
                     "--data", '{"n": 1}')  # fmt: skip
        assert done.returncode == 0, done.stderr
    finally:
        code, out, err = pretty.stop()
    assert code == 0
    assert "☁  io.example.ping" in out
    assert '"n": 1' in out
    assert "stopped after 1 event(s)" in err


def test_batch_request(listener: Listener) -> None:
    events = [cesdk.CloudEvent(type="t", source="/s", id=str(i)) for i in range(3)]
    message = http_binding.to_batch(events)
    assert post(listener, message.headers, message.body)[0] == 204
    _, out, _ = listener.stop()
    assert [e.id for e in events_printed(out)] == ["0", "1", "2"]


def test_invalid_event_gets_400_naming_the_attribute(receiver: Listener) -> None:
    headers = {"ce-specversion": "1.0", "ce-id": "1", "ce-type": "t", "ce-source": "not a uri"}
    status, body = post(receiver, headers, b"")
    assert status == 400
    problem = json.loads(body)
    assert problem["attribute"] == "source"
    assert set(problem["errors"]) == {"source"}
    assert problem["status"] == 400


def test_not_a_cloudevent_gets_400(receiver: Listener) -> None:
    status, body = post(receiver, {"content-type": "application/json"}, b"{}")
    assert status == 400
    assert json.loads(body)["attribute"] == "content-type"


def test_unknown_event_format_gets_415(receiver: Listener) -> None:
    status, body = post(receiver, {"content-type": "application/cloudevents+xml"}, b"\x00")
    assert status == 415
    assert "xml" in json.loads(body)["detail"]


def raw_exchange(listener: Listener, request: bytes) -> bytes:
    """Send raw bytes; return everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", listener.port), timeout=20) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


STRUCTURED = b'{"specversion":"1.0","id":"c1","source":"/s","type":"t"}'


def test_chunked_body_and_keep_alive(listener: Listener) -> None:
    half = len(STRUCTURED) // 2
    chunked = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + f"{half:x}\r\n".encode() + STRUCTURED[:half] + b"\r\n"
        + f"{len(STRUCTURED) - half:x};ext=1\r\n".encode() + STRUCTURED[half:] + b"\r\n"
        + b"0\r\n\r\n"
    )  # fmt: skip
    second = STRUCTURED.replace(b'"c1"', b'"c2"')
    closing = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\n"
        + f"Content-Length: {len(second)}\r\nConnection: close\r\n\r\n".encode()
        + second
    )
    answer = raw_exchange(listener, chunked + closing)
    # Two requests on one connection, two answers, then the server closes.
    assert answer.count(b"HTTP/1.1 204 No Content\r\n") == 2
    assert answer.endswith(b"connection: close\r\n\r\n")
    _, out, _ = listener.stop()
    assert [e.id for e in events_printed(out)] == ["c1", "c2"]


def test_expect_100_continue(receiver: Listener) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/cloudevents+json\r\n"
        + f"Content-Length: {len(STRUCTURED)}\r\nExpect: 100-continue\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + STRUCTURED
    )
    answer = raw_exchange(receiver, request)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n", b"413"),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", b"501"),
        (b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"400"),
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"POST / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
        (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", b"405"),
    ],
    ids=[
        "too-large",
        "smuggling",
        "unknown-coding",
        "negative",
        "bad-chunk",
        "garbage",
        "huge-head",
        "get",
    ],
)
def test_malformed_requests(receiver: Listener, request_bytes: bytes, status: bytes) -> None:
    answer = raw_exchange(receiver, request_bytes)
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:80]


def test_healthz(receiver: Listener) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=20)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    conn.close()


def test_send_to_nothing_exits_1(cesdk: Cesdk) -> None:
    done = cesdk("send", f"http://127.0.0.1:{free_port()}/", "--type", "t", "--source", "/s")
    assert done.returncode == 1
    assert "cesdk send: http://127.0.0.1:" in done.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--source", "not a uri"], "invalid event: source:"),
        (["--data", "{not json"], "--data is not JSON"),
        (["--data", "@missing.json"], "--data @missing.json"),
        (["--extension", "novalue"], "is not NAME=VALUE"),
        (["--count", "0"], "--count must be at least 1"),
    ],
)
def test_send_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    base = {"--type": "t", "--source": "/s"}
    for flag in args[::2]:
        base.pop(flag, None)
    argv = [x for kv in base.items() for x in kv] + args
    assert main(["send", "http://127.0.0.1:1/", *argv]) == 2
    assert words in capsys.readouterr().err


def test_send_unknown_scheme_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["send", "ftp://127.0.0.1/x", "--type", "t", "--source", "/s"]) == 2
    assert "TARGET starts with" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("scheme", "plugin", "distribution"),
    [
        ("kafka", "kafka", "cesdk-kafka"),
        ("nats", "nats", "cesdk-nats"),
        ("amqp", "amqp", "cesdk-amqp"),
        ("mqtts", "mqtt", "cesdk-mqtt"),
        ("ws", "websocket", "cesdk-http"),
    ],
)
def test_send_without_the_adapter_names_the_distribution(
    cesdk: Cesdk, env_with: EnvWith, scheme: str, plugin: str, distribution: str
) -> None:
    # Disabled here so that the test holds once the adapters are installed too.
    env = env_with(CESDK_DISABLED_PLUGINS=f"cesdk.sinks:{plugin}")
    done = cesdk("send", f"{scheme}://127.0.0.1:1/events", "--type", "t", "--source", "/s", env=env)
    assert done.returncode == 2
    assert f"pip install {distribution}" in done.stderr
