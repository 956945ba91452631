"""Connections to the SMTP server: TLS settings and a small pool that reuses them.

A connection is opened when a send needs one and none is idle, kept for the next send,
checked with NOOP after a quiet spell, closed after ``idle_timeout`` seconds of
silence or ``max_messages`` mails, and replaced when the server dropped it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import ssl
import time
from dataclasses import dataclass, field
from typing import Literal

import aiosmtplib

__all__ = ["Connection", "ConnectionPool", "TlsMode", "resolve_tls", "tls_context"]

log = logging.getLogger("cesdk.smtp")

TlsMode = Literal["starttls", "implicit", "none"]
_MODES = ("starttls", "implicit", "none")
_DEFAULT_PORTS = {"implicit": 465, "starttls": 587, "none": 25}

NOOP_AFTER = 15.0
"""Seconds of silence after which a pooled connection is checked with NOOP before use."""


def resolve_tls(tls: str | None, port: int | None) -> tuple[TlsMode, int]:
    """The TLS mode and port: ``tls`` by default ``implicit`` on 465, else ``starttls``.

    Raises:
        ValueError: an unknown mode.
    """
    if tls is None:
        mode: TlsMode = "implicit" if port == 465 else "starttls"
    elif tls in _MODES:
        mode = tls  # type: ignore[assignment]  # checked against _MODES
    else:
        raise ValueError(f"tls must be one of {', '.join(_MODES)}, got {tls!r}")
    return mode, port if port is not None else _DEFAULT_PORTS[mode]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine (``localhost`` or a loopback address)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=2)
def _system_context(verify: bool) -> ssl.SSLContext:
    # Loading the system's CAs takes a while; sinks share one context (it is not changed).
    return _new_context(verify=verify, ca_file=None)


def tls_context(*, verify: bool, ca_file: str | None) -> ssl.SSLContext:
    """A client context: the system's CAs (or ``ca_file``), host names checked.

    Raises:
        ValueError: ``ca_file`` cannot be read as PEM certificates.
    """
    if ca_file is None:
        return _system_context(verify)
    return _new_context(verify=verify, ca_file=ca_file)


def _new_context(*, verify: bool, ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca_file is not None:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(
                f"ca_file {ca_file!r} cannot be loaded as PEM certificates: {exc}"
            ) from exc
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(eq=False)
class Connection:
    """One open SMTP session and how much it has been used."""

    client: aiosmtplib.SMTP
    number: int
    opened: float = field(default_factory=time.monotonic)
    last_used: float = field(default_factory=time.monotonic)
    sent: int = 0
    reused: bool = False


@dataclass(frozen=True)
class Settings:
    """How to open a connection (the password is kept out of ``repr``)."""

    host: str
    port: int
    tls: TlsMode
    context: ssl.SSLContext | None
    username: str | None
    password: str | None = field(repr=False)
    timeout: float
    local_hostname: str | None


class ConnectionPool:
    """Up to ``size`` connections, each used by one transaction at a time.

    Args:
        settings: how to connect.
        size: connections at most.
        idle_timeout: close a connection silent this long instead of reusing it.
        max_messages: mails per connection before it is closed and replaced.
    """

    def __init__(
        self, settings: Settings, *, size: int, idle_timeout: float, max_messages: int
    ) -> None:
        self.settings = settings
        self.size, self.idle_timeout, self.max_messages = size, idle_timeout, max_messages
        self._idle: list[Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._quitting: set[asyncio.Task[None]] = set()
        self.opened = 0
        """Connections opened so far (for logs and tests)."""

    @property
    def server(self) -> str:
        """``host:port``, for messages."""
        return f"{self.settings.host}:{self.settings.port}"

    async def _connect(self) -> Connection:
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            local_hostname=s.local_hostname,
            timeout=s.timeout,
            use_tls=s.tls == "implicit",
            start_tls=s.tls == "starttls",
            tls_context=s.context,
        )
        await client.connect()
        if client.is_ehlo_or_helo_needed:
            await client.ehlo()
        self.opened += 1
        log.debug("connected to %s (connection %d, tls=%s)", self.server, self.opened, s.tls)
        return Connection(client, self.opened)

    async def acquire(self) -> Connection:
        """A connection for one transaction: an idle one that still works, or a new one.

        Raises:
            Exception: whatever connecting raised (aiosmtplib, ssl, OS errors).
        """
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        await self._slots.acquire()
        try:
            while self._idle:
                conn = self._idle.pop()
                if await self._usable(conn):
                    conn.reused = True
                    return conn
            return await self._connect()
        except BaseException:
            self._slots.release()
            raise

    async def _usable(self, conn: Connection) -> bool:
        if not conn.client.is_connected:
            return False
        quiet = time.monotonic() - conn.last_used
        if quiet > self.idle_timeout:
            await self._quit(conn)
            return False
        if quiet > NOOP_AFTER:
            try:
                await conn.client.noop()
            except (aiosmtplib.SMTPException, OSError):
                conn.client.close()
                return False
        return True

    def release(self, conn: Connection, *, healthy: bool) -> None:
        """Return ``conn`` after a transaction; ``healthy=False`` closes it."""
        conn.last_used = time.monotonic()
        if healthy and conn.client.is_connected and conn.sent < self.max_messages:
            self._idle.append(conn)
        elif conn.client.is_connected:
            if healthy:  # used up: say goodbye politely, in the background
                task = asyncio.get_running_loop().create_task(self._quit(conn))
                self._quitting.add(task)
                task.add_done_callback(self._quitting.discard)
            else:
                conn.client.close()
        if self._slots is not None:
            self._slots.release()

    @staticmethod
    async def _quit(conn: Connection) -> None:
        try:
            await asyncio.wait_for(conn.client.quit(), 2.0)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            pass
        finally:
            conn.client.close()

    async def close(self) -> None:
        """QUIT every idle connection."""
        idle, self._idle = self._idle, []
        with contextlib.suppress(Exception):
            await asyncio.gather(*(self._quit(conn) for conn in idle), *self._quitting)
        self._slots = None
