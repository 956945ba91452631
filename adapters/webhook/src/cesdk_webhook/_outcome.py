"""What a receiver's answer means for the pipeline (http-webhook.md 2.2).

2xx delivered; 408, 429 and 5xx retryable, honouring ``Retry-After`` (seconds or an
HTTP date); 3xx never followed and permanent (a webhook target must not redirect);
410 permanent, the target retired; any other 4xx permanent, with the answer's start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import cesdk

__all__ = ["EXCERPT", "raise_for_answer"]

log = logging.getLogger("cesdk.webhook")

EXCERPT = 300
"""Characters of a refusal's body kept in the error (and so in the dead letter reason)."""


def _excerpt(body: bytes) -> str:
    text = body[: EXCERPT * 4].decode("utf-8", "replace").strip()
    text = " ".join(text.split())  # one line, for logs and dead letter reasons
    return text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "..."


def raise_for_answer(
    url: str, status: int, reason: str, headers: Mapping[str, str], body: bytes
) -> None:
    """Return if ``status`` means delivered; raise the matching delivery error otherwise.

    Raises:
        cesdk.RetryableDeliveryError: 408, 429, 5xx (``retry_after`` from ``Retry-After``).
        cesdk.PermanentDeliveryError: 3xx, 410 and other 4xx.
    """
    if 200 <= status < 300:
        return
    answer = f"{url} answered {status} {reason}".rstrip()
    excerpt = _excerpt(body)
    detail = f"{answer}: {excerpt}" if excerpt else answer
    if status in (408, 429) or status >= 500:
        raise cesdk.RetryableDeliveryError(
            detail, retry_after=cesdk.parse_retry_after(headers.get("retry-after"))
        )
    if 300 <= status < 400:
        where = headers.get("location", "?")
        raise cesdk.PermanentDeliveryError(
            f"{answer} (redirect to {where}): webhook targets must not redirect and the "
            "sender must not follow (http-webhook.md 2.2)"
        )
    if status == 410:
        log.error(
            "webhook target %s is GONE (410): it was retired; remove it from the pipeline. "
            "No further events are sent to it.",
            url,
        )
        raise cesdk.PermanentDeliveryError(f"{detail} (the target is retired: 410 Gone)")
    raise cesdk.PermanentDeliveryError(detail)
