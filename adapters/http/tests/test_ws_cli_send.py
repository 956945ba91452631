"""``cesdk send ws://...``: the command finds the WebSocket sink by the URL's scheme."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from cesdk.testing import until
from ws_support import running_ws


async def test_cesdk_send_writes_frames_to_a_websocket_source() -> None:
    async with running_ws() as running:
        target = running.source.url
        assert target.startswith("ws://127.0.0.1:")
        command = [sys.executable, "-m", "cesdk", "send", target, "--type", "t.ws"]
        done = await asyncio.to_thread(
            subprocess.run,
            [*command, "--source", "/cli", "--count", "3", "--id", "w"],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        await until(lambda: len(running.sink.events) == 3, timeout=10, what="3 events")
        assert [ev.id for ev in running.sink.events] == ["w-0", "w-1", "w-2"]
        assert {ev.type for ev in running.sink.events} == {"t.ws"}
