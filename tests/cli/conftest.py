"""Run the ``cesdk`` command in a subprocess, and a ``cesdk listen`` receiver."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_processes import Listener, cesdk_env, start_listener


@pytest.fixture
def env_with() -> Callable[..., dict[str, str]]:
    """Return ``cesdk_env``: the test environment plus the given variables."""
    return cesdk_env


@pytest.fixture
def cesdk(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Return a function running ``python -m cesdk ARGS`` in ``tmp_path``."""

    def run(
        *args: str, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cesdk", *args],
            cwd=tmp_path,
            env=env or cesdk_env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Return a function that writes dedented YAML into ``tmp_path``."""

    def write(text: str, name: str = "pipeline.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A ``cesdk listen --format json`` receiver; stopped after the test."""
    running = start_listener("--format", "json")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.communicate(timeout=20)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Listener]:
    """A ``cesdk listen`` shared by a module's tests that only look at the answers."""
    running = start_listener("--format", "json")
    yield running
    running.stop()
