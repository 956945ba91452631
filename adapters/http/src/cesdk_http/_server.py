"""The standalone server: uvicorn with httptools, inside the pipeline's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator
from typing import Any

import uvicorn

__all__ = ["StandaloneServer"]

log = logging.getLogger("cesdk.http")


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The pipeline (or the application) owns SIGTERM and SIGINT: uvicorn must not
        # replace their handlers nor raise them again when it stops.
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


class StandaloneServer:
    """Serve an ASGI app on ``host:port`` until closed.

    The socket is bound here, not by uvicorn, so that a port in use raises ``OSError``
    in the caller (uvicorn would exit the process) and port 0 reports the port chosen.

    Args:
        app: the ASGI application.
        host: the address to bind.
        port: the TCP port; 0 picks a free one.
        keep_alive: seconds an idle kept-alive connection stays open.
        shutdown_timeout: seconds to let open requests finish when closing.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str,
        port: int,
        keep_alive: float = 5.0,
        shutdown_timeout: float = 5.0,
    ) -> None:
        self.host, self.port = host, port
        self._config = uvicorn.Config(
            app,
            http="httptools",
            lifespan="off",
            access_log=False,
            log_config=None,
            server_header=False,
            timeout_keep_alive=int(max(1, keep_alive)),
            timeout_graceful_shutdown=int(max(1, shutdown_timeout)),
        )
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind, listen, and return once connections are accepted."""
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
            raise RuntimeError(f"the HTTP server on {self.host}:{self.port} stopped at start")
        log.info("cesdk-http: listening on http://%s:%s/", self.host, self.port)

    async def close(self) -> None:
        """Stop accepting, let open requests finish, and close every connection."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await self._task
        finally:
            self._server = self._task = None
