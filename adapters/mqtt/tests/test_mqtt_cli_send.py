"""``cesdk send mqtt://...``: the command finds the MQTT sink by the URL's scheme."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from cesdk.bindings.mqtt import from_mqtt
from cesdk_mqtt.testing import MosquittoServer
from mqtt_helpers import PlainClient, unique


async def test_cesdk_send_publishes_to_the_topic(
    mosquitto: MosquittoServer, client: PlainClient
) -> None:
    topic = unique("cli")
    await client.watch(f"{topic}/#")
    target = f"mqtt://{mosquitto.host}:{mosquitto.port}/{topic}/{{type}}"
    command = [sys.executable, "-m", "cesdk", "send", target, "--type", "t.x", "--source", "/cli"]
    done = await asyncio.to_thread(
        subprocess.run, [*command, "--count", "2", "--id", "cli"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    messages = await client.collected(2)
    assert [m.topic for m in messages] == [f"{topic}/t.x", f"{topic}/t.x"]
    events = [from_mqtt(m) for m in messages]
    assert [ev.id for ev in events] == ["cli-0", "cli-1"]
    assert {ev.source for ev in events} == {"/cli"}


async def test_cesdk_send_with_a_url_without_topic_is_a_usage_error(
    mosquitto: MosquittoServer,
) -> None:
    target = f"mqtt://{mosquitto.host}:{mosquitto.port}"
    command = [sys.executable, "-m", "cesdk", "send", target, "--type", "t", "--source", "/s"]
    done = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True)
    assert done.returncode == 2
    assert "names no topic" in done.stderr
    assert "Traceback" not in done.stderr
