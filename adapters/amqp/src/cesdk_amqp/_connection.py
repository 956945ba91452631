"""Opening connections: one plain connection at a time, errors that name the broker."""

from __future__ import annotations

import asyncio

import aio_pika
import aiormq
from aio_pika.abc import AbstractConnection

from cesdk import CESDKError
from cesdk_amqp._url import redact

__all__ = ["CONNECTION_ERRORS", "connect"]

# What a lost, refused or timed-out connection raises in aio-pika and aiormq.
CONNECTION_ERRORS = (
    aiormq.exceptions.AMQPConnectionError,
    aiormq.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
    TimeoutError,
    asyncio.TimeoutError,
    # aiormq raises a bare RuntimeError for a channel opened on a connection that
    # has just been closed under it.
    RuntimeError,
)


async def connect(url: str, *, name: str, timeout: float) -> AbstractConnection:
    """Open a connection (not aio-pika's robust one: the adapters reconnect themselves,
    so that they know when deliveries from the old channel became void).

    Raises:
        CESDKError: the broker cannot be reached, or refused the credentials; the
            message shows the URL without its password.
    """
    try:
        return await aio_pika.connect(
            url, timeout=timeout, client_properties={"connection_name": name}
        )
    except aiormq.exceptions.ProbableAuthenticationError as exc:
        raise CESDKError(
            f"RabbitMQ at {redact(url)} refused the login: check the user, password and "
            f"virtual host ({exc})"
        ) from exc
    except (*CONNECTION_ERRORS, aiormq.exceptions.AMQPError) as exc:
        raise CESDKError(f"cannot connect to AMQP broker at {redact(url)}: {exc!r}") from exc
