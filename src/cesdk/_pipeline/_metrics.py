"""Counters and latencies per pipeline, route, sink and outcome."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["OUTCOMES", "Metrics"]

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
    latencies: dict[str, list[float]] = field(default_factory=dict)
    max_samples: int = 10_000

    def count(self, outcome: str, route: str = "", n: int = 1) -> None:
        """Add ``n`` to the counter of ``outcome`` on ``route``."""
        self.counts[(route, outcome)] += n

    def observe(self, route: str, seconds: float) -> None:
        """Record one send latency (a bounded sample, oldest dropped)."""
        samples = self.latencies.setdefault(route, [])
        if len(samples) >= self.max_samples:
            del samples[: self.max_samples // 2]
        samples.append(seconds)

    def total(self, outcome: str) -> int:
        """Return the count of ``outcome`` over every route."""
        return sum(n for (_, name), n in self.counts.items() if name == outcome)

    def snapshot(self) -> dict[str, int]:
        """Return ``{"route/outcome": count}``, sorted, for logs and tests."""
        return {f"{r or '*'}/{o}": n for (r, o), n in sorted(self.counts.items())}
