"""The standalone WebSocket server: uvicorn with the ``websockets`` sans-I/O protocol.

Uvicorn's ``websockets-sansio`` protocol stops reading a connection's socket while a
message waits for the application, which is what turns a full queue into TCP
backpressure on the sender; its ``ws_max_size`` closes a connection with 1009 before a
too-large message is buffered whole.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import uvicorn

from cesdk_http._server import _Server

__all__ = ["WebSocketServer"]

log = logging.getLogger("cesdk.websocket")


class WebSocketServer:
    """Serve an ASGI app's WebSocket connections on ``host:port`` until closed.

    Args:
        app: the ASGI application.
        host: the address to bind.
        port: the TCP port; 0 picks a free one (read ``port`` after ``start``).
        max_size: the largest message accepted, in bytes; larger ones close with 1009.
        ping_interval: seconds between keepalive pings; ``None`` sends none.
        ping_timeout: seconds a pong may take before the connection is dropped.
        compression: offer permessage-deflate.
        ssl_certfile: a PEM certificate (chain) to serve ``wss://``.
        ssl_keyfile: its private key.
        shutdown_timeout: seconds to let handlers finish when closing.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str,
        port: int,
        max_size: int,
        ping_interval: float | None,
        ping_timeout: float | None,
        compression: bool,
        ssl_certfile: str | None,
        ssl_keyfile: str | None,
        shutdown_timeout: float,
    ) -> None:
        self.host, self.port = host, port
        self.tls = bool(ssl_certfile)
        self._config = uvicorn.Config(
            app,
            http="httptools",
            ws="websockets-sansio",
            ws_max_size=max_size,
            ws_ping_interval=ping_interval,
            ws_ping_timeout=ping_timeout,
            ws_per_message_deflate=compression,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            lifespan="off",
            access_log=False,
            log_config=None,
            server_header=False,
            timeout_graceful_shutdown=int(max(1, shutdown_timeout)),
        )
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind, listen, and return once connections are accepted.

        Raises:
            OSError: the address cannot be bound (a port in use, say).
        """
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(2048)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        server = self._server = _Server(self._config)
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        listening = asyncio.create_task(server.listening.wait())
        await asyncio.wait({self._task, listening}, return_when=asyncio.FIRST_COMPLETED)
        if not listening.done():
            listening.cancel()
            self._task.result()  # raises what stopped the server
            raise RuntimeError(f"the WebSocket server on {self.host}:{self.port} stopped at start")
        scheme = "wss" if self.tls else "ws"
        log.info("cesdk websocket: listening on %s://%s:%s/", scheme, self.host, self.port)

    async def close(self) -> None:
        """Stop accepting and close what is still open."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await self._task
        finally:
            self._server = self._task = None
