"""Connecting to NATS: defaults that keep reconnecting, and errors logged, not printed."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

import nats
from nats.aio.client import Client

from cesdk import CESDKError

__all__ = ["connect", "flush_to_server", "server_list"]

log = logging.getLogger("cesdk_nats")


def server_list(servers: str | Sequence[str]) -> list[str]:
    """Return the server URLs as a list (a comma-separated string is split)."""
    if isinstance(servers, str):
        return [s.strip() for s in servers.split(",") if s.strip()]
    return list(servers)


async def _log_error(exc: Exception) -> None:
    log.warning("NATS connection error: %r", exc)


async def _log_disconnected() -> None:
    log.info("NATS connection lost; reconnecting")


async def _log_reconnected() -> None:
    log.info("NATS connection re-established")


async def connect(
    servers: Sequence[str], *, name: str, options: Mapping[str, Any] | None
) -> Client:
    """Open a connection that reconnects forever (a broker restart must not end a run).

    Args:
        servers: ``nats://host:port`` URLs.
        name: the client name the server shows.
        options: further ``nats.connect`` keywords (``user_credentials``, ``tls``,
            ``token``, ...); they override the defaults.

    Raises:
        CESDKError: no server could be reached.
    """
    settings: dict[str, Any] = {
        "servers": list(servers),
        "name": name,
        "allow_reconnect": True,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.5,
        "connect_timeout": 5,
        "error_cb": _log_error,
        "disconnected_cb": _log_disconnected,
        "reconnected_cb": _log_reconnected,
    }
    settings.update(options or {})
    # nats-py applies max_reconnect_attempts to the first connection too, where
    # "forever" would hang a start against a server that is down: try briefly, then
    # reconnect as asked once connected.
    reconnects = settings["max_reconnect_attempts"]
    settings["max_reconnect_attempts"] = 1
    try:
        nc = await nats.connect(**settings)
    except Exception as exc:
        raise CESDKError(f"cannot connect to NATS at {', '.join(servers)}: {exc!r}") from exc
    nc.options["max_reconnect_attempts"] = reconnects
    return nc


async def flush_to_server(nc: Client, timeout: float = 10.0) -> None:
    """Return once the server has processed every command sent on ``nc`` so far.

    ``Client.flush`` alone does not promise that: nats-py writes its PING straight to
    the socket, ahead of the commands still in its write buffer (the SUB or PUB just
    made), so the PONG can come back before the server has read them. A core
    subscription is then not yet registered when a peer publishes, and core NATS
    drops the message. The first flush hands the buffered commands to the socket
    (nats-py's flusher runs while the flush waits for its PONG); the PING of the
    second follows them on the connection, and the server answers in order.

    Args:
        nc: a connected client.
        timeout: seconds to wait for each PONG (nats-py takes whole seconds).

    Raises:
        nats.errors.FlushTimeoutError: the server did not answer in time.
    """
    seconds = max(1, math.ceil(timeout))
    await nc.flush(timeout=seconds)
    await nc.flush(timeout=seconds)
