"""What Slack's answer means for the pipeline: delivered, retry, or dead-letter.

The Web API answers HTTP 200 with ``{"ok": false, "error": "<code>"}`` for its errors,
and 429 with ``Retry-After`` when rate limited. Incoming webhooks answer ``ok``, or an
HTTP error status with the code as the body (``invalid_payload``, ``no_service``...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson

import cesdk

__all__ = [
    "RETRYABLE",
    "RateLimitedError",
    "check_api_answer",
    "check_webhook_answer",
    "retry_after_of",
]

RETRYABLE: Final = frozenset(
    {
        "ratelimited",
        "rate_limited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "rollup_error",
    }
)
"""Slack error codes worth retrying; every other code is permanent."""

_HINTS: Final = {
    "not_authed": "no token was sent: set token",
    "invalid_auth": "the token is not valid: check token",
    "token_revoked": "the token was revoked: issue a new one",
    "token_expired": "the token expired: issue a new one",
    "account_inactive": "the token belongs to a deleted user or workspace",
    "missing_scope": "the token lacks the chat:write scope",
    "channel_not_found": "no such channel, or the app cannot see it: check channel or "
    "channel_template (use the channel ID for private channels)",
    "not_in_channel": "the app is not a member of the channel: invite it (/invite @app) "
    "or grant chat:write.public",
    "is_archived": "the channel is archived",
    "channel_is_archived": "the channel is archived",
    "restricted_action": "a workspace setting forbids posting there",
    "action_prohibited": "a workspace setting forbids this webhook from posting there",
    "no_text": "the message had neither text nor blocks",
    "invalid_blocks": "the blocks broke Block Kit's rules",
    "invalid_blocks_format": "the blocks were not a JSON array",
    "msg_too_long": "the message text is over 40,000 characters",
    "invalid_payload": "Slack could not read the request body",
    "no_service": "the webhook URL is unknown or was revoked: create a new incoming webhook",
    "no_team": "the webhook's workspace is gone",
    "posting_to_general_channel_denied": "only admins may post to that channel",
}

_EXCERPT = 200


class RateLimitedError(cesdk.RetryableDeliveryError):
    """Slack rate-limited the channel (429, or ``ratelimited``); ``retry_after`` is set."""


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


def retry_after_of(headers: Mapping[str, str], default: float = 1.0) -> float:
    """Seconds Slack asked to wait (``Retry-After``), or ``default`` when it did not say."""
    parsed = cesdk.parse_retry_after(headers.get("Retry-After") or headers.get("retry-after"))
    return default if parsed is None else parsed


def _refusal(what: str, code: str, detail: str = "") -> str:
    hint = _HINTS.get(code)
    text = f"{what}: Slack answered {code}"
    if hint:
        text += f" ({hint})"
    if detail:
        text += f": {_one_line(detail)}"
    return text


def check_api_answer(
    status: int, headers: Mapping[str, str], body: bytes, *, what: str
) -> dict[str, Any]:
    """Return the JSON of a successful Web API call; raise the matching delivery error.

    Args:
        status: the HTTP status.
        headers: the response headers.
        body: the response body.
        what: names the call in messages, e.g. ``"chat.postMessage to #alerts"``.

    Raises:
        cesdk.RetryableDeliveryError: 429 (``retry_after`` from ``Retry-After``), 408,
            5xx, an answer that is not JSON, and the codes in :data:`RETRYABLE`.
        cesdk.PermanentDeliveryError: any other error code, or another HTTP status;
            the message carries Slack's code.
    """
    if status == 429:
        wait = retry_after_of(headers)
        raise RateLimitedError(
            f"{what}: Slack answered 429 ratelimited; retry after {wait:g} s", retry_after=wait
        )
    if status == 408 or status >= 500:
        raise cesdk.RetryableDeliveryError(
            f"{what}: Slack answered HTTP {status}: {_one_line(body.decode('utf-8', 'replace'))}",
            retry_after=cesdk.parse_retry_after(headers.get("Retry-After")),
        )
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    if status != 200 or not isinstance(answer, dict):
        excerpt = _one_line(body.decode("utf-8", "replace"))
        message = f"{what}: Slack answered HTTP {status} with {excerpt or 'an empty body'}"
        if status == 200:  # a proxy's page, a truncated answer: the next try may work
            raise cesdk.RetryableDeliveryError(message + " (not a Web API answer)")
        raise cesdk.PermanentDeliveryError(message + " (check api_url)")
    if answer.get("ok") is True:
        return answer
    code = str(answer.get("error") or "unknown_error")
    metadata = answer.get("response_metadata")
    messages = metadata.get("messages") if isinstance(metadata, dict) else None
    detail = "; ".join(str(m) for m in messages) if isinstance(messages, list) else ""
    if code == "missing_scope" and answer.get("needed"):
        detail = f"needed {answer['needed']}"
    if code in ("ratelimited", "rate_limited"):
        raise RateLimitedError(_refusal(what, code, detail), retry_after=retry_after_of(headers))
    if code in RETRYABLE:
        raise cesdk.RetryableDeliveryError(
            _refusal(what, code, detail),
            retry_after=cesdk.parse_retry_after(headers.get("Retry-After")),
        )
    raise cesdk.PermanentDeliveryError(_refusal(what, code, detail))


def check_webhook_answer(status: int, headers: Mapping[str, str], body: bytes) -> None:
    """Return if an incoming webhook took the message; raise the matching delivery error.

    Raises:
        cesdk.RetryableDeliveryError: 429 (``retry_after`` from ``Retry-After``), 408, 5xx.
        cesdk.PermanentDeliveryError: another status; the message carries Slack's code
            (``invalid_payload``, ``no_service``, ``channel_not_found``...).
    """
    text = body.decode("utf-8", "replace").strip()
    if 200 <= status < 300:
        return
    what = "the Slack webhook"
    code = text.split()[0] if text and len(text.split()) == 1 else ""
    if status == 429:
        wait = retry_after_of(headers)
        raise RateLimitedError(
            f"{what}: Slack answered 429 {code or 'rate_limited'}; retry after {wait:g} s",
            retry_after=wait,
        )
    if status == 408 or status >= 500:
        raise cesdk.RetryableDeliveryError(
            f"{what}: Slack answered HTTP {status} {_one_line(text)}".rstrip(),
            retry_after=cesdk.parse_retry_after(headers.get("Retry-After")),
        )
    if code:
        raise cesdk.PermanentDeliveryError(_refusal(f"{what} (HTTP {status})", code))
    raise cesdk.PermanentDeliveryError(f"{what}: Slack answered HTTP {status} {_one_line(text)}")
