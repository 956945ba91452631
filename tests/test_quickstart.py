"""`make quickstart` runs examples/quickstart.py: the main job on loopback must work.

It runs ``cesdk run examples/quickstart.yaml`` (HTTP source, filter, dedup, webhook and
console sinks, dead letter file) against ``cesdk listen``, sends events with
``cesdk send``, and checks what was delivered, deduplicated and dead-lettered.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "examples" / "quickstart.py"


@pytest.fixture(scope="module")
def output() -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    return done.stdout


def test_every_check_passes(output: str) -> None:
    checks = output.split("\nChecks\n", 1)[1]
    assert "FAILED" not in checks
    assert checks.count(" ok") == 5


def test_events_are_answered_after_settlement(output: str) -> None:
    assert output.count("-> 204 No Content") == 4
    assert "bad-1 an invalid event         -> 400 Bad Request" in output
    assert "problem body: attribute 'time'" in output


def test_only_warnings_reach_the_sinks_once_each(output: str) -> None:
    webhook = output.split("The webhook receiver got", 1)[1].split("The console sink", 1)[0]
    console = output.split("The console sink printed", 1)[1].split("Counters", 1)[0]
    for shown in (webhook, console):
        assert shown.count("id  w-1") == 1  # the duplicate was suppressed
        assert shown.count("id  w-2") == 1
        assert "n-1" not in shown  # the filter dropped the normal event


def test_counters(output: str) -> None:
    for line in (
        "  received      5",
        "  delivered     4",
        "  deduplicated  2",
        "  deadlettered  1",
        "  dropped       1",
    ):
        assert line in output.splitlines()


def test_invalid_request_is_dead_lettered_with_its_bytes(output: str) -> None:
    assert "  type    dev.cesdk.deadletter.undecodable" in output
    assert '  data    {"reason": "BackOff"} (the request body, kept as it came)' in output


def test_output_is_plain_text(output: str) -> None:
    assert "\x1b[" not in output


def test_docs_show_the_current_output(output: str) -> None:
    shown = (ROOT / "docs" / "snippets" / "quickstart_output.txt").read_text()
    assert shown == output, (
        "docs/snippets/quickstart_output.txt is stale; regenerate it with "
        "`uv run python examples/quickstart.py > docs/snippets/quickstart_output.txt`"
    )


def test_docs_show_the_pipeline_file() -> None:
    shown = (ROOT / "docs" / "snippets" / "quickstart.yaml").read_text()
    assert shown == (ROOT / "examples" / "quickstart.yaml").read_text(), (
        "docs/snippets/quickstart.yaml must be a copy of examples/quickstart.yaml"
    )


def test_readme_shows_lines_of_the_current_output(output: str) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## What `make quickstart` shows", 1)[1]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    lines = set(output.splitlines())
    stale = [line for line in block.splitlines() if "[...]" not in line and line not in lines]
    assert not stale, f"README.md shows lines the quickstart no longer prints: {stale}"
