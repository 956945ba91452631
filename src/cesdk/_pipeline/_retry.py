"""Retry policy: exponential (or linear) backoff with full jitter, caps and Retry-After."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

__all__ = ["Retry", "parse_duration", "parse_retry_after"]


@dataclass(frozen=True, slots=True)
class Retry:
    """How a route retries a failed send.

    Delays grow from ``initial_delay`` (exponentially by ``multiplier``, or linearly),
    are capped at ``max_delay`` and drawn uniformly between zero and that value ("full
    jitter"), so that many failing senders do not retry in step. A ``Retry-After`` from
    the receiver replaces the computed delay. Retrying stops after ``max_attempts``
    sends or once ``max_elapsed`` seconds have passed since the first.

    Args:
        max_attempts: total sends, the first included (1 = never retry).
        initial_delay: seconds before the first retry, before jitter.
        max_delay: the cap on any one delay.
        multiplier: growth factor for exponential backoff.
        max_elapsed: give up once this many seconds have passed (None: no limit).
        backoff: ``"exponential"`` or ``"linear"`` (Knative's ``backoffPolicy``).
        jitter: draw each delay uniformly in ``[0, delay]``.
        timeout: seconds one send may take before it counts as a retryable failure.
    """

    max_attempts: int = 5
    initial_delay: float = 0.2
    max_delay: float = 30.0
    multiplier: float = 2.0
    max_elapsed: float | None = 300.0
    backoff: Literal["exponential", "linear"] = "exponential"
    jitter: bool = True
    timeout: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.max_attempts < 1:
            problems.append("max_attempts must be at least 1")
        if self.initial_delay < 0 or self.max_delay < 0:
            problems.append("delays must not be negative")
        if self.multiplier < 1:
            problems.append("multiplier must be at least 1")
        if self.backoff not in ("exponential", "linear"):
            problems.append(f"backoff must be 'exponential' or 'linear', got {self.backoff!r}")
        if self.timeout is not None and self.timeout <= 0:
            problems.append("timeout must be positive")
        if problems:
            raise ValueError("invalid Retry: " + "; ".join(problems))

    def delay(
        self,
        attempt: int,
        *,
        elapsed: float,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """Return the seconds to wait before retry number ``attempt``, or None to give up.

        Args:
            attempt: how many sends have failed so far (1 after the first failure).
            elapsed: seconds since the first send.
            retry_after: the receiver's ``Retry-After``, in seconds, if any.
            rng: the random source for jitter.
        """
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            wait = max(0.0, retry_after)
        else:
            if self.backoff == "exponential":
                base = self.initial_delay * self.multiplier ** (attempt - 1)
            else:
                base = self.initial_delay * attempt
            wait = min(self.max_delay, base)
            if self.jitter:
                wait = (rng or random).uniform(0.0, wait)
        if self.max_elapsed is not None and elapsed + wait > self.max_elapsed:
            return None
        return wait


NEVER = Retry(max_attempts=1)

_DURATION = re.compile(
    r"P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?"
)


def parse_duration(text: str) -> float:
    """Parse an ISO 8601 duration such as ``PT0.5S`` or ``PT1M30S`` into seconds.

    Raises:
        ValueError: not an ISO 8601 duration of days, hours, minutes and seconds.
    """
    m = _DURATION.fullmatch(text.strip().upper())
    if m is None or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as 'PT0.5S' or 'PT1M'")
    parts = {k: float(v) if v else 0.0 for k, v in m.groupdict().items()}
    return parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse an HTTP ``Retry-After`` value: delay-seconds or an HTTP-date (RFC 9110 10.2.3).

    Returns seconds to wait (never negative), or ``None`` when absent or unparseable.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())
