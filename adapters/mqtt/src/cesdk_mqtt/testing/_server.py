"""A real Mosquitto broker on a free loopback port, for tests."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from cesdk.testing import free_port, peer_missing, port_open, stop_process, wait_until

__all__ = ["MosquittoServer", "find_mosquitto"]

# Debian and Homebrew put the broker in an sbin folder, often not on a user's PATH.
_PLACES = ("/usr/sbin", "/usr/local/sbin", "/opt/homebrew/sbin")


def find_mosquitto(binary: str = "mosquitto") -> str:
    """Return the path of ``mosquitto``: on ``PATH`` or where packages put it (``/usr/sbin``).

    Raises:
        FileNotFoundError: not installed (under ``CI=true``: ``RuntimeError``).
    """
    candidates = (os.path.join(folder, binary) for folder in _PLACES)
    path = shutil.which(binary) or next((p for p in candidates if os.access(p, os.X_OK)), None)
    if path is None:
        raise FileNotFoundError(peer_missing(binary, "apt-get install mosquitto"))
    return path


class MosquittoServer:
    """``mosquitto -c <conf>`` on a free loopback port, anonymous, with persistence on.

    ``stop`` and ``start`` again (or ``restart``) keep the port and the persistence
    file: persistent sessions and the QoS 1 messages queued for them survive, as on a
    broker restart. ``close`` (or leaving the ``with`` block) stops it and removes its
    folder. The system service that Debian's package may start is not used.

    Args:
        acl: the text of an ACL file (``topic readwrite events/#`` lines); ``None``
            allows every topic.
        max_packet_size: the largest packet the broker accepts, told to MQTT 5
            clients in the CONNACK.
        config: further ``mosquitto.conf`` lines.
        tls: ``(certfile, keyfile)``: listen with TLS instead of plain TCP.
        users: user names and passwords; when given, anonymous clients are refused
            (the password file is written with ``mosquitto_passwd``).

    Example:
        >>> with MosquittoServer() as broker:  # doctest: +SKIP
        ...     print(broker.url)
    """

    def __init__(
        self,
        *,
        acl: str | None = None,
        max_packet_size: int | None = None,
        config: Sequence[str] = (),
        tls: tuple[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        binary: str = "mosquitto",
    ) -> None:
        self.binary = find_mosquitto(binary)
        self.host = "127.0.0.1"
        self.port = free_port()
        self.tls = tls
        self.url = f"{'mqtts' if tls else 'mqtt'}://{self.host}:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="cesdk-mosquitto-"))
        self.log_file = self.folder / "mosquitto.log"
        lines = [
            f"listener {self.port} {self.host}",
            f"allow_anonymous {'false' if users else 'true'}",
            "persistence true",
            f"persistence_location {self.folder}/",
            # Tests queue thousands of QoS 1 messages for an offline session.
            "max_queued_messages 100000",
            "max_inflight_messages 100",
            f"log_dest file {self.log_file}",
            # Run as whoever we are: the default drops root to a "mosquitto" user,
            # which cannot write this folder.
            f"user {pwd.getpwuid(os.getuid()).pw_name}",
        ]
        if acl is not None:
            acl_file = self.folder / "acl"
            acl_file.write_text(acl + "\n")
            lines.append(f"acl_file {acl_file}")
        if users:
            self._write_passwords(users)
            lines.append(f"password_file {self.folder / 'passwords'}")
        if max_packet_size is not None:
            lines.append(f"max_packet_size {max_packet_size}")
        if tls is not None:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        lines += list(config)
        self.config_file = self.folder / "mosquitto.conf"
        self.config_file.write_text("\n".join(lines) + "\n")
        self._process: subprocess.Popen[bytes] | None = None

    def _write_passwords(self, users: Mapping[str, str]) -> None:
        tool = shutil.which("mosquitto_passwd") or str(
            Path(self.binary).parent / "mosquitto_passwd"
        )
        passwords = self.folder / "passwords"
        passwords.touch(mode=0o600)
        for user, password in users.items():
            subprocess.run([tool, "-b", str(passwords), user, password], check=True)

    @property
    def running(self) -> bool:
        """Whether the broker process is up."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> MosquittoServer:
        """Start the broker and wait until it accepts connections."""
        if self.running:
            return self
        self._process = subprocess.Popen(
            [self.binary, "-c", str(self.config_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        process = self._process

        def up() -> bool:
            if process.poll() is not None:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"mosquitto exited with {process.returncode}: {err.strip()}")
            return port_open(self.port, self.host)

        wait_until(up, timeout=15, what=f"mosquitto on {self.port}")
        return self

    def stop(self) -> None:
        """Stop the broker (SIGTERM: it writes its persistence file); the folder stays."""
        if self._process is not None:
            stop_process(self._process)
            if self._process.stderr is not None:
                self._process.stderr.close()
            self._process = None
        wait_until(
            lambda: not port_open(self.port, self.host), timeout=10, what="the port to close"
        )

    def restart(self) -> MosquittoServer:
        """Stop and start again on the same port with the same persistence file."""
        self.stop()
        return self.start()

    def log(self) -> str:
        """Return what the broker logged so far."""
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def close(self) -> None:
        """Stop the broker and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> MosquittoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
