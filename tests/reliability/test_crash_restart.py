"""A pipeline killed with SIGKILL at random points and restarted loses nothing.

DESIGN.md "Delivery semantics": at least once end to end; with Redis dedup a crash
between a send and its commit may repeat that one notification, nothing may lose one.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import cesdk
from cesdk.formats import json as json_format
from cesdk.testing import RedisServer, wait_until

WORKER = Path(__file__).with_name("worker.py")
EVENTS = 400
KILLS = 10
CONCURRENCY = 4  # the worker's; bounds what one crash can repeat


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line.strip()]


def test_sigkill_ten_times_loses_nothing(tmp_path: Path, redis_server: RedisServer) -> None:
    source = tmp_path / "input.jsonl"
    events = [
        cesdk.CloudEvent(type="t", source="/crash", id=f"e{i}", data={"i": i})
        for i in range(EVENTS)
    ]
    source.write_bytes(b"".join(json_format.encode(ev) + b"\n" for ev in events))
    output = tmp_path / "out.jsonl"
    paths = [str(p) for p in (source, tmp_path / "ckpt", output, tmp_path / "dead.jsonl")]
    rng = random.Random(20261127)
    kills = 0
    for _ in range(KILLS):
        target = min(EVENTS - 1, len(_lines(output)) + rng.randint(5, 30))
        proc = subprocess.Popen([sys.executable, str(WORKER), *paths, redis_server.url])
        try:
            wait_until(
                lambda t=target, p=proc: len(_lines(output)) >= t or p.poll() is not None,
                timeout=60,
                what=f"{target} delivered lines",
            )
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
    final = subprocess.run(
        [sys.executable, str(WORKER), *paths, redis_server.url], timeout=120, check=False
    )
    assert final.returncode == 0
    delivered = Counter(json.loads(line)["id"] for line in _lines(output))
    assert set(delivered) == {f"e{i}" for i in range(EVENTS)}, "an event was lost"
    repeats = sum(n - 1 for n in delivered.values())
    # Only a crash between a send and its dedup commit can repeat a notification.
    assert repeats <= kills * CONCURRENCY, delivered.most_common(5)
    assert not _lines(tmp_path / "dead.jsonl")
    assert kills >= KILLS // 2, "the worker finished before it could be killed"
