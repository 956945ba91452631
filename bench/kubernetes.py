"""Kubernetes benchmark: KubernetesEventSource -> Pipeline -> memory sink vs the raw watch loop.

The fake apiserver (``cesdk_kubernetes.testing``, in this process) holds N core/v1 Events
(20,000). Each contender runs in its own process and watches the namespace from the
resourceVersion just before the first Event, so both read the same stream of N ``ADDED``
lines, timed from the first event received to the N-th one handled:

* raw: ``watch.Watch().stream(CoreV1Api.list_namespaced_event, ...)`` (typed models, the
  client's documented way), counting the events;
* cesdk: ``KubernetesEventSource`` (events.k8s.io/v1, resuming from a checkpoint at that
  resourceVersion) -> ``Pipeline`` -> a sink that counts; each event is mapped to a
  CloudEvent, acked, and its settlement tracked for the checkpoint.

Each contender runs ``--trials`` times (3), alternating; the best run counts. Reports
events/s, the ratio (target: cesdk at least 70% of raw) and each process's peak RSS.
Run with ``make bench`` or ``uv run python bench/kubernetes.py [-n N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import cesdk
from benchutil import cpu_seconds, peak_rss_mb

TARGET = 0.70


def _raw(kubeconfig: str, rv: str, n: int) -> float:
    from kubernetes import client, config, watch

    api_client = config.new_client_from_config(config_file=kubeconfig)
    events = client.CoreV1Api(api_client)
    stream = watch.Watch()
    seen = 0
    started = 0.0
    for change in stream.stream(
        events.list_namespaced_event,
        "default",
        resource_version=rv,
        allow_watch_bookmarks=True,
        timeout_seconds=300,
    ):
        if change["type"] != "ADDED":
            continue
        if not started:
            started = time.perf_counter()
        seen += 1
        if seen >= n:
            stream.stop()
            break
    return time.perf_counter() - started


class _CountingSink:
    """Counts sends; ``done`` is set at the n-th."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.count = 0
        self.done = asyncio.Event()

    async def __aenter__(self) -> _CountingSink:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def send(self, event: cesdk.CloudEvent) -> None:
        self.count += 1
        if self.count >= self.n:
            self.done.set()

    async def send_batch(self, events: Sequence[cesdk.CloudEvent]) -> list[None]:
        # As cesdk.MemorySink does: a memory sink takes a batch at once.
        self.count += len(events)
        if self.count >= self.n:
            self.done.set()
        return [None] * len(events)


async def _cesdk(kubeconfig: str, rv: str, n: int) -> float:
    from cesdk_kubernetes import KubernetesEventSource

    folder = Path(tempfile.mkdtemp(prefix="cesdk-bench-k8s-"))
    checkpoint = folder / "checkpoint.json"
    checkpoint.write_text(json.dumps({"version": 1, "streams": {"events/default": rv}}))
    started = 0.0

    def first_seen(event: cesdk.CloudEvent) -> cesdk.CloudEvent:
        nonlocal started
        if not started:
            started = time.perf_counter()
        return event

    sink = _CountingSink(n)
    pipeline = cesdk.Pipeline(
        KubernetesEventSource(
            kubeconfig=kubeconfig, namespaces="default", checkpoint=f"file://{checkpoint}"
        ),
        steps=[first_seen],
        routes=[cesdk.Route(sink, name="memory")],
        dead_letter=cesdk.MemorySink(),
        concurrency=500,
    )
    task = asyncio.create_task(pipeline.run(handle_signals=False))
    await sink.done.wait()
    elapsed = time.perf_counter() - started
    pipeline.stop()
    await task
    return elapsed


def _child(args: argparse.Namespace) -> None:
    before = cpu_seconds()
    if args.child == "raw":
        elapsed = _raw(args.kubeconfig, args.rv, args.n)
    else:
        elapsed = asyncio.run(_cesdk(args.kubeconfig, args.rv, args.n))
    cpu = cpu_seconds() - before
    print(json.dumps({"seconds": elapsed, "rss_mb": peak_rss_mb(), "cpu": cpu}))


def _contender(name: str, kubeconfig: str, rv: str, n: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", name, "--kubeconfig", kubeconfig]
    out = subprocess.run(
        [*command, "--rv", rv, "-n", str(n)], capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"the {name} run failed:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Run the benchmark (or, with --child, one contender)."""
    # This file is named like the client package it measures: keep its folder off the
    # import path, or ``import kubernetes`` would import this file.
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != here]
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="events (default 20,000)")
    parser.add_argument("--trials", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--child", choices=("raw", "cesdk"), help=argparse.SUPPRESS)
    parser.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    parser.add_argument("--rv", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    from cesdk_kubernetes.testing import FakeApiServer

    runs: dict[str, list[dict[str, float]]] = {"raw": [], "cesdk": []}
    with FakeApiServer(history=args.n + 1000, bookmark_interval=60) as fake:
        rv = fake.resource_version
        fake.inject_events(args.n, type="Warning", reason="BackOff", message="back-off {i}")
        kubeconfig = str(fake.kubeconfig_path)
        # Alternated, so that both see the same machine noise; the best run counts.
        for _ in range(args.trials):
            for kind in runs:
                runs[kind].append(_contender(kind, kubeconfig, rv, args.n))
    for kind, results in runs.items():
        rates = ", ".join(f"{args.n / r['seconds']:,.0f} ({r['cpu']:.2f} s CPU)" for r in results)
        print(f"  {kind} runs (events/s): {rates}", file=sys.stderr)
    raw_rate, our_rate = (args.n / min(r["seconds"] for r in runs[k]) for k in runs)
    raw_rss, our_rss = (max(r["rss_mb"] for r in runs[k]) for k in runs)
    ratio = our_rate / raw_rate
    print(f"Kubernetes Events watch, {args.n:,} events, fake apiserver, best of {args.trials}")
    for label, rate, rss in (
        ("raw Watch().stream loop", raw_rate, raw_rss),
        ("KubernetesEventSource", our_rate, our_rss),
    ):
        print(f"  {label:<26} {rate:10,.0f} events/s   peak RSS {rss:6.1f} MB")
    verdict = "meets" if ratio >= TARGET else "MISSES"
    print(f"  ratio {ratio:.0%} ({verdict} the {TARGET:.0%} target)")


if __name__ == "__main__":
    main()
