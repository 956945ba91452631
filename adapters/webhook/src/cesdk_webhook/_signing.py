"""Standard Webhooks signing (standardwebhooks.com), the headers ``cesdk-http`` verifies.

The signature is the base64 HMAC-SHA256 of ``{webhook-id}.{webhook-timestamp}.{body}``,
sent as ``webhook-signature: v1,<base64>``. The id stays the same across retries (the
receiver's idempotency key); the timestamp and signature are fresh on every attempt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Iterable

import cesdk

__all__ = ["Signer", "message_id"]


def _key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    try:
        key = base64.b64decode(secret.strip().removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "a Standard Webhooks secret is base64 text, optionally prefixed with 'whsec_'"
        ) from None
    if not key:
        raise ValueError("a Standard Webhooks secret must not be empty")
    return key


def message_id(events: Iterable[cesdk.CloudEvent]) -> str:
    """Return a ``webhook-id`` for a request: the same for the same events on every retry.

    Built from each event's identity, (``source``, ``id``), hashed so that it is short,
    ASCII and unique across sources.
    """
    digest = hashlib.sha256()
    for event in events:
        digest.update(event.source.encode() + b"\x1f" + event.id.encode() + b"\x1e")
    return "msg_" + base64.urlsafe_b64encode(digest.digest()[:18]).decode()


class Signer:
    """Sign request bodies with a Standard Webhooks secret.

    Args:
        secret: base64 text (optionally ``whsec_``-prefixed), or the raw key bytes.
        clock: returns the Unix time; tests pass a fixed one.
    """

    def __init__(self, secret: str | bytes, *, clock: Callable[[], float] = time.time) -> None:
        self.key = _key(secret)
        self.clock = clock

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """Return ``v1,<base64 signature>`` for one request."""
        signed = f"{msg_id}.{timestamp}.".encode() + body
        mac = hmac.new(self.key, signed, hashlib.sha256).digest()
        return "v1," + base64.b64encode(mac).decode()

    def headers(self, msg_id: str, body: bytes) -> dict[str, str]:
        """Return the three Standard Webhooks headers for a request sent now."""
        timestamp = int(self.clock())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": self.sign(msg_id, timestamp, body),
        }
