"""``/healthz``, ``/readyz`` and ``/metrics`` on the source's own server.

The same answers as ``cesdk.HealthServer``, plus the source's request counters, so that
one port serves both the events and the probes.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence

import cesdk

__all__ = ["HEALTH_PATHS", "health_answer"]

HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_TEXT = b"text/plain; charset=utf-8"


def _request_counters(statuses: Counter[int]) -> bytes:
    lines = [
        "# HELP cesdk_http_requests_total HTTP requests answered by the source, by status.",
        "# TYPE cesdk_http_requests_total counter",
    ]
    lines += [
        f'cesdk_http_requests_total{{status="{status}"}} {count}'
        for status, count in sorted(statuses.items())
    ]
    return ("\n".join(lines) + "\n").encode()


def health_answer(
    path: str, *, ready: bool, pipelines: Sequence[cesdk.Pipeline], statuses: Counter[int]
) -> tuple[int, bytes, bytes]:
    """Return the status, content type and body for a health path.

    Args:
        path: one of ``HEALTH_PATHS``.
        ready: the source is taking requests and a pipeline is reading it.
        pipelines: pipelines whose readiness and metrics to include.
        statuses: the source's answers so far, by status.
    """
    if path == "/healthz":
        return 200, _TEXT, b"ok\n"
    if path == "/readyz":
        if ready and all(p.ready for p in pipelines):
            return 200, _TEXT, b"ready\n"
        return 503, _TEXT, b"not ready\n"
    body = _request_counters(statuses)
    if pipelines:
        # The pipeline metrics need the metrics extra; the source's own do not.
        with contextlib.suppress(cesdk.MissingDependencyError):
            body = cesdk.prometheus_text(pipelines) + body
    return 200, b"text/plain; version=0.0.4; charset=utf-8", body
