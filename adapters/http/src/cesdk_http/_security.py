"""Who may post: bearer tokens (http-webhook.md section 3) and Standard Webhooks signatures.

Standard Webhooks (standardwebhooks.com): the sender signs
``{webhook-id}.{webhook-timestamp}.{body}`` with HMAC-SHA256 and sends
``webhook-signature: v1,<base64>`` (several, space-separated, while keys rotate).
Secrets are base64, usually written with a ``whsec_`` prefix.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import parse_qsl

__all__ = ["BearerCheck", "SignatureCheck", "decode_secret", "sign"]

DEFAULT_TOLERANCE = 300.0
"""Seconds a signature's timestamp may be away from now (the Standard Webhooks default)."""


def decode_secret(secret: str | bytes) -> bytes:
    """Return the HMAC key of a Standard Webhooks secret.

    A ``str`` is base64, with or without the ``whsec_`` prefix (as the reference
    libraries read it); ``bytes`` are the key itself.

    Raises:
        ValueError: the text is not base64.
    """
    if isinstance(secret, bytes):
        return secret
    text = secret.strip().removeprefix("whsec_")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(
            "a Standard Webhooks secret is base64 text, optionally prefixed with 'whsec_'"
        ) from None
    if not key:
        raise ValueError("a Standard Webhooks secret must not be empty")
    return key


def sign(key: bytes, msg_id: str, timestamp: str, body: bytes) -> str:
    """Return the base64 HMAC-SHA256 of ``{msg_id}.{timestamp}.{body}`` (no ``v1,`` prefix)."""
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class SignatureCheck:
    """Verify Standard Webhooks signatures against one or more secrets (key rotation).

    Args:
        secrets: every secret currently accepted; a request signed with any one passes.
        tolerance: seconds the ``webhook-timestamp`` may differ from now (replays of
            older requests are refused).
        clock: returns the current Unix time; tests pass a fixed one.
    """

    def __init__(
        self,
        secrets: Sequence[str | bytes],
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secrets:
            raise ValueError("give at least one signing secret")
        self.keys = [decode_secret(secret) for secret in secrets]
        self.tolerance = tolerance
        self.clock = clock

    def problem(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """Return why the request's signature is refused, or ``None`` when it is valid."""
        msg_id = headers.get("webhook-id")
        timestamp = headers.get("webhook-timestamp")
        signatures = headers.get("webhook-signature")
        if not msg_id or not timestamp or not signatures:
            return "missing webhook-id, webhook-timestamp or webhook-signature header"
        if not timestamp.isascii() or not timestamp.isdigit():
            return "webhook-timestamp is not a Unix time in seconds"
        if abs(self.clock() - int(timestamp)) > self.tolerance:
            return f"webhook-timestamp is more than {self.tolerance:g}s away from now"
        offered = []
        for item in signatures.split():
            version, _, value = item.partition(",")
            if version == "v1" and value:
                offered.append(value.encode())
        if not offered:
            return "webhook-signature holds no v1 signature"
        valid = False
        for key in self.keys:
            expected = sign(key, msg_id, timestamp, body).encode()
            for candidate in offered:
                # Constant time, and no early exit: timing tells nothing about which matched.
                valid |= hmac.compare_digest(expected, candidate)
        return None if valid else "no webhook-signature matches the body"


class BearerCheck:
    """Accept requests carrying one of the tokens (http-webhook.md section 3).

    The token comes in ``Authorization: Bearer <token>`` (3.1) or the ``access_token``
    query parameter (3.2); the target MUST support both.
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        if not tokens or not all(tokens):
            raise ValueError("bearer tokens must not be empty")
        self.tokens = [token.encode() for token in tokens]

    def problem(self, authorization: str | None, query: bytes) -> str | None:
        """Return why the request is refused, or ``None`` when it carries a valid token."""
        offered: str | None = None
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() == "bearer":
                offered = value.strip()
        if offered is None and query and b"access_token=" in query:
            for name, value in parse_qsl(query.decode("latin-1")):
                if name == "access_token":
                    offered = value
        if offered is None:
            return "missing bearer token (Authorization: Bearer ... or ?access_token=...)"
        candidate = offered.encode()
        valid = False
        for token in self.tokens:
            valid |= hmac.compare_digest(token, candidate)
        return None if valid else "invalid bearer token"
