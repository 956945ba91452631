"""Prometheus exposition and the /metrics, /healthz, /readyz endpoint.

The pipeline counts in plain Python (``Metrics``); a collector turns those counts into
Prometheus families only when scraped, so the hot path pays nothing for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from cesdk._errors import MissingDependencyError

if TYPE_CHECKING:
    from cesdk._pipeline._pipeline import Pipeline

__all__ = ["HealthServer", "prometheus_text"]


def _prometheus() -> Any:
    try:
        import prometheus_client  # an optional extra: imported on use
    except ImportError:
        raise MissingDependencyError(
            'Prometheus metrics need prometheus-client; install: pip install "cesdk[metrics]"'
        ) from None
    return prometheus_client


class _Collector:
    def __init__(self, pipelines: Sequence[Pipeline]) -> None:
        self.pipelines = pipelines

    def collect(self) -> Iterator[Any]:
        core = importlib.import_module("prometheus_client.core")
        events = core.CounterMetricFamily(
            "cesdk_events",
            "Events per pipeline, route, sink and outcome",
            labels=["pipeline", "route", "sink", "outcome"],
        )
        latency = core.HistogramMetricFamily(
            "cesdk_send_seconds", "Time to send one event", labels=["pipeline", "route", "sink"]
        )
        for pipeline in self.pipelines:
            metrics = pipeline.metrics
            sinks = {r.name or "": type(r.sink).__name__ for r in pipeline.routes}
            for (route, outcome), n in sorted(metrics.counts.items()):
                events.add_metric([pipeline.name, route, sinks.get(route, ""), outcome], n)
            for route, hist in sorted(metrics.latencies.items()):
                latency.add_metric(
                    [pipeline.name, route, sinks.get(route, "")],
                    buckets=hist.cumulative(),
                    sum_value=hist.total,
                )
        yield events
        yield latency


def prometheus_text(pipelines: Iterable[Pipeline]) -> bytes:
    """Return the Prometheus text exposition of the pipelines' metrics."""
    prometheus = _prometheus()
    registry = prometheus.CollectorRegistry(auto_describe=False)
    registry.register(_Collector(list(pipelines)))
    data: bytes = prometheus.generate_latest(registry)
    return data


class HealthServer:
    """Serve ``/metrics``, ``/healthz`` and ``/readyz`` over HTTP/1.1 on ``host:port``.

    ``/healthz`` answers 200 while the process serves; ``/readyz`` 200 once every
    pipeline has entered its source and sinks and is fetching, 503 otherwise.

    Args:
        pipelines: the pipelines to report on.
        host: the address to bind (loopback by default).
        port: the TCP port; 0 picks a free one (read :attr:`port` after start).
    """

    def __init__(self, pipelines: Sequence[Pipeline], *, host: str = "127.0.0.1", port: int = 9090):
        self.pipelines = pipelines
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> HealthServer:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _answer(self, path: str) -> tuple[int, str, bytes]:
        if path == "/healthz":
            return 200, "text/plain", b"ok\n"
        if path == "/readyz":
            ready = all(p.ready for p in self.pipelines)
            return (200, "text/plain", b"ready\n") if ready else (503, "text/plain", b"not ready\n")
        if path == "/metrics":
            return 200, "text/plain; version=0.0.4", prometheus_text(self.pipelines)
        return 404, "text/plain", b"not found\n"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            async with asyncio.timeout(10):
                request = await reader.readuntil(b"\r\n\r\n")
            parts = request.split(b" ", 2)
            path = parts[1].decode("ascii", "replace").split("?", 1)[0] if len(parts) > 1 else ""
            status, content_type, body = self._answer(path)
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        writer.close()
