"""Counters and latencies per pipeline, route, sink and outcome."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["BUCKETS", "OUTCOMES", "Histogram", "Metrics"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds (seconds) of the send latency histogram buckets."""


@dataclass
class Histogram:
    """Cumulative latency buckets, as Prometheus histograms count them."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0
    n: int = 0

    def add(self, seconds: float) -> None:
        """Count one observation."""
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds
        self.n += 1

    def cumulative(self) -> list[tuple[str, int]]:
        """Return ``(le, count)`` pairs, ``+Inf`` last."""
        out, running = [], 0
        for bound, count in zip((*map(str, BUCKETS), "+Inf"), self.counts, strict=True):
            running += count
            out.append((bound, running))
        return out


#: The outcomes a pipeline counts.
OUTCOMES = (
    "received",
    "delivered",
    "retried",
    "deadlettered",
    "deduplicated",
    "filtered",
    "dropped",
    "undecodable",
    "failed",
)


@dataclass
class Metrics:
    """In-process counters; exported to Prometheus by ``_prometheus``.

    ``counts[(route, outcome)]`` counts events; route ``""`` stands for the pipeline
    itself (received, undecodable, dropped by pipeline steps).
    """

    pipeline: str = "pipeline"
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    latencies: dict[str, Histogram] = field(default_factory=dict)
    sinks: dict[str, str] = field(default_factory=dict)

    def count(self, outcome: str, route: str = "", n: int = 1) -> None:
        """Add ``n`` to the counter of ``outcome`` on ``route``."""
        self.counts[(route, outcome)] += n

    def observe(self, route: str, seconds: float) -> None:
        """Record one send latency."""
        histogram = self.latencies.get(route)
        if histogram is None:
            histogram = self.latencies[route] = Histogram()
        histogram.add(seconds)

    def total(self, outcome: str) -> int:
        """Return the count of ``outcome`` over every route."""
        return sum(n for (_, name), n in self.counts.items() if name == outcome)

    def snapshot(self) -> dict[str, int]:
        """Return ``{"route/outcome": count}``, sorted, for logs and tests."""
        return {f"{r or '*'}/{o}": n for (r, o), n in sorted(self.counts.items())}
