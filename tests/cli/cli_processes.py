"""Subprocesses of the ``cesdk`` command for the CLI tests: environment and receiver."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass


def cesdk_env(**extra: str) -> dict[str, str]:
    """Return an environment for the command: no colours, no inherited plugin blocks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CESDK_")}
    env.update(extra)
    return env


def read_line(process: subprocess.Popen[str], *, timeout: float = 20.0) -> str:
    """Read one line of the process's standard error, failing after ``timeout`` seconds."""
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(deadline - time.monotonic()):
                return process.stderr.readline()
    raise TimeoutError(f"no line from the process within {timeout}s")


@dataclass
class Listener:
    """A running ``cesdk listen``."""

    process: subprocess.Popen[str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> tuple[int, str, str]:
        """Stop it with SIGTERM; return its exit status, standard output and error."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=20)
        return self.process.returncode, out, err


def start_listener(*args: str) -> Listener:
    """Start ``cesdk listen --port 0 ARGS`` and wait for the port it announces."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cesdk", "listen", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cesdk_env(),
    )
    line = read_line(process)
    # "cesdk listen: listening on http://127.0.0.1:PORT/ (Ctrl-C to stop)"
    assert "listening on http://127.0.0.1:" in line, line
    port = int(line.split("127.0.0.1:", 1)[1].split("/", 1)[0])
    return Listener(process, port)
