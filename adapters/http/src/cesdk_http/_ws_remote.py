"""The WebSocket source in client mode: connect out, read events, reconnect with backoff."""

from __future__ import annotations

import asyncio
import itertools
import logging

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from cesdk_http._ws_client import (
    ClientOptions,
    WebSocketHandshakeError,
    backoff,
    describe_close,
    open_connection,
)
from cesdk_http._ws_frames import decode_frame
from cesdk_http._ws_queue import FrameQueue

__all__ = ["RemoteReader"]

log = logging.getLogger("cesdk.websocket")


class RemoteReader:
    """Read one server's stream of events into ``queue``, reconnecting when it drops.

    A refusal that retrying cannot fix (4xx, or no CloudEvents subprotocol agreed)
    ends the source's iteration with ``WebSocketHandshakeError``; unreachable servers,
    5xx, 408, 429 and dropped connections are retried with exponential backoff and
    full jitter, forever.

    Args:
        options: how to connect.
        queue: where the frames go.
        reconnect_delay: the first backoff delay, in seconds.
        reconnect_max_delay: the cap of the backoff.
    """

    def __init__(
        self,
        options: ClientOptions,
        queue: FrameQueue,
        *,
        reconnect_delay: float,
        reconnect_max_delay: float,
    ) -> None:
        self.options, self.queue = options, queue
        self.reconnect_delay, self.reconnect_max_delay = reconnect_delay, reconnect_max_delay
        self.connections = 0
        self.connected = asyncio.Event()
        self._ids = itertools.count(1)

    async def run(self) -> None:
        """Connect and read until cancelled or refused for good."""
        attempt = 0
        url = self.options.url
        while not self.queue.stopping:
            retry_after: float | None = None
            try:
                connection = await open_connection(self.options)
            except WebSocketHandshakeError as exc:
                if not exc.retryable:
                    log.error("cesdk websocket: %s; not retrying", exc)
                    self.queue.fail(exc)
                    return
                retry_after, reason = exc.retry_after, str(exc)
            except (OSError, TimeoutError) as exc:
                reason = f"cannot connect to {url}: {exc or type(exc).__name__}"
            else:
                attempt = 0
                reason = await self._read(connection)
            if self.queue.stopping:
                return
            attempt += 1
            delay = backoff(attempt, base=self.reconnect_delay, cap=self.reconnect_max_delay)
            if retry_after is not None:
                delay = max(delay, retry_after)
            log.warning("cesdk websocket: %s; reconnecting in %.1fs", reason, delay)
            await asyncio.sleep(delay)  # reconnect backoff, not synchronisation

    async def _read(self, connection: ClientConnection) -> str:
        key = f"{self.options.url}#{next(self._ids)}"
        subprotocol = connection.subprotocol or ""
        self.connections += 1
        self.connected.set()
        try:
            async for message in connection:
                frame = decode_frame(
                    self.queue, message, subprotocol, key=key, peer=self.options.url, path=None
                )
                if not await self.queue.put(frame):
                    break
        except ConnectionClosed as exc:
            return f"the connection to {self.options.url} closed: {describe_close(exc)}"
        finally:
            self.connected.clear()
            if self.queue.stopping:
                await connection.close(1001, "the client is shutting down")
            else:
                await connection.close()
        return f"the connection to {self.options.url} ended"
