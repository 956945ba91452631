"""``cesdk replay``: dead letters go back through the pipeline, resuming where they failed
(DESIGN.md "Delivery semantics": dead letters and replay)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cesdk = Callable[..., subprocess.CompletedProcess[str]]
WriteConfig = Callable[..., Path]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run, once, a pipeline whose `alerts` route fails every send; return its folder."""
    folder = tmp_path_factory.mktemp("failed-run")
    lines = [
        json.dumps({"specversion": "1.0", "id": f"e{i}", "source": "/k8s", "type": "warn"})
        for i in range(4)
    ]
    (folder / "input.jsonl").write_text("\n".join([*lines, "this line is not an event", ""]))
    (folder / "failing.yaml").write_text(
        textwrap.dedent(
            """
            source: {use: file, path: input.jsonl}
            routes:
              - {name: archive, use: file, path: archive.jsonl}
              - {name: alerts, use: file, path: /dev/full, retry: 0}
            dead_letter: {use: file, path: dead.jsonl}
            """
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "cesdk", "run", "failing.yaml"],
        cwd=folder, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "deadlettered=5" in done.stderr  # four sends and one undecodable line
    return folder


@pytest.fixture
def dead(failed_run: Path, tmp_path: Path) -> Path:
    """A copy of the dead-letter file of ``failed_run`` in this test's folder."""
    return Path(shutil.copy(failed_run / "dead.jsonl", tmp_path / "dead.jsonl"))


FIXED = """
source: {use: file, path: unused.jsonl}
routes:
  - {name: archive, use: file, path: archive2.jsonl}
  - {name: alerts, use: file, path: alerts.jsonl}
dead_letter: {use: file, path: dead-again.jsonl}
"""


def test_replay_resends_to_the_failed_route_only(
    cesdk: Cesdk, write_config: WriteConfig, tmp_path: Path, dead: Path
) -> None:
    config = write_config(FIXED, name="fixed.yaml")
    done = cesdk("replay", str(dead), "--to", str(config))
    assert done.returncode == 0, done.stderr
    alerts = read_jsonl(tmp_path / "alerts.jsonl")
    assert sorted(e["id"] for e in alerts) == ["e0", "e1", "e2", "e3"]
    # The deadletter* extensions are gone: the original events are delivered.
    assert all(not any(k.startswith("deadletter") for k in e) for e in alerts)
    assert all("cesdkreplay" not in e for e in alerts)
    # The archive route delivered the first time; replay does not send it again.
    assert not (tmp_path / "archive2.jsonl").read_text()
    summary = done.stderr.strip().splitlines()[-1]
    assert summary == (
        "cesdk replay: 5 read, 4 delivered, 0 dead-lettered again, 1 skipped (1 undecodable)"
    )


def test_replay_that_fails_again_exits_1(
    cesdk: Cesdk, write_config: WriteConfig, tmp_path: Path, dead: Path
) -> None:
    still_failing = FIXED.replace("path: alerts.jsonl", "path: /dev/full, retry: 0")
    config = write_config(still_failing, name="still.yaml")
    done = cesdk("replay", str(dead), "--to", str(config), "--dead-letter", "again.jsonl")
    assert done.returncode == 1
    assert "4 dead-lettered again" in done.stderr
    again = read_jsonl(tmp_path / "again.jsonl")
    assert sorted(e["id"] for e in again) == ["e0", "e1", "e2", "e3"]
    assert {e["deadletterattempts"] for e in again} == {1}


def test_replay_runs_route_steps_again_when_they_failed(
    cesdk: Cesdk, write_config: WriteConfig, tmp_path: Path
) -> None:
    (tmp_path / "shaping.py").write_text(
        "def broken(event):\n    raise RuntimeError('template missing')\n\n"
        "def shape(event):\n    return event.replace(subject='shaped')\n"
    )
    first = write_config(
        """
        source: {use: generator, count: 2}
        routes:
          - {name: notify, use: file, path: first.jsonl, steps: ["shaping:broken"]}
        dead_letter: {use: file, path: dead.jsonl}
        """,
        name="first.yaml",
    )
    assert cesdk("run", str(first)).returncode == 0
    dead = read_jsonl(tmp_path / "dead.jsonl")
    assert {(d["deadlettersink"], d["deadletterattempts"]) for d in dead} == {("notify", 0)}
    second = write_config(
        """
        source: generator
        routes:
          - {name: notify, use: file, path: second.jsonl, steps: ["shaping:shape"]}
        dead_letter: {use: file, path: dead2.jsonl}
        """,
        name="second.yaml",
    )
    done = cesdk("replay", "dead.jsonl", "--to", str(second))
    assert done.returncode == 0, done.stderr
    delivered = read_jsonl(tmp_path / "second.jsonl")
    assert sorted(e["id"] for e in delivered) == ["gen-0", "gen-1"]
    assert {e["subject"] for e in delivered} == {"shaped"}


def test_replay_refuses_to_append_to_the_file_it_reads(
    cesdk: Cesdk, write_config: WriteConfig, tmp_path: Path
) -> None:
    (tmp_path / "dead.jsonl").write_text("")
    config = write_config(FIXED.replace("dead-again.jsonl", "dead.jsonl"), name="loop.yaml")
    done = cesdk("replay", "dead.jsonl", "--to", str(config))
    assert done.returncode == 2
    assert "the file being replayed" in done.stderr


def test_replay_usage_errors(cesdk: Cesdk, write_config: WriteConfig) -> None:
    missing = cesdk("replay", "absent.jsonl", "--to", "absent.yaml")
    assert missing.returncode == 2
    assert "absent.jsonl" in missing.stderr
    config = write_config("source: generator\n", name="bad.yaml")
    (config.parent / "dead.jsonl").write_text("")
    invalid = cesdk("replay", "dead.jsonl", "--to", str(config))
    assert invalid.returncode == 2
    assert f"{config}:" in invalid.stderr
