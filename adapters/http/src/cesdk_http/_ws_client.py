"""Open a client WebSocket that agreed on a CloudEvents subprotocol (the sink, and the
source in client mode), with the ``websockets`` library.
"""

from __future__ import annotations

import random
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ssl import SSLContext, SSLError
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

import cesdk
from cesdk.bindings import websockets as ws_binding

__all__ = [
    "ClientOptions",
    "WebSocketHandshakeError",
    "backoff",
    "check_subprotocols",
    "describe_close",
    "open_connection",
    "tls_context",
]

_EXCERPT = 300


class WebSocketHandshakeError(cesdk.CESDKError, ConnectionError):
    """The server refused the opening handshake, or agreed on no CloudEvents subprotocol.

    Attributes:
        url: the server.
        status: the HTTP status of a refusal, or ``None`` (the server accepted, but
            without a subprotocol the client offered).
        retryable: whether trying again later may help (408, 429, 5xx).
        retry_after: the seconds the server asked to wait (``Retry-After``), if any.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.url, self.status = url, status
        self.retryable, self.retry_after = retryable, retry_after


def check_subprotocols(subprotocol: str | Sequence[str]) -> tuple[str, ...]:
    """Return the subprotocols to offer, checked against the binding (section 1.5)."""
    offered = (subprotocol,) if isinstance(subprotocol, str) else tuple(subprotocol)
    if not offered:
        raise ValueError(f"offer at least one subprotocol: {', '.join(ws_binding.SUBPROTOCOLS)}")
    for name in offered:
        if name not in ws_binding.SUBPROTOCOLS:
            raise ValueError(
                f"subprotocol {name!r} is not a CloudEvents subprotocol; use one of "
                f"{', '.join(ws_binding.SUBPROTOCOLS)} (websockets-protocol-binding.md 1.5)"
            )
        ws_binding.format_for(name)  # names the extra to install when the format is missing
    return offered


def tls_context(
    *,
    cafile: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    verify: bool = True,
) -> ssl.SSLContext:
    """Return a client TLS context: system roots (or ``cafile``), optional client cert."""
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if certfile:
        context.load_cert_chain(certfile, keyfile)
    return context


@dataclass
class ClientOptions:
    """How a client connects: what it offers, its limits, TLS and extra headers."""

    url: str
    subprotocols: tuple[str, ...]
    open_timeout: float = 10.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    max_size: int = 1 << 20
    max_queue: int = 16
    compression: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)
    ssl: SSLContext | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_verify: bool = True

    def tls(self) -> SSLContext | None:
        """Return the TLS context, built (once) when first needed: files are read then.

        Raises:
            WebSocketHandshakeError: a certificate file cannot be read.
        """
        wanted = self.url.lower().startswith("wss://") or self.ssl_cafile or self.ssl_certfile
        if self.ssl is None and wanted:
            try:
                self.ssl = tls_context(
                    cafile=self.ssl_cafile, certfile=self.ssl_certfile,
                    keyfile=self.ssl_keyfile, verify=self.ssl_verify,
                )  # fmt: skip
            except (OSError, SSLError) as exc:
                raise WebSocketHandshakeError(
                    f"{self.url}: cannot load the TLS files (ssl_cafile, ssl_certfile, "
                    f"ssl_keyfile): {exc}",
                    url=self.url,
                ) from exc
        return self.ssl


def _excerpt(body: bytes | bytearray | None) -> str:
    text = " ".join(bytes(body or b"")[: _EXCERPT * 4].decode("utf-8", "replace").split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def _refusal(url: str, exc: InvalidStatus) -> WebSocketHandshakeError:
    response = exc.response
    status = response.status_code
    detail = f"{url} refused the WebSocket handshake: {status} {response.reason_phrase}"
    excerpt = _excerpt(response.body)
    if excerpt:
        detail += f": {excerpt}"
    retryable = status in (408, 429) or status >= 500
    retry_after = cesdk.parse_retry_after(response.headers.get("Retry-After"))
    return WebSocketHandshakeError(
        detail, url=url, status=status, retryable=retryable, retry_after=retry_after
    )


async def open_connection(options: ClientOptions) -> ClientConnection:
    """Connect and return the connection, its ``subprotocol`` one of those offered.

    Raises:
        WebSocketHandshakeError: the server refused the handshake or chose no
            subprotocol of the offer (websockets-protocol-binding.md 1.4).
        OSError, TimeoutError: the server cannot be reached (worth retrying).
    """
    url = options.url
    kwargs: dict[str, Any] = {}
    context = options.tls()
    if context is not None:
        kwargs["ssl"] = context
    try:
        connection = await connect(
            url,
            subprotocols=[Subprotocol(name) for name in options.subprotocols],
            additional_headers=dict(options.headers),
            open_timeout=options.open_timeout,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            max_size=options.max_size,
            max_queue=options.max_queue,
            compression="deflate" if options.compression else None,
            user_agent_header=f"cesdk-http/{cesdk.__version__}",
            **kwargs,
        )
    except InvalidStatus as exc:
        raise _refusal(url, exc) from None
    except InvalidHandshake as exc:
        raise WebSocketHandshakeError(
            f"{url}: the WebSocket handshake failed: {exc}", url=url
        ) from exc
    chosen = connection.subprotocol
    if chosen is None or chosen not in options.subprotocols:
        await connection.close(1002, "no CloudEvents subprotocol agreed")
        raise WebSocketHandshakeError(
            f"{url} accepted the WebSocket but none of the offered subprotocols "
            f"({', '.join(options.subprotocols)}); the server must answer with one of them "
            "(websockets-protocol-binding.md 1.4): offer a format it supports",
            url=url,
        )
    return connection


def backoff(attempt: int, *, base: float, cap: float) -> float:
    """Return the delay before reconnect ``attempt`` (1, 2, ...): full jitter, capped."""
    return random.uniform(0, min(cap, base * 2 ** min(attempt - 1, 30)))


def describe_close(exc: ConnectionClosed) -> str:
    """Return the close code and reason of a closed connection, for messages."""
    close = exc.rcvd or exc.sent
    if close is None:
        return "without a close frame (1006)"
    return f"{close.code} {close.reason}".rstrip()
