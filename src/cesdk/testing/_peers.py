"""Real peers started on free loopback ports, for tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

__all__ = [
    "RedisServer",
    "free_port",
    "peer_missing",
    "port_open",
    "stop_process",
    "until",
    "wait_until",
]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0, what: str = "") -> None:
    """Poll ``condition`` until it is true.

    Raises:
        TimeoutError: it stayed false for ``timeout`` seconds; the message names ``what``.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what or condition}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


async def until(
    condition: Callable[[], bool | Awaitable[bool]], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Wait, without blocking the event loop, until ``condition`` holds.

    ``condition`` may be sync or async; it is polled with a growing pause.

    Raises:
        TimeoutError: it stayed false for ``timeout`` seconds; the message names ``what``.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what or condition}")
        await asyncio.sleep(delay)  # polling a condition, with a deadline
        delay = min(delay * 2, 0.05)


def peer_missing(binary: str, how: str) -> str:
    """Return the message for a missing peer binary; under ``CI=true`` it is an error.

    Raises:
        RuntimeError: ``CI`` is set, so a missing peer must fail the run, not skip it.
    """
    message = f"{binary} is not installed ({how})"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(f"{message}; CI=true forbids skipping")
    return message


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether something accepts TCP connections on ``host:port`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """Stop a peer process: SIGTERM, then SIGKILL if it is still there after ``grace`` s."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    """A real ``redis-server`` on a free loopback port, in a temporary folder.

    Example:
        >>> with RedisServer() as redis:  # doctest: +SKIP
        ...     print(redis.url)
    """

    def __init__(self, binary: str = "redis-server") -> None:
        path = shutil.which(binary)
        if path is None:
            raise FileNotFoundError(peer_missing(binary, "apt-get install redis-server"))
        self.binary = path
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = Path(tempfile.mkdtemp(prefix="cesdk-redis-"))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        """Start the server and wait until it accepts connections."""
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self._dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: port_open(self.port), timeout=15, what=f"redis on {self.port}")
        return self

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self._process is not None:
            stop_process(self._process)
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
