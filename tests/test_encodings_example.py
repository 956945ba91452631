"""examples/encodings.py (one event in every form): it must succeed and show every form."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "examples" / "encodings.py"
FORMS = (
    "JSON format",
    "HTTP binary",
    "HTTP structured",
    "Kafka binary",
    "Kafka structured",
    "NATS binary",
    "NATS structured",
)


@pytest.fixture(scope="module")
def output() -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    return done.stdout


@pytest.mark.parametrize("form", FORMS)
def test_each_form_round_trips(output: str, form: str) -> None:
    assert f"check  {form:<17}  decoded == original: True" in output
    assert f"  {form:<17}  equal" in output


def test_invalid_event_lists_every_problem(output: str) -> None:
    for name in ("source", "type", "time", "Trace-Id", "restarts"):
        assert f"\n  {name} " in output


def test_malformed_http_message_raises_decode_error(output: str) -> None:
    assert "DecodeError: content type 'application/json' declares JSON" in output


def test_output_is_plain_text(output: str) -> None:
    assert "\x1b[" not in output


def test_docs_show_the_current_output(output: str) -> None:
    shown = (Path(__file__).parents[1] / "docs" / "snippets" / "encodings_output.txt").read_text()
    assert shown == output, (
        "docs/snippets/encodings_output.txt is stale; regenerate it with "
        "`uv run python examples/encodings.py > docs/snippets/encodings_output.txt`"
    )
