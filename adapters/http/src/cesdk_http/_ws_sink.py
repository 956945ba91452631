"""``WebSocketSink``: send each event as one WebSocket message (websockets-protocol-binding.md)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

import cesdk
from cesdk.bindings import websockets as ws_binding
from cesdk_http._ws_client import (
    ClientOptions,
    WebSocketHandshakeError,
    check_subprotocols,
    describe_close,
    open_connection,
)
from cesdk_http._ws_frames import payload_size

__all__ = ["WebSocketSink"]

_STRUCTURE_MODES = ("binary", "structured")


class WebSocketSink:
    """Send events to a WebSocket server, one structured event per message.

    The sink connects on the first send, offering ``subprotocol`` (one or a list, in
    order of preference); the server's choice decides the format and frame type
    (websockets-protocol-binding.md 1.4, 1.5). A send succeeds once the message is
    written to the connection: the binding has no acknowledgement, so an event written
    just before the connection drops may never be read, and nobody can tell.

    Outcomes: a dropped connection, an unreachable server, a ``408``/``429``/``5xx``
    refusal or a ``send_timeout`` raise ``RetryableDeliveryError`` (the next send
    reconnects); a refused handshake (other ``4xx``), a server that agrees on none of
    the offered subprotocols, an event the format cannot carry, or a message over
    ``max_size`` raise ``PermanentDeliveryError`` with the reason.

    Args:
        url: the server, ``ws://`` or ``wss://``.
        subprotocol: what to offer: ``cloudevents.json`` (text frames),
            ``cloudevents.avro`` or ``cloudevents.proto`` (binary frames), or a list.
        open_timeout: seconds the opening handshake may take.
        send_timeout: seconds one send may wait for the server to read (backpressure);
            ``None`` waits as long as the connection lives. When it fires the
            connection is dropped, and the event may arrive and be sent again.
        ping_interval: seconds between keepalive pings; ``None`` sends none.
        ping_timeout: seconds a pong may take before the connection counts as lost.
        max_size: the largest message sent (and received), in bytes.
        compression: offer permessage-deflate.
        headers: extra handshake headers.
        bearer_token: sent as ``Authorization: Bearer ...`` in the handshake.
        ssl_cafile: trust these CAs instead of the system's (``wss://``).
        ssl_certfile: a client certificate (mutual TLS).
        ssl_keyfile: its private key.
        ssl_verify: verify the server's certificate and host name.
        ssl_context: a ready ``ssl.SSLContext`` (Python only); overrides the ``ssl_*``.

    Example:
        >>> sink = WebSocketSink("wss://events.example.com/in")  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        subprotocol: str | Sequence[str] = "cloudevents.json",
        open_timeout: float = 10.0,
        send_timeout: float | None = None,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_size: int = 1 << 20,
        compression: bool = True,
        headers: Mapping[str, str] | None = None,
        bearer_token: str | None = None,
        ssl_cafile: str | None = None,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        ssl_verify: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not url.lower().startswith(("ws://", "wss://")):
            raise ValueError(f"the WebSocket URL must start with ws:// or wss://, got {url!r}")
        if open_timeout <= 0 or (send_timeout is not None and send_timeout <= 0):
            raise ValueError("open_timeout and send_timeout must be > 0 seconds")
        if max_size < 1:
            raise ValueError("max_size must be at least 1 byte")
        self.url, self.send_timeout, self.max_size = url, send_timeout, max_size
        self.subprotocols = check_subprotocols(subprotocol)
        extra = {k.lower(): v for k, v in (headers or {}).items()}
        if bearer_token:
            extra["authorization"] = f"Bearer {bearer_token}"
        self._options = ClientOptions(
            url=url, subprotocols=self.subprotocols, open_timeout=open_timeout,
            ping_interval=ping_interval, ping_timeout=ping_timeout, max_size=max_size,
            compression=compression, headers=extra, ssl=ssl_context, ssl_cafile=ssl_cafile,
            ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, ssl_verify=ssl_verify,
        )  # fmt: skip
        self._connection: ClientConnection | None = None
        self._lock = asyncio.Lock()
        self.connects = 0

    @classmethod
    def from_url(cls, url: str, *, mode: str | None = None, **options: Any) -> WebSocketSink:
        """Return a sink for ``url`` (what ``cesdk send`` calls for a plugin target).

        ``mode`` may name a subprotocol (``cloudevents.avro``, or just ``avro``); the
        HTTP modes ``binary`` and ``structured`` mean the default, as the binding only
        has structured mode (section 1.3).
        """
        if mode is not None and mode not in _STRUCTURE_MODES:
            options.setdefault(
                "subprotocol", mode if mode.startswith("cloudevents.") else f"cloudevents.{mode}"
            )
        return cls(url, **options)

    def __repr__(self) -> str:
        return f"WebSocketSink({self.url!r}, subprotocol={list(self.subprotocols)!r})"

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol agreed with the server, while connected."""
        connection = self._connection
        return connection.subprotocol if connection is not None else None

    async def __aenter__(self) -> WebSocketSink:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(1000, "the sender is done")

    async def _connect(self) -> ClientConnection:
        async with self._lock:
            current = self._connection
            if current is not None and current.state is State.OPEN:
                return current
            self._connection = None  # closed by the server meanwhile: open a new one
            try:
                connection = await open_connection(self._options)
            except WebSocketHandshakeError as exc:
                if exc.retryable:
                    raise cesdk.RetryableDeliveryError(
                        str(exc), retry_after=exc.retry_after
                    ) from exc
                raise cesdk.PermanentDeliveryError(str(exc)) from exc
            except (OSError, TimeoutError) as exc:
                raise cesdk.RetryableDeliveryError(
                    f"cannot connect to {self.url}: {exc or type(exc).__name__}"
                ) from exc
            self._connection = connection
            self.connects += 1
            return connection

    def _drop(self, connection: ClientConnection) -> None:
        if self._connection is connection:
            self._connection = None

    async def send(self, event: cesdk.CloudEvent) -> None:
        """Send one event as one message; return once it is written.

        Raises:
            cesdk.RetryableDeliveryError: the connection is lost or cannot be opened now.
            cesdk.PermanentDeliveryError: refused handshake, no subprotocol agreed, an
                event the format cannot carry, or a message over ``max_size``.
        """
        connection = await self._connect()
        subprotocol = connection.subprotocol or self.subprotocols[0]
        try:
            frame = ws_binding.to_frame(event, subprotocol)
        except cesdk.EncodeError as exc:
            raise cesdk.PermanentDeliveryError(
                f"event {event.id} cannot be written as {subprotocol}: {exc}"
            ) from exc
        size = payload_size(frame.payload)
        if size > self.max_size:
            raise cesdk.PermanentDeliveryError(
                f"event {event.id} is a {size}-byte {subprotocol} message, over max_size "
                f"{self.max_size}"
            )
        try:
            async with asyncio.timeout(self.send_timeout):
                await connection.send(frame.payload)
        except ConnectionClosed as exc:
            self._drop(connection)
            raise cesdk.RetryableDeliveryError(
                f"the connection to {self.url} closed ({describe_close(exc)}); "
                "reconnecting on the next send"
            ) from exc
        except TimeoutError:
            self._drop(connection)
            connection.transport.abort()
            raise cesdk.RetryableDeliveryError(
                f"{self.url} did not read for {self.send_timeout:g}s (send_timeout); "
                "the connection was dropped"
            ) from None
