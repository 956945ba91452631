"""ASGI responses: plain answers and RFC 9457 problem bodies."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson

__all__ = [
    "CLOSE",
    "Header",
    "Receive",
    "Scope",
    "Send",
    "problem",
    "respond",
    "respond_problem",
    "retry_after_value",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Header = tuple[bytes, bytes]

_PROBLEM = b"application/problem+json"
CLOSE: Header = (b"connection", b"close")


def retry_after_value(seconds: float) -> bytes:
    """Return a ``Retry-After`` value: whole seconds, at least one (RFC 9110 10.2.3)."""
    return str(max(1, math.ceil(seconds))).encode()


async def respond(
    send: Send, status: int, headers: Sequence[Header] = (), body: bytes = b""
) -> None:
    """Send a complete response."""
    fields = list(headers)
    if status != 204 and status >= 200:
        fields.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": body})


def problem(status: int, detail: str, **extra: Any) -> bytes:
    """Return an RFC 9457 problem body; ``extra`` adds members such as ``attribute``."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return orjson.dumps(body)


async def respond_problem(
    send: Send, status: int, detail: str, *, headers: Sequence[Header] = (), **extra: Any
) -> None:
    """Send an RFC 9457 problem response."""
    await respond(
        send, status, [(b"content-type", _PROBLEM), *headers], problem(status, detail, **extra)
    )
