"""10,000 malformed inputs among valid ones, through a real ``cesdk run`` process.

Valid events are delivered, malformed ones dead-lettered with their raw bytes, and the
process stays alive to the end (issue 3, "Reliability tests"; DESIGN.md: "A pipeline
never crashes on one bad message").
"""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
from pathlib import Path

import cesdk
from cesdk.formats import json as json_format

MALFORMED = 10_000
VALID = 2_000

PIPELINE = """
name: flood
source: {use: file, path: INPUT}
sink: {use: file, path: OUTPUT}
dead_letter: {use: file, path: DEAD}
concurrency: 256
"""


def _malformed(rng: random.Random, n: int) -> bytes:
    """A line that is not a valid structured CloudEvent, of one of several kinds."""
    valid = json_format.encode(cesdk.CloudEvent(type="t", source="/s", id=f"bad{n}"))
    kind = n % 8
    if kind == 0:
        return valid[: rng.randrange(1, len(valid) - 1)]  # truncated
    if kind == 1:
        noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        # A line feed would split the line, and "\r" before it reads as a CRLF ending.
        return noise.replace(b"\n", b"").rstrip(b"\r") or b"?"
    if kind == 2:
        return b'{"specversion":"1.0","id":"x","source":"/s"}'  # no type
    if kind == 3:
        return b'{"specversion":"1.0","id":"x","id":"y","source":"/s","type":"t"}'
    if kind == 4:
        return b'{"specversion":"0.3","id":"x","source":"/s","type":"t"}'
    if kind == 5:
        return b"[" * 2000 + b"]" * 2000
    if kind == 6:
        return b'{"specversion":"1.0","id":"x","source":"a b","type":"t","time":"yesterday"}'
    return b"\x00\xff" + str(n).encode()


def test_ten_thousand_malformed_lines_are_dead_lettered(tmp_path: Path) -> None:
    rng = random.Random(7)
    lines = [_malformed(rng, n) for n in range(MALFORMED)]
    valid_ids = {f"ok{n}" for n in range(VALID)}
    for n in range(VALID):
        event = cesdk.CloudEvent(type="t", source="/s", id=f"ok{n}", data={"n": n})
        lines.insert(rng.randrange(len(lines) + 1), json_format.encode(event))
    source, output, dead = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "dead.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    config = tmp_path / "flood.yaml"
    config.write_text(
        PIPELINE.replace("INPUT", str(source))
        .replace("OUTPUT", str(output))
        .replace("DEAD", str(dead))
    )

    done = subprocess.run(
        [sys.executable, "-m", "cesdk", "run", str(config)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    delivered = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert sorted(delivered) == sorted(valid_ids)
    dead_letters = [json.loads(line) for line in dead.read_text().splitlines()]
    assert len(dead_letters) == MALFORMED
    assert {d["type"] for d in dead_letters} == {"dev.cesdk.deadletter.undecodable"}
    kept = sorted(base64.b64decode(d["data_base64"]) for d in dead_letters)
    assert kept == sorted(
        lines[i]
        for i in range(len(lines))
        if not lines[i].startswith(b'{"specversion":"1.0","id":"ok')
    )
