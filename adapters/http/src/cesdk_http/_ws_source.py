"""``WebSocketSource``: CloudEvents from WebSocket streams, served (ASGI) or read (client)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import cesdk
from cesdk.bindings import websockets as ws_binding
from cesdk_http._responses import Header, Receive, Scope, Send, problem, respond_problem
from cesdk_http._ws_client import ClientOptions, check_subprotocols
from cesdk_http._ws_frames import decode_frame, payload_size
from cesdk_http._ws_queue import FrameQueue
from cesdk_http._ws_remote import RemoteReader
from cesdk_http._ws_server import WebSocketServer

__all__ = ["WebSocketSource"]

log = logging.getLogger("cesdk.websocket")

GOING_AWAY = 1001
"""Close code of a graceful shutdown (RFC 6455 7.4.1)."""
MESSAGE_TOO_BIG = 1009
"""Close code of a message over ``max_size`` (RFC 6455 7.4.1)."""
NORMAL = 1000


class _Connection:
    """One accepted WebSocket: how to close it once, and when its handler ended."""

    __slots__ = ("closed", "done", "id", "key", "peer", "send", "subprotocol")

    def __init__(self, ident: int, send: Send, peer: str | None, subprotocol: str) -> None:
        self.id, self.send, self.peer, self.subprotocol = ident, send, peer, subprotocol
        self.key = f"{peer or 'websocket'}#{ident}"  # the deliveries' ordering key
        self.closed = False
        self.done = asyncio.Event()

    async def close(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        # A close reason is at most 123 bytes (RFC 6455 5.5.1).
        reason = reason.encode()[:123].decode("utf-8", "ignore")
        with contextlib.suppress(Exception):  # the peer may be gone already
            await self.send({"type": "websocket.close", "code": code, "reason": reason})


def _peer(scope: Scope) -> str | None:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else None


class WebSocketSource:
    """Receive CloudEvents over WebSockets (websockets-protocol-binding.md).

    **Server** (the default): an ASGI application taking WebSocket connections, and,
    run by a pipeline, its own uvicorn server on ``host:port`` (``serve=False`` when
    mounted in another ASGI application). The client offers CloudEvents subprotocols;
    the first one the source accepts wins (section 1.4); with none acceptable the
    handshake is refused with ``400`` and a body naming what to offer, and no
    ``Sec-WebSocket-Protocol`` header. Each message becomes a delivery (``key`` is the
    connection, so ``ordering="delivery"`` keeps each connection's order).

    **Client** (``connect_to="ws://..."``, or ``WebSocketSource.connect(url)``): the
    source connects out, offers ``subprotocols``, reads the events the server sends and
    reconnects with exponential backoff when the connection drops. A refusal that
    retrying cannot fix (4xx, no subprotocol agreed) ends the iteration with
    ``WebSocketHandshakeError``.

    **Backpressure**: at most ``max_pending`` frames wait for the pipeline; when full,
    connections stop reading, so TCP pushes back on senders. No frame is dropped.

    **Acknowledgement**: the binding has none. A frame is settled in the pipeline
    (delivered or dead-lettered) and a nack redelivers it from memory; but the sender
    considers a frame sent once written, so frames still waiting when the source stops
    or the process dies cannot be sent again by anyone (counted in ``dropped``).

    **Bad input**: a frame that is not one event in the agreed format, or of the wrong
    frame type, is a delivery with ``event=None`` and the raw bytes (dead-lettered);
    the connection stays open. A message over ``max_size`` closes it with 1009.

    Args:
        host: the address the standalone server binds.
        port: its TCP port; 0 picks a free one (read ``port`` once entered).
        path: accept connections on this path only; any path when ``None``.
        serve: start the standalone server when entered; ``False`` when mounted.
        subprotocols: the subprotocols accepted (server) or offered, in order of
            preference (client); every installed CloudEvents format by default.
        max_size: the largest message accepted, in bytes (1 MiB).
        max_pending: frames waiting for the pipeline at most.
        max_connections: connections served at once; more are refused with ``503``.
        idle_timeout: seconds a served connection may stay silent before it is closed
            (1000); ``None`` never.
        ping_interval: seconds between keepalive pings; ``None`` sends none.
        ping_timeout: seconds a pong may take before the connection is dropped.
        compression: negotiate permessage-deflate.
        shutdown_timeout: seconds to let connections close when stopping.
        ssl_certfile: serve ``wss://`` with this PEM certificate (chain).
        ssl_keyfile: the certificate's private key.
        connect_to: a ``ws://`` or ``wss://`` URL to read from (client mode).
        headers: extra handshake headers sent in client mode.
        bearer_token: sent as ``Authorization: Bearer ...`` in client mode.
        reconnect_delay: the first reconnect delay of client mode, in seconds.
        reconnect_max_delay: the cap of the reconnect backoff.
        ssl_cafile: client mode: trust these CAs instead of the system's.
        ssl_client_certfile: client mode: a client certificate (mutual TLS).
        ssl_client_keyfile: client mode: its private key.
        ssl_verify: client mode: verify the server's certificate and name.
        ssl_context: client mode: a ready ``ssl.SSLContext`` (Python only).

    Example:
        >>> source = WebSocketSource(port=8765, path="/events")  # doctest: +SKIP
        >>> pipeline = cesdk.Pipeline(source, routes=[cesdk.Route(cesdk.ConsoleSink())])
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        path: str | None = None,
        serve: bool = True,
        subprotocols: Sequence[str] | None = None,
        max_size: int = 1 << 20,
        max_pending: int = 64,
        max_connections: int = 100,
        idle_timeout: float | None = 300.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        compression: bool = True,
        shutdown_timeout: float = 5.0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        connect_to: str | None = None,
        headers: Mapping[str, str] | None = None,
        bearer_token: str | None = None,
        reconnect_delay: float = 0.5,
        reconnect_max_delay: float = 30.0,
        ssl_cafile: str | None = None,
        ssl_client_certfile: str | None = None,
        ssl_client_keyfile: str | None = None,
        ssl_verify: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_size < 1 or max_pending < 1 or max_connections < 1:
            raise ValueError("max_size, max_pending and max_connections must be at least 1")
        if idle_timeout is not None and idle_timeout <= 0:
            raise ValueError("idle_timeout must be > 0 seconds, or None for no limit")
        if reconnect_delay <= 0 or reconnect_max_delay < reconnect_delay:
            raise ValueError("reconnect_delay must be > 0 and reconnect_max_delay >= it")
        if connect_to is not None and not connect_to.lower().startswith(("ws://", "wss://")):
            raise ValueError(f"connect_to must be a ws:// or wss:// URL, got {connect_to!r}")
        self.subprotocols = (
            check_subprotocols(subprotocols)
            if subprotocols is not None
            else ws_binding.supported_subprotocols()
        )
        self.host, self.port, self.path, self.serve = host, port, path, serve
        self.max_size, self.max_connections = max_size, max_connections
        self.idle_timeout, self.shutdown_timeout = idle_timeout, shutdown_timeout
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.compression = compression
        self.ssl_certfile, self.ssl_keyfile = ssl_certfile, ssl_keyfile
        self.connect_to = connect_to
        self.too_big = 0
        self._queue = FrameQueue(max_pending)
        self._connections: dict[int, _Connection] = {}
        self._ids = itertools.count(1)
        self._server: WebSocketServer | None = None
        self._open = False
        self._read = asyncio.Event()
        self._reader: RemoteReader | None = None
        self._reader_task: asyncio.Task[None] | None = None
        if connect_to is not None:
            extra = {k.lower(): v for k, v in (headers or {}).items()}
            if bearer_token:
                extra["authorization"] = f"Bearer {bearer_token}"
            self._reader = RemoteReader(
                ClientOptions(
                    url=connect_to, subprotocols=self.subprotocols, max_size=max_size,
                    ping_interval=ping_interval, ping_timeout=ping_timeout,
                    compression=compression, headers=extra, ssl=ssl_context,
                    ssl_cafile=ssl_cafile, ssl_certfile=ssl_client_certfile,
                    ssl_keyfile=ssl_client_keyfile, ssl_verify=ssl_verify,
                ),
                self._queue,
                reconnect_delay=reconnect_delay,
                reconnect_max_delay=reconnect_max_delay,
            )  # fmt: skip

    @classmethod
    def connect(cls, url: str, **options: Any) -> WebSocketSource:
        """Return a source that connects to ``url`` and reads the events sent there."""
        return cls(connect_to=url, **options)

    def __repr__(self) -> str:
        if self.connect_to is not None:
            return f"WebSocketSource.connect({self.connect_to!r})"
        return f"WebSocketSource(host={self.host!r}, port={self.port}, path={self.path!r})"

    # -- state -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The standalone server's URL (the port is known once entered)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "wss" if self.ssl_certfile else "ws"
        return f"{scheme}://{host}:{self.port}{self.path or '/'}"

    @property
    def connections(self) -> int:
        """Connections open now (served, or 1 while the client mode is connected)."""
        if self._reader is not None:
            return int(self._reader.connected.is_set())
        return len(self._connections)

    @property
    def pending(self) -> int:
        """Frames received and waiting for the pipeline."""
        return len(self._queue)

    @property
    def received(self) -> int:
        """Frames taken from connections so far."""
        return self._queue.received

    @property
    def dropped(self) -> int:
        """Frames that were waiting, or nacked, when the source stopped (see above)."""
        return self._queue.dropped

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Wait until a pipeline reads the source.

        Raises:
            TimeoutError: it was not read within ``timeout`` seconds.
        """
        async with asyncio.timeout(timeout):
            await self._read.wait()

    # -- lifecycle -------------------------------------------------------------------

    async def __aenter__(self) -> WebSocketSource:
        self._queue.start()
        self._open = True
        if self._reader is not None:
            self._reader_task = asyncio.create_task(self._reader.run())
        elif self.serve:
            server = WebSocketServer(
                self, host=self.host, port=self.port, max_size=self.max_size,
                ping_interval=self.ping_interval, ping_timeout=self.ping_timeout,
                compression=self.compression, ssl_certfile=self.ssl_certfile,
                ssl_keyfile=self.ssl_keyfile, shutdown_timeout=self.shutdown_timeout,
            )  # fmt: skip
            try:
                await server.start()
            except BaseException:
                self._open = False
                raise
            self._server = server
            self.port = server.port
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._open = False
        self._queue.stop()
        try:
            if self._reader_task is not None:
                self._reader_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reader_task
            await self._close_connections()
            if self._server is not None:
                await self._server.close()
        finally:
            self._server = None
            self._reader_task = None

    async def _close_connections(self) -> None:
        connections = list(self._connections.values())
        for connection in connections:
            await connection.close(GOING_AWAY, "the server is shutting down")
        if connections:
            waits = [asyncio.ensure_future(c.done.wait()) for c in connections]
            _, pending = await asyncio.wait(waits, timeout=self.shutdown_timeout)
            for wait in pending:
                wait.cancel()

    async def __aiter__(self) -> AsyncIterator[cesdk.Delivery]:
        self._read.set()
        try:
            async for delivery in self._queue.deliveries():
                yield delivery
        finally:
            self._read.clear()

    # -- ASGI ------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        kind = scope["type"]
        if kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "http":
            await respond_problem(
                send, 426, "this endpoint takes WebSocket connections (Upgrade: websocket) "
                f"with a CloudEvents subprotocol: {', '.join(self.subprotocols)}",
                headers=[(b"upgrade", b"websocket")],
            )  # fmt: skip
        elif kind == "lifespan":
            await _lifespan(receive, send)

    def _relative_path(self, scope: Scope) -> str:
        path: str = scope.get("path", "/")
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        return path

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        path = self._relative_path(scope)
        offered: list[str] = list(scope.get("subprotocols") or ())
        if self.path is not None and path != self.path:
            await _refuse(scope, send, 404, f"no WebSocket events are taken at {path}")
            return
        if not self._open or self._queue.stopping:
            await _refuse(
                scope, send, 503, "the source is not taking events now; retry later",
                [(b"retry-after", b"1")],
            )  # fmt: skip
            return
        if len(self._connections) >= self.max_connections:
            await _refuse(
                scope, send, 503,
                f"{self.max_connections} connections are open, the most taken; retry later",
                [(b"retry-after", b"1")],
            )  # fmt: skip
            return
        chosen = ws_binding.negotiate(offered, self.subprotocols)
        if chosen is None:
            what = ", ".join(offered) if offered else "no subprotocol"
            await _refuse(
                scope, send, 400,
                f"the client offered {what}; offer one of {', '.join(self.subprotocols)} in "
                "Sec-WebSocket-Protocol (websockets-protocol-binding.md 1.4)",
            )  # fmt: skip
            return
        connection = _Connection(next(self._ids), send, _peer(scope), chosen)
        self._connections[connection.id] = connection
        try:
            await send({"type": "websocket.accept", "subprotocol": chosen})
            await self._read_frames(connection, receive, path)
        finally:
            del self._connections[connection.id]
            connection.done.set()

    async def _read_frames(self, connection: _Connection, receive: Receive, path: str) -> None:
        queue, idle = self._queue, self.idle_timeout
        while True:
            try:
                async with asyncio.timeout(idle):
                    message = await receive()
            except TimeoutError:
                await connection.close(NORMAL, f"idle for {idle:g}s")
                return
            if message["type"] != "websocket.receive":
                return  # websocket.disconnect
            text: str | None = message.get("text")
            payload: str | bytes = text if text is not None else (message.get("bytes") or b"")
            size = payload_size(payload)
            if size > self.max_size:
                self.too_big += 1
                log.warning(
                    "cesdk websocket: %s sent a %d-byte message, over max_size %d; closing 1009",
                    connection.peer, size, self.max_size,
                )  # fmt: skip
                await connection.close(
                    MESSAGE_TOO_BIG, f"message of {size} bytes exceeds max_size {self.max_size}"
                )
                return
            frame = decode_frame(
                queue, payload, connection.subprotocol,
                key=connection.key, peer=connection.peer, path=path,
            )  # fmt: skip
            if not await queue.put(frame):
                await connection.close(GOING_AWAY, "the server is shutting down")
                return


async def _refuse(
    scope: Scope, send: Send, status: int, detail: str, headers: Sequence[Header] = ()
) -> None:
    """Refuse a handshake with an HTTP answer, or a plain close where that is unsupported."""
    if "websocket.http.response" in (scope.get("extensions") or {}):
        body = problem(status, detail)
        await send(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    *headers,
                ],
            }
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:  # the server answers 403; the reason is for its logs
        log.warning("cesdk websocket: refusing a handshake: %s", detail)
        await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})


async def _lifespan(receive: Receive, send: Send) -> None:
    # Served as the root application of someone else's server: nothing to set up.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
