"""A real RabbitMQ broker, started as a plain process on free loopback ports, for tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from cesdk.testing import free_port, peer_missing, port_open, wait_until

__all__ = ["RabbitMQServer", "amqp_handshake", "find_rabbitmq_server"]

# Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user and its folders;
# the script it wraps runs the broker as whoever starts it, with our environment.
_SCRIPT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
_EPMD_DIRS = ("/usr/bin", "/usr/lib/erlang/bin")
# AMQP 0-9-1 protocol header (section 4.2.2 of the 0-9-1 specification).
_PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"


def find_rabbitmq_server() -> str:
    """Return the path of the ``rabbitmq-server`` start script.

    Raises:
        FileNotFoundError: not installed (under ``CI=true``: ``RuntimeError``).
    """
    if _SCRIPT.exists():
        return str(_SCRIPT)
    path = shutil.which("rabbitmq-server")
    if path is None:
        raise FileNotFoundError(peer_missing("rabbitmq-server", "apt-get install rabbitmq-server"))
    return path


def _find_epmd() -> str | None:
    found = shutil.which("epmd")
    if found:
        return found
    for folder in _EPMD_DIRS:
        candidate = Path(folder) / "epmd"
        if candidate.exists():
            return str(candidate)
    return None


def amqp_handshake(port: int, host: str = "127.0.0.1", timeout: float = 2.0) -> bool:
    """Tell whether an AMQP 0-9-1 broker answers the protocol header with Connection.Start.

    An open port is not enough: RabbitMQ opens its listener before it can serve
    connections, and during boot it closes them at once.
    """
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(_PROTOCOL_HEADER)
            frame = sock.recv(7)
    except OSError:
        return False
    # A method frame (type 1) on channel 0: the broker's Connection.Start.
    return len(frame) == 7 and frame[0] == 1 and frame[1:3] == b"\x00\x00"


class RabbitMQServer:
    """RabbitMQ on free loopback ports, its database and logs in a temporary folder.

    Everything the broker needs is this instance's own: the AMQP port, the Erlang
    distribution port, an ``epmd`` on a port of its own (so parallel test workers and
    a system ``epmd`` never meet), a node name ``cesdk-<port>@localhost``, a config
    file, and a ``HOME`` for the Erlang cookie. The user ``guest`` (password
    ``guest``) may connect over loopback.

    ``stop`` and ``start`` again (or ``restart``) keep the ports and the database, so
    durable queues and persistent messages survive, as on a broker restart. ``close``
    (or leaving the ``with`` block) stops it and removes the folder.

    With ``amqp10=True`` the ``rabbitmq_amqp1_0`` plugin is enabled: the same port
    then speaks AMQP 1.0 as well (a client's protocol header picks the protocol).

    Attributes:
        port: the AMQP port on 127.0.0.1 (0-9-1, and 1.0 with ``amqp10``).
        url: ``amqp://guest:guest@127.0.0.1:<port>/``.
        start_seconds: how long the last ``start`` took until the broker answered.

    Example:
        >>> with RabbitMQServer() as broker:  # doctest: +SKIP
        ...     print(broker.url)
    """

    def __init__(
        self, script: str | None = None, *, start_timeout: float = 60.0, amqp10: bool = False
    ) -> None:
        self.script = script or find_rabbitmq_server()
        self.amqp10 = amqp10
        self.start_timeout = start_timeout
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.node = f"cesdk-{self.port}@localhost"
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.start_seconds: float | None = None
        self.home = Path(tempfile.mkdtemp(prefix="cesdk-rabbitmq-"))
        self.log_file = self.home / "broker.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._epmd: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        (self.home / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "log.console = true\n"
            "log.console.level = warning\n"
            "log.file = false\n"
        )
        # The AMQP 1.0 plugin of RabbitMQ 3.x serves 1.0 on the 0-9-1 listener's port,
        # telling the two apart by the protocol header a client sends.
        plugins = "[rabbitmq_amqp1_0]" if self.amqp10 else "[]"
        (self.home / "enabled_plugins").write_text(f"{plugins}.\n")

    def _environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("RABBITMQ_")}
        env.update(
            HOME=str(self.home),
            ERL_EPMD_PORT=str(self.epmd_port),
            ERL_EPMD_ADDRESS="127.0.0.1",
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_CONFIG_FILE=str(self.home / "rabbitmq"),
            RABBITMQ_ADVANCED_CONFIG_FILE=str(self.home / "advanced.config"),
            RABBITMQ_CONF_ENV_FILE=str(self.home / "rabbitmq-env.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.home / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(self.home / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.home / "log"),
            RABBITMQ_PLUGINS_EXPAND_DIR=str(self.home / "plugins-expand"),
            RABBITMQ_PID_FILE=str(self.home / "broker.pid"),
            # The Erlang distribution listens on loopback only.
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}",
        )
        return env

    @property
    def running(self) -> bool:
        """Whether the broker process is up."""
        return self._process is not None and self._process.poll() is None

    def _log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _start_epmd(self, env: dict[str, str]) -> None:
        # Our own epmd, as a child we can stop: the one the broker would start
        # itself daemonises and would outlive the test run.
        epmd = _find_epmd()
        if epmd is None or (self._epmd is not None and self._epmd.poll() is None):
            return
        self._epmd = subprocess.Popen(
            [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(lambda: port_open(self.epmd_port), timeout=10, what="epmd")

    def start(self) -> RabbitMQServer:
        """Start the broker and wait until it answers an AMQP handshake.

        Raises:
            RuntimeError: the broker exited, or did not answer within ``start_timeout``;
                the message holds the end of its log.
        """
        if self.running:
            return self
        began = time.monotonic()
        env = self._environment()
        self._start_epmd(env)
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                [self.script],
                env=env,
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() ends all of it
            )
        process = self._process

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(
                    f"rabbitmq-server exited with {process.returncode}:\n{self._log_tail()}"
                )
            return port_open(self.port) and amqp_handshake(self.port)

        try:
            wait_until(ready, timeout=self.start_timeout, what=f"RabbitMQ on {self.port}")
        except TimeoutError as exc:
            self.stop()
            raise RuntimeError(f"{exc}; broker log:\n{self._log_tail()}") from exc
        self.start_seconds = time.monotonic() - began
        return self

    def _signal(self, process: subprocess.Popen[bytes], sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)

    def stop(self, *, grace: float = 15.0) -> None:
        """Stop the broker (SIGTERM to its process group, then SIGKILL); keep its database."""
        process, self._process = self._process, None
        if process is not None:
            self._signal(process, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait()
            # The shell script is gone; the VM of its group may take a moment longer.
            self._signal(process, signal.SIGKILL)
        wait_until(lambda: not port_open(self.port), timeout=10, what="the AMQP port to close")

    def kill(self) -> None:
        """End the broker at once (SIGKILL), as a crash would; keep its database."""
        process, self._process = self._process, None
        if process is not None:
            self._signal(process, signal.SIGKILL)
            process.wait()
        wait_until(lambda: not port_open(self.port), timeout=10, what="the AMQP port to close")

    def restart(self) -> RabbitMQServer:
        """Stop and start again on the same ports with the same database."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop the broker and its epmd, and remove the folder."""
        self.stop()
        epmd, self._epmd = self._epmd, None
        if epmd is not None:
            self._signal(epmd, signal.SIGKILL)
            epmd.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> RabbitMQServer:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
